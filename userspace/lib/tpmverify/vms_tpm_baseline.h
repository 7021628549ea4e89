/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_baseline.h - boot baselines: the ordered boot events of PCRs
 * 0-7 of a reference host, compared with a host's replayed event log.
 *
 * A baseline holds, in log order, every event of PCRs 0-7 that extends a
 * PCR (EV_NO_ACTION events are left out): PCR, event type, SHA-256
 * digest. JSON (jansson), for admins and hgsd's store:
 *   {"format": "vmshield-boot-baseline v1", "name": "<1-64 [A-Za-z0-9._-]>",
 *    "hardware_class": "<same charset>", "version": <1..2^31-1>,
 *    "enabled": true,
 *    "events": [{"pcr": 0, "type": "EV_S_CRTM_VERSION",
 *                "sha256": "<64 hex>"}, ...]}
 * Unknown keys are refused (a baseline is a security policy: a typo must
 * not silently weaken it). "type" is the TCG name or "EV_0x<8 hex>".
 */
#ifndef VMS_TPM_BASELINE_H
#define VMS_TPM_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "vms_hgs_reason.h"
#include "vms_tpm_eventlog.h"

#define VMS_BASELINE_FORMAT	"vmshield-boot-baseline v1"
#define VMS_BASELINE_PCRS	0xffu		/* PCRs 0-7 */
#define VMS_BASELINE_NAME_MAX	64
#define VMS_BASELINE_MAX_EVENTS	VMS_EVLOG_MAX_EVENTS

struct vms_baseline_event {
	uint32_t pcr;
	uint32_t type;
	uint8_t sha256[VMS_SHA256_LEN];
};

struct vms_baseline {
	char name[VMS_BASELINE_NAME_MAX + 1];
	char hw_class[VMS_BASELINE_NAME_MAX + 1];
	uint32_t version;
	int enabled;
	size_t n;
	struct vms_baseline_event *ev;
};

/* Where a host's boot first departs from a baseline. */
struct vms_baseline_diff {
	size_t index;		/* position among the PCR 0-7 events */
	int kind;		/* VMS_DIFF_* */
	struct vms_baseline_event expected, found;
};

#define VMS_DIFF_NONE		0
#define VMS_DIFF_DIGEST		1	/* same position, other event */
#define VMS_DIFF_MISSING	2	/* the host's log ends early */
#define VMS_DIFF_EXTRA		3	/* the host's log has more events */

/* 0, -EINVAL (bad name, class or version), -E2BIG, -ENOMEM. */
int vms_baseline_capture(const struct vms_tpm_eventlog *log, const char *name,
			 const char *hw_class, uint32_t version,
			 struct vms_baseline *b);
void vms_baseline_free(struct vms_baseline *b);

/* malloc'ed JSON text, or NULL. */
char *vms_baseline_to_json(const struct vms_baseline *b);
/* 0 or -EINVAL (with a reason in @err, 128 bytes); -ENOMEM. */
int vms_baseline_from_json(const char *text, size_t len,
			   struct vms_baseline *b, char err[128]);

/*
 * Compare the events on the quoted PCRs @pcr_mask (those of them a boot
 * log covers: VMS_TPM_LOG_PCRS), in order, on both sides; events on other
 * PCRs are neither bound by the quote nor compared. A baseline records
 * every PCR the log covers, so the policy's PCR list can grow without a
 * new capture when the boot did not change. HGS_PASSED, or
 * HGS_R_TPM_BASELINE_MISMATCH with @d naming the first difference.
 */
enum vms_hgs_reason vms_baseline_compare(const struct vms_baseline *b,
					 const struct vms_tpm_eventlog *log,
					 uint32_t pcr_mask,
					 struct vms_baseline_diff *d);
/* One line for the admin: "event 3 (PCR 4 EV_IPL): expected ... found ...". */
int vms_baseline_diff_format(const struct vms_baseline_diff *d, char *buf,
			     size_t len);

#endif /* VMS_TPM_BASELINE_H */
