/* SPDX-License-Identifier: GPL-2.0 */
/*
 * enclave_proto.h - the enclave channel protocol (version 1): the frames
 * vmshield.ko (placement hypervisor) and vmshield-enclaved exchange over
 * a transport (the ivshmem mailbox or vsock). The specification is
 * Documentation/enclave-protocol.md; this is its one codec, compiled into
 * the module and into userspace alike.
 *
 * Frame (all integers big-endian):
 *   0  4  magic "VMEP"
 *   4  2  version = 1
 *   6  2  type (VMS_EP_*; a response has VMS_EP_RESPONSE set)
 *   8  8  request id (the response repeats it)
 *   16 4  status (requests: 0; responses: a VMS_EP_S_* code)
 *   20 4  payload length (exactly the bytes that follow)
 *   24 .. payload, laid out per type (enclave-protocol.md)
 *
 * Decoding is strict: every length is exact, every reserved field zero,
 * every status code known; anything else is refused and nothing parsed
 * is kept. Errors (negative errno):
 *   -EMSGSIZE        frame shorter than a header, payload length field not
 *                    the bytes that follow, or over a bound
 *   -EILSEQ          bad magic
 *   -EPROTONOSUPPORT unknown version
 *   -EOPNOTSUPP      unknown type, or a request where a response was
 *                    expected (and the reverse)
 *   -EPROTO          a payload that does not fit its type (wrong length,
 *                    reserved field set, unknown status code, a status on
 *                    a request, a payload on an error response)
 *   -ENOSPC          (encode) output buffer too small (nothing written)
 *   -EINVAL          (encode) an argument out of range
 */
#ifndef VMS_ENCLAVE_PROTO_H
#define VMS_ENCLAVE_PROTO_H

#include "vms_port.h"
#include "keyrelease.h"
#include "sealedstate.h"

#define VMS_EP_MAGIC		"VMEP"
#define VMS_EP_VERSION		1
#define VMS_EP_HDR_LEN		24

/* Request types; a response is the request's type | VMS_EP_RESPONSE. */
#define VMS_EP_PING		1
#define VMS_EP_INFO		2
#define VMS_EP_LOAD_RELEASE	3
#define VMS_EP_REVOKE		4
#define VMS_EP_SEAL		5
#define VMS_EP_UNSEAL		6
#define VMS_EP_REPORT		7
#define VMS_EP_STATUS		8
#define VMS_EP_RELEASE_CHALLENGE 9	/* release format v2 */
#define VMS_EP_TYPE_MAX		9
#define VMS_EP_RESPONSE		0x8000

/* Bounds. */
#define VMS_EP_MAX_STATE	(1u << 20)	/* plaintext per SEAL/UNSEAL */
#define VMS_EP_MAX_PAYLOAD	(16 + VMS_EP_MAX_STATE + VMS_SS_OVERHEAD)
#define VMS_EP_MAX_FRAME	(VMS_EP_HDR_LEN + VMS_EP_MAX_PAYLOAD)
#define VMS_EP_NONCE_LEN	32
#define VMS_EP_BOOT_ID_LEN	16
#define VMS_EP_REPORT_MAX	1024	/* report body */
#define VMS_EP_SIG_MAX		72	/* DER ECDSA P-256 */
#define VMS_EP_STATUS_MAX	1024	/* STATUS text */
#define VMS_EP_INFO_LEN		64
#define VMS_EP_LOAD_RESP_LEN	56	/* before the digests */
#define VMS_EP_CHALLENGE_RESP_LEN 40	/* challenge, its issue time */

