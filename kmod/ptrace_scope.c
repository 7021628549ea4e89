// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace_scope.c - Yama's ptrace_scope, as a fact of the isolation report.
 *
 * At scope 3 no process may attach to another with ptrace or write its
 * memory through /proc/<pid>/mem (both need PTRACE_MODE_ATTACH, which Yama
 * then refuses to everyone, root included), so root cannot put code into
 * an approved worker between two of its calls. Yama exports nothing a
 * module can ask, so the setting is read from its sysctl file. Root can
 * mount over that path, so the file opened must be procfs's own
 * sys/kernel/yama/ptrace_scope entry (no other filesystem, no other
 * procfs file bound over it), and only procfs (the kernel) writes what it
 * holds. Yama makes 3 final until reboot, so once 3 is read it is kept:
 * no later read can lower it, and no file is opened again.
 */
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "vmshield.h"

#define VMS_PTRACE_SCOPE_PATH	"/proc/sys/kernel/yama/ptrace_scope"
#define VMS_PTRACE_SCOPE_FINAL	3

static int vms_scope_final;	/* 1 once scope 3 was read: Yama keeps it */

/* Is @d named @name, below a dentry named @parent? */
static bool vms_dentry_is(const struct dentry *d, const char *name,
			  const char *parent)
{
	return !strcmp(d->d_name.name, name) &&
	       !strcmp(d->d_parent->d_name.name, parent);
}

/* The file is procfs's sys/kernel/yama/ptrace_scope, nothing else. */
static bool vms_scope_file_genuine(struct file *f)
{
	struct dentry *d = f->f_path.dentry;

	if (d->d_sb->s_magic != PROC_SUPER_MAGIC)
		return false;
	if (!vms_dentry_is(d, "ptrace_scope", "yama"))
		return false;
	d = d->d_parent;
	if (!vms_dentry_is(d->d_parent, "kernel", "sys"))
		return false;
	/* sys sits at procfs's root */
	return d->d_parent->d_parent->d_parent == d->d_sb->s_root;
}

/**
 * vms_ptrace_scope - Yama's ptrace_scope now.
 *
 * Context: process context; sleeps (opens a file) unless 3 was seen.
 * Return: 0..3, or VMSHIELD_PTRACE_SCOPE_UNKNOWN when Yama is not there or
 * the file opened is not Yama's own (fail closed: unknown is below 3).
 */
u32 vms_ptrace_scope(void)
{
	char buf[8] = {};
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	u32 scope;

	if (READ_ONCE(vms_scope_final))
		return VMS_PTRACE_SCOPE_FINAL;
	f = filp_open(VMS_PTRACE_SCOPE_PATH, O_RDONLY, 0);
	if (IS_ERR(f))
		return VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	if (!vms_scope_file_genuine(f)) {
		pr_notice_ratelimited("%s is not Yama's own file: ptrace_scope unknown\n",
				      VMS_PTRACE_SCOPE_PATH);
		fput(f);
		return VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	}
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	fput(f);
	if (n <= 0 || kstrtou32(strim(buf), 10, &scope) ||
	    scope > VMS_PTRACE_SCOPE_FINAL)
		return VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	if (scope == VMS_PTRACE_SCOPE_FINAL)
		WRITE_ONCE(vms_scope_final, 1);
	return scope;
}
