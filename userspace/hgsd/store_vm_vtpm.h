/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_vm_vtpm.h - each VM's vTPM generation, held by HGS (issue 21,
 * Documentation/vtpm-in-enclave.md §2): table vm_vtpm (schema step 15),
 * the generation, the enclave boot id and host it came from and when,
 * raised only upward inside the release's transaction (store_vm.c calls
 * in).
 *
 * Included by store_vm.c, kps_vtpm_generation.c and kps.c.
 */
#ifndef HGSD_STORE_VM_VTPM_H
#define HGSD_STORE_VM_VTPM_H

#include <stdint.h>

struct db;
struct store;

/* What a release brings to the record. */
struct store_vtpm {
	int statement;		/* a verified statement came with the release */
	uint64_t generation;	/* its confirmed generation */
	uint8_t boot_id[16];	/* the enclave boot that signed it */
	uint64_t floor;		/* the floor the release carries */
};

/* @vm_id's stored generation in *@gen (0: none). 0 or -errno. */
int store_vm_vtpm_get(struct store *st, const char *vm_id, uint64_t *gen);

/*
 * Under the release's write transaction: -ERANGE the statement is below
 * the stored generation (the caller rolls back: nothing changed);
 * -EAGAIN the stored generation rose above the release's floor
 * meanwhile (retry); else raises it to the statement's (upward only).
 * 0 or -errno.
 */
int store_vm_vtpm_txn(struct db *db, const char *vm_id, const char *host,
		      const struct store_vtpm *v);

#endif /* HGSD_STORE_VM_VTPM_H */
