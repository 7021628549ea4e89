// SPDX-License-Identifier: GPL-2.0
/*
 * test_enclave_vtpm.c - the vTPMs of vmshield-enclaved over its channel
 * (a socketpair, the vsock transport's stand-in), real libtpms in real
 * vTPM processes; the test plays the module and the worker: it stores
 * each sealed state it is handed (the host's disk) and confirms it.
 * TPM2_Startup, GetRandom, PCR_Extend/PCR_Read, NV_DefineSpace/Write/
 * Read; the state survives destroy and re-create from the sealed blob; a
 * vTPM process killed loses no acknowledged state while the other VM's
 * vTPM runs on; abuse (no key, no vTPM, oversized and malformed
 * requests, stale state, wrong confirmations): refused with the
 * documented errno, nothing changed, the enclave still serving; the
 * signed statement of the last confirmed generation (VTPM_STATEMENT).
 */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/sha.h>

#include <openssl/evp.h>

#include "attest.h"
#include "enclave.h"
#include "transport.h"
#include "vms_hex.h"
#include "vtpm_mgr.h"

struct disk {			/* what the host stored for one VM */
	u8 blob[VMS_EP_MAX_STATE + VMS_SS_OVERHEAD];
	size_t len;
	u64 generation;
};

struct fix {
	struct vms_enclave e;
	struct vms_vtpm_mgr *m;
	struct vms_transport *t;
	pthread_t thr;
	volatile sig_atomic_t stop;
	int fd;
	u64 seq;
	u8 req[VMS_EP_MAX_FRAME];
	u8 resp[VMS_EP_MAX_FRAME];
	struct disk disk[2];
};

static void *serve_thread(void *arg)
{
	struct fix *f = arg;

	vms_serve(&f->e, f->t, &f->stop);
	return NULL;
}

static struct fix *fix_new(void)
{
	struct fix *f = t_malloc(sizeof(*f));
	struct vms_vtpm_mgr *m;
	int sv[2];

	memset(f, 0, sizeof(*f));
	/* the spawner first: no secret exists yet (as in main.c) */
	assert_int_equal(vms_vtpm_mgr_start(&m), 0);
	assert_int_equal(vms_enclave_init(&f->e), 0);
	vms_vtpm_attach(&f->e, m);
	f->m = m;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(vms_stream_from_fd(sv[1], &f->t), 0);
	f->fd = sv[0];
	assert_int_equal(pthread_create(&f->thr, NULL, serve_thread, f), 0);
	return f;
}

static void fix_free(struct fix *f)
{
	f->stop = 1;
	close(f->fd);
	pthread_join(f->thr, NULL);
	f->t->close(f->t);
	vms_vtpm_mgr_stop(f->m);
	vms_enclave_wipe(&f->e);
	free(f);
}

static int setup(void **state)
{
	*state = fix_new();
	return 0;
}

