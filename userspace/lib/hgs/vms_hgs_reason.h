/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_reason.h - HGS status and sub-status codes (reason codes).
 *
 * Every hgsd answer carries "status": "Passed" or "Failed"; a failure adds
 * "substatus" (one of the names below, stable, for scripts) and "message"
 * (what the admin or tenant should fix). Messages are fixed text: they
 * never contain key material, request data or which internal check of a
 * cryptographic operation failed beyond what the name says.
 * Documentation/hgs-protocol.md lists them all.
 */
#ifndef VMS_HGS_REASON_H
#define VMS_HGS_REASON_H

enum vms_hgs_reason {
	HGS_PASSED = 0,
	/* request shape */
	HGS_R_INVALID_REQUEST,
	HGS_R_REQUEST_TOO_LARGE,
	HGS_R_UNKNOWN_ENDPOINT,
	HGS_R_METHOD_NOT_ALLOWED,
	HGS_R_INTERNAL_ERROR,
	HGS_R_BUSY,
	/* attestation */
	HGS_R_HOST_NOT_REGISTERED,
	HGS_R_HOST_DISABLED,
	HGS_R_HOST_SIGNATURE_INVALID,
	HGS_R_NONCE_UNKNOWN,
	HGS_R_NONCE_REPLAYED,
	HGS_R_NONCE_EXPIRED,
	HGS_R_NONCE_SESSION_MISMATCH,
	HGS_R_REPORT_MALFORMED,
	HGS_R_ENCLAVE_KEY_MISMATCH,
	HGS_R_ISOLATION_LEVEL_TOO_LOW,
	HGS_R_MODULE_SIGNATURE_NOT_VERIFIED,
	/* health certificate (KPS) */
	HGS_R_CERT_MALFORMED,
	HGS_R_CERT_UNTRUSTED_SIGNER,
	HGS_R_CERT_EXPIRED,
	HGS_R_CERT_REVOKED,
	HGS_R_HOST_KEY_CHANGED,
	/* key protector (KPS) */
	HGS_R_KP_MALFORMED,
	HGS_R_KP_SIGNATURE_INVALID,
	HGS_R_KP_NOT_FOR_THIS_HGS,
	HGS_R_KP_UNWRAP_FAILED,
	HGS_R_VM_ID_MISMATCH,
	HGS_R_ISOLATION_INSUFFICIENT_FOR_POLICY,
	HGS_R_NO_APPROVED_WORKER,
	HGS_R_ATTESTATION_MODE_INSUFFICIENT,
	/* admin */
	HGS_R_ADMIN_CREDENTIALS_REQUIRED,
	HGS_R_ADMIN_NOT_AUTHORIZED,
	HGS_R_HOST_KEY_CONFLICT,
	HGS_R_HOST_KEY_UNSUPPORTED,
	HGS_R_NO_SUCH_OBJECT,
	/* added with the admin gaps (append only: the numbering is shared) */
	HGS_R_ADMIN_CERT_REVOKED,
	HGS_R_ADMIN_CERT_NOT_ALLOWED,
	HGS_R_KP_GUARDIAN_DISABLED,
	HGS_R_GUARDIAN_PROTECTED,
	/*
	 * TPM mode (Documentation/tpm-attestation.md). Appended so that the
	 * numbers of the codes above never change.
	 */
	/* identity: EK and AK */
	HGS_R_TPM_EK_NOT_REGISTERED,
	HGS_R_TPM_EK_CONFLICT,
	HGS_R_TPM_AK_INVALID,
	HGS_R_TPM_AK_NOT_ACTIVATED,
	/* quote */
	HGS_R_TPM_QUOTE_MALFORMED,
	HGS_R_TPM_QUOTE_MAGIC_INVALID,
	HGS_R_TPM_QUOTE_TYPE_INVALID,
	HGS_R_TPM_QUOTE_SIGNATURE_INVALID,
	HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED,
	HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH,
	HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH,
	HGS_R_TPM_QUOTE_PCR_BANK_UNSUPPORTED,
	HGS_R_TPM_QUOTE_PCR_DIGEST_MISMATCH,
	HGS_R_TPM_QUOTE_REPLAYED,
	HGS_R_TPM_RESET_COUNT_WENT_BACKWARDS,
	HGS_R_TPM_RESTART_COUNT_WENT_BACKWARDS,
	HGS_R_TPM_CLOCK_WENT_BACKWARDS,
	/* boot event log and baselines */
	HGS_R_TPM_EVENT_LOG_MALFORMED,
	HGS_R_TPM_EVENT_LOG_REPLAY_MISMATCH,
	HGS_R_TPM_BASELINE_MISMATCH,
	HGS_R_TPM_NO_BASELINE,
	/* IMA measurement list and the module's entry */
	HGS_R_IMA_LOG_MALFORMED,
	HGS_R_IMA_LOG_REPLAY_MISMATCH,
	HGS_R_IMA_REPORT_ENTRY_MISSING,
	HGS_R_IMA_REPORT_MISMATCH,
	/* code-integrity and hardening policies */
	HGS_R_POLICY_LOCKDOWN_INSUFFICIENT,
	HGS_R_POLICY_MODULE_SIG_NOT_ENFORCED,
	HGS_R_POLICY_MODULE_NOT_MEASURED,
	HGS_R_POLICY_EXECUTABLE_NOT_ALLOWED,
	HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
	HGS_R_POLICY_SECURE_BOOT_NOT_PROVEN,
	HGS_R_TPM_EK_CERT_INVALID,
	HGS_R_POLICY_IMA_KEY_NOT_APPROVED,	/* appended: codes never move */
	HGS_R_IMA_REPORT_CONFLICT,		/* appended */
	HGS_R_POLICY_IMA_VIOLATION,		/* appended */
	HGS_R_TPM_AK_HIERARCHY,			/* appended */
	HGS_R_TPM_EK_IN_USE,			/* appended */
	/*
	 * The hypervisor placement: the enclave report and the platform
	 * that signs it (Documentation/hgs-protocol.md). Appended.
	 */
	HGS_R_ENCLAVE_REPORT_MALFORMED,
	HGS_R_ENCLAVE_PLATFORM_UNKNOWN,
	HGS_R_ENCLAVE_PLATFORM_DISABLED,
	HGS_R_ENCLAVE_PLATFORM_NOT_SUPPORTED,
	HGS_R_ENCLAVE_REPORT_SIGNATURE_INVALID,
	HGS_R_ENCLAVE_REPORT_NONCE_MISMATCH,
	HGS_R_ENCLAVE_PROGRAM_NOT_APPROVED,
	HGS_R_ENCLAVE_REPORT_MISSING,
	HGS_R_PLATFORM_TYPE_NOT_ALLOWED,
	HGS_R_PLACEMENT_NOT_ALLOWED,
	HGS_R_PLATFORM_CONFLICT,
	HGS_R_VTPM_IN_ENCLAVE_UNAVAILABLE,	/* appended: vtpm-in-enclave.md */
	HGS_R_ENCLAVE_CHALLENGE_REQUIRED,
	HGS_R_ENCLAVE_REPORT_UNEXPECTED,
	HGS_R_KP_SUPERSEDED,		/* appended: the TK roll (issue 20) */
	HGS_R_TK_ROLL_NOT_PENDING,
	HGS_R_KPS_KEY_MISMATCH,			/* appended: formats.md §1 */
	HGS_R_IMA_REPORT_LEVEL_LOWER,		/* appended: issue 16 */
	HGS_R_POLICY_LOCKDOWN_AT_LOAD_INSUFFICIENT,
	HGS_R_POLICY_PTRACE_SCOPE_INSUFFICIENT,
	HGS_R_POLICY_CRASH_KERNEL_LOADED,
	HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,	/* appended: issue 16 (boot) */
	HGS_R_POLICY_IMA_POLICY_NOT_PROVEN,
	HGS_R_MIGRATION_ROLL_PENDING,	/* appended: live migration (issue 20) */
	HGS_R_MIGRATION_SOURCE_STALE,
	HGS_R_MIGRATION_TO_SOURCE,
	HGS_R_MIGRATION_NOT_CONFIRMED,
	HGS_R_MIGRATION_NOT_FOUND,
	HGS_R_KPS_KEY_NOT_NAMED,		/* appended: issue 17, kps_pk=none */
	HGS_R_VTPM_GENERATION_STALE,	/* appended: issue 21, vtpm-in-enclave.md §2 */
	HGS_R_VTPM_STATEMENT_INVALID,
	HGS_R_VTPM_STATEMENT_MISMATCH,
	HGS_R_TK_ROLL_REQUIRED,			/* appended: the roll left out (issue 20) */
	HGS_R__MAX,
};

/* The sub-status name ("Passed" for HGS_PASSED). */
const char *vms_hgs_reason_name(enum vms_hgs_reason r);
/* The HTTP status code hgsd answers with. */
unsigned int vms_hgs_reason_http(enum vms_hgs_reason r);
/* What to do about it, for a person. */
const char *vms_hgs_reason_message(enum vms_hgs_reason r);
/* Name back to code; -1 if unknown. */
int vms_hgs_reason_from_name(const char *name);

#endif /* VMS_HGS_REASON_H */
