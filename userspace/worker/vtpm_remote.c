// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_remote.c - swtpm's protocol forwarded to the vTPM in the enclave
 * (vtpm_remote.h). Replies keep swtpm's result codes and sizes; what
 * differs from the local vTPM (no HASH_* commands; state blobs sealed by
 * the enclave, the volatile state inside the permanent blob) is in
 * Documentation/vtpm-in-enclave.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <libtpms/tpm_library.h>
#include <openssl/crypto.h>
#include <tss2/tss2_tpm2_types.h>

#include "vmshield.h"
#include "sealedstate.h"
#include "vms_fileio.h"
#include "vtpm_remote.h"
#include "vtpm_statement.h"

int vtpm_remote_ioctl(struct vtpm_remote *r, struct vmshield_vtpm *arg)
{
	return ioctl(r->fd, VMSHIELD_IOC_VTPM, arg) ? -errno : 0;
}

static const char *remote_strerror(int err)
{
	switch (-err) {
	case EOPNOTSUPP:
		return "the module is in placement kernel: there is no vTPM in an enclave on this host";
	case EPIPE:
		return "the vTPM's process in the enclave died (it is re-created from the stored state at the next CMD_INIT)";
	case ENODEV:
		return "the enclave runs no vTPM for this VM";
	case ESTALE:
		return "the sealed vTPM state is older than the enclave's generation for this VM (a rollback)";
	case EBADMSG:
	case EILSEQ:
		return "the state file is not this VM's vTPM state sealed in the enclave";
	default:
		return strerror(-err);
	}
}

/* One call with @op; @in/@len in; the answer in r->out. */
static int remote_call_gen(struct vtpm_remote *r, uint32_t op, uint64_t gen,
			   uint32_t ctrl, uint32_t arg, const uint8_t *in,
			   size_t len, struct vmshield_vtpm *a)
{
	memset(a, 0, sizeof(*a));
	a->generation = gen;
	a->key_serial = r->key;
	a->op = op;
	a->ctrl = ctrl;
	a->arg = arg;
	a->in_ptr = (uintptr_t)in;
	a->in_len = len;
	a->out_ptr = (uintptr_t)r->out;
	a->out_len = VMSHIELD_VTPM_OUT_MIN;
	return r->call(r, a);
}

static int remote_call(struct vtpm_remote *r, uint32_t op, uint32_t ctrl,
		       uint32_t arg, const uint8_t *in, size_t len,
		       struct vmshield_vtpm *a)
{
	return remote_call_gen(r, op, 0, ctrl, arg, in, len, a);
}

/*
 * A STORE answer: write the sealed state atomically, then CONFIRM; @a
 * then holds the confirmed answer. Anything else passes. -errno when the
 * state could not be stored or confirmed (fail closed).
 */
static int remote_settle(struct vtpm_remote *r, struct vmshield_vtpm *a)
{
	uint64_t gen = a->generation;
	int e;

	if (!(a->out_flags & VMSHIELD_VTPM_STORE))
		return 0;
	e = vms_dev_write_sealed(r->path, r->out, a->out_len);
	if (e) {
		fprintf(stderr, "worker: write generation %" PRIu64 " to %s: %s\n",
			gen, r->path, strerror(-e));
		return e;
	}
	r->generation = gen;
	r->stores++;
	e = remote_call_gen(r, VMSHIELD_VTPM_CONFIRM, gen, 0, 0, NULL, 0, a);
	if (!e) {
		a->generation = gen;
		vtpm_statement_save(r);	/* for HGS; a failure stops nothing */
	} else
		fprintf(stderr, "worker: confirm generation %" PRIu64 ": %s\n",
			gen, remote_strerror(e));
	return e;
}

static int remote_try_create(struct vtpm_remote *r, const uint8_t *blob,
			     size_t len)
{
	struct vmshield_vtpm a;
	int e = remote_call(r, VMSHIELD_VTPM_CREATE, 0, 0, blob, len, &a);

	if (!e) {
		r->generation = a.generation;
		e = remote_settle(r, &a);
		/* from the stored state: nothing to confirm, still a statement */
		if (!e && len)
			vtpm_statement_save(r);
	}
	return e;
}

