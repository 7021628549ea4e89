// SPDX-License-Identifier: GPL-2.0
/*
 * test_enclave.c - vmshield-enclaved's request handling end to end: the
 * enclave serves a socketpair (the vsock transport's stand-in) or a
 * mailbox file from a thread, the test plays the module. Load a release,
 * seal, unseal, expiry, revocation, the seal limit, a restarted enclave,
 * the signed report, status; garbage frames, oversized lengths, torn
 * mailbox requests: refused, the enclave still serving, no state changed.
 */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest.h"
#include "enclave.h"
#include "enclave_mailbox.h"
#include "transport.h"
#include "vms_hex.h"

struct fix {
	struct vms_enclave e;
	struct vms_transport *t;
	pthread_t thr;
	volatile sig_atomic_t stop;
	int fd;			/* the module's end (stream) */
	u8 *shm;		/* the module's view (mailbox) */
	char path[64];
	u64 seq;
	EVP_PKEY *platform;
	u8 resp[VMS_EP_MAX_FRAME];
	u8 req[VMS_EP_MAX_FRAME];
};

static u64 fake_now = 1000000000ull;

static u64 fake_clock(void)
{
	return fake_now;
}

static void *serve_thread(void *arg)
{
	struct fix *f = arg;

	vms_serve(&f->e, f->t, &f->stop);
	return NULL;
}

static void fix_enclave(struct fix *f)
{
	u8 program[32] = "program-digest-for-the-test-only";
	struct vms_attest *a;

	assert_int_equal(vms_enclave_init(&f->e), 0);
	f->e.now_ns = fake_clock;
	f->platform = EVP_EC_gen("P-256");
	assert_non_null(f->platform);
	assert_int_equal(vms_attest_new(f->platform, program, &a), 0);
	f->e.attest = a;
}

