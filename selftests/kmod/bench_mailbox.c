// SPDX-License-Identifier: GPL-2.0
/*
 * bench_mailbox - the enclave operations a VM start and a running vTPM
 * make, timed in whatever placement the module is in (kernel, or
 * hypervisor through the mailbox); bench_placement.sh runs it in both,
 * in one guest, and prints the ratios.
 *
 *   release+load  add_key of a key release (the enclave opens it), then
 *                 revoke; the releases are built beforehand (that is
 *                 KPS's work, not the host's)
 *   seal/unseal   SEAL and UNSEAL of 4 KiB and 64 KiB
 *
 * Prints one line per operation, "bench_mailbox: PLACEMENT OP CALLS/S
 * US/CALL", each rate over about --seconds S (default 1) of calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "vmstest.h"

#define MAX_RELEASES 400
#define RELEASE_BATCH 16
#define MAX_STATE (64u << 10)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *placement, const char *op, unsigned int n, double secs)
{
	printf("bench_mailbox: %s %s %.1f %.1f\n", placement, op, n / secs, secs * 1e6 / n);
}

/*
 * add_key + revoke of distinct releases, for about @budget seconds (only
 * those timed). Each release answers a challenge of its own, and an
 * enclave keeps at most 64 pending (EBUSY beyond, none evicted), so they
 * are made RELEASE_BATCH at a time: at most RELEASE_BATCH - 1 are left
 * pending when the budget ends, in each of the rounds one enclave
 * instance serves.
 */
static int bench_release(const char *placement, const uint8_t pk[32], double budget)
{
	static struct vt_release rel[MAX_RELEASES];
	static struct vt_vm vm[MAX_RELEASES];
	unsigned int i, b, n = 0;
	double t = 0, t0;

	while (t < budget && n < MAX_RELEASES) {
		b = MAX_RELEASES - n < RELEASE_BATCH ? MAX_RELEASES - n : RELEASE_BATCH;
		for (i = n; i < n + b; i++)
			if (vt_vm_new(&vm[i], VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600) ||
			    vt_release_build(&vm[i], pk, NULL, 0, &rel[i]))
				return -EIO;
		for (i = 0; i < b && t < budget; i++, n++) {
			long serial;

			t0 = now_s();
			serial = vt_add(vm[n].desc, &rel[n], KEY_SPEC_PROCESS_KEYRING);
			if (serial <= 0) {
				fprintf(stderr, "bench_mailbox: add_key: %s\n",
					strerror((int)-serial));
				return (int)serial;
			}
			keyctl_revoke((key_serial_t)serial);
			t += now_s() - t0;
		}
	}
	report(placement, "release+load", n, t);
	return 0;
}

static int bench_seal(const char *placement, int fd, key_serial_t key, size_t len,
		      double budget)
{
	static uint8_t pt[MAX_STATE], blob[MAX_STATE + 96], back[MAX_STATE];
	unsigned int n = 0;
	size_t blen, m;
	uint64_t gen;
	double t0, t;
	char op[32];
	int r;

	vt_random(pt, len);
	t0 = now_s();
	do {
		blen = sizeof(blob);
		r = vt_seal(fd, key, n, pt, len, blob, &blen);
		if (r)
			return r;
		n++;
		t = now_s() - t0;
	} while (t < budget);
	snprintf(op, sizeof(op), "seal-%zuKiB", len >> 10);
	report(placement, op, n, t);
	n = 0;
	t0 = now_s();
	do {
		m = sizeof(back);
		r = vt_unseal(fd, key, blob, blen, back, &m, &gen);
		if (r || m != len)
			return r ? r : -EBADE;
		n++;
		t = now_s() - t0;
	} while (t < budget);
	snprintf(op, sizeof(op), "unseal-%zuKiB", len >> 10);
	report(placement, op, n, t);
	return 0;
}

int main(int argc, char **argv)
{
	struct vmshield_info info;
	const char *placement;
	struct vt_release rel;
	double budget = 1.0;
	struct vt_vm vm;
	long serial;
	int fd, r;

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		budget = atof(argv[2]);
	if (budget <= 0 || budget > 60) {
		fprintf(stderr, "usage: bench_mailbox [--seconds S (0 < S <= 60)]\n");
		return 2;
	}
	fd = vt_open_dev();
	if (fd < 0 || vms_get_info(fd, &info)) {
		fprintf(stderr, "bench_mailbox: no /dev/vmshield\n");
		return 1;
	}
	placement = info.placement == VMSHIELD_PLACEMENT_HYPERVISOR ? "hypervisor" : "kernel";
	if (vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600) ||
	    vt_release_build(&vm, info.enclave_pk, NULL, 0, &rel))
		return 1;
	serial = vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	if (serial <= 0) {
		fprintf(stderr, "bench_mailbox: add_key: %s\n", strerror((int)-serial));
		return 1;
	}
	r = bench_release(placement, info.enclave_pk, budget);
	if (!r)
		r = bench_seal(placement, fd, (key_serial_t)serial, 4096, budget);
	if (!r)
		r = bench_seal(placement, fd, (key_serial_t)serial, 65536, budget);
	if (r)
		fprintf(stderr, "bench_mailbox: %s\n", strerror(-r));
	close(fd);
	return r ? 1 : 0;
}
