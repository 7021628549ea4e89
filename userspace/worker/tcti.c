// SPDX-License-Identifier: GPL-2.0
/*
 * tcti.c - a TSS2 TCTI (tpm2-tss's transport interface) over
 * TPMLIB_Process, so ESAPI drives the in-process libtpms TPM as it would a
 * device: transmit runs the command, receive hands the response back.
 * tpm2-tss 3.2 has no libtpms TCTI; TSS2_TCTI_CONTEXT_COMMON_V2 with its
 * transmit/receive pair is the documented way to add one.
 */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <openssl/crypto.h>

#include "vtpm.h"

#define TCTI_VTPM_MAGIC 0x766d73776b747069ULL	/* "vmswktpi" */

struct tcti_vtpm {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* must be first */
	unsigned char *resp;	/* libtpms' response buffer, reused */
	uint32_t resp_size;	/* its allocated size */
	uint32_t resp_len;	/* bytes of the pending response */
	int pending;		/* a response waits for receive */
};

static struct tcti_vtpm *tcti_cast(TSS2_TCTI_CONTEXT *ctx)
{
	struct tcti_vtpm *t = (struct tcti_vtpm *)ctx;

	if (!t || t->common.v1.magic != TCTI_VTPM_MAGIC)
		return NULL;
	return t;
}

static TSS2_RC tcti_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size,
			     const uint8_t *command)
{
	struct tcti_vtpm *t = tcti_cast(ctx);
	unsigned char *cmd;
	TPM_RESULT rc;

	if (!t)
		return TSS2_TCTI_RC_BAD_CONTEXT;
	if (!command)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (t->pending)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (size < 10 || size > UINT32_MAX)
		return TSS2_TCTI_RC_BAD_VALUE;
	/* TPMLIB_Process takes a non-const buffer: give it a copy. */
	cmd = OPENSSL_malloc(size);
	if (!cmd)
		return TSS2_TCTI_RC_MEMORY;
	memcpy(cmd, command, size);
	rc = TPMLIB_Process(&t->resp, &t->resp_len, &t->resp_size, cmd,
			    (uint32_t)size);
	OPENSSL_clear_free(cmd, size);
	if (rc != TPM_SUCCESS || !t->resp || t->resp_len < 10)
		return TSS2_TCTI_RC_IO_ERROR;
	t->pending = 1;
	return TSS2_RC_SUCCESS;
}

static TSS2_RC tcti_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size,
			    uint8_t *response, int32_t timeout)
{
	struct tcti_vtpm *t = tcti_cast(ctx);

	(void)timeout;	/* TPMLIB_Process is synchronous */
	if (!t)
		return TSS2_TCTI_RC_BAD_CONTEXT;
	if (!size)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (!t->pending)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (!response) {	/* a size query */
		*size = t->resp_len;
		return TSS2_RC_SUCCESS;
	}
	if (*size < t->resp_len) {
		*size = t->resp_len;
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	}
	memcpy(response, t->resp, t->resp_len);
	*size = t->resp_len;
	/* Responses carry secrets (NV contents, keys): wipe our copy. */
	OPENSSL_cleanse(t->resp, t->resp_len);
	t->resp_len = 0;
	t->pending = 0;
	return TSS2_RC_SUCCESS;
}

static void tcti_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	struct tcti_vtpm *t = tcti_cast(ctx);

	if (!t)
		return;
	if (t->resp) {
		OPENSSL_cleanse(t->resp, t->resp_size);
		free(t->resp);	/* allocated by libtpms */
	}
	t->resp = NULL;
	t->resp_size = t->resp_len = 0;
	t->pending = 0;
}

static TSS2_RC tcti_cancel(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC tcti_poll_handles(TSS2_TCTI_CONTEXT *ctx,
				 TSS2_TCTI_POLL_HANDLE *handles, size_t *num)
{
	(void)ctx;
	(void)handles;
	(void)num;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC tcti_set_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	/* The worker talks at locality 0, the only one libtpms' default uses. */
	if (!tcti_cast(ctx))
		return TSS2_TCTI_RC_BAD_CONTEXT;
	return locality ? TSS2_TCTI_RC_NOT_IMPLEMENTED : TSS2_RC_SUCCESS;
}

static TSS2_RC tcti_make_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle,
				uint8_t sticky)
{
	(void)ctx;
	(void)handle;
	(void)sticky;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

TSS2_TCTI_CONTEXT *vtpm_tcti_new(void)
{
	struct tcti_vtpm *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->common.v1.magic = TCTI_VTPM_MAGIC;
	t->common.v1.version = 2;
	t->common.v1.transmit = tcti_transmit;
	t->common.v1.receive = tcti_receive;
	t->common.v1.finalize = tcti_finalize;
	t->common.v1.cancel = tcti_cancel;
	t->common.v1.getPollHandles = tcti_poll_handles;
	t->common.v1.setLocality = tcti_set_locality;
	t->common.makeSticky = tcti_make_sticky;
	return (TSS2_TCTI_CONTEXT *)t;
}

void vtpm_tcti_free(TSS2_TCTI_CONTEXT *tcti)
{
	if (!tcti)
		return;
	tcti_finalize(tcti);
	free(tcti);
}
