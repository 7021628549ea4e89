/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_data.h - read a captured artifact of userspace/tests/data/tpm/
 * from a harness (binaries live in build/fuzz/); $VMS_TPM_DATA overrides.
 */
#ifndef VMS_FUZZ_DATA_H
#define VMS_FUZZ_DATA_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline uint8_t *fuzz_read(const char *name, size_t *len)
{
	char exe[PATH_MAX], path[PATH_MAX + 96];
	const char *env = getenv("VMS_TPM_DATA");
	uint8_t *b;
	ssize_t n;
	long sz;
	FILE *f;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			abort();
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(path, sizeof(path),
			 "%s/../../userspace/tests/data/tpm/%s", exe, name);
	}
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz: cannot open %s\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	b = malloc((size_t)sz);
	if (!b || fread(b, 1, (size_t)sz, f) != (size_t)sz)
		abort();
	fclose(f);
	*len = (size_t)sz;
	return b;
}

#endif /* VMS_FUZZ_DATA_H */