static int setup_stream(void **state)
{
	struct fix *f = t_malloc(sizeof(*f));
	int sv[2];

	memset(f, 0, sizeof(*f));
	fix_enclave(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(vms_stream_from_fd(sv[1], &f->t), 0);
	f->fd = sv[0];
	assert_int_equal(pthread_create(&f->thr, NULL, serve_thread, f), 0);
	*state = f;
	return 0;
}

static int setup_mailbox(void **state)
{
	struct fix *f = t_malloc(sizeof(*f));
	int fd;

	memset(f, 0, sizeof(*f));
	fix_enclave(f);
	strcpy(f->path, "/tmp/vms-test-mb-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vms_mailbox_open(f->path, &f->t), 0);
	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	f->shm = mmap(NULL, VMS_MB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(f->shm != MAP_FAILED);
	f->fd = -1;
	assert_int_equal(pthread_create(&f->thr, NULL, serve_thread, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	f->stop = 1;
	if (f->fd >= 0)
		close(f->fd);
	pthread_join(f->thr, NULL);
	f->t->close(f->t);
	if (f->shm) {
		/* a clean exit says so in the mailbox */
		assert_int_equal(*(u32 *)(f->shm + VMS_MB_OFF_STATE), VMS_MB_STATE_ABSENT);
		munmap(f->shm, VMS_MB_SIZE);
		unlink(f->path);
	}
	vms_attest_free(f->e.attest);
	EVP_PKEY_free(f->platform);
	vms_enclave_wipe(&f->e);
	free(f);
	return 0;
}

static void read_full(int fd, u8 *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		assert_true(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

/* Send @len raw bytes as one request; the response's length. */
static size_t raw(struct fix *f, const u8 *req, size_t len, u64 id)
{
	size_t n;

	if (f->shm) {
		u64 *rs = (u64 *)(void *)(f->shm + VMS_MB_OFF_RESP_SEQ);

		memcpy(f->shm + VMS_MB_REQ_AREA, req, len < VMS_MB_AREA_LEN ? len : 0);
		__atomic_store_n((u32 *)(void *)(f->shm + VMS_MB_OFF_REQ_LEN), (u32)len,
				 __ATOMIC_RELEASE);
		__atomic_store_n((u64 *)(void *)(f->shm + VMS_MB_OFF_REQ_SEQ), id,
				 __ATOMIC_RELEASE);
		while (__atomic_load_n(rs, __ATOMIC_ACQUIRE) != id)
			usleep(50);
		n = *(u32 *)(f->shm + VMS_MB_OFF_RESP_LEN);
		assert_true(n <= VMS_MB_AREA_LEN);
		memcpy(f->resp, f->shm + VMS_MB_RESP_AREA, n);
		return n;
	}
	assert_int_equal(write(f->fd, req, len), (ssize_t)len);
	read_full(f->fd, f->resp, VMS_EP_HDR_LEN);
	assert_int_equal(vms_ep_frame_len(f->resp, &n), 0);
	read_full(f->fd, f->resp + VMS_EP_HDR_LEN, n - VMS_EP_HDR_LEN);
	return n;
}

/* One request; returns the response's errno, @a decoded. */
static int call(struct fix *f, struct vms_ep_msg *q, struct vms_ep_msg *a)
{
	size_t n;

	q->req_id = ++f->seq;
	assert_int_equal(vms_ep_encode(q, f->req, sizeof(f->req), &n), 0);
	n = raw(f, f->req, n, q->req_id);
	assert_int_equal(vms_ep_decode(f->resp, n, true, a), 0);
	assert_int_equal(a->type, q->type);
	assert_true(a->req_id == q->req_id);
	return a->err;
}

static const u8 tk[32] = "TK-for-the-enclave-tests-only!!!";
static u8 digest[32] = "worker-digest-for-the-tests-only";

/* KPS's key for these tests (the enclave is told to accept it). */
static const u8 kps_sk[32] = "KPS-sender-key-for-tests-only!!!";

/* RELEASE_CHALLENGE over the channel, naming @kps_pk. */
static int challenge(struct fix *f, const u8 kps_pk[32], u8 c[32], u64 *ns)
{
	struct vms_ep_msg q = { .type = VMS_EP_RELEASE_CHALLENGE }, a;
	int r;

	q.kps_pk = kps_pk;
	r = call(f, &q, &a);
	if (!r) {
		memcpy(c, a.challenge, 32);
		*ns = a.challenge_ns;
	}
	return r;
}

/*
 * A v2 release to @pk from the KPS key @sender, for a challenge this
 * enclave just issued (KPS's key named to it, as the agent does).
 */
static size_t make_release_from(struct fix *f, const u8 pk[32],
				const u8 sender[32], u32 lifetime, u8 *blob)
{
	struct vms_kr_binding b;
	u8 kps_pk[32];

	memset(&b, 0, sizeof(b));
	assert_int_equal(vms_prim_x25519_base(kps_pk, kps_sk), 0);
	assert_int_equal(challenge(f, kps_pk, b.challenge, &b.challenge_ns),
			 0);
	memcpy(b.vm_id, t_vm_id, 16);
	memcpy(b.key_id, t_key_id, 16);
	b.policy = VMS_KR_POLICY_SHIELDED;
	b.lifetime_s = lifetime;
	b.n_digests = 1;
	b.digests = digest;
	b.issued_at = 1764892800;
	assert_int_equal(vms_kr_build(&b, pk, sender, tk, blob,
				      VMS_KR_MAX_LEN), 0);
	return vms_kr_size(1);
}

static size_t make_release(struct fix *f, const u8 pk[32], u32 lifetime,
			   u8 *blob)
{
	return make_release_from(f, pk, kps_sk, lifetime, blob);
}

static int load(struct fix *f, const u8 *vm, const u8 *blob, size_t len, u64 *h)
{
	struct vms_ep_msg q = { .type = VMS_EP_LOAD_RELEASE }, a;
	int r;

	q.vm_id = vm;
	q.data = blob;
	q.data_len = len;
	r = call(f, &q, &a);
	if (!r) {
		*h = a.handle;
		assert_int_equal(a.policy, VMS_KR_POLICY_SHIELDED);
		assert_int_equal(a.n_digests, 1);
		assert_memory_equal(a.digests, digest, 32);
		assert_memory_equal(a.key_id, t_key_id, 16);
	}
	return r;
}

static int load_ok(struct fix *f, u64 *h)
{
	u8 blob[VMS_KR_MAX_LEN];

	return load(f, t_vm_id, blob, make_release(f, f->e.pk, 60, blob), h);
}

static int seal(struct fix *f, u64 h, const u8 *pt, size_t n, u8 *out, size_t *outlen)
{
	struct vms_ep_msg q = { .type = VMS_EP_SEAL }, a;
	int r;

	q.handle = h;
	q.generation = 7;
	q.data = pt;
	q.data_len = n;
	r = call(f, &q, &a);
	if (!r) {
		memcpy(out, a.data, a.data_len);
		*outlen = a.data_len;
	}
	return r;
}

static int unseal(struct fix *f, u64 h, const u8 *blob, size_t n, u8 *out, size_t *outlen)
{
	struct vms_ep_msg q = { .type = VMS_EP_UNSEAL }, a;
	int r;

	q.handle = h;
	q.data = blob;
	q.data_len = n;
	r = call(f, &q, &a);
	if (!r) {
		assert_int_equal(a.generation, 7);
		memcpy(out, a.data, a.data_len);
		*outlen = a.data_len;
	}
	return r;
}

static u32 n_keys(struct fix *f)
{
	struct vms_ep_msg q = { .type = VMS_EP_INFO }, a;

	assert_int_equal(call(f, &q, &a), 0);
	assert_memory_equal(a.pk, f->e.pk, 32);
	assert_int_equal(a.max_state, VMS_EP_MAX_STATE);
	return a.n_keys;
}

static void test_ping_info_status(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_PING }, a;

	assert_int_equal(call(f, &q, &a), 0);
	assert_int_equal(n_keys(f), 0);
	q.type = VMS_EP_STATUS;
	assert_int_equal(call(f, &q, &a), 0);
	assert_non_null(memmem(a.data, a.data_len, "state=ready\n", 12));
	assert_non_null(memmem(a.data, a.data_len, "keys=0\n", 7));
}

static void test_load_seal_unseal(void **state)
{
	struct fix *f = *state;
	static u8 pt[65536], blob[65536 + 96], back[65536];
	size_t n, m;
	u64 h;

	t_random(pt, sizeof(pt));
	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(n_keys(f), 1);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), 0);
	assert_int_equal(n, sizeof(pt) + 96);
	/* the sealed blob opens under the same TK outside the enclave too */
	assert_int_equal(unseal(f, h, blob, n, back, &m), 0);
	assert_int_equal(m, sizeof(pt));
	assert_memory_equal(back, pt, m);
	/* an empty state seals as well */
	assert_int_equal(seal(f, h, pt, 0, blob, &n), 0);
	assert_int_equal(unseal(f, h, blob, n, back, &m), 0);
	assert_int_equal(m, 0);
	/* tampered: EBADMSG, counted, the key still works */
	assert_int_equal(seal(f, h, pt, 100, blob, &n), 0);
	blob[n - 1] ^= 1;
	assert_int_equal(unseal(f, h, blob, n, back, &m), -EBADMSG);
	assert_int_equal(vms_enclave_find(&f->e, h)->unseal_failures, 1);
	blob[n - 1] ^= 1;
	assert_int_equal(unseal(f, h, blob, n, back, &m), 0);
}

static void test_release_refused(void **state)
{
	struct fix *f = *state;
	u8 blob[VMS_KR_MAX_LEN], other_pk[32], other_sk[32];
	size_t n;
	u64 h = 0;

	/* released to another enclave */
	t_random(other_sk, 32);
	assert_int_equal(vms_prim_x25519_base(other_pk, other_sk), 0);
	n = make_release(f, other_pk, 60, blob);
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -ENOKEY);
	/* the key description names another VM */
	n = make_release(f, f->e.pk, 60, blob);
	assert_int_equal(load(f, t_other_id, blob, n, &h), -EKEYREJECTED);
	/* tampered */
	blob[n - 1] ^= 1;
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -EBADMSG);
	/* bad magic */
	blob[n - 1] ^= 1;
	blob[0] = 'X';
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -EILSEQ);
	assert_int_equal(h, 0);
	assert_int_equal(n_keys(f), 0);
}

/*
 * Release format v2 in the enclave program: the attacker's-view refusals
 * of Documentation/formats.md, each leaving no key behind.
 */
static void test_release_v2_refusals(void **state)
{
	struct fix *f = *state;
	u8 blob[VMS_KR_MAX_LEN], other_sk[32], other_pk[32], c[32];
	size_t n;
	u64 h = 0, ns;

	t_random(other_sk, 32);
	assert_int_equal(vms_prim_x25519_base(other_pk, other_sk), 0);
	/* made by someone who knows only the enclave's public key */
	n = make_release_from(f, f->e.pk, other_sk, 60, blob);
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -EPERM);
	/* the KPS key is set once: another one is refused */
	assert_int_equal(challenge(f, other_pk, c, &ns), -EPERM);
	/* loads once: the same release again finds its challenge used */
	n = make_release(f, f->e.pk, 60, blob);
	assert_int_equal(load(f, t_vm_id, blob, n, &h), 0);
	assert_int_equal(n_keys(f), 1);
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -ESTALE);
	assert_int_equal(n_keys(f), 1);
	/* a challenge older than 300 s */
	n = make_release(f, f->e.pk, 600, blob);
	fake_now += VMS_CHAL_MAX_AGE_NS + 1;
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -ETIME);
	/* a release whose absolute expiry passed before it was added */
	n = make_release(f, f->e.pk, 1, blob);
	fake_now += 2000000000ull;
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -EKEYEXPIRED);
	/* the refusals consumed nothing: that challenge is still pending */
	assert_int_equal(vms_chal_live(&f->e.chal, fake_now), 1);
	/* and made no key (the 60 s key of above has expired and gone) */
	assert_int_equal(n_keys(f), 0);
}

