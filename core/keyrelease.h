/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keyrelease.h - the key-release blob (version 2): a VM's transport key
 * (TK) wrapped by KPS with HPKE auth mode from KPS's static X25519 key to
 * one enclave's X25519 public key, for one challenge that enclave issued,
 * with the binding (VM id, key id, policy, lifetime, challenge, expiry,
 * approved worker digests) authenticated as the AEAD's associated data.
 *
 * Layout (all integers big-endian; Documentation/formats.md):
 *   0    4    magic "VMKR"
 *   4    2    version = 2
 *   6    2    flags: bit 0 VMS_KR_FLAG_ROLL (a TK roll: below), bit 1
 *             VMS_KR_F_VTPM_IN_ENCLAVE; others refused
 *   8    16   vm_id
 *   24   16   key_id
 *   40   4    policy (1 encryption-supported, 2 shielded)
 *   44   4    lifetime_s (1 .. 604800)
 *   48   2    n_digests (0 .. 64; shielded needs >= 1)
 *   50   2    reserved = 0
 *   52   32   enclave_pk (recipient)
 *   84   32   enc
 *   116  32   kps_pk (sender: the KPS key the enclave accepts)
 *   148  32   challenge (issued by the enclave, single use)
 *   180  8    challenge_ns (the enclave's clock when it issued it)
 *   188  8    not_after_ns = challenge_ns + lifetime_s * 10^9
 *   196  8    issued_at (KPS's wall clock, Unix seconds; audit only)
 *   204  32*n worker digests (SHA-256)
 *   204+32n 48 ct = HPKE seal of the TK (aad = every byte before ct)
 *   total 252 + 32*n
 * With VMS_KR_FLAG_ROLL (issue 20, the TK roll) the release carries the
 * VM's current TK and the next one, from one HPKE context:
 *   204+32n 16 next_key_id (the key id of the next TK)
 *   220+32n 48 ct = HPKE seal, sequence 0, of the current TK
 *   268+32n 48 ct_next = HPKE seal, sequence 1, of the next TK
 *   total 316 + 32*n; aad of both seals = every byte before ct.
 * With VMS_KR_F_VTPM_FLOOR (issue 21, either kind) 8 more bytes come
 * right before ct (after next_key_id in a roll): vtpm_floor, the lowest
 * vTPM state generation the enclave may start this key's vTPM from (the
 * highest one HGS holds for the VM); authenticated like the rest.
 * vms_kr_parse()/vms_kr_open() refuse the flag (-EINVAL), as every v2
 * parser did before it was defined: only a caller that handles both keys
 * (vms_kr_parse_roll()/vms_kr_open_roll()) accepts it.
 *
 * Errors (negative errno), in the order they are checked:
 *   -EMSGSIZE        length wrong (truncated, trailing bytes)
 *   -EILSEQ          bad magic
 *   -EPROTONOSUPPORT unknown version (version 1 included: unauthenticated)
 *   -EINVAL          unknown flag, reserved != 0, unknown policy, lifetime 0
 *                    or too long, too many digests, shielded with none,
 *                    not_after_ns not challenge_ns + lifetime, issued_at 0,
 *                    low-order/all-zero enc, enclave_pk or kps_pk
 *   -ENOKEY          released to another enclave (enclave_pk is not ours)
 *   -EPERM           made by another sender (kps_pk is not the KPS key the
 *                    enclave accepts)
 *   -EKEYREJECTED    VM id or key id differs from what the caller expects
 *   -EBADMSG         authentication failed (tampered, forged, wrong key)
 *   -ENOSPC          (build) output buffer too small
 * The challenge itself (issued, unused, young enough) is the enclave's
 * check, between the public checks and the decryption.
 */
#ifndef VMS_KEYRELEASE_H
#define VMS_KEYRELEASE_H

#include "vms_prim.h"

#define VMS_KR_MAGIC			"VMKR"
#define VMS_KR_VERSION			2
/*
 * Bit 1: the KP requires the VM's vTPM in the enclave; the enclave
 * refuses SEAL/UNSEAL for such a key (-EOPNOTSUPP): its vTPM state is
 * sealed only by the enclave's own vTPM (Documentation/vtpm-in-enclave.md).
 */
#define VMS_KR_F_VTPM_IN_ENCLAVE	0x0002
/*
 * Bit 2 (issue 21): an 8-byte vtpm_floor before ct: the enclave refuses
 * to start the key's vTPM from a sealed state of a lower generation
 * (-ESTALE), across enclave restarts and hosts (HGS's freshness record).
 */
#define VMS_KR_F_VTPM_FLOOR		0x0004
#define VMS_KR_FLOOR_LEN		8
/* the flags every v2 parser and builder accepts */
#define VMS_KR_FLAGS_ALL		(VMS_KR_F_VTPM_IN_ENCLAVE | VMS_KR_F_VTPM_FLOOR)
/* bit 0: current TK + next TK (issue 20); only the vms_kr_*_roll() calls */
#define VMS_KR_FLAG_ROLL		0x0001
#define VMS_KR_ROLL_EXTRA		(VMS_KR_ID_LEN + VMS_KR_CT_LEN)
#define VMS_KR_POLICY_ENCRYPTION_SUPPORTED	1
#define VMS_KR_POLICY_SHIELDED		2
#define VMS_KR_MAX_LIFETIME		604800	/* 7 days, in seconds */
#define VMS_KR_MAX_DIGESTS		64
#define VMS_KR_DIGEST_LEN		32
#define VMS_KR_ID_LEN			16
#define VMS_KR_CHALLENGE_LEN		32
#define VMS_TK_LEN			32
#define VMS_KR_HDR_LEN			204	/* bytes before the digests */
#define VMS_KR_CT_LEN			(VMS_TK_LEN + VMS_GCM_TAG_LEN)
#define VMS_KR_MIN_LEN			(VMS_KR_HDR_LEN + VMS_KR_CT_LEN)
#define VMS_KR_MAX_LEN			(VMS_KR_MIN_LEN + VMS_KR_FLOOR_LEN + \
					 VMS_KR_MAX_DIGESTS * VMS_KR_DIGEST_LEN)
