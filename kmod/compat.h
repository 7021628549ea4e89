/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - one spelling, for the module's code, of kernel interfaces
 * that changed between the kernels it supports (Debian 12's 6.1 and 6.12).
 *
 * Which side of each change the kernel being built against is on is
 * decided in Kbuild.compat by looking at its headers (VMS_HAVE_*), never by
 * its version number. Each shim names the change it covers; when the
 * oldest supported kernel has the new form, the shim goes.
 */
#ifndef VMSHIELD_COMPAT_H
#define VMSHIELD_COMPAT_H

#include <linux/fs.h>
#include <linux/rcupdate.h>

/**
 * vms_get_file_rcu - take a reference to the file in an RCU-protected slot.
 * @slot: e.g. &mm->exe_file.
 *
 * Context: under rcu_read_lock().
 * Return: the file with a reference the caller drops with fput(), or NULL
 * when the slot is empty or its file is being freed.
 */
#ifdef VMS_HAVE_GET_FILE_RCU_SLOT
static inline struct file *vms_get_file_rcu(struct file __rcu **slot)
{
	/* 6.7+: re-reads the slot, so a freed and reused file is not taken */
	return get_file_rcu(slot);
}
#else
static inline struct file *vms_get_file_rcu(struct file __rcu **slot)
{
	/* before 6.7 files are freed after a grace period: the count decides */
	struct file *file = rcu_dereference(*slot);

	if (file && !get_file_rcu(file))
		return NULL;
	return file;
}
#endif

/*
 * VMS_SLAB_NO_MERGE: the secret caches must not share slabs with any other
 * cache (a merged cache would put key material next to objects of code
 * that may copy them to userspace or free them wrongly). 6.5+ says so with
 * SLAB_NO_MERGE; 6.1's slab_unmergeable() refuses to merge a cache with
 * SLAB_NOLEAKTRACE (it is in SLAB_NEVER_MERGE), at the price of kmemleak
 * not tracking these objects (the module's created == wiped count does).
 */
#ifdef VMS_HAVE_SLAB_NO_MERGE
#define VMS_SLAB_NO_MERGE	SLAB_NO_MERGE
#else
#define VMS_SLAB_NO_MERGE	SLAB_NOLEAKTRACE
#endif

#endif /* VMSHIELD_COMPAT_H */
