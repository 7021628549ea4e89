// SPDX-License-Identifier: GPL-2.0
/*
 * preload_lib - a shared object with code of its own, for the worker
 * identity tests: LD_PRELOADed into, or dlopen()ed by, seal_helper, it
 * adds one file-backed executable mapping to an otherwise approved worker
 * (its own IMA digest). It does nothing when loaded; its presence is the
 * point. Not a test by itself.
 */
int vms_preload_marker(void);

int vms_preload_marker(void)
{
	return 42;
}
