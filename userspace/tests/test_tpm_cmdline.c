// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpm_cmdline - the measured kernel command line (issue 16): read as
 * the kernel reads it, found in the boot log as GRUB records it on PCR 8,
 * and the two policies that rest on it (lockdown from the command line,
 * the IMA appraisal policy).
 *
 * The logs are the rig's real SeaBIOS log (data/tpm/, which measures no
 * command line: refused as such) with a PCR 8 event appended the way
 * GRUB's tpm module writes one (EV_IPL, data "kernel_cmdline: LINE" and a
 * NUL, digest SHA-256(LINE)). The rig cannot produce a GRUB-measured boot
 * on this machine (tpm-attestation.md section 6a says why), so the
 * appended event is built here, from GRUB's format.
 */
#include "testutil.h"

#include <errno.h>

#include <openssl/evp.h>

#include <linux/vmshield.h>

#include "tpm_data.h"
#include "vms_tpm_boot_policy.h"
#include "vms_tpm_cmdline.h"
#include "vms_tpm_eventlog.h"

#define EV_IPL		0x0000000du
#define TPM_ALG_SHA256	0x000bu
#define GRUB_PREFIX	"kernel_cmdline: "
#define ALL_PCRS	(0x3ffu | 1u << 10)	/* 0-10: 8 quoted */
#define LINE_LOCKED	"/vmlinuz-6.1.0-57-amd64 root=/dev/vda1 ro lockdown=confidentiality quiet"
#define LINE_OPEN	"/vmlinuz-6.1.0-57-amd64 root=/dev/vda1 ro quiet"

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Append to @log (the real capture, one bank: SHA-256) a TCG_PCR_EVENT2
 * on @pcr of @type with @data, whose digest is SHA-256(@hashed).
 */
static void append_event(uint8_t **log, size_t *len, uint32_t pcr,
			 uint32_t type, const void *data, size_t dlen,
			 const void *hashed, size_t hlen)
{
	size_t ev = 4 + 4 + 4 + 2 + 32 + 4 + dlen;
	uint8_t *b = realloc(*log, *len + ev), *p;

	assert_non_null(b);
	p = b + *len;
	put_u32(p, pcr);
	put_u32(p + 4, type);
	put_u32(p + 8, 1);
	p[12] = TPM_ALG_SHA256 & 0xff;
	p[13] = TPM_ALG_SHA256 >> 8;
	assert_true(EVP_Digest(hashed, hlen, p + 14, NULL, EVP_sha256(), NULL));
	put_u32(p + 46, (uint32_t)dlen);
	memcpy(p + 50, data, dlen);
	*log = b;
	*len += ev;
}

/* GRUB's record of @line: "kernel_cmdline: " @line NUL, digest of @line. */
static void append_grub_cmdline(uint8_t **log, size_t *len, const char *line)
{
	size_t dlen = strlen(GRUB_PREFIX) + strlen(line) + 1;
	char *data = t_malloc(dlen);

	snprintf(data, dlen, GRUB_PREFIX "%s", line);
	append_event(log, len, 8, EV_IPL, data, dlen, line, strlen(line));
	free(data);
}

/* The real SeaBIOS log with GRUB's record of @line (NULL: none) parsed. */
static void boot_with(const char *line, struct vms_tpm_eventlog *boot)
{
	size_t len;
	uint8_t *log = t_tpm_read("bios_measurements.bin", &len);

	if (line)
		append_grub_cmdline(&log, &len, line);
	assert_int_equal(0, vms_tpm_eventlog_parse(log, len, boot));
	free(log);
}

static void report_at(struct vms_isolation_report *r, unsigned int lockdown)
{
	memset(r, 0, sizeof(*r));
	r->placement = VMSHIELD_PLACEMENT_KERNEL;
	r->level = lockdown == VMSHIELD_LOCKDOWN_CONFIDENTIALITY ?
		   VMSHIELD_ISOLATION_KERNEL_LOCKED : VMSHIELD_ISOLATION_KERNEL_OPEN;
	r->lockdown = lockdown;
}

