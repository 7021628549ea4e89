/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_data.h - the captured rig artifacts of data/tpm/ for the TPM-mode
 * tests (README.md there says how each was made). Include after
 * testutil.h. Found through $VMS_TPM_DATA, else next to the sources
 * relative to the test binary (build/tests/ -> userspace/tests/data/tpm).
 */
#ifndef VMS_TPM_DATA_H
#define VMS_TPM_DATA_H

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "vms_tpm_eventlog.h"

/* The PCRs the captured quotes cover: 0-7 and 10. */
#define T_QUOTE_MASK	0x000004ffu

static inline void t_tpm_path(const char *name, char *out, size_t len)
{
	const char *env = getenv("VMS_TPM_DATA");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(out, len, "%s/%s", env, name);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	slash = strrchr(exe, '/');	/* <top>/build/tests/test_x */
	*slash = 0;
	snprintf(out, len, "%s/../../userspace/tests/data/tpm/%s", exe, name);
}

/* The whole file, malloc'ed; fails the test if it cannot be read. */
static inline uint8_t *t_tpm_read(const char *name, size_t *len)
{
	char path[PATH_MAX + 64];
	uint8_t *buf;
	long sz;
	FILE *f;

	t_tpm_path(name, path, sizeof(path));
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(0, fseek(f, 0, SEEK_END));
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	buf = t_malloc((size_t)sz + 1);
	assert_int_equal((size_t)sz, fread(buf, 1, (size_t)sz, f));
	buf[sz] = 0;
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

/* tpm2_quote -F values output (PCRs 0-7, 10) into PCR-indexed slots. */
static inline void t_tpm_quote_pcrs(const char *name,
				    uint8_t pcr[VMS_TPM_PCRS][32])
{
	static const unsigned int idx[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 10 };
	size_t len, i;
	uint8_t *b = t_tpm_read(name, &len);

	assert_int_equal(9 * 32, len);
	memset(pcr, 0, VMS_TPM_PCRS * 32);
	for (i = 0; i < 9; i++)
		memcpy(pcr[idx[i]], b + 32 * i, 32);
	free(b);
}

#endif /* VMS_TPM_DATA_H */
