// SPDX-License-Identifier: GPL-2.0
/*
 * release_challenge - the agent's first step of a release, for the worker
 * tests that build their own releases (lib.sh make_release): name the
 * KPS key (a raw 32-byte X25519 public key file) to the enclave and print
 * the fresh challenge it issues and its clock, "HEX NS", as the agent
 * sends them to KPS (VMSHIELD_IOC_RELEASE_CHALLENGE).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmshield.h"
#include "vms_errmsg.h"

int main(int argc, char **argv)
{
	uint8_t pk[32], c[32];
	uint64_t ns;
	FILE *f;
	int fd, r, i;

	if (argc != 2) {
		fprintf(stderr, "usage: release_challenge KPS_PUBLIC_KEY_FILE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fread(pk, 1, sizeof(pk), f) != sizeof(pk)) {
		fprintf(stderr, "release_challenge: %s: not a raw 32-byte key\n",
			argv[1]);
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);
	fd = vms_dev_open();
	if (fd < 0) {
		fprintf(stderr, "release_challenge: %s\n", vms_dev_strerror(fd));
		return 1;
	}
	r = vms_dev_release_challenge(fd, pk, c, &ns);
	close(fd);
	if (r) {
		fprintf(stderr, "release_challenge: %s\n", strerror(-r));
		return 1;
	}
	for (i = 0; i < 32; i++)
		printf("%02x", c[i]);
	printf(" %" PRIu64 "\n", ns);
	return 0;
}
