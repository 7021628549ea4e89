/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the vmshield module selftests. */
#ifndef VMSHIELD_SELFTEST_COMMON_H
#define VMSHIELD_SELFTEST_COMMON_H

#include <fcntl.h>
#include <string.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/vmshield.h>

#define VMSHIELD_DEV "/dev/vmshield"

static inline int vms_get_info(int fd, struct vmshield_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, VMSHIELD_IOC_GET_INFO, info);
}

static inline bool vms_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Does the IMA runtime list have @needle on some line? */
static inline int vms_ima_count(const char *needle)
{
	FILE *f = fopen("/sys/kernel/security/ima/ascii_runtime_measurements", "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

#endif
