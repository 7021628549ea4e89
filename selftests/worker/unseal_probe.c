// SPDX-License-Identifier: GPL-2.0
/*
 * unseal_probe - "another root program" for the worker tests: a different
 * executable (another IMA digest) that asks the module to unseal a VM's
 * sealed-state file, as a curious host admin would.
 *
 *   unseal_probe SERIAL FILE [--dumpable]
 *
 * It makes itself non-dumpable first (as an approved worker must) unless
 * --dumpable. Prints one line; the exit status is 0 when the state was
 * unsealed, else the errno (13 EACCES: not an approved worker, 1 EPERM:
 * dumpable), or 125 on a usage error. The plaintext is wiped, never shown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "vmshield.h"

int main(int argc, char **argv)
{
	uint8_t *state = NULL;
	size_t len = 0;
	uint64_t gen = 0;
	long serial;
	int fd, r;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--dumpable"))) {
		fprintf(stderr, "usage: unseal_probe SERIAL FILE [--dumpable]\n");
		return 125;
	}
	serial = strtol(argv[1], NULL, 10);
	if (argc == 3 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 125;
	fd = vms_dev_open();
	if (fd < 0) {
		printf("unseal_probe: %s\n", vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return -fd;
	}
	r = vms_dev_unseal_file(fd, (key_serial_t)serial, argv[2], &state,
				&len, &gen);
	vms_dev_close(fd);
	if (r) {
		printf("unseal_probe: %s (%s): %s\n", strerror(-r),
		       argc == 4 ? "dumpable" : "non-dumpable",
		       vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		return -r;
	}
	vms_dev_free(state, len);
	printf("unseal_probe: unsealed generation %" PRIu64 " (%zu bytes)\n",
	       gen, len);
	return 0;
}
