// SPDX-License-Identifier: GPL-2.0
/*
 * abuse_test - what host root found by abusing the UAPI (issue 16), each
 * a case that once succeeded and must now be refused with nothing changed:
 *
 *  - a read-only argument struct: SEAL/UNSEAL fail with EFAULT before any
 *    work (no output written, no nonce spent, seal counter unmoved);
 *  - a SEAL parked on a userfaultfd page (input or output) does not hold
 *    up `keyctl revoke` of its key, and then gets EKEYREVOKED;
 *  - errno order: a tampered shielded release on a kernel-open host is
 *    EKEYREJECTED (policy before decryption), a `user` key without Read
 *    is EINVAL (type before permission);
 *  - replays: a release opens once per load, whether its key is live,
 *    revoked, expired or unlinked (EALREADY).
 *
 * and what issue 17 found (release format v2), from the attacker's side:
 *
 *  - a release built by someone who knows only the enclave's public key
 *    (and KPS's): EPERM under their own key, EBADMSG naming KPS's;
 *  - the enclave's KPS key is set once: another one gets EPERM;
 *  - a release for a challenge the enclave never issued: ESTALE;
 *  - a release added after its absolute expiry (challenge time +
 *    lifetime): EKEYEXPIRED; each with no key made. (A challenge older
 *    than 300 s, ETIME, is tested on a fake clock: test_challenge,
 *    test_enclave.)
 *
 * Runs on an unlocked (kernel-open) host, after keys_test.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define LIFETIME 3600

FIXTURE(abuse) {
	int fd;
	struct vmshield_info info;
	key_serial_t ring;
	struct vt_vm vm;
	struct vt_release rel;
	key_serial_t key;
};

FIXTURE_SETUP(abuse)
{
	long r;

	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", VMSHIELD_DEV,
				      strerror(errno));
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	r = vt_new_ring("vmshield-abuse-test");
	ASSERT_GT(r, 0) TH_LOG("new keyring: %s", strerror((int)-r));
	self->ring = (key_serial_t)r;
	vt_vm_new(&self->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL,
				      0, &self->rel));
	r = vt_add(self->vm.desc, &self->rel, self->ring);
	ASSERT_GT(r, 0) TH_LOG("add_key: %s", strerror((int)-r));
	self->key = (key_serial_t)r;
}

FIXTURE_TEARDOWN(abuse)
{
	if (self->ring > 0)
		keyctl_clear(self->ring);
	close(self->fd);
}

static bool all_byte(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A SEAL/UNSEAL argument on its own page, made read-only. */
static struct vmshield_seal *ro_arg(const struct vmshield_seal *a)
{
	void *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, a, sizeof(*a));
	if (mprotect(p, page_size(), PROT_READ)) {
		munmap(p, page_size());
		return NULL;
	}
	return p;
}

TEST_F(abuse, read_only_seal_argument_is_efault_with_nothing_done)
{
	uint8_t pt[64], out[64 + 96];
	struct vmshield_seal a = { 0 }, *ro;
	uint64_t seals0, seals1;
	unsigned int fails;

	vt_fill_pattern(pt, sizeof(pt), 3);
	memset(out, 0xa5, sizeof(out));
	ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &fails));
	a.key_serial = self->key;
	a.generation = 7;
	a.in_ptr = (uintptr_t)pt;
	a.in_len = sizeof(pt);
	a.out_ptr = (uintptr_t)out;
	a.out_len = sizeof(out);
	ro = ro_arg(&a);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_SEAL, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5))
		TH_LOG("the output was written before the EFAULT");
	ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &fails));
	EXPECT_EQ(seals0, seals1) TH_LOG("a nonce was spent for an EFAULT");
	munmap(ro, page_size());
}

TEST_F(abuse, read_only_unseal_argument_is_efault_with_nothing_written)
{
	uint8_t pt[64], blob[64 + 96], out[64];
	struct vmshield_seal a = { 0 }, *ro;
	size_t n = sizeof(blob);

	vt_fill_pattern(pt, sizeof(pt), 4);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			     &n));
	memset(out, 0xa5, sizeof(out));
	a.key_serial = self->key;
	a.in_ptr = (uintptr_t)blob;
	a.in_len = n;
	a.out_ptr = (uintptr_t)out;
	a.out_len = sizeof(out);
	ro = ro_arg(&a);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_UNSEAL, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5))
		TH_LOG("plaintext was written before the EFAULT");
	munmap(ro, page_size());
}

