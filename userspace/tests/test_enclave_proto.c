// SPDX-License-Identifier: GPL-2.0
/*
 * test_enclave_proto.c - the enclave channel codec (core/enclave_proto.c):
 * every request and response type round trips, every status code maps to
 * its errno and back, and every malformed frame is refused with its
 * documented errno and leaves the decoded message empty.
 */
#include "testutil.h"
#include "enclave_proto.h"
#include "enclave_mailbox.h"

static u8 frame[VMS_EP_MAX_FRAME + 64];
static u8 big[VMS_EP_MAX_STATE + VMS_SS_OVERHEAD + 1];
static const u8 pk[32] = "enclave-public-key-32-bytes-long";
static const u8 boot_id[16] = "boot-id-16-bytes";
static const u8 nonce[32] = "hgs-nonce-32-bytes-long-exactly!";
static u8 digests[2][32];

static size_t enc(const struct vms_ep_msg *m)
{
	size_t n = 0;

	assert_int_equal(vms_ep_encode(m, frame, sizeof(frame), &n), 0);
	assert_int_equal(n, vms_ep_size(m));
	return n;
}

/* Decode @len bytes of frame expecting @err; on error @m must be empty. */
static void dec(size_t len, bool resp, int err, struct vms_ep_msg *m)
{
	memset(m, PATTERN, sizeof(*m));
	assert_int_equal(vms_ep_decode(frame, len, resp, m), err);
	if (err) {
		struct vms_ep_msg zero;

		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(m, &zero, sizeof(zero));
	}
}

static void test_header_layout(void **state)
{
	struct vms_ep_msg m = { .type = VMS_EP_PING, .req_id = 0x0102030405060708ULL };
	size_t n;

	(void)state;
	n = enc(&m);
	assert_int_equal(n, VMS_EP_HDR_LEN);
	assert_memory_equal(frame, "VMEP\x00\x01\x00\x01\x01\x02\x03\x04\x05\x06\x07\x08"
			    "\x00\x00\x00\x00\x00\x00\x00\x00", 24);
	m.response = true;
	m.err = -EKEYREVOKED;
	n = enc(&m);
	assert_int_equal(n, VMS_EP_HDR_LEN);
	assert_int_equal(frame[6], 0x80);
	assert_int_equal(frame[19], VMS_EP_S_EKEYREVOKED);
	/* the mailbox layout the two sides share */
	assert_true(VMS_EP_MAX_FRAME <= VMS_MB_AREA_LEN);
	assert_int_equal(VMS_MB_RESP_AREA + VMS_MB_AREA_LEN, VMS_MB_SIZE);
}

static void test_status_table(void **state)
{
	static const int errs[] = { 0, -EINVAL, -EMSGSIZE, -EILSEQ,
		-EPROTONOSUPPORT, -ENOKEY, -EKEYREJECTED, -EBADMSG,
		-EKEYEXPIRED, -EKEYREVOKED, -EDQUOT, -ENOSPC, -ENOMEM,
		-ENOBUFS, -EFBIG, -EPROTO, -EOPNOTSUPP, -EIO,
		-ESTALE, -ETIME, -EPERM, -EBUSY };
	unsigned int i;
	int e;

	(void)state;
	assert_int_equal(ARRAY_SIZE(errs), VMS_EP_S_MAX + 1);
	for (i = 0; i <= VMS_EP_S_MAX; i++) {
		assert_int_equal(vms_ep_status_of(errs[i]), i);
		assert_int_equal(vms_ep_errno_of(i, &e), 0);
		assert_int_equal(e, errs[i]);
	}
	/* an errno outside the table is sent as EIO; a code outside is refused */
	assert_int_equal(vms_ep_status_of(-ENOENT), VMS_EP_S_EIO);
	assert_int_equal(vms_ep_status_of(-512), VMS_EP_S_EIO);
	e = 7;
	assert_int_equal(vms_ep_errno_of(VMS_EP_S_MAX + 1, &e), -EPROTO);
	assert_int_equal(vms_ep_errno_of(0xffffffffu, &e), -EPROTO);
	assert_int_equal(e, 7);
}

