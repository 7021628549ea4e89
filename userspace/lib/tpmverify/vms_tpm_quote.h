/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_quote.h - verify a TPM2_Quote for HGS (TPM mode).
 *
 * Qualifying data (TPM2_Quote's extraData), 32 bytes:
 *   SHA-256("vmshield-quote v1" || 0x00 || nonce (32) || enclave_pk (32)
 *           || report)
 * where report is the module's isolation report line (no newline). The
 * label separates it from any other hash; nonce and key are fixed length,
 * so the report is what remains. It proves freshness only: the enclave
 * key is certified by the module's own IMA entry (vms_ima_log.h), never
 * by this hash, which userspace chooses.
 *
 * vms_tpm_quote_verify checks, in this order, each with its own reason:
 * magic == TPM_GENERATED_VALUE (TpmQuoteMagicInvalid); type ==
 * TPM_ST_ATTEST_QUOTE (TpmQuoteTypeInvalid); the attest structure and
 * the signature parse with nothing after them (TpmQuoteMalformed); the
 * signature is the AK's
 * own scheme, RSASSA-SHA256 or ECDSA-SHA256 (TpmQuoteSchemeUnsupported)
 * and verifies over the attest bytes (TpmQuoteSignatureInvalid);
 * extraData == the expected qualifying data
 * (TpmQuoteQualifyingDataMismatch); the PCR selection is the SHA-256
 * bank only (TpmQuotePcrBankUnsupported) and exactly the PCRs asked for
 * (TpmQuotePcrSelectionMismatch); pcrDigest == SHA-256 over the PCR
 * values in ascending PCR order (TpmQuotePcrDigestMismatch).
 */
#ifndef VMS_TPM_QUOTE_H
#define VMS_TPM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "vms_hgs_reason.h"
#include "vms_tpm_eventlog.h"
#include "vms_tpm_public.h"

#define VMS_QUOTE_LABEL		"vmshield-quote v1"
#define VMS_QUOTE_QD_LEN	32
#define VMS_QUOTE_MAX_BYTES	1024	/* TPMS_ATTEST and TPMT_SIGNATURE */

/* The TPM's clock and counters at the quote, for the monotonic check. */
struct vms_tpm_clock {
	uint64_t clock;		/* ms the TPM has been powered, non-volatile */
	uint32_t reset_count;	/* TPM Resets (reboots) */
	uint32_t restart_count;	/* TPM Restarts / Resumes since the reset */
	int safe;		/* clock not behind a value already reported */
};

int vms_tpm_qualifying_data(const uint8_t nonce[32], const uint8_t pk[32],
			    const char *report, size_t rlen,
			    uint8_t out[VMS_QUOTE_QD_LEN]);

/*
 * Verify @attest (TPMS_ATTEST as the TPM marshalled it) and @sig
 * (TPMT_SIGNATURE) against @ak (from vms_tpm_ak_load), @qd, the PCR
 * selection @mask (SHA-256 bank) and the claimed @pcr values (indexed by
 * PCR number). On HGS_PASSED fills @clk.
 */
enum vms_hgs_reason
vms_tpm_quote_verify(const struct vms_tpm_key *ak,
		     const uint8_t *attest, size_t alen,
		     const uint8_t *sig, size_t slen,
		     const uint8_t qd[VMS_QUOTE_QD_LEN], uint32_t mask,
		     const uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN],
		     struct vms_tpm_clock *clk);

/*
 * TPMS_ATTEST.qualifiedSigner of @attest (at most @cap bytes into @out,
 * its length in @olen): 0 or -EBADMSG. Meaningful once
 * vms_tpm_quote_verify passed; vms_tpm_signer_check judges it.
 */
int vms_tpm_quote_signer(const uint8_t *attest, size_t alen, uint8_t *out,
			 size_t cap, size_t *olen);

/* The signature alone (benchmark baseline): 0 or -EBADMSG/-ENOTSUP. */
int vms_tpm_signature_verify(const struct vms_tpm_key *ak,
			     const uint8_t *msg, size_t mlen,
			     const uint8_t *sig, size_t slen);

/*
 * A host's counters never go backwards: reset_count never decreases;
 * within one reset, restart_count never decreases; within one reset and
 * restart, clock never decreases, and an identical clock is the same
 * quote again (TpmQuoteReplayed). Across a reset the clock is not
 * compared (a TPM that lost power unorderly may restart behind).
 */
enum vms_hgs_reason vms_tpm_clock_check(const struct vms_tpm_clock *prev,
					const struct vms_tpm_clock *cur);

#endif /* VMS_TPM_QUOTE_H */
