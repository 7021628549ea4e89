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
 * and, unless it also maps the binary, is refused. Every file mapped
 * executable (the program, ld.so, every library, LD_PRELOADed and
 * dlopen()ed ones) must have its IMA digest in the release's approved
 * set, which HGS fills with each registered worker's program and
 * libraries (Documentation/admin-guide.md, "Worker registration").
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
 * The caller's executable image: every distinct file mapped executable,
 * with a reference each. More than VMS_IMAGE_MAX_FILES is refused (a
 * worker maps a dozen); the bound keeps the walk and the array small.
 */
#define VMS_IMAGE_MAX_FILES	64

struct vms_image {
	struct file *files[VMS_IMAGE_MAX_FILES];
	unsigned int n;
	bool exe_mapped;
};

static void vms_image_put(struct vms_image *img)
{
	while (img->n)
		fput(img->files[--img->n]);
}

/* Add @file unless a file of the same inode is there. -E2BIG when full. */
static int vms_image_add(struct vms_image *img, struct file *file)
{
	unsigned int i;

	for (i = 0; i < img->n; i++)
		if (file_inode(img->files[i]) == file_inode(file))
			return 0;
	if (img->n == VMS_IMAGE_MAX_FILES)
		return -E2BIG;
	img->files[img->n++] = get_file(file);
	return 0;
}

/*
 * Walk the caller's executable mappings under the mmap lock, read only: no
 * file is read here (hashing may read a file, which must not happen under
 * the mmap lock). Refused: an anonymous executable mapping (injected or
 * generated code; the vDSO is the kernel's own), and a file-backed one
 * with an anon_vma, i.e. a code page that was written after it was mapped
 * (a ptrace POKETEXT or /proc/pid/mem write, a breakpoint, a uprobe): its
 * file's digest no longer says what runs.
 * Return: 0, -EACCES, -EINTR (fatal signal).
 */
static int vms_image_collect(struct mm_struct *mm, struct file *exe,
			     struct vms_image *img)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;
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
		if (vma->anon_vma) {
			pr_notice_ratelimited("worker %s refused: code of %pD was written after it was mapped\n",
					      current->comm, vma->vm_file);
			ret = -EACCES;
			break;
		}
		if (file_inode(vma->vm_file) == file_inode(exe))
			img->exe_mapped = true;
		if (vms_image_add(img, vma->vm_file)) {
			pr_notice_ratelimited("worker %s refused: more than %d files mapped executable\n",
					      current->comm, VMS_IMAGE_MAX_FILES);
			ret = -EACCES;
			break;
		}
	}
	mmap_read_unlock(mm);
	if (!ret && !img->exe_mapped) {
		pr_notice_ratelimited("worker %s refused: its exe_file is not mapped executable (PR_SET_MM_EXE_FILE?)\n",
				      current->comm);
		ret = -EACCES;
	}
	return ret;
}

/*
 * Every file of the image: not open for writing anywhere (its pages would
 * not stay what was hashed), with an IMA SHA-256 digest in @key's
 * approved set. Return: 0 or -EACCES.
 */
static int vms_image_approved(struct vms_vmkey *key, struct vms_image *img)
{
	u8 digest[32];
	unsigned int i;
	int algo;

	for (i = 0; i < img->n; i++) {
		struct file *f = img->files[i];

		if (inode_is_open_for_write(file_inode(f))) {
			pr_notice_ratelimited("worker %s refused: %pD is open for writing\n",
					      current->comm, f);
			return -EACCES;
		}
		algo = ima_file_hash(f, digest, sizeof(digest));
		if (algo != HASH_ALGO_SHA256) {
			pr_notice_ratelimited("worker %s refused: no IMA SHA-256 digest of %pD (%d)\n",
					      current->comm, f, algo);
			return -EACCES;
		}
		if (!vms_enclave_key_digest_approved(key, digest)) {
			pr_notice_ratelimited("worker %s refused: %pD (%32phN) is not approved for this key\n",
					      current->comm, f, digest);
			return -EACCES;
		}
	}
	return 0;
}

/*
 * Called for shielded keys only: may the current task use @key? Its whole
 * executable image must be approved code: the program and every library
 * mapped executable (LD_PRELOADed or dlopen()ed ones too), each by its IMA
 * digest, checked at every call (a library loaded since the last call is
 * seen at the next one).
 */
int vms_worker_check(struct vms_vmkey *key)
{
	struct vms_image *img;
	struct file *exe;
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
	img = kzalloc(sizeof(*img), GFP_KERNEL_ACCOUNT);
	if (!img) {
		fput(exe);
		return -ENOMEM;
	}
	ret = vms_image_collect(current->mm, exe, img);
	fput(exe);
	if (!ret)
		ret = vms_image_approved(key, img);
	vms_image_put(img);
	kfree(img);
	return ret;
}
