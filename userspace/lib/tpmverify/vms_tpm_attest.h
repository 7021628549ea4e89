/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_attest.h - one TPM-mode verification: everything HGS checks
 * after the EK is known and the AK activated, in the order of
 * Documentation/tpm-attestation.md section 1, stopping at the first
 * failure with its reason code and, where it helps the admin, a detail.
 *
 * The caller (hgsd) owns what needs state: the nonce table, the EK
 * registry and credential activation (vms_tpm_credential.h), the stored
 * baselines, the host's previous clock. Nothing here keeps state.
 */
#ifndef VMS_TPM_ATTEST_H
#define VMS_TPM_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "vms_hgs_attest.h"
#include "vms_hgs_reason.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_policy.h"
#include "vms_tpm_public.h"
#include "vms_tpm_quote.h"

/* What the host sent (all untrusted until checked). */
struct vms_tpm_evidence {
	const uint8_t *attest;		/* TPMS_ATTEST */
	size_t attest_len;
	const uint8_t *sig;		/* TPMT_SIGNATURE */
	size_t sig_len;
	/* PCR values, indexed by PCR number, for the policy's PCRs */
	const uint8_t (*pcr)[VMS_SHA256_LEN];
	const uint8_t *event_log;	/* binary_bios_measurements */
	size_t event_log_len;
	const uint8_t *ima_log;		/* binary_runtime_measurements */
	size_t ima_log_len;
	const uint8_t *nonce;		/* VMS_NONCE_LEN, checked by hgsd */
	const uint8_t *enclave_pk;	/* 32 */
	const char *report;		/* the isolation report line */
	size_t report_len;
};

/* HGS's side: policy and stored state. */
struct vms_tpm_verifier {
	uint32_t pcr_mask;		/* must include 0-7 and 10 */
	/* the registered EK's Name: the AK must be in its hierarchy */
	const uint8_t *ek_name;		/* VMS_TPM_NAME_LEN */
	const struct vms_tpm_policy *policy;
	const struct vms_baseline *baselines;	/* all of them; filtered */
	size_t n_baselines;
	const char *hw_class;		/* the host's hardware class */
	const struct vms_tpm_clock *prev;	/* NULL: first quote */
};

struct vms_tpm_verdict {
	enum vms_hgs_reason reason;
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_clock clock;	/* store it on HGS_PASSED */
	struct vms_isolation_report report;	/* certified on HGS_PASSED */
	const struct vms_baseline *baseline;	/* the one that matched */
};

/*
 * Verify @ev with the activated @ak. Returns @out->reason. Baselines:
 * the enabled ones of @hw_class are tried; none: TpmNoBaseline; none
 * matching: TpmBaselineMismatch with the detail of the baseline the boot
 * follows longest.
 */
enum vms_hgs_reason vms_tpm_attest_verify(const struct vms_tpm_key *ak,
					  const struct vms_tpm_evidence *ev,
					  const struct vms_tpm_verifier *v,
					  struct vms_tpm_verdict *out);

#endif /* VMS_TPM_ATTEST_H */