static void test_requests_round_trip(void **state)
{
	struct vms_ep_msg m, d;
	u8 vm[16] = "vm-id-16-bytes!!";
	size_t n;

	(void)state;
	t_random(big, sizeof(big));
	for (u16 t = VMS_EP_PING; t <= VMS_EP_TYPE_MAX; t++) {
		memset(&m, 0, sizeof(m));
		m.type = t;
		m.req_id = 1000 + t;
		m.handle = 0xabcdef0123456789ULL;
		m.generation = 42;
		m.vm_id = vm;
		m.nonce = nonce;
		m.kps_pk = pk;
		m.data = big;
		if (t == VMS_EP_LOAD_RELEASE)
			m.data_len = VMS_KR_MAX_LEN;
		else if (t == VMS_EP_SEAL)
			m.data_len = VMS_EP_MAX_STATE;
		else if (t == VMS_EP_UNSEAL)
			m.data_len = VMS_EP_MAX_STATE + VMS_SS_OVERHEAD;
		n = enc(&m);
		dec(n, false, 0, &d);
		assert_int_equal(d.type, t);
		assert_false(d.response);
		assert_int_equal(d.req_id, 1000 + t);
		assert_int_equal(d.data_len, m.data_len);
		if (m.data_len)
			assert_memory_equal(d.data, big, m.data_len);
		if (t == VMS_EP_REVOKE || t == VMS_EP_SEAL || t == VMS_EP_UNSEAL)
			assert_true(d.handle == m.handle);
		if (t == VMS_EP_SEAL)
			assert_int_equal(d.generation, 42);
		if (t == VMS_EP_LOAD_RELEASE)
			assert_memory_equal(d.vm_id, vm, 16);
		if (t == VMS_EP_REPORT)
			assert_memory_equal(d.nonce, nonce, 32);
		if (t == VMS_EP_RELEASE_CHALLENGE)
			assert_memory_equal(d.kps_pk, pk, 32);
		/* a request is not a response */
		dec(n, true, -EOPNOTSUPP, &d);
	}
	/* an empty SEAL is a request too */
	memset(&m, 0, sizeof(m));
	m.type = VMS_EP_SEAL;
	n = enc(&m);
	dec(n, false, 0, &d);
	assert_int_equal(d.data_len, 0);
}

