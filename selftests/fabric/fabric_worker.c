// SPDX-License-Identifier: GPL-2.0
/*
 * fabric_worker - the fabric tests' VM worker. Asks hgs-agent for a VM's
 * key (vms_agent_release), then proves the key is the VM's and usable by
 * this process:
 *   --unseal SEALED --expect PLAIN  opens a blob the tenant sealed on the
 *                                   outer side with the VM's TK (so a
 *                                   wrong key cannot pass)
 *   --roundtrip                     seals 4 KiB of random state and
 *                                   unseals it again
 *   --hold SECONDS                  keeps the key that long, sealing
 *                                   every 0.5 s as a running VM's worker
 *                                   does: when its key expired, it takes
 *                                   the agent's renewal of it from its
 *                                   user keyring (vms_dev_key_current)
 *                                   and goes on; any other failure ends
 *                                   the hold
 * Non-dumpable from the start, as an approved worker must be.
 *
 * Prints one line: "released serial=... policy=... lifetime=... key_id=..."
 * or "refused source=... substatus=... errno=... message=...".
 * --hold prints "switched serial=OLD->NEW at=T" for each renewal taken,
 * then "held seals=N switches=M for=T" or "seal-failed errno=E at=T
 * message=..." (T: seconds since the release).
 * Exit: 0 released (and every check passed), 1 refused, 2 a check
 * failed, 3 usage, 4 a seal failed during the hold.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "vmshield.h"
#include "vms_agent_client.h"
#include "vms_fileio.h"

static int check_unseal(int fd, key_serial_t key, const char *sealed,
			const char *plain)
{
	uint8_t *want = NULL, *got = NULL;
	size_t wlen, glen;
	int r;

	r = vms_read_file(plain, 16u << 20, &want, &wlen);
	if (r) {
		fprintf(stderr, "fabric_worker: %s: %s\n", plain, strerror(-r));
		return 2;
	}
	r = vms_dev_unseal_file(fd, key, sealed, &got, &glen, NULL);
	if (r) {
		printf("unseal-failed errno=%d message=%s\n", -r,
		       vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		free(want);
		return 2;
	}
	r = glen == wlen && !memcmp(got, want, wlen) ? 0 : 2;
	printf("unseal %s\n", r ? "MISMATCH" : "matches");
	vms_dev_free(got, glen);
	free(want);
	return r;
}

static int seal_roundtrip(int fd, key_serial_t key)
{
	uint8_t state[4096], *blob = NULL, *back = NULL;
	size_t blen, backlen;
	uint64_t gen = 0;
	int r;

	RAND_bytes(state, sizeof(state));
	r = vms_dev_seal(fd, key, 7, state, sizeof(state), &blob, &blen);
	if (!r)
		r = vms_dev_unseal(fd, key, blob, blen, &back, &backlen, &gen);
	if (r) {
		printf("roundtrip-failed errno=%d message=%s\n", -r,
		       vms_dev_strerror(r));
		free(blob);
		return 2;
	}
	r = backlen == sizeof(state) && !memcmp(back, state, backlen) &&
	    gen == 7 ? 0 : 2;
	printf("roundtrip %s\n", r ? "MISMATCH" : "ok");
	vms_dev_free(back, backlen);
	free(blob);
	return r;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seal under @key every 0.5 s for @seconds, following renewals. */
static int hold(int fd, key_serial_t key, const char *vm, unsigned int seconds)
{
	char desc[VMS_KEY_DESC_LEN];
	double t0 = now_s(), t;
	unsigned int seals = 0, switches = 0;
	uint8_t state[256];

	if (vms_dev_key_desc_uuid(vm, desc, sizeof(desc)))
		return 3;
	RAND_bytes(state, sizeof(state));
	while ((t = now_s() - t0) < seconds) {
		uint8_t *blob = NULL;
		size_t blen;
		int r = vms_dev_seal(fd, key, seals + 1, state, sizeof(state), &blob, &blen);

		if (r == -EKEYEXPIRED) {
			key_serial_t next = vms_dev_key_current(desc);

			if (next > 0 && next != key) {
				printf("switched serial=%d->%d at=%.1f\n", key, next, t);
				fflush(stdout);
				key = next;
				switches++;
				continue;
			}
			if (next == -EKEYREVOKED)
				r = next;	/* its renewal came, and was revoked */
		}
		if (r) {
			printf("seal-failed errno=%d at=%.1f message=%s\n", -r, t,
			       vms_dev_op_strerror(VMS_OP_SEAL, r));
			return 4;
		}
		free(blob);
		seals++;
		usleep(500000);
	}
	printf("held seals=%u switches=%u for=%.1f\n", seals, switches, now_s() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "vm", required_argument, NULL, 'v' },
		{ "kp", required_argument, NULL, 'k' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "unseal", required_argument, NULL, 'u' },
		{ "expect", required_argument, NULL, 'e' },
		{ "roundtrip", no_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *vm = NULL, *kpf = NULL, *sealed = NULL,
		   *plain = NULL;
	unsigned int deadline = 0, hold_s = 0;
	struct vms_agent_answer ans;
	key_serial_t key;
	uint8_t *kp = NULL;
	size_t kplen;
	int c, r, rt = 0, fd, rc = 0;

	prctl(PR_SET_DUMPABLE, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* --hold's lines as they happen */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'v':
			vm = optarg;
			break;
		case 'k':
			kpf = optarg;
			break;
		case 'd':
			deadline = (unsigned int)atoi(optarg);
			break;
		case 'u':
			sealed = optarg;
			break;
		case 'e':
			plain = optarg;
			break;
		case 'r':
			rt = 1;
			break;
		case 'H':
			hold_s = (unsigned int)atoi(optarg);
			break;
		default:
			return 3;
		}
	}
	if (!vm || !kpf || !sealed != !plain) {
		fprintf(stderr, "usage: fabric_worker --vm UUID --kp FILE [--socket S] [--deadline S] [--unseal SEALED --expect PLAIN] [--roundtrip] [--hold SECONDS]\n");
		return 3;
	}
	r = vms_read_file(kpf, 1u << 20, &kp, &kplen);
	if (r) {
		fprintf(stderr, "fabric_worker: %s: %s\n", kpf, strerror(-r));
		return 3;
	}
	r = vms_agent_release_deadline(sock, vm, kp, kplen, deadline, &key, &ans);
	free(kp);
	if (r) {
		printf("refused source=%s substatus=%s errno=%d message=%s\n",
		       ans.source[0] ? ans.source : "-",
		       ans.substatus[0] ? ans.substatus : "-", -r,
		       ans.message[0] ? ans.message : strerror(-r));
		return 1;
	}
	printf("released serial=%d vm=%s policy=%s lifetime=%u key_id=%s\n",
	       key, ans.vm_id, ans.policy, ans.lifetime_s, ans.key_id);
	fd = vms_dev_open();
	if (fd < 0) {
		printf("open-failed %s\n", vms_dev_strerror(fd));
		return 2;
	}
	if (sealed)
		rc = check_unseal(fd, key, sealed, plain);
	if (!rc && rt)
		rc = seal_roundtrip(fd, key);
	if (!rc && hold_s)
		rc = hold(fd, key, vm, hold_s);
	vms_dev_close(fd);
	return rc;
}
