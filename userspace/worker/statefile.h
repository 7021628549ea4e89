/* SPDX-License-Identifier: GPL-2.0 */
/*
 * statefile.h - a VM's sealed-state file as vmshield-worker uses it: one
 * worker at a time (an exclusive lock next to it), its header checked
 * before anything else is touched, the same bytes then unsealed.
 */
#ifndef VMS_WORKER_STATEFILE_H
#define VMS_WORKER_STATEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#include "sealedstate.h"
#include "vms_cleanup.h"

struct statefile {
	const char *path;
	int lock_fd;
	uint8_t *blob;		/* the file as read (ciphertext) */
	size_t len;
	struct vms_ss_header hdr;
};

/*
 * Take the lock ".<name>.lock" next to @path (-EBUSY if another worker
 * holds it) and remove temporaries a killed worker left (".<name>.tmp-*").
 * Prints what went wrong. 0 or -errno.
 */
int statefile_open(struct statefile *sf, const char *path);
void statefile_close(struct statefile *sf);

/* -EEXIST (printed) if the file exists: provisioning never overwrites. */
int statefile_must_not_exist(struct statefile *sf);

/*
 * Read the file and check its header: a sealed-state blob of @vm_id with
 * a generation of at least @min_generation. Prints the header, or what is
 * wrong and what to do. 0 or -errno.
 */
int statefile_check(struct statefile *sf, const uint8_t vm_id[16],
		    uint64_t min_generation);

/* Unseal what statefile_check() read; the plaintext goes to @out. */
int statefile_unseal(struct statefile *sf, int fd, key_serial_t key,
		     struct vms_secret *out, uint64_t *generation);

/*
 * For `status`: read and parse @path's header without taking the lock;
 * *@in_use is 1 when a worker holds the lock. 0 or -errno (not printed).
 */
int statefile_peek(const char *path, struct vms_ss_header *hdr,
		   size_t *len, int *in_use);

#endif /* VMS_WORKER_STATEFILE_H */