static int teardown(void **state)
{
	fix_free(*state);
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

static size_t raw(struct fix *f, const u8 *req, size_t len)
{
	size_t n;

	assert_int_equal(write(f->fd, req, len), (ssize_t)len);
	read_full(f->fd, f->resp, VMS_EP_HDR_LEN);
	assert_int_equal(vms_ep_frame_len(f->resp, &n), 0);
	read_full(f->fd, f->resp + VMS_EP_HDR_LEN, n - VMS_EP_HDR_LEN);
	return n;
}

static int call(struct fix *f, struct vms_ep_msg *q, struct vms_ep_msg *a)
{
	size_t n;

	q->req_id = ++f->seq;
	assert_int_equal(vms_ep_encode(q, f->req, sizeof(f->req), &n), 0);
	n = raw(f, f->req, n);
	assert_int_equal(vms_ep_decode(f->resp, n, true, a), 0);
	assert_int_equal(a->type, q->type);
	return a->err;
}

static const u8 tk[32] = "TK-for-the-enclave-vtpm-tests!!!";
static const u8 vm_b[16] = "the-other-vm-id!";

/* KPS's key for these tests: the enclave accepts releases from it. */
static const u8 kps_sk[32] = "KPS-sender-key-for-vtpm-tests!!!";

/*
 * A release format v2 for @vm, as KPS makes it: for a challenge the
 * enclave just issued, from the KPS key it was told to accept.
 */
static int load_any(struct fix *f, const u8 vm[16], u16 flags, u64 floor,
		    const u8 *cur, const u8 *cur_id, const u8 *next,
		    const u8 *next_id, u64 *h);

static int load_rel(struct fix *f, const u8 vm[16], u16 flags, const u8 *cur,
		    const u8 *cur_id, const u8 *next, const u8 *next_id,
		    u64 *h)
{
	return load_any(f, vm, flags, 0, cur, cur_id, next, next_id, h);
}

/* with the release's vTPM floor (flag bit 2) when @floor is not 0 */
static int load_floor(struct fix *f, const u8 vm[16], u16 flags, u64 floor,
		      u64 *h)
{
	return load_any(f, vm, flags, floor, tk, t_key_id, NULL, NULL, h);
}

static int load_flags(struct fix *f, const u8 vm[16], u16 flags, u64 *h)
{
	return load_rel(f, vm, flags, tk, t_key_id, NULL, NULL, h);
}

/*
 * As KPS makes it: @cur under @cur_id, and with @next a roll release
 * (VMS_KR_FLAG_ROLL) of @cur and @next (@next_id).
 */
static int load_any(struct fix *f, const u8 vm[16], u16 flags, u64 floor,
		    const u8 *cur, const u8 *cur_id, const u8 *next,
		    const u8 *next_id, u64 *h)
{
	struct vms_ep_msg q = { .type = VMS_EP_LOAD_RELEASE }, a;
	struct vms_ep_msg cq = { .type = VMS_EP_RELEASE_CHALLENGE }, ca;
	static u8 digest[32] = "worker-digest-for-the-tests-only";
	u8 blob[VMS_KR_ROLL_MAX_LEN];
	struct vms_kr_binding b;
	u8 kps_pk[32];
	int r;

	memset(&b, 0, sizeof(b));
	b.flags = flags;
	assert_int_equal(vms_prim_x25519_base(kps_pk, kps_sk), 0);
	cq.kps_pk = kps_pk;
	assert_int_equal(call(f, &cq, &ca), 0);
	memcpy(b.challenge, ca.challenge, 32);
	b.challenge_ns = ca.challenge_ns;
	b.issued_at = 1764892800;
	memcpy(b.vm_id, vm, 16);
	memcpy(b.key_id, cur_id, 16);
	b.policy = VMS_KR_POLICY_SHIELDED;
	b.lifetime_s = 600;
	b.n_digests = 1;
	b.digests = digest;
	if (floor) {
		b.flags |= VMS_KR_F_VTPM_FLOOR;
		b.vtpm_floor = floor;
	}
	if (next) {
		b.flags |= VMS_KR_FLAG_ROLL;
		memcpy(b.next_key_id, next_id, 16);
		assert_int_equal(vms_kr_build_roll(&b, f->e.pk, kps_sk, cur, next,
						   blob, sizeof(blob)), 0);
	} else {
		assert_int_equal(vms_kr_build(&b, f->e.pk, kps_sk, cur, blob,
					      sizeof(blob)), 0);
	}
	q.vm_id = vm;
	q.data = blob;
	q.data_len = vms_kr_size_flags(1, b.flags);
	r = call(f, &q, &a);
	if (!r)
		*h = a.handle;
	return r;
}


static int load(struct fix *f, const u8 vm[16], u64 *h)
{
	return load_flags(f, vm, 0, h);
}

/* One vTPM request; the answer's errno, @a decoded into f->resp. */
static int vreq(struct fix *f, u16 type, u64 h, u64 gen, u32 op, u32 arg,
		const u8 *data, size_t len, struct vms_ep_msg *a)
{
	struct vms_ep_msg q = { .type = type, .handle = h, .generation = gen,
				.vtpm_op = op, .vtpm_arg = arg, .data = data,
				.data_len = len };

	return call(f, &q, a);
}

/*
 * The worker's part: a state to store is written to the "disk", then
 * confirmed; the confirmed answer replaces @a. Returns the errno.
 */
static int settle(struct fix *f, struct disk *d, u64 h, struct vms_ep_msg *a)
{
	if (a->err || !(a->vtpm_flags & VMS_EP_VTPM_F_STORE))
		return a->err;
	assert_true(a->generation > d->generation);
	memcpy(d->blob, a->data, a->data_len);
	d->len = a->data_len;
	d->generation = a->generation;
	return vreq(f, VMS_EP_VTPM_CONFIRM, h, d->generation, 0, 0, NULL, 0, a);
}

static void create(struct fix *f, struct disk *d, u64 h, bool from_disk)
{
	struct vms_ep_msg a;

	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h, 0, 0, 0,
			      from_disk ? d->blob : NULL,
			      from_disk ? d->len : 0, &a), 0);
	assert_int_equal(!!(a.vtpm_flags & VMS_EP_VTPM_F_STORE), !from_disk);
	assert_int_equal(settle(f, d, h, &a), 0);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONTROL, h, 0, VMS_VTPM_CTRL_INIT,
			      0, NULL, 0, &a), 0);
	assert_int_equal(settle(f, d, h, &a), 0);
	assert_int_equal(a.vtpm_result, 0);
}

/* A TPM command through the enclave: the response's rc, body in @out. */
static u32 tpm(struct fix *f, struct disk *d, u64 h, const u8 *cmd,
	       size_t len, u8 *out, size_t *out_len)
{
	struct vms_ep_msg a;

	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, cmd, len, &a), 0);
	assert_int_equal(settle(f, d, h, &a), 0);
	assert_true(a.data_len >= 10);
	assert_int_equal(vms_get_be32(a.data + 2), a.data_len);
	if (out) {
		memcpy(out, a.data, a.data_len);
		*out_len = a.data_len;
	}
	return vms_get_be32(a.data + 6);
}

/* --- TPM 2.0 commands, marshalled by hand -------------------------------- */

static const u8 startup_clear[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0
};
static const u8 get_random8[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8
};
/* the password session (TPM_RS_PW), empty password */
static const u8 pw_session[] = { 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0 };

#define NV_INDEX	0x01500016
#define NV_SIZE		32
static const u8 nv_tag[NV_SIZE] = "vmshield-tenant-NV-tag-3f9a1c07";
static const u8 nv_tag2[NV_SIZE] = "vmshield-tenant-NV-tag-2nd-8e41";

static size_t cmd_begin(u8 *c, u32 cc, bool sessions)
{
	c[0] = 0x80;
	c[1] = sessions ? 0x02 : 0x01;
	vms_put_be32(c + 6, cc);
	return 10;
}

static size_t cmd_end(u8 *c, size_t n)
{
	vms_put_be32(c + 2, (u32)n);
	return n;
}

static size_t pcr_extend(u8 *c, u32 pcr, const u8 digest[32])
{
	size_t n = cmd_begin(c, 0x182, true);

	vms_put_be32(c + n, pcr);
	n += 4;
	memcpy(c + n, pw_session, sizeof(pw_session));
	n += sizeof(pw_session);
	vms_put_be32(c + n, 1);			/* one digest */
	vms_put_be16(c + n + 4, 0x000b);	/* SHA-256 */
	memcpy(c + n + 6, digest, 32);
	return cmd_end(c, n + 38);
}

static size_t pcr_read(u8 *c, u32 pcr)
{
	size_t n = cmd_begin(c, 0x17e, false);

	vms_put_be32(c + n, 1);
	vms_put_be16(c + n + 4, 0x000b);
	c[n + 6] = 3;
	memset(c + n + 7, 0, 3);
	c[n + 7 + pcr / 8] = (u8)(1u << (pcr % 8));
	return cmd_end(c, n + 10);
}

