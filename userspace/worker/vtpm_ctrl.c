// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_ctrl.c - the control commands and TPM commands of `serve` (see
 * vtpm_ctrl.h). Replies follow swtpm 0.7: the same result codes, the
 * same reply sizes; where vmshield differs (state blobs are always
 * sealed; a changed state is sealed before it is acknowledged),
 * Documentation/vmm-integration.md says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_library.h>
#include <libtpms/tpm_tis.h>
#include <openssl/crypto.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm_state.h"
#include "vms_compiler.h"
#include "vtpm.h"
#include "vtpm_ctrl.h"

#define RESP_BUF	(64u << 10)

void vtpm_srv_init(struct vtpm_srv *v, struct persist *p,
		   const uint8_t vm_id[16])
{
	memset(v, 0, sizeof(*v));
	v->persist = p;
	memcpy(v->vm_id, vm_id, sizeof(v->vm_id));
}

void vtpm_srv_release(struct vtpm_srv *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v->blobs); i++)
		vms_secret_free(&v->blobs[i]);
	if (v->resp) {
		OPENSSL_cleanse(v->resp, v->resp_size);
		free(v->resp);	/* allocated by libtpms */
	}
	v->resp = NULL;
	v->resp_size = 0;
}

void vtpm_srv_error_response(uint8_t out[10], uint32_t rc)
{
	out[0] = TPM2_ST_NO_SESSIONS >> 8;
	out[1] = TPM2_ST_NO_SESSIONS & 0xff;
	ctrl_put_be32(out + 2, 10);
	ctrl_put_be32(out + 6, rc);
}

int vtpm_srv_flush(struct vtpm_srv *v, const char *why)
{
	if (!vtpm_nv_changed())
		return 0;
	return persist_state(v->persist, why);
}

uint32_t vtpm_srv_max_command(void)
{
	uint32_t min, max;

	return TPMLIB_SetBufferSize(0, &min, &max);
}

/* --- state blobs ------------------------------------------------------- */

static int blob_state_type(uint32_t blob_type)
{
	switch (blob_type) {
	case PTM_BLOB_TYPE_PERMANENT:
		return TPMLIB_STATE_PERMANENT;
	case PTM_BLOB_TYPE_VOLATILE:
		return TPMLIB_STATE_VOLATILE;
	case PTM_BLOB_TYPE_SAVESTATE:
		return TPMLIB_STATE_SAVE_STATE;
	default:
		return 0;
	}
}

/*
 * Seal the blob of @type for GET_STATEBLOB into v->blobs[type]: never
 * plaintext. TPM_RETRY when there is no such state (a TPM 2.0 has no
 * save state), as swtpm answers for a blob it does not have.
 */
static uint32_t seal_blob(struct vtpm_srv *v, uint32_t type)
{
	_cleanup_vms_secret_ struct vms_secret pt = { 0 };
	const struct vms_secret *s;
	struct persist *p = v->persist;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int r;

	if (type == PTM_BLOB_TYPE_VOLATILE && vtpm_store_volatile())
		return TPM_FAIL;
	s = vtpm_nv_get(blob_state_type(type));
	if (!s)
		return TPM_RETRY;
	r = vsb_build((uint16_t)type, s->p, s->len, &pt);
	if (type == PTM_BLOB_TYPE_VOLATILE)	/* taken for the blob only */
		vtpm_nv_put(TPMLIB_STATE_VOLATILE, NULL, 0);
	if (r)
		return TPM_FAIL;
	r = p->sealer->seal(p->sealer, p->generation, pt.p, pt.len, &blob,
			    &blob_len);
	if (r) {
		fprintf(stderr, "worker: CMD_GET_STATEBLOB: cannot seal the state blob: %s\n",
			p->sealer->strerror(p->sealer, 1, r));
		return TPM_FAIL;
	}
	vms_secret_free(&v->blobs[type]);
	v->blobs[type].p = blob;	/* ciphertext */
	v->blobs[type].len = blob_len;
	printf("worker: CMD_GET_STATEBLOB: %s state sealed for migration (%zu bytes, generation %" PRIu64 ")\n",
	       type == PTM_BLOB_TYPE_PERMANENT ? "permanent" : type ==
	       PTM_BLOB_TYPE_VOLATILE ? "volatile" : "save", blob_len,
	       p->generation);
	return 0;
}

static int get_stateblob(struct vtpm_srv *v, const struct ctrl_req *req,
			 struct ctrl_reply *r)
{
	uint32_t type = req->u.get.type, off = req->u.get.offset, res = 0;
	const struct vms_secret *b;
	size_t len = 0;

