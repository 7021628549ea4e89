// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_enclave_req - libFuzzer harness: vmshield-enclaved's request path
 * (core/enclave_proto.c's strict decoder and enclave/handler.c's
 * dispatch), which reads whatever the guarded host's root writes into the
 * mailbox or sends on vsock. One enclave lives across inputs, holding one
 * key loaded at start (handle 0x0102030400000001, so seeds can name it).
 * Each input is one request frame, copied into a buffer of exactly its
 * length. Invariants checked (abort when broken): the answer is always a
 * well-formed response of at most VMS_EP_MAX_FRAME bytes; it repeats the
 * request id whenever the header could be read; the enclave's secret key
 * never appears in it; the key count never exceeds the table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enclave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vms_enclave e;

/* The handler's log lines are not what is fuzzed (enclave/log.c). */
void vms_elog(const char *level, const char *event, const char *fmt, ...)
{
	(void)level;
	(void)event;
	(void)fmt;
}

static u8 *out;

static void fuzz_init(void)
{
	static const u8 tk[32] = "TK-for-the-fuzz-harness-only!!!!";
	static const u8 digest[32] = "worker-digest-for-fuzzing-only!!";
	static const u8 kps_sk[32] = "KPS-key-for-the-fuzz-harness-!!!";
	struct vms_kr_binding b = { .policy = VMS_KR_POLICY_SHIELDED,
				    .lifetime_s = 3600, .n_digests = 1,
				    .digests = digest, .issued_at = 1 };
	u8 blob[VMS_KR_MAX_LEN], kps_pk[32];
	struct vms_ekey *k;

	if (vms_enclave_init(&e))
		abort();
	e.handle_prefix = 0x01020304;
	memset(b.vm_id, 0x11, 16);
	memset(b.key_id, 0x22, 16);
	/* as the agent does: name KPS's key, get a challenge, release for it */
	if (vms_prim_x25519_base(kps_pk, kps_sk) ||
	    vms_enclave_challenge(&e, kps_pk, b.challenge, &b.challenge_ns) ||
	    vms_kr_build(&b, e.pk, kps_sk, tk, blob, sizeof(blob)) ||
	    vms_enclave_load(&e, b.vm_id, blob, vms_kr_size(1), &k) ||
	    k->handle != 0x0102030400000001ull)
		abort();
	out = malloc(VMS_EP_MAX_FRAME);
	if (!out)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_ep_msg a;
	size_t n = 0;
	u8 *in;

	if (!out)
		fuzz_init();
	if (size > VMS_EP_MAX_FRAME)
		return 0;
	in = malloc(size ? size : 1);
	if (!in)
		abort();
	memcpy(in, data, size);
	vms_enclave_handle(&e, in, size, NULL, out, VMS_EP_MAX_FRAME, &n);
	if (!n || n > VMS_EP_MAX_FRAME || vms_ep_decode(out, n, true, &a))
		abort();
	if (size >= VMS_EP_HDR_LEN && a.req_id != vms_get_be64(in + 8))
		abort();
	if (memmem(out, n, e.sk, sizeof(e.sk)))
		abort();
	if (e.n_keys > VMS_ENCLAVE_MAX_KEYS)
		abort();
	free(in);
	return 0;
}