static void remote_created(struct vtpm_remote *r, size_t len, int e)
{
	if (e)
		fprintf(stderr, "worker: cannot start the vTPM in the enclave: %s\n",
			remote_strerror(e));
	else
		printf("worker: vTPM started in the enclave (%s, generation %" PRIu64 ")\n",
		       len ? "from the sealed state" : "new", r->generation);
}

static int remote_create(struct vtpm_remote *r, const uint8_t *blob,
			 size_t len)
{
	int e = remote_try_create(r, blob, len);

	remote_created(r, len, e);
	return e;
}

/*
 * A worker starting while the enclave still runs a vTPM for its key
 * (EEXIST: an earlier worker for this VM died without DESTROY). That
 * vTPM's volatile state (PCRs, sessions, loaded objects) belonged to a VM
 * session that ended with the old worker (QEMU does not reconnect to a
 * new one), and every change it acknowledged is in the state file, an
 * answer held for a CONFIRM included (never acknowledged). So it is
 * stopped and started again from the state file, as a restarted swtpm
 * starts from its files; the enclave's generation floor still refuses an
 * older file (ESTALE). Documentation/vtpm-in-enclave.md section 5.
 */
static int remote_start_create(struct vtpm_remote *r, const uint8_t *blob,
			       size_t len)
{
	struct vmshield_vtpm a;
	int e = remote_try_create(r, blob, len);

	if (e == -EEXIST) {
		printf("worker: the enclave still runs this VM's vTPM from an earlier worker: stopped, started again from %s\n",
		       len ? "the state file" : "nothing (no state file: a new vTPM)");
		e = remote_call(r, VMSHIELD_VTPM_DESTROY, 0, 0, NULL, 0, &a);
		if (!e || e == -ENODEV)
			e = remote_try_create(r, blob, len);
	}
	remote_created(r, len, e);
	return e;
}

int vtpm_remote_start(struct vtpm_remote *r, const uint8_t *blob, size_t len)
{
	r->out = malloc(VMSHIELD_VTPM_OUT_MIN);
	if (!r->out)
		return -ENOMEM;
	if (!r->call)
		r->call = vtpm_remote_ioctl;
	if (r->incoming) {
		/* the state that counts is the one QEMU brings */
		printf("worker: --incoming: no vTPM in the enclave until the migrated state comes in (CMD_SET_STATEBLOB, not older than generation %" PRIu64 ")\n",
		       r->incoming_floor);
		return 0;
	}
	return remote_start_create(r, blob, len);
}

void vtpm_remote_stop(struct vtpm_remote *r)
{
	struct vmshield_vtpm a;

	if (r->out)
		remote_call(r, VMSHIELD_VTPM_DESTROY, 0, 0, NULL, 0, &a);
	free(r->out);	/* sealed state or TPM traffic, never the TPM's state */
	r->out = NULL;
	vtpm_statement_free(r);
	free(r->blob);	/* sealed */
	r->blob = NULL;
	r->blob_len = 0;
	OPENSSL_cleanse(r->resp, sizeof(r->resp));
}

/* After a crash or a lost vTPM: again from what is on disk. */
static int remote_recreate(struct vtpm_remote *r)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int e;

	e = vms_read_file(r->path, VMSHIELD_VTPM_OUT_MIN, &blob, &len);
	if (e) {
		fprintf(stderr, "worker: %s: %s\n", r->path, strerror(-e));
		return e;
	}
	e = remote_create(r, blob, len);
	free(blob);
	return e;
}

