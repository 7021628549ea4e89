// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox.c - the enclave channel's shared-memory transport: a PCI driver
 * for the ivshmem-plain device whose BAR 2 is the mailbox of
 * core/enclave_mailbox.h (Documentation/enclave-protocol.md).
 *
 * Binding decides the placement, once: a mailbox device bound while the
 * module loads makes the placement "hypervisor" until unload; a device
 * that appears later is refused (-EBUSY), so keys of one placement never
 * meet functions of the other. One request is in flight at a time; every
 * call has a deadline (enclave_timeout_ms) covering the wait for the
 * channel and for the answer, and fails with -EHOSTDOWN past it. Polled:
 * ivshmem-plain has no interrupt. After the doorbell the caller spins for
 * enclave_spin_us (an answer the enclave gives at once then costs no
 * timer wake-up, each one an emulated interrupt under TCG), then sleeps
 * between looks.
 */
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include "vmshield.h"
#include "enclave_mailbox.h"

static unsigned int enclave_timeout_ms = 3000;
module_param(enclave_timeout_ms, uint, 0644);
MODULE_PARM_DESC(enclave_timeout_ms,
		 "hypervisor placement: bound on every enclave call, ms (100..60000)");

static unsigned int enclave_spin_us = 200;
module_param(enclave_spin_us, uint, 0644);
MODULE_PARM_DESC(enclave_spin_us,
		 "hypervisor placement: spin this long for an answer before sleeping, us (0..2000; 0: sleep at once)");

static DEFINE_MUTEX(vms_mb_lock);	/* one request in flight; guards below */
static void __iomem *vms_mb_base;	/* NULL: no device (never bound, or gone) */
static u64 vms_mb_seq;
static bool vms_mb_accepting;		/* probes are taken only during init */
static bool vms_mb_bound;		/* latched at init: placement hypervisor */

bool vms_remote_active(void)
{
	return READ_ONCE(vms_mb_bound);
}

static unsigned long vms_mb_deadline(void)
{
	unsigned int ms = clamp(READ_ONCE(enclave_timeout_ms), 100U, 60000U);

	return jiffies + msecs_to_jiffies(ms);
}

/* Take the channel before @deadline; -EHOSTDOWN past it. */
static int vms_mb_lock_until(unsigned long deadline)
{
	while (!mutex_trylock(&vms_mb_lock)) {
		if (time_after(jiffies, deadline))
			return -EHOSTDOWN;
		usleep_range(50, 200);
	}
	return 0;
}

static bool vms_mb_ready(void __iomem *base)
{
	u8 magic[4];

	memcpy_fromio(magic, base + VMS_MB_OFF_MAGIC, sizeof(magic));
	return !memcmp(magic, VMS_MB_MAGIC, 4) &&
	       ioread32(base + VMS_MB_OFF_VERSION) == VMS_MB_VERSION &&
	       ioread32(base + VMS_MB_OFF_STATE) == VMS_MB_STATE_READY;
}

/*
 * Wait for resp_seq == @seq: spin up to enclave_spin_us (an answer that
 * comes at once costs no timer), then sleep 20-100 us between looks.
 * False at @deadline. Called with vms_mb_lock held and the device bound.
 */
static bool vms_mb_answered(u64 seq, unsigned long deadline)
{
	u64 spin_ns = (u64)min(READ_ONCE(enclave_spin_us), 2000U) * NSEC_PER_USEC;
	u64 t0 = ktime_get_ns();

	while (readq(vms_mb_base + VMS_MB_OFF_RESP_SEQ) != seq) {
		if (time_after(jiffies, deadline))
			return false;
		if (ktime_get_ns() - t0 < spin_ns) {
			cpu_relax();
			cond_resched();
		} else {
			usleep_range(20, 100);
		}
	}
	return true;
}

/**
 * vms_mailbox_call - one request to the enclave and its decoded answer.
 * @q: the request (its req_id is set here).
 * @a: the decoded response: type and request id checked; @a->err is the
 *     enclave's answer. Points into *@buf.
 * @buf: on success the response frame, to be freed with
 *       vms_mailbox_free(*@buf, *@buflen); NULL on error.
 * @buflen: its length.
 *
 * Context: process context; sleeps. Return: 0 (then see @a->err),
 * -EHOSTDOWN (no device, enclave not ready, no answer before the
 * deadline), -EPROTO (malformed or mismatched answer), -EMSGSIZE,
 * -ENOMEM.
 */
