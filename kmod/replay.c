// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - the releases this load of the module has opened.
 *
 * A key release (core/keyrelease.h) is a long-lived bearer token for one
 * enclave identity: nothing in format v1 ties it to a moment. Without a
 * memory of what was opened, root could add a revoked key's release again
 * and have a working key back, or re-add a release after its key expired
 * and get a fresh lifetime. So every release that authenticated and
 * became a key is remembered, as the first 16 bytes of the SHA-256 of the
 * whole blob (every byte of it is authenticated, so no other blob opens to
 * the same key), for the whole load: a release is opened at most once.
 *
 * The memory is bounded: VMS_OPENED_MAX entries (256 KiB), allocated at
 * load. When it is full the module fails closed: every further release is
 * refused with -ENOSPC until the module is reloaded, which makes a new
 * enclave identity and so voids every release made for the old one.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <crypto/sha2.h>
#include "vmshield.h"

static u8 (*vms_opened)[VMS_OPENED_LEN];
static unsigned int vms_opened_n;
static DEFINE_MUTEX(vms_opened_lock);

int vms_opened_init(void)
{
	vms_opened = kvcalloc(VMS_OPENED_MAX, VMS_OPENED_LEN, GFP_KERNEL);
	if (!vms_opened)
		return -ENOMEM;
	vms_opened_n = 0;
	return 0;
}

void vms_opened_exit(void)
{
	kvfree(vms_opened);
	vms_opened = NULL;
	vms_opened_n = 0;
}

void vms_opened_digest(const u8 *blob, size_t len, u8 d[VMS_OPENED_LEN])
{
	u8 full[SHA256_DIGEST_SIZE];

	sha256(blob, len, full);
	memcpy(d, full, VMS_OPENED_LEN);
}

/* Caller holds vms_opened_lock. */
static int vms_opened_find(const u8 d[VMS_OPENED_LEN])
{
	unsigned int i;

	if (!vms_opened)
		return -ENODEV;
	for (i = 0; i < vms_opened_n; i++)
		if (!memcmp(vms_opened[i], d, VMS_OPENED_LEN))
			return -EALREADY;
	if (vms_opened_n >= VMS_OPENED_MAX)
		return -ENOSPC;
	return 0;
}

/* May a release with digest @d still be opened? 0, -EALREADY or -ENOSPC. */
int vms_opened_check(const u8 d[VMS_OPENED_LEN])
{
	int ret;

	mutex_lock(&vms_opened_lock);
	ret = vms_opened_find(d);
	mutex_unlock(&vms_opened_lock);
	return ret;
}

/*
 * Remember @d, once: 0, or -EALREADY when a racing add of the same release
 * got there first, -ENOSPC when the memory is full (fail closed).
 */
int vms_opened_record(const u8 d[VMS_OPENED_LEN])
{
	int ret;

	mutex_lock(&vms_opened_lock);
	ret = vms_opened_find(d);
	if (!ret)
		memcpy(vms_opened[vms_opened_n++], d, VMS_OPENED_LEN);
	mutex_unlock(&vms_opened_lock);
	return ret;
}

unsigned int vms_opened_count(void)
{
	unsigned int n;

	mutex_lock(&vms_opened_lock);
	n = vms_opened_n;
	mutex_unlock(&vms_opened_lock);
	return n;
}
