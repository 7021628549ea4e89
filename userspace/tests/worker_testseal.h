/* SPDX-License-Identifier: GPL-2.0 */
/*
 * worker_testseal.h - a sealer for the worker's unit tests: the same
 * sealed-state format (core/sealedstate.c) under a test TK held in the
 * test process, so `serve` can be tested without vmshield.ko. Never in
 * the worker itself: there the TK stays in the enclave.
 */
#ifndef VMS_TESTS_WORKER_TESTSEAL_H
#define VMS_TESTS_WORKER_TESTSEAL_H

#include "persist.h"
#include "sealedstate.h"

struct test_sealer {
	struct sealer ops;	/* must be first */
	struct vms_seal_key key;
	int fail_after;		/* > 0: seals after this many fail (-EIO) */
	int seals;
};

/* A sealer for @vm_id under the TK @tk (32 bytes), key id t_key_id. */
void test_sealer_init(struct test_sealer *s, const u8 vm_id[16],
		      const u8 tk[32]);
void test_sealer_wipe(struct test_sealer *s);

#endif /* VMS_TESTS_WORKER_TESTSEAL_H */
