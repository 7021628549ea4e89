// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - libvmshield: /dev/vmshield from userspace.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "vmshield.h"

int vms_dev_open(void)
{
	int fd = open(VMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void vms_dev_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int vms_dev_get_info(int fd, struct vmshield_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, VMSHIELD_IOC_GET_INFO, info) < 0)
		return -errno;
	return 0;
}

const char *vms_placement_name(unsigned int placement)
{
	switch (placement) {
	case VMSHIELD_PLACEMENT_KERNEL:
		return "kernel";
	case VMSHIELD_PLACEMENT_HYPERVISOR:
		return "hypervisor";
	}
	return "unknown";
}

const char *vms_isolation_name(unsigned int level)
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

const char *vms_lockdown_level_name(unsigned int lockdown)
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