static enum vms_hgs_reason lockdown_verdict(const struct vms_tpm_eventlog *b,
					    uint32_t quoted,
					    unsigned int report_lockdown,
					    char *detail)
{
	struct vms_tpm_policy p = {
		.min_lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY,
		.require_lockdown_cmdline = 1,
	};
	struct vms_isolation_report r;

	report_at(&r, report_lockdown);
	return vms_tpm_boot_policy_evaluate(&p, &r, b, quoted, NULL, 0, detail);
}

static int count_param(const char *param, const char *val, void *ctx)
{
	char *out = ctx;

	snprintf(out + strlen(out), 512 - strlen(out), "[%s=%s]", param,
		 val ? val : "(null)");
	return 0;
}

static void kernel_rules_for_words(void **state)
{
	char out[512] = "";

	(void)state;
	/* first word is the kernel's path; quotes dropped; "--" ends it */
	assert_int_equal(0, vms_kcmdline_each(
		"/vmlinuz a=1 \"b=two words\" c=\"three more\" flag -- lockdown=confidentiality",
		count_param, out));
	assert_string_equal("[a=1][b=two words][c=three more][flag=(null)]", out);

	assert_int_equal(VMSHIELD_LOCKDOWN_CONFIDENTIALITY,
			 vms_kcmdline_lockdown(LINE_LOCKED));
	assert_int_equal(VMSHIELD_LOCKDOWN_NONE, vms_kcmdline_lockdown(LINE_OPEN));
	/* the kernel only raises: the highest wins, in either order */
	assert_int_equal(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, vms_kcmdline_lockdown(
		"/k lockdown=confidentiality lockdown=integrity"));
	assert_int_equal(VMSHIELD_LOCKDOWN_INTEGRITY, vms_kcmdline_lockdown(
		"/k lockdown=integrity lockdown=bogus lockdown"));
	/* what init gets, and the kernel's own path, are not parameters */
	assert_int_equal(VMSHIELD_LOCKDOWN_NONE, vms_kcmdline_lockdown(
		"/k ro -- lockdown=confidentiality"));
	assert_int_equal(VMSHIELD_LOCKDOWN_NONE, vms_kcmdline_lockdown(
		"lockdown=confidentiality ro"));
	assert_int_equal(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, vms_kcmdline_lockdown(
		"/k lockdown=\"confidentiality\""));
}

static void ima_appraise_values(void **state)
{
	char bad[VMS_KCMDLINE_VALUE_MAX];
	char *long_line = t_malloc(5000);

	(void)state;
	assert_int_equal(1, vms_kcmdline_ima_enforced(LINE_OPEN, bad));
	assert_string_equal("", bad);
	assert_int_equal(1, vms_kcmdline_ima_enforced("/k ima_appraise=enforce", bad));
	assert_int_equal(0, vms_kcmdline_ima_enforced("/k ima_appraise=log", bad));
	assert_string_equal("log", bad);
	/* the kernel matches by prefix: "offset" is off, so only enforce counts */
	assert_int_equal(0, vms_kcmdline_ima_enforced(
		"/k ima_appraise=enforce ima_appraise=offset", bad));
	assert_string_equal("offset", bad);
	assert_int_equal(0, vms_kcmdline_ima_enforced("/k ima_appraise", bad));
	/* after "--" it is init's */
	assert_int_equal(1, vms_kcmdline_ima_enforced("/k -- ima_appraise=off", bad));
	/* a line longer than the kernel takes is refused, not cut */
	memset(long_line, 'a', 4999);
	long_line[4999] = 0;
	assert_int_equal(-E2BIG, vms_kcmdline_ima_enforced(long_line, bad));
	assert_int_equal(-E2BIG, vms_kcmdline_lockdown(long_line));
	free(long_line);
}

/* The real SeaBIOS boot measures no command line: nothing to believe. */
static void real_seabios_log_has_no_cmdline(void **state)
{
	struct vms_tpm_eventlog b;
	char detail[VMS_POLICY_DETAIL_MAX];

	(void)state;
	boot_with(NULL, &b);
	assert_int_equal(0, b.n_cmdlines);
	assert_null(b.cmdline);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "no kernel command line on PCR 8"));
	vms_tpm_eventlog_free(&b);
}

