// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test - a structured fuzzer for /dev/vmshield and the "vmshield" key
 * type, run in the rig. Random commands (the three real ones, their
 * numbers with other sizes and directions, unknown numbers), random
 * argument fields (flags, reserved, sizes around every boundary, key
 * serials of live, revoked, expired, unlinked, foreign-type keys and
 * garbage), and pointers into unmapped, read-only, half-mapped and
 * kernel-space memory; meanwhile other threads add, revoke, unlink and
 * let short-lived keys expire, and children forked mid-run (and a child
 * given the fd over a socket) call in as well.
 *
 * The answer to every call must be 0 or a documented errno (uapi.md);
 * anything else fails. The rig's "dmesg clean" check afterwards fails the
 * run on any oops, WARN, BUG or hung task. Calls: VMS_FUZZ_CALLS (default
 * 50000, about a minute under TCG); `make soak` runs 1000000.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define NKEYS	8

static struct {
	int fd;
	uint8_t pk[32];
	key_serial_t ring;
	atomic_int key[NKEYS];		/* key_serial_t values */
	key_serial_t user_key;
	uint8_t *ro, *unmapped, *half;	/* special pages */
	long page;
	atomic_int stop;
	atomic_long bad;		/* undocumented answers */
	atomic_long calls;
} g;

static const int documented[] = {
	0, EFAULT, EINVAL, EMSGSIZE, ENOSPC, ENOKEY, EACCES, EPERM,
	EKEYREJECTED, EKEYEXPIRED, EKEYREVOKED, EDQUOT, EILSEQ,
	EPROTONOSUPPORT, EBADMSG, ENOMEM, ENOTTY, EINTR, EBUSY,
};

static int is_documented(int e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(documented); i++)
		if (documented[i] == e)
			return 1;
	return 0;
}

static uint64_t rnd(unsigned int *seed)
{
	return ((uint64_t)rand_r(seed) << 32) ^ (uint64_t)rand_r(seed);
}

/* A pointer for an input or output of about @len bytes, often bad. */
static uint64_t pick_ptr(unsigned int *seed, uint8_t *good, size_t len)
{
	switch (rand_r(seed) % 10) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)g.unmapped;
	case 2:
		return (uintptr_t)g.ro;
	case 3:	/* the last bytes of a mapped page, then a hole */
		return (uintptr_t)g.half + (uint64_t)g.page -
		       (rand_r(seed) % 64);
	case 4:
		return 0xffffffff81000000ULL + (rnd(seed) & 0xfffff);
	case 5:
		return rnd(seed);
	default:
		(void)len;
		return (uintptr_t)good;
	}
}

static uint64_t pick_len(unsigned int *seed)
{
	static const uint64_t edge[] = {
		0, 1, 95, 96, 97, 4095, 4096, 4192, 65536,
		VMSHIELD_MAX_STATE_LEN, VMSHIELD_MAX_STATE_LEN + 1,
		VMSHIELD_MAX_STATE_LEN + 96, VMSHIELD_MAX_STATE_LEN + 97,
		UINT64_MAX, UINT64_MAX - 95, 1ULL << 32,
	};

	if (rand_r(seed) % 3)
		return rand_r(seed) % 8192;
	return edge[rand_r(seed) % ARRAY_SIZE(edge)];
}

static key_serial_t pick_key(unsigned int *seed)
{
	switch (rand_r(seed) % 8) {
	case 0:
		return g.user_key;
	case 1:
		return g.ring;
	case 2:
		return (key_serial_t)rnd(seed);
	case 3:
		return 0;
	default:
		return atomic_load(&g.key[rand_r(seed) % NKEYS]);
	}
}