	if (!blob_state_type(type)) {
		r->head_len = ctrl_reply_res(r->head, TPM_BAD_PARAMETER);
		return 0;
	}
	/* A shielded VM's state leaves only for an announced TLS migration. */
	if (!off && migrate_gate_check(v->gate)) {
		r->head_len = ctrl_reply_getstate_hdr(r->head, TPM_FAIL, 0, 0, 0);
		return 0;
	}
	/* A chunked read (offset > 0) continues the blob sealed before. */
	if (!off || !v->blobs[type].p)
		res = seal_blob(v, type);
	/* A volatile state of the disk copy was consumed: seal without it. */
	if (type == PTM_BLOB_TYPE_VOLATILE && v->persist->has_volatile &&
	    persist_state(v->persist, "(the volatile state went into a state blob)"))
		return -EIO;
	b = &v->blobs[type];
	if (!res && off < b->len)
		len = b->len - off;
	r->head_len = ctrl_reply_getstate_hdr(r->head, res,
					      res ? 0 : PTM_STATE_FLAG_ENCRYPTED,
					      (uint32_t)len, (uint32_t)len);
	r->tail = len ? b->p + off : NULL;
	r->tail_len = len;
	return 0;
}

/* Open a SET_STATEBLOB blob: this VM's, sealed, of @type, not older. */
static uint32_t open_blob(struct vtpm_srv *v, const struct ctrl_req *req,
			  struct vms_secret *pt, struct vsb_view *view,
			  uint64_t *gen)
{
	struct persist *p = v->persist;
	int r;

	if (!(req->u.set.flags & PTM_STATE_FLAG_ENCRYPTED)) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: refusing a plaintext state blob: a shielded vTPM takes only blobs sealed under its key\n");
		return TPM_DECRYPT_ERROR;
	}
	r = p->sealer->unseal(p->sealer, req->u.set.data, req->u.set.len, pt,
			      gen);
	if (r) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: refusing the state blob: %s\n",
			p->sealer->strerror(p->sealer, 0, r));
		return TPM_DECRYPT_ERROR;
	}
	if (vsb_parse(pt->p, pt->len, view) || view->type != req->u.set.type) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: the sealed blob is not a vmshield-worker state blob of type %u\n",
			req->u.set.type);
		return TPM_DECRYPT_ERROR;
	}
	/*
	 * Not older than this vTPM's state; the volatile (and save) blob of
	 * a migration is of the same generation as its permanent blob.
	 */
	if (*gen < (v->incoming_gen ? v->incoming_gen : p->generation) ||
	    (v->incoming_gen && view->type != PTM_BLOB_TYPE_PERMANENT &&
	     *gen != v->incoming_gen)) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: the blob is generation %" PRIu64 ", older than this vTPM's %" PRIu64 ": refusing a rollback\n",
			*gen, v->incoming_gen ? v->incoming_gen : p->generation);
		return TPM_BAD_VERSION;
	}
	return 0;
}

static int set_stateblob(struct vtpm_srv *v, const struct ctrl_req *req,
			 struct ctrl_reply *r)
{
	_cleanup_vms_secret_ struct vms_secret pt = { 0 };
	int type = blob_state_type(req->u.set.type);
	struct vsb_view view;
	uint64_t gen = 0;
	uint32_t res;

	if (vtpm_is_running())
		res = TPM_BAD_ORDINAL;		/* stop the TPM first */
	else if (!type || !req->u.set.len)
		res = TPM_BAD_PARAMETER;
	else
		res = open_blob(v, req, &pt, &view, &gen);
	if (!res && (!view.len ||
		     vtpm_nv_put(type, view.data, view.len)))
		res = TPM_BAD_PARAMETER;
	if (res) {
		r->head_len = ctrl_reply_res(r->head, res);
		return 0;
	}
	/* A new permanent state makes an old volatile one meaningless. */
	if (type == TPMLIB_STATE_PERMANENT) {
		vtpm_nv_put(TPMLIB_STATE_VOLATILE, NULL, 0);
		v->incoming_gen = gen;
	}
	if (gen > v->persist->generation)
		v->persist->generation = gen;
	if (persist_state(v->persist, "(CMD_SET_STATEBLOB)"))
		return -EIO;
	r->head_len = ctrl_reply_res(r->head, 0);
	return 0;
}

/* --- the TPM's life ------------------------------------------------------- */

static uint32_t init_tpm(struct vtpm_srv *v, uint32_t flags)
{
	int resumed = vtpm_nv_get(TPMLIB_STATE_VOLATILE) != NULL;

	if (v->incoming_gen && v->incoming_done) {
		int (*done)(void *ctx) = v->incoming_done;

		v->incoming_done = NULL;	/* once */
		if (done(v->incoming_ctx))
			return TPM_FAIL;
	}
	v->incoming_gen = 0;	/* a set of incoming blobs ends here */
	if (vtpm_init())
		return TPM_FAIL;
	if (flags & PTM_INIT_FLAG_DELETE_VOLATILE)
		vtpm_nv_put(TPMLIB_STATE_VOLATILE, NULL, 0);
	printf("worker: CMD_INIT: vTPM started%s\n",
	       resumed ? " from its saved volatile state" : "");
	return 0;
}