static void cmdline_with_lockdown_passes(void **state)
{
	struct vms_tpm_eventlog b, plain;
	char detail[VMS_POLICY_DETAIL_MAX];
	uint8_t pcr8[VMS_SHA256_LEN] = { 0 }, d[64];

	(void)state;
	boot_with(LINE_LOCKED, &b);
	boot_with(NULL, &plain);
	assert_int_equal(1, b.n_cmdlines);
	assert_string_equal(LINE_LOCKED, b.cmdline);
	assert_int_equal(plain.n_events, b.cmdline_event);
	assert_int_equal(0, b.cmdline_bad_event);
	/* PCR 8 replays to extend(0, SHA-256(line)), as the TPM computes */
	memcpy(d, pcr8, 32);
	assert_true(EVP_Digest(LINE_LOCKED, strlen(LINE_LOCKED), d + 32, NULL,
			       EVP_sha256(), NULL));
	assert_true(EVP_Digest(d, 64, pcr8, NULL, EVP_sha256(), NULL));
	assert_memory_equal(pcr8, b.pcr[8], 32);
	assert_int_equal(HGS_PASSED,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_string_equal("", detail);
	/* the policy switched off asks nothing, even of a log without one */
	{
		struct vms_tpm_policy off = { 0 };
		struct vms_isolation_report r;

		report_at(&r, VMSHIELD_LOCKDOWN_NONE);
		assert_int_equal(HGS_PASSED, vms_tpm_boot_policy_evaluate(
			&off, &r, &plain, ALL_PCRS, NULL, 0, detail));
	}
	vms_tpm_eventlog_free(&plain);
	vms_tpm_eventlog_free(&b);
}

static void cmdline_without_lockdown_refused(void **state)
{
	struct vms_tpm_eventlog b;
	char detail[VMS_POLICY_DETAIL_MAX];

	(void)state;
	boot_with(LINE_OPEN, &b);
	/* the report says confidentiality: it came later, from sysfs */
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "sets no lockdown="));
	assert_non_null(strstr(detail, "from sysfs"));
	vms_tpm_eventlog_free(&b);

	/* integrity on the line, confidentiality raised later: refused */
	boot_with("/vmlinuz ro lockdown=integrity", &b);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "lockdown=integrity; the report's confidentiality came later"));
	/* and integrity held from boot is still below the policy's level */
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_INTEGRITY, detail));
	assert_non_null(strstr(detail, "policy needs confidentiality"));
	vms_tpm_eventlog_free(&b);

	/* lockdown after "--" is init's, not the kernel's */
	boot_with("/vmlinuz ro -- lockdown=confidentiality", &b);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	vms_tpm_eventlog_free(&b);
}

/* PCR 8 not quoted: its events replay to nothing the TPM signed. */
static void cmdline_pcr_not_quoted_refused(void **state)
{
	struct vms_tpm_eventlog b;
	char detail[VMS_POLICY_DETAIL_MAX];

	(void)state;
	boot_with(LINE_LOCKED, &b);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, T_QUOTE_MASK,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "PCR 8 (the kernel command line) is not quoted"));
	vms_tpm_eventlog_free(&b);
}

/*
 * Tampering: edited text under the genuine digest replays but is not
 * believed; an edited digest no longer replays to the PCR 8 the TPM holds
 * (what step 7 of the verification refuses, TpmEventLogReplayMismatch);
 * a second command line appended by root (with PCR 8 extended to match)
 * is refused.
 */