static size_t nv_define(u8 *c)
{
	size_t n = cmd_begin(c, 0x12a, true);

	vms_put_be32(c + n, 0x40000001);	/* TPM_RH_OWNER */
	n += 4;
	memcpy(c + n, pw_session, sizeof(pw_session));
	n += sizeof(pw_session);
	vms_put_be16(c + n, 0);			/* no index password */
	vms_put_be16(c + n + 2, 14);		/* TPM2B_NV_PUBLIC */
	vms_put_be32(c + n + 4, NV_INDEX);
	vms_put_be16(c + n + 8, 0x000b);
	vms_put_be32(c + n + 10, 0x00060006);	/* owner/auth read+write */
	vms_put_be16(c + n + 14, 0);
	vms_put_be16(c + n + 16, NV_SIZE);
	return cmd_end(c, n + 18);
}

static size_t nv_write(u8 *c, const u8 *data)
{
	size_t n = cmd_begin(c, 0x137, true);

	vms_put_be32(c + n, 0x40000001);
	vms_put_be32(c + n + 4, NV_INDEX);
	n += 8;
	memcpy(c + n, pw_session, sizeof(pw_session));
	n += sizeof(pw_session);
	vms_put_be16(c + n, NV_SIZE);
	memcpy(c + n + 2, data, NV_SIZE);
	vms_put_be16(c + n + 2 + NV_SIZE, 0);	/* offset */
	return cmd_end(c, n + 4 + NV_SIZE);
}

static size_t nv_read(u8 *c)
{
	size_t n = cmd_begin(c, 0x14e, true);

	vms_put_be32(c + n, 0x40000001);
	vms_put_be32(c + n + 4, NV_INDEX);
	n += 8;
	memcpy(c + n, pw_session, sizeof(pw_session));
	n += sizeof(pw_session);
	vms_put_be16(c + n, NV_SIZE);
	vms_put_be16(c + n + 2, 0);
	return cmd_end(c, n + 4);
}

/* NV_Read's data: 10 header, 4 parameterSize, 2 size, then the bytes. */
static void assert_nv_reads(struct fix *f, struct disk *d, u64 h,
			    const u8 *want)
{
	u8 c[256], r[512];
	size_t n;

	assert_int_equal(tpm(f, d, h, c, nv_read(c), r, &n), 0);
	assert_int_equal(vms_get_be16(r + 14), NV_SIZE);
	assert_memory_equal(r + 16, want, NV_SIZE);
}

static void startup(struct fix *f, struct disk *d, u64 h)
{
	assert_int_equal(tpm(f, d, h, startup_clear, sizeof(startup_clear),
			     NULL, NULL), 0);
}

static void define_and_write(struct fix *f, struct disk *d, u64 h)
{
	u8 c[256];
	u64 before = d->generation;

	assert_int_equal(tpm(f, d, h, c, nv_define(c), NULL, NULL), 0);
	assert_int_equal(tpm(f, d, h, c, nv_write(c, nv_tag), NULL, NULL), 0);
	/* each NV change was sealed, stored and confirmed before its answer */
	assert_true(d->generation >= before + 2);
}

static void status_has(struct fix *f, const char *line)
{
	struct vms_ep_msg q = { .type = VMS_EP_STATUS }, a;

	assert_int_equal(call(f, &q, &a), 0);
	assert_non_null(memmem(a.data, a.data_len, line, strlen(line)));
}

/* --- tests ------------------------------------------------------------------ */

static void test_vtpm_commands(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	u8 c[256], r[512], r2[512], ext[32], pcr[32];
	u8 zero_ext[64] = { 0 };
	struct vms_ep_msg a;
	size_t n, n2;
	u64 h;

	assert_int_equal(load(f, t_vm_id, &h), 0);
	create(f, d, h, false);
	assert_true(d->generation >= 1);
	startup(f, d, h);

	/* GetRandom: 8 bytes, twice different */
	assert_int_equal(tpm(f, d, h, get_random8, sizeof(get_random8), r, &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(vms_get_be16(r + 10), 8);
	assert_int_equal(tpm(f, d, h, get_random8, sizeof(get_random8), r2, &n2), 0);
	assert_memory_not_equal(r + 12, r2 + 12, 8);

	/* PCR_Extend(16) then PCR_Read(16) = SHA-256(zeros || digest) */
	t_random(ext, sizeof(ext));
	assert_int_equal(tpm(f, d, h, c, pcr_extend(c, 16, ext), NULL, NULL), 0);
	assert_int_equal(tpm(f, d, h, c, pcr_read(c, 16), r, &n), 0);
	memcpy(zero_ext + 32, ext, 32);
	SHA256(zero_ext, sizeof(zero_ext), pcr);
	assert_int_equal(vms_get_be16(r + 28), 32);
	assert_memory_equal(r + 30, pcr, 32);

	/* NV: define, write, read back */
	define_and_write(f, d, h);
	assert_nv_reads(f, d, h, nv_tag);

	/* only sealed state left the enclave: the tag is not in the blob */
	assert_null(memmem(d->blob, d->len, nv_tag, sizeof(nv_tag)));
	/* and UNSEAL under the VM's key cannot open it (another key) */
	{
		struct vms_ep_msg q = { .type = VMS_EP_UNSEAL, .handle = h,
					.data = d->blob, .data_len = d->len };

		assert_int_equal(call(f, &q, &a), -EBADMSG);
	}
	status_has(f, "vtpm=on\nvtpms=1\n");
}

static void test_vtpm_state_survives_recreate(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	struct disk old;
	struct vms_ep_msg a;
	u64 h;

	assert_int_equal(load(f, t_vm_id, &h), 0);
	create(f, d, h, false);
	startup(f, d, h);
	old = *d;			/* before the NV index existed */
	define_and_write(f, d, h);
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), 0);
	/* gone: commands answer ENODEV, a second destroy too */
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, startup_clear,
			      sizeof(startup_clear), &a), -ENODEV);
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), -ENODEV);
	/* an older sealed state is a rollback: refused */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h, 0, 0, 0, old.blob,
			      old.len, &a), -ESTALE);
	/* the stored one brings the vTPM back with its NV */
	create(f, d, h, true);
	startup(f, d, h);
	assert_nv_reads(f, d, h, nv_tag);

	/* GET_STATE: the same state, sealed again, opens on re-create */
	assert_int_equal(vreq(f, VMS_EP_VTPM_GET_STATE, h, 0, 0, 0, NULL, 0, &a), 0);
	assert_int_equal(a.generation, d->generation);
	memcpy(old.blob, a.data, a.data_len);
	old.len = a.data_len;
	old.generation = a.generation;
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), 0);
	create(f, &old, h, true);
	startup(f, &old, h);
	assert_nv_reads(f, &old, h, nv_tag);
}

