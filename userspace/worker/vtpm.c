// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm.c - libtpms as the worker's in-process TPM 2.0, with its NVRAM kept
 * in memory.
 *
 * libtpms persists through callbacks: it stores its permanent state
 * ("permall") after every command that changes NV, and loads it at
 * TPMLIB_MainInit. The callbacks here keep one buffer per state name and
 * wipe every buffer they replace or drop, so plaintext TPM state is never
 * written to a file. A resumed TPM gets its state with TPMLIB_SetState
 * before TPMLIB_MainInit, so the load callback only ever answers "no state"
 * (TPM_RETRY), which makes libtpms manufacture a fresh TPM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>
#include <openssl/crypto.h>

#include "vtpm.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The three state names libtpms uses, and our copy of each. */
static const char *const nv_names[] = {
	TPM_PERMANENT_ALL_NAME, TPM_VOLATILESTATE_NAME, TPM_SAVESTATE_NAME,
};
static struct vms_secret nv_bufs[3];
static int vtpm_running;
/* libtpms stored its permanent state since vtpm_nv_changed() last asked */
static int perm_changed;
/* the locality of the command being processed (the VMM sets it) */
static TPM_MODIFIER_INDICATOR cur_locality;

static struct vms_secret *nv_slot(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nv_names); i++)
		if (!strcmp(name, nv_names[i]))
			return &nv_bufs[i];
	return NULL;
}

static TPM_RESULT nv_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT nv_load(unsigned char **data, uint32_t *length,
			  uint32_t tpm_number, const char *name)
{
	struct vms_secret *s = nv_slot(name);

	(void)tpm_number;
	if (!s || !s->p)
		return TPM_RETRY;	/* nothing stored: a fresh TPM */
	/* libtpms frees what we hand it (with free()). */
	*data = malloc(s->len);
	if (!*data)
		return TPM_FAIL;
	memcpy(*data, s->p, s->len);
	*length = s->len;
	return TPM_SUCCESS;
}

static TPM_RESULT nv_store(const unsigned char *data, uint32_t length,
			   uint32_t tpm_number, const char *name)
{
	struct vms_secret *s = nv_slot(name);
	uint8_t *p;

	(void)tpm_number;
	if (!s)
		return TPM_FAIL;
	p = OPENSSL_malloc(length ? length : 1);
	if (!p)
		return TPM_FAIL;
	memcpy(p, data, length);
	vms_secret_free(s);
	s->p = p;
	s->len = length;
	if (s == &nv_bufs[0])
		perm_changed = 1;
	return TPM_SUCCESS;
}

static TPM_RESULT nv_delete(uint32_t tpm_number, const char *name,
			    TPM_BOOL must_exist)
{
	struct vms_secret *s = nv_slot(name);

	(void)tpm_number;
	if (!s || (!s->p && must_exist))
		return TPM_FAIL;
	vms_secret_free(s);
	return TPM_SUCCESS;
}

static TPM_RESULT io_getlocality(TPM_MODIFIER_INDICATOR *locality,
				 uint32_t tpm_number)
{
	(void)tpm_number;
	*locality = cur_locality;
	return TPM_SUCCESS;
}

static struct libtpms_callbacks callbacks = {
	.sizeOfStruct = sizeof(struct libtpms_callbacks),
	.tpm_nvram_init = nv_init,
	.tpm_nvram_loaddata = nv_load,
	.tpm_nvram_storedata = nv_store,
	.tpm_nvram_deletename = nv_delete,
	.tpm_io_getlocality = io_getlocality,
};

int vtpm_prepare(void)
{
	TPM_RESULT rc;

	rc = TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2);
	if (rc == TPM_SUCCESS)
		rc = TPMLIB_RegisterCallbacks(&callbacks);
	if (rc != TPM_SUCCESS) {
		fprintf(stderr, "worker: libtpms: cannot select a TPM 2.0 (TPM_RESULT 0x%x): is libtpms0 built with TPM 2.0 support?\n",
			rc);
		return -EIO;
	}
	return 0;
}

static int vtpm_main_init(void)
{
	TPM_RESULT rc = TPMLIB_MainInit();

	if (rc != TPM_SUCCESS) {
		fprintf(stderr, "worker: libtpms: TPMLIB_MainInit failed (TPM_RESULT 0x%x): the TPM state is not usable by this libtpms\n",
			rc);
		vtpm_stop();
		return -EIO;
	}
	vtpm_running = 1;
	return 0;
}

int vtpm_start_fresh(void)
{
	int r = vtpm_prepare();

	return r ? r : vtpm_main_init();
}

