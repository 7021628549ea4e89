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
#include <linux/key.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include "vmshield.h"
#include "sealedstate.h"
#include "keyrelease.h"

static_assert(sizeof(struct vmshield_info) == 96);
static_assert(sizeof(struct vmshield_seal) == 64);
static_assert(VMSHIELD_SEAL_OVERHEAD == VMS_SS_OVERHEAD);
static_assert(VMSHIELD_MAX_STATE_LEN == VMS_SS_MAX_PAYLOAD);

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
	u8 pk[VMSHIELD_X25519_LEN], pk2[VMSHIELD_X25519_LEN];
	int ret, tries;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags & ~VMSHIELD_INFO_FLAGS_ALL)
		return -EINVAL;
	if (info.lockdown_at_load || info.ptrace_scope ||
	    memchr_inv(info.kps_pk, 0, sizeof(info.kps_pk)))
		return -EINVAL;

	/* placement hypervisor: ask the enclave for its key now */
	if (vms_remote_active()) {
		ret = vms_remote_refresh();
		if (ret)
			return ret;
	}
	/*
	 * The identity at the current level (a new one if the level rose),
	 * its report measured before anybody is shown it; the facts are the
	 * ones the kernel proved when that identity was made.
	 */
	ret = vms_enclave_identity(pk, NULL);
	for (tries = 0; !ret && tries < 3; tries++) {
		vms_report_measure_if_changed();
		ret = vms_enclave_identity(pk2, &iso);
		if (ret || !memcmp(pk, pk2, sizeof(pk)))
			break;
		memcpy(pk, pk2, sizeof(pk));	/* rose meanwhile: again */
	}
	if (ret)
		return ret;

	memset(&info, 0, sizeof(info));
	memcpy(info.enclave_pk, pk, sizeof(pk));
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
	if (!vms_kps_current(info.kps_pk))
		info.facts |= VMSHIELD_FACT_KPS_SET;
	vms_report_host_facts_info(&info);
	info.max_state_len = VMSHIELD_MAX_STATE_LEN;
	vms_remote_info(&info);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * Resolve @serial with the caller's credentials, in the order uapi.md
 * gives: a key the caller may at least view that is not a vmshield key is
 * EINVAL whatever its other permissions; a vmshield key then needs Read
 * ("may use": the type has no read operation). The key comes back with a
 * reference only: no lock of the key is held while user memory is touched,
 * so a caller parked on a page fault never holds up a revocation (the
 * enclave's own lock, taken only around the crypto, orders the two).
 */
struct key *vms_key_get(s32 serial)
{
	key_ref_t ref;
	struct key *key;
	int ret;

	ref = lookup_user_key(serial, 0, KEY_NEED_VIEW);
	if (IS_ERR(ref))
		goto err;
	key = key_ref_to_ptr(ref);
	if (key->type != &vms_key_type) {
		key_put(key);
		return ERR_PTR(-EINVAL);
	}
	/* a second lookup for Read; the serial must still name this key */
	ref = lookup_user_key(serial, 0, KEY_NEED_READ);
	if (IS_ERR(ref)) {
		key_put(key);
		goto err;
	}
	if (key_ref_to_ptr(ref) != key) {
		key_ref_put(ref);
		key_put(key);
		return ERR_PTR(-ENOKEY);
	}
	key_ref_put(ref);
	/* instantiated and not dead: payload.data[0] is set and stays */
	if (!key->payload.data[0]) {
		key_put(key);
		return ERR_PTR(-EKEYREVOKED);
	}
	return key;
err:
	ret = PTR_ERR(ref);
	return ERR_PTR(ret == -EKEYREVOKED || ret == -EKEYEXPIRED ||
		       ret == -EACCES ? ret : -ENOKEY);
}

void vms_key_release(struct key *key)
{
	key_put(key);
}

/* Shielded keys: approved worker only, and only on a kernel-locked host. */
int vms_may_use(struct vms_vmkey *vk)
{
	struct vms_vmkey_info info;
	struct vms_isolation iso;

	vms_enclave_key_info(vk, &info);
	if (info.policy != VMS_KR_POLICY_SHIELDED)
		return 0;	/* encryption-supported: keyring access suffices */
	/* notices a rise (which drops this key) even without a GET_INFO */
	if (vms_enclave_identity(NULL, &iso))
		return -EKEYREJECTED;
	if (iso.level < VMSHIELD_ISOLATION_KERNEL_LOCKED)
		return -EKEYREJECTED;
	return vms_worker_check(vk);
}

/*
 * One SEAL or UNSEAL in flight: the argument, the key it uses (a reference,
 * no lock) and the two kernel buffers. Exactly one side is plaintext:
 * SEAL's input, UNSEAL's output.
 */
struct vms_seal_op {
	struct vmshield_seal arg;
	struct key *key;
	u8 *in;
	u8 *out;
	size_t out_len;		/* bytes the result takes */
	bool plaintext_in;	/* which buffer to wipe on free */
};

/*
 * Copy in and check what SEAL and UNSEAL share: flags, reserved fields, and
 * the input length, capped before anything is allocated.
 */
static int vms_seal_arg_get(struct vms_seal_op *op, void __user *uarg,
			    size_t min_in, size_t max_in)
{
	struct vmshield_seal *arg = &op->arg;

	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags & ~VMSHIELD_SEAL_FLAGS_ALL ||
	    !vms_u64_all_zero(arg->reserved, ARRAY_SIZE(arg->reserved)))
		return -EINVAL;
	if (arg->in_len > max_in || arg->in_len < min_in)
		return -EMSGSIZE;
	return 0;
}

