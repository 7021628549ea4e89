/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_boot_policy.h - the policies HGS reads from the measured boot
 * rather than from the module's report (issue 16;
 * Documentation/tpm-attestation.md section 6a):
 *
 *  lockdown from the measured kernel command line
 *    (require_lockdown_cmdline, PolicyLockdownNotOnCmdline): the one
 *    kernel command line the boot log shows on PCR 8 (GRUB's record,
 *    vms_tpm_cmdline.h), PCR 8 quoted, its text what its digest covers,
 *    sets lockdown= at least the policy's level and at least the level
 *    the report claims (a higher level in the report came later, from
 *    sysfs, after code root chose could have run);
 *
 *  the IMA appraisal policy (ima_policy_digests, PolicyImaPolicyNotProven):
 *    the same measured command line leaves appraisal enforcing (no
 *    ima_appraise= but "enforce"), and the quoted IMA list shows a file
 *    whose SHA-256 is an approved IMA policy: IMA measures the policy
 *    file it reads when a policy is loaded by path (POLICY_CHECK), and
 *    Debian's kernel (no CONFIG_IMA_WRITE_POLICY) takes one policy per
 *    boot. What this does not prove: tpm-attestation.md section 6a.
 */
#ifndef VMS_TPM_BOOT_POLICY_H
#define VMS_TPM_BOOT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vms_tpm_policy.h"

/*
 * Run the boot policies @p asks for, in the order above. @quoted: the
 * PCRs the quote covered (the boot log replayed to them); @r the
 * certified report; @covered the IMA entries the quote covers. HGS_PASSED
 * or the first refusal, with @detail (VMS_POLICY_DETAIL_MAX) for the admin.
 */
enum vms_hgs_reason
vms_tpm_boot_policy_evaluate(const struct vms_tpm_policy *p,
			     const struct vms_isolation_report *r,
			     const struct vms_tpm_eventlog *boot,
			     uint32_t quoted,
			     const struct vms_ima_log *ima, size_t covered,
			     char *detail);

#endif /* VMS_TPM_BOOT_POLICY_H */