static uint32_t remote_ctrl(struct vtpm_remote *r, uint32_t ctrl,
			    uint32_t arg, int *fatal, uint8_t *byte)
{
	struct vmshield_vtpm a;
	int e = remote_call(r, VMSHIELD_VTPM_CONTROL, ctrl, arg, NULL, 0, &a);

	if ((e == -EPIPE || e == -ENODEV) && ctrl == VMSHIELD_VTPM_CTRL_INIT &&
	    !remote_recreate(r))
		e = remote_call(r, VMSHIELD_VTPM_CONTROL, ctrl, arg, NULL, 0, &a);
	if (!e && (a.out_flags & VMSHIELD_VTPM_STORE)) {
		/* a state that was not stored must not be acknowledged */
		*fatal = remote_settle(r, &a);
		if (*fatal)
			return TPM_FAIL;
	}
	if (e) {
		fprintf(stderr, "worker: control %u in the enclave: %s\n", ctrl,
			remote_strerror(e));
		return TPM_FAIL;
	}
	if (byte)
		*byte = a.out_len ? r->out[0] : 0;
	return a.result;
}

static void remote_info(const struct ctrl_req *req, struct ctrl_reply *rep)
{
	char *text = TPMLIB_GetInfo((enum TPMLIB_InfoFlags)req->u.info.flags);
	size_t total, len;

	if (!text) {
		rep->head_len = ctrl_reply_res(rep->head, TPM_SIZE);
		return;
	}
	total = strlen(text) + 1;
	if (req->u.info.offset >= total - 1) {
		rep->head_len = ctrl_reply_res(rep->head, TPM_BAD_PARAMETER);
	} else {
		len = total - req->u.info.offset;
		if (len > PTM_GETINFO_SIZE)
			len = PTM_GETINFO_SIZE;
		rep->head_len = ctrl_reply_info(rep->head, 0, text,
						(uint32_t)total,
						req->u.info.offset,
						(uint32_t)len);
	}
	free(text);
}

/*
 * GET_STATEBLOB: the permanent blob is the whole vTPM state (the
 * volatile part stored into it first, when the TPM runs) as the enclave
 * seals it, VTPM_GET_STATE: ciphertext only, never plaintext. The
 * volatile blob is empty (its content travels inside the permanent one);
 * a TPM 2.0 has no save state (TPM_RETRY, as the local vTPM answers).
 */
static int remote_get_blob(struct vtpm_remote *r, const struct ctrl_req *req,
			   struct ctrl_reply *rep)
{
	uint32_t type = req->u.get.type, off = req->u.get.offset, res = 0;
	struct vmshield_vtpm a;
	size_t len = 0;
	int fatal = 0, e;

	if (type != PTM_BLOB_TYPE_PERMANENT && type != PTM_BLOB_TYPE_VOLATILE &&
	    type != PTM_BLOB_TYPE_SAVESTATE) {
		rep->head_len = ctrl_reply_res(rep->head, TPM_BAD_PARAMETER);
		return 0;
	}
	/* A shielded VM's state leaves only for an announced TLS migration. */
	if (!off && migrate_gate_check(r->gate)) {
		rep->head_len = ctrl_reply_getstate_hdr(rep->head, TPM_FAIL, 0, 0, 0);
		return 0;
	}
	if (type == PTM_BLOB_TYPE_PERMANENT && (!off || !r->blob)) {
		/* a TPM that is not running has nothing volatile: its result only */
		remote_ctrl(r, VMSHIELD_VTPM_CTRL_STORE_VOLATILE, 0, &fatal, NULL);
		if (fatal)
			return fatal;
		e = remote_call(r, VMSHIELD_VTPM_GET_STATE, 0, 0, NULL, 0, &a);
		if (!e) {
			free(r->blob);
			r->blob = malloc(a.out_len);
			e = r->blob ? 0 : -ENOMEM;
		}
		if (e) {
			fprintf(stderr, "worker: CMD_GET_STATEBLOB: the enclave did not seal the state: %s\n",
				remote_strerror(e));
			rep->head_len = ctrl_reply_res(rep->head, TPM_FAIL);
			return 0;
		}
		memcpy(r->blob, r->out, a.out_len);
		r->blob_len = a.out_len;
		printf("worker: CMD_GET_STATEBLOB: the vTPM state sealed by the enclave for migration (%zu bytes, generation %" PRIu64 ")\n",
		       r->blob_len, (uint64_t)a.generation);
	}
	if (type == PTM_BLOB_TYPE_PERMANENT && off < r->blob_len)
		len = r->blob_len - off;
	if (type == PTM_BLOB_TYPE_SAVESTATE)
		res = TPM_RETRY;	/* a TPM 2.0 has none, as the local vTPM says */
	rep->head_len = ctrl_reply_getstate_hdr(rep->head, res,
						res ? 0 : PTM_STATE_FLAG_ENCRYPTED,
						(uint32_t)len, (uint32_t)len);
	rep->tail = len ? r->blob + off : NULL;
	rep->tail_len = len;
	return 0;
}