int vms_mailbox_call(struct vms_ep_msg *q, struct vms_ep_msg *a, u8 **buf,
		     size_t *buflen)
{
	unsigned long deadline = vms_mb_deadline();
	size_t n = vms_ep_size(q), len;
	u8 *req, *resp = NULL;
	u64 seq;
	int ret;

	*buf = NULL;
	*buflen = 0;
	memset(a, 0, sizeof(*a));
	if (!n || n > VMS_MB_AREA_LEN)
		return -EMSGSIZE;
	/*
	 * Both frames are the calling task's (an ioctl, add_key): charged to
	 * its memcg, as each caller waiting for the mailbox holds them.
	 */
	req = kvmalloc(n, GFP_KERNEL_ACCOUNT);
	if (!req)
		return -ENOMEM;
	ret = vms_mb_lock_until(deadline);
	if (ret)
		goto out_free;
	if (!vms_mb_base || !vms_mb_ready(vms_mb_base)) {
		ret = -EHOSTDOWN;
		goto out_unlock;
	}
	seq = ++vms_mb_seq;
	q->req_id = seq;
	ret = vms_ep_encode(q, req, n, &len);
	if (ret)
		goto out_unlock;
	memcpy_toio(vms_mb_base + VMS_MB_REQ_AREA, req, len);
	iowrite32((u32)len, vms_mb_base + VMS_MB_OFF_REQ_LEN);
	wmb();	/* the frame and its length before the doorbell */
	writeq(seq, vms_mb_base + VMS_MB_OFF_REQ_SEQ);

	if (!vms_mb_answered(seq, deadline)) {
		ret = -EHOSTDOWN;
		goto out_unlock;
	}
	rmb();	/* the answer's bytes after its doorbell */
	len = ioread32(vms_mb_base + VMS_MB_OFF_RESP_LEN);
	if (len < VMS_EP_HDR_LEN || len > VMS_MB_AREA_LEN) {
		ret = -EPROTO;
		goto out_unlock;
	}
	resp = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!resp) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	memcpy_fromio(resp, vms_mb_base + VMS_MB_RESP_AREA, len);
	mutex_unlock(&vms_mb_lock);

	/* decoded outside the lock, from our own copy */
	if (vms_ep_decode(resp, len, true, a) || a->type != q->type ||
	    a->req_id != seq) {
		memset(a, 0, sizeof(*a));
		vms_mailbox_free(resp, len);
		ret = -EPROTO;
		goto out_free;
	}
	*buf = resp;
	*buflen = len;
	ret = 0;
	goto out_free;

out_unlock:
	mutex_unlock(&vms_mb_lock);
out_free:
	/* the request may have carried plaintext state */
	memzero_explicit(req, n);
	kvfree(req);
	return ret;
}

/* Wipe (an answer may carry plaintext state) and free a response. */
void vms_mailbox_free(u8 *buf, size_t len)
{
	if (!buf)
		return;
	memzero_explicit(buf, len);
	kvfree(buf);
}

static int vms_mb_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *base;
	int ret;

	if (!READ_ONCE(vms_mb_accepting) || vms_remote_active()) {
		dev_warn(&pdev->dev, "mailbox appeared after load: refused, placement unchanged\n");
		return -EBUSY;
	}
	if (pci_resource_len(pdev, 2) < VMS_MB_SIZE) {
		dev_err(&pdev->dev, "BAR 2 is %llu bytes, the mailbox needs %u\n",
			(unsigned long long)pci_resource_len(pdev, 2), VMS_MB_SIZE);
		return -ENODEV;
	}
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(2), KBUILD_MODNAME);
	if (ret)
		return ret;
	base = pcim_iomap_table(pdev)[2];
	if (!base)
		return -ENOMEM;

	mutex_lock(&vms_mb_lock);
	vms_mb_base = base;
	/* continue the sequence where the doorbell is, so no answer matches */
	vms_mb_seq = readq(base + VMS_MB_OFF_REQ_SEQ);
	WRITE_ONCE(vms_mb_bound, true);
	mutex_unlock(&vms_mb_lock);
	dev_info(&pdev->dev, "enclave mailbox bound: placement hypervisor (enclave %s)\n",
		 vms_mb_ready(base) ? "ready" : "not ready yet");
	return 0;
}

static void vms_mb_remove(struct pci_dev *pdev)
{
	/* the placement stays hypervisor: every call now fails closed */
	mutex_lock(&vms_mb_lock);
	vms_mb_base = NULL;
	mutex_unlock(&vms_mb_lock);
	dev_info(&pdev->dev, "enclave mailbox gone: enclave calls fail with EHOSTDOWN\n");
}

static const struct pci_device_id vms_mb_ids[] = {
	{ PCI_DEVICE(VMS_MB_PCI_VENDOR, VMS_MB_PCI_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vms_mb_ids);

static struct pci_driver vms_mb_driver = {
	.name = "vmshield-mailbox",
	.id_table = vms_mb_ids,
	.probe = vms_mb_probe,
	.remove = vms_mb_remove,
};

/* Register the driver; devices present now are probed before it returns. */
int vms_mailbox_init(void)
{
	int ret;

	WRITE_ONCE(vms_mb_accepting, true);
	ret = pci_register_driver(&vms_mb_driver);
	WRITE_ONCE(vms_mb_accepting, false);
	return ret;
}

void vms_mailbox_exit(void)
{
	pci_unregister_driver(&vms_mb_driver);
}
