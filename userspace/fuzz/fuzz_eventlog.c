// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_eventlog - libFuzzer harness: the TCG crypto-agile event log
 * parser and replay, then baseline capture, JSON and compare on what
 * parsed, and the kernel command line GRUB logged on PCR 8 read as the
 * kernel reads it. Seeds: the rig's bios_measurements.bin.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vms_tpm_baseline.h"
#include "vms_tpm_cmdline.h"
#include "vms_tpm_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN];
	struct vms_baseline b, back;
	struct vms_baseline_diff d;
	struct vms_tpm_eventlog log;
	unsigned int bad;
	char err[128], line[512], *json;

	if (vms_tpm_eventlog_parse(data, size, &log)) {
		/* a refused log leaves nothing behind */
		if (log.events || log.n_events)
			abort();
		return 0;
	}
	memset(pcr, 0, sizeof(pcr));
	vms_tpm_eventlog_check_pcrs(&log, 0xffffff, pcr, &bad);
	if (!vms_baseline_capture(&log, "fuzz", "fuzz", 1, &b)) {
		if (vms_baseline_compare(&b, &log, 0x4ff, &d) != HGS_PASSED)
			abort();	/* a log always matches its own baseline */
		json = vms_baseline_to_json(&b);
		if (json) {
			if (vms_baseline_from_json(json, strlen(json), &back,
						   err) ||
			    back.n != b.n ||
			    memcmp(back.ev, b.ev, b.n * sizeof(*b.ev)))
				abort();	/* JSON must round-trip */
			vms_baseline_free(&back);
			free(json);
		}
		d.kind = VMS_DIFF_DIGEST;
		vms_baseline_diff_format(&d, line, sizeof(line));
		vms_baseline_free(&b);
	}
	if (log.cmdline) {
		char weak[VMS_KCMDLINE_VALUE_MAX];
		int level = vms_kcmdline_lockdown(log.cmdline);

		if (level > 2 || vms_kcmdline_ima_enforced(log.cmdline, weak) > 1)
			abort();
	} else if (log.n_cmdlines) {
		abort();	/* a counted line is kept */
	}
	vms_tpm_eventlog_free(&log);
	return 0;
}
