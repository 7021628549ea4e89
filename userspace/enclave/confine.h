/* SPDX-License-Identifier: GPL-2.0 */
/* confine.h - the enclave program's hardening (confine.c). */
#ifndef VMS_ENCLAVE_CONFINE_H
#define VMS_ENCLAVE_CONFINE_H

/* Non-dumpable, every page locked; 0 or a negative errno. */
int vms_confine_memory(void);
/* No new privileges, the seccomp allow-list; 0 or a negative errno. */
int vms_confine_syscalls(void);

#endif /* VMS_ENCLAVE_CONFINE_H */