static void test_responses_round_trip(void **state)
{
	struct vms_ep_msg m, d;
	const char *text = "keys=1\nrequests=2\n";
	size_t n;

	(void)state;
	t_random(digests, sizeof(digests));
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_INFO;
	m.pk = pk;
	m.boot_id = boot_id;
	m.max_state = VMS_EP_MAX_STATE;
	m.n_keys = 3;
	n = enc(&m);
	assert_int_equal(n, VMS_EP_HDR_LEN + VMS_EP_INFO_LEN);
	dec(n, true, 0, &d);
	assert_memory_equal(d.pk, pk, 32);
	assert_memory_equal(d.boot_id, boot_id, 16);
	assert_int_equal(d.n_keys, 3);
	assert_int_equal(d.err, 0);

	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_LOAD_RELEASE;
	m.handle = 9;
	m.vm_id = boot_id;
	m.key_id = boot_id;
	m.policy = VMS_KR_POLICY_SHIELDED;
	m.lifetime_s = 60;
	m.n_digests = 2;
	m.digests = digests[0];
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.handle, 9);
	assert_int_equal(d.policy, VMS_KR_POLICY_SHIELDED);
	assert_int_equal(d.lifetime_s, 60);
	assert_int_equal(d.n_digests, 2);
	assert_memory_equal(d.digests, digests, 64);

	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_REPORT;
	m.data = (const u8 *)text;
	m.data_len = strlen(text);
	m.sig = big;
	m.sig_len = 71;
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.data_len, strlen(text));
	assert_int_equal(d.sig_len, 71);
	assert_memory_equal(d.sig, big, 71);

	/* RELEASE_CHALLENGE: the challenge and the enclave's clock */
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_RELEASE_CHALLENGE;
	m.challenge = nonce;
	m.challenge_ns = 0x0102030405060708ULL;
	n = enc(&m);
	assert_int_equal(n, VMS_EP_HDR_LEN + VMS_EP_CHALLENGE_RESP_LEN);
	dec(n, true, 0, &d);
	assert_memory_equal(d.challenge, nonce, 32);
	assert_true(d.challenge_ns == 0x0102030405060708ULL);
	/* and its error answers: a refused or exhausted challenge */
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_RELEASE_CHALLENGE;
	m.err = -EPERM;
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.err, -EPERM);

	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_STATUS;
	m.data = (const u8 *)text;
	m.data_len = strlen(text);
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_memory_equal(d.data, text, strlen(text));

	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_UNSEAL;
	m.generation = 77;
	m.data = big;
	m.data_len = VMS_EP_MAX_STATE;
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.generation, 77);
	assert_int_equal(d.data_len, VMS_EP_MAX_STATE);

	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_SEAL;
	m.data = big;
	m.data_len = VMS_SS_OVERHEAD + 5;
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.data_len, VMS_SS_OVERHEAD + 5);

	/* an error response: no payload, the errno comes back */
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_UNSEAL;
	m.req_id = 5;
	m.err = -EBADMSG;
	n = enc(&m);
	dec(n, true, 0, &d);
	assert_int_equal(d.err, -EBADMSG);
	assert_int_equal(d.req_id, 5);
	assert_null(d.data);
}

static void test_encode_refuses(void **state)
{
	struct vms_ep_msg m;
	size_t n = 12345;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = VMS_EP_SEAL;
	m.data = big;
	m.data_len = VMS_EP_MAX_STATE + 1;
	assert_int_equal(vms_ep_encode(&m, frame, sizeof(frame), &n), -EINVAL);
	m.type = 0;
	m.data_len = 0;
	assert_int_equal(vms_ep_encode(&m, frame, sizeof(frame), &n), -EINVAL);
	m.type = VMS_EP_TYPE_MAX + 1;
	assert_int_equal(vms_ep_encode(&m, frame, sizeof(frame), &n), -EINVAL);
	/* a request carries no error */
	m.type = VMS_EP_PING;
	m.err = -EIO;
	assert_int_equal(vms_ep_encode(&m, frame, sizeof(frame), &n), -EINVAL);
	/* too small: nothing written */
	memset(&m, 0, sizeof(m));
	m.type = VMS_EP_REPORT;
	m.nonce = nonce;
	memset(frame, PATTERN, 64);
	assert_int_equal(vms_ep_encode(&m, frame, 40, &n), -ENOSPC);
	assert_true(t_all(frame, 64, PATTERN));
	assert_int_equal(n, 12345);
	/* a release blob out of bounds, a LOAD response with handle 0 */
	memset(&m, 0, sizeof(m));
	m.type = VMS_EP_LOAD_RELEASE;
	m.vm_id = boot_id;
	m.data = big;
	m.data_len = VMS_KR_MIN_LEN - 1;
	assert_int_equal(vms_ep_size(&m), 0);
	m.response = true;
	m.key_id = boot_id;
	m.policy = 1;
	m.lifetime_s = 1;
	assert_int_equal(vms_ep_size(&m), 0);
	/* status text must be printable */
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.type = VMS_EP_STATUS;
	m.data = (const u8 *)"a\x01";
	m.data_len = 2;
	assert_int_equal(vms_ep_size(&m), 0);
}

