/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmshield.h - userspace API of the vmshield guarded-host module.
 *
 * Documentation
 * =============
 *
 * The module registers the misc device /dev/vmshield (mode 0600, root).
 * Its enclave holds the transport keys (TKs) of shielded VMs, released to
 * it by the Host Guardian Service, and never hands them to userspace.
 * Userspace talks to it with the ioctls below. Every command:
 *
 *  - takes one fixed-size struct made only of __u32/__u64/__u8 arrays,
 *    laid out with no implicit padding (identical on x86-64 and i386);
 *  - refuses unknown bits in @flags with EINVAL;
 *  - refuses non-zero reserved fields with EINVAL;
 *  - returns ENOTTY for an unknown command number;
 *  - returns EFAULT when the argument pointer is not readable/writable;
 *  - never writes the argument back on failure, unless a command's
 *    description says otherwise.
 *
 * Version: VMSHIELD_UAPI_VERSION is bumped when a command is added; a
 * command's layout never changes once released (a new number is added
 * instead).
 *
 * The ioctl magic 0xB9 is unassigned in the kernel's ioctl-number.rst.
 *
 * VMSHIELD_IOC_GET_INFO - describe the enclave and the isolation it has.
 *
 *	Argument: struct vmshield_info (in: flags, reserved; out: the rest).
 *	Context: process context, any caller that can open the device.
 *	The report is computed by the kernel at the time of the call.
 *
 *	Return: 0 on success, else -1 with errno:
 *	 EFAULT - @arg is not a valid user pointer.
 *	 EINVAL - @flags has an unknown bit, or a reserved field is not zero.
 */
#ifndef _UAPI_LINUX_VMSHIELD_H
#define _UAPI_LINUX_VMSHIELD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMSHIELD_UAPI_VERSION		1
#define VMSHIELD_DEVICE_NAME		"vmshield"

/* Where the enclave runs. */
#define VMSHIELD_PLACEMENT_KERNEL	1	/* inside vmshield.ko */
#define VMSHIELD_PLACEMENT_HYPERVISOR	2	/* in a hypervisor domain (future) */

/*
 * Isolation level the module claims, from weakest to strongest.
 * KERNEL_OPEN: lockdown below confidentiality or module signatures not
 *	enforced; host root may read kernel memory.
 * KERNEL_LOCKED: lockdown at confidentiality and module signature
 *	enforcement; host root cannot read kernel memory.
 * HYPERVISOR: the host kernel never holds the keys.
 */
#define VMSHIELD_ISOLATION_KERNEL_OPEN		1
#define VMSHIELD_ISOLATION_KERNEL_LOCKED	2
#define VMSHIELD_ISOLATION_HYPERVISOR		3

/* Kernel lockdown level, as security_locked_down() shows it. */
#define VMSHIELD_LOCKDOWN_NONE			0
#define VMSHIELD_LOCKDOWN_INTEGRITY		1
#define VMSHIELD_LOCKDOWN_CONFIDENTIALITY	2

/* Facts in vmshield_info.facts, each proven by the kernel at call time. */
#define VMSHIELD_FACT_SIG_ENFORCED	(1U << 0) /* unsigned modules refused */
#define VMSHIELD_FACT_MODULE_SIG_OK	(1U << 1) /* this module's signature verified */
#define VMSHIELD_FACT_SELFTEST_OK	(1U << 2) /* crypto self-test passed at load */
#define VMSHIELD_FACT_IMA_MEASURED	(1U << 3) /* report recorded by IMA */
#define VMSHIELD_FACTS_ALL		((1U << 4) - 1)

#define VMSHIELD_INFO_FLAGS_ALL		0U	/* no input flag defined yet */

#define VMSHIELD_X25519_LEN		32

/**
 * struct vmshield_info - argument of VMSHIELD_IOC_GET_INFO
 * @uapi_version:	out: VMSHIELD_UAPI_VERSION of the running module.
 * @placement:		out: VMSHIELD_PLACEMENT_*.
 * @isolation_level:	out: VMSHIELD_ISOLATION_*.
 * @lockdown:		out: VMSHIELD_LOCKDOWN_*.
 * @facts:		out: VMSHIELD_FACT_* bits.
 * @flags:		in: must be 0.
 * @enclave_pk:		out: the enclave's X25519 public key (new every load).
 * @max_state_len:	out: largest plaintext SEAL/UNSEAL accepts, bytes.
 * @reserved0:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct vmshield_info {
	__u32 uapi_version;
	__u32 placement;
	__u32 isolation_level;
	__u32 lockdown;
	__u32 facts;
	__u32 flags;
	__u8  enclave_pk[VMSHIELD_X25519_LEN];
	__u32 max_state_len;
	__u32 reserved0;
	__u64 reserved[4];
};

#define VMSHIELD_IOC_MAGIC	0xB9
#define VMSHIELD_IOC_GET_INFO	_IOWR(VMSHIELD_IOC_MAGIC, 0x00, struct vmshield_info)

#endif /* _UAPI_LINUX_VMSHIELD_H */
