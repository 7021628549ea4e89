// SPDX-License-Identifier: GPL-2.0
/*
 * seal_helper - "another program" for the worker-identity tests: a
 * different executable (so a different IMA digest) that asks the module to
 * SEAL 64 bytes under a key and UNSEAL the result.
 *
 *   seal_helper SERIAL [--nondumpable] [--new-session] [--dlopen LIB]
 *   seal_helper --print-image
 *
 * --nondumpable  prctl(PR_SET_DUMPABLE, 0) first, as an approved worker does
 * --new-session  join a fresh session keyring first, so the key is no longer
 *                possessed (no keyring access)
 * --dlopen LIB   dlopen(LIB) after start, before the SEAL (a library the
 *                worker loads later than its start)
 * --print-image  print the path of every file this process maps executable
 *                (its program, ld.so, its libraries, an LD_PRELOAD), one a
 *                line, and exit 0: what the tests approve for it
 *
 * Exit status: 0 when SEAL and UNSEAL both worked, else the errno of the
 * first failure (e.g. 13 EACCES, 1 EPERM), or 125 on a usage error.
 * Not a test by itself, and not in TESTS.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "vmstest.h"

/* The files mapped executable, from /proc/self/maps: 0 or 125. */
static int print_image(void)
{
	char line[4096], perms[8], path[4096];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 125;
	while (fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%*s %7s %*s %*s %*s %4095s", perms, path) < 1)
			continue;
		if (perms[2] == 'x' && path[0] == '/')
			printf("%s\n", path);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t pt[64], blob[64 + 96], back[64];
	size_t n = sizeof(blob), m = sizeof(back);
	key_serial_t serial;
	int i, fd, ret;

	if (argc == 2 && !strcmp(argv[1], "--print-image"))
		return print_image();
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
		} else if (!strcmp(argv[i], "--dlopen") && i + 1 < argc) {
			if (!dlopen(argv[++i], RTLD_NOW))
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
