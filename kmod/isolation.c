// SPDX-License-Identifier: GPL-2.0
/*
 * isolation.c - what the running kernel proves about the enclave's
 * isolation, and the measurement of that report into IMA.
 *
 * Nothing here is taken from userspace: lockdown and signature enforcement
 * are asked of the kernel at the time of the call.
 */
#include <linux/module.h>
#include <linux/security.h>
#include <linux/mutex.h>
#include <linux/ima.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "vmshield.h"

/*
 * security_locked_down(reason) is non-zero when the lockdown level is at
 * or above @reason. Ask with the first reason of each class, never with
 * the *_MAX markers: 6.1 WARNs when given LOCKDOWN_CONFIDENTIALITY_MAX.
 */
static u32 vms_lockdown_level(void)
{
	if (security_locked_down(LOCKDOWN_KCORE))
		return VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	if (security_locked_down(LOCKDOWN_MODULE_SIGNATURE))
		return VMSHIELD_LOCKDOWN_INTEGRITY;
	return VMSHIELD_LOCKDOWN_NONE;
}

void vms_isolation_read(struct vms_isolation *iso)
{
	iso->lockdown = vms_lockdown_level();
	/*
	 * module_sig_check() refuses unsigned modules when sig_enforce is set
	 * or when lockdown covers LOCKDOWN_MODULE_SIGNATURE (integrity and up).
	 */
	iso->sig_enforced = is_module_sig_enforced() ||
			    iso->lockdown >= VMSHIELD_LOCKDOWN_INTEGRITY;
#ifdef CONFIG_MODULE_SIG
	iso->module_sig_ok = THIS_MODULE->sig_ok;
#else
	iso->module_sig_ok = false;
#endif
	if (iso->lockdown == VMSHIELD_LOCKDOWN_CONFIDENTIALITY &&
	    iso->sig_enforced)
		iso->level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	else
		iso->level = VMSHIELD_ISOLATION_KERNEL_OPEN;
}

const char *vms_isolation_level_name(u32 level)
{
	switch (level) {
	case VMSHIELD_ISOLATION_KERNEL_OPEN:
		return "kernel-open";
	case VMSHIELD_ISOLATION_KERNEL_LOCKED:
		return "kernel-locked";
	case VMSHIELD_ISOLATION_HYPERVISOR:
		return "hypervisor";
	}
	return "unknown";
}

const char *vms_lockdown_name(u32 lockdown)
{
	switch (lockdown) {
	case VMSHIELD_LOCKDOWN_NONE:
		return "none";
	case VMSHIELD_LOCKDOWN_INTEGRITY:
		return "integrity";
	case VMSHIELD_LOCKDOWN_CONFIDENTIALITY:
		return "confidentiality";
	}
	return "unknown";
}

/*
 * The report is one line of text, so an HGS admin can read the IMA entry's
 * source and HGS can recompute its digest from what the agent sends:
 *   vmshield-report v1 placement=kernel level=<l> lockdown=<l>
 *   sig_enforced=<0|1> module_sig_ok=<0|1> enclave_pk=<64 hex>
 */
int vms_report_format(char *buf, size_t len, const struct vms_isolation *iso,
		      const u8 enclave_pk[32])
{
	int n;

	n = snprintf(buf, len,
		     "vmshield-report v1 placement=kernel level=%s lockdown=%s sig_enforced=%d module_sig_ok=%d enclave_pk=%32phN",
		     vms_isolation_level_name(iso->level),
		     vms_lockdown_name(iso->lockdown), iso->sig_enforced,
		     iso->module_sig_ok, enclave_pk);
	if (n < 0 || n >= len)
		return -EOVERFLOW;
	return n;
}

/* Last report handed to IMA; protects the two fields below it. */
static DEFINE_MUTEX(vms_report_lock);
static char vms_report_last[VMS_REPORT_MAX];
static bool vms_report_recorded;

/*
 * Measure the current report into IMA when it differs from the last one
 * measured (at load, and after e.g. lockdown was raised). IMA answers
 * -ENOENT when its policy does not record critical data: that is not an
 * error for the module, but the report then says it was not recorded.
 */
int vms_report_measure_if_changed(void)
{
	struct vms_isolation iso;
	char *report;
	u8 pk[32];
	int len, ret = 0;

	report = kzalloc(VMS_REPORT_MAX, GFP_KERNEL);
	if (!report)
		return -ENOMEM;
	vms_isolation_read(&iso);
	vms_enclave_public_key(pk);
	len = vms_report_format(report, VMS_REPORT_MAX, &iso, pk);
	if (len < 0) {
		ret = len;
		goto out;
	}

	mutex_lock(&vms_report_lock);
	if (strcmp(report, vms_report_last) != 0) {
		ret = ima_measure_critical_data("vmshield", "vmshield-report",
						report, len, false, NULL, 0);
		vms_report_recorded = (ret == 0);
		if (ret == -ENOENT || ret == 1)
			ret = 0;
		if (!ret) {
			strscpy(vms_report_last, report, VMS_REPORT_MAX);
			pr_info("report %s (ima: %s)\n", report,
				vms_report_recorded ? "recorded" :
				"not recorded by policy");
		}
	}
	mutex_unlock(&vms_report_lock);
out:
	kfree(report);
	return ret;
}

bool vms_report_ima_recorded(void)
{
	bool rec;

	mutex_lock(&vms_report_lock);
	rec = vms_report_recorded;
	mutex_unlock(&vms_report_lock);
	return rec;
}

void vms_report_reset(void)
{
	mutex_lock(&vms_report_lock);
	memset(vms_report_last, 0, sizeof(vms_report_last));
	vms_report_recorded = false;
	mutex_unlock(&vms_report_lock);
}