/* Status codes on the wire, each one errno (enclave-protocol.md). */
#define VMS_EP_S_OK		0
#define VMS_EP_S_EINVAL		1
#define VMS_EP_S_EMSGSIZE	2
#define VMS_EP_S_EILSEQ		3
#define VMS_EP_S_EPROTONOSUPPORT 4
#define VMS_EP_S_ENOKEY		5
#define VMS_EP_S_EKEYREJECTED	6
#define VMS_EP_S_EBADMSG	7
#define VMS_EP_S_EKEYEXPIRED	8
#define VMS_EP_S_EKEYREVOKED	9
#define VMS_EP_S_EDQUOT		10
#define VMS_EP_S_ENOSPC		11
#define VMS_EP_S_ENOMEM		12
#define VMS_EP_S_ENOBUFS	13
#define VMS_EP_S_EFBIG		14
#define VMS_EP_S_EPROTO		15
#define VMS_EP_S_EOPNOTSUPP	16
#define VMS_EP_S_EIO		17
/* release challenges (release format v2) */
#define VMS_EP_S_ESTALE		18
#define VMS_EP_S_ETIME		19
#define VMS_EP_S_EPERM		20
#define VMS_EP_S_EBUSY		21
#define VMS_EP_S_MAX		21

/*
 * The vTPM inside the enclave (Documentation/vtpm-in-enclave.md): request
 * types 16..22 and status codes 24..26 (and 18, 21). Every vTPM request carries
 *   0 8 key handle  8 8 generation  16 4 op  20 4 arg  24 .. data
 * and every successful vTPM response
 *   0 8 generation  8 4 result (a TPM result code)  12 4 flags  16 .. data
 * Fields a type does not use are zero; the data bounds are per type.
 */
#define VMS_EP_VTPM_CREATE	16	/* data: sealed vTPM state, or none */
#define VMS_EP_VTPM_DESTROY	17
#define VMS_EP_VTPM_COMMAND	18	/* data: one TPM command */
#define VMS_EP_VTPM_CONTROL	19	/* op: VMS_VTPM_CTRL_*, arg */
#define VMS_EP_VTPM_CONFIRM	20	/* generation: the one stored */
#define VMS_EP_VTPM_GET_STATE	21	/* answer: the sealed state */
/* answer: the confirmed generation, signed (vtpm-in-enclave.md §2) */
#define VMS_EP_VTPM_STATEMENT	22
#define VMS_EP_VTPM_FIRST	16
#define VMS_EP_VTPM_LAST	22
#define VMS_EP_VTPM_REQ_LEN	24
#define VMS_EP_VTPM_RESP_LEN	16
/* The largest TPM command or response the channel carries. */
#define VMS_EP_VTPM_MAX_CMD	4096
/*
 * Response flag: the data is the vTPM's new sealed state of @generation;
 * the command's own answer is held by the enclave until the host has
 * stored that state and says so with VTPM_CONFIRM.
 */
#define VMS_EP_VTPM_F_STORE	0x1
#define VMS_EP_VTPM_F_ALL	0x1

/* VTPM_CONTROL's ops (swtpm's control commands, by meaning). */
#define VMS_VTPM_CTRL_INIT		1	/* arg: 1 = delete volatile */
#define VMS_VTPM_CTRL_SHUTDOWN		2
#define VMS_VTPM_CTRL_LOCALITY		3	/* arg: 0..4 */
#define VMS_VTPM_CTRL_CANCEL		4
#define VMS_VTPM_CTRL_STORE_VOLATILE	5
#define VMS_VTPM_CTRL_GET_ESTABLISHED	6	/* answer: 1 byte */
#define VMS_VTPM_CTRL_RESET_ESTABLISHED	7	/* arg: locality */
#define VMS_VTPM_CTRL_MAX		7

/*
 * The vTPM's own codes; its EBUSY (an answer waits for VTPM_CONFIRM) and
 * ESTALE (older than the enclave's generation) are the shared codes 21
 * and 18 above.
 */
#define VMS_EP_S_VTPM_FIRST	24
#define VMS_EP_S_EPIPE		24	/* the vTPM's process died */
#define VMS_EP_S_ENODEV		25	/* no vTPM for this key */
#define VMS_EP_S_EEXIST		26	/* the key has a vTPM already */
#define VMS_EP_S_VTPM_LAST	26