static void tampered_cmdline_refused(void **state)
{
	struct vms_tpm_eventlog genuine, b;
	char detail[VMS_POLICY_DETAIL_MAX];
	uint8_t pcrs[VMS_TPM_PCRS][VMS_SHA256_LEN];
	unsigned int bad = 99;
	uint8_t *log;
	size_t len;
	char data[128];

	(void)state;
	boot_with(LINE_OPEN, &genuine);
	memcpy(pcrs, genuine.pcr, sizeof(pcrs));

	/* text says lockdown, digest is the genuine (open) line's */
	log = t_tpm_read("bios_measurements.bin", &len);
	snprintf(data, sizeof(data), GRUB_PREFIX "%s", LINE_LOCKED);
	append_event(&log, &len, 8, EV_IPL, data, strlen(data) + 1,
		     LINE_OPEN, strlen(LINE_OPEN));
	assert_int_equal(0, vms_tpm_eventlog_parse(log, len, &b));
	free(log);
	assert_int_equal(0, vms_tpm_eventlog_check_pcrs(&b, ALL_PCRS, pcrs, &bad));
	assert_int_equal(b.cmdline_event + 1, b.cmdline_bad_event);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "not what its digest covers"));
	vms_tpm_eventlog_free(&b);

	/* a NUL inside the text is not a line the kernel got */
	log = t_tpm_read("bios_measurements.bin", &len);
	memcpy(data, GRUB_PREFIX "ab\0lockdown=confidentiality", 44);
	append_event(&log, &len, 8, EV_IPL, data, 44, "ab", 2);
	assert_int_equal(0, vms_tpm_eventlog_parse(log, len, &b));
	free(log);
	assert_int_not_equal(0, b.cmdline_bad_event);
	vms_tpm_eventlog_free(&b);

	/* text and digest both of the locked line: PCR 8 does not replay */
	boot_with(LINE_LOCKED, &b);
	assert_int_equal(-EBADMSG,
			 vms_tpm_eventlog_check_pcrs(&b, ALL_PCRS, pcrs, &bad));
	assert_int_equal(8, bad);
	vms_tpm_eventlog_free(&b);

	/* a second command line after the genuine one */
	log = t_tpm_read("bios_measurements.bin", &len);
	append_grub_cmdline(&log, &len, LINE_OPEN);
	append_grub_cmdline(&log, &len, LINE_LOCKED);
	assert_int_equal(0, vms_tpm_eventlog_parse(log, len, &b));
	free(log);
	assert_int_equal(2, b.n_cmdlines);
	assert_string_equal(LINE_OPEN, b.cmdline);
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE,
			 lockdown_verdict(&b, ALL_PCRS,
					  VMSHIELD_LOCKDOWN_CONFIDENTIALITY, detail));
	assert_non_null(strstr(detail, "2 kernel command lines"));
	vms_tpm_eventlog_free(&b);
	vms_tpm_eventlog_free(&genuine);

	/* GRUB's other PCR 8 records (commands) are not command lines */
	log = t_tpm_read("bios_measurements.bin", &len);
	snprintf(data, sizeof(data), "grub_cmd: linux /vmlinuz lockdown=confidentiality");
	append_event(&log, &len, 8, EV_IPL, data, strlen(data) + 1, data + 10,
		     strlen(data + 10));
	assert_int_equal(0, vms_tpm_eventlog_parse(log, len, &b));
	free(log);
	assert_int_equal(0, b.n_cmdlines);
	vms_tpm_eventlog_free(&b);
}

struct ima_fixture {
	uint8_t *raw;
	size_t len;
	struct vms_ima_log ima;
	size_t covered;
	size_t file;		/* a file entry of the real list */
};

static void ima_load(struct ima_fixture *f)
{
	uint8_t pcr[VMS_TPM_PCRS][32];
	size_t i;

	memset(f, 0, sizeof(*f));
	f->raw = t_tpm_read("ima_measurements.bin", &f->len);
	t_tpm_quote_pcrs("quote_rsa.pcrs", pcr);
	assert_int_equal(0, vms_ima_log_parse(f->raw, f->len, &f->ima));
	assert_int_equal(0, vms_ima_log_replay(&f->ima, pcr[10], &f->covered));
	for (i = 1; i < f->covered; i++)
		if (vms_ima_entry_is_file(&f->ima.e[i]) &&
		    !strcmp(f->ima.e[i].algo, "sha256"))
			break;
	assert_true(i < f->covered);
	f->file = i;
}

static void ima_unload(struct ima_fixture *f)
{
	vms_ima_log_free(&f->ima);
	free(f->raw);
}

