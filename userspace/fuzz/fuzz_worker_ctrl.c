// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_worker_ctrl - libFuzzer harness: the control-channel parser of
 * `vmshield-worker serve` (worker/ctrl_proto.c), which reads what any
 * local client writes to the worker's socket. The input is a byte stream
 * cut into messages the way the server cuts it: bytes arrive in chunks
 * (the first input byte sets the chunk size), ctrl_need() says when a
 * message is complete, and ctrl_parse() decodes what has arrived. Every
 * message is copied into a buffer of exactly its length, so the sanitizer
 * sees any read past it. Invariants checked (abort when broken):
 * ctrl_need() is 0 (refused) or at least the 4-byte command code and at
 * most CTRL_MSG_MAX; a decoded request's data lies inside the message;
 * a decoded body is exactly what ctrl_need() asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *msg, size_t len,
			  const struct ctrl_req *req)
{
	const uint8_t *end = msg + len;

	if (req->body_len != len - 4)
		abort();
	if (req->cmd == CMD_HASH_DATA &&
	    (req->u.hash.data < msg || req->u.hash.data + req->u.hash.len > end ||
	     req->u.hash.len > CTRL_HASH_MAX))
		abort();
	if (req->cmd == CMD_SET_STATEBLOB &&
	    (req->u.set.data < msg || req->u.set.data + req->u.set.len > end ||
	     req->u.set.len > CTRL_BLOB_MAX))
		abort();
	if ((req->cmd == CMD_SET_LOCALITY || req->cmd == CMD_RESET_TPMESTABLISHED) &&
	    req->u.loc != msg[4])
		abort();
}

/* One message: @len bytes (complete or cut short by the deadline). */
static void one_message(const uint8_t *p, size_t len, int complete)
{
	uint8_t *msg = malloc(len ? len : 1);
	struct ctrl_req req;
	size_t need;
	uint32_t res;

	if (!msg)
		return;
	memcpy(msg, p, len);
	need = ctrl_need(msg, len);
	if (need && (need < 4 || need > CTRL_MSG_MAX))
		abort();
	res = ctrl_parse(msg, len, &req);
	if (res == 0) {
		check_request(msg, len, &req);
		/* a complete message of a command with data is exactly it */
		if (complete && (req.cmd == CMD_HASH_DATA ||
				 req.cmd == CMD_SET_STATEBLOB) && need != len)
			abort();
	} else if (res != TPM_BAD_PARAMETER && res != TPM_BAD_ORDINAL) {
		abort();
	}
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t reply[CTRL_REPLY_MAX];
	size_t chunk, off = 0, have, need;

	if (size < 1)
		return 0;
	chunk = data[0] % 64 + 1;
	data++;
	size--;
	while (off < size) {
		/* grow the message chunk by chunk until it is complete */
		have = 0;
		for (;;) {
			have += chunk;
			if (off + have > size)
				have = size - off;
			need = ctrl_need(data + off, have);
			if (!need || have >= need || off + have == size)
				break;
		}
		if (!need) {	/* refused: the server closes the connection */
			one_message(data + off, have, 0);
			return 0;
		}
		one_message(data + off, have, have >= need);
		off += have;
	}
	/* the reply builders, with lengths from the input */
	if (size >= 8) {
		uint32_t off32 = data[0] % 16, len = data[1] % 64;
		char text[96];

		memset(text, 'x', sizeof(text));
		ctrl_reply_info(reply, 0, text, sizeof(text), off32, len);
		ctrl_reply_getstate_hdr(reply, 0, 0, len, len);
		ctrl_reply_established(reply, 0, data[2]);
		ctrl_reply_buffersize(reply, 0, 1, 2, 3);
	}
	return 0;
}
