// SPDX-License-Identifier: GPL-2.0
/*
 * seal_helper - "another program" for the worker-identity tests: a
 * different executable (so a different IMA digest) that asks the module to
 * SEAL 64 bytes under a key and UNSEAL the result.
 *
 *   seal_helper SERIAL [--nondumpable] [--new-session]
 *
 * --nondumpable  prctl(PR_SET_DUMPABLE, 0) first, as an approved worker does
 * --new-session  join a fresh session keyring first, so the key is no longer
 *                possessed (no keyring access)
 *
 * Exit status: 0 when SEAL and UNSEAL both worked, else the errno of the
 * first failure (e.g. 13 EACCES, 1 EPERM), or 125 on a usage error.
 * Not a test by itself, and not in TESTS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "vmstest.h"

int main(int argc, char **argv)
{
	uint8_t pt[64], blob[64 + 96], back[64];
	size_t n = sizeof(blob), m = sizeof(back);
	key_serial_t serial;
	int i, fd, ret;

	if (argc < 2)
		return 125;
	serial = (key_serial_t)strtol(argv[1], NULL, 0);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--nondumpable")) {
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
				return 125;
		} else if (!strcmp(argv[i], "--new-session")) {
			if (keyctl_join_session_keyring(NULL) < 0)
				return 125;
		} else {
			return 125;
		}
	}
	fd = vt_open_dev();
	if (fd < 0)
		return -fd;
	vt_fill_pattern(pt, sizeof(pt), 11);
	ret = vt_seal(fd, serial, 1, pt, sizeof(pt), blob, &n);
	if (!ret)
		ret = vt_unseal(fd, serial, blob, n, back, &m, NULL);
	if (!ret && (m != sizeof(pt) || memcmp(pt, back, m)))
		ret = -EBADE;
	printf("seal_helper: key %d: %s\n", serial, ret ? strerror(-ret) : "ok");
	close(fd);
	return -ret;
}
