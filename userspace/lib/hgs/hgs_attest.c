// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_attest.c - the host-key attestation signature. (The isolation report
 * it signs is core/report.c's.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vms_cleanup_ssl.h"
#include "vms_ecdsa.h"
#include "vms_hgs_attest.h"
#include "vms_x509.h"

static int attest_message(const uint8_t nonce[VMS_NONCE_LEN],
			  const uint8_t pk[32], const char *report,
			  size_t rlen, uint8_t **msg, size_t *mlen)
{
	size_t llen = sizeof(VMS_ATTEST_LABEL);	/* with its NUL */
	uint8_t *m;

	if (rlen >= VMS_REPORT_MAX)
		return -EINVAL;
	*mlen = llen + VMS_NONCE_LEN + 32 + rlen;
	m = malloc(*mlen);
	if (!m)
		return -ENOMEM;
	memcpy(m, VMS_ATTEST_LABEL, llen);
	memcpy(m + llen, nonce, VMS_NONCE_LEN);
	memcpy(m + llen + VMS_NONCE_LEN, pk, 32);
	memcpy(m + llen + VMS_NONCE_LEN + 32, report, rlen);
	*msg = m;
	return 0;
}

static const EVP_MD *host_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

int vms_attest_sign(EVP_PKEY *host_key, const uint8_t nonce[VMS_NONCE_LEN],
		    const uint8_t enclave_pk[32], const char *report,
		    size_t rlen, uint8_t **sig, size_t *siglen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_(vms_freep) uint8_t *msg = NULL;
	size_t mlen, slen = 0;
	int r;

	*sig = NULL;
	if (!vms_pkey_is_host_key_type(host_key))
		return -EINVAL;
	r = attest_message(nonce, enclave_pk, report, rlen, &msg, &mlen);
	if (r)
		return r;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, host_md(host_key), NULL, host_key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, msg, mlen) != 1)
		return -EIO;
	*sig = malloc(slen);
	if (!*sig)
		return -ENOMEM;
	if (EVP_DigestSign(ctx, *sig, &slen, msg, mlen) != 1 ||
	    (EVP_PKEY_get_base_id(host_key) == EVP_PKEY_EC &&
	     vms_ecdsa_normalize(host_key, *sig, &slen))) {
		free(*sig);
		*sig = NULL;
		return -EIO;
	}
	*siglen = slen;
	return 0;
}

int vms_attest_verify(EVP_PKEY *host_pub, const uint8_t nonce[VMS_NONCE_LEN],
		      const uint8_t enclave_pk[32], const char *report,
		      size_t rlen, const uint8_t *sig, size_t siglen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_(vms_freep) uint8_t *msg = NULL;
	size_t mlen;
	int r;

	if (!vms_pkey_is_host_key_type(host_pub))
		return -EINVAL;
	r = attest_message(nonce, enclave_pk, report, rlen, &msg, &mlen);
	if (r)
		return r;
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, host_md(host_pub), NULL, host_pub) != 1)
		return -EIO;
	/* ECDSA: one form only (low S, canonical DER) */
	if (EVP_PKEY_get_base_id(host_pub) == EVP_PKEY_EC &&
	    vms_ecdsa_check_low_s(host_pub, sig, siglen))
		return -EBADMSG;
	return EVP_DigestVerify(ctx, sig, siglen, msg, mlen) == 1 ? 0 : -EBADMSG;
}
