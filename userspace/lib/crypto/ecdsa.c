// SPDX-License-Identifier: GPL-2.0
/*
 * ecdsa.c - ECDSA signatures in one form: (r, S) and (r, n - S) both
 * verify, so a verifier that takes both accepts two encodings of one
 * signature. Signers here normalise to the low S (S <= n / 2, as Bitcoin
 * and libsecp256k1 do), and verifiers refuse a high S and any DER that
 * does not re-encode to itself.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include "vms_cleanup_ssl.h"
#include "vms_ecdsa.h"

VMS_DEFINE_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)
VMS_DEFINE_CLEANUP(BIGNUM, BN_free)
VMS_DEFINE_CLEANUP(EC_GROUP, EC_GROUP_free)

/* The order n of @key's curve; NULL if @key is not an EC key. */
static BIGNUM *curve_order(const EVP_PKEY *key)
{
	_cleanup_(EC_GROUP_freep) EC_GROUP *grp = NULL;
	char name[64];
	size_t nlen = 0;
	int nid;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, "group", name, sizeof(name), &nlen))
		return NULL;
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	grp = nid == NID_undef ? NULL : EC_GROUP_new_by_curve_name(nid);
	return grp ? BN_dup(EC_GROUP_get0_order(grp)) : NULL;
}

/* @sig parsed, and only if it re-encodes to exactly itself. */
static ECDSA_SIG *parse_canonical(const uint8_t *sig, size_t len)
{
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int dlen;

	if (!s || (size_t)(p - sig) != len)
		goto bad;
	dlen = i2d_ECDSA_SIG(s, &der);
	if (dlen < 0 || (size_t)dlen != len || memcmp(der, sig, len)) {
		OPENSSL_free(der);
		goto bad;
	}
	OPENSSL_free(der);
	return s;
bad:
	ECDSA_SIG_free(s);
	return NULL;
}

/* Is S above n / 2? 1, 0, or -1 on error. */
static int high_s(const ECDSA_SIG *s, const BIGNUM *n)
{
	_cleanup_(BN_freep) BIGNUM *half = BN_dup(n);

	if (!half || !BN_rshift1(half, half))
		return -1;
	return BN_cmp(ECDSA_SIG_get0_s(s), half) > 0;
}

int vms_ecdsa_normalize(const EVP_PKEY *key, uint8_t *sig, size_t *len)
{
	_cleanup_(BN_freep) BIGNUM *n = curve_order(key);
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *s = NULL;
	BIGNUM *r2, *s2;
	unsigned char *der = NULL;
	int h, dlen;

	if (!n)
		return -EINVAL;
	s = parse_canonical(sig, *len);
	if (!s)
		return -EINVAL;
	h = high_s(s, n);
	if (h <= 0)
		return h < 0 ? -ENOMEM : 0;
	r2 = BN_dup(ECDSA_SIG_get0_r(s));
	s2 = BN_new();
	if (!r2 || !s2 || !BN_sub(s2, n, ECDSA_SIG_get0_s(s)) || !ECDSA_SIG_set0(s, r2, s2)) {
		BN_free(r2);
		BN_free(s2);
		return -ENOMEM;
	}
	dlen = i2d_ECDSA_SIG(s, &der);
	if (dlen < 0 || (size_t)dlen > *len) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	memcpy(sig, der, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_free(der);
	return 0;
}

int vms_ecdsa_check_low_s(const EVP_PKEY *key, const uint8_t *sig, size_t len)
{
	_cleanup_(BN_freep) BIGNUM *n = curve_order(key);
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *s = NULL;

	if (!n)
		return -EBADMSG;
	s = parse_canonical(sig, len);
	if (!s || high_s(s, n) != 0)
		return -EBADMSG;
	return 0;
}
