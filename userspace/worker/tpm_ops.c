// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_ops.c - the few TPM 2.0 commands the worker needs (startup and
 * shutdown, an NV text index, an NV counter, a persistent primary key),
 * through ESAPI, so no TPM structure is marshalled by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_rc.h>

#include "tpm_ops.h"
#include "vms_hex.h"
#include "vtpm.h"

static int tpm_fail(const char *what, TSS2_RC rc)
{
	fprintf(stderr, "worker: TPM2_%s failed: %s (0x%x)\n", what,
		Tss2_RC_Decode(rc), rc);
	return -EIO;
}

/* A format-one TPM response code @rc with error number @err (any n)? */
static int rc_is(TSS2_RC rc, TSS2_RC err)
{
	return (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER &&
	       (rc & TPM2_RC_FMT1) &&
	       (rc & 0x3f) == (err & 0x3f);
}

/* Is @rc the TPM saying "no such handle"? */
static int rc_is_absent(TSS2_RC rc)
{
	return rc_is(rc, TPM2_RC_HANDLE);
}

int tpm_open(struct tpm_session *s)
{
	TSS2_RC rc;

	/*
	 * tpm2-tss logs every TPM error; ours are expected ("is it there?")
	 * or reported by us. TSS2_LOG set by the caller still wins.
	 */
	setenv("TSS2_LOG", "all+NONE", 0);
	s->esys = NULL;
	s->tcti = vtpm_tcti_new();
	if (!s->tcti)
		return -ENOMEM;
	rc = Esys_Initialize(&s->esys, s->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		vtpm_tcti_free(s->tcti);
		s->tcti = NULL;
		return tpm_fail("(ESAPI initialize)", rc);
	}
	return 0;
}

void tpm_close(struct tpm_session *s)
{
	if (s->esys)
		Esys_Finalize(&s->esys);
	vtpm_tcti_free(s->tcti);
	s->esys = NULL;
	s->tcti = NULL;
}

int tpm_startup(struct tpm_session *s, TPM2_SU su)
{
	TSS2_RC rc = Esys_Startup(s->esys, su);

	/* No saved state: TPM_RC_VALUE on the startupType parameter. */
	if (su == TPM2_SU_STATE && rc_is(rc, TPM2_RC_VALUE))
		return -EAGAIN;
	return rc == TSS2_RC_SUCCESS ? 0 :
	       tpm_fail(su == TPM2_SU_STATE ? "Startup(STATE)" :
			"Startup(CLEAR)", rc);
}

int tpm_shutdown_state(struct tpm_session *s)
{
	TSS2_RC rc = Esys_Shutdown(s->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, TPM2_SU_STATE);

	return rc == TSS2_RC_SUCCESS ? 0 : tpm_fail("Shutdown(STATE)", rc);
}

static int nv_define(struct tpm_session *s, uint32_t index, TPMA_NV attrs,
		     uint16_t size, ESYS_TR *tr)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub = {
		.nvPublic = {
			.nvIndex = index,
			.nameAlg = TPM2_ALG_SHA256,
			.attributes = attrs | TPMA_NV_AUTHREAD |
				      TPMA_NV_AUTHWRITE | TPMA_NV_NO_DA,
			.authPolicy = { .size = 0 },
			.dataSize = size,
		},
	};
	TSS2_RC rc;

	rc = Esys_NV_DefineSpace(s->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				 ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub, tr);
	return rc == TSS2_RC_SUCCESS ? 0 : tpm_fail("NV_DefineSpace", rc);
}

/* An ESYS_TR for an existing TPM object: -ENOENT if it is not there. */
static int tr_from_handle(struct tpm_session *s, uint32_t handle,
			  ESYS_TR *tr, const char *what)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(s->esys, handle, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, tr);

	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (rc_is_absent(rc))
		return -ENOENT;
	return tpm_fail(what, rc);
}

int tpm_nv_define_text(struct tpm_session *s, uint32_t index,
		       const char *text, size_t len)
{
	TPM2B_MAX_NV_BUFFER data = { .size = (uint16_t)len };
	ESYS_TR tr;
	TSS2_RC rc;
	int r;

	if (!len || len > WORKER_NV_TAG_MAX || len > sizeof(data.buffer))
		return -EINVAL;
	r = nv_define(s, index, 0, (uint16_t)len, &tr);
	if (r)
		return r;
	memcpy(data.buffer, text, len);
	rc = Esys_NV_Write(s->esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			   ESYS_TR_NONE, &data, 0);
	OPENSSL_cleanse(&data, sizeof(data));
	Esys_TR_Close(s->esys, &tr);
	return rc == TSS2_RC_SUCCESS ? 0 : tpm_fail("NV_Write", rc);
}

