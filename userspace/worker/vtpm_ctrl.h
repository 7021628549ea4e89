/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_ctrl.h - what `vmshield-worker serve` does for each control
 * command and each TPM command of the data channel: the vTPM (vtpm.h)
 * and its sealed state (persist.h) behind swtpm's protocol
 * (ctrl_proto.h). Sockets are serve.c's business.
 */
#ifndef VMS_WORKER_VTPM_CTRL_H
#define VMS_WORKER_VTPM_CTRL_H

#include <stddef.h>
#include <stdint.h>

#include "ctrl_proto.h"
#include "migrate_gate.h"
#include "persist.h"
#include "vms_cleanup.h"

struct vtpm_srv {
	struct persist *persist;
	uint8_t vm_id[16];
	/* the last sealed GET_STATEBLOB blob of each type, for offset > 0 */
	struct vms_secret blobs[PTM_BLOB_TYPE_SAVESTATE + 1];
	/* TPMLIB_Process's response buffer, reused and wiped */
	unsigned char *resp;
	uint32_t resp_size;
	uint64_t commands;	/* TPM commands processed */
	uint64_t incoming_gen;	/* generation of the permanent blob just set */
	int volatile_stored;	/* CMD_STORE_VOLATILE took the volatile state */
	/* shielded: blobs only for an announced TLS migration; NULL: none */
	const struct migrate_gate *gate;
	/*
	 * serve --incoming: called once, at the CMD_INIT that ends the first
	 * set of incoming blobs (sealed by then); nonzero fails that INIT
	 */
	int (*incoming_done)(void *ctx);
	void *incoming_ctx;
};

/* A control reply: a head, and (GET_STATEBLOB) data that follows it. */
struct ctrl_reply {
	uint8_t head[CTRL_REPLY_MAX];
	size_t head_len;
	const uint8_t *tail;
	size_t tail_len;
};

void vtpm_srv_init(struct vtpm_srv *v, struct persist *p,
		   const uint8_t vm_id[16]);
/* Wipe and free what @v holds (the vTPM itself is vtpm_stop()'s). */
void vtpm_srv_release(struct vtpm_srv *v);

/*
 * Handle one decoded control request (CMD_SET_DATAFD is serve.c's).
 * Returns 0 with @r filled; -ESHUTDOWN with @r filled after
 * CMD_SHUTDOWN (answer, then stop serving); or a negative errno when a
 * changed state could not be sealed: nothing may be answered then, and
 * the worker must stop (fail closed).
 */
int vtpm_srv_control(struct vtpm_srv *v, const struct ctrl_req *req,
		     struct ctrl_reply *r);

/*
 * Run one TPM command (@len bytes, a complete command by its header):
 * *@resp / *@resp_len is the response, valid until the next call (wipe
 * it after sending: vtpm_srv_wipe_response()). A TPM that is not
 * running answers TPM_RC_FAILURE, as swtpm does. A negative errno when
 * the changed state could not be sealed (fail closed, as above).
 */
int vtpm_srv_command(struct vtpm_srv *v, const uint8_t *cmd, size_t len,
		     const uint8_t **resp, size_t *resp_len);
void vtpm_srv_wipe_response(struct vtpm_srv *v);

/* The largest TPM command the data channel takes now (buffer size). */
uint32_t vtpm_srv_max_command(void);

/*
 * swtpm's --flags not-need-init (start the TPM at once) and
 * startup-clear (then send TPM2_Startup(CLEAR)). 0 or -errno.
 */
int vtpm_srv_start_now(struct vtpm_srv *v, int startup_clear);

/* Seal what changed (e.g. at SIGTERM), if anything did. 0 or -errno. */
int vtpm_srv_flush(struct vtpm_srv *v, const char *why);

/* A TPM 2.0 error response of 10 bytes with @rc into @out. */
void vtpm_srv_error_response(uint8_t out[10], uint32_t rc);

#endif /* VMS_WORKER_VTPM_CTRL_H */