/*
 * A migrated blob (serve --incoming): not older than the state file the
 * destination started from (the source's last stored generation, on the
 * storage both hosts see). The enclave checks the rest (this VM, a TK of
 * the key it holds, authentic); its own floor starts with the new key.
 */
static int remote_incoming_floor(const struct vtpm_remote *r,
				 const uint8_t *blob, size_t len)
{
	struct vms_ss_header h;

	if (vms_ss_parse(blob, len, &h))
		return -EBADMSG;
	if (h.generation < r->incoming_floor) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: the migrated state is generation %" PRIu64 ", older than the state file's %" PRIu64 "\n",
			(uint64_t)h.generation, r->incoming_floor);
		return -ESTALE;
	}
	return 0;
}

/*
 * The vTPM runs from the blob now: store what the enclave answered. A
 * rolled key (a migration's, or a start's roll) re-seals it under the
 * next TK: that state is stored and confirmed (STORE); otherwise the blob
 * itself becomes the state file. 0 or -errno (fail closed).
 */
static int remote_blob_stored(struct vtpm_remote *r, const uint8_t *blob,
			      size_t len, struct vmshield_vtpm *a)
{
	int e;

	if (a->out_flags & VMSHIELD_VTPM_STORE) {
		e = remote_settle(r, a);
		if (!e)
			printf("worker: CMD_SET_STATEBLOB: the enclave sealed the migrated state again under the rolled TK (generation %" PRIu64 ")\n",
			       r->generation);
		return e;
	}
	e = vms_dev_write_sealed(r->path, blob, len);
	if (e) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: write %s: %s\n", r->path,
			strerror(-e));
		return e;
	}
	r->generation = a->generation;
	r->stores++;
	return 0;
}

/*
 * SET_STATEBLOB: only a permanent blob sealed by an enclave for this VM's
 * key, not older than what the enclave confirmed (it checks both): the
 * vTPM is re-created from it, and it becomes the state file. Refused:
 * the running vTPM is re-created from the state file, nothing changed
 * (with --incoming before a migrated state came in: no vTPM, nothing
 * stored, the state file as it was).
 */
static uint32_t remote_set_blob(struct vtpm_remote *r,
				const struct ctrl_req *req, int *fatal)
{
	int incoming = r->incoming && !r->incoming_in;
	struct vmshield_vtpm a;
	int e;

	if (r->running)
		return TPM_BAD_ORDINAL;		/* stop the TPM first */
	if (!(req->u.set.flags & PTM_STATE_FLAG_ENCRYPTED)) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: refusing a plaintext state blob: the vTPM in the enclave takes only blobs sealed by an enclave\n");
		return TPM_DECRYPT_ERROR;
	}
	if (req->u.set.type == PTM_BLOB_TYPE_VOLATILE ||
	    req->u.set.type == PTM_BLOB_TYPE_SAVESTATE)
		return req->u.set.len ? TPM_BAD_PARAMETER : 0;
	if (req->u.set.type != PTM_BLOB_TYPE_PERMANENT || !req->u.set.len)
		return TPM_BAD_PARAMETER;
	e = incoming ? remote_incoming_floor(r, req->u.set.data, req->u.set.len) : 0;
	if (!e) {
		remote_call(r, VMSHIELD_VTPM_DESTROY, 0, 0, NULL, 0, &a);
		e = remote_call(r, VMSHIELD_VTPM_CREATE, 0, 0, req->u.set.data,
				req->u.set.len, &a);
	}
	if (e) {
		fprintf(stderr, "worker: CMD_SET_STATEBLOB: refusing the state blob: %s\n",
			remote_strerror(e));
		/* an incoming VM has no state of its own to go back to */
		*fatal = incoming ? 0 : remote_recreate(r);
		return e == -ESTALE ? TPM_BAD_VERSION : TPM_DECRYPT_ERROR;
	}
	/* the enclave runs it now: it is this VM's state, stored before the answer */
	*fatal = remote_blob_stored(r, req->u.set.data, req->u.set.len, &a);
	if (*fatal)
		return TPM_FAIL;
	if (r->incoming)
		r->incoming_in = 1;
	printf("worker: CMD_SET_STATEBLOB: the vTPM in the enclave re-created from the migrated state (generation %" PRIu64 ")\n",
	       r->generation);
	return 0;
}

