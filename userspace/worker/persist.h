/* SPDX-License-Identifier: GPL-2.0 */
/*
 * persist.h - how `vmshield-worker serve` keeps a running vTPM's state:
 * every change is sealed as the next generation and written atomically
 * before the command that made it is answered.
 *
 * The sealing itself is behind struct sealer: in the worker it is
 * vmshield.ko under the VM's key (sealer_dev.c); the unit tests use a
 * test key in process instead, so the protocol can be tested without
 * the module.
 */
#ifndef VMS_WORKER_PERSIST_H
#define VMS_WORKER_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "vms_cleanup.h"

struct sealer {
	/*
	 * Seal @len bytes as @generation: *@blob (malloc'ed ciphertext,
	 * *@blob_len bytes). 0 or -errno.
	 */
	int (*seal)(struct sealer *s, uint64_t generation, const uint8_t *pt,
		    size_t len, uint8_t **blob, size_t *blob_len);
	/*
	 * Open @blob (which must be this VM's): the plaintext into @out, its
	 * generation into *@generation. 0 or -errno.
	 */
	int (*unseal)(struct sealer *s, const uint8_t *blob, size_t len,
		      struct vms_secret *out, uint64_t *generation);
	/* What an error of seal (@sealing 1) or unseal means. */
	const char *(*strerror)(struct sealer *s, int sealing, int err);
};

struct persist {
	const char *path;	/* the sealed-state file */
	struct sealer *sealer;
	uint64_t generation;	/* of the state on disk: the last acknowledged */
	int has_volatile;	/* what is on disk carries a volatile state */
	uint64_t writes;	/* seals written by this process */
};

/*
 * Seal the vTPM's NVRAM (its permanent state, and the volatile one when
 * there is one: VTS_F_SUSPENDED) as generation + 1, write it to
 * @p->path atomically and only then advance @p->generation. Prints
 * "sealed generation N ... (@why)", or what failed. 0 or -errno: the
 * caller must not acknowledge anything then (fail closed).
 */
int persist_state(struct persist *p, const char *why);

#endif /* VMS_WORKER_PERSIST_H */
