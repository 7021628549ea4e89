/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmshield.h - declarations shared by the files of vmshield.ko.
 *
 * One concern per file:
 *   main.c        module init/exit ladder
 *   dev.c         /dev/vmshield and the ioctl dispatch
 *   enclave.c     the enclave (placement "kernel"): identity key, report
 *   isolation.c   what the kernel proves about isolation; IMA measurement
 *   prim_kernel.c the crypto primitives of core/ on the kernel crypto API
 */
#ifndef VMSHIELD_KMOD_H
#define VMSHIELD_KMOD_H

#include <linux/types.h>
#include <linux/vmshield.h>

/* What the kernel can prove about how well the enclave is isolated. */
struct vms_isolation {
	u32 lockdown;		/* VMSHIELD_LOCKDOWN_* */
	u32 level;		/* VMSHIELD_ISOLATION_* */
	bool sig_enforced;	/* unsigned modules are refused */
	bool module_sig_ok;	/* this module's own signature verified */
};

void vms_isolation_read(struct vms_isolation *iso);
const char *vms_isolation_level_name(u32 level);
const char *vms_lockdown_name(u32 lockdown);

/* Report measured into IMA: a short canonical text (see isolation.c). */
#define VMS_REPORT_MAX 256
int vms_report_format(char *buf, size_t len, const struct vms_isolation *iso,
		      const u8 enclave_pk[32]);
int vms_report_measure_if_changed(void);
bool vms_report_ima_recorded(void);
void vms_report_reset(void);

/* Enclave (placement kernel). */
int vms_enclave_init(void);
void vms_enclave_exit(void);
void vms_enclave_public_key(u8 pk[32]);
bool vms_selftest_passed(void);

/* /dev/vmshield */
int vms_dev_init(void);
void vms_dev_exit(void);

#endif /* VMSHIELD_KMOD_H */
