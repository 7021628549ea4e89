// SPDX-License-Identifier: GPL-2.0
/*
 * concurrency_test - 8 threads for 30 s (VMS_STRESS_SECONDS overrides) on
 * shared and per-thread keys: SEAL/UNSEAL (sizes up to 1 MiB), unseal of
 * userspace and of tampered blobs, revoke and re-add, invalidate, add
 * (replace), closing and reopening the device (also a shared fd that is
 * swapped under the other threads), GET_INFO, and reading /proc/keys
 * (which runs the key type's describe under a spinlock while seals hold
 * the key's lock).
 *
 * Every call must succeed or fail with an errno that the race it is in
 * explains; the list is per operation, below. The rig fails the run on
 * any oops, BUG, WARNING or lockdep report in the kernel log; the test
 * also looks at the log itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define NTHREADS	8
#define NSHARED		2
#define US_LEN		1024

enum op {
	OP_SEAL_OWN_FD, OP_SEAL_SHARED_FD, OP_UNSEAL_USERSPACE,
	OP_UNSEAL_TAMPERED, OP_REVOKE_SHARED, OP_OWN_KEY_CYCLE,
	OP_INVALIDATE_OWN, OP_CLOSE_REOPEN, OP_SWAP_SHARED_FD,
	OP_PROC_KEYS, OP_GET_INFO, OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"seal+unseal (own fd, shared key)", "seal+unseal (shared fd)",
	"unseal userspace blob", "unseal tampered blob",
	"revoke+re-add shared key", "add/seal/revoke own key",
	"invalidate own key", "close+reopen fd", "swap shared fd",
	"read /proc/keys", "GET_INFO",
};

static struct {
	uint8_t pk[32];
	key_serial_t ring;
	struct vt_vm vm[NSHARED];
	struct vt_release rel[NSHARED];
	atomic_int key[NSHARED];	/* key_serial_t */
	uint8_t us_blob[NSHARED][US_LEN + 96];
	uint8_t us_pt[US_LEN];
	atomic_int shared_fd;
	atomic_bool stop;
	atomic_ulong ok[OP_COUNT], refused[OP_COUNT], unexpected;
	pthread_mutex_t msg_lock;
	char first_bad[256];
} g;

static void bad(enum op op, const char *what, int err)
{
	if (atomic_fetch_add(&g.unexpected, 1) == 0) {
		pthread_mutex_lock(&g.msg_lock);
		snprintf(g.first_bad, sizeof(g.first_bad), "%s: %s: %s",
			 op_name[op], what, err ? strerror(err) : "wrong data");
		pthread_mutex_unlock(&g.msg_lock);
	}
}

/* @ret is 0 or -errno; @allowed lists the errnos this race may give. */
static void account(enum op op, const char *what, int ret,
		    const int *allowed, unsigned int n)
{
	unsigned int i;

	if (!ret) {
		atomic_fetch_add(&g.ok[op], 1);
		return;
	}
	for (i = 0; i < n; i++) {
		if (-ret == allowed[i]) {
			atomic_fetch_add(&g.refused[op], 1);
			return;
		}
	}
	bad(op, what, -ret);
}

/*
 * A shared key may be revoked (EKEYREVOKED), or replaced by another
 * thread's add: then it is unlinked, so no longer possessed, and without
 * User Read that is EACCES until it is destroyed (ENOKEY).
 */
static const int key_races[] = { EKEYREVOKED, ENOKEY, EACCES };
#define N_KEY_RACES 3
/* ... and the shared fd may be closed, its number reused by any file */
static const int fd_races[] = { EKEYREVOKED, ENOKEY, EACCES, EBADF, ENOTTY };

struct worker {
	int id;
	unsigned int seed;
	int fd;
	struct vt_vm vm;
	struct vt_release rel;
	key_serial_t own;
	bool own_revoked;	/* by this thread: nobody else touches it */
	uint8_t *pt, *blob, *back;
};

static size_t pick_size(struct worker *w)
{
	unsigned int r = (unsigned int)rand_r(&w->seed);

	if (r % 32 == 0)
		return 1u << 20;
	return r % 65537;
}

static int seal_unseal(struct worker *w, int fd, key_serial_t k)
{
	size_t len = pick_size(w), n = len + 96, m = len;
	uint64_t gen = 0;
	int ret;

	ret = vt_seal(fd, k, (uint64_t)w->id, w->pt, len, w->blob, &n);
	if (!ret)
		ret = vt_unseal(fd, k, w->blob, n, w->back, &m, &gen);
	if (!ret && (m != len || gen != (uint64_t)w->id ||
		     memcmp(w->pt, w->back, len)))
		ret = -EBADE;
	return ret;
}

/* A fresh release of @vm's TK: the module opens each release once. */
static long add_fresh(const struct vt_vm *vm, struct vt_release *rel)
{
	int ret = vt_release_build(vm, g.pk, NULL, 0, rel);

	return ret ? ret : vt_add(vm->desc, rel, g.ring);
}

