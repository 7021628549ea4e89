// SPDX-License-Identifier: GPL-2.0
/*
 * ctrl_proto.c - swtpm's control-channel messages (see ctrl_proto.h).
 *
 * Framing follows swtpm: a message is what the client wrote for one
 * command; the server reads until the command's fixed part (and declared
 * data) is in, or until a deadline, and then checks the length of what
 * it got. QEMU sends CMD_SET_LOCALITY with a 4-byte body and tpm2-tss
 * with a 1-byte one; both are taken, as swtpm takes them.
 */
#include <string.h>

#include "ctrl_proto.h"
#include "vms_compiler.h"

#define CODE_LEN	sizeof(uint32_t)

uint32_t ctrl_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void ctrl_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)ctrl_get_be32(p) << 32 | ctrl_get_be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	ctrl_put_be32(p, v >> 32);
	ctrl_put_be32(p + 4, (uint32_t)v);
}

static const struct {
	uint32_t cmd;
	const char *name;
} cmd_names[] = {
	{ CMD_GET_CAPABILITY, "CMD_GET_CAPABILITY" },
	{ CMD_INIT, "CMD_INIT" },
	{ CMD_SHUTDOWN, "CMD_SHUTDOWN" },
	{ CMD_GET_TPMESTABLISHED, "CMD_GET_TPMESTABLISHED" },
	{ CMD_SET_LOCALITY, "CMD_SET_LOCALITY" },
	{ CMD_HASH_START, "CMD_HASH_START" },
	{ CMD_HASH_DATA, "CMD_HASH_DATA" },
	{ CMD_HASH_END, "CMD_HASH_END" },
	{ CMD_CANCEL_TPM_CMD, "CMD_CANCEL_TPM_CMD" },
	{ CMD_STORE_VOLATILE, "CMD_STORE_VOLATILE" },
	{ CMD_RESET_TPMESTABLISHED, "CMD_RESET_TPMESTABLISHED" },
	{ CMD_GET_STATEBLOB, "CMD_GET_STATEBLOB" },
	{ CMD_SET_STATEBLOB, "CMD_SET_STATEBLOB" },
	{ CMD_STOP, "CMD_STOP" },
	{ CMD_GET_CONFIG, "CMD_GET_CONFIG" },
	{ CMD_SET_DATAFD, "CMD_SET_DATAFD" },
	{ CMD_SET_BUFFERSIZE, "CMD_SET_BUFFERSIZE" },
	{ CMD_GET_INFO, "CMD_GET_INFO" },
#ifdef PTM_CAP_LOCK_STORAGE
	{ CMD_LOCK_STORAGE, "CMD_LOCK_STORAGE" },
#endif
};

const char *ctrl_cmd_name(uint32_t cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmd_names); i++)
		if (cmd_names[i].cmd == cmd)
			return cmd_names[i].name;
	return "unknown";
}

/* The fixed part of each command's request (what must be in). */
static size_t fixed_len(uint32_t cmd)
{
	switch (cmd) {
	case CMD_INIT:
		return sizeof(((ptm_init *)0)->u.req);
	case CMD_SET_LOCALITY:
		return sizeof(((ptm_loc *)0)->u.req);
	case CMD_RESET_TPMESTABLISHED:
		return sizeof(((ptm_reset_est *)0)->u.req);
	case CMD_HASH_DATA:
		return offsetof(ptm_hdata, u.req.data);
	case CMD_GET_STATEBLOB:
		return sizeof(((ptm_getstate *)0)->u.req);
	case CMD_SET_STATEBLOB:
		return offsetof(ptm_setstate, u.req.data);
	case CMD_SET_BUFFERSIZE:
		return sizeof(((ptm_setbuffersize *)0)->u.req);
	case CMD_GET_INFO:
		return sizeof(((ptm_getinfo *)0)->u.req);
#ifdef PTM_CAP_LOCK_STORAGE
	case CMD_LOCK_STORAGE:
		return sizeof(((ptm_lockstorage *)0)->u.req);
#endif
	default:
		return 0;
	}
}

