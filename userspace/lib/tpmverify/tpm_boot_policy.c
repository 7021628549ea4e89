// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_boot_policy.c - policies read from the measured kernel command line
 * and the IMA list: lockdown from boot, the IMA appraisal policy. See
 * vms_tpm_boot_policy.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/vmshield.h>

#include "vms_tpm_boot_policy.h"
#include "vms_tpm_cmdline.h"

/*
 * The measured kernel command line, or NULL with @detail saying why it
 * cannot be believed: PCR 8 not quoted (its events replay to nothing
 * the TPM signed), none logged, more than one (one boot loads one
 * kernel; a second is root's, extended later), or text that is not what
 * the digest covers.
 */
static const char *measured_cmdline(const struct vms_tpm_eventlog *boot,
				    uint32_t quoted, char *detail)
{
	if (!(quoted & 1u << VMS_KERNEL_CMDLINE_PCR)) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "PCR %u (the kernel command line) is not quoted: add it to tpm_pcrs",
			 VMS_KERNEL_CMDLINE_PCR);
		return NULL;
	}
	if (!boot->n_cmdlines) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "the boot event log has no kernel command line on PCR %u (the boot loader does not measure it)",
			 VMS_KERNEL_CMDLINE_PCR);
		return NULL;
	}
	if (boot->n_cmdlines > 1) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "the boot event log has %u kernel command lines on PCR %u, one boot has one",
			 boot->n_cmdlines, VMS_KERNEL_CMDLINE_PCR);
		return NULL;
	}
	if (boot->cmdline_bad_event) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "event %u: the kernel command line is not what its digest covers; the log was edited",
			 boot->cmdline_bad_event - 1);
		return NULL;
	}
	return boot->cmdline;
}

static enum vms_hgs_reason
check_lockdown_cmdline(const struct vms_tpm_policy *p,
		       const struct vms_isolation_report *r,
		       const struct vms_tpm_eventlog *boot, uint32_t quoted,
		       char *detail)
{
	const char *line = measured_cmdline(boot, quoted, detail);
	unsigned int need = p->min_lockdown;
	int level;

	if (!line)
		return HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE;
	level = vms_kcmdline_lockdown(line);
	if (level < 0) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "event %u: the kernel command line cannot be read (%s)",
			 boot->cmdline_event, strerror(-level));
		return HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE;
	}
	if (level == VMSHIELD_LOCKDOWN_NONE) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "event %u: the measured kernel command line sets no lockdown=; a lockdown the report shows came later, from sysfs",
			 boot->cmdline_event);
		return HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE;
	}
	if ((unsigned int)level < r->lockdown) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "event %u: the measured kernel command line sets lockdown=%s; the report's %s came later, from sysfs",
			 boot->cmdline_event, vms_lockdown_level_name(level),
			 vms_lockdown_level_name(r->lockdown));
		return HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE;
	}
	if (need < VMSHIELD_LOCKDOWN_INTEGRITY)
		need = VMSHIELD_LOCKDOWN_INTEGRITY;
	if ((unsigned int)level < need) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "event %u: the measured kernel command line sets lockdown=%s, policy needs %s",
			 boot->cmdline_event, vms_lockdown_level_name(level),
			 vms_lockdown_level_name(need));
		return HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE;
	}
	return HGS_PASSED;
}

static int approved_policy(const struct vms_tpm_policy *p,
			   const struct vms_ima_entry *e)
{
	size_t i;

	if (!vms_ima_entry_is_file(e) || strcmp(e->algo, "sha256") ||
	    e->digest_len != 32)
		return 0;
	for (i = 0; i < p->n_ima_policy_digests; i++)
		if (!memcmp(p->ima_policy_digests[i], e->digest, 32))
			return 1;
	return 0;
}

static enum vms_hgs_reason
check_ima_policy(const struct vms_tpm_policy *p,
		 const struct vms_tpm_eventlog *boot, uint32_t quoted,
		 const struct vms_ima_log *ima, size_t covered, char *detail)
{
	char bad[VMS_KCMDLINE_VALUE_MAX];
	const char *line = measured_cmdline(boot, quoted, detail);
	size_t i;
	int ret;

	if (!line)
		return HGS_R_POLICY_IMA_POLICY_NOT_PROVEN;
	ret = vms_kcmdline_ima_enforced(line, bad);
	if (ret <= 0) {
		size_t j;

		/* the value came from the host: printable ASCII only */
		for (j = 0; bad[j]; j++)
			if (bad[j] < 0x20 || bad[j] > 0x7e)
				bad[j] = '?';
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 ret ? "event %u: the kernel command line cannot be read" :
			 "event %u: the measured kernel command line weakens IMA appraisal (ima_appraise=%s)",
			 boot->cmdline_event, bad);
		return HGS_R_POLICY_IMA_POLICY_NOT_PROVEN;
	}
	for (i = 0; i < covered; i++)
		if (approved_policy(p, &ima->e[i]))
			return HGS_PASSED;
	snprintf(detail, VMS_POLICY_DETAIL_MAX,
		 "no approved IMA policy file among %zu quoted IMA entries (load it by path, from the measured initramfs)",
		 covered);
	return HGS_R_POLICY_IMA_POLICY_NOT_PROVEN;
}

enum vms_hgs_reason
vms_tpm_boot_policy_evaluate(const struct vms_tpm_policy *p,
			     const struct vms_isolation_report *r,
			     const struct vms_tpm_eventlog *boot,
			     uint32_t quoted,
			     const struct vms_ima_log *ima, size_t covered,
			     char *detail)
{
	enum vms_hgs_reason ret;

	detail[0] = 0;
	if (!boot || (p->ima_policy_digests && (!ima || covered > ima->n)))
		return HGS_R_INTERNAL_ERROR;
	if (p->require_lockdown_cmdline) {
		ret = check_lockdown_cmdline(p, r, boot, quoted, detail);
		if (ret != HGS_PASSED)
			return ret;
	}
	if (p->ima_policy_digests)
		return check_ima_policy(p, boot, quoted, ima, covered, detail);
	return HGS_PASSED;
}