static long add_own(struct worker *w)
{
	long k = add_fresh(&w->vm, &w->rel);

	if (k > 0) {
		w->own = (key_serial_t)k;
		w->own_revoked = false;
	}
	return k;
}

static void one_op(struct worker *w, enum op op)
{
	unsigned int i = (unsigned int)rand_r(&w->seed) % NSHARED;
	key_serial_t k = atomic_load(&g.key[i]);
	uint8_t tampered[US_LEN + 96];
	struct vmshield_info info;
	size_t m = US_LEN;
	char line[1024];
	long nk;
	int ret, fd;
	FILE *f;

	switch (op) {
	case OP_SEAL_OWN_FD:
		ret = seal_unseal(w, w->fd, k);
		account(op, "shared key", ret, key_races, N_KEY_RACES);
		break;
	case OP_SEAL_SHARED_FD:
		fd = atomic_load(&g.shared_fd);
		ret = seal_unseal(w, fd, k);
		account(op, "shared fd", ret, fd_races, 5);
		break;
	case OP_UNSEAL_USERSPACE:
		ret = vt_unseal(w->fd, k, g.us_blob[i], US_LEN + 96, w->back,
				&m, NULL);
		if (!ret && (m != US_LEN || memcmp(w->back, g.us_pt, US_LEN)))
			ret = -EBADE;
		account(op, "userspace blob", ret, key_races, N_KEY_RACES);
		break;
	case OP_UNSEAL_TAMPERED:
		/* the right answer here is EBADMSG */
		memcpy(tampered, g.us_blob[i], sizeof(tampered));
		tampered[80 + (unsigned int)rand_r(&w->seed) % (US_LEN + 16)] ^= 1;
		ret = vt_unseal(w->fd, k, tampered, sizeof(tampered), w->back,
				&m, NULL);
		account(op, "tampered", ret == -EBADMSG ? 0 : ret ? ret : -EBADE,
			key_races, N_KEY_RACES);
		break;
	case OP_REVOKE_SHARED: {
		struct vt_release rel;

		ret = keyctl_revoke(k) ? -errno : 0;
		account(op, "revoke", ret, key_races, N_KEY_RACES);
		nk = add_fresh(&g.vm[i], &rel);
		if (nk > 0)
			atomic_store(&g.key[i], (key_serial_t)nk);
		account(op, "re-add", nk > 0 ? 0 : (int)nk, NULL, 0);
		break;
	}
	case OP_OWN_KEY_CYCLE: {
		static const int revoked[] = { EKEYREVOKED };

		/* nobody else touches our key: exact answers */
		nk = add_own(w);
		account(op, "add", nk > 0 ? 0 : (int)nk, NULL, 0);
		ret = seal_unseal(w, w->fd, w->own);
		account(op, "seal with own key", ret, NULL, 0);
		if (rand_r(&w->seed) % 2) {
			ret = keyctl_revoke(w->own) ? -errno : 0;
			account(op, "revoke own", ret, NULL, 0);
			w->own_revoked = true;
			ret = seal_unseal(w, w->fd, w->own);
			account(op, "seal after revoke", ret ? ret : -EBADE,
				revoked, 1);
		}
		break;
	}
	case OP_INVALIDATE_OWN: {
		static const int gone[] = { ENOKEY };
		static const int dead[] = { EKEYREVOKED, ENOKEY, EACCES };

		ret = keyctl_invalidate(w->own) ? -errno : 0;
		if (w->own_revoked) {
			/* revoked first: either refusal is right */
			account(op, "invalidate revoked", ret, dead, 3);
			ret = seal_unseal(w, w->fd, w->own);
			account(op, "seal with revoked", ret ? ret : -EBADE,
				dead, 2);
		} else {
			account(op, "invalidate", ret, NULL, 0);
			ret = seal_unseal(w, w->fd, w->own);
			account(op, "seal after invalidate", ret ? ret : -EBADE,
				gone, 1);
		}
		nk = add_own(w);
		account(op, "re-add", nk > 0 ? 0 : (int)nk, NULL, 0);
		break;
	}
	case OP_CLOSE_REOPEN:
		close(w->fd);
		w->fd = vt_open_dev();
		account(op, "reopen", w->fd < 0 ? w->fd : 0, NULL, 0);
		break;
	case OP_SWAP_SHARED_FD:
		fd = vt_open_dev();
		account(op, "open", fd < 0 ? fd : 0, NULL, 0);
		if (fd >= 0)
			close(atomic_exchange(&g.shared_fd, fd));
		break;
	case OP_PROC_KEYS:
		f = fopen("/proc/keys", "r");
		ret = f ? 0 : -errno;
		while (f && fgets(line, sizeof(line), f))
			;
		if (f)
			fclose(f);
		account(op, "read", ret, NULL, 0);
		break;
	case OP_GET_INFO:
		fd = (rand_r(&w->seed) % 2) ? w->fd : atomic_load(&g.shared_fd);
		memset(&info, 0, sizeof(info));
		ret = ioctl(fd, VMSHIELD_IOC_GET_INFO, &info) ? -errno : 0;
		if (!ret && memcmp(info.enclave_pk, g.pk, 32))
			ret = -EBADE;
		account(op, "get_info", ret, fd_races + 3, 2);
		break;
	default:
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&g.stop))
		one_op(w, (enum op)((unsigned int)rand_r(&w->seed) % OP_COUNT));
	return NULL;
}

