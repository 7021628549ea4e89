/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmshield.h - declarations shared by the files of vmshield.ko.
 *
 * One concern per file:
 *   main.c        module init/exit ladder
 *   dev.c         /dev/vmshield and the ioctl dispatch
 *   enclave.c     the enclave (placement "kernel"): identity key, VM keys
 *   keytype.c     the "vmshield" key type
 *   worker.c      worker identity for shielded keys
 *   isolation.c   what the kernel proves about isolation; IMA measurement
 *   replay.c      the releases opened during this load (each opens once)
 *   challenge.c   release challenges and the accepted KPS key
 *   prim_kernel.c the crypto primitives of core/ on the kernel crypto API
 *   mailbox.c     placement hypervisor: the ivshmem mailbox PCI driver
 *   enclave_remote.c placement hypervisor: the enclave as channel calls
 *   ptrace_scope.c Yama's ptrace_scope, read from its own sysctl file
 *   compat.h      kernel API drift (probes in Kbuild.compat)
 */
#ifndef VMSHIELD_KMOD_H
#define VMSHIELD_KMOD_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/key-type.h>
#include <linux/vmshield.h>

/* What the kernel can prove about how well the enclave is isolated. */
struct vms_isolation {
	u32 lockdown;		/* VMSHIELD_LOCKDOWN_* */
	u32 level;		/* VMSHIELD_ISOLATION_* */
	bool sig_enforced;	/* unsigned modules are refused */
	bool module_sig_ok;	/* this module's own signature verified */
};

void vms_isolation_read(struct vms_isolation *iso);
/* The level when the module was loaded (recorded by main.c's init). */
void vms_isolation_record_load(void);
u32 vms_isolation_level_at_load(void);

/* The isolation report (core/report.h), measured into IMA when it changes. */
int vms_report_measure_if_changed(void);
/* GET_INFO's lockdown_at_load and ptrace_scope, of the last report measured */
void vms_report_host_facts_info(struct vmshield_info *info);
/* Yama's ptrace_scope (0..3) or VMSHIELD_PTRACE_SCOPE_UNKNOWN (ptrace_scope.c) */
u32 vms_ptrace_scope(void);
bool vms_report_ima_recorded(void);
void vms_report_reset(void);

/*
 * Enclave (placement kernel). This is the whole interface the key type and
 * the ioctls use, so another placement can provide the same functions.
 * A struct vms_vmkey is opaque outside enclave.c; it holds what a released
 * transport key became (never the TK itself) and lives in the secret slab.
 */
struct vms_vmkey;

struct vms_vmkey_info {
	u8 vm_id[16];
	u8 key_id[16];
	u32 policy;		/* VMS_KR_POLICY_* */
	u32 lifetime_s;
	u64 expires_ns;		/* boot-time clock */
	u64 seals;
	u32 unseal_failures;
	u32 level;		/* VMSHIELD_ISOLATION_* the key was made at */
	bool dead;		/* failed closed */
	bool stale;		/* made under an identity since replaced */
	bool expired;		/* lifetime over, PRK wiped */
	bool rolled;		/* a roll release: also opens prev_key_id */
	u8 prev_key_id[16];	/* rolled: the previous TK's (UNSEAL only) */
};

int vms_enclave_init(void);
void vms_enclave_exit(void);
int vms_enclave_identity(u8 pk[32], struct vms_isolation *iso);
bool vms_selftest_passed(void);
int vms_enclave_open_release(const u8 *blob, size_t len, const u8 vm_id[16],
			     struct vms_vmkey **out);
void vms_enclave_destroy(struct vms_vmkey *key);
void vms_enclave_kill(struct vms_vmkey *key);
int vms_enclave_commit(struct vms_vmkey *key);
void vms_enclave_key_info(struct vms_vmkey *key, struct vms_vmkey_info *info);
bool vms_enclave_key_digest_approved(struct vms_vmkey *key, const u8 d[32]);
int vms_enclave_seal(struct vms_vmkey *key, u64 generation,
		     const u8 *pt, size_t ptlen, u8 *out, size_t outlen);
int vms_enclave_unseal(struct vms_vmkey *key, const u8 *blob, size_t len,
		       u8 *out, size_t outlen, u64 *generation);
