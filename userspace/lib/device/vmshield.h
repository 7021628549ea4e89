/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmshield - the C API a VMM worker or the agent uses to talk to
 * /dev/vmshield. Functions return 0 or a negative errno; vms_dev_strerror()
 * turns one into a message that says what to do next.
 */
#ifndef LIBVMSHIELD_H
#define LIBVMSHIELD_H

#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>
#include <linux/vmshield.h>

#define VMS_DEVICE_PATH "/dev/" VMSHIELD_DEVICE_NAME

/* Open the device (O_RDWR | O_CLOEXEC); returns an fd or a negative errno. */
int vms_dev_open(void);
void vms_dev_close(int fd);

/* VMSHIELD_IOC_GET_INFO */
int vms_dev_get_info(int fd, struct vmshield_info *info);

/*
 * VMSHIELD_IOC_ENCLAVE_REPORT (placement hypervisor): the enclave's report
 * for @nonce, signed by the platform. @body gets *@body_len bytes (at most
 * VMSHIELD_REPORT_BODY_MAX; ASCII, not NUL-terminated), @sig *@sig_len
 * bytes (DER ECDSA P-256, at most VMSHIELD_REPORT_SIG_MAX). 0 or a
 * negative errno: -EOPNOTSUPP in placement kernel, -EHOSTDOWN when the
 * enclave does not answer, -EPROTO when it answered garbage.
 */
int vms_dev_enclave_report(int fd, const uint8_t nonce[32],
			   uint8_t body[VMSHIELD_REPORT_BODY_MAX], size_t *body_len,
			   uint8_t sig[VMSHIELD_REPORT_SIG_MAX], size_t *sig_len);

/*
 * VMSHIELD_IOC_RELEASE_CHALLENGE (UAPI 3): name the KPS key the enclave
 * accepts releases from (set once per enclave identity) and get a fresh
 * single-use challenge and the enclave's clock at issue, for one release
 * request. 0 or a negative errno: -EPERM (the enclave accepts another KPS
 * key), -EBUSY (64 challenges pending), -EINVAL, -ENOTTY (a module before
 * UAPI 3), -EHOSTDOWN/-EPROTO (placement hypervisor).
 */
int vms_dev_release_challenge(int fd, const uint8_t kps_pk[32],
			      uint8_t challenge[32], uint64_t *challenge_ns);

/*
 * Names for the values in struct vmshield_info ("unknown" for a value
 * without one). Defined once, with the isolation report that uses them,
 * by core/report.c, which libvmshield carries; declared here with plain C
 * types so a worker needs none of core/'s headers (test_report.c checks
 * the two declarations agree).
 */
const char *vms_placement_name(unsigned int placement);
const char *vms_isolation_name(unsigned int level);
const char *vms_lockdown_level_name(unsigned int lockdown);

/*
 * VM keys (the "vmshield" key type, Documentation/uapi.md). Link with
 * -lkeyutils.
 *
 * The description of a VM's key is "vm:" and its id as a lower-case
 * canonical UUID: VMS_KEY_DESC_LEN bytes with the NUL.
 */
#define VMS_KEY_DESC_LEN	40
/* Write "vm:<uuid>" of @vm_id into @buf: 0, -EINVAL, or -ENOSPC. */
int vms_dev_key_desc(const uint8_t vm_id[16], char *buf, size_t size);
/* The same from a UUID string (either case in, lower case out). */
int vms_dev_key_desc_uuid(const char *uuid, char *buf, size_t size);

/*
 * Load the key release @release (@len bytes, as KPS returned it) for VM
 * @vm_id into @ring (a keyring serial or a KEY_SPEC_* value) with
 * add_key("vmshield", "vm:<uuid>", ...). A key already in @ring for the
 * same VM is replaced. Returns the new key's serial (> 0) or -errno.
 */
key_serial_t vms_dev_key_load(const uint8_t vm_id[16], const void *release,
			      size_t len, key_serial_t ring);