int vtpm_srv_start_now(struct vtpm_srv *v, int startup_clear)
{
	static const uint8_t startup[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0	/* CLEAR */
	};
	const uint8_t *resp;
	size_t len;
	int r;

	if (init_tpm(v, 0))
		return -EIO;
	if (!startup_clear)
		return vtpm_srv_flush(v, "(vTPM started)");
	r = vtpm_srv_command(v, startup, sizeof(startup), &resp, &len);
	if (!r && (len < 10 || ctrl_get_be32(resp + 6))) {
		fprintf(stderr, "worker: TPM2_Startup(CLEAR) failed: 0x%x\n",
			len >= 10 ? ctrl_get_be32(resp + 6) : 0);
		r = -EIO;
	}
	vtpm_srv_wipe_response(v);
	return r;
}

static int volatile_gone_on_disk(struct vtpm_srv *v)
{
	if (!v->persist->has_volatile || vtpm_nv_get(TPMLIB_STATE_VOLATILE))
		return 0;
	return persist_state(v->persist, "(the saved volatile state was used)");
}

/* --- dispatch ------------------------------------------------------------- */

static uint32_t set_locality(uint8_t loc)
{
	if (loc > 4)
		return TPM_BAD_LOCALITY;
	vtpm_set_locality(loc);
	return 0;
}

static uint32_t reset_established(uint8_t loc)
{
	uint32_t res;

	if (loc > 4)
		return TPM_BAD_LOCALITY;
	/* at the given locality, then back (swtpm does the same) */
	vtpm_set_locality(loc);
	res = TPM_IO_TpmEstablished_Reset();
	vtpm_set_locality(0);
	return res;
}

static void buffersize(const struct ctrl_req *req, struct ctrl_reply *r)
{
	uint32_t size, min, max;

	if (req->u.buffersize && vtpm_is_running()) {
		r->head_len = ctrl_reply_res(r->head, TPM_BAD_ORDINAL);
		return;
	}
	size = TPMLIB_SetBufferSize(req->u.buffersize, &min, &max);
	r->head_len = ctrl_reply_buffersize(r->head, 0, size, min, max);
}

static void get_info(const struct ctrl_req *req, struct ctrl_reply *r)
{
	char *text = TPMLIB_GetInfo((enum TPMLIB_InfoFlags)req->u.info.flags);
	size_t total, len;

	if (!text) {
		r->head_len = ctrl_reply_res(r->head, TPM_SIZE);
		return;
	}
	total = strlen(text) + 1;
	if (req->u.info.offset >= total - 1) {
		r->head_len = ctrl_reply_res(r->head, TPM_BAD_PARAMETER);
	} else {
		len = total - req->u.info.offset;
		if (len > PTM_GETINFO_SIZE)
			len = PTM_GETINFO_SIZE;
		r->head_len = ctrl_reply_info(r->head, 0, text, (uint32_t)total,
					      req->u.info.offset,
					      (uint32_t)len);
	}
	free(text);
}

/* Commands that only work on a running TPM: their result code. */
static uint32_t running_only(struct vtpm_srv *v, const struct ctrl_req *req,
			     struct ctrl_reply *r)
{
	TPM_BOOL bit = 0;
	uint32_t res;

	switch (req->cmd) {
	case CMD_GET_TPMESTABLISHED:
		res = TPM_IO_TpmEstablished_Get(&bit);
		r->head_len = ctrl_reply_established(r->head, res, bit);
		return res;
	case CMD_RESET_TPMESTABLISHED:
		return reset_established(req->u.loc);
	case CMD_HASH_START:
		return TPM_IO_Hash_Start();
	case CMD_HASH_DATA:
		return TPM_IO_Hash_Data(req->u.hash.data, req->u.hash.len);
	case CMD_HASH_END:
		return TPM_IO_Hash_End();
	case CMD_CANCEL_TPM_CMD:
		return TPMLIB_CancelCommand();
	case CMD_STORE_VOLATILE:
		if (vtpm_store_volatile())
			return TPM_FAIL;
		v->volatile_stored = 1;	/* sealed before the answer */
		return 0;
	default:
		return TPM_BAD_ORDINAL;
	}
}

static int needs_running(uint32_t cmd)
{
	switch (cmd) {
	case CMD_GET_TPMESTABLISHED: case CMD_RESET_TPMESTABLISHED:
	case CMD_HASH_START: case CMD_HASH_DATA: case CMD_HASH_END:
	case CMD_CANCEL_TPM_CMD: case CMD_STORE_VOLATILE:
	case CMD_GET_STATEBLOB:
		return 1;
	default:
		return 0;
	}
}

