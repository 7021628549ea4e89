// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_ekcert.c - EK certificate chain and key check. See vms_tpm_ekcert.h.
 */
#include <openssl/x509.h>

#include "vms_cleanup_ssl.h"
#include "vms_tpm_ekcert.h"

enum vms_hgs_reason vms_tpm_ek_cert_verify(const uint8_t *der, size_t len,
					   X509_STORE *roots,
					   STACK_OF(X509) *untrusted,
					   const struct vms_tpm_key *ek)
{
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	const uint8_t *p = der;
	EVP_PKEY *pub;

	if (!der || len == 0 || len > VMS_EKCERT_MAX_BYTES || !ek || !ek->pkey)
		return HGS_R_TPM_EK_CERT_INVALID;
	cert = d2i_X509(NULL, &p, (long)len);
	if (!cert || p != der + len)
		return HGS_R_TPM_EK_CERT_INVALID;
	/* the certificate must name the EK the host presents, no other */
	pub = X509_get0_pubkey(cert);
	if (!pub || EVP_PKEY_eq(pub, ek->pkey) != 1)
		return HGS_R_TPM_EK_CERT_INVALID;
	if (!roots)
		return HGS_R_TPM_EK_NOT_REGISTERED;
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, roots, cert, untrusted))
		return HGS_R_INTERNAL_ERROR;
	if (X509_verify_cert(ctx) != 1)
		return HGS_R_TPM_EK_NOT_REGISTERED;
	return HGS_PASSED;
}