/* A captured release is useless after the enclave restarted. */
static void test_release_replayed_after_restart(void **state)
{
	struct fix *f = *state;
	u8 blob[VMS_KR_MAX_LEN];
	size_t n;
	u64 h = 0;

	n = make_release(f, f->e.pk, 60, blob);
	vms_enclave_wipe(&f->e);
	{
		struct vms_attest *a = f->e.attest;

		assert_int_equal(vms_enclave_init(&f->e), 0);
		f->e.attest = a;
		f->e.now_ns = fake_clock;
	}
	assert_int_equal(load(f, t_vm_id, blob, n, &h), -ENOKEY);
	assert_int_equal(n_keys(f), 0);
}

static void test_expiry(void **state)
{
	struct fix *f = *state;
	u8 pt[32] = { 0 }, blob[256], back[32];
	size_t n, m;
	u64 h;

	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), 0);
	fake_now += 60ull * 1000000000ull;	/* the lifetime is 60 s */
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), -EKEYEXPIRED);
	assert_int_equal(unseal(f, h, blob, n, back, &m), -EKEYEXPIRED);
	/* the next load reaps it */
	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(n_keys(f), 1);
}

static void test_revoke(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_REVOKE }, a;
	u8 pt[16] = { 0 }, blob[256], back[16];
	size_t n, m;
	u64 h;

	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), 0);
	q.handle = h;
	assert_int_equal(call(f, &q, &a), 0);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), -EKEYREVOKED);
	assert_int_equal(unseal(f, h, blob, n, back, &m), -EKEYREVOKED);
	assert_int_equal(call(f, &q, &a), -EKEYREVOKED);
	assert_int_equal(n_keys(f), 0);
	/* handles nobody issued */
	q.handle = 0;
	assert_int_equal(call(f, &q, &a), -EKEYREVOKED);
	q.handle = h + 1;
	assert_int_equal(call(f, &q, &a), -EKEYREVOKED);
}

