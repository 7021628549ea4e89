// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - worker identity: who may use a shielded VM key.
 *
 * Lockdown keeps root from reading a key out of the kernel, but not from
 * asking the module to use it. For shielded keys the module therefore
 * serves only an approved worker: a non-dumpable process whose executable,
 * as IMA measured it, has a SHA-256 digest listed in the key's release
 * (put there by HGS policy). No digest, no service.
 *
 * The executable's digest names the caller's code only if the code that
 * runs is that executable's. So the caller must also not be traced (a
 * tracer can make an approved worker run anything: refused even when
 * Yama's ptrace_scope would have allowed the attach), must have no
 * anonymous executable mapping (injected or generated code; the vDSO is
 * the kernel's own), and its exe_file must be mapped executable: a
 * process that merely pointed exe_file at an approved binary
 * (PR_SET_MM_EXE_FILE, or PR_SET_MM_MAP with exe_fd) runs other code
 * and, unless it also maps the binary, is refused. What this does not
 * cover yet: libraries and LD_PRELOAD code, file-backed, inside an
 * approved worker (their digests are not in the release; see
 * Documentation/architecture.md).
 */
#include <linux/fs.h>
#include <linux/ima.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/coredump.h>
#include <linux/rcupdate.h>
#include <linux/hash_info.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
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

/* Is @vma the vDSO, the kernel's own code in every process? */
static bool vms_vma_is_vdso(struct vm_area_struct *vma)
{
#ifdef CONFIG_X86
	return vma->vm_start == (unsigned long)vma->vm_mm->context.vdso;
#else
	return false;
#endif
}

/*
 * The caller's image: no anonymous executable mapping, and @exe mapped
 * executable. A walk of the VMAs under the mmap lock, read only; no file
 * is read here. Return: 0, -EACCES, or -EINTR (fatal signal).
 */
static int vms_worker_image_check(struct mm_struct *mm, struct file *exe)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;
	bool exe_mapped = false;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for_each_vma(vmi, vma) {
		if (!(vma->vm_flags & VM_EXEC))
			continue;
		if (!vma->vm_file) {
			if (vms_vma_is_vdso(vma))
				continue;
			pr_notice_ratelimited("worker %s refused: anonymous executable mapping at %lx\n",
					      current->comm, vma->vm_start);
			ret = -EACCES;
			break;
		}
		if (file_inode(vma->vm_file) == file_inode(exe))
			exe_mapped = true;
	}
	mmap_read_unlock(mm);
	if (!ret && !exe_mapped) {
		pr_notice_ratelimited("worker %s refused: its exe_file is not mapped executable (PR_SET_MM_EXE_FILE?)\n",
				      current->comm);
		ret = -EACCES;
	}
	return ret;
}

/* Called for shielded keys only: may the current task use @key? */
int vms_worker_check(struct vms_vmkey *key)
{
	struct file *exe;
	u8 digest[32];
	int algo;

	int ret;

	if (!current->mm || get_dumpable(current->mm) != SUID_DUMP_DISABLE)
		return -EPERM;
	if (READ_ONCE(current->ptrace)) {
		pr_notice_ratelimited("worker %s refused: traced\n",
				      current->comm);
		return -EPERM;
	}

	exe = vms_current_exe();
	if (!exe)
		return -EACCES;
	ret = vms_worker_image_check(current->mm, exe);
	if (ret) {
		fput(exe);
		return ret;
	}
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
