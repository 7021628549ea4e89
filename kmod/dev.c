// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c - /dev/vmshield: the misc device and its ioctl dispatch.
 *
 * Handler shape for every command: copy in, validate flags and reserved
 * fields, act, copy out. See include/uapi/linux/vmshield.h for the ABI.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/module.h>
#include <linux/compat.h>
#include "vmshield.h"

static_assert(sizeof(struct vmshield_info) == 96);

static bool vms_u64_all_zero(const __u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static long vms_ioc_get_info(void __user *uarg)
{
	struct vmshield_info info = {};
	struct vms_isolation iso;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags & ~VMSHIELD_INFO_FLAGS_ALL)
		return -EINVAL;
	if (info.reserved0 ||
	    !vms_u64_all_zero(info.reserved, ARRAY_SIZE(info.reserved)))
		return -EINVAL;

	/* A changed report (e.g. lockdown raised) is measured before use. */
	vms_report_measure_if_changed();
	vms_isolation_read(&iso);

	memset(&info, 0, sizeof(info));
	info.uapi_version = VMSHIELD_UAPI_VERSION;
	info.placement = VMSHIELD_PLACEMENT_KERNEL;
	info.isolation_level = iso.level;
	info.lockdown = iso.lockdown;
	if (iso.sig_enforced)
		info.facts |= VMSHIELD_FACT_SIG_ENFORCED;
	if (iso.module_sig_ok)
		info.facts |= VMSHIELD_FACT_MODULE_SIG_OK;
	if (vms_selftest_passed())
		info.facts |= VMSHIELD_FACT_SELFTEST_OK;
	if (vms_report_ima_recorded())
		info.facts |= VMSHIELD_FACT_IMA_MEASURED;
	vms_enclave_public_key(info.enclave_pk);
	info.max_state_len = 0;	/* no SEAL/UNSEAL in this UAPI version */

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long vms_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMSHIELD_IOC_GET_INFO:
		return vms_ioc_get_info(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations vms_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vms_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vms_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = VMSHIELD_DEVICE_NAME,
	.fops = &vms_fops,
	.mode = 0600,
};

int vms_dev_init(void)
{
	return misc_register(&vms_miscdev);
}

void vms_dev_exit(void)
{
	misc_deregister(&vms_miscdev);
}