/* A valid PING request in frame; returns its length. */
static size_t ping(void)
{
	struct vms_ep_msg m = { .type = VMS_EP_PING, .req_id = 1 };

	return enc(&m);
}

static void test_malformed_headers(void **state)
{
	struct vms_ep_msg d;
	size_t n;

	(void)state;
	n = ping();
	dec(0, false, -EMSGSIZE, &d);
	dec(n - 1, false, -EMSGSIZE, &d);
	/* trailing byte */
	frame[n] = 0;
	dec(n + 1, false, -EMSGSIZE, &d);
	frame[0] = 'X';
	dec(n, false, -EILSEQ, &d);
	n = ping();
	frame[5] = 2;
	dec(n, false, -EPROTONOSUPPORT, &d);
	n = ping();
	frame[7] = 0;
	dec(n, false, -EOPNOTSUPP, &d);
	frame[7] = VMS_EP_TYPE_MAX + 1;
	dec(n, false, -EOPNOTSUPP, &d);
	/* a status on a request */
	n = ping();
	frame[19] = 1;
	dec(n, false, -EPROTO, &d);
	/* length field larger than the frame, and over the bound */
	n = ping();
	vms_put_be32(frame + 20, 4);
	dec(n, false, -EMSGSIZE, &d);
	vms_put_be32(frame + 20, 0xffffffffu);
	dec(n, false, -EMSGSIZE, &d);
	vms_put_be32(frame + 20, VMS_EP_MAX_PAYLOAD + 1);
	dec(n, false, -EMSGSIZE, &d);
	/* a payload on PING */
	n = ping();
	vms_put_be32(frame + 20, 1);
	dec(n + 1, false, -EPROTO, &d);
}

static void test_frame_len(void **state)
{
	size_t n, len = 0;

	(void)state;
	n = ping();
	assert_int_equal(vms_ep_frame_len(frame, &len), 0);
	assert_int_equal(len, n);
	vms_put_be32(frame + 20, VMS_EP_MAX_PAYLOAD);
	assert_int_equal(vms_ep_frame_len(frame, &len), 0);
	assert_int_equal(len, VMS_EP_MAX_FRAME);
	vms_put_be32(frame + 20, VMS_EP_MAX_PAYLOAD + 1);
	assert_int_equal(vms_ep_frame_len(frame, &len), -EMSGSIZE);
	frame[0] = 0;
	assert_int_equal(vms_ep_frame_len(frame, &len), -EILSEQ);
}

/* Rewrite the payload-length field to @plen and decode @plen bytes of payload. */
static void dec_plen(size_t plen, bool resp, int err)
{
	struct vms_ep_msg d;

	vms_put_be32(frame + 20, (u32)plen);
	dec(VMS_EP_HDR_LEN + plen, resp, err, &d);
}

static void set_type(u16 t, bool resp)
{
	struct vms_ep_msg m = { .type = VMS_EP_PING };

	enc(&m);
	vms_put_be16(frame + 6, t | (resp ? VMS_EP_RESPONSE : 0));
}