static void test_seal_limit(void **state)
{
	struct fix *f = *state;
	u8 pt[16] = { 0 }, blob[256], back[16];
	size_t n, m;
	u64 h;

	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), 0);
	vms_enclave_find(&f->e, h)->sk.seals = VMS_SS_MAX_SEALS;
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &m), -EDQUOT);
	/* the limit does not kill the key: unseal still works */
	assert_int_equal(unseal(f, h, blob, n, back, &m), 0);
}

static void test_restarted_enclave(void **state)
{
	struct fix *f = *state;
	u8 pt[16] = { 0 }, blob[256];
	size_t n;
	u64 h;

	assert_int_equal(load_ok(f, &h), 0);
	/* a new start: new identity, new handle prefix; old handles are dead */
	vms_enclave_wipe(&f->e);
	{
		struct vms_attest *a = f->e.attest;

		assert_int_equal(vms_enclave_init(&f->e), 0);
		f->e.attest = a;
		f->e.now_ns = fake_clock;
	}
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), -EKEYREVOKED);
}

static void test_report(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_REPORT }, a;
	u8 nonce[32], spki_hash[32];
	unsigned char *der = NULL;
	unsigned int hl = 0;
	const unsigned char *p;
	char want[1100], hex[65];
	ECDSA_SIG *sig;
	const BIGNUM *s;
	BIGNUM *half;
	EVP_MD_CTX *ctx;
	int dl;

	t_random(nonce, 32);
	q.nonce = nonce;
	assert_int_equal(call(f, &q, &a), 0);
	/* the body: the agreed lines, in order */
	dl = i2d_PUBKEY(f->platform, &der);
	assert_true(dl > 0);
	assert_true(EVP_Digest(der, (size_t)dl, spki_hash, &hl, EVP_sha256(), NULL));
	OPENSSL_free(der);
	strcpy(want, "vmshield-enclave-report v2\nplatform=emulated\nplatform_id=");
	vms_hex_encode(spki_hash, 32, hex);
	strcat(want, hex);
	strcat(want, "\nplacement=hypervisor\nnonce=");
	vms_hex_encode(nonce, 32, hex);
	strcat(want, hex);
	strcat(want, "\nenclave_key=");
	vms_hex_encode(f->e.pk, 32, hex);
	strcat(want, hex);
	strcat(want, "\nprogram=");
	vms_hex_encode((const u8 *)"program-digest-for-the-test-only", 32, hex);
	strcat(want, hex);
	strcat(want, "\nboot_id=");
	vms_hex_encode(f->e.boot_id, 16, hex);
	strcat(want, hex);
	strcat(want, "\nkps_key=");
	if (f->e.kps_set)
		vms_hex_encode(f->e.kps_pk, 32, hex);
	strcat(want, f->e.kps_set ? hex : "none");
	strcat(want, "\n");
	assert_int_equal(a.data_len, strlen(want));
	assert_memory_equal(a.data, want, a.data_len);
	/* the signature verifies with the platform key, and is low-S */
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->platform), 1);
	assert_int_equal(EVP_DigestVerify(ctx, a.sig, a.sig_len, a.data, a.data_len), 1);
	EVP_MD_CTX_free(ctx);
	p = a.sig;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)a.sig_len);
	assert_non_null(sig);
	assert_true(p == a.sig + a.sig_len);
	ECDSA_SIG_get0(sig, NULL, &s);
	{
		EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);

		half = BN_dup(EC_GROUP_get0_order(g));
		BN_rshift1(half, half);
		assert_true(BN_cmp(s, half) <= 0);
		EC_GROUP_free(g);
	}
	BN_free(half);
	ECDSA_SIG_free(sig);
}