/*
 * The floor a release carries (flag bit 2, issue 21): a key loaded again
 * (a new handle: as after an enclave restart) starts its vTPM record at
 * HGS's floor, so a state older than it is refused (ESTALE) although this
 * record never saw the newer one; without a floor the same old state
 * opens (the positive control); a new vTPM's first state is above it.
 */
static void test_vtpm_release_floor(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	struct disk old, fresh;
	struct vms_ep_msg a;
	u64 h, h2, h3, h4;

	assert_int_equal(load(f, t_vm_id, &h), 0);
	create(f, d, h, false);
	startup(f, d, h);
	old = *d;			/* before the NV index existed */
	define_and_write(f, d, h);
	assert_true(d->generation > old.generation);
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), 0);

	/* floor = the stored generation: the old state is a rollback */
	assert_int_equal(load_floor(f, t_vm_id, 0, d->generation, &h2), 0);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h2, 0, 0, 0, old.blob,
			      old.len, &a), -ESTALE);
	/* nothing changed: the stored state still opens, with its NV */
	create(f, d, h2, true);
	startup(f, d, h2);
	assert_nv_reads(f, d, h2, nv_tag);
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h2, 0, 0, 0, NULL, 0, &a), 0);

	/* a floor above the stored state: that state is refused too */
	assert_int_equal(load_floor(f, t_vm_id, 0, d->generation + 1, &h3), 0);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h3, 0, 0, 0, d->blob,
			      d->len, &a), -ESTALE);
	/* a new vTPM under that floor starts above it */
	memset(&fresh, 0, sizeof(fresh));
	fresh.generation = d->generation + 1;
	create(f, &fresh, h3, false);
	assert_true(fresh.generation > d->generation + 1);

	/* positive control: without a floor the old state opens */
	assert_int_equal(load(f, t_vm_id, &h4), 0);
	create(f, &old, h4, true);
}

static void test_vtpm_crash(void **state)
{
	struct fix *f = *state;
	struct disk *da = &f->disk[0], *db = &f->disk[1];
	u8 r[512];
	struct vms_ep_msg a;
	size_t n;
	pid_t pid;
	u64 ha, hb;

	assert_int_equal(load(f, t_vm_id, &ha), 0);
	assert_int_equal(load(f, vm_b, &hb), 0);
	create(f, da, ha, false);
	create(f, db, hb, false);
	startup(f, da, ha);
	startup(f, db, hb);
	define_and_write(f, da, ha);	/* acknowledged */

	pid = vms_vtpm_pid(f->m, ha);
	assert_true(pid > 0);
	assert_true(pid != vms_vtpm_pid(f->m, hb));
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* the crashed vTPM: EPIPE, then EPIPE again (no process) */
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, ha, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -EPIPE);
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, ha, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -EPIPE);
	/* the other VM's vTPM runs on */
	assert_int_equal(tpm(f, db, hb, get_random8, sizeof(get_random8), r, &n), 0);
	status_has(f, "vtpms=1\nvtpm_crashes=1\n");
	/* re-created from what was stored: nothing acknowledged is lost */
	create(f, da, ha, true);
	startup(f, da, ha);
	assert_nv_reads(f, da, ha, nv_tag);
	status_has(f, "vtpms=2\n");
}

