/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_policy.h - what TPM mode certifies about a host, from evidence
 * the TPM covers: the enclave key binding (the module's own IMA entry)
 * and the code-integrity and hardening policies.
 *
 * Binding (vms_tpm_bind_report): the IMA list must replay to the quoted
 * PCR 10 (ImaLogReplayMismatch); within the replayed prefix the module's
 * latest "vmshield-report" entry must exist (ImaReportEntryMissing) and
 * its buffer must be exactly the report the host sent, naming the
 * enclave key sent (ImaReportMismatch). Only then is that key certified:
 * root can choose the quote's qualifying data, but cannot add an entry
 * to the kernel's list without the replay breaking.
 *
 * Policies (vms_tpm_policy_evaluate), each its own reason, in this order:
 *  lockdown at least min_lockdown, from the measured report
 *    (PolicyLockdownInsufficient);
 *  module signatures enforced and vmshield.ko's verified, from the
 *    measured report (PolicyModuleSigNotEnforced);
 *  a loaded vmshield.ko whose digest is approved, from the IMA list
 *    (PolicyModuleNotMeasured);
 *  with the allowlist or appraisal asked for, no measurement violation
 *    in the list (PolicyImaViolation: IMA records a zero digest for a
 *    file measured while open for writing, so its content is unknown),
 *    unless allow_ima_violations;
 *  every measured file's digest in the runtime allowlist
 *    (PolicyExecutableNotAllowed; the detail names the first other one);
 *  IMA appraisal with signatures (vms_ima_sig.h), three steps: every key
 *    the list shows loaded into the IMA keyring is an approved one (by
 *    its certificate's SHA-256; PolicyImaKeyNotApproved; a key entry
 *    whose digest is not its buffer's: ImaLogMalformed), at least one
 *    approved key was loaded, and every measured file carries a v2
 *    signature by a loaded approved key that verifies over its SHA-256
 *    digest (both PolicyImaAppraisalNotProven);
 *  Secure Boot enabled as the boot log's SecureBoot variable shows
 *    (PolicySecureBootNotProven).
 * Each check runs only if the policy asks for it.
 */
#ifndef VMS_TPM_POLICY_H
#define VMS_TPM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vms_hgs_attest.h"
#include "vms_hgs_reason.h"
#include "vms_ima_log.h"
#include "vms_ima_sig.h"
#include "vms_tpm_eventlog.h"

#define VMS_POLICY_DETAIL_MAX	256

struct vms_tpm_policy {
	unsigned int min_lockdown;		/* VMSHIELD_LOCKDOWN_* */
	int require_module_sig;
	/*
	 * Certify the report the module measured at load (the first of this
	 * boot), not the latest: for hosts that boot locked (lockdown on the
	 * measured command line, vmshield.ko loaded from the measured
	 * initramfs), so a later report appended by root cannot raise what
	 * is certified. tpm-attestation.md section 3.
	 */
	int report_at_load;
	/* approved vmshield.ko SHA-256 digests; NULL: not checked */
	const uint8_t (*module_digests)[32];
	size_t n_module_digests;
	/* runtime allowlist of file SHA-256 digests; NULL: not checked */
	const uint8_t (*allowlist)[32];
	size_t n_allowlist;
	int require_ima_appraisal;
	/*
	 * Let IMA violations pass the allowlist and appraisal checks: for
	 * IMA policies that measure the files root reads (tcb), where a log
	 * read while written is one. Off: any violation fails them.
	 */
	int allow_ima_violations;
	/*
	 * 1: do not refuse a report of the certified key at a lower level
	 * earlier in the list (vms_tpm_key_history). Only for evidence
	 * captured from a module older than issue 16's fix; never in
	 * production.
	 */
	int allow_key_level_history;
	/* the report's lockdown_at_load must reach min_lockdown (issue 16) */
	int require_locked_at_load;
	/* the report's Yama ptrace_scope must be 3 (issue 16) */
	int require_ptrace_scope3;
	/* the report must say no crash kernel is loaded (issue 16) */
	int require_no_crash_kernel;
	/*
	 * approved IMA signing keys (owned by the caller); none: nothing
	 * can pass the appraisal check
	 */
	const struct vms_ima_key *ima_keys;
	size_t n_ima_keys;
	int require_secure_boot;
	/*
	 * Policies read from the measured boot (vms_tpm_boot_policy.h, issue
	 * 16): lockdown set on the measured kernel command line, and the IMA
	 * appraisal policy (approved policy file digests; NULL: not checked).
	 */
	int require_lockdown_cmdline;
	const uint8_t (*ima_policy_digests)[32];
	size_t n_ima_policy_digests;
};

/*
 * Bind the report to the quoted PCR 10. On HGS_PASSED, *@covered is the
 * number of IMA entries the quote covers and @r the parsed report.
 */
enum vms_hgs_reason vms_tpm_bind_report(const struct vms_ima_log *ima,
					const uint8_t pcr10[32],
					const uint8_t enclave_pk[32],
					const char *report, size_t rlen,
					size_t *covered,
					struct vms_isolation_report *r);

/*
 * The first "vmshield-report" entry among the first @covered, parsed into
 * @r. Call after vms_tpm_bind_report() passed (which checked every such
 * entry's digest and that all name one key). HGS_R_IMA_REPORT_ENTRY_MISSING
 * or HGS_R_REPORT_MALFORMED otherwise.
 */
enum vms_hgs_reason vms_tpm_first_report(const struct vms_ima_log *ima,
					 size_t covered,
					 struct vms_isolation_report *r);

/*
 * A key is never certified above the lowest level it lived at: among the
 * first @covered entries, a report naming @r's enclave key at a lower
 * level or lockdown than @r is HGS_R_IMA_REPORT_LEVEL_LOWER (reports of
 * other keys are vms_tpm_bind_report()'s). Call after the binding passed.
 */
enum vms_hgs_reason vms_tpm_key_history(const struct vms_ima_log *ima,
					size_t covered,
					const struct vms_isolation_report *r);

/* @detail (VMS_POLICY_DETAIL_MAX) says what failed, for the admin. */
enum vms_hgs_reason
vms_tpm_policy_evaluate(const struct vms_tpm_policy *p,
			const struct vms_isolation_report *r,
			const struct vms_ima_log *ima, size_t covered,
			const struct vms_tpm_eventlog *boot, char *detail);

#endif /* VMS_TPM_POLICY_H */