static void test_malformed_requests(void **state)
{
	(void)state;
	memset(frame + VMS_EP_HDR_LEN, 0, VMS_EP_MAX_PAYLOAD);
	set_type(VMS_EP_INFO, false);
	dec_plen(1, false, -EPROTO);
	set_type(VMS_EP_STATUS, false);
	dec_plen(8, false, -EPROTO);
	set_type(VMS_EP_REVOKE, false);
	dec_plen(7, false, -EPROTO);
	dec_plen(9, false, -EPROTO);
	dec_plen(8, false, 0);
	set_type(VMS_EP_REPORT, false);
	dec_plen(31, false, -EPROTO);
	dec_plen(33, false, -EPROTO);
	dec_plen(32, false, 0);
	set_type(VMS_EP_LOAD_RELEASE, false);
	dec_plen(16 + VMS_KR_MIN_LEN - 1, false, -EPROTO);
	/* a roll release (issue 20) is the longest a LOAD_RELEASE carries */
	dec_plen(16 + VMS_KR_ROLL_MAX_LEN + 1, false, -EPROTO);
	dec_plen(16 + VMS_KR_ROLL_MAX_LEN, false, 0);
	dec_plen(16 + VMS_KR_MIN_LEN, false, 0);
	set_type(VMS_EP_SEAL, false);
	dec_plen(15, false, -EPROTO);
	dec_plen(16 + VMS_EP_MAX_STATE + 1, false, -EPROTO);
	dec_plen(16, false, 0);
	set_type(VMS_EP_UNSEAL, false);
	dec_plen(8 + VMS_SS_OVERHEAD - 1, false, -EPROTO);
	dec_plen(8 + VMS_SS_OVERHEAD + VMS_EP_MAX_STATE + 1, false, -EPROTO);
	dec_plen(8 + VMS_SS_OVERHEAD, false, 0);
}

static void test_malformed_responses(void **state)
{
	u8 *p = frame + VMS_EP_HDR_LEN;

	(void)state;
	memset(p, 0, VMS_EP_MAX_PAYLOAD);
	set_type(VMS_EP_PING, true);
	dec_plen(1, true, -EPROTO);
	/* an error response with a payload, an unknown status */
	set_type(VMS_EP_PING, true);
	vms_put_be32(frame + 16, VMS_EP_S_EIO);
	dec_plen(4, true, -EPROTO);
	dec_plen(0, true, 0);
	vms_put_be32(frame + 16, VMS_EP_S_MAX + 1);
	dec_plen(0, true, -EPROTO);

	/* INFO: length, reserved bytes, max_state */
	set_type(VMS_EP_INFO, true);
	vms_put_be32(p + 48, 4096);
	dec_plen(VMS_EP_INFO_LEN - 1, true, -EPROTO);
	dec_plen(VMS_EP_INFO_LEN, true, 0);
	p[63] = 1;
	dec_plen(VMS_EP_INFO_LEN, true, -EPROTO);
	p[63] = 0;
	vms_put_be32(p + 48, 0);
	dec_plen(VMS_EP_INFO_LEN, true, -EPROTO);
	vms_put_be32(p + 48, VMS_EP_MAX_STATE + 1);
	dec_plen(VMS_EP_INFO_LEN, true, -EPROTO);

	/* LOAD_RELEASE: handle 0, policy, lifetime, digests, reserved */
	memset(p, 0, 256);
	set_type(VMS_EP_LOAD_RELEASE, true);
	vms_put_be64(p, 1);
	vms_put_be32(p + 40, VMS_KR_POLICY_ENCRYPTION_SUPPORTED);
	vms_put_be32(p + 44, 10);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, 0);
	dec_plen(VMS_EP_LOAD_RESP_LEN + 1, true, -EPROTO);
	dec_plen(VMS_EP_LOAD_RESP_LEN - 1, true, -EPROTO);
	vms_put_be16(p + 48, 1);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);
	dec_plen(VMS_EP_LOAD_RESP_LEN + 32, true, 0);
	vms_put_be16(p + 48, VMS_KR_MAX_DIGESTS + 1);
	dec_plen(VMS_EP_LOAD_RESP_LEN + 32 * (VMS_KR_MAX_DIGESTS + 1), true, -EPROTO);
	vms_put_be16(p + 48, 0);
	p[55] = 1;
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);
	p[55] = 0;
	vms_put_be32(p + 40, 3);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);
	vms_put_be32(p + 40, 1);
	vms_put_be32(p + 44, 0);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);
	vms_put_be32(p + 44, VMS_KR_MAX_LIFETIME + 1);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);
	vms_put_be32(p + 44, 10);
	vms_put_be64(p, 0);
	dec_plen(VMS_EP_LOAD_RESP_LEN, true, -EPROTO);

	/* SEAL: a sealed blob's bounds; UNSEAL: the generation and the cap */
	memset(p, 0, 256);
	set_type(VMS_EP_SEAL, true);
	dec_plen(VMS_SS_OVERHEAD - 1, true, -EPROTO);
	dec_plen(VMS_SS_OVERHEAD + VMS_EP_MAX_STATE + 1, true, -EPROTO);
	dec_plen(VMS_SS_OVERHEAD, true, 0);
	set_type(VMS_EP_UNSEAL, true);
	dec_plen(7, true, -EPROTO);
	dec_plen(8 + VMS_EP_MAX_STATE + 1, true, -EPROTO);
	dec_plen(8, true, 0);

	/* REPORT: body and signature lengths must add up */
	memset(p, 0, 2048);
	set_type(VMS_EP_REPORT, true);
	vms_put_be16(p, 10);
	vms_put_be16(p + 2, 70);
	dec_plen(8 + 80, true, 0);
	dec_plen(8 + 81, true, -EPROTO);
	vms_put_be16(p, 0);
	dec_plen(8 + 70, true, -EPROTO);
	vms_put_be16(p, VMS_EP_REPORT_MAX + 1);
	dec_plen(8 + VMS_EP_REPORT_MAX + 1 + 70, true, -EPROTO);
	vms_put_be16(p, 10);
	vms_put_be16(p + 2, VMS_EP_SIG_MAX + 1);
	dec_plen(8 + 10 + VMS_EP_SIG_MAX + 1, true, -EPROTO);
	vms_put_be16(p + 2, 70);
	p[7] = 1;
	dec_plen(8 + 80, true, -EPROTO);

	/* STATUS: printable text only, bounded */
	memset(p, 'a', 2048);
	set_type(VMS_EP_STATUS, true);
	dec_plen(VMS_EP_STATUS_MAX, true, 0);
	dec_plen(VMS_EP_STATUS_MAX + 1, true, -EPROTO);
	p[3] = 0x7f;
	dec_plen(10, true, -EPROTO);
	p[3] = '\n';
	dec_plen(10, true, 0);
}

