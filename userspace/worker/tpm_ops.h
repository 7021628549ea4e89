/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_ops.h - the TPM 2.0 commands vmshield-worker sends to its vTPM,
 * through ESAPI (tpm2-tss) over the libtpms TCTI. Each returns 0 or -EIO
 * after printing which command failed and the TPM's decoded response code.
 */
#ifndef VMS_WORKER_TPM_OPS_H
#define VMS_WORKER_TPM_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_esys.h>

/* The indices and handle the worker puts in a VM's vTPM. */
#define WORKER_NV_TAG		0x01500016u	/* the provisioning tag (text) */
#define WORKER_NV_COUNTER	0x01500017u	/* a TPM2_NT_COUNTER */
#define WORKER_PERSISTENT_KEY	0x81000001u	/* an ECC P-256 storage key */
#define WORKER_NV_TAG_MAX	256		/* bytes of tag text */

struct tpm_session {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

/* ESAPI over the running vtpm; tpm_close() releases both. */
int tpm_open(struct tpm_session *s);
void tpm_close(struct tpm_session *s);

/*
 * TPM2_Startup(@su). -EAGAIN (nothing printed) when @su is
 * TPM2_SU_STATE and the TPM has no saved state to resume (it was not
 * shut down with TPM2_Shutdown(STATE)).
 */
int tpm_startup(struct tpm_session *s, TPM2_SU su);
/* TPM2_Shutdown(STATE): save the state a TPM2_Startup(STATE) resumes. */
int tpm_shutdown_state(struct tpm_session *s);

/* Define @index (owner auth, empty index auth) holding @text. */
int tpm_nv_define_text(struct tpm_session *s, uint32_t index,
		       const char *text, size_t len);
/* Read all of @index into @buf (NUL-terminated): -ENOENT if undefined. */
int tpm_nv_read_text(struct tpm_session *s, uint32_t index, char *buf,
		     size_t size);
/* Define the counter @index and increment it once. */
int tpm_nv_define_counter(struct tpm_session *s, uint32_t index);
/* TPM2_NV_Increment, then the new value in *@value. */
int tpm_nv_increment(struct tpm_session *s, uint32_t index, uint64_t *value);
/* The counter's value: -ENOENT if undefined. */
int tpm_nv_read_counter(struct tpm_session *s, uint32_t index,
			uint64_t *value);

/*
 * Create an ECC P-256 storage primary key under the owner hierarchy and
 * make it persistent at @handle; its name (hex) goes to @name_hex.
 */
int tpm_persist_primary(struct tpm_session *s, uint32_t handle,
			char *name_hex, size_t size);
/* The name (hex) of persistent @handle: -ENOENT if there is none. */
int tpm_persistent_name(struct tpm_session *s, uint32_t handle,
			char *name_hex, size_t size);

#endif /* VMS_WORKER_TPM_OPS_H */