/* The declared data length of HASH_DATA / SET_STATEBLOB, from @body. */
static uint32_t declared_len(uint32_t cmd, const uint8_t *body)
{
	if (cmd == CMD_HASH_DATA)
		return ctrl_get_be32(body + offsetof(ptm_hdata, u.req.length));
	return ctrl_get_be32(body + offsetof(ptm_setstate, u.req.length));
}

size_t ctrl_need(const uint8_t *buf, size_t len)
{
	uint32_t cmd, data;
	size_t fixed;

	if (len < CODE_LEN)
		return CODE_LEN;
	cmd = ctrl_get_be32(buf);
	fixed = fixed_len(cmd);
	if (cmd != CMD_HASH_DATA && cmd != CMD_SET_STATEBLOB)
		return CODE_LEN + fixed;
	if (len < CODE_LEN + fixed)
		return CODE_LEN + fixed;
	data = declared_len(cmd, buf + CODE_LEN);
	if ((cmd == CMD_HASH_DATA && data > CTRL_HASH_MAX) ||
	    (cmd == CMD_SET_STATEBLOB && data > CTRL_BLOB_MAX))
		return 0;
	return CODE_LEN + fixed + data;
}

/* Commands that take no request body at all ("wo" in swtpm). */
static int takes_no_body(uint32_t cmd)
{
	switch (cmd) {
	case CMD_GET_CAPABILITY: case CMD_SHUTDOWN: case CMD_STOP:
	case CMD_GET_TPMESTABLISHED: case CMD_HASH_START: case CMD_HASH_END:
	case CMD_CANCEL_TPM_CMD: case CMD_STORE_VOLATILE: case CMD_GET_CONFIG:
	case CMD_SET_DATAFD:
		return 1;
	default:
		return 0;
	}
}

static uint32_t parse_body(const uint8_t *b, size_t n, struct ctrl_req *req)
{
	switch (req->cmd) {
	case CMD_INIT:	/* exactly its request, as swtpm checks */
		if (n != fixed_len(CMD_INIT))
			return TPM_BAD_PARAMETER;
		req->u.init_flags = ctrl_get_be32(b);
		return 0;
	case CMD_SET_LOCALITY:
	case CMD_RESET_TPMESTABLISHED:
		req->u.loc = b[0];	/* the first byte of a 1- or 4-byte body */
		return 0;
	case CMD_HASH_DATA:
		req->u.hash.len = declared_len(CMD_HASH_DATA, b);
		if (n - offsetof(ptm_hdata, u.req.data) != req->u.hash.len)
			return TPM_BAD_PARAMETER;
		req->u.hash.data = b + offsetof(ptm_hdata, u.req.data);
		return 0;
	case CMD_GET_STATEBLOB:
		req->u.get.flags = ctrl_get_be32(b + offsetof(ptm_getstate, u.req.state_flags));
		req->u.get.type = ctrl_get_be32(b + offsetof(ptm_getstate, u.req.type));
		req->u.get.offset = ctrl_get_be32(b + offsetof(ptm_getstate, u.req.offset));
		return 0;
	case CMD_SET_STATEBLOB:
		req->u.set.flags = ctrl_get_be32(b + offsetof(ptm_setstate, u.req.state_flags));
		req->u.set.type = ctrl_get_be32(b + offsetof(ptm_setstate, u.req.type));
		req->u.set.len = declared_len(CMD_SET_STATEBLOB, b);
		if (n - offsetof(ptm_setstate, u.req.data) != req->u.set.len)
			return TPM_BAD_PARAMETER;
		req->u.set.data = b + offsetof(ptm_setstate, u.req.data);
		return 0;
	case CMD_SET_BUFFERSIZE:
		req->u.buffersize = ctrl_get_be32(b);
		return 0;
	case CMD_GET_INFO:
		req->u.info.flags = get_be64(b + offsetof(ptm_getinfo, u.req.flags));
		req->u.info.offset = ctrl_get_be32(b + offsetof(ptm_getinfo, u.req.offset));
		return 0;
#ifdef PTM_CAP_LOCK_STORAGE
	case CMD_LOCK_STORAGE:
		req->u.retries = ctrl_get_be32(b);
		return 0;
#endif
	default:
		return TPM_BAD_ORDINAL;
	}
}

