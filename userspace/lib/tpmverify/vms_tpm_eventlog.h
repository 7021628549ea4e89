/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_eventlog.h - the TCG PC Client crypto-agile boot event log
 * (/sys/kernel/security/tpm0/binary_bios_measurements): parse, replay the
 * SHA-256 bank, keep one record per event for baselines and diffs.
 *
 * Layout (TCG PC Client Platform Firmware Profile, "crypto agile" log):
 * the first event is in the SHA-1 format (TCG_PCClientPCREvent: pcr u32,
 * type u32, digest[20], size u32, data) and must be the EV_NO_ACTION
 * "Spec ID Event03" naming every bank and its digest size; every later
 * event is a TCG_PCR_EVENT2 (pcr u32, type u32, digest count u32, then per
 * bank alg u16 + digest, size u32, data). All integers little-endian.
 * Parsing is strict: every length is checked against the buffer and the
 * Spec ID event, each event must carry every bank exactly once, and
 * nothing may follow the last event.
 */
#ifndef VMS_TPM_EVENTLOG_H
#define VMS_TPM_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#define VMS_TPM_PCRS		24
#define VMS_SHA256_LEN		32
/* Bounds: far above any real boot log, low enough to bound the work. */
#define VMS_EVLOG_MAX_BYTES	(4u << 20)
#define VMS_EVLOG_MAX_EVENTS	8192u
#define VMS_EVLOG_MAX_BANKS	8u
#define VMS_EVLOG_DATA_SHORT	48u

/*
 * The PCRs a boot event log can vouch for: 0-9 and 11-15 (firmware, boot
 * loader, kernel command line and initrd under a measuring loader, and
 * what else the platform logs). PCR 10 is IMA's, vouched for by the IMA
 * list; 16-23 (debug, locality, application) by nothing. HGS quotes only
 * PCRs it can verify.
 */
#define VMS_TPM_LOG_PCRS	0xfbffu
#define VMS_TPM_VERIFIABLE_PCRS	0xffffu

/* Event types the checks name (TCG PC Client PFP, section 10.4.1). */
#define VMS_EV_POST_CODE			0x00000001u
#define VMS_EV_NO_ACTION			0x00000003u
#define VMS_EV_SEPARATOR			0x00000004u
#define VMS_EV_ACTION				0x00000005u
#define VMS_EV_S_CRTM_VERSION			0x00000008u
#define VMS_EV_IPL				0x0000000du
#define VMS_EV_EFI_VARIABLE_DRIVER_CONFIG	0x80000001u

struct vms_tpm_event {
	uint32_t index;		/* position in the log, 0 = first after Spec ID */
	uint32_t pcr;
	uint32_t type;
	uint8_t sha256[VMS_SHA256_LEN];	/* the SHA-256 bank's digest */
	uint32_t data_len;		/* full length of the event data */
	uint8_t data[VMS_EVLOG_DATA_SHORT]; /* its first bytes, for people */
};

struct vms_tpm_eventlog {
	size_t n_events;
	struct vms_tpm_event *events;	/* excludes the Spec ID event */
	/* PCR values of the SHA-256 bank after replaying every event. */
	uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN];
	uint32_t pcr_touched;		/* bit i: PCR i extended at least once */
	/*
	 * 1 on, 0 off, -1 the log does not say, VMS_SB_DATA_MISMATCH: its
	 * event's data does not hash to the event's digest, so the data
	 * cannot be believed (secure_boot_event names that event)
	 */
	int secure_boot;
	uint32_t secure_boot_event;
	/*
	 * The kernel command line a measuring boot loader logged on PCR 8
	 * (GRUB: EV_IPL "kernel_cmdline: <line>" NUL, digest SHA-256 of
	 * <line>; vms_tpm_cmdline.h): the first such line, NUL-terminated,
	 * NULL when none; cmdline_event its index; n_cmdlines how many the
	 * log has; cmdline_bad_event 1 + the index of the first whose line
	 * does not hash to its digest or holds a NUL (0: none), so its text
	 * cannot be believed.
	 */
	char *cmdline;
	uint32_t cmdline_event;
	uint32_t n_cmdlines;
	uint32_t cmdline_bad_event;
};

#define VMS_KERNEL_CMDLINE_PCR	8

#define VMS_SB_DATA_MISMATCH	(-2)

/*
 * Parse and replay @buf. The data of an event HGS interprets (the
 * SecureBoot variable's EV_EFI_VARIABLE_DRIVER_CONFIG, GRUB's kernel
 * command line) counts only when its SHA-256 digest is the hash of that
 * data (of the line, for GRUB's) (TCG PC Client PFP: the
 * digest of UEFI_VARIABLE_DATA); replay uses the digests alone, so edited
 * data would otherwise pass unseen. 0, or -EBADMSG (malformed: the caller maps it to
 * TpmEventLogMalformed), -ENOTSUP (no SHA-256 bank), -E2BIG (over the
 * bounds), -ENOMEM. On error @log is left empty.
 */
int vms_tpm_eventlog_parse(const uint8_t *buf, size_t len,
			   struct vms_tpm_eventlog *log);
void vms_tpm_eventlog_free(struct vms_tpm_eventlog *log);

/*
 * Compare the replayed PCRs of @mask with @values (indexed by PCR number).
 * 0 when all match; else -EBADMSG and *@bad_pcr names the first mismatch.
 */
int vms_tpm_eventlog_check_pcrs(const struct vms_tpm_eventlog *log,
				uint32_t mask,
				const uint8_t values[VMS_TPM_PCRS][VMS_SHA256_LEN],
				unsigned int *bad_pcr);

/* "EV_SEPARATOR" etc.; "EV_0x<hex>" (in @tmp, 16 bytes) for others. */
const char *vms_tpm_event_type_name(uint32_t type, char tmp[16]);

#endif /* VMS_TPM_EVENTLOG_H */