/*
 * serve --incoming: CMD_INIT runs a vTPM only once the migrated state
 * came in (QEMU sends it after the blobs); the first such INIT commits
 * the migration's roll (@incoming_done), once. TPM_FAIL otherwise.
 */
static uint32_t remote_incoming_init(struct vtpm_remote *r)
{
	int (*done)(void *ctx) = r->incoming_done;

	if (!r->incoming)
		return 0;
	if (!r->incoming_in) {
		fprintf(stderr, "worker: CMD_INIT refused: serve --incoming runs no vTPM before the migrated state came in (CMD_SET_STATEBLOB)\n");
		return TPM_FAIL;
	}
	r->incoming_done = NULL;
	if (done && done(r->incoming_ctx))
		return TPM_FAIL;
	r->incoming = 0;	/* migrated: an ordinary vTPM from now on */
	return 0;
}

/* The capabilities of this mode: the local ones without hashing. */
#define REMOTE_CAPS	(CTRL_CAPS & ~(uint64_t)PTM_CAP_HASHING)

int vtpm_remote_control(struct vtpm_remote *r, const struct ctrl_req *req,
			struct ctrl_reply *rep)
{
	uint32_t res = TPM_BAD_ORDINAL;
	uint8_t bit = 0;
	int fatal = 0;

	memset(rep, 0, sizeof(*rep));
	switch (req->cmd) {
	case CMD_GET_CAPABILITY:
		rep->head_len = ctrl_reply_caps(rep->head, REMOTE_CAPS);
		return 0;
	case CMD_GET_CONFIG:	/* state is sealed, in the enclave */
		rep->head_len = ctrl_reply_config(rep->head, 0,
						  PTM_CONFIG_FLAG_FILE_KEY |
						  PTM_CONFIG_FLAG_MIGRATION_KEY);
		return 0;
	case CMD_SET_BUFFERSIZE:
		/* the enclave's TPM takes VMSHIELD_VTPM_MAX_CMD, no more */
		rep->head_len = req->u.buffersize &&
				req->u.buffersize < VMSHIELD_VTPM_MAX_CMD ?
			ctrl_reply_res(rep->head, TPM_BAD_PARAMETER) :
			ctrl_reply_buffersize(rep->head, 0,
					      VMSHIELD_VTPM_MAX_CMD,
					      VMSHIELD_VTPM_MAX_CMD,
					      VMSHIELD_VTPM_MAX_CMD);
		return 0;
	case CMD_GET_INFO:
		remote_info(req, rep);
		return 0;
	case CMD_INIT:
		res = remote_incoming_init(r);
		if (res)
			break;
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_INIT,
				  req->u.init_flags & PTM_INIT_FLAG_DELETE_VOLATILE ?
				  1 : 0, &fatal, NULL);
		r->running = !res;
		break;
	case CMD_STOP:
	case CMD_SHUTDOWN:
		/*
		 * serve --incoming: QEMU stops the TPM at its start and before
		 * it sets the migrated blobs; there is none yet: stopped.
		 */
		res = r->incoming && !r->incoming_in ? 0 :
		      remote_ctrl(r, VMSHIELD_VTPM_CTRL_SHUTDOWN, 0, &fatal, NULL);
		r->running = 0;
		break;
	case CMD_SET_LOCALITY:
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_LOCALITY, req->u.loc,
				  &fatal, NULL);
		break;
	case CMD_CANCEL_TPM_CMD:
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_CANCEL, 0, &fatal, NULL);
		break;
	case CMD_STORE_VOLATILE:
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_STORE_VOLATILE, 0, &fatal,
				  NULL);
		break;
	case CMD_GET_TPMESTABLISHED:
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_GET_ESTABLISHED, 0, &fatal,
				  &bit);
		if (fatal)
			return fatal;
		rep->head_len = ctrl_reply_established(rep->head, res, bit);
		return 0;
	case CMD_RESET_TPMESTABLISHED:
		res = remote_ctrl(r, VMSHIELD_VTPM_CTRL_RESET_ESTABLISHED,
				  req->u.loc, &fatal, NULL);
		break;
	case CMD_GET_STATEBLOB:
		return remote_get_blob(r, req, rep);
	case CMD_SET_STATEBLOB:
		res = remote_set_blob(r, req, &fatal);
		break;