static void test_vtpm_abuse(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	static u8 big[VMS_EP_VTPM_MAX_CMD + 1];
	u8 junk[200], frame[VMS_EP_HDR_LEN + 64];
	struct vms_ep_msg a;
	u64 h, hb, gen;
	size_t n;

	assert_int_equal(load(f, t_vm_id, &h), 0);
	assert_int_equal(load(f, vm_b, &hb), 0);
	/* no key: ENOKEY, for every request */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, 0x1234, 0, 0, 0, NULL, 0, &a), -ENOKEY);
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, 0x1234, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -ENOKEY);
	/* a key without a vTPM: ENODEV */
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, hb, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -ENODEV);
	create(f, d, h, false);
	startup(f, d, h);
	define_and_write(f, d, h);
	gen = d->generation;

	/* a second vTPM for the key: EEXIST */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h, 0, 0, 0, NULL, 0, &a), -EEXIST);
	/* a command over the TPM's bound, or under a header: EMSGSIZE */
	memcpy(big, get_random8, sizeof(get_random8));
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, big, sizeof(big), &a),
			 -EMSGSIZE);
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, big, 5, &a), -EMSGSIZE);
	/* nothing to confirm: EINVAL; another VM's sealed state: refused */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, gen, 0, 0, NULL, 0, &a), -EINVAL);
	/* garbage as sealed state: refused by the format */
	t_random(junk, sizeof(junk));
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, hb, 0, 0, 0, junk, sizeof(junk), &a),
			 -EILSEQ);
	/* VM A's blob for VM B: the key id matches, the VM id does not */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, hb, 0, 0, 0, d->blob, d->len, &a),
			 -EKEYREJECTED);
	/* a CONFIRM of the wrong generation leaves the answer held */
	{
		u8 c[256];

		assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, c,
				      nv_write(c, nv_tag2), &a), 0);
		assert_true(a.vtpm_flags & VMS_EP_VTPM_F_STORE);
		assert_int_equal(a.generation, gen + 1);
		memcpy(d->blob, a.data, a.data_len);
		d->len = a.data_len;
		assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, gen + 2, 0, 0, NULL, 0, &a),
				 -ESTALE);
		/* until confirmed, the vTPM takes nothing else: EBUSY */
		assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, get_random8,
				      sizeof(get_random8), &a), -EBUSY);
		assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, gen + 1, 0, 0, NULL, 0, &a),
				 0);
		assert_int_equal(vms_get_be32(a.data + 6), 0);
		d->generation = gen + 1;
	}
	/* malformed vTPM frames: a reserved field, an unknown op: EPROTO */
	assert_int_equal(vms_ep_encode(&(struct vms_ep_msg){ .type = VMS_EP_VTPM_DESTROY,
				       .handle = h }, frame, sizeof(frame), &n), 0);
	vms_put_be32(frame + VMS_EP_HDR_LEN + 16, 1);	/* op on DESTROY */
	n = raw(f, frame, n);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	assert_int_equal(vms_ep_encode(&(struct vms_ep_msg){ .type = VMS_EP_VTPM_CONTROL,
				       .handle = h, .vtpm_op = 1 }, frame, sizeof(frame),
				       &n), 0);
	vms_put_be32(frame + VMS_EP_HDR_LEN + 16, 99);
	n = raw(f, frame, n);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	/* a bad locality: the TPM's own answer, nothing else */
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONTROL, h, 0, VMS_VTPM_CTRL_LOCALITY, 5,
			      NULL, 0, &a), 0);
	assert_true(a.vtpm_result != 0);

	/* nothing of that changed the vTPM: the same NV, the same generation */
	assert_nv_reads(f, d, h, nv_tag2);
	assert_int_equal(d->generation, gen + 1);

	/* the key revoked: its vTPM goes with it */
	{
		struct vms_ep_msg q = { .type = VMS_EP_REVOKE, .handle = h };
		pid_t pid = vms_vtpm_pid(f->m, h);

		int i;

		assert_true(pid > 0);
		assert_int_equal(call(f, &q, &a), 0);
		/* at once, without another vTPM request: the process ends */
		assert_int_equal(vms_vtpm_pid(f->m, h), 0);
		for (i = 0; i < 100 && !kill(pid, 0); i++)
			usleep(10000);
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(errno, ESRCH);
		assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, get_random8,
				      sizeof(get_random8), &a), -ENOKEY);
	}
	status_has(f, "vtpms=0\n");
}

/* The vTPM process: seccomp on, no new privileges, not dumpable. */
/*
 * Release flag bit 1 (the KP requires the vTPM in the enclave): the
 * enclave refuses SEAL and UNSEAL for the key (EOPNOTSUPP), so no
 * host-side vTPM can be fed from it; the vTPM in the enclave works. The
 * same VM's key without the bit seals (the control).
 */
static void test_vtpm_only_key_refuses_seal(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	static const u8 plain[64] = "a host-side vTPM state";
	struct vms_ep_msg q = { .type = VMS_EP_SEAL, .data = plain,
				.data_len = sizeof(plain), .generation = 1 };
	struct vms_ep_msg a;
	u8 sealed[sizeof(plain) + VMS_SS_OVERHEAD], r[64];
	u64 h, h_plain;
	size_t n;

	assert_int_equal(load(f, vm_b, &h_plain), 0);
	q.handle = h_plain;
	assert_int_equal(call(f, &q, &a), 0);
	assert_int_equal(a.data_len, sizeof(sealed));
	memcpy(sealed, a.data, sizeof(sealed));

	assert_int_equal(load_flags(f, vm_b, VMS_KR_F_VTPM_IN_ENCLAVE, &h), 0);
	q.handle = h;
	assert_int_equal(call(f, &q, &a), -EOPNOTSUPP);
	assert_int_equal(a.data_len, 0);
	q.type = VMS_EP_UNSEAL;
	q.data = sealed;
	q.data_len = sizeof(sealed);
	assert_int_equal(call(f, &q, &a), -EOPNOTSUPP);
	assert_int_equal(a.data_len, 0);
	/* refused, not failed closed: the key still runs its vTPM */
	create(f, d, h, false);
	startup(f, d, h);
	assert_int_equal(tpm(f, d, h, get_random8, sizeof(get_random8), r, &n), 0);
	assert_int_equal(n, 20);
	/* and the key without the bit still opens what it sealed */
	q.handle = h_plain;
	assert_int_equal(call(f, &q, &a), 0);
	assert_memory_equal(a.data, plain, sizeof(plain));
}

/* The statement in @a: its body (NUL-ended into @body) and signature. */
static void statement_parts(const struct vms_ep_msg *a, char *body, size_t cap,
			    const u8 **sig, size_t *sig_len)
{
	size_t n;

	assert_true(a->data_len > 2);
	n = vms_get_be16(a->data);
	assert_true(n + 2 < a->data_len && n < cap);
	memcpy(body, a->data + 2, n);
	body[n] = 0;
	*sig = a->data + 2 + n;
	*sig_len = a->data_len - 2 - n;
}

static bool statement_verifies(EVP_PKEY *pub, const char *body, const u8 *sig,
			       size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, (const u8 *)body, strlen(body)) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

