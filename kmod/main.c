// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - vmshield.ko: init and exit.
 *
 * Init is a straight ladder; each failing step unwinds the ones before it
 * in reverse order. The crypto self-test runs first: a module whose
 * primitives disagree with the published vectors refuses to load.
 */
#include <linux/module.h>
#include <linux/init.h>
#include "vmshield.h"
#include "selftest.h"

static bool vms_selftest_ok;

bool vms_selftest_passed(void)
{
	return vms_selftest_ok;
}

static int __init vms_init(void)
{
	int ret;

	ret = vms_core_selftest();
	if (ret) {
		pr_err("crypto self-test failed (%d): refusing to load\n", ret);
		vms_prim_exit();
		return -ENOTRECOVERABLE;
	}
	vms_selftest_ok = true;
	pr_info("crypto self-test: pass\n");

	ret = vms_opened_init();
	if (ret)
		goto err_out;

	/* the mailbox next: a bound device makes the placement hypervisor */
	ret = vms_mailbox_init();
	if (ret)
		goto err_opened;

	ret = vms_enclave_init();
	if (ret)
		goto err_mailbox;

	ret = vms_keytype_init();
	if (ret)
		goto err_enclave;

	ret = vms_dev_init();
	if (ret)
		goto err_keytype;

	/*
	 * No identity yet, so no report: the first GET_INFO or release makes
	 * the identity at the level the kernel has then, and measures its
	 * report (enclave.c, vms_enclave_identity()).
	 */
	vms_isolation_record_load();

	pr_info("loaded, uapi %d, placement %s\n", VMSHIELD_UAPI_VERSION,
		vms_remote_active() ? "hypervisor" : "kernel");
	return 0;

err_keytype:
	vms_keytype_exit();
err_enclave:
	vms_enclave_exit();
err_mailbox:
	vms_mailbox_exit();
err_opened:
	vms_opened_exit();
err_out:
	vms_prim_exit();	/* the transforms the self-test pooled */
	return ret;
}

static void __exit vms_exit(void)
{
	vms_dev_exit();
	vms_keytype_exit();
	vms_enclave_exit();
	/* after the key type: destroying keys revokes them in the enclave */
	vms_mailbox_exit();
	vms_opened_exit();
	vms_report_reset();
	vms_prim_exit();
	pr_info("unloaded: %lld vm keys created, %lld wiped; enclave identity wiped\n",
		(long long)atomic64_read(&vms_keys_created),
		(long long)atomic64_read(&vms_keys_wiped));
}

module_init(vms_init);
module_exit(vms_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmshield guarded-host enclave for shielded VM keys");
MODULE_AUTHOR("vmshield developers");
MODULE_VERSION(VMSHIELD_VERSION);
