/* SPDX-License-Identifier: GPL-2.0 */
/*
 * enclave.h - vmshield-enclaved's state: its X25519 identity, the VM keys
 * it holds (handles to seal keys derived from released TKs), its counters,
 * and the request handler the transports feed
 * (Documentation/enclave-protocol.md).
 */
#ifndef VMS_ENCLAVE_H
#define VMS_ENCLAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vms_compiler.h"
#include "vms_port.h"
#include "enclave_proto.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "challenge.h"

#define VMS_ENCLAVE_MAX_KEYS	1024
#define VMS_ENCLAVE_PROG	"vmshield-enclaved"

struct vms_attest;
struct vms_vtpm_mgr;

/* What a released TK became: the seal key, never the TK. */
struct vms_ekey {
	u64 handle;
	struct vms_seal_key sk;		/* seals; for a roll, the next TK's */
	struct vms_seal_key sk_prev;	/* roll only: the current TK's, UNSEAL only */
	bool rolled;			/* loaded from a roll release */
	u32 policy;
	u32 lifetime_s;
	u16 n_digests;
	bool dead;		/* revoked or failed closed */
	bool vtpm_only;		/* release flag VMS_KR_F_VTPM_IN_ENCLAVE */
	u64 vtpm_floor;		/* release flag VMS_KR_F_VTPM_FLOOR: HGS's floor */
	u32 unseal_failures;
	u8 digests[VMS_KR_MAX_DIGESTS][VMS_KR_DIGEST_LEN];
};

struct vms_enclave {
	u8 sk[32];		/* never leaves this struct */
	u8 pk[32];
	u8 boot_id[VMS_EP_BOOT_ID_LEN];
	u32 handle_prefix;	/* random per start: old handles never match */
	u32 next_handle;
	struct vms_ekey *keys[VMS_ENCLAVE_MAX_KEYS];
	u32 n_keys;
	struct vms_attest *attest;	/* NULL: REPORT answers EOPNOTSUPP */
	/* the vTPMs (vtpm_mgr.h); NULL: VTPM_* requests answer EOPNOTSUPP */
	struct vms_vtpm_mgr *vtpm;
	int (*vtpm_request)(struct vms_enclave *e, const struct vms_ep_msg *q,
			    struct vms_ep_msg *a, u8 **scratch,
			    size_t *scratch_len);
	/* after every request: stop the vTPMs of keys that are gone */
	void (*vtpm_sweep)(struct vms_enclave *e);
	u32 vtpms;		/* running vTPM processes */
	u64 vtpm_crashes;	/* vTPM processes that died under us */
	u64 (*now_ns)(void);	/* CLOCK_BOOTTIME; tests replace it */
	u64 requests, refused, refused_logged;
	/*
	 * Where a request's time goes, for the stop line (CLOCK_MONOTONIC):
	 * from its pick-up to its answer out, and within that the exchanges
	 * with vTPM processes (vtpm-in-enclave.md section 9), those whose
	 * answer carried a changed state apart (the state marshalled).
	 */
	u64 busy_ns, vtpm_ns, vtpm_asks, vtpm_changed_ns, vtpm_changed_asks;
	/* release format v2: the one KPS key (set once), pending challenges */
	u8 kps_pk[32];
	bool kps_set;
	struct vms_chal_table chal;
};

/* Generate the identity; 0 or a negative errno. */
int vms_enclave_init(struct vms_enclave *e);
/* Wipe every key and the identity. */
void vms_enclave_wipe(struct vms_enclave *e);

/* The operations (the handler calls them; tests may too). */
int vms_enclave_load(struct vms_enclave *e, const u8 vm_id[16],
		     const u8 *blob, size_t len, struct vms_ekey **out);
int vms_enclave_revoke(struct vms_enclave *e, u64 handle);
/*
 * The seal key UNSEAL uses for @blob: a rolled key's previous TK when the
 * blob's header names its key id, else the key's own (which then refuses
 * any other key id: EKEYREJECTED).
 */
const struct vms_seal_key *vms_ekey_unseal_key(const struct vms_ekey *k,
						const u8 *blob, size_t len);
int vms_enclave_challenge(struct vms_enclave *e, const u8 kps_pk[32],
			  u8 out[32], u64 *issued_ns);
struct vms_ekey *vms_enclave_find(struct vms_enclave *e, u64 handle);

/*
 * vms_enclave_handle - answer one request frame. @in is in the enclave's
 * own memory (never the shared mailbox). When @want_id is non-NULL the
 * frame's request id must equal *@want_id (the mailbox's doorbell
 * number). Always writes a response (an error response when the request
 * was refused) into @out (@cap >= VMS_EP_MAX_FRAME) and sets *@outlen;
 * returns 0, or -EPROTO when the frame was malformed (the response is
 * then an EPROTO answer).
 */
int vms_enclave_handle(struct vms_enclave *e, const u8 *in, size_t inlen,
		       const u64 *want_id, u8 *out, size_t cap, size_t *outlen);

/* The STATUS text (key=value lines) into @buf; its length. */
size_t vms_enclave_status(const struct vms_enclave *e, char *buf, size_t len);

/* CLOCK_BOOTTIME in ns. */
u64 vms_enclave_boottime_ns(void);

/* Logging: one structured line (vms_slog.h). */
void vms_elog(const char *level, const char *event, const char *fmt, ...)
	__printf(3, 4);

#endif /* VMS_ENCLAVE_H */
