// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ima - libFuzzer harness: the IMA binary measurement list parser,
 * PCR 10 replay and the module's report entry lookup. Seeds: the rig's
 * ima_measurements.bin.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vms_ima_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_ima_log log;
	uint8_t pcr10[32];
	size_t covered = 0, i;
	int idx;

	if (vms_ima_log_parse(data, size, &log)) {
		if (log.e || log.copy || log.n)
			abort();
		return 0;
	}
	/* every entry is well-formed: names are terminated, sizes fit */
	for (i = 0; i < log.n; i++) {
		if (strlen(log.e[i].name) >= size)
			abort();
		vms_ima_entry_is_file(&log.e[i]);
	}
	memset(pcr10, 0, sizeof(pcr10));
	if (log.n)
		memcpy(pcr10, log.e[log.n - 1].template_sha256, 32);
	if (vms_ima_log_replay(&log, pcr10, &covered))
		covered = log.n;
	idx = vms_ima_log_find_report(&log, covered);
	if (idx >= 0 && (size_t)idx >= covered)
		abort();
	vms_ima_log_free(&log);
	return 0;
}