/* Many reports: every signature low-S (half of raw ECDSA ones are not). */
static void test_report_low_s(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_REPORT }, a;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *half = BN_dup(EC_GROUP_get0_order(g));
	u8 nonce[32] = { 0 };
	unsigned int i;

	BN_rshift1(half, half);
	q.nonce = nonce;
	for (i = 0; i < 32; i++) {
		const unsigned char *p;
		ECDSA_SIG *sig;
		const BIGNUM *s;

		nonce[0] = (u8)i;
		assert_int_equal(call(f, &q, &a), 0);
		p = a.sig;
		sig = d2i_ECDSA_SIG(NULL, &p, (long)a.sig_len);
		assert_non_null(sig);
		ECDSA_SIG_get0(sig, NULL, &s);
		assert_true(BN_cmp(s, half) <= 0);
		ECDSA_SIG_free(sig);
	}
	BN_free(half);
	EC_GROUP_free(g);
}

static void test_garbage_frames(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_SEAL }, a;
	u64 h, refused;
	size_t n;
	u8 junk[200];
	int i;

	assert_int_equal(load_ok(f, &h), 0);
	refused = f->e.refused;
	/* valid headers, random payloads of every type: refused or answered */
	for (i = 0; i < 200; i++) {
		u8 plen = (u8)(i % 150);

		memcpy(junk, "VMEP\x00\x01", 6);
		vms_put_be16(junk + 6, (u16)(1 + i % VMS_EP_TYPE_MAX));
		vms_put_be64(junk + 8, ++f->seq);
		vms_put_be32(junk + 16, 0);
		vms_put_be32(junk + 20, plen);
		t_random(junk + 24, plen);
		n = raw(f, junk, 24 + plen, f->seq);
		assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
		assert_true(a.req_id == f->seq);
	}
	/* a request with a status, a response sent as a request */
	memset(&q, 0, sizeof(q));
	q.type = VMS_EP_PING;
	q.req_id = ++f->seq;
	assert_int_equal(vms_ep_encode(&q, f->req, sizeof(f->req), &n), 0);
	f->req[19] = 3;
	n = raw(f, f->req, n, f->seq);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	assert_true(f->e.refused > refused);
	/* the key is untouched and the enclave still serves */
	assert_int_equal(n_keys(f), 1);
	assert_non_null(vms_enclave_find(&f->e, h));
}

