// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_ioctl.c - VMSHIELD_IOC_VTPM: the VM's vTPM inside the enclave
 * (placement hypervisor), one ioctl whose @op picks the channel request
 * (Documentation/vtpm-in-enclave.md, the ABI in the UAPI header). The
 * module checks the argument and the key as for SEAL, names the key by
 * its enclave handle, and passes TPM traffic and sealed state through:
 * nothing it handles here is a secret of the vTPM.
 *
 * Shape: copy in, validate, key, allocate, copy input, call, copy out.
 */
#include <linux/key.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vmshield.h"
#include "sealedstate.h"
#include "enclave_proto.h"

/* The channel request of each UAPI op, and its input bound. */
static const struct {
	u16 type;
	u32 max_in;
} vms_vtpm_ops[] = {
	[VMSHIELD_VTPM_CREATE] = { VMS_EP_VTPM_CREATE,
				   VMS_EP_MAX_STATE + VMS_SS_OVERHEAD },
	[VMSHIELD_VTPM_DESTROY] = { VMS_EP_VTPM_DESTROY, 0 },
	[VMSHIELD_VTPM_COMMAND] = { VMS_EP_VTPM_COMMAND, VMS_EP_VTPM_MAX_CMD },
	[VMSHIELD_VTPM_CONTROL] = { VMS_EP_VTPM_CONTROL, 0 },
	[VMSHIELD_VTPM_CONFIRM] = { VMS_EP_VTPM_CONFIRM, 0 },
	[VMSHIELD_VTPM_GET_STATE] = { VMS_EP_VTPM_GET_STATE, 0 },
	[VMSHIELD_VTPM_STATEMENT] = { VMS_EP_VTPM_STATEMENT, 0 },
};

static int vms_vtpm_arg_check(const struct vmshield_vtpm *arg)
{
	u32 op = arg->op;

	BUILD_BUG_ON(VMSHIELD_VTPM_MAX_CMD != VMS_EP_VTPM_MAX_CMD);
	BUILD_BUG_ON(VMSHIELD_VTPM_MAX_STATE != VMS_EP_MAX_STATE);
	BUILD_BUG_ON(VMSHIELD_VTPM_CTRL_RESET_ESTABLISHED != VMS_VTPM_CTRL_MAX);
	if (!op || op >= ARRAY_SIZE(vms_vtpm_ops) || arg->flags ||
	    arg->reserved0 || arg->reserved[0] || arg->reserved[1] ||
	    arg->result || arg->out_flags)
		return -EINVAL;
	if (op == VMSHIELD_VTPM_CONTROL ?
	    !arg->ctrl || arg->ctrl > VMSHIELD_VTPM_CTRL_RESET_ESTABLISHED :
	    arg->ctrl || arg->arg)
		return -EINVAL;
	if (op != VMSHIELD_VTPM_CONFIRM && arg->generation)
		return -EINVAL;
	if (arg->in_len > vms_vtpm_ops[op].max_in)
		return -EMSGSIZE;
	if (op == VMSHIELD_VTPM_COMMAND && arg->in_len < 10)
		return -EMSGSIZE;
	if (op == VMSHIELD_VTPM_CREATE && arg->in_len &&
	    arg->in_len < VMS_SS_OVERHEAD)
		return -EMSGSIZE;
	if (op != VMSHIELD_VTPM_DESTROY && arg->out_len < VMSHIELD_VTPM_OUT_MIN)
		return -ENOSPC;
	return 0;
}

/* DESTROY the vTPM of @handle; best effort (see vms_vtpm_call). */
static void vms_vtpm_drop(u64 handle)
{
	struct vms_ep_msg q = { .type = VMS_EP_VTPM_DESTROY }, a;
	size_t blen = 0;
	u8 *buf = NULL;

	q.handle = handle;
	if (!vms_mailbox_call(&q, &a, &buf, &blen))
		vms_mailbox_free(buf, blen);
}

/* One channel call; the answer copied to the user, the argument updated. */
static long vms_vtpm_call(struct vmshield_vtpm *arg, u64 handle,
			  const u8 *in)
{
	struct vms_ep_msg q = { .type = vms_vtpm_ops[arg->op].type }, a;
	void __user *out = u64_to_user_ptr(arg->out_ptr);
	size_t blen = 0;
	u8 *buf = NULL;
	long ret;

	q.handle = handle;
	q.generation = arg->generation;
	q.vtpm_op = arg->ctrl;
	q.vtpm_arg = arg->arg;
	q.data = arg->in_len ? in : NULL;
	q.data_len = arg->in_len;
	ret = vms_mailbox_call(&q, &a, &buf, &blen);
	if (!ret)
		ret = a.err;
	if (!ret && a.data_len > arg->out_len)
		ret = -EPROTO;	/* the enclave broke the bound */
	if (!ret && a.data_len && copy_to_user(out, a.data, a.data_len)) {
		ret = -EFAULT;
		/*
		 * A state to store that cannot be handed out: its answer stays
		 * unacknowledged in the enclave, which would wait for a CONFIRM
		 * that cannot come. Stop the vTPM: the worker creates it again
		 * from the last stored state, nothing acknowledged is lost.
		 */
		if (a.vtpm_flags & VMS_EP_VTPM_F_STORE)
			vms_vtpm_drop(handle);
	}
	if (!ret) {
		arg->generation = a.generation;
		arg->result = a.vtpm_result;
		arg->out_flags = a.vtpm_flags & VMS_EP_VTPM_F_STORE ?
				 VMSHIELD_VTPM_STORE : 0;
		arg->out_len = a.data_len;
	}
	/* a TPM response may be the guest's secret in transit: wipe it */
	if (buf)
		memzero_explicit(buf, blen);
	vms_mailbox_free(buf, blen);
	return ret;
}

long vms_ioc_vtpm(void __user *uarg)
{
	struct vmshield_vtpm arg;
	struct key *key;
	u8 *in = NULL;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = vms_vtpm_arg_check(&arg);
	if (ret)
		return ret;
	if (!vms_remote_active())
		return -EOPNOTSUPP;
	key = vms_key_get(arg.key_serial);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = vms_may_use(key->payload.data[0]);
	if (ret)
		goto out;
	/*
	 * The argument, and the room any TPM response takes, writable before
	 * the call. Not the whole 1 MiB a sealed state may need: walking it
	 * cost more than the mailbox's round trip per command (make bench);
	 * a state that cannot be copied out stops the vTPM instead.
	 */
	if (fault_in_safe_writeable(uarg, sizeof(arg)) ||
	    (arg.out_len &&
	     fault_in_safe_writeable(u64_to_user_ptr(arg.out_ptr),
				     VMSHIELD_VTPM_MAX_CMD))) {
		ret = -EFAULT;
		goto out;
	}
	if (arg.in_len) {
		in = kvmalloc(arg.in_len, GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!in)
			goto out;
		ret = -EFAULT;
		if (copy_from_user(in, u64_to_user_ptr(arg.in_ptr),
				   arg.in_len))
			goto out;
	}
	ret = vms_vtpm_call(&arg, vms_remote_handle(key->payload.data[0]),
			    in);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out:
	if (in)
		kvfree_sensitive(in, arg.in_len);
	vms_key_release(key);
	return ret;
}