/* A page range registered with userfaultfd: touching it waits for us. */
struct uffd_area {
	int uffd;
	uint8_t *p;
	size_t len;
};

static int uffd_area_new(struct uffd_area *u, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };

	u->len = len;
	u->uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->uffd < 0)
		return -errno;
	if (ioctl(u->uffd, UFFDIO_API, &api))
		return -errno;
	u->p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->p == MAP_FAILED)
		return -errno;
	reg.range.start = (uintptr_t)u->p;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* Wait up to @ms for a fault on the area: 1 if one is pending, else 0. */
static int uffd_wait_fault(struct uffd_area *u, int ms)
{
	struct pollfd pfd = { .fd = u->uffd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* Map zero pages over the whole area: every waiting fault resolves. */
static void uffd_resolve(struct uffd_area *u)
{
	struct uffdio_zeropage z = { 0 };
	struct uffd_msg msg;

	while (read(u->uffd, &msg, sizeof(msg)) == sizeof(msg))
		;
	z.range.start = (uintptr_t)u->p;
	z.range.len = u->len;
	ioctl(u->uffd, UFFDIO_ZEROPAGE, &z);
}

static void uffd_area_free(struct uffd_area *u)
{
	if (u->p && u->p != MAP_FAILED)
		munmap(u->p, u->len);
	if (u->uffd >= 0)
		close(u->uffd);
}

struct parked_seal {
	int fd;
	key_serial_t key;
	void *in, *out;
	size_t inlen, outlen;
	int ret;
};

static void *parked_seal_run(void *arg)
{
	struct parked_seal *s = arg;

	s->ret = vt_seal(s->fd, s->key, 1, s->in, s->inlen, s->out,
			 &s->outlen);
	return NULL;
}

struct revoker {
	key_serial_t key;
	volatile int done;
	int ret;
};

static void *revoker_run(void *arg)
{
	struct revoker *r = arg;

	r->ret = keyctl_revoke(r->key) ? -errno : 0;
	r->done = 1;
	return NULL;
}

/*
 * Park a SEAL on a userfaultfd page (@on_input: its input, else its
 * output), revoke the key meanwhile: the revoke must finish while the
 * SEAL is still parked; the SEAL then fails with EKEYREVOKED.
 */
static void park_and_revoke(struct __test_metadata *_metadata, int fd,
			    key_serial_t key, bool on_input)
{
	struct uffd_area u = { .uffd = -1 };
	struct parked_seal s = { 0 };
	struct revoker r = { 0 };
	static uint8_t pt[4096], out[4096 + 96];
	pthread_t ts, tr;
	int i, ret;

	ret = uffd_area_new(&u, 2 * page_size());
	if (ret == -EPERM)
		SKIP(return, "userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("userfaultfd: %s", strerror(-ret));
	s.fd = fd;
	s.key = key;
	s.inlen = sizeof(pt);
	s.in = on_input ? (void *)u.p : (void *)pt;
	s.out = on_input ? (void *)out : (void *)u.p;
	s.outlen = on_input ? sizeof(out) : u.len;
	ASSERT_EQ(0, pthread_create(&ts, NULL, parked_seal_run, &s));
	ASSERT_EQ(1, uffd_wait_fault(&u, 5000))
		TH_LOG("the SEAL never touched the userfaultfd page");

	r.key = key;
	ASSERT_EQ(0, pthread_create(&tr, NULL, revoker_run, &r));
	for (i = 0; i < 300 && !r.done; i++)
		usleep(10000);
	EXPECT_TRUE(r.done) TH_LOG("keyctl revoke waited for a parked SEAL");
	/* let the SEAL go on, in any case, so both threads end */
	uffd_resolve(&u);
	pthread_join(tr, NULL);
	pthread_join(ts, NULL);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(-EKEYREVOKED, s.ret) TH_LOG("parked SEAL: %s",
					      strerror(-s.ret));
	uffd_area_free(&u);
}

TEST_F(abuse, seal_parked_on_input_page_does_not_block_revoke)
{
	park_and_revoke(_metadata, self->fd, self->key, true);
}

TEST_F(abuse, seal_parked_on_output_page_does_not_block_revoke)
{
	park_and_revoke(_metadata, self->fd, self->key, false);
}

TEST_F(abuse, tampered_shielded_release_on_open_host_is_ekeyrejected)
{
	uint8_t digest[32];
	struct vt_vm vm;
	struct vt_release rel;
	size_t offs[] = { 84, 204, 204 + 32, 204 + 32 + 47 };
	unsigned int i;
	long r;

	if (self->info.isolation_level != VMSHIELD_ISOLATION_KERNEL_OPEN)
		SKIP(return, "host is not kernel-open");
	ASSERT_EQ(0, vt_sha256_file("/proc/self/exe", digest));
	vt_vm_new(&vm, VMS_KR_POLICY_SHIELDED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, digest, 1,
				      &rel));
	/* enc, the digest, the ciphertext, the tag: policy comes first */
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		struct vt_release bad = rel;

		bad.blob[offs[i]] ^= 0x01;
		r = vt_add(vm.desc, &bad, self->ring);
		EXPECT_EQ(-EKEYREJECTED, r) TH_LOG("byte %zu: %s", offs[i],
						   strerror((int)-r));
	}
	EXPECT_EQ(-1, keyctl_search(self->ring, "vmshield", vm.desc, 0));
}

TEST_F(abuse, user_key_without_read_is_einval_not_eacces)
{
	uint8_t pt[16] = { 1 }, out[256];
	size_t n = sizeof(out);
	key_serial_t user;

	user = add_key("user", "vmshield-abuse-user", "secret", 6, self->ring);
	ASSERT_GT(user, 0);
	/* possessor and user may view it, nobody may read it */
	ASSERT_EQ(0, keyctl_setperm(user, KEY_POS_VIEW | KEY_POS_SETATTR |
				    KEY_USR_VIEW));
	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(-EINVAL, vt_seal(self->fd, user, 1, pt, sizeof(pt), out,
				   &n));
	EXPECT_EQ(sizeof(out), n);
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	/* a vmshield key without Read stays EACCES */
	ASSERT_EQ(0, keyctl_setperm(self->key, KEY_POS_VIEW | KEY_POS_SETATTR |
				    KEY_USR_VIEW));
	EXPECT_EQ(-EACCES, vt_seal(self->fd, self->key, 1, pt, sizeof(pt),
				   out, &n));
}

TEST_F(abuse, release_of_a_live_key_opens_once)
{
	EXPECT_EQ(-EALREADY, vt_add(self->vm.desc, &self->rel, self->ring));
	/* into another keyring too */
	EXPECT_EQ(-EALREADY, vt_add(self->vm.desc, &self->rel,
				    KEY_SPEC_PROCESS_KEYRING));
}

TEST_F(abuse, revoked_key_stays_revoked)
{
	uint8_t pt[16] = { 1 }, out[16 + 96];
	size_t n = sizeof(out);
	long r;

	ASSERT_EQ(0, keyctl_revoke(self->key));
	ASSERT_EQ(0, keyctl_unlink(self->key, self->ring));
	r = vt_add(self->vm.desc, &self->rel, self->ring);
	EXPECT_EQ(-EALREADY, r) TH_LOG("revoked release added again: %s",
				       r > 0 ? "a working key" :
				       strerror((int)-r));
	if (r > 0)
		EXPECT_EQ(-EKEYREVOKED, vt_seal(self->fd, (key_serial_t)r, 1,
						pt, sizeof(pt), out, &n));
	EXPECT_EQ(-1, keyctl_search(self->ring, "vmshield", self->vm.desc, 0));
}

TEST_F(abuse, expired_key_release_gives_no_fresh_key)
{
	uint8_t pt[16] = { 1 }, out[16 + 96];
	size_t n = sizeof(out);
	struct vt_vm vm;
	struct vt_release rel;
	uint64_t t0;
	long key, r;

	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 1);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	t0 = vt_boot_ms();
	key = vt_add(vm.desc, &rel, self->ring);
	ASSERT_GT(key, 0);
	while (vt_boot_ms() < t0 + 1300)
		usleep(50000);
	EXPECT_EQ(-EKEYEXPIRED, vt_seal(self->fd, (key_serial_t)key, 1, pt,
					sizeof(pt), out, &n));
	keyctl_unlink((key_serial_t)key, self->ring);
	r = vt_add(vm.desc, &rel, self->ring);
	EXPECT_EQ(-EALREADY, r) TH_LOG("expired release added again: %s",
				       r > 0 ? "a fresh key" :
				       strerror((int)-r));
}