static void assert_statement(struct fix *f, EVP_PKEY *platform, u64 h, u64 want)
{
	char body[1024], line[128], hex[65];
	struct vms_ep_msg a;
	const u8 *sig;
	size_t sig_len;

	assert_int_equal(vreq(f, VMS_EP_VTPM_STATEMENT, h, 0, 0, 0, NULL, 0, &a), 0);
	assert_int_equal(a.generation, want);
	statement_parts(&a, body, sizeof(body), &sig, &sig_len);
	assert_true(!strncmp(body, "vmshield-vtpm-statement v1\nplatform=emulated\n", 45));
	snprintf(line, sizeof(line), "\ngeneration=%llu\n", (unsigned long long)want);
	assert_non_null(strstr(body, line));
	vms_hex_encode(t_vm_id, 16, hex);
	snprintf(line, sizeof(line), "\nvm_id=%s\n", hex);
	assert_non_null(strstr(body, line));
	vms_hex_encode(t_key_id, 16, hex);
	snprintf(line, sizeof(line), "\nkey_id=%s\n", hex);
	assert_non_null(strstr(body, line));
	vms_hex_encode(f->e.pk, 32, hex);
	snprintf(line, sizeof(line), "\nenclave_key=%s\n", hex);
	assert_non_null(strstr(body, line));
	assert_true(statement_verifies(platform, body, sig, sig_len));
	/* the signature covers the generation: one digit changed, it fails */
	*strstr(body, "\ngeneration=") = '\t';
	assert_false(statement_verifies(platform, body, sig, sig_len));
}

/*
 * VTPM_STATEMENT (vtpm-in-enclave.md §2): the last *confirmed* generation,
 * signed with the platform key; a state handed out but not confirmed does
 * not raise it; the record outlives the process; refusals change nothing.
 */
static void test_vtpm_statement(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	static const u8 program[32] = "the-enclave-program-digest-test!";
	struct vms_ep_msg q = { .type = VMS_EP_VTPM_STATEMENT }, a;
	EVP_PKEY *platform = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	u64 h, confirmed;
	u8 c[256];
	size_t n, qn;

	assert_non_null(platform);
	assert_int_equal(load(f, t_vm_id, &h), 0);
	/* no attestation key: nothing to sign with */
	create(f, d, h, false);
	assert_int_equal(vreq(f, VMS_EP_VTPM_STATEMENT, h, 0, 0, 0, NULL, 0, &a),
			 -EOPNOTSUPP);
	assert_int_equal(vms_attest_new(platform, program, &f->e.attest), 0);
	assert_statement(f, platform, h, d->generation);
	startup(f, d, h);
	define_and_write(f, d, h);
	assert_statement(f, platform, h, d->generation);

	/* an NV write handed out for storing, not yet confirmed: the floor stays */
	confirmed = d->generation;
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, c,
			      nv_write(c, nv_tag2), &a), 0);
	assert_true(a.vtpm_flags & VMS_EP_VTPM_F_STORE);
	assert_true(a.generation > confirmed);
	memcpy(d->blob, a.data, a.data_len);
	d->len = a.data_len;
	d->generation = a.generation;
	assert_statement(f, platform, h, confirmed);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, d->generation, 0, 0, NULL, 0, &a), 0);
	assert_statement(f, platform, h, d->generation);

	/* the record outlives the process */
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), 0);
	assert_statement(f, platform, h, d->generation);

	/* refused: an unknown handle (ENOKEY), a key without a vTPM (ENODEV) */
	assert_int_equal(vreq(f, VMS_EP_VTPM_STATEMENT, h ^ 1, 0, 0, 0, NULL, 0, &a),
			 -ENOKEY);
	{
		u64 h2;

		assert_int_equal(load(f, vm_b, &h2), 0);
		assert_int_equal(vreq(f, VMS_EP_VTPM_STATEMENT, h2, 0, 0, 0, NULL, 0, &a),
				 -ENODEV);
	}
	/* fields it does not use must be zero: op, generation (EPROTO) */
	q.handle = h;
	q.req_id = ++f->seq;
	assert_int_equal(vms_ep_encode(&q, f->req, sizeof(f->req), &qn), 0);
	f->req[VMS_EP_HDR_LEN + 19] = 1;	/* op */
	n = raw(f, f->req, qn);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	f->req[VMS_EP_HDR_LEN + 19] = 0;
	f->req[VMS_EP_HDR_LEN + 15] = 1;	/* generation */
	n = raw(f, f->req, qn);
	assert_int_equal(vms_ep_decode(f->resp, n, true, &a), 0);
	assert_int_equal(a.err, -EPROTO);
	/* nothing changed */
	assert_statement(f, platform, h, d->generation);

	vms_attest_free(f->e.attest);
	f->e.attest = NULL;
	EVP_PKEY_free(platform);
}

static void test_vtpm_process_confined(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0];
	char path[64], line[256];
	int seccomp = -1, nnp = -1;
	FILE *s;
	u64 h;

	assert_int_equal(load(f, t_vm_id, &h), 0);
	create(f, d, h, false);
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)vms_vtpm_pid(f->m, h));
	s = fopen(path, "re");
	assert_non_null(s);
	while (fgets(line, sizeof(line), s)) {
		if (sscanf(line, "Seccomp: %d", &seccomp) == 1)
			continue;
		if (sscanf(line, "NoNewPrivs: %d", &nnp) == 1)
			continue;
	}
	fclose(s);
	assert_int_equal(seccomp, 2);
	assert_int_equal(nnp, 1);
	/* and it still works after confinement */
	startup(f, d, h);
}

/* --- the TK roll and live migration (migration.md §1.6, §2.6) ------------ */

static const u8 tk_next[32] = "the-next-TK-of-the-vtpm-tests!!!";
static const u8 tk_last[32] = "the-TK-after-the-next-one-tests!";
static const u8 next_id[16] = "next-key-id-tk-1";
static const u8 last_id[16] = "last-key-id-tk-2";

