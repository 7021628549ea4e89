/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_ima_log.h - the IMA binary measurement list
 * (/sys/kernel/security/ima/binary_runtime_measurements): parse, replay
 * PCR 10's SHA-256 bank, find the vmshield module's own entry.
 *
 * Each record (host byte order = little-endian on our hosts; the kernel's
 * ima_canonical_fmt makes it little-endian everywhere): pcr u32, template
 * digest[20] (the SHA-1 one; all zero for a violation), name length u32,
 * template name, data length u32, template data. The template data of
 * ima-ng / ima-buf / ima-sig is a sequence of fields, each u32 length +
 * bytes: d-ng ("<algo>:" NUL digest), n-ng (NUL-terminated name), then
 * buf (ima-buf) or sig (ima-sig, may be empty).
 *
 * How the kernel extends PCR 10 (6.1, ima_calc_field_array_hash): for
 * every allocated TPM bank it hashes, with that bank's algorithm, exactly
 * the template data as listed (each field's u32 length then its bytes),
 * and extends that digest; a violation extends all-ones instead. The
 * list records only the SHA-1 template digest, so the SHA-256 one is
 * recomputed here, and the SHA-1 one is checked against the data.
 */
#ifndef VMS_IMA_LOG_H
#define VMS_IMA_LOG_H

#include <stddef.h>
#include <stdint.h>

#define VMS_IMA_PCR		10
#define VMS_IMA_MAX_BYTES	(64u << 20)
#define VMS_IMA_MAX_ENTRIES	(1u << 20)
#define VMS_IMA_REPORT_EVENT	"vmshield-report"

enum vms_ima_template {
	VMS_IMA_NG,	/* d-ng|n-ng */
	VMS_IMA_BUF,	/* d-ng|n-ng|buf */
	VMS_IMA_SIG,	/* d-ng|n-ng|sig */
};

struct vms_ima_entry {
	uint32_t pcr;
	enum vms_ima_template tmpl;
	int violation;
	uint8_t template_sha256[32];	/* what PCR 10's SHA-256 bank got */
	char algo[16];			/* file digest algorithm, "sha256" */
	const uint8_t *digest;		/* file (or buffer) digest */
	uint32_t digest_len;
	const char *name;		/* NUL-terminated, inside the copy */
	const uint8_t *buf;		/* ima-buf: the measured buffer */
	uint32_t buf_len;
	const uint8_t *sig;		/* ima-sig: security.ima, may be empty */
	uint32_t sig_len;
};

struct vms_ima_log {
	uint8_t *copy;			/* the list; entries point into it */
	size_t n;
	struct vms_ima_entry *e;
};

/*
 * Parse @buf (copied). 0, -EBADMSG (malformed; ImaLogMalformed),
 * -ENOTSUP (a template other than the three above), -E2BIG, -ENOMEM.
 */
int vms_ima_log_parse(const uint8_t *buf, size_t len, struct vms_ima_log *log);
void vms_ima_log_free(struct vms_ima_log *log);

/*
 * Replay the SHA-256 bank of PCR 10 from zero and find the first prefix
 * of the list whose value is @pcr10 (a list read after the quote may hold
 * later entries, which the quote does not cover and which every check
 * must ignore). 0 and *@covered = that entry count; -EBADMSG if no prefix
 * replays to @pcr10.
 */
int vms_ima_log_replay(const struct vms_ima_log *log, const uint8_t pcr10[32],
		       size_t *covered);

/*
 * The module's latest report entry among the first @covered entries: an
 * ima-buf entry named "vmshield-report" whose digest is SHA-256 of its
 * buffer. Its index, or -ENOENT; -EBADMSG if the digest is not the
 * buffer's.
 */
int vms_ima_log_find_report(const struct vms_ima_log *log, size_t covered);

/* 0 if @e's d-ng digest is SHA-256 of its buffer; -EBADMSG otherwise. */
int vms_ima_buf_digest_check(const struct vms_ima_entry *e);

/* 1 if @e measured a file (not boot_aggregate, not a buffer). */
int vms_ima_entry_is_file(const struct vms_ima_entry *e);

#endif /* VMS_IMA_LOG_H */
