// SPDX-License-Identifier: GPL-2.0
/*
 * persist.c - sealing a served vTPM's state (see persist.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libtpms/tpm_library.h>

#include "persist.h"
#include "tpm_state.h"
#include "vmshield.h"
#include "vtpm.h"

/* The container of what the NVRAM holds now. */
static int build_container(struct vms_secret *c, int *has_volatile)
{
	const struct vms_secret *perm = vtpm_nv_get(TPMLIB_STATE_PERMANENT);
	const struct vms_secret *vol = vtpm_nv_get(TPMLIB_STATE_VOLATILE);

	if (!perm) {
		fprintf(stderr, "worker: the vTPM has no permanent state to seal\n");
		return -ENODATA;
	}
	*has_volatile = vol != NULL;
	return vts_build(vol ? VTS_F_SUSPENDED : 0, perm->p, perm->len,
			 vol ? vol->p : NULL, vol ? vol->len : 0, c);
}

int persist_state(struct persist *p, const char *why)
{
	_cleanup_vms_secret_ struct vms_secret c = { 0 };
	uint8_t *blob = NULL;	/* ciphertext */
	size_t blob_len = 0;
	uint64_t gen;
	int has_volatile = 0, r;

	if (p->generation == UINT64_MAX) {
		fprintf(stderr, "worker: generation counter exhausted\n");
		return -EOVERFLOW;
	}
	gen = p->generation + 1;
	r = build_container(&c, &has_volatile);
	if (r)
		return r;
	r = p->sealer->seal(p->sealer, gen, c.p, c.len, &blob, &blob_len);
	if (r) {
		fprintf(stderr, "worker: seal generation %" PRIu64 ": %s\n", gen,
			p->sealer->strerror(p->sealer, 1, r));
		return r;
	}
	r = vms_dev_write_sealed(p->path, blob, blob_len);
	free(blob);
	if (r) {
		fprintf(stderr, "worker: write generation %" PRIu64 " to %s: %s\n",
			gen, p->path, vms_dev_op_strerror(VMS_OP_FILE, r));
		return r;
	}
	p->generation = gen;
	p->has_volatile = has_volatile;
	p->writes++;
	printf("worker: sealed generation %" PRIu64 " (%zu bytes%s) %s\n", gen,
	       blob_len, has_volatile ? ", with volatile state" : "", why);
	return 0;
}