/* The header of the state on @d names @id and its generation. */
static void sealed_under(const struct disk *d, const u8 id[16])
{
	struct vms_ss_header hdr;

	assert_int_equal(vms_ss_parse(d->blob, d->len, &hdr), 0);
	assert_memory_equal(hdr.key_id, id, 16);
	assert_int_equal(hdr.generation, d->generation);
}

/* CREATE from @blob answers @err, and the key has no vTPM after it. */
static void create_refused(struct fix *f, u64 h, const u8 *blob, size_t len,
			   int err)
{
	struct vms_ep_msg a;

	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h, 0, 0, 0, blob, len, &a), err);
	assert_int_equal(a.data_len, 0);
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -ENODEV);
	assert_int_equal(vms_vtpm_pid(f->m, h), 0);
}

/*
 * CREATE of a rolled key from the state of before the roll: STORE, the
 * same state sealed in the enclave under the next TK (@next_kid) as the
 * next generation, the CREATE's answer held until the CONFIRM; the worker
 * stores it on @d. Then INIT.
 */
static void create_rolled(struct fix *f, struct disk *d, u64 h,
			  const u8 next_kid[16])
{
	struct vms_ep_msg a;
	u64 g = d->generation;

	assert_int_equal(vreq(f, VMS_EP_VTPM_CREATE, h, 0, 0, 0, d->blob, d->len, &a), 0);
	assert_true(a.vtpm_flags & VMS_EP_VTPM_F_STORE);
	assert_int_equal(a.generation, g + 1);
	/* sealed inside: the tenant's tag is not in what left the enclave */
	assert_null(memmem(a.data, a.data_len, nv_tag, sizeof(nv_tag)));
	memcpy(d->blob, a.data, a.data_len);
	d->len = a.data_len;
	d->generation = a.generation;
	sealed_under(d, next_kid);
	/* held until stored: nothing else runs, another generation is refused */
	assert_int_equal(vreq(f, VMS_EP_VTPM_COMMAND, h, 0, 0, 0, get_random8,
			      sizeof(get_random8), &a), -EBUSY);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, g, 0, 0, NULL, 0, &a), -ESTALE);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONFIRM, h, g + 1, 0, 0, NULL, 0, &a), 0);
	assert_int_equal(a.vtpm_result, 0);
	assert_int_equal(vreq(f, VMS_EP_VTPM_CONTROL, h, 0, VMS_VTPM_CTRL_INIT, 0,
			      NULL, 0, &a), 0);
	assert_int_equal(settle(f, d, h, &a), 0);
	assert_int_equal(a.vtpm_result, 0);
}

/*
 * A start's TK roll with the vTPM in the enclave: a roll release of a
 * vtpm-in-enclave KP loads (it was EOPNOTSUPP); CREATE from the state
 * under the current TK re-seals it in the enclave under the next TK
 * (create_rolled); the vTPM then runs with its NV and seals every change
 * under the next TK. Refused with nothing changed: a state of another
 * TK, a tampered one; after the re-seal the state of before the roll is
 * a rollback (ESTALE), and a key of the old TK alone opens nothing new.
 */
static void test_vtpm_roll_reseals_in_enclave(void **state)
{
	struct fix *f = *state;
	struct disk *d = &f->disk[0], *other = &f->disk[1];
	struct disk *before = t_malloc(sizeof(*before));
	struct vms_ep_msg a;
	u64 h, hr, hx;

	/* the VM ran under TK (key id t_key_id) */
	assert_int_equal(load_flags(f, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, &h), 0);
	create(f, d, h, false);
	startup(f, d, h);
	define_and_write(f, d, h);
	sealed_under(d, t_key_id);
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, h, 0, 0, 0, NULL, 0, &a), 0);
	*before = *d;
	/* a state of the same VM under a third TK */
	assert_int_equal(load_rel(f, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, tk_last,
				  last_id, NULL, NULL, &hx), 0);
	create(f, other, hx, false);

	/* the next start: the roll release of TK and TK' loads as one key */
	assert_int_equal(load_rel(f, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, tk, t_key_id,
				  tk_next, next_id, &hr), 0);
	create_refused(f, hr, other->blob, other->len, -EKEYREJECTED);
	d->blob[d->len - 1] ^= 1;
	create_refused(f, hr, d->blob, d->len, -EBADMSG);
	d->blob[d->len - 1] ^= 1;
	create_rolled(f, d, hr, next_id);
	startup(f, d, hr);
	assert_nv_reads(f, d, hr, nv_tag);
	/* a change now: sealed under the next TK, the next generation */
	{
		u8 c[256];

		assert_int_equal(tpm(f, d, hr, c, nv_write(c, nv_tag2), NULL, NULL), 0);
		sealed_under(d, next_id);
		assert_true(d->generation >= before->generation + 2);
	}
	/* the state of before the roll: a rollback for this key */
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, hr, 0, 0, 0, NULL, 0, &a), 0);
	create_refused(f, hr, before->blob, before->len, -ESTALE);
	/* a key of the old TK alone cannot open the state under the next one */
	assert_int_equal(vreq(f, VMS_EP_VTPM_DESTROY, hx, 0, 0, 0, NULL, 0, &a), 0);
	create_refused(f, h, d->blob, d->len, -EKEYREJECTED);
	/* nothing of that changed the stored state: it opens, its NV as written */
	create(f, d, hr, true);
	startup(f, d, hr);
	assert_nv_reads(f, d, hr, nv_tag2);
	free(before);
}

/*
 * Live migration between two enclaves (two vmshield-enclaved cores in one
 * test, each with its own identity and vTPM processes). The source runs
 * the VM under TK' (its start rolled to it); GET_STATE hands out the state
 * sealed under TK' (the volatile part stored into it first, as the
 * worker's GET_STATEBLOB does). The destination holds KPS's migrate roll
 * {TK', TK''}: CREATE opens the blob and re-seals it under TK'' as the next
 * generation (STORE), and the vTPM runs on with the source's PCR and NV.
 * Refused at the destination with nothing changed: a blob under an older
 * TK, another VM's, a tampered one, a state sealed by the ordinary SEAL.
 * After it: the migrated blob again is a rollback (ESTALE); the source's
 * key revoked (its vTPM gone), and another key of TK' (a copy of version
 * v) cannot open what the destination sealed.
 */