int vtpm_start_from(const uint8_t *perm, size_t perm_len,
		    const uint8_t *vol, size_t vol_len)
{
	TPM_RESULT rc;
	int r;

	if (!perm_len || perm_len > UINT32_MAX || vol_len > UINT32_MAX)
		return -EINVAL;
	r = vtpm_prepare();
	if (r)
		return r;
	/* The permanent state first; only then may the volatile one follow. */
	rc = TPMLIB_SetState(TPMLIB_STATE_PERMANENT, perm, (uint32_t)perm_len);
	if (rc == TPM_SUCCESS && vol_len)
		rc = TPMLIB_SetState(TPMLIB_STATE_VOLATILE, vol,
				     (uint32_t)vol_len);
	if (rc != TPM_SUCCESS) {
		fprintf(stderr, "worker: libtpms refused the unsealed TPM state (TPM_RESULT 0x%x): it was written by an incompatible libtpms\n",
			rc);
		return -EBADMSG;
	}
	return vtpm_main_init();
}

int vtpm_get_state(int type, struct vms_secret *out)
{
	unsigned char *buf = NULL;
	uint32_t len = 0;
	TPM_RESULT rc;

	vms_secret_free(out);
	rc = TPMLIB_GetState((enum TPMLIB_StateType)type, &buf, &len);
	if (rc != TPM_SUCCESS || !buf || !len) {
		if (buf)
			OPENSSL_cleanse(buf, len);
		free(buf);
		fprintf(stderr, "worker: libtpms: cannot take the TPM's %s state (TPM_RESULT 0x%x)\n",
			type == TPMLIB_STATE_PERMANENT ? "permanent" : "volatile",
			rc);
		return -EIO;
	}
	/* Move it into a wiping buffer; libtpms' copy is wiped and freed. */
	out->p = OPENSSL_malloc(len);
	if (out->p) {
		memcpy(out->p, buf, len);
		out->len = len;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return out->p ? 0 : -ENOMEM;
}

void vtpm_stop(void)
{
	size_t i;

	if (vtpm_running)
		TPMLIB_Terminate();
	vtpm_running = 0;
	for (i = 0; i < ARRAY_SIZE(nv_bufs); i++)
		vms_secret_free(&nv_bufs[i]);
	perm_changed = 0;
	cur_locality = 0;
}

/* The NVRAM slot of a TPMLIB_STATE_* type. */
static struct vms_secret *nv_slot_of(int type)
{
	switch (type) {
	case TPMLIB_STATE_PERMANENT:
		return &nv_bufs[0];
	case TPMLIB_STATE_VOLATILE:
		return &nv_bufs[1];
	case TPMLIB_STATE_SAVE_STATE:
		return &nv_bufs[2];
	default:
		return NULL;
	}
}

int vtpm_nv_put(int type, const uint8_t *p, size_t len)
{
	struct vms_secret *s = nv_slot_of(type);
	uint8_t *copy = NULL;

	if (!s || len > UINT32_MAX || (len && !p))
		return -EINVAL;
	if (len) {
		copy = OPENSSL_malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, p, len);
	}
	vms_secret_free(s);
	s->p = copy;
	s->len = len;
	return 0;
}

const struct vms_secret *vtpm_nv_get(int type)
{
	const struct vms_secret *s = nv_slot_of(type);

	return s && s->p ? s : NULL;
}

int vtpm_init(void)
{
	TPM_RESULT rc;
	int r;

	if (vtpm_running)
		vtpm_terminate();
	r = vtpm_prepare();
	if (r)
		return r;
	rc = TPMLIB_MainInit();
	if (rc != TPM_SUCCESS) {
		fprintf(stderr, "worker: libtpms: TPMLIB_MainInit failed (TPM_RESULT 0x%x): the TPM state is not usable by this libtpms\n",
			rc);
		return -EIO;
	}
	vtpm_running = 1;
	return 0;
}

void vtpm_terminate(void)
{
	if (vtpm_running)
		TPMLIB_Terminate();
	vtpm_running = 0;
}

int vtpm_is_running(void)
{
	return vtpm_running;
}

int vtpm_nv_changed(void)
{
	int c = perm_changed;

	perm_changed = 0;
	return c;
}

void vtpm_set_locality(uint8_t locality)
{
	cur_locality = locality;
}

int vtpm_store_volatile(void)
{
	unsigned char *buf = NULL;
	uint32_t len = 0;
	TPM_RESULT rc;
	int r;

	rc = TPMLIB_VolatileAll_Store(&buf, &len);
	if (rc != TPM_SUCCESS || !buf || !len) {
		if (buf)
			OPENSSL_cleanse(buf, len);
		free(buf);
		fprintf(stderr, "worker: libtpms: cannot take the TPM's volatile state (TPM_RESULT 0x%x)\n",
			rc);
		return -EIO;
	}
	r = vtpm_nv_put(TPMLIB_STATE_VOLATILE, buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}