/* The same with the VM id as a UUID string. */
key_serial_t vms_dev_key_load_uuid(const char *uuid, const void *release,
				   size_t len, key_serial_t ring);
/* Revoke @key: the enclave wipes it at once. 0 or -errno. */
int vms_dev_key_revoke(key_serial_t key);
/* Unlink @key from @ring. 0 or -errno. */
int vms_dev_key_unlink(key_serial_t key, key_serial_t ring);
/*
 * The newest key for @desc ("vm:<uuid>") in the caller's user keyring,
 * where hgs-agent links each key it loads and each renewal (a newer one
 * replaces the older's link; Documentation/agent.md section 3c): its
 * serial, or -errno (-ENOKEY none, -EKEYEXPIRED / -EKEYREVOKED: the
 * newest is expired or revoked, no renewal came). The key is linked into
 * the caller's session keyring, so it lives while the caller uses it
 * (the agent's next renewal unlinks it from the agent's keyring and the
 * user keyring).
 */
key_serial_t vms_dev_key_current(const char *desc);

/*
 * VMSHIELD_IOC_SEAL: seal @len bytes of @state under @key, recording
 * @generation. On success *@blob is a new buffer of *@blob_len bytes
 * (free() it, or vms_dev_free()). 0 or -errno.
 */
int vms_dev_seal(int fd, key_serial_t key, uint64_t generation,
		 const void *state, size_t len, uint8_t **blob,
		 size_t *blob_len);
/*
 * VMSHIELD_IOC_UNSEAL: open @blob under @key. On success *@state is a new
 * buffer of *@state_len bytes holding the plaintext: release it with
 * vms_dev_free(), which wipes it. @generation (may be NULL) receives the
 * recorded generation. 0 or -errno; on failure *@state is NULL.
 */
int vms_dev_unseal(int fd, key_serial_t key, const void *blob, size_t len,
		   uint8_t **state, size_t *state_len, uint64_t *generation);
/* Wipe @len bytes at @p and free it (NULL is fine). */
void vms_dev_free(void *p, size_t len);

/*
 * Write a sealed blob to @path atomically (temporary file, fsync, rename,
 * fsync of the directory; mode 0600): after a crash @path holds the old
 * blob or the new one, never a torn mix. 0 or -errno.
 */
int vms_dev_write_sealed(const char *path, const void *blob, size_t len);
/* Seal @state and write the blob to @path atomically. 0 or -errno. */
int vms_dev_seal_to_file(int fd, key_serial_t key, uint64_t generation,
			 const void *state, size_t len, const char *path);
/* Read the sealed blob at @path and unseal it, as vms_dev_unseal(). */
int vms_dev_unseal_file(int fd, key_serial_t key, const char *path,
			uint8_t **state, size_t *state_len,
			uint64_t *generation);

/* What a call was doing, for a precise error message. */
enum vms_op {
	VMS_OP_ANY = 0,		/* unknown: a message that covers every case */
	VMS_OP_OPEN,		/* vms_dev_open */
	VMS_OP_INFO,		/* vms_dev_get_info */
	VMS_OP_KEY_LOAD,	/* vms_dev_key_load (add_key) */
	VMS_OP_KEY_DROP,	/* vms_dev_key_revoke / _unlink */
	VMS_OP_SEAL,		/* vms_dev_seal, vms_dev_seal_to_file */
	VMS_OP_UNSEAL,		/* vms_dev_unseal, vms_dev_unseal_file */
	VMS_OP_FILE,		/* reading or writing a sealed-state file */
};

/*
 * A message for an error (negative or positive errno) returned by a
 * vms_dev_* call while doing @op: what is wrong and what to do. Never NULL.
 */
const char *vms_dev_op_strerror(enum vms_op op, int err);
/* The same for an unknown operation: vms_dev_op_strerror(VMS_OP_ANY, err). */
const char *vms_dev_strerror(int err);

#endif /* LIBVMSHIELD_H */
