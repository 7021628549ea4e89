// SPDX-License-Identifier: GPL-2.0
/*
 * hkdf.c - HKDF-SHA256 (RFC 5869) written over the HMAC primitive, since
 * neither the 6.1 kernel nor OpenSSL's EVP_MAC gives us a multi-part
 * HKDF-Expand info without a copy.
 */
#include "hkdf.h"

int vms_hkdf_extract(const u8 *salt, size_t saltlen,
		     const struct vms_buf *ikm, unsigned int nikm,
		     u8 prk[VMS_SHA256_LEN])
{
	int ret;

	if ((saltlen && !salt) || (nikm && !ikm) || !prk)
		return -EINVAL;
	/* An empty salt is the zero-length HMAC key; the primitive maps it. */
	ret = vms_prim_hmac_sha256(salt, saltlen, ikm, nikm, prk);
	if (ret)
		vms_prim_wipe(prk, VMS_SHA256_LEN);
	return ret;
}

int vms_hkdf_expand(const u8 prk[VMS_SHA256_LEN],
		    const struct vms_buf *info, unsigned int ninfo,
		    u8 *okm, size_t okmlen)
{
	/* T(i-1), the info pieces, and the counter byte. */
	struct vms_buf parts[VMS_HKDF_MAX_PARTS + 2];
	u8 t[VMS_SHA256_LEN];
	size_t done = 0, n;
	unsigned int i, np;
	u8 ctr = 0;
	int ret = 0;

	if (!prk || (okmlen && !okm) || (ninfo && !info) ||
	    ninfo > VMS_HKDF_MAX_PARTS || okmlen > VMS_HKDF_MAX_OKM)
		return -EINVAL;

	while (done < okmlen) {
		np = 0;
		/*
		 * T(i-1) is read back from @okm (every block but the last is
		 * whole), so the HMAC output never aliases one of its inputs.
		 */
		if (done) {
			parts[np].p = okm + done - VMS_SHA256_LEN;
			parts[np].len = VMS_SHA256_LEN;
			np++;
		}
		for (i = 0; i < ninfo; i++)
			parts[np++] = info[i];
		ctr++;
		parts[np].p = &ctr;
		parts[np].len = 1;
		np++;

		ret = vms_prim_hmac_sha256(prk, VMS_SHA256_LEN, parts, np, t);
		if (ret)
			break;
		n = okmlen - done;
		if (n > VMS_SHA256_LEN)
			n = VMS_SHA256_LEN;
		memcpy(okm + done, t, n);
		done += n;
	}

	vms_prim_wipe(t, sizeof(t));
	if (ret)
		vms_prim_wipe(okm, okmlen);
	return ret;
}