FIXTURE(stress) {
	struct worker w[NTHREADS];
};

FIXTURE_SETUP(stress)
{
	int fd, i;
	long r;

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.msg_lock, NULL);
	fd = vt_open_dev();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vt_enclave_pk(fd, g.pk));
	atomic_store(&g.shared_fd, fd);
	r = vt_new_ring("vmshield-stress");
	ASSERT_GT(r, 0);
	g.ring = (key_serial_t)r;
	vt_fill_pattern(g.us_pt, US_LEN, 5);
	for (i = 0; i < NSHARED; i++) {
		vt_vm_new(&g.vm[i], VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
		ASSERT_EQ(0, vt_release_build(&g.vm[i], g.pk, NULL, 0,
					      &g.rel[i]));
		r = vt_add(g.vm[i].desc, &g.rel[i], g.ring);
		ASSERT_GT(r, 0);
		atomic_store(&g.key[i], (key_serial_t)r);
		ASSERT_EQ(0, vt_us_seal(&g.vm[i], 1, g.us_pt, US_LEN,
					g.us_blob[i], US_LEN + 96));
	}
	for (i = 0; i < NTHREADS; i++) {
		struct worker *w = &self->w[i];

		w->id = i;
		w->seed = (unsigned int)time(NULL) * 31u + (unsigned int)i;
		w->fd = vt_open_dev();
		ASSERT_GE(w->fd, 0);
		vt_vm_new(&w->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
		ASSERT_EQ(0, vt_release_build(&w->vm, g.pk, NULL, 0, &w->rel));
		ASSERT_GT(add_own(w), 0);
		w->pt = malloc((1u << 20) + 96);
		w->blob = malloc((1u << 20) + 96);
		w->back = malloc((1u << 20) + 96);
		ASSERT_TRUE(w->pt && w->blob && w->back);
		vt_fill_pattern(w->pt, 1u << 20, (unsigned int)i);
	}
}

FIXTURE_TEARDOWN(stress)
{
	keyctl_clear(g.ring);
}

/* the harness kills a test past its timeout: room for make soak's 600 s */
TEST_F_TIMEOUT(stress, eight_threads_race_every_operation, 3600)
{
	const char *env = getenv("VMS_STRESS_SECONDS");
	int seconds = env ? atoi(env) : 30;
	pthread_t t[NTHREADS];
	unsigned long total_ok = 0;
	char *log, *p;
	int i;

	if (seconds <= 0)
		seconds = 30;
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_main,
					    &self->w[i]));
	sleep((unsigned int)seconds);
	atomic_store(&g.stop, true);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));

	for (i = 0; i < OP_COUNT; i++) {
		ksft_print_msg("%-34s ok %6lu  refused (race) %6lu\n",
			       op_name[i], atomic_load(&g.ok[i]),
			       atomic_load(&g.refused[i]));
		total_ok += atomic_load(&g.ok[i]);
	}
	fflush(stdout);	/* the harness child leaves with _exit() */
	EXPECT_EQ(0, atomic_load(&g.unexpected))
		TH_LOG("%lu unexpected results, first: %s",
		       atomic_load(&g.unexpected), g.first_bad);
	/* every kind of operation got through at least once */
	for (i = 0; i < OP_COUNT; i++) {
		const char *name = op_name[i] ? op_name[i] : "?";

		EXPECT_GT(atomic_load(&g.ok[i]), 0) TH_LOG("never ok: %s", name);
	}
	EXPECT_GT(total_ok, 100);

	/* afterwards every key still works (shared ones re-added if revoked) */
	for (i = 0; i < NSHARED; i++) {
		long k = add_fresh(&g.vm[i], &g.rel[i]);

		ASSERT_GT(k, 0);
		EXPECT_EQ(0, seal_unseal(&self->w[0], self->w[0].fd,
					 (key_serial_t)k));
	}
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_GT(add_own(&self->w[i]), 0);
		EXPECT_EQ(0, seal_unseal(&self->w[i], self->w[i].fd,
					 self->w[i].own));
	}

	/* and the kernel said nothing bad */
	log = vt_dmesg();
	ASSERT_NE(NULL, log);
	for (p = strtok(log, "\n"); p; p = strtok(NULL, "\n")) {
		const char *line = p ? p : "";
		bool bad_line = strstr(line, "BUG:") || strstr(line, "WARNING:") ||
				strstr(line, "Oops") || strstr(line, "lockdep") ||
				strstr(line, "circular locking");

		EXPECT_FALSE(bad_line) TH_LOG("kernel: %s", line);
	}
	free(log);
}

TEST_HARNESS_MAIN
