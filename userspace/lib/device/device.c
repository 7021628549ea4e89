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
