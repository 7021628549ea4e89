// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_report - libFuzzer harness: the isolation report v2 parser
 * (core/report.c), which HGS runs on every host-key attestation. A
 * refused line leaves the report zeroed; an accepted one formats back to
 * a line that parses to the same report. Seeds: corpus/fuzz_report/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vms_isolation_report zero;
	struct vms_isolation_report r, r2;
	char line[1024];
	int n;

	memset(&r, 0xa5, sizeof(r));
	if (vms_report_parse((const char *)data, size, &r)) {
		if (memcmp(&r, &zero, sizeof(r)))
			abort();	/* a refused report leaves nothing */
		return 0;
	}
	n = vms_report_format(&r, line, sizeof(line));
	if (n <= 0 || vms_report_parse(line, (size_t)n, &r2) || memcmp(&r, &r2, sizeof(r)))
		abort();
	return 0;
}