/* The commands whose reply is a result code alone. */
static uint32_t simple(struct vtpm_srv *v, const struct ctrl_req *req)
{
	switch (req->cmd) {
	case CMD_INIT:
		return init_tpm(v, req->u.init_flags);
	case CMD_STOP:
	case CMD_SHUTDOWN:
		vtpm_terminate();
		printf("worker: %s: vTPM stopped\n", ctrl_cmd_name(req->cmd));
		return 0;
	case CMD_SET_LOCALITY:
		return set_locality(req->u.loc);
#ifdef PTM_CAP_LOCK_STORAGE
	case CMD_LOCK_STORAGE:	/* the state file is locked for our life */
		return 0;
#endif
	default:
		return TPM_BAD_ORDINAL;
	}
}

static int dispatch(struct vtpm_srv *v, const struct ctrl_req *req,
		    struct ctrl_reply *r)
{
	uint32_t res;

	if (needs_running(req->cmd) && !vtpm_is_running()) {
		r->head_len = ctrl_reply_res(r->head, TPM_BAD_ORDINAL);
		return 0;
	}
	switch (req->cmd) {
	case CMD_GET_CAPABILITY:
		r->head_len = ctrl_reply_caps(r->head, CTRL_CAPS);
		return 0;
	case CMD_GET_CONFIG:	/* state and blobs are always sealed */
		r->head_len = ctrl_reply_config(r->head, 0,
						PTM_CONFIG_FLAG_FILE_KEY |
						PTM_CONFIG_FLAG_MIGRATION_KEY);
		return 0;
	case CMD_SET_BUFFERSIZE:
		buffersize(req, r);
		return 0;
	case CMD_GET_INFO:
		get_info(req, r);
		return 0;
	case CMD_GET_STATEBLOB:
		return get_stateblob(v, req, r);
	case CMD_SET_STATEBLOB:
		return set_stateblob(v, req, r);
	}
	if (needs_running(req->cmd)) {
		res = running_only(v, req, r);
		if (req->cmd != CMD_GET_TPMESTABLISHED)
			r->head_len = ctrl_reply_res(r->head, res);
		return 0;
	}
	r->head_len = ctrl_reply_res(r->head, simple(v, req));
	return 0;
}

int vtpm_srv_control(struct vtpm_srv *v, const struct ctrl_req *req,
		     struct ctrl_reply *r)
{
	char why[64];
	int ret;

	memset(r, 0, sizeof(*r));
	ret = dispatch(v, req, r);
	if (ret)
		return ret;
	/* Whatever the command changed is sealed before it is answered. */
	snprintf(why, sizeof(why), "(%s)", ctrl_cmd_name(req->cmd));
	ret = vtpm_srv_flush(v, why);
	if (!ret && v->volatile_stored)
		ret = persist_state(v->persist, why);
	v->volatile_stored = 0;
	if (!ret && req->cmd == CMD_INIT)
		ret = volatile_gone_on_disk(v);
	if (ret)
		return ret;
	return req->cmd == CMD_SHUTDOWN ? -ESHUTDOWN : 0;
}

int vtpm_srv_command(struct vtpm_srv *v, const uint8_t *cmd, size_t len,
		     const uint8_t **resp, size_t *resp_len)
{
	uint32_t rlen = 0, cc = len >= 10 ? ctrl_get_be32(cmd + 6) : 0;
	unsigned char *copy;
	TPM_RESULT rc;
	char why[48];

	if (!v->resp) {
		/* big enough for any response: libtpms never reallocs it */
		v->resp = malloc(RESP_BUF);
		if (!v->resp)
			return -ENOMEM;
		v->resp_size = RESP_BUF;
	}
	if (!vtpm_is_running()) {
		vtpm_srv_error_response(v->resp, TPM2_RC_FAILURE);
		*resp = v->resp;
		*resp_len = 10;
		return 0;
	}
	/* TPMLIB_Process takes a non-const buffer: give it a copy. */
	copy = OPENSSL_malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, cmd, len);
	rc = TPMLIB_Process(&v->resp, &rlen, &v->resp_size, copy,
			    (uint32_t)len);
	OPENSSL_clear_free(copy, len);
	if (rc != TPM_SUCCESS || rlen < 10 || !v->resp) {
		if (!v->resp)
			return -ENOMEM;
		vtpm_srv_error_response(v->resp, TPM2_RC_FAILURE);
		rlen = 10;
	}
	v->commands++;
	*resp = v->resp;
	*resp_len = rlen;
	snprintf(why, sizeof(why), "(TPM command 0x%08x)", cc);
	return vtpm_srv_flush(v, why);
}

void vtpm_srv_wipe_response(struct vtpm_srv *v)
{
	if (v->resp)
		OPENSSL_cleanse(v->resp, v->resp_size);
}