TEST_F(abuse, release_the_keyring_refused_can_still_be_added)
{
	struct vt_vm vm;
	struct vt_release rel;
	key_serial_t closed;
	long r;

	/*
	 * A keyring that refuses every link turns the key down after the
	 * release was opened (preparse) and before it became a key: the
	 * release must not count as opened.
	 */
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	closed = add_key("keyring", "vmshield-abuse-closed", NULL, 0,
			 self->ring);
	ASSERT_GT(closed, 0);
	ASSERT_EQ(0, keyctl_restrict_keyring(closed, NULL, NULL));
	EXPECT_EQ(-EPERM, vt_add(vm.desc, &rel, closed));
	r = vt_add(vm.desc, &rel, self->ring);
	EXPECT_GT(r, 0) TH_LOG("add after a refusal: %s", strerror((int)-r));
	/* and now it has been opened */
	EXPECT_EQ(-EALREADY, vt_add(vm.desc, &rel, self->ring));
}

/* No key of @desc in the test's keyring. */
static bool no_key(key_serial_t ring, const char *desc)
{
	return keyctl_search(ring, "vmshield", desc, 0) == -1;
}

TEST_F(abuse, forged_release_refused)
{
	uint8_t forger[32], kps_pk[32];
	struct vt_vm vm;
	struct vt_release rel;

	vt_random(forger, sizeof(forger));
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build_from(&vm, self->info.enclave_pk, forger,
					   NULL, 0, &rel));
	EXPECT_EQ(-EPERM, vt_add(vm.desc, &rel, self->ring));
	/* naming KPS's key does not help: auth mode needs its secret */
	ASSERT_EQ(0, vms_prim_x25519_base(kps_pk, vt_kps_sk));
	memcpy(rel.blob + 116, kps_pk, 32);
	EXPECT_EQ(-EBADMSG, vt_add(vm.desc, &rel, self->ring));
	EXPECT_TRUE(no_key(self->ring, vm.desc));
}

