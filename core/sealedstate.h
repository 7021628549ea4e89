/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sealedstate.h - sealed vTPM state (version 1): a VM's state encrypted
 * with AES-256-GCM under a one-blob key derived from its transport key.
 *
 * Layout (all integers big-endian; Documentation/formats.md):
 *   0  4  magic "VMSS"
 *   4  2  version = 1
 *   6  2  flags = 0
 *   8  16 vm_id
 *   24 16 key_id
 *   40 8  generation
 *   48 24 nonce (0..11 salt the blob key, 12..23 are the GCM IV)
 *   72 8  payload length (<= VMS_SS_MAX_PAYLOAD)
 *   80 .. ciphertext, then the 16-byte tag; header (0..79) is the aad
 *   total 96 + payload length
 *
 * Keys: prk = HKDF-Extract(salt = "vmshield sealed-state v1", ikm = TK)
 * is kept, the TK is not; per blob
 *   k = HKDF-Expand(prk, "vmshield sealed-state v1 key" || vm_id ||
 *                   key_id || nonce[0..11], 32).
 *
 * Errors (negative errno):
 *   -EMSGSIZE        truncated, trailing bytes, or payload length field
 *                    inconsistent with the blob size or over the maximum
 *   -EILSEQ          bad magic
 *   -EPROTONOSUPPORT unknown version
 *   -EINVAL          unknown flag; bad argument
 *   -EKEYEXPIRED     the seal key's lifetime has passed
 *   -EKEYREJECTED    the blob's VM id or key id is not the seal key's
 *   -ENOSPC          output buffer too small (nothing written)
 *   -EFBIG           (seal) payload over VMS_SS_MAX_PAYLOAD
 *   -EDQUOT          (seal) the seal key has sealed VMS_SS_MAX_SEALS blobs
 *   -EBADMSG         authentication failed (output zeroed)
 */
#ifndef VMS_SEALEDSTATE_H
#define VMS_SEALEDSTATE_H

#include "vms_prim.h"

#define VMS_SS_MAGIC		"VMSS"
#define VMS_SS_VERSION		1
#define VMS_SS_FLAGS_ALL	0x0000	/* no flag defined in v1 */
#define VMS_SS_ID_LEN		16
#define VMS_SS_NONCE_LEN	24
#define VMS_SS_SALT_LEN		12	/* nonce[0..11] */
#define VMS_SS_HDR_LEN		80
#define VMS_SS_OVERHEAD		(VMS_SS_HDR_LEN + VMS_GCM_TAG_LEN)
#define VMS_SS_MAX_PAYLOAD	(16u << 20)	/* 16 MiB */
/* Seals one vms_seal_key may do (see formats.md for the bound). */
#define VMS_SS_MAX_SEALS	(1ULL << 32)
#define VMS_SS_SALT_LABEL	"vmshield sealed-state v1"
#define VMS_SS_KEY_LABEL	"vmshield sealed-state v1 key"

/*
 * A seal key: what the enclave keeps for one VM instead of its TK.
 * @expires_ns is 0 for "never" (userspace tools only; the module always
 * sets a lifetime). @seals counts nonces consumed. Wipe with
 * vms_seal_key_wipe().
 */
struct vms_seal_key {
	u8 prk[32];
	u8 vm_id[VMS_SS_ID_LEN];
	u8 key_id[VMS_SS_ID_LEN];
	u64 expires_ns;
	u64 seals;
};

/* A parsed header (no secrets). */
struct vms_ss_header {
	u16 version;
	u16 flags;
	u8 vm_id[VMS_SS_ID_LEN];
	u8 key_id[VMS_SS_ID_LEN];
	u64 generation;
	u8 nonce[VMS_SS_NONCE_LEN];
	u64 payload_len;
};

/*
 * vms_seal_key_init - derive the seal key from @tk. @now_ns and the expiry
 * are on one monotonic clock the caller owns: the module's boot-time clock
 * (which root cannot set), CLOCK_BOOTTIME in userspace. @lifetime_s == 0
 * means no expiry.
 */
int vms_seal_key_init(struct vms_seal_key *k, const u8 tk[32],
		      const u8 vm_id[VMS_SS_ID_LEN],
		      const u8 key_id[VMS_SS_ID_LEN],
		      u32 lifetime_s, u64 now_ns);

void vms_seal_key_wipe(struct vms_seal_key *k);

/* Blob size for a payload of @ptlen bytes, 0 when over the maximum. */
size_t vms_ss_size(u64 ptlen);

/*
 * vms_ss_seal - seal @pt under a fresh random 24-byte nonce into exactly
 * vms_ss_size(@ptlen) bytes of @out. @out must not overlap @pt.
 */
int vms_ss_seal(struct vms_seal_key *k, u64 now_ns, u64 generation,
		const u8 *pt, size_t ptlen, u8 *out, size_t outlen);

/* vms_ss_parse - strict structural check, no crypto. */
int vms_ss_parse(const u8 *blob, size_t len, struct vms_ss_header *h);

/*
 * vms_ss_unseal - check and open a blob; writes payload_len (= len - 96)
 * bytes to @out only when the blob authenticated; on -EBADMSG those bytes
 * are zero; on every other error @out is untouched. @generation (may be
 * NULL) receives the header's generation on success.
 */
int vms_ss_unseal(const struct vms_seal_key *k, u64 now_ns,
		  const u8 *blob, size_t len, u8 *out, size_t outlen,
		  u64 *generation);

#endif /* VMS_SEALEDSTATE_H */