/*
 * One frame, decoded or to encode. Which fields mean something depends on
 * @type (enclave-protocol.md has the table); pointers point into the frame
 * that was decoded, or at the caller's data for encoding.
 */
struct vms_ep_msg {
	u16 type;		/* without VMS_EP_RESPONSE */
	bool response;
	u64 req_id;
	int err;		/* responses: 0 or a negative errno */
	u64 handle;		/* LOAD_RELEASE resp; REVOKE, SEAL, UNSEAL req */
	u64 generation;		/* SEAL req; UNSEAL resp */
	const u8 *vm_id;	/* LOAD_RELEASE req and resp: 16 bytes */
	const u8 *key_id;	/* LOAD_RELEASE resp: 16 bytes */
	const u8 *pk;		/* INFO resp: 32 bytes */
	const u8 *boot_id;	/* INFO resp: 16 bytes */
	const u8 *nonce;	/* REPORT req: 32 bytes */
	u32 policy;		/* LOAD_RELEASE resp */
	u32 lifetime_s;		/* LOAD_RELEASE resp */
	u32 max_state;		/* INFO resp */
	u32 n_keys;		/* INFO resp */
	u16 n_digests;		/* LOAD_RELEASE resp */
	const u8 *digests;	/* LOAD_RELEASE resp: 32 * n_digests bytes */
	/*
	 * LOAD_RELEASE req: the release blob; SEAL req: plaintext; SEAL resp:
	 * the sealed blob; UNSEAL req: the sealed blob; UNSEAL resp:
	 * plaintext; REPORT resp: the body; STATUS resp: the text.
	 */
	const u8 *data;
	size_t data_len;
	const u8 *sig;		/* REPORT resp */
	size_t sig_len;
	u32 vtpm_op;		/* VTPM_* req: op */
	u32 vtpm_arg;		/* VTPM_* req: arg */
	u32 vtpm_result;	/* VTPM_* resp: TPM result code */
	u32 vtpm_flags;		/* VTPM_* resp: VMS_EP_VTPM_F_* */
	const u8 *kps_pk;	/* RELEASE_CHALLENGE req: 32 bytes */
	const u8 *challenge;	/* RELEASE_CHALLENGE resp: 32 bytes */
	u64 challenge_ns;	/* RELEASE_CHALLENGE resp */
};

/* A request type this codec knows. */
bool vms_ep_type_known(u16 type);

/* The wire code of a negative errno (unknown ones become EIO), and back. */
u32 vms_ep_status_of(int err);
/* 0 and *@err set, or -EPROTO for a code that is not in the table. */
int vms_ep_errno_of(u32 status, int *err);

/* The frame size @m encodes to, or 0 when it is out of range. */
size_t vms_ep_size(const struct vms_ep_msg *m);

/*
 * vms_ep_encode - write @m (request or response, as @m->response says)
 * into @out. An error response (@m->err != 0) has no payload. Sets
 * *@outlen to the frame size. Errors: -EINVAL, -ENOSPC; on error nothing
 * is written.
 */
int vms_ep_encode(const struct vms_ep_msg *m, u8 *out, size_t cap,
		  size_t *outlen);

/*
 * vms_ep_decode - strict decode of exactly one frame of @len bytes; a
 * response when @want_response, else a request. On error @m is zeroed.
 */
int vms_ep_decode(const u8 *frame, size_t len, bool want_response,
		  struct vms_ep_msg *m);

/*
 * vms_ep_frame_len - from the first VMS_EP_HDR_LEN bytes of a stream, the
 * whole frame's length (for stream transports: read that much). Checks
 * magic, version and the payload bound only. Errors as vms_ep_decode.
 */
int vms_ep_frame_len(const u8 hdr[VMS_EP_HDR_LEN], size_t *len);

#endif /* VMS_ENCLAVE_PROTO_H */