/* Read @size bytes of @index (at most one TPM2B_MAX_NV_BUFFER). */
static int nv_read(struct tpm_session *s, uint32_t index, uint8_t *out,
		   size_t *len, size_t max)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_MAX_NV_BUFFER *data = NULL;
	ESYS_TR tr;
	TSS2_RC rc;
	int r;

	r = tr_from_handle(s, index, &tr, "NV_ReadPublic");
	if (r)
		return r;
	rc = Esys_NV_ReadPublic(s->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_TR_Close(s->esys, &tr);
		return tpm_fail("NV_ReadPublic", rc);
	}
	if (pub->nvPublic.dataSize > max) {
		Esys_Free(pub);
		Esys_TR_Close(s->esys, &tr);
		return -EMSGSIZE;
	}
	rc = Esys_NV_Read(s->esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			  ESYS_TR_NONE, pub->nvPublic.dataSize, 0, &data);
	Esys_Free(pub);
	Esys_TR_Close(s->esys, &tr);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("NV_Read", rc);
	memcpy(out, data->buffer, data->size);
	*len = data->size;
	OPENSSL_cleanse(data, sizeof(*data));
	Esys_Free(data);
	return 0;
}

int tpm_nv_read_text(struct tpm_session *s, uint32_t index, char *buf,
		     size_t size)
{
	size_t len = 0;
	int r;

	if (size < 2)
		return -EINVAL;
	r = nv_read(s, index, (uint8_t *)buf, &len, size - 1);
	if (r)
		return r;
	buf[len] = '\0';
	return 0;
}

int tpm_nv_define_counter(struct tpm_session *s, uint32_t index)
{
	uint64_t v;
	ESYS_TR tr;
	int r;

	r = nv_define(s, index,
		      TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT, 8, &tr);
	if (r)
		return r;
	Esys_TR_Close(s->esys, &tr);
	/* A counter reads only after its first increment. */
	return tpm_nv_increment(s, index, &v);
}

int tpm_nv_increment(struct tpm_session *s, uint32_t index, uint64_t *value)
{
	ESYS_TR tr;
	TSS2_RC rc;
	int r;

	r = tr_from_handle(s, index, &tr, "NV_ReadPublic");
	if (r)
		return r;
	rc = Esys_NV_Increment(s->esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE);
	Esys_TR_Close(s->esys, &tr);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("NV_Increment", rc);
	return tpm_nv_read_counter(s, index, value);
}

int tpm_nv_read_counter(struct tpm_session *s, uint32_t index,
			uint64_t *value)
{
	uint8_t b[8];
	size_t len = 0, i;
	int r;

	r = nv_read(s, index, b, &len, sizeof(b));
	if (r)
		return r;
	if (len != sizeof(b))
		return -EMSGSIZE;
	*value = 0;
	for (i = 0; i < sizeof(b); i++)	/* big-endian, as TPMs store it */
		*value = *value << 8 | b[i];
	return 0;
}

static int name_hex(struct tpm_session *s, ESYS_TR tr, char *out,
		    size_t size)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC rc = Esys_TR_GetName(s->esys, tr, &name);

	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("(ESAPI TR_GetName)", rc);
	if (size < 2u * name->size + 1) {
		Esys_Free(name);
		return -ENOSPC;
	}
	vms_hex_encode(name->name, name->size, out);
	Esys_Free(name);
	return 0;
}

int tpm_persist_primary(struct tpm_session *s, uint32_t handle,
			char *out, size_t size)
{
	TPM2B_SENSITIVE_CREATE sens = { .size = 0 };
	TPM2B_PUBLIC pub = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_DECRYPT |
					    TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA,
			.parameters.eccDetail = {
				.symmetric = {
					.algorithm = TPM2_ALG_AES,
					.keyBits.aes = 128,
					.mode.aes = TPM2_ALG_CFB,
				},
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	ESYS_TR obj, persistent;
	TSS2_RC rc;
	int r;

	rc = Esys_CreatePrimary(s->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub,
				&outside, &pcrs, &obj, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("CreatePrimary", rc);
	rc = Esys_EvictControl(s->esys, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, handle, &persistent);
	Esys_FlushContext(s->esys, obj);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("EvictControl", rc);
	r = name_hex(s, persistent, out, size);
	Esys_TR_Close(s->esys, &persistent);
	return r;
}

int tpm_persistent_name(struct tpm_session *s, uint32_t handle,
			char *out, size_t size)
{
	ESYS_TR tr;
	int r;

	r = tr_from_handle(s, handle, &tr, "ReadPublic");
	if (r)
		return r;
	r = name_hex(s, tr, out, size);
	Esys_TR_Close(s->esys, &tr);
	return r;
}
