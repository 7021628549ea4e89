/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_state.h - the plaintext vmshield-worker seals: a VM's vTPM state
 * (libtpms' permanent state and, after an orderly TPM2_Shutdown(STATE),
 * its volatile state), in one versioned container. Layout in
 * Documentation/worker.md ("What is sealed").
 */
#ifndef VMS_WORKER_TPM_STATE_H
#define VMS_WORKER_TPM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "vms_cleanup.h"

#define VTS_MAGIC		"VWTS"
#define VTS_VERSION		1
#define VTS_HDR_LEN		16
/* Taken after TPM2_Shutdown(STATE): resume with TPM2_Startup(STATE). */
#define VTS_F_ORDERLY		0x0001
/*
 * `serve`: the volatile part is a running TPM's state (CMD_STORE_VOLATILE,
 * or a migrated SET_STATEBLOB): the next CMD_INIT resumes it as it was.
 */
#define VTS_F_SUSPENDED		0x0002
#define VTS_FLAGS_ALL		(VTS_F_ORDERLY | VTS_F_SUSPENDED)

struct vts_view {		/* points into a parsed container */
	uint16_t flags;
	const uint8_t *perm;
	size_t perm_len;
	const uint8_t *vol;
	size_t vol_len;
};

/*
 * Build a container of @perm and @vol (@vol_len may be 0) into @out, a
 * wiping buffer. 0, -EINVAL or -ENOMEM.
 */
int vts_build(uint16_t flags, const uint8_t *perm, size_t perm_len,
	      const uint8_t *vol, size_t vol_len, struct vms_secret *out);
/*
 * Strict parse of @len bytes at @p: magic, version, known flags, a
 * non-empty permanent state, lengths adding up exactly. 0, -EILSEQ (not a
 * worker container), -EPROTONOSUPPORT (newer version), -EINVAL (unknown
 * flags), -EMSGSIZE (lengths wrong).
 */
int vts_parse(const uint8_t *p, size_t len, struct vts_view *v);

/*
 * A state blob as `serve` hands it out with CMD_GET_STATEBLOB, before it
 * is sealed: which blob it is and libtpms' bytes, big-endian:
 *   0 4 magic "VWSB"  4 2 version 1  6 2 blob type (PTM_BLOB_TYPE_*)
 *   8 4 length n      12 n the blob
 */
#define VSB_MAGIC		"VWSB"
#define VSB_VERSION		1
#define VSB_HDR_LEN		12

struct vsb_view {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

/* Build a state blob of @type into @out. 0, -EINVAL or -ENOMEM. */
int vsb_build(uint16_t type, const uint8_t *data, size_t len,
	      struct vms_secret *out);
/*
 * Strict parse: magic, version, lengths adding up exactly. 0, -EILSEQ,
 * -EPROTONOSUPPORT or -EMSGSIZE.
 */
int vsb_parse(const uint8_t *p, size_t len, struct vsb_view *v);

#endif /* VMS_WORKER_TPM_STATE_H */
