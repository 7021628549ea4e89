/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmshield - the C API a VMM worker or the agent uses to talk to
 * /dev/vmshield. Functions return 0 or a negative errno; vms_dev_strerror()
 * turns one into a message that says what to do next.
 */
#ifndef LIBVMSHIELD_H
#define LIBVMSHIELD_H

#include <linux/vmshield.h>

#define VMS_DEVICE_PATH "/dev/" VMSHIELD_DEVICE_NAME

/* Open the device (O_RDWR | O_CLOEXEC); returns an fd or a negative errno. */
int vms_dev_open(void);
void vms_dev_close(int fd);

/* VMSHIELD_IOC_GET_INFO */
int vms_dev_get_info(int fd, struct vmshield_info *info);

/* Names for the values in struct vmshield_info. */
const char *vms_placement_name(unsigned int placement);
const char *vms_isolation_name(unsigned int level);
const char *vms_lockdown_level_name(unsigned int lockdown);

/* A message for an error returned by the vms_dev_* calls. */
const char *vms_dev_strerror(int err);

#endif /* LIBVMSHIELD_H */