/* Random frames with a valid header: never crash, refuse or decode. */
static void test_random_payloads(void **state)
{
	struct vms_ep_msg d;
	unsigned int i;
	u8 r[4];

	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t plen;

		t_random(r, sizeof(r));
		plen = r[2] % 200;
		set_type((u16)(1 + r[0] % VMS_EP_TYPE_MAX), r[1] & 1);
		t_random(frame + VMS_EP_HDR_LEN, plen);
		vms_put_be32(frame + 20, (u32)plen);
		if (r[3] & 1)
			vms_put_be32(frame + 16, r[3] % (VMS_EP_S_MAX + 3));
		(void)vms_ep_decode(frame, VMS_EP_HDR_LEN + plen, r[1] & 1, &d);
	}
}

/* The vTPM frames (types 16..21, codes 24..26): round trips and refusals. */
static void test_vtpm_frames(void **state)
{
	static const int errs[] = { -EPIPE, -ENODEV, -EEXIST };
	static const u8 cmd[12] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x7b, 0, 8 };
	struct vms_ep_msg q = { .type = VMS_EP_VTPM_COMMAND, .req_id = 9,
				.handle = 0x1122334455667788ull, .data = cmd,
				.data_len = sizeof(cmd) }, m;
	unsigned int i;
	size_t n;
	int e;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		assert_int_equal(vms_ep_status_of(errs[i]), VMS_EP_S_VTPM_FIRST + i);
		assert_int_equal(vms_ep_errno_of(VMS_EP_S_VTPM_FIRST + i, &e), 0);
		assert_int_equal(e, errs[i]);
	}
	assert_int_equal(vms_ep_errno_of(VMS_EP_S_VTPM_LAST + 1, &e), -EPROTO);
	/* the vTPM's EBUSY and ESTALE travel as the shared codes */
	assert_int_equal(vms_ep_status_of(-EBUSY), VMS_EP_S_EBUSY);
	assert_int_equal(vms_ep_status_of(-ESTALE), VMS_EP_S_ESTALE);

	n = enc(&q);
	assert_int_equal(n, VMS_EP_HDR_LEN + VMS_EP_VTPM_REQ_LEN + sizeof(cmd));
	dec(n, false, 0, &m);
	assert_int_equal(m.type, VMS_EP_VTPM_COMMAND);
	assert_true(m.handle == q.handle);
	assert_int_equal(m.data_len, sizeof(cmd));
	assert_memory_equal(m.data, cmd, sizeof(cmd));
	/* a generation on a COMMAND, an op on it: reserved, refused */
	vms_put_be64(frame + VMS_EP_HDR_LEN + 8, 1);
	dec(n, false, -EPROTO, &m);
	n = enc(&q);
	vms_put_be32(frame + VMS_EP_HDR_LEN + 16, 1);
	dec(n, false, -EPROTO, &m);
	/* an empty COMMAND; a CONTROL with op 0 or past the last */
	q.data_len = 0;
	q.data = NULL;
	assert_int_equal(vms_ep_size(&q), 0);
	q.type = VMS_EP_VTPM_CONTROL;
	q.vtpm_op = VMS_VTPM_CTRL_MAX + 1;
	assert_int_equal(vms_ep_size(&q), 0);
	q.vtpm_op = VMS_VTPM_CTRL_LOCALITY;
	q.vtpm_arg = 3;
	dec(enc(&q), false, 0, &m);
	assert_int_equal(m.vtpm_op, VMS_VTPM_CTRL_LOCALITY);
	assert_int_equal(m.vtpm_arg, 3);
	/* CREATE's data is a sealed state or nothing */
	q = (struct vms_ep_msg){ .type = VMS_EP_VTPM_CREATE, .data = big,
				 .data_len = VMS_SS_OVERHEAD - 1 };
	assert_int_equal(vms_ep_size(&q), 0);
	q.data_len = VMS_SS_OVERHEAD;
	dec(enc(&q), false, 0, &m);
	/* a response: generation, result, the one known flag, data */
	q = (struct vms_ep_msg){ .type = VMS_EP_VTPM_COMMAND, .response = true,
				 .generation = 42, .vtpm_result = 0x101,
				 .vtpm_flags = VMS_EP_VTPM_F_STORE, .data = cmd,
				 .data_len = sizeof(cmd) };
	n = enc(&q);
	dec(n, true, 0, &m);
	assert_true(m.generation == 42);
	assert_int_equal(m.vtpm_result, 0x101);
	assert_int_equal(m.vtpm_flags, VMS_EP_VTPM_F_STORE);
	vms_put_be32(frame + VMS_EP_HDR_LEN + 12, 2);	/* unknown flag */
	dec(n, true, -EPROTO, &m);
	/* an error answer of a vTPM type carries nothing */
	q = (struct vms_ep_msg){ .type = VMS_EP_VTPM_CONFIRM, .response = true,
				 .err = -ESTALE };
	n = enc(&q);
	assert_int_equal(n, VMS_EP_HDR_LEN);
	dec(n, true, 0, &m);
	assert_int_equal(m.err, -ESTALE);
	/* types between the two ranges are unknown */
	q = (struct vms_ep_msg){ .type = VMS_EP_VTPM_FIRST - 1 };
	assert_int_equal(vms_ep_size(&q), 0);
	q.type = VMS_EP_VTPM_LAST + 1;
	assert_int_equal(vms_ep_size(&q), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_requests_round_trip),
		cmocka_unit_test(test_responses_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test(test_malformed_requests),
		cmocka_unit_test(test_malformed_responses),
		cmocka_unit_test(test_random_payloads),
		cmocka_unit_test(test_vtpm_frames),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