/* Stream: a header that cannot be a frame ends the connection. */
static void test_stream_bad_header_closes(void **state)
{
	struct fix *f = *state;
	u8 hdr[24] = "VMEP\x00\x01\x00\x01";
	u8 c;

	vms_put_be32(hdr + 20, VMS_EP_MAX_PAYLOAD + 1);	/* oversized */
	assert_int_equal(write(f->fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(read(f->fd, &c, 1), 0);	/* closed, nothing sent */
}

static void test_stream_bad_magic_closes(void **state)
{
	struct fix *f = *state;
	u8 c, hdr[24] = "GET / HTTP/1.1\r\n\r\n";

	assert_int_equal(write(f->fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(read(f->fd, &c, 1), 0);
}

/* Mailbox: an impossible length, a torn frame (id mismatch): refused. */
static void test_mailbox_abuse(void **state)
{
	struct fix *f = *state;
	struct vms_ep_msg q = { .type = VMS_EP_PING }, a;
	size_t n;

	/* req_len over the area: answered as an empty, refused frame */
	f->seq++;
	__atomic_store_n((u32 *)(void *)(f->shm + VMS_MB_OFF_REQ_LEN), 0xffffffffu,
			 __ATOMIC_RELEASE);
	__atomic_store_n((u64 *)(void *)(f->shm + VMS_MB_OFF_REQ_SEQ), f->seq,
			 __ATOMIC_RELEASE);
	while (__atomic_load_n((u64 *)(void *)(f->shm + VMS_MB_OFF_RESP_SEQ),
			       __ATOMIC_ACQUIRE) != f->seq)
		usleep(50);
	n = *(u32 *)(f->shm + VMS_MB_OFF_RESP_LEN);
	memcpy(f->resp, f->shm + VMS_MB_RESP_AREA, n);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	/* a frame whose id is not the doorbell's number */
	q.req_id = 999999;
	assert_int_equal(vms_ep_encode(&q, f->req, sizeof(f->req), &n), 0);
	n = raw(f, f->req, n, ++f->seq);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	/* still serving */
	assert_int_equal(n_keys(f), 0);
	assert_memory_equal(f->shm, VMS_MB_MAGIC, 4);
	assert_int_equal(*(u32 *)(f->shm + VMS_MB_OFF_STATE), VMS_MB_STATE_READY);
}

/* Secrets do not sit in the response area after an unseal. */
static void test_mailbox_round_trip(void **state)
{
	struct fix *f = *state;
	static u8 pt[4096], blob[4096 + 96], back[4096];
	size_t n, m;
	u64 h;

	t_random(pt, sizeof(pt));
	assert_int_equal(load_ok(f, &h), 0);
	assert_int_equal(seal(f, h, pt, sizeof(pt), blob, &n), 0);
	assert_int_equal(unseal(f, h, blob, n, back, &m), 0);
	assert_memory_equal(back, pt, sizeof(pt));
	/* the enclave's own key never appears in what it wrote */
	assert_null(memmem(f->shm, VMS_MB_SIZE, f->e.sk, 32));
}

/*
 * The TK roll (issue 20): a roll release becomes one key. SEAL uses the
 * next TK; UNSEAL opens state under the next TK or, chosen by the blob's
 * key id, under the current one; nothing opens state of any other key id,
 * and a bad roll release leaves no key.
 */
static const u8 tk_next[32] = "the-next-TK-of-the-enclave-tests";

static size_t make_roll_release(struct fix *f, const u8 next_id[16], u8 *blob)
{
	struct vms_kr_binding b;
	u8 kps_pk[32];

	memset(&b, 0, sizeof(b));
	assert_int_equal(vms_prim_x25519_base(kps_pk, kps_sk), 0);
	assert_int_equal(challenge(f, kps_pk, b.challenge, &b.challenge_ns), 0);
	b.flags = VMS_KR_FLAG_ROLL;
	memcpy(b.vm_id, t_vm_id, 16);
	memcpy(b.key_id, t_key_id, 16);
	memcpy(b.next_key_id, next_id, 16);
	b.policy = VMS_KR_POLICY_SHIELDED;
	b.lifetime_s = 60;
	b.n_digests = 1;
	b.digests = digest;
	b.issued_at = 1764892800;
	assert_int_equal(vms_kr_build_roll(&b, f->e.pk, kps_sk, tk, tk_next,
					   blob, VMS_KR_ROLL_MAX_LEN), 0);
	return vms_kr_roll_size(1);
}

/* State sealed outside the enclave under @key (32 bytes) and @key_id. */
static size_t seal_outside(const u8 *key, const u8 key_id[16], const u8 *pt,
			   size_t n, u8 *out)
{
	struct vms_seal_key sk;

	assert_int_equal(vms_seal_key_init(&sk, key, t_vm_id, key_id, 0, 0), 0);
	assert_int_equal(vms_ss_seal(&sk, 0, 7, pt, n, out, n + 96), 0);
	vms_seal_key_wipe(&sk);
	return n + 96;
}

static void test_roll_release(void **state)
{
	struct fix *f = *state;
	static u8 pt[4096], old[4096 + 96], older[4096 + 96], fresh[4096 + 96];
	static u8 back[4096];
	u8 next_id[16], blob[VMS_KR_ROLL_MAX_LEN];
	struct vms_ep_msg q = { .type = VMS_EP_LOAD_RELEASE }, a;
	struct vms_seal_key sk;
	size_t n, m;
	u64 h;

	t_random(pt, sizeof(pt));
	t_random(next_id, sizeof(next_id));
	n = seal_outside(tk, t_key_id, pt, sizeof(pt), old);
	seal_outside(tk, t_other_id, pt, sizeof(pt), older);

	/* refused roll releases leave no key: tampered next TK, truncated */
	n = make_roll_release(f, next_id, blob);
	blob[n - 1] ^= 1;
	q.vm_id = t_vm_id;
	q.data = blob;
	q.data_len = n;
	assert_int_equal(call(f, &q, &a), -EBADMSG);
	n = make_roll_release(f, next_id, blob);
	q.data_len = n - VMS_KR_ROLL_EXTRA;
	assert_int_equal(call(f, &q, &a), -EMSGSIZE);
	assert_int_equal(n_keys(f), 0);

	/* the good one: one key, named by the next TK's key id */
	q.data_len = n;
	assert_int_equal(call(f, &q, &a), 0);
	assert_memory_equal(a.key_id, next_id, 16);
	h = a.handle;
	assert_int_equal(n_keys(f), 1);

	/* the state sealed before the roll opens (the current TK) */
	assert_int_equal(unseal(f, h, old, sizeof(old), back, &m), 0);
	assert_memory_equal(back, pt, sizeof(pt));
	/* re-sealed: under the next TK and its key id, not the current one */
	assert_int_equal(seal(f, h, back, sizeof(back), fresh, &m), 0);
	assert_memory_equal(fresh + 24, next_id, 16);
	assert_int_equal(vms_seal_key_init(&sk, tk_next, t_vm_id, next_id, 0, 0), 0);
	assert_int_equal(vms_ss_unseal(&sk, 0, fresh, m, back, sizeof(back), NULL), 0);
	assert_memory_equal(back, pt, sizeof(pt));
	vms_seal_key_wipe(&sk);
	assert_int_equal(vms_seal_key_init(&sk, tk, t_vm_id, next_id, 0, 0), 0);
	assert_int_equal(vms_ss_unseal(&sk, 0, fresh, m, back, sizeof(back), NULL),
			 -EBADMSG);
	vms_seal_key_wipe(&sk);
	assert_int_equal(unseal(f, h, fresh, m, back, &m), 0);
	assert_memory_equal(back, pt, sizeof(pt));

	/* state of any other version: refused by key id, nothing counted */
	assert_int_equal(unseal(f, h, older, sizeof(older), back, &m),
			 -EKEYREJECTED);
	/* tampered old state: EBADMSG, counted */
	old[100] ^= 1;
	assert_int_equal(unseal(f, h, old, sizeof(old), back, &m), -EBADMSG);
	assert_int_equal(vms_enclave_find(&f->e, h)->unseal_failures, 1);
	/* revoked: neither TK opens anything */
	old[100] ^= 1;
	q.type = VMS_EP_REVOKE;
	q.handle = h;
	assert_int_equal(call(f, &q, &a), 0);
	assert_int_equal(unseal(f, h, old, sizeof(old), back, &m), -EKEYREVOKED);
	assert_int_equal(n_keys(f), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_info_status, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_load_seal_unseal, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_release_refused, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_release_v2_refusals, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_release_replayed_after_restart, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_seal_limit, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_restarted_enclave, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_report_low_s, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_frames, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_stream_bad_header_closes, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_stream_bad_magic_closes, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_frames, setup_mailbox, teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_abuse, setup_mailbox, teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_round_trip, setup_mailbox, teardown),
		cmocka_unit_test_setup_teardown(test_roll_release, setup_stream, teardown),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
