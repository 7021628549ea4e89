/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_host_tpm.h - the guarded host's side of TPM-mode attestation, over
 * tpm2-tss ESAPI: the EK's public key (the host's TPM identity), an
 * attestation key (AK) in the endorsement hierarchy, credential activation
 * (proving to HGS that the AK lives in the TPM that holds the EK), and
 * quotes. Everything crosses this interface in TPM wire format (the
 * marshalled TPM2B_PUBLIC, TPM2B_ATTEST, TPMT_SIGNATURE...), the format HGS
 * parses with libtss2-mu on its side.
 *
 * The AK is a primary key derived from the endorsement seed with a fixed
 * template (restricted, sign, fixedTPM, fixedParent, ECDSA P-256 with
 * SHA-256): the same TPM gives the same AK after every boot, and no key
 * blob has to be stored on the host.
 *
 * Functions return 0 or a negative errno: -ENODEV no TPM (or no TCTI),
 * -EIO a TPM command failed (the TPM response code is in
 * vms_host_tpm_error()), -EINVAL bad arguments, -ENOMEM.
 */
#ifndef VMS_HOST_TPM_H
#define VMS_HOST_TPM_H

#include <stddef.h>
#include <stdint.h>

/* "device:/dev/tpmrm0": the kernel's resource manager */
#define VMS_HOST_TPM_DEFAULT_TCTI	"device:/dev/tpmrm0"
/* where swtpm_setup --createek and most provisioning tools keep the EK */
#define VMS_HOST_TPM_EK_HANDLE		0x81010001u
#define VMS_HOST_TPM_MAX_PCR		23

struct vms_host_tpm;

/* @tcti: a tpm2-tss TCTI string ("swtpm:port=2321"), NULL for the default. */
int vms_host_tpm_open(struct vms_host_tpm **out, const char *tcti);
void vms_host_tpm_close(struct vms_host_tpm *t);
/* The last TPM response code, as text ("0x0000098e: ..."), or "". */
const char *vms_host_tpm_error(struct vms_host_tpm *t);

/*
 * The EK's public area as a marshalled TPM2B_PUBLIC (malloc'ed). The EK is
 * read from VMS_HOST_TPM_EK_HANDLE when it is there, otherwise created from
 * the TCG default RSA 2048 template (the same key: it is derived from the
 * endorsement seed).
 */
int vms_host_tpm_ek_public(struct vms_host_tpm *t, uint8_t **pub,
			   size_t *len);
/* The AK's public area (marshalled TPM2B_PUBLIC) and its Name. */
int vms_host_tpm_ak_public(struct vms_host_tpm *t, uint8_t **pub,
			   size_t *len, uint8_t name[34], size_t *name_len);

/*
 * TPM2_ActivateCredential with the AK and the EK: @id_object is a
 * marshalled TPM2B_ID_OBJECT and @secret a marshalled
 * TPM2B_ENCRYPTED_SECRET, as TPM2_MakeCredential made them for the EK and
 * the AK's Name. On success @cred (at most 64 bytes) receives the
 * credential; -EIO when the TPM refuses (another TPM, another AK, a
 * tampered blob).
 */
int vms_host_tpm_activate(struct vms_host_tpm *t, const uint8_t *id_object,
			  size_t id_len, const uint8_t *secret,
			  size_t secret_len, uint8_t *cred, size_t *cred_len);

/*
 * TPM2_Quote by the AK over the SHA-256 PCRs in @pcr_mask (bit n = PCR n)
 * with @qualifying (at most 64 bytes). Out (malloc'ed): the marshalled
 * TPM2B_ATTEST and TPMT_SIGNATURE, and the PCR values read right after the
 * quote, 32 bytes each in PCR order (HGS recomputes the quote's PCR digest
 * from them; if a PCR changed in between, that check fails and the host
 * retries).
 */
int vms_host_tpm_quote(struct vms_host_tpm *t, uint32_t pcr_mask,
		       const uint8_t *qualifying, size_t qlen,
		       uint8_t **attest, size_t *attest_len,
		       uint8_t **sig, size_t *sig_len,
		       uint8_t **pcrs, size_t *pcrs_len);

#endif /* VMS_HOST_TPM_H */
