/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hkdf.h - HKDF-SHA256 (RFC 5869) over vms_prim_hmac_sha256().
 *
 * Inputs are vms_buf arrays so that callers (the HPKE labels, the
 * sealed-state key derivation) can concatenate fields without copying
 * them into a scratch buffer on the stack.
 */
#ifndef VMS_HKDF_H
#define VMS_HKDF_H

#include "vms_prim.h"

/* RFC 5869: L <= 255 * HashLen. */
#define VMS_HKDF_MAX_OKM	(255 * VMS_SHA256_LEN)
/* Most pieces one extract/expand input may be made of. */
#define VMS_HKDF_MAX_PARTS	8

/*
 * vms_hkdf_extract - PRK = HMAC-SHA256(salt, ikm[0] || ... || ikm[n-1]).
 * @salt may be NULL when @saltlen is 0 (RFC 5869: all-zero salt).
 * Returns 0, -EINVAL on a bad argument, or the primitive's error
 * (then @prk is zeroed).
 */
int vms_hkdf_extract(const u8 *salt, size_t saltlen,
		     const struct vms_buf *ikm, unsigned int nikm,
		     u8 prk[VMS_SHA256_LEN]);

/*
 * vms_hkdf_expand - OKM = T(1) || T(2) || ... truncated to @okmlen, with
 * T(i) = HMAC-SHA256(prk, T(i-1) || info[0] || ... || info[n-1] || i).
 * @okmlen <= VMS_HKDF_MAX_OKM, @ninfo <= VMS_HKDF_MAX_PARTS; @okm must not
 * overlap @prk or @info. Returns 0 or a negative errno (then @okm is zeroed).
 */
int vms_hkdf_expand(const u8 prk[VMS_SHA256_LEN],
		    const struct vms_buf *info, unsigned int ninfo,
		    u8 *okm, size_t okmlen);

#endif /* VMS_HKDF_H */