/*
 * Everything between a checked argument and the enclave's work: the key
 * (and may the caller use it), the output buffer's size, the writability
 * of the argument and of the output buffer, the kernel buffers, the input
 * copied in. Only a reference to the key is held here, never a lock, so
 * the faults this may take (however long a userfaultfd handler makes
 * them) block nobody else. On error op holds what vms_seal_op_end() must
 * undo.
 */
static long vms_seal_op_start(struct vms_seal_op *op, void __user *uarg)
{
	struct vmshield_seal *arg = &op->arg;
	struct key *key;
	long ret;

	key = vms_key_get(arg->key_serial);
	if (IS_ERR(key))
		return PTR_ERR(key);
	op->key = key;
	ret = vms_may_use(key->payload.data[0]);
	if (ret)
		return ret;
	if (arg->out_len < op->out_len)
		return -ENOSPC;
	/*
	 * Bad input changes nothing: an argument or output buffer that
	 * cannot be written would otherwise fail only at the end, with a
	 * nonce spent, the seal counter moved and (for UNSEAL) plaintext
	 * written. Probe both first, without writing to them (only a
	 * concurrent munmap or mprotect can still make the final copies fail).
	 */
	if (fault_in_safe_writeable(uarg, sizeof(*arg)))
		return -EFAULT;
	if (op->out_len &&
	    fault_in_safe_writeable(u64_to_user_ptr(arg->out_ptr), op->out_len))
		return -EFAULT;

	op->in = kvmalloc(max_t(size_t, arg->in_len, 1),
			  GFP_KERNEL_ACCOUNT);
	op->out = kvmalloc(max_t(size_t, op->out_len, 1),
			   GFP_KERNEL_ACCOUNT);
	if (!op->in || !op->out)
		return -ENOMEM;
	if (copy_from_user(op->in, u64_to_user_ptr(arg->in_ptr), arg->in_len))
		return -EFAULT;
	return 0;
}

/*
 * Copy the result out after the enclave's @ret, free the buffers (wiping
 * the plaintext one: a sealed blob is not secret, and wiping it would cost
 * one more pass over up to 16 MiB), release the key, and write the
 * argument back: on success, and on ENOSPC to say the size needed.
 */
static long vms_seal_op_end(struct vms_seal_op *op, void __user *uarg,
			    long ret)
{
	struct vmshield_seal *arg = &op->arg;
	size_t in_size = max_t(size_t, arg->in_len, 1);
	size_t out_size = max_t(size_t, op->out_len, 1);

	if (op->key)
		vms_key_release(op->key);
	if (!ret && copy_to_user(u64_to_user_ptr(arg->out_ptr), op->out,
				 op->out_len))
		ret = -EFAULT;
	if (op->in)
		op->plaintext_in ? kvfree_sensitive(op->in, in_size) :
				   kvfree(op->in);
	if (op->out)
		op->plaintext_in ? kvfree(op->out) :
				   kvfree_sensitive(op->out, out_size);

	if (ret && ret != -ENOSPC)
		return ret;
	arg->out_len = op->out_len;
	if (copy_to_user(uarg, arg, sizeof(*arg)))
		return -EFAULT;
	return ret;
}

/* SEAL: plaintext state in, a sealed blob out; the generation goes in it. */
static long vms_ioc_seal(void __user *uarg)
{
	struct vms_seal_op op = { .plaintext_in = true };
	long ret;

	ret = vms_seal_arg_get(&op, uarg, 0, VMSHIELD_MAX_STATE_LEN);
	if (ret)
		return ret;
	op.out_len = vms_ss_size(op.arg.in_len);
	ret = vms_seal_op_start(&op, uarg);
	if (!ret)
		ret = vms_enclave_seal(op.key->payload.data[0],
				       op.arg.generation, op.in, op.arg.in_len,
				       op.out, op.out_len);
	return vms_seal_op_end(&op, uarg, ret);
}

/* UNSEAL: a sealed blob in, plaintext state and its generation out. */
static long vms_ioc_unseal(void __user *uarg)
{
	struct vms_seal_op op = { .plaintext_in = false };
	u64 gen = 0;
	long ret;

	ret = vms_seal_arg_get(&op, uarg, VMSHIELD_SEAL_OVERHEAD,
			       VMSHIELD_MAX_STATE_LEN + VMSHIELD_SEAL_OVERHEAD);
	if (ret)
		return ret;
	op.out_len = op.arg.in_len - VMSHIELD_SEAL_OVERHEAD;
	ret = vms_seal_op_start(&op, uarg);
	if (!ret)
		ret = vms_enclave_unseal(op.key->payload.data[0], op.in,
					 op.arg.in_len, op.out, op.out_len,
					 &gen);
	if (!ret)
		op.arg.generation = gen;
	return vms_seal_op_end(&op, uarg, ret);
}

static long vms_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMSHIELD_IOC_GET_INFO:
		return vms_ioc_get_info(uarg);
	case VMSHIELD_IOC_SEAL:
		return vms_ioc_seal(uarg);
	case VMSHIELD_IOC_UNSEAL:
		return vms_ioc_unseal(uarg);
	case VMSHIELD_IOC_ENCLAVE_REPORT:
		return vms_ioc_enclave_report(uarg);
	case VMSHIELD_IOC_VTPM:
		return vms_ioc_vtpm(uarg);
	case VMSHIELD_IOC_RELEASE_CHALLENGE:
		return vms_ioc_release_challenge(uarg);
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
