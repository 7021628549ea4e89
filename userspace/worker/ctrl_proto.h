/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctrl_proto.h - swtpm's control-channel messages, as vmshield-worker
 * serves them: framing, decoding of requests, encoding of replies. No
 * I/O and no TPM here (the fuzz target feeds it directly).
 *
 * The command codes, flags and every request and reply layout come from
 * Debian's swtpm-dev (<swtpm/tpm_ioctl.h>) at build time. On the socket
 * a request is the 4-byte big-endian command code followed by the
 * request part of the command's union; a reply is the reply part alone.
 * All integers are big-endian. Documentation/vmm-integration.md has the
 * coverage table.
 */
#ifndef VMS_WORKER_CTRL_PROTO_H
#define VMS_WORKER_CTRL_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <swtpm/tpm_ioctl.h>

/* libtpms' TPM 1.2-style result codes, which the protocol uses. */
#include <libtpms/tpm_error.h>

/*
 * The largest state blob SET_STATEBLOB takes (a sealed libtpms state is
 * tens of KiB); a longer one is refused and the connection closed.
 */
#define CTRL_BLOB_MAX		(1u << 20)
/* The largest HASH_DATA chunk: the size of ptm_hdata's buffer. */
#define CTRL_HASH_MAX		sizeof(((ptm_hdata *)0)->u.req.data)
/* The most bytes of one control message. */
#define CTRL_MSG_MAX		(4 + offsetof(ptm_setstate, u.req.data) + \
				 CTRL_BLOB_MAX)

/* The capabilities vmshield-worker announces (CMD_GET_CAPABILITY). */
#define CTRL_CAPS	(PTM_CAP_INIT | PTM_CAP_SHUTDOWN |		\
			 PTM_CAP_GET_TPMESTABLISHED | PTM_CAP_SET_LOCALITY | \
			 PTM_CAP_HASHING | PTM_CAP_CANCEL_TPM_CMD |	\
			 PTM_CAP_STORE_VOLATILE |			\
			 PTM_CAP_RESET_TPMESTABLISHED |			\
			 PTM_CAP_GET_STATEBLOB | PTM_CAP_SET_STATEBLOB |	\
			 PTM_CAP_STOP | PTM_CAP_GET_CONFIG |		\
			 PTM_CAP_SET_DATAFD | PTM_CAP_SET_BUFFERSIZE |	\
			 PTM_CAP_GET_INFO | CTRL_CAP_LOCK_STORAGE)
/* Newer swtpm-dev headers have CMD_LOCK_STORAGE; 0.7.1 does not. */
#ifdef PTM_CAP_LOCK_STORAGE
#define CTRL_CAP_LOCK_STORAGE	PTM_CAP_LOCK_STORAGE
#else
#define CTRL_CAP_LOCK_STORAGE	0
#endif

/* A decoded request. Pointers point into the message. */
struct ctrl_req {
	uint32_t cmd;
	size_t body_len;		/* bytes after the command code */
	union {
		uint32_t init_flags;	/* CMD_INIT */
		uint8_t loc;		/* CMD_SET_LOCALITY, _RESET_TPMESTABLISHED */
		struct {		/* CMD_HASH_DATA */
			uint32_t len;
			const uint8_t *data;
		} hash;
		struct {		/* CMD_GET_STATEBLOB */
			uint32_t flags, type, offset;
		} get;
		struct {		/* CMD_SET_STATEBLOB */
			uint32_t flags, type, len;
			const uint8_t *data;
		} set;
		uint32_t buffersize;	/* CMD_SET_BUFFERSIZE */
		struct {		/* CMD_GET_INFO */
			uint64_t flags;
			uint32_t offset;
		} info;
		uint32_t retries;	/* CMD_LOCK_STORAGE */
	} u;
};

/*
 * ctrl_need - how many bytes the message that starts at @buf (@len bytes
 * so far) needs before it can be handled: 4 until the command code is
 * in, then the command's fixed part, then (HASH_DATA, SET_STATEBLOB) its
 * declared data. Returns 0 when the declared length is over the limit:
 * the message can never be taken and the connection must be closed.
 */
size_t ctrl_need(const uint8_t *buf, size_t len);

/*
 * ctrl_parse - decode a message of @len bytes: what arrived until
 * ctrl_need() was met, or until the read deadline passed. A body of the
 * wrong length is refused as swtpm refuses it. Returns 0 (@req filled),
 * TPM_BAD_PARAMETER (truncated, too long, or a body where none belongs)
 * or TPM_BAD_ORDINAL (unknown command; @req->cmd is set).
 */
uint32_t ctrl_parse(const uint8_t *buf, size_t len, struct ctrl_req *req);

/* The name of a command code ("CMD_INIT"), or "unknown". */
const char *ctrl_cmd_name(uint32_t cmd);

/*
 * Reply builders: each writes the reply into @out (at least
 * CTRL_REPLY_MAX bytes unless said otherwise) and returns its length.
 */
#define CTRL_REPLY_MAX		sizeof(ptm_getinfo)
size_t ctrl_reply_res(uint8_t *out, uint32_t res);
size_t ctrl_reply_caps(uint8_t *out, uint64_t caps);
size_t ctrl_reply_established(uint8_t *out, uint32_t res, uint8_t bit);
size_t ctrl_reply_config(uint8_t *out, uint32_t res, uint32_t flags);
size_t ctrl_reply_buffersize(uint8_t *out, uint32_t res, uint32_t size,
			     uint32_t min, uint32_t max);
/* @text is @total bytes (with its NUL), @len of them from @offset. */
size_t ctrl_reply_info(uint8_t *out, uint32_t res, const char *text,
		       uint32_t total, uint32_t offset, uint32_t len);
/* The header of a GET_STATEBLOB reply; @len data bytes follow it. */
#define CTRL_GETSTATE_HDR	offsetof(ptm_getstate, u.resp.data)
size_t ctrl_reply_getstate_hdr(uint8_t *out, uint32_t res, uint32_t flags,
			       uint32_t total, uint32_t len);

/* Big-endian helpers shared with the data channel. */
uint32_t ctrl_get_be32(const uint8_t *p);
void ctrl_put_be32(uint8_t *p, uint32_t v);

#endif /* VMS_WORKER_CTRL_PROTO_H */
