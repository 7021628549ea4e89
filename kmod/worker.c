// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - worker identity: who may use a shielded VM key.
 *
 * Lockdown keeps root from reading a key out of the kernel, but not from
 * asking the module to use it. For shielded keys the module therefore
 * serves only an approved worker: a non-dumpable process whose executable,
 * as IMA measured it, has a SHA-256 digest listed in the key's release
 * (put there by HGS policy). No digest, no service.
 */
#include <linux/fs.h>
#include <linux/ima.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/coredump.h>
#include <linux/rcupdate.h>
#include <linux/hash_info.h>
#include "vmshield.h"
#include "compat.h"

/* get_mm_exe_file() is not exported (6.1, 6.12): take the reference here */
static struct file *vms_current_exe(void)
{
	struct mm_struct *mm = current->mm;
	struct file *exe;

	if (!mm)
		return NULL;
	rcu_read_lock();
	exe = vms_get_file_rcu(&mm->exe_file);
	rcu_read_unlock();
	return exe;
}

/* Called for shielded keys only: may the current task use @key? */
int vms_worker_check(struct vms_vmkey *key)
{
	struct file *exe;
	u8 digest[32];
	int algo;

	if (!current->mm || get_dumpable(current->mm) != SUID_DUMP_DISABLE)
		return -EPERM;

	exe = vms_current_exe();
	if (!exe)
		return -EACCES;
	algo = ima_file_hash(exe, digest, sizeof(digest));
	fput(exe);
	if (algo != HASH_ALGO_SHA256) {
		pr_notice_ratelimited("worker %s refused: no IMA SHA-256 digest of its executable (%d)\n",
				      current->comm, algo);
		return -EACCES;
	}
	if (!vms_enclave_key_digest_approved(key, digest)) {
		pr_notice_ratelimited("worker %s refused: executable %32phN is not approved for this key\n",
				      current->comm, digest);
		return -EACCES;
	}
	return 0;
}