/* One random ioctl; 0 or the errno it gave. */
static int one_call(int fd, unsigned int *seed, uint8_t *in, uint8_t *out,
		    size_t bufsz)
{
	static const unsigned long cmds[] = {
		VMSHIELD_IOC_GET_INFO, VMSHIELD_IOC_SEAL, VMSHIELD_IOC_UNSEAL,
		_IOWR(VMSHIELD_IOC_MAGIC, 0x01, struct vmshield_info),
		_IOR(VMSHIELD_IOC_MAGIC, 0x01, struct vmshield_seal),
		_IOW(VMSHIELD_IOC_MAGIC, 0x02, struct vmshield_seal),
		_IO(VMSHIELD_IOC_MAGIC, 0x00),
		_IOWR(VMSHIELD_IOC_MAGIC, 0x03, struct vmshield_seal),
		_IOWR(VMSHIELD_IOC_MAGIC, 0xff, __u64),
		_IOWR(0xAE, 0x01, struct vmshield_seal),
		VMSHIELD_IOC_RELEASE_CHALLENGE,	/* random bytes as the KPS key */
	};
	union {
		struct vmshield_info info;
		struct vmshield_seal seal;
		uint8_t raw[128];
	} a;
	unsigned long cmd;
	void *argp = &a;
	unsigned int r = (unsigned int)rand_r(seed);

	cmd = r % 16 < 12 ? cmds[r % 3] : cmds[r % ARRAY_SIZE(cmds)];
	if (!(r & 0x100))
		cmd = cmds[1 + (r >> 9) % 2];
	memset(&a, 0, sizeof(a));
	if (cmd == VMSHIELD_IOC_GET_INFO) {
		if (!(rand_r(seed) % 4))
			a.info.flags = 1u << (rand_r(seed) % 32);
		if (!(rand_r(seed) % 4))
			a.info.kps_pk[rand_r(seed) % 32] = (__u8)rnd(seed);
	} else {
		a.seal.key_serial = pick_key(seed);
		a.seal.generation = rnd(seed);
		a.seal.in_len = pick_len(seed);
		a.seal.out_len = pick_len(seed);
		a.seal.in_ptr = pick_ptr(seed, in, bufsz);
		a.seal.out_ptr = pick_ptr(seed, out, bufsz);
		if (a.seal.in_ptr == (uintptr_t)in && a.seal.in_len > bufsz)
			a.seal.in_len = bufsz;
		if (a.seal.out_ptr == (uintptr_t)out && a.seal.out_len > bufsz)
			a.seal.out_len = bufsz;
		if (!(rand_r(seed) % 16))
			a.seal.flags = 1u << (rand_r(seed) % 32);
		if (!(rand_r(seed) % 16))
			a.seal.reserved[rand_r(seed) % 2] = rnd(seed);
	}
	switch (rand_r(seed) % 16) {
	case 0:
		argp = NULL;
		break;
	case 1:
		argp = g.unmapped;
		break;
	case 2:	/* read-only: whatever it holds, nothing may be written */
		argp = g.ro;
		break;
	default:
		break;
	}
	atomic_fetch_add(&g.calls, 1);
	return ioctl(fd, cmd, argp) ? errno : 0;
}

static void *caller(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	long n = (long)(uintptr_t)arg >> 16;
	uint8_t *in = malloc(8192), *out = malloc(8192 + 96);
	long i;
	int e;

	vt_fill_pattern(in, 8192, seed);
	for (i = 0; i < n && !atomic_load(&g.stop); i++) {
		e = one_call(g.fd, &seed, in, out, 8192);
		if (!is_documented(e) && atomic_fetch_add(&g.bad, 1) < 5)
			fprintf(stderr, "# undocumented errno %d (%s)\n", e,
				strerror(e));
	}
	free(in);
	free(out);
	return NULL;
}

/* Keys come and go: fresh adds, revoke, unlink, 1-second lifetimes. */
static void *churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	struct vt_release rel;
	struct vt_vm vm;
	long k;

	while (!atomic_load(&g.stop)) {
		unsigned int i = (unsigned int)rand_r(&seed) % NKEYS;
		key_serial_t old = atomic_load(&g.key[i]);

		switch (rand_r(&seed) % 4) {
		case 0:
			keyctl_revoke(old);
			break;
		case 1:
			keyctl_unlink(old, g.ring);
			break;
		default:
			break;
		}
		vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED,
			  rand_r(&seed) % 2 ? 1 : 3600);
		if (vt_release_build(&vm, g.pk, NULL, 0, &rel))
			continue;
		k = vt_add(vm.desc, &rel, g.ring);
		if (k > 0)
			atomic_store(&g.key[i], (key_serial_t)k);
		/* a replay of it: refused, never a second key */
		if (k > 0 && vt_add(vm.desc, &rel, g.ring) != -EALREADY)
			atomic_fetch_add(&g.bad, 1);
		usleep(2000);
	}
	return NULL;
}