/* debug counters, printed at unload: every key created must be wiped */
extern atomic64_t vms_keys_created, vms_keys_wiped;

/*
 * Releases opened during this load (replay.c): each release opens at most
 * once per load; the memory is bounded and fails closed when full.
 */
#define VMS_OPENED_MAX	16384
#define VMS_OPENED_LEN	16
int vms_opened_init(void);
void vms_opened_exit(void);
void vms_opened_digest(const u8 *blob, size_t len, u8 d[VMS_OPENED_LEN]);
int vms_opened_check(const u8 d[VMS_OPENED_LEN]);
int vms_opened_record(const u8 d[VMS_OPENED_LEN]);
unsigned int vms_opened_count(void);

/*
 * Release challenges (challenge.c): per enclave identity (@epoch), the
 * one KPS key releases may come from and the pending challenges.
 */
int vms_enclave_epoch(u64 *epoch);
int vms_challenge_issue(u64 epoch, const u8 kps_pk[32], u8 out[32],
			u64 *issued_ns);
int vms_challenge_kps(u64 epoch, u8 kps_pk[32]);
int vms_challenge_check(u64 epoch, const u8 c[32], u64 issued_ns,
			bool consume);
long vms_ioc_release_challenge(void __user *uarg);
/* The KPS key the current identity accepts (either placement): 0 or -ENOKEY. */
int vms_kps_current(u8 kps_pk[32]);
int vms_remote_challenge(const u8 kps_pk[32], u8 out[32], u64 *issued_ns);

/* The "vmshield" key type. */
extern struct key_type vms_key_type;
int vms_keytype_init(void);
void vms_keytype_exit(void);

/* prim_kernel.c: free the pooled crypto transforms (module exit). */
void vms_prim_exit(void);

/* Worker identity, for shielded keys: may the current task use it? */
int vms_worker_check(struct vms_vmkey *key);

/* /dev/vmshield */
int vms_dev_init(void);
void vms_dev_exit(void);

/*
 * Placement hypervisor (enclave_remote.c, mailbox.c): when the mailbox
 * device was bound at load, the enclave functions above become calls to
 * vmshield-enclaved (Documentation/enclave-protocol.md); enclave.c
 * dispatches to these at the top of each.
 */
struct vms_ep_msg;
bool vms_remote_active(void);
int vms_mailbox_init(void);
void vms_mailbox_exit(void);
int vms_mailbox_call(struct vms_ep_msg *q, struct vms_ep_msg *a, u8 **buf,
		     size_t *buflen);
void vms_mailbox_free(u8 *buf, size_t len);
int vms_remote_init(void);
int vms_remote_refresh(void);
void vms_remote_public_key(u8 pk[32]);
int vms_remote_open_release(const u8 *blob, size_t len, const u8 vm_id[16],
			    struct vms_vmkey **out);
int vms_remote_commit(struct vms_vmkey *key);
void vms_remote_destroy(struct vms_vmkey *key);
void vms_remote_kill(struct vms_vmkey *key);
void vms_remote_key_info(struct vms_vmkey *key, struct vms_vmkey_info *info);
bool vms_remote_key_digest_approved(struct vms_vmkey *key, const u8 d[32]);
int vms_remote_seal(struct vms_vmkey *key, u64 generation,
		    const u8 *pt, size_t ptlen, u8 *out, size_t outlen);
int vms_remote_unseal(struct vms_vmkey *key, const u8 *blob, size_t len,
		      u8 *out, size_t outlen, u64 *generation);
int vms_remote_report(const u8 nonce[32], u8 *body, u32 *body_len,
		      u8 *sig, u32 *sig_len);
/* GET_INFO's fields that differ in placement hypervisor (no-op in kernel) */
void vms_remote_info(struct vmshield_info *info);
/* VMSHIELD_IOC_ENCLAVE_REPORT (report_ioctl.c) */
long vms_ioc_enclave_report(void __user *uarg);
/* VMSHIELD_IOC_VTPM (vtpm_ioctl.c), and what it shares with dev.c */
long vms_ioc_vtpm(void __user *uarg);
struct key;
struct key *vms_key_get(s32 serial);
void vms_key_release(struct key *key);
int vms_may_use(struct vms_vmkey *vk);
u64 vms_remote_handle(struct vms_vmkey *key);

#endif /* VMSHIELD_KMOD_H */