#define VMS_KR_ROLL_MAX_LEN		(VMS_KR_MAX_LEN + VMS_KR_ROLL_EXTRA)
/* HPKE info: the ASCII label, no NUL. */
#define VMS_KR_INFO			"vmshield key-release v2"

/*
 * The binding a key release carries. @digests points at @n_digests
 * consecutive 32-byte SHA-256 values: the caller's array for
 * vms_kr_build(), and the blob itself after vms_kr_parse()/vms_kr_open()
 * (valid only as long as the blob is). Keeping the digests out of the
 * struct keeps it small enough for a kernel stack. @not_after_ns is
 * computed by build (challenge_ns + lifetime) and checked by parse.
 */
struct vms_kr_binding {
	u16 flags;		/* VMS_KR_FLAG_ROLL, VMS_KR_F_VTPM_IN_ENCLAVE */
	u8 vm_id[VMS_KR_ID_LEN];
	u8 key_id[VMS_KR_ID_LEN];
	u32 policy;
	u32 lifetime_s;
	u16 n_digests;
	const u8 *digests;
	u8 challenge[VMS_KR_CHALLENGE_LEN];
	u64 challenge_ns;
	u64 not_after_ns;
	u64 issued_at;
	/* with VMS_KR_FLAG_ROLL: the next TK's key id */
	u8 next_key_id[VMS_KR_ID_LEN];
	/* with VMS_KR_F_VTPM_FLOOR: the lowest vTPM generation to start from */
	u64 vtpm_floor;
};

/* Where the pieces of a parsed blob are (pointers into the blob). */
struct vms_kr_view {
	const u8 *enclave_pk;
	const u8 *enc;
	const u8 *kps_pk;
	const u8 *ct;
	size_t aadlen;		/* bytes before ct */
	const u8 *ct_next;	/* roll only: the next TK's seal, else NULL */
};

/* Blob size for @n_digests, or 0 when @n_digests > VMS_KR_MAX_DIGESTS. */
size_t vms_kr_size(unsigned int n_digests);
/* The same for a roll release (VMS_KR_FLAG_ROLL). */
size_t vms_kr_roll_size(unsigned int n_digests);
/* The size of a release with @flags (roll, floor) and @n_digests, or 0. */
size_t vms_kr_size_flags(unsigned int n_digests, u16 flags);

/*
 * vms_kr_build - wrap @tk from the KPS key @kps_sk for the enclave whose
 * public key is @enclave_pk and the challenge in @b. Writes exactly
 * vms_kr_size_flags(b->n_digests, b->flags) bytes. Errors: -EINVAL (binding out of range,
 * low-order @enclave_pk), -ENOSPC (@outlen too small; nothing written),
 * primitive errors. On error nothing of @out is left but zeros.
 */
int vms_kr_build(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		 const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		 u8 *out, size_t outlen);

/*
 * vms_kr_parse - strict structural check of a blob, no crypto. Fills @b
 * (digests point into @blob) and, when non-NULL, @v. On error @b is zeroed.
 */
int vms_kr_parse(const u8 *blob, size_t len, struct vms_kr_binding *b,
		 struct vms_kr_view *v);

/*
 * vms_kr_open - parse, check the blob is addressed to (@skR, @pkR), made
 * by @kps_pk and, when non-NULL, for @want_vm_id / @want_key_id, then open
 * it. On success fills @b and @tk. On any error @tk is not written and @b
 * is zeroed.
 */
int vms_kr_open(const u8 *blob, size_t len,
		const u8 skR[32], const u8 pkR[32], const u8 kps_pk[32],
		const u8 *want_vm_id, const u8 *want_key_id,
		struct vms_kr_binding *b, u8 tk[VMS_TK_LEN]);

/*
 * The TK roll (VMS_KR_FLAG_ROLL): build a release of @tk (the current TK,
 * b->key_id) and @tk_next (the next one, b->next_key_id), b->flags must
 * be VMS_KR_FLAG_ROLL; writes vms_kr_roll_size() bytes. Parse and open
 * accept a roll release only (-EINVAL for one without the flag); open
 * writes both keys, only once both authenticated.
 */
int vms_kr_build_roll(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		      const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		      const u8 tk_next[VMS_TK_LEN], u8 *out, size_t outlen);
int vms_kr_parse_roll(const u8 *blob, size_t len, struct vms_kr_binding *b,
		      struct vms_kr_view *v);
/*
 * vms_kr_roll_flag - VMS_KR_FLAG_ROLL when @blob says it is a roll
 * release, else 0 (also for anything too short to say): which parser a
 * loader that takes both kinds calls. Not a check: the parser decides.
 */
u16 vms_kr_roll_flag(const u8 *blob, size_t len);
int vms_kr_open_roll(const u8 *blob, size_t len,
		     const u8 skR[32], const u8 pkR[32], const u8 kps_pk[32],
		     const u8 *want_vm_id, struct vms_kr_binding *b,
		     u8 tk[VMS_TK_LEN], u8 tk_next[VMS_TK_LEN]);

#endif /* VMS_KEYRELEASE_H */
