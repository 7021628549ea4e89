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
#include <linux/kexec.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "vmshield.h"
#include "report.h"

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
	iso->level = vms_isolation_level_of(iso->lockdown, iso->sig_enforced);
}

static u32 vms_load_level;
static u32 vms_load_lockdown;

/*
 * The level when the module was loaded, kept for the log and for
 * diagnosis: a kernel that was open after boot may have been changed
 * while open, whatever it proves later (Documentation/architecture.md).
 */
void vms_isolation_record_load(void)
{
	struct vms_isolation iso;

	vms_isolation_read(&iso);
	vms_load_level = iso.level;
	vms_load_lockdown = iso.lockdown;
	pr_info("loaded at isolation level %u (lockdown %u, signatures %s)\n",
		iso.level, iso.lockdown,
		iso.sig_enforced ? "enforced" : "not enforced");
}

u32 vms_isolation_level_at_load(void)
{
	return vms_load_level;
}

/* Last report handed to IMA; protects the fields below it. */
static DEFINE_MUTEX(vms_report_lock);
static char vms_report_last[VMS_REPORT_MAX];
static bool vms_report_recorded;
static u32 vms_report_last_scope = VMSHIELD_PTRACE_SCOPE_UNKNOWN;
static u32 vms_report_built_scope;	/* of the report being built */
static bool vms_report_last_crash, vms_report_built_crash;

/*
 * The host facts block of the report (Documentation/formats.md): the
 * lockdown level held when the module was loaded, which no later rise
 * changes (a kernel open after boot may have been altered while open),
 * Yama's ptrace_scope now, and whether a crash kernel is loaded now. The key's own level (the identity's, at
 * its creation) is the report's level and lockdown fields. Called with
 * vms_report_lock held.
 */
static void vms_report_host_facts(struct vms_isolation_report *r)
{
	r->has_host_facts = true;
	r->lockdown_at_load = vms_load_lockdown;
	r->ptrace_scope = vms_ptrace_scope();
	vms_report_built_scope = r->ptrace_scope;
	/* a loaded crash kernel can dump this memory after a panic */
	r->crash_kernel = kexec_crash_loaded() != 0;
	vms_report_built_crash = r->crash_kernel;
}

/*
 * GET_INFO's copy of the host facts: those of the report last measured,
 * so that the line the agent rebuilds from GET_INFO is the one in IMA.
 */
void vms_report_host_facts_info(struct vmshield_info *info)
{
	mutex_lock(&vms_report_lock);
	info->lockdown_at_load = vms_load_lockdown;
	info->ptrace_scope = vms_report_last_scope;
	if (vms_report_last_crash)
		info->facts |= VMSHIELD_FACT_CRASH_KERNEL;
	mutex_unlock(&vms_report_lock);
	info->facts |= VMSHIELD_FACT_HOST_FACTS;
}

/*
 * The report (core/report.h, Documentation/formats.md) for the enclave's
 * current key, with the facts the kernel proved when that key was made:
 * the level a key is reported at is the lowest it ever lived at, never a
 * level the kernel reached later (a rise makes a new key first).
 */
static int vms_report_write(char *buf, size_t len)
{
	struct vms_isolation_report r = {
		.placement = VMSHIELD_PLACEMENT_KERNEL,
	};
	struct vms_isolation iso;
	int ret;

	/* the key named below lives in the enclave behind the mailbox */
	if (vms_remote_active())
		r.placement = VMSHIELD_PLACEMENT_HYPERVISOR;

	ret = vms_enclave_identity(r.enclave_pk, &iso);
	if (ret)
		return ret;
	r.level = iso.level;
	r.lockdown = iso.lockdown;
	r.sig_enforced = iso.sig_enforced;
	r.module_sig_ok = iso.module_sig_ok;
	/* the one KPS key the enclave accepts releases from, once named */
	r.kps_set = !vms_kps_current(r.kps_pk);
	vms_report_host_facts(&r);
	return vms_report_format(&r, buf, len);
}

/*
 * Measure the current report into IMA when it differs from the last one
 * measured (at load, and after e.g. lockdown was raised). IMA answers
 * -ENOENT when its policy does not record critical data: that is not an
 * error for the module, but the report then says it was not recorded.
 */
int vms_report_measure_if_changed(void)
{
	char *report;
	int len, ret = 0;

	report = kzalloc(VMS_REPORT_MAX, GFP_KERNEL);
	if (!report)
		return -ENOMEM;
	/*
	 * Built under the lock, so two callers racing a level rise cannot
	 * measure their reports in the opposite order of building them.
	 */
	mutex_lock(&vms_report_lock);
	len = vms_report_write(report, VMS_REPORT_MAX);
	if (len < 0) {
		ret = len;
		goto out_unlock;
	}
	if (strcmp(report, vms_report_last) != 0) {
		ret = ima_measure_critical_data("vmshield", "vmshield-report",
						report, len, false, NULL, 0);
		vms_report_recorded = (ret == 0);
		if (ret == -ENOENT || ret == 1)
			ret = 0;
		if (!ret) {
			strscpy(vms_report_last, report, VMS_REPORT_MAX);
			vms_report_last_scope = vms_report_built_scope;
			vms_report_last_crash = vms_report_built_crash;
			pr_info("report %s (ima: %s)\n", report,
				vms_report_recorded ? "recorded" :
				"not recorded by policy");
		}
	}
out_unlock:
	mutex_unlock(&vms_report_lock);
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
