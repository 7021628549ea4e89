/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_public.h - TPM2B_PUBLIC areas (EK and AK) as HGS reads them:
 * unmarshalled with libtss2-mu, turned into OpenSSL keys, named.
 *
 * An object's Name is nameAlg (u16, big-endian) || H_nameAlg(TPMT_PUBLIC
 * as marshalled); HGS only accepts SHA-256 names (34 bytes).
 */
#ifndef VMS_TPM_PUBLIC_H
#define VMS_TPM_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "vms_hgs_reason.h"

#define VMS_TPM_NAME_LEN	34

struct vms_tpm_key {
	TPMT_PUBLIC pub;
	EVP_PKEY *pkey;
	uint8_t name[VMS_TPM_NAME_LEN];
};

/*
 * Unmarshal a TPM2B_PUBLIC (nothing may follow it) holding an RSA-2048 or
 * ECC NIST P-256 key with nameAlg SHA-256; fill @k (pub, pkey, name).
 * 0, -EBADMSG (malformed or trailing bytes), -ENOTSUP (other type, size,
 * curve or nameAlg), -ENOMEM.
 */
int vms_tpm_key_load(const uint8_t *tpm2b, size_t len, struct vms_tpm_key *k);
void vms_tpm_key_free(struct vms_tpm_key *k);

/*
 * Load an attestation key: as vms_tpm_key_load, and it must be a
 * restricted signing key that cannot leave its TPM (sign, restricted,
 * fixedTPM, fixedParent, sensitiveDataOrigin; not decrypt) with the only
 * schemes HGS accepts: RSASSA-SHA256 (RSA-2048) or ECDSA-SHA256 (P-256).
 * HGS_PASSED, HGS_R_TPM_AK_INVALID, or HGS_R_INTERNAL_ERROR.
 */
enum vms_hgs_reason vms_tpm_ak_load(const uint8_t *tpm2b, size_t len,
				    struct vms_tpm_key *ak);

/* The endorsement hierarchy's handle: the Qualified Name of its primaries' parent. */
#define VMS_TPM_RH_ENDORSEMENT	0x4000000Bu

/*
 * The Qualified Name of an object named @name whose parent's Qualified
 * Name is @parent_qn (@plen bytes: a hierarchy's 4-byte handle, or a
 * 34-byte Qualified Name): nameAlg || SHA-256(parent QN || Name), as the
 * TPM puts it in TPMS_ATTEST.qualifiedSigner (TPM 2.0 Part 1, "Qualified
 * Name"). SHA-256 names only: 0 or -ENOTSUP / -ENOMEM.
 */
int vms_tpm_qualified_name(const uint8_t *parent_qn, size_t plen,
			   const uint8_t name[VMS_TPM_NAME_LEN],
			   uint8_t out[VMS_TPM_NAME_LEN]);

/*
 * May a quote signed by @ak, with TPMS_ATTEST.qualifiedSigner @signer
 * (@slen bytes), count for the TPM whose EK is named @ek_name? Only if
 * the AK is in the endorsement hierarchy, where the TPM reports its true
 * reset and restart counters: an endorsement primary, or a child of that
 * EK. HGS_PASSED, HGS_R_TPM_AK_HIERARCHY or HGS_R_INTERNAL_ERROR.
 */
enum vms_hgs_reason vms_tpm_signer_check(const struct vms_tpm_key *ak,
					 const uint8_t ek_name[VMS_TPM_NAME_LEN],
					 const uint8_t *signer, size_t slen);

/* Name of @pub (SHA-256 nameAlg only): 0 or -ENOTSUP / -EBADMSG. */
int vms_tpm_public_name(const TPMT_PUBLIC *pub,
			uint8_t name[VMS_TPM_NAME_LEN]);

#endif /* VMS_TPM_PUBLIC_H */