uint32_t ctrl_parse(const uint8_t *buf, size_t len, struct ctrl_req *req)
{
	memset(req, 0, sizeof(*req));
	if (len < CODE_LEN)
		return TPM_BAD_PARAMETER;
	req->cmd = ctrl_get_be32(buf);
	req->body_len = len - CODE_LEN;
	if (takes_no_body(req->cmd))
		return req->body_len ? TPM_BAD_PARAMETER : 0;
	if (!fixed_len(req->cmd))
		return TPM_BAD_ORDINAL;
	if (req->body_len < fixed_len(req->cmd))
		return TPM_BAD_PARAMETER;
	return parse_body(buf + CODE_LEN, req->body_len, req);
}

size_t ctrl_reply_res(uint8_t *out, uint32_t res)
{
	ctrl_put_be32(out, res);
	return sizeof(ptm_res);
}

size_t ctrl_reply_caps(uint8_t *out, uint64_t caps)
{
	put_be64(out, caps);
	return sizeof(ptm_cap);
}

size_t ctrl_reply_established(uint8_t *out, uint32_t res, uint8_t bit)
{
	size_t len = sizeof(((ptm_est *)0)->u.resp);

	memset(out, 0, len);
	ctrl_put_be32(out + offsetof(ptm_est, u.resp.tpm_result), res);
	out[offsetof(ptm_est, u.resp.bit)] = bit;
	return len;
}

size_t ctrl_reply_config(uint8_t *out, uint32_t res, uint32_t flags)
{
	ctrl_put_be32(out + offsetof(ptm_getconfig, u.resp.tpm_result), res);
	ctrl_put_be32(out + offsetof(ptm_getconfig, u.resp.flags), flags);
	return sizeof(((ptm_getconfig *)0)->u.resp);
}

size_t ctrl_reply_buffersize(uint8_t *out, uint32_t res, uint32_t size,
			     uint32_t min, uint32_t max)
{
	ctrl_put_be32(out + offsetof(ptm_setbuffersize, u.resp.tpm_result), res);
	ctrl_put_be32(out + offsetof(ptm_setbuffersize, u.resp.buffersize), size);
	ctrl_put_be32(out + offsetof(ptm_setbuffersize, u.resp.minsize), min);
	ctrl_put_be32(out + offsetof(ptm_setbuffersize, u.resp.maxsize), max);
	return sizeof(((ptm_setbuffersize *)0)->u.resp);
}

size_t ctrl_reply_info(uint8_t *out, uint32_t res, const char *text,
		       uint32_t total, uint32_t offset, uint32_t len)
{
	ctrl_put_be32(out + offsetof(ptm_getinfo, u.resp.tpm_result), res);
	ctrl_put_be32(out + offsetof(ptm_getinfo, u.resp.totlength), total);
	ctrl_put_be32(out + offsetof(ptm_getinfo, u.resp.length), len);
	if (len)
		memcpy(out + offsetof(ptm_getinfo, u.resp.buffer), text + offset,
		       len);
	return offsetof(ptm_getinfo, u.resp.buffer) + len;
}

size_t ctrl_reply_getstate_hdr(uint8_t *out, uint32_t res, uint32_t flags,
			       uint32_t total, uint32_t len)
{
	ctrl_put_be32(out + offsetof(ptm_getstate, u.resp.tpm_result), res);
	ctrl_put_be32(out + offsetof(ptm_getstate, u.resp.state_flags), flags);
	ctrl_put_be32(out + offsetof(ptm_getstate, u.resp.totlength), total);
	ctrl_put_be32(out + offsetof(ptm_getstate, u.resp.length), len);
	return CTRL_GETSTATE_HDR;
}
