// SPDX-License-Identifier: GPL-2.0
/*
 * report_ioctl.c - VMSHIELD_IOC_ENCLAVE_REPORT: the enclave's signed
 * report for an HGS nonce (placement hypervisor). Copy in, validate, ask
 * the enclave, copy out; nothing in it is secret.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vmshield.h"

static_assert(sizeof(struct vmshield_enclave_report) == 1160);

long vms_ioc_enclave_report(void __user *uarg)
{
	struct vmshield_enclave_report *r;
	long ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(r, uarg, sizeof(*r)))
		goto out;
	ret = -EINVAL;
	if ((r->flags & ~VMSHIELD_REPORT_FLAGS_ALL) || r->reserved0 ||
	    r->reserved[0] || r->reserved[1])
		goto out;
	r->body_len = sizeof(r->body);
	r->sig_len = sizeof(r->sig);
	memset(r->body, 0, sizeof(r->body));
	memset(r->sig, 0, sizeof(r->sig));
	ret = vms_remote_report(r->nonce, r->body, &r->body_len, r->sig,
				&r->sig_len);
	if (ret)
		goto out;
	ret = copy_to_user(uarg, r, sizeof(*r)) ? -EFAULT : 0;
out:
	kfree(r);
	return ret;
}
