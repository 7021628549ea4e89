// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_standin.c - see vtpm_standin.h. The frames cross a socketpair to
 * the enclave core serving it from a thread (the vsock transport's
 * stand-in), so a call costs what the channel costs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest.h"
#include "enclave.h"
#include "vms_compiler.h"
#include "transport.h"
#include "vtpm_mgr.h"
#include "vtpm_standin.h"

static struct vms_enclave enc;
static struct vms_vtpm_mgr *mgr;
static struct vms_transport *tr;
static pthread_t thr;
static volatile sig_atomic_t stop;
static int mod_fd = -1;
static uint64_t handle, seq;
static uint8_t *req, *resp;

static void *serve_thread(void *arg)
{
	(void)arg;
	vms_serve(&enc, tr, &stop);
	return NULL;
}

int vtpm_standin_start(const uint8_t vm_id[16], const uint8_t key_id[16],
		       const uint8_t tk[32])
{
	return vtpm_standin_start_roll(vm_id, key_id, tk, NULL, NULL);
}

int vtpm_standin_start_roll(const uint8_t vm_id[16], const uint8_t key_id[16],
			    const uint8_t tk[32], const uint8_t next_id[16],
			    const uint8_t tk_next[32])
{
	static uint8_t digest[32];
	struct vms_kr_binding b = { .policy = VMS_KR_POLICY_SHIELDED,
				    .lifetime_s = 3600, .n_digests = 1,
				    .digests = digest };
	static const uint8_t kps_sk[32] = "KPS-sender-key-for-the-stand-in!";
	uint8_t blob[VMS_KR_ROLL_MAX_LEN], kps_pk[32];
	struct vms_ekey *k;
	int sv[2], r;

	req = malloc(VMS_EP_MAX_FRAME);
	resp = malloc(VMS_EP_MAX_FRAME);
	if (!req || !resp)
		return -ENOMEM;
	r = vms_vtpm_mgr_start(&mgr);
	if (!r)
		r = vms_enclave_init(&enc);
	if (r)
		return r;
	vms_vtpm_attach(&enc, mgr);
	/* an emulated platform key, so VTPM_STATEMENT answers (issue 21) */
	{
		static const uint8_t program[32] = "the-stand-in-enclave-program-id";
		EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		r = pk ? vms_attest_new(pk, program, &enc.attest) : -ENOMEM;
		EVP_PKEY_free(pk);	/* vms_attest_new took a reference */
		if (r)
			return r;
	}
	memcpy(b.vm_id, vm_id, 16);
	memcpy(b.key_id, key_id, 16);
	b.issued_at = 1764892800;
	/* release format v2: from KPS's key, for a challenge of this enclave */
	r = vms_prim_x25519_base(kps_pk, kps_sk);
	if (!r)
		r = vms_enclave_challenge(&enc, kps_pk, b.challenge, &b.challenge_ns);
	if (!r && tk_next) {
		/* a roll release: the current TK and the next one, one key */
		b.flags = VMS_KR_FLAG_ROLL;
		memcpy(b.next_key_id, next_id, 16);
		r = vms_kr_build_roll(&b, enc.pk, kps_sk, tk, tk_next, blob,
				      sizeof(blob));
	} else if (!r) {
		r = vms_kr_build(&b, enc.pk, kps_sk, tk, blob, sizeof(blob));
	}
	if (!r)
		r = vms_enclave_load(&enc, vm_id, blob, tk_next ? vms_kr_roll_size(1) :
				     vms_kr_size(1), &k);
	if (r)
		return r;
	handle = k->handle;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	r = vms_stream_from_fd(sv[1], &tr);
	if (r)
		return r;
	mod_fd = sv[0];
	return -pthread_create(&thr, NULL, serve_thread, NULL);
}

static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -EHOSTDOWN;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame out, one in, decoded: as the module's mailbox call. */
static int channel(struct vms_ep_msg *q, struct vms_ep_msg *a)
{
	size_t n;
	int r;

	q->req_id = ++seq;
	r = vms_ep_encode(q, req, VMS_EP_MAX_FRAME, &n);
	if (r)
		return r;
	if (write(mod_fd, req, n) != (ssize_t)n)
		return -EHOSTDOWN;
	r = read_full(mod_fd, resp, VMS_EP_HDR_LEN);
	if (!r)
		r = vms_ep_frame_len(resp, &n);
	if (!r)
		r = read_full(mod_fd, resp + VMS_EP_HDR_LEN, n - VMS_EP_HDR_LEN);
	if (!r && vms_ep_decode(resp, n, true, a))
		r = -EPROTO;
	return r ? r : a->err;
}

int vtpm_standin_call(struct vtpm_remote *r, struct vmshield_vtpm *arg)
{
	static const uint16_t types[] = {
		[VMSHIELD_VTPM_CREATE] = VMS_EP_VTPM_CREATE,
		[VMSHIELD_VTPM_DESTROY] = VMS_EP_VTPM_DESTROY,
		[VMSHIELD_VTPM_COMMAND] = VMS_EP_VTPM_COMMAND,
		[VMSHIELD_VTPM_CONTROL] = VMS_EP_VTPM_CONTROL,
		[VMSHIELD_VTPM_CONFIRM] = VMS_EP_VTPM_CONFIRM,
		[VMSHIELD_VTPM_GET_STATE] = VMS_EP_VTPM_GET_STATE,
		[VMSHIELD_VTPM_STATEMENT] = VMS_EP_VTPM_STATEMENT,
	};
	struct vms_ep_msg q = {
		.handle = handle, .generation = arg->generation,
		.vtpm_op = arg->ctrl, .vtpm_arg = arg->arg,
		.data = (const uint8_t *)(uintptr_t)arg->in_ptr,
		.data_len = arg->in_len,
	}, a;
	int e;

	(void)r;
	if (!arg->op || arg->op >= ARRAY_SIZE(types))
		return -EINVAL;
	q.type = types[arg->op];
	e = channel(&q, &a);
	if (e)
		return e;
	if (a.data_len > arg->out_len)
		return -EPROTO;
	if (a.data_len)	/* an empty answer may have no data pointer */
		memcpy((uint8_t *)(uintptr_t)arg->out_ptr, a.data, a.data_len);
	arg->generation = a.generation;
	arg->result = a.vtpm_result;
	arg->out_flags = a.vtpm_flags & VMS_EP_VTPM_F_STORE ? VMSHIELD_VTPM_STORE : 0;
	arg->out_len = a.data_len;
	return 0;
}

int vtpm_standin_ping(void)
{
	struct vms_ep_msg q = { .type = VMS_EP_PING }, a;

	return channel(&q, &a);
}

void vtpm_standin_stop(void)
{
	stop = 1;
	if (mod_fd >= 0) {
		close(mod_fd);
		pthread_join(thr, NULL);
		tr->close(tr);
	}
	mod_fd = -1;
	vms_vtpm_mgr_stop(mgr);
	vms_attest_free(enc.attest);
	enc.attest = NULL;
	vms_enclave_wipe(&enc);
	free(req);
	free(resp);
}