static void test_vtpm_migration_two_enclaves(void **state)
{
	struct fix *src = *state, *dst = fix_new();
	struct disk *d = &src->disk[0], *old = &src->disk[1];
	struct disk *blob = &dst->disk[0], *stale = &dst->disk[1];
	u8 c[256], r[512], pcr_src[32], ext[32];
	struct vms_ep_msg a;
	u64 h0, hs, hb, hd, hc;
	size_t n;

	/* the source: the VM under TK (v), then its start's roll to TK' */
	assert_int_equal(load_flags(src, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, &h0), 0);
	create(src, old, h0, false);
	startup(src, old, h0);
	assert_int_equal(vreq(src, VMS_EP_VTPM_DESTROY, h0, 0, 0, 0, NULL, 0, &a), 0);
	*d = *old;
	assert_int_equal(load_rel(src, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, tk, t_key_id,
				  tk_next, next_id, &hs), 0);
	create_rolled(src, d, hs, next_id);
	startup(src, d, hs);
	define_and_write(src, d, hs);
	t_random(ext, sizeof(ext));
	assert_int_equal(tpm(src, d, hs, c, pcr_extend(c, 16, ext), NULL, NULL), 0);
	assert_int_equal(tpm(src, d, hs, c, pcr_read(c, 16), r, &n), 0);
	memcpy(pcr_src, r + 30, 32);
	/* GET_STATEBLOB at the source: the volatile state in, then sealed */
	assert_int_equal(vreq(src, VMS_EP_VTPM_CONTROL, hs, 0,
			      VMS_VTPM_CTRL_STORE_VOLATILE, 0, NULL, 0, &a), 0);
	assert_int_equal(settle(src, d, hs, &a), 0);
	assert_int_equal(vreq(src, VMS_EP_VTPM_GET_STATE, hs, 0, 0, 0, NULL, 0, &a), 0);
	assert_null(memmem(a.data, a.data_len, nv_tag, sizeof(nv_tag)));
	memcpy(blob->blob, a.data, a.data_len);
	blob->len = a.data_len;
	blob->generation = a.generation;
	sealed_under(blob, next_id);

	/* the destination's enclave: KPS's migrate roll {TK', TK''} */
	assert_int_equal(load_rel(dst, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, tk_next,
				  next_id, tk_last, last_id, &hd), 0);
	/* refused, nothing changed: an older TK's state, another VM's */
	create_refused(dst, hd, old->blob, old->len, -EKEYREJECTED);
	assert_int_equal(load_rel(src, vm_b, VMS_KR_F_VTPM_IN_ENCLAVE, tk_next, next_id,
				  NULL, NULL, &hb), 0);
	create(src, stale, hb, false);
	create_refused(dst, hd, stale->blob, stale->len, -EKEYREJECTED);
	blob->blob[100] ^= 1;
	create_refused(dst, hd, blob->blob, blob->len, -EBADMSG);
	blob->blob[100] ^= 1;
	{
		/* what the ordinary SEAL of TK' makes is not a vTPM state */
		static const u8 plain[64] = "not a vTPM state";
		struct vms_ep_msg q = { .type = VMS_EP_SEAL, .data = plain,
					.data_len = sizeof(plain), .generation = 99 };
		u64 hp;
		u8 sealed[sizeof(plain) + VMS_SS_OVERHEAD];

		assert_int_equal(load_rel(src, t_vm_id, 0, tk_next, next_id, NULL, NULL,
					  &hp), 0);
		q.handle = hp;
		assert_int_equal(call(src, &q, &a), 0);
		memcpy(sealed, a.data, sizeof(sealed));
		create_refused(dst, hd, sealed, sizeof(sealed), -EBADMSG);
	}

	/* the migrated state opens and is sealed again under TK'' */
	*stale = *blob;
	create_rolled(dst, blob, hd, last_id);
	/* resumed as it ran (no Startup): the source's PCR and NV */
	assert_int_equal(tpm(dst, blob, hd, c, pcr_read(c, 16), r, &n), 0);
	assert_memory_equal(r + 30, pcr_src, 32);
	assert_nv_reads(dst, blob, hd, nv_tag);

	/* the migrated blob again (a replay at the destination): a rollback */
	assert_int_equal(vreq(dst, VMS_EP_VTPM_DESTROY, hd, 0, 0, 0, NULL, 0, &a), 0);
	create_refused(dst, hd, stale->blob, stale->len, -ESTALE);
	/* the source's key revoked when the migration completed */
	{
		struct vms_ep_msg q = { .type = VMS_EP_REVOKE, .handle = hs };

		assert_int_equal(call(src, &q, &a), 0);
		assert_int_equal(vreq(src, VMS_EP_VTPM_COMMAND, hs, 0, 0, 0, get_random8,
				      sizeof(get_random8), &a), -ENOKEY);
		assert_int_equal(vms_vtpm_pid(src->m, hs), 0);
	}
	/* a copy of version v (another key of TK') opens nothing sealed after */
	assert_int_equal(load_rel(src, t_vm_id, VMS_KR_F_VTPM_IN_ENCLAVE, tk_next,
				  next_id, NULL, NULL, &hc), 0);
	create_refused(src, hc, blob->blob, blob->len, -EKEYREJECTED);
	/* and the destination's stored state brings its vTPM back */
	create(dst, blob, hd, true);
	assert_nv_reads(dst, blob, hd, nv_tag);
	fix_free(dst);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vtpm_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_state_survives_recreate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_release_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_abuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_process_confined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_only_key_refuses_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_roll_reseals_in_enclave, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_migration_two_enclaves, setup,
						teardown),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
