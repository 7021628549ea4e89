/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_ekcert.h - trust an EK by its certificate: the TPM
 * manufacturer's X.509 EK certificate (read from the TPM's NV index,
 * 0x01c00002 for RSA-2048, 0x01c0000a for ECC P-256) must chain to one of
 * the TPM manufacturer roots HGS is configured with, and must certify
 * exactly the EK the host presents.
 *
 * The chain is checked by OpenSSL (X509_verify_cert: signatures, validity,
 * basic constraints, critical extensions); the EKU tcg-kp-EKCertificate
 * (2.23.133.8.1) is not required, as not every manufacturer sets it.
 */
#ifndef VMS_TPM_EKCERT_H
#define VMS_TPM_EKCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "vms_hgs_reason.h"
#include "vms_tpm_public.h"

#define VMS_EKCERT_MAX_BYTES	4096

/*
 * @der: the EK certificate; @roots: the trusted manufacturer roots;
 * @untrusted: intermediates (may be NULL). HGS_PASSED,
 * HGS_R_TPM_EK_CERT_INVALID (not DER, or certifies another key),
 * HGS_R_TPM_EK_NOT_REGISTERED (does not chain to a trusted root), or
 * HGS_R_INTERNAL_ERROR.
 */
enum vms_hgs_reason vms_tpm_ek_cert_verify(const uint8_t *der, size_t len,
					   X509_STORE *roots,
					   STACK_OF(X509) *untrusted,
					   const struct vms_tpm_key *ek);

#endif /* VMS_TPM_EKCERT_H */