#ifdef PTM_CAP_LOCK_STORAGE
	case CMD_LOCK_STORAGE:
		res = 0;
		break;
#endif
	default:
		/* HASH_*: not in this mode (documented) */
		fprintf(stderr, "worker: %s: not available with the vTPM in the enclave\n",
			ctrl_cmd_name(req->cmd));
		break;
	}
	if (fatal)
		return fatal;
	rep->head_len = ctrl_reply_res(rep->head, res);
	return req->cmd == CMD_SHUTDOWN ? -ESHUTDOWN : 0;
}

int vtpm_remote_command(struct vtpm_remote *r, const uint8_t *cmd,
			size_t len, const uint8_t **resp, size_t *resp_len)
{
	struct vmshield_vtpm a;
	int e = remote_call(r, VMSHIELD_VTPM_COMMAND, 0, 0, cmd, len, &a);

	if (!e && (a.out_flags & VMSHIELD_VTPM_STORE)) {
		e = remote_settle(r, &a);
		if (e)
			return e;	/* not stored: not answered */
	}
	if (!e && (a.out_len < 10 || a.out_len > sizeof(r->resp)))
		e = -EPROTO;
	if (e) {
		fprintf(stderr, "worker: TPM command in the enclave: %s\n",
			remote_strerror(e));
		/* no TPM to answer: TPM_RC_FAILURE, as swtpm does */
		vtpm_srv_error_response(r->resp, TPM2_RC_FAILURE);
		*resp = r->resp;
		*resp_len = 10;
		return 0;
	}
	memcpy(r->resp, r->out, a.out_len);
	OPENSSL_cleanse(r->out, a.out_len);
	r->commands++;
	*resp = r->resp;
	*resp_len = a.out_len;
	return 0;
}

int vtpm_remote_start_now(struct vtpm_remote *r, int startup_clear)
{
	static const uint8_t startup[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0	/* CLEAR */
	};
	const uint8_t *resp;
	size_t len;
	int fatal = 0, e;

	if (remote_incoming_init(r))
		return -EIO;
	if (remote_ctrl(r, VMSHIELD_VTPM_CTRL_INIT, 0, &fatal, NULL))
		return fatal ? fatal : -EIO;
	r->running = 1;
	if (!startup_clear)
		return 0;
	e = vtpm_remote_command(r, startup, sizeof(startup), &resp, &len);
	if (!e && ctrl_get_be32(resp + 6)) {
		fprintf(stderr, "worker: TPM2_Startup(CLEAR) failed: 0x%x\n",
			ctrl_get_be32(resp + 6));
		e = -EIO;
	}
	return e;
}
