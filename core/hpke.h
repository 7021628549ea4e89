/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hpke.h - RFC 9180 HPKE, base and auth modes, with one KEM and one KDF:
 *   KEM  DHKEM(X25519, HKDF-SHA256)  kem_id  0x0020
 *   KDF  HKDF-SHA256                 kdf_id  0x0001
 *   AEAD AES-128-GCM 0x0001 (the RFC 9180 A.1 test suite),
 *        AES-256-GCM 0x0002 (what vmshield's key release uses).
 *
 * Errors (negative errno): -EINVAL for a bad argument, an unknown AEAD id,
 * or a low-order/all-zero X25519 public key (pkR, enc or pkS); -EBADMSG when a
 * ciphertext does not authenticate; -EOVERFLOW when a context's sequence
 * number is exhausted; otherwise what the primitive returned.
 */
#ifndef VMS_HPKE_H
#define VMS_HPKE_H

#include "vms_prim.h"

#define VMS_HPKE_KEM_X25519_SHA256	0x0020
#define VMS_HPKE_KDF_HKDF_SHA256	0x0001
#define VMS_HPKE_AEAD_AES128GCM		0x0001
#define VMS_HPKE_AEAD_AES256GCM		0x0002

#define VMS_HPKE_MODE_BASE		0x00
#define VMS_HPKE_MODE_AUTH		0x02
#define VMS_HPKE_SK_LEN			32	/* Nsk */
#define VMS_HPKE_PK_LEN			32	/* Npk */
#define VMS_HPKE_ENC_LEN		32	/* Nenc */
#define VMS_HPKE_SECRET_LEN		32	/* Nsecret, Nh */
#define VMS_HPKE_NONCE_LEN		12	/* Nn */
#define VMS_HPKE_TAG_LEN		16	/* Nt */
#define VMS_HPKE_MAX_EXPORT		(255 * 32)

/*
 * An HPKE encryption context (RFC 9180 5.2), for a sender or a recipient.
 * Holds key material: always release it with vms_hpke_ctx_wipe().
 * @keylen is 0 in a wiped (unusable) context.
 */
struct vms_hpke_ctx {
	u16 aead_id;
	u8 key[32];
	u8 keylen;
	u8 base_nonce[VMS_HPKE_NONCE_LEN];
	u64 seq;
	u8 exporter_secret[VMS_HPKE_SECRET_LEN];
};

/* DeriveKeyPair (RFC 9180 7.1.3); @ikmlen >= 32. */
int vms_hpke_derive_keypair(const u8 *ikm, size_t ikmlen,
			    u8 sk[VMS_HPKE_SK_LEN], u8 pk[VMS_HPKE_PK_LEN]);

/*
 * Encap/Decap (RFC 9180 4.1). @skE NULL draws a fresh ephemeral key; a
 * caller-chosen @skE exists only for known-answer tests.
 */
int vms_hpke_encap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		   u8 enc[VMS_HPKE_ENC_LEN], const u8 pkR[VMS_HPKE_PK_LEN],
		   const u8 *skE);
int vms_hpke_decap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		   const u8 enc[VMS_HPKE_ENC_LEN],
		   const u8 skR[VMS_HPKE_SK_LEN]);

/* KeySchedule (RFC 9180 5.1) for mode_base; fills @c with seq = 0. */
int vms_hpke_key_schedule(struct vms_hpke_ctx *c,
			  const u8 shared_secret[VMS_HPKE_SECRET_LEN],
			  const u8 *info, size_t infolen, u16 aead_id);

/* SetupBaseS / SetupBaseR: Encap or Decap, then the key schedule. */
int vms_hpke_setup_base_s(struct vms_hpke_ctx *c, u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 pkR[VMS_HPKE_PK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id,
			  const u8 *skE);
int vms_hpke_setup_base_r(struct vms_hpke_ctx *c,
			  const u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 skR[VMS_HPKE_SK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id);

/*
 * Auth mode (RFC 9180 5.1.3): the sender proves it holds the static key
 * skS whose public half pkS the recipient names. AuthEncap/AuthDecap, and
 * SetupAuthS/SetupAuthR. @skE as for vms_hpke_encap().
 */
int vms_hpke_auth_encap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
			u8 enc[VMS_HPKE_ENC_LEN], const u8 pkR[VMS_HPKE_PK_LEN],
			const u8 skS[VMS_HPKE_SK_LEN], const u8 *skE);
int vms_hpke_auth_decap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
			const u8 enc[VMS_HPKE_ENC_LEN],
			const u8 skR[VMS_HPKE_SK_LEN],
			const u8 pkS[VMS_HPKE_PK_LEN]);
int vms_hpke_setup_auth_s(struct vms_hpke_ctx *c, u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 pkR[VMS_HPKE_PK_LEN],
			  const u8 skS[VMS_HPKE_SK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id,
			  const u8 *skE);
int vms_hpke_setup_auth_r(struct vms_hpke_ctx *c,
			  const u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 skR[VMS_HPKE_SK_LEN],
			  const u8 pkS[VMS_HPKE_PK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id);

/*
 * Seal: writes @ptlen + VMS_HPKE_TAG_LEN bytes to @out and increments the
 * sequence number. Any failure wipes @c (fail closed: a nonce that may
 * have been used is never offered again).
 */
int vms_hpke_seal(struct vms_hpke_ctx *c, const u8 *aad, size_t aadlen,
		  const u8 *pt, size_t ptlen, u8 *out);

/*
 * Open: @ctlen includes the tag; writes @ctlen - VMS_HPKE_TAG_LEN bytes to
 * @out only when the tag verifies (else @out is left zeroed, -EBADMSG) and
 * only then increments the sequence number, as RFC 9180 5.2 says.
 */
int vms_hpke_open(struct vms_hpke_ctx *c, const u8 *aad, size_t aadlen,
		  const u8 *ct, size_t ctlen, u8 *out);

/* Export (RFC 9180 5.3): @len (the RFC's L) <= VMS_HPKE_MAX_EXPORT. */
int vms_hpke_export(const struct vms_hpke_ctx *c,
		    const u8 *exporter_context, size_t ctxlen,
		    u8 *out, size_t len);

void vms_hpke_ctx_wipe(struct vms_hpke_ctx *c);

#endif /* VMS_HPKE_H */
