/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_credential.h - the HGS side of TPM2_MakeCredential: a secret
 * only the TPM holding the registered EK can recover, and only for an AK
 * of the given Name loaded in that same TPM (TPM2_ActivateCredential).
 *
 * TPM 2.0 Library, Part 1, "Credential Protection" and "Secret sharing":
 *  seed: RSA EK: 32 random bytes, RSA-OAEP(SHA-256, label "IDENTITY\0")
 *        to the EK; ECC EK: ECDH of an ephemeral P-256 key with the EK,
 *        seed = KDFe(SHA-256, Z.x, "IDENTITY", eph.x, ek.x, 256), the
 *        encrypted secret is the ephemeral point (TPMS_ECC_POINT);
 *  symKey  = KDFa(SHA-256, seed, "STORAGE", AK Name, -, EK's AES bits)
 *  encIdentity = AES-CFB(symKey, IV 0) over TPM2B_DIGEST(secret)
 *  hmacKey = KDFa(SHA-256, seed, "INTEGRITY", -, -, 256)
 *  outerHMAC = HMAC-SHA256(hmacKey, encIdentity || AK Name)
 *  credentialBlob (TPM2B_ID_OBJECT) = TPM2B_DIGEST(outerHMAC) || encIdentity
 * KDFa is SP 800-108 counter-mode HMAC (OpenSSL KBKDF), KDFe the
 * SP 800-56A hash KDF (OpenSSL SSKDF). The seed and derived keys are
 * wiped before returning.
 */
#ifndef VMS_TPM_CREDENTIAL_H
#define VMS_TPM_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "vms_tpm_public.h"

#define VMS_CREDENTIAL_MAX	32	/* a SHA-256-sized TPM2B_DIGEST */

/*
 * Make a credential for the AK named @ak_name, to @ek (RSA-2048 or ECC
 * P-256 storage key with AES-128/256-CFB: the default EK templates).
 * Output: the marshalled TPM2B_ID_OBJECT (@id, @id_len) and
 * TPM2B_ENCRYPTED_SECRET (@es, @es_len), malloc'ed, as
 * Esys_ActivateCredential takes them. 0, -EINVAL (@secret empty or over
 * 32 bytes), -ENOTSUP (the EK is not a restricted decryption key with
 * AES-CFB), -ENOMEM.
 */
int vms_tpm_make_credential(const struct vms_tpm_key *ek,
			    const uint8_t ak_name[VMS_TPM_NAME_LEN],
			    const uint8_t *secret, size_t slen,
			    uint8_t **id, size_t *id_len,
			    uint8_t **es, size_t *es_len);

/*
 * The activated secret the host returned vs the one made: constant time.
 * HGS_PASSED or HGS_R_TPM_AK_NOT_ACTIVATED.
 */
enum vms_hgs_reason vms_tpm_credential_check(const uint8_t *expected,
					     size_t elen,
					     const uint8_t *got, size_t glen);

#endif /* VMS_TPM_CREDENTIAL_H */