/* A child that got the device's fd over a socket calls in too. */
static pid_t passed_fd_child(long calls, unsigned int seed)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		uint8_t in[512], out[608];
		long i;
		int fd, bad = 0;

		close(sv[0]);
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(2);
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(3);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		for (i = 0; i < calls; i++)
			bad += !is_documented(one_call(fd, &seed, in, out,
						       sizeof(in)));
		_exit(bad ? 1 : 0);
	}
	close(sv[1]);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &g.fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		pid = -1;
	close(sv[0]);
	return pid;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	long r;
	int i;

	g.page = sysconf(_SC_PAGESIZE);
	g.fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(g.fd, 0);
	ASSERT_EQ(0, vt_enclave_pk(g.fd, g.pk));
	r = vt_new_ring("vmshield-fuzz");
	ASSERT_GT(r, 0);
	g.ring = (key_serial_t)r;
	g.user_key = add_key("user", "vmshield-fuzz-user", "x", 1, g.ring);
	ASSERT_GT(g.user_key, 0);
	for (i = 0; i < NKEYS; i++) {
		struct vt_release rel;
		struct vt_vm vm;

		vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
		ASSERT_EQ(0, vt_release_build(&vm, g.pk, NULL, 0, &rel));
		r = vt_add(vm.desc, &rel, g.ring);
		ASSERT_GT(r, 0);
		atomic_store(&g.key[i], (key_serial_t)r);
	}
	/* three pages: read-only, unmapped, and mapped-then-hole */
	g.ro = mmap(NULL, 4 * g.page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g.ro);
	memset(g.ro, 0x41, 4 * g.page);
	ASSERT_EQ(0, mprotect(g.ro, g.page, PROT_READ));
	g.unmapped = g.ro + g.page;
	ASSERT_EQ(0, munmap(g.unmapped, g.page));
	g.half = g.ro + 2 * g.page;
	ASSERT_EQ(0, munmap(g.half + g.page, g.page));
}

FIXTURE_TEARDOWN(fuzz)
{
	keyctl_clear(g.ring);
	close(g.fd);
}

TEST_F_TIMEOUT(fuzz, random_calls_get_documented_answers, 3600)
{
	const char *env = getenv("VMS_FUZZ_CALLS");
	long total = env ? atol(env) : 50000, per, done;
	pthread_t callers[3], churner;
	pid_t kids[2];
	int i, st;

	ASSERT_GT(total, 0);
	per = total / 4;
	ASSERT_EQ(0, pthread_create(&churner, NULL, churn, (void *)1));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&callers[i], NULL, caller,
					    (void *)(uintptr_t)((per << 16) |
								(i + 7))));
	/* a forked child with the inherited fd, one with a passed fd */
	kids[0] = fork();
	if (kids[0] == 0) {
		uint8_t in[512], out[608];
		unsigned int seed = 99;
		long n;
		int bad = 0;

		for (n = 0; n < per / 2; n++)
			bad += !is_documented(one_call(g.fd, &seed, in, out,
						       sizeof(in)));
		_exit(bad ? 1 : 0);
	}
	ASSERT_GT(kids[0], 0);
	kids[1] = passed_fd_child(per / 2, 1234);
	ASSERT_GT(kids[1], 0);
	for (i = 0; i < 3; i++)
		pthread_join(callers[i], NULL);
	atomic_store(&g.stop, 1);
	pthread_join(churner, NULL);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("child %d: status %#x", i, st);
	}
	done = atomic_load(&g.calls);
	EXPECT_EQ(0, atomic_load(&g.bad));
	EXPECT_GE(done + per, total) TH_LOG("only %ld calls", done);
	TH_LOG("%ld calls in this process, %ld in children", done, per);
	/* the module still serves */
	EXPECT_EQ(0, vt_enclave_pk(g.fd, g.pk));
}

TEST_HARNESS_MAIN
