// SPDX-License-Identifier: GPL-2.0
/*
 * bench_image - what the worker identity check costs per call: SEAL of
 * 64 B and 4 KiB under a shielded key (the module walks the caller's
 * executable mappings and looks up each file's IMA digest in the
 * release) against the same SEAL under an encryption-supported key (no
 * identity check), in the same process and guest, as a ratio.
 *
 * Raises lockdown to confidentiality first (shielded keys need
 * kernel-locked), so run it last in its guest:
 *   selftests/vm/run $PWD/build/selftests/bench_image
 * BENCH_ROUNDS (default 7) rounds alternate the two keys; each round is
 * BENCH_CALLS (default 400) SEALs per key. Output: "# bench:" lines with
 * the microseconds per call and the median per-round ratio. Not a test
 * (not in TESTS).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "common.h"
#include "vmstest.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define IMAGE_MAX	64
#define ROUNDS_MAX	31

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The digests of every file this process maps executable: their count. */
static int self_image(uint8_t (*d)[32])
{
	char line[4096], perms[8], path[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, i;
	uint8_t x[32];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%*s %7s %*s %*s %*s %4095s", perms, path) < 1 ||
		    perms[2] != 'x' || path[0] != '/')
			continue;
		if (vt_sha256_file(path, x))
			continue;
		for (i = 0; i < n && memcmp(d[i], x, 32); i++)
			;
		if (i == n && n < IMAGE_MAX)
			memcpy(d[n++], x, 32);
	}
	fclose(f);
	return n;
}

static int raise_lockdown(void)
{
	int fd = open("/sys/kernel/security/lockdown", O_WRONLY);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, "confidentiality", 15);
	close(fd);
	return w == 15 ? 0 : -EIO;
}

/* @calls SEALs of @len bytes under @k: seconds per call, or < 0. */
static double seal_round(int fd, key_serial_t k, const uint8_t *pt,
			 size_t len, uint8_t *out, int calls)
{
	double t0 = now_s();
	size_t n;
	int i;

	for (i = 0; i < calls; i++) {
		n = len + VMSHIELD_SEAL_OVERHEAD;
		if (vt_seal(fd, k, (uint64_t)i, pt, len, out, &n))
			return -1;
	}
	return (now_s() - t0) / calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int load_key(const uint8_t pk[32], uint32_t policy,
		    const uint8_t (*d)[32], int n, key_serial_t *k)
{
	struct vt_release rel;
	struct vt_vm vm;
	long serial;

	if (vt_vm_new(&vm, policy, 3600) ||
	    vt_release_build(&vm, pk, n ? d[0] : NULL, (unsigned int)n, &rel))
		return -EINVAL;
	serial = vt_add(vm.desc, &rel, KEY_SPEC_SESSION_KEYRING);
	if (serial < 0)
		return (int)serial;
	*k = (key_serial_t)serial;
	return 0;
}

int main(void)
{
	static uint8_t pt[4096], out[4096 + VMSHIELD_SEAL_OVERHEAD];
	static const size_t sizes[] = { 64, 4096 };
	uint8_t image[IMAGE_MAX][32];
	double shielded[ROUNDS_MAX], plain[ROUNDS_MAX], ratio[ROUNDS_MAX];
	int rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 7;
	int calls = getenv("BENCH_CALLS") ? atoi(getenv("BENCH_CALLS")) : 400;
	struct vmshield_info info;
	key_serial_t ks, ke;
	int fd, n, r;
	size_t s;

	if (rounds < 1 || rounds > ROUNDS_MAX || calls < 1)
		return 2;
	if (raise_lockdown())
		fprintf(stderr, "# bench_image: cannot raise lockdown\n");
	fd = vt_open_dev();
	if (fd < 0 || vms_get_info(fd, &info) ||
	    info.isolation_level != VMSHIELD_ISOLATION_KERNEL_LOCKED) {
		fprintf(stderr, "# bench_image: host is not kernel-locked\n");
		return 4;	/* KSFT_SKIP */
	}
	n = self_image(image);
	if (n < 1 || keyctl_join_session_keyring(NULL) < 0 ||
	    load_key(info.enclave_pk, VMS_KR_POLICY_SHIELDED,
		     (const uint8_t (*)[32])image, n, &ks) ||
	    load_key(info.enclave_pk, VMS_KR_POLICY_ENCRYPTION_SUPPORTED,
		     NULL, 0, &ke) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 1;
	vt_fill_pattern(pt, sizeof(pt), 5);
	printf("# bench: image check over %d files mapped executable\n", n);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (r = 0; r < rounds; r++) {
			/* alternate which goes first, so drift hits both */
			if (r & 1) {
				plain[r] = seal_round(fd, ke, pt, sizes[s], out, calls);
				shielded[r] = seal_round(fd, ks, pt, sizes[s], out, calls);
			} else {
				shielded[r] = seal_round(fd, ks, pt, sizes[s], out, calls);
				plain[r] = seal_round(fd, ke, pt, sizes[s], out, calls);
			}
			if (shielded[r] < 0 || plain[r] < 0)
				return 1;
			ratio[r] = shielded[r] / plain[r];
		}
		qsort(shielded, rounds, sizeof(double), cmp_double);
		qsort(plain, rounds, sizeof(double), cmp_double);
		qsort(ratio, rounds, sizeof(double), cmp_double);
		printf("# bench: SEAL %zu B: shielded (image check) %.1f us/call, encryption-supported %.1f us/call, ratio %.2f (median of %d rounds)\n",
		       sizes[s], shielded[rounds / 2] * 1e6, plain[rounds / 2] * 1e6,
		       ratio[rounds / 2], rounds);
	}
	close(fd);
	return 0;
}
