/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_prim.h - the primitive interface the format core is written over.
 *
 * Each side implements exactly these functions once:
 *   kernel:    kmod/prim_kernel.c     (curve25519(), hmac(sha256) shash,
 *                                      gcm(aes) AEAD, get_random_bytes)
 *   userspace: userspace/lib/crypto/prim_openssl.c (OpenSSL 3 EVP)
 *
 * Conventions: every function returns 0 or a negative errno. On any error
 * the output buffers hold no secret (implementations wipe them). Nothing
 * here allocates memory the caller must free.
 */
#ifndef VMS_PRIM_H
#define VMS_PRIM_H

#include "vms_port.h"

#define VMS_X25519_LEN		32
#define VMS_SHA256_LEN		32
#define VMS_GCM_NONCE_LEN	12
#define VMS_GCM_TAG_LEN		16

/* A read-only piece of a multi-part HMAC input. */
struct vms_buf {
	const u8 *p;
	size_t len;
};

/*
 * HMAC-SHA256 over the concatenation of @parts. @key may be any length
 * (HKDF-Extract with an empty salt uses a zero-length key; implementations
 * must treat that as the RFC 2104 all-zero key of hash length).
 */
int vms_prim_hmac_sha256(const u8 *key, size_t keylen,
			 const struct vms_buf *parts, unsigned int nparts,
			 u8 out[VMS_SHA256_LEN]);

/*
 * X25519(scalar, point) per RFC 7748. Returns -EINVAL (and a zeroed @out)
 * when the result is the all-zero value, i.e. @point is of low order.
 */
int vms_prim_x25519(u8 out[VMS_X25519_LEN], const u8 scalar[VMS_X25519_LEN],
		    const u8 point[VMS_X25519_LEN]);

/* X25519(scalar, 9): the public key of a private scalar. */
int vms_prim_x25519_base(u8 out[VMS_X25519_LEN],
			 const u8 scalar[VMS_X25519_LEN]);

/*
 * AES-GCM with a 16-byte tag; @keylen is 16 or 32.
 * seal: writes @ptlen bytes of ciphertext followed by the tag to @out
 *       (@out has room for @ptlen + VMS_GCM_TAG_LEN).
 * open: @ctlen includes the tag; writes @ctlen - VMS_GCM_TAG_LEN bytes to
 *       @out only after the tag verified; returns -EBADMSG otherwise and
 *       leaves @out zeroed.
 * @in and @out may be the same buffer (in place); they must not otherwise
 * overlap.
 */
int vms_prim_aead_seal(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *pt, size_t ptlen, u8 *out);
int vms_prim_aead_open(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *ct, size_t ctlen, u8 *out);

/* Cryptographically secure random bytes; never fails silently. */
int vms_prim_random(u8 *buf, size_t len);

/* Wipe that the compiler may not elide (memzero_explicit / OPENSSL_cleanse). */
void vms_prim_wipe(void *p, size_t len);

/* Constant-time compare: 0 when equal (crypto_memneq / CRYPTO_memcmp). */
int vms_prim_memneq(const void *a, const void *b, size_t len);

#endif /* VMS_PRIM_H */