static enum vms_hgs_reason ima_verdict(const struct vms_tpm_eventlog *b,
				       const struct ima_fixture *f,
				       const uint8_t (*approved)[32],
				       size_t covered, char *detail)
{
	struct vms_tpm_policy p = {
		.ima_policy_digests = approved,
		.n_ima_policy_digests = 1,
	};
	struct vms_isolation_report r;

	report_at(&r, VMSHIELD_LOCKDOWN_CONFIDENTIALITY);
	return vms_tpm_boot_policy_evaluate(&p, &r, b, ALL_PCRS, &f->ima,
					    covered, detail);
}

/*
 * The IMA policy check on the real IMA list: one of its real file
 * entries stands for the policy file (its digest approved), since the
 * captured boot loaded no policy by path.
 */
static void ima_policy_approved_passes(void **state)
{
	struct vms_tpm_eventlog b;
	struct ima_fixture f;
	uint8_t approved[1][32];
	char detail[VMS_POLICY_DETAIL_MAX];

	(void)state;
	ima_load(&f);
	memcpy(approved[0], f.ima.e[f.file].digest, 32);
	boot_with(LINE_LOCKED, &b);
	assert_int_equal(HGS_PASSED, ima_verdict(&b, &f, approved, f.covered, detail));
	vms_tpm_eventlog_free(&b);
	boot_with("/vmlinuz ro ima_appraise=enforce", &b);
	assert_int_equal(HGS_PASSED, ima_verdict(&b, &f, approved, f.covered, detail));
	vms_tpm_eventlog_free(&b);
	ima_unload(&f);
}

static void ima_policy_not_proven_refused(void **state)
{
	struct vms_tpm_eventlog b;
	struct ima_fixture f;
	uint8_t approved[1][32];
	char detail[VMS_POLICY_DETAIL_MAX];

	(void)state;
	ima_load(&f);
	memcpy(approved[0], f.ima.e[f.file].digest, 32);

	/* appraisal weakened on the measured command line */
	boot_with("/vmlinuz ro ima_appraise=log", &b);
	assert_int_equal(HGS_R_POLICY_IMA_POLICY_NOT_PROVEN,
			 ima_verdict(&b, &f, approved, f.covered, detail));
	assert_non_null(strstr(detail, "weakens IMA appraisal (ima_appraise=log)"));
	vms_tpm_eventlog_free(&b);

	/* no measured command line at all (the real SeaBIOS boot) */
	boot_with(NULL, &b);
	assert_int_equal(HGS_R_POLICY_IMA_POLICY_NOT_PROVEN,
			 ima_verdict(&b, &f, approved, f.covered, detail));
	assert_non_null(strstr(detail, "no kernel command line"));
	vms_tpm_eventlog_free(&b);

	boot_with(LINE_LOCKED, &b);
	/* the approved policy not among the quoted entries */
	assert_int_equal(HGS_R_POLICY_IMA_POLICY_NOT_PROVEN,
			 ima_verdict(&b, &f, approved, f.file, detail));
	assert_non_null(strstr(detail, "no approved IMA policy file"));
	/* another digest approved */
	approved[0][0] ^= 1;
	assert_int_equal(HGS_R_POLICY_IMA_POLICY_NOT_PROVEN,
			 ima_verdict(&b, &f, approved, f.covered, detail));
	/* a count beyond the list is a caller's error, refused */
	assert_int_equal(HGS_R_INTERNAL_ERROR,
			 ima_verdict(&b, &f, approved, f.ima.n + 1, detail));
	vms_tpm_eventlog_free(&b);
	ima_unload(&f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_rules_for_words),
		cmocka_unit_test(ima_appraise_values),
		cmocka_unit_test(real_seabios_log_has_no_cmdline),
		cmocka_unit_test(cmdline_with_lockdown_passes),
		cmocka_unit_test(cmdline_without_lockdown_refused),
		cmocka_unit_test(cmdline_pcr_not_quoted_refused),
		cmocka_unit_test(tampered_cmdline_refused),
		cmocka_unit_test(ima_policy_approved_passes),
		cmocka_unit_test(ima_policy_not_proven_refused),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("tpm_cmdline", tests, NULL, NULL);
}