TEST_F(abuse, kps_key_is_set_once)
{
	uint8_t other[32], c[32];
	uint64_t ns = 0;

	vt_random(other, sizeof(other));
	EXPECT_EQ(-EPERM, vt_challenge(other, c, &ns));
	/* the accepted key still gets challenges */
	EXPECT_EQ(0, vt_challenge(vt_kps_sk, c, &ns));
	EXPECT_NE(0, ns);
}

TEST_F(abuse, release_for_unissued_challenge_refused)
{
	struct vt_vm vm;
	struct vt_release rel;

	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	rel.blob[148] ^= 1;	/* a challenge this enclave never issued */
	EXPECT_EQ(-ESTALE, vt_add(vm.desc, &rel, self->ring));
	EXPECT_TRUE(no_key(self->ring, vm.desc));
	/* the untouched release still loads: its challenge is pending */
	rel.blob[148] ^= 1;
	EXPECT_GT(vt_add(vm.desc, &rel, self->ring), 0);
}

TEST_F(abuse, release_past_its_expiry_refused)
{
	struct vt_vm vm;
	struct vt_release rel;
	uint64_t t0;

	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 1);
	t0 = vt_boot_ms();
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	while (vt_boot_ms() < t0 + 1300)
		usleep(50000);
	/* its lifetime ran from the challenge, not from the add */
	EXPECT_EQ(-EKEYEXPIRED, vt_add(vm.desc, &rel, self->ring));
	EXPECT_TRUE(no_key(self->ring, vm.desc));
}

TEST_HARNESS_MAIN
