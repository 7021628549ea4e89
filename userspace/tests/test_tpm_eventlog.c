// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpm_eventlog - the TCG boot event log and boot baselines, on the
 * rig's real SeaBIOS log (data/tpm/bios_measurements.bin): it replays to
 * the PCRs the TPM quoted; reordered, truncated, extended or malformed
 * logs are refused; baselines capture, round-trip and name the first
 * differing event.
 */
#include "testutil.h"

#include <errno.h>

#include <openssl/evp.h>

#include "tpm_data.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"

/* The real log has one bank (SHA-256): header 32 + 33 bytes. */
#define HDR_LEN		65
#define EV_FIXED	(4 + 4 + 4 + 2 + 32 + 4)

struct rawlog {
	uint8_t *buf;
	size_t len;
	size_t n;
	size_t off[64], size[64];	/* each event's bytes */
};

static void raw_load(struct rawlog *r)
{
	size_t p;

	memset(r, 0, sizeof(*r));
	r->buf = t_tpm_read("bios_measurements.bin", &r->len);
	for (p = HDR_LEN; p < r->len; r->n++) {
		uint32_t dsz;

		assert_true(r->n < 64);
		memcpy(&dsz, r->buf + p + EV_FIXED - 4, 4);
		r->off[r->n] = p;
		r->size[r->n] = EV_FIXED + dsz;
		p += r->size[r->n];
	}
	assert_int_equal(p, r->len);
}

/* A new log: the header, then events in the order @order (-1 ends). */
static uint8_t *raw_build(const struct rawlog *r, const int *order,
			  size_t *len)
{
	uint8_t *b = t_malloc(2 * r->len);
	size_t p = HDR_LEN;

	memcpy(b, r->buf, HDR_LEN);
	for (; *order >= 0; order++) {
		memcpy(b + p, r->buf + r->off[*order], r->size[*order]);
		p += r->size[*order];
	}
	*len = p;
	return b;
}

static void quoted_pcrs(uint8_t pcr[VMS_TPM_PCRS][32])
{
	t_tpm_quote_pcrs("quote_rsa.pcrs", pcr);
}

static void real_log_replays_to_quoted_pcrs(void **state)
{
	uint8_t pcr[VMS_TPM_PCRS][32];
	struct vms_tpm_eventlog log;
	struct rawlog r;
	unsigned int bad = 99;

	(void)state;
	raw_load(&r);
	quoted_pcrs(pcr);
	assert_int_equal(0, vms_tpm_eventlog_parse(r.buf, r.len, &log));
	assert_int_equal(r.n, log.n_events);
	assert_int_equal(0xff, log.pcr_touched & 0xff);
	assert_int_equal(0, vms_tpm_eventlog_check_pcrs(&log, 0xff, pcr, &bad));
	assert_int_equal(-1, log.secure_boot);	/* SeaBIOS has no UEFI vars */
	/* PCR 10 is IMA's, not the firmware's: the log never touches it */
	assert_int_equal(-EBADMSG,
			 vms_tpm_eventlog_check_pcrs(&log, 1u << 10, pcr, &bad));
	assert_int_equal(10, bad);
	vms_tpm_eventlog_free(&log);
	free(r.buf);
}

/* Two events of one PCR with different digests (order matters there). */
static void find_same_pcr_pair(const struct vms_tpm_eventlog *log, int *a,
			       int *b)
{
	size_t i, j;

	for (i = 0; i < log->n_events; i++)
		for (j = i + 1; j < log->n_events; j++)
			if (log->events[i].pcr == log->events[j].pcr &&
			    log->events[i].type != VMS_EV_NO_ACTION &&
			    memcmp(log->events[i].sha256,
				   log->events[j].sha256, 32)) {
				*a = (int)i;
				*b = (int)j;
				return;
			}
	fail_msg("the real log has no two distinct events on one PCR");
}

static void expect_replay_fails(const struct rawlog *r, const int *order,
				unsigned int want_pcr)
{
	uint8_t pcr[VMS_TPM_PCRS][32], *b;
	struct vms_tpm_eventlog log;
	unsigned int bad = 99;
	size_t len;

	quoted_pcrs(pcr);
	b = raw_build(r, order, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &log));
	assert_int_equal(-EBADMSG,
			 vms_tpm_eventlog_check_pcrs(&log, 0xff, pcr, &bad));
	assert_int_equal(want_pcr, bad);
	vms_tpm_eventlog_free(&log);
	free(b);
}

static void reordered_log_refused(void **state)
{
	struct vms_tpm_eventlog log;
	struct rawlog r;
	int order[70], a = -1, b = -1;
	size_t i;

	(void)state;
	raw_load(&r);
	assert_int_equal(0, vms_tpm_eventlog_parse(r.buf, r.len, &log));
	find_same_pcr_pair(&log, &a, &b);
	for (i = 0; i < r.n; i++)
		order[i] = (int)i;
	order[i] = -1;
	order[a] = b;
	order[b] = a;
	expect_replay_fails(&r, order, log.events[a].pcr);
	vms_tpm_eventlog_free(&log);
	free(r.buf);
}

static void truncated_log_refused(void **state)
{
	struct rawlog r;
	int order[70];
	size_t i;
	uint32_t last_pcr;

	(void)state;
	raw_load(&r);
	for (i = 0; i + 1 < r.n; i++)
		order[i] = (int)i;
	order[i] = -1;
	memcpy(&last_pcr, r.buf + r.off[r.n - 1], 4);
	expect_replay_fails(&r, order, last_pcr);
	free(r.buf);
}

static void extra_event_refused(void **state)
{
	struct rawlog r;
	int order[70];
	size_t i;
	uint32_t pcr;

	(void)state;
	raw_load(&r);
	for (i = 0; i < r.n; i++)
		order[i] = (int)i;
	order[i] = 2;		/* event 2 once more at the end */
	order[i + 1] = -1;
	memcpy(&pcr, r.buf + r.off[2], 4);
	expect_replay_fails(&r, order, pcr);
	free(r.buf);
}

static void malformed_logs_refused(void **state)
{
	struct vms_tpm_eventlog log;
	struct rawlog r;
	uint8_t *b;
	size_t cut;

	(void)state;
	raw_load(&r);
	b = t_malloc(r.len + 1);
	/* every truncation inside an event or the header */
	for (cut = 0; cut < r.len; cut++) {
		size_t i;
		int boundary = cut == HDR_LEN;

		for (i = 0; i < r.n; i++)
			boundary |= cut == r.off[i];
		if (boundary)
			continue;
		assert_int_equal(-EBADMSG,
				 vms_tpm_eventlog_parse(r.buf, cut, &log));
		assert_int_equal(0, log.n_events);
		assert_null(log.events);
	}
	/* a trailing byte */
	memcpy(b, r.buf, r.len);
	b[r.len] = 0;
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(b, r.len + 1, &log));
	/* not the Spec ID signature */
	memcpy(b, r.buf, r.len);
	b[32 + 5] ^= 1;
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(b, r.len, &log));
	/* a PCR index of 24 */
	memcpy(b, r.buf, r.len);
	b[r.off[3]] = 24;
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(b, r.len, &log));
	/* an event naming a bank the Spec ID event did not */
	memcpy(b, r.buf, r.len);
	b[r.off[3] + 12] = 0x0c;
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(b, r.len, &log));
	/* an event data size past the end */
	memcpy(b, r.buf, r.len);
	b[r.off[r.n - 1] + EV_FIXED - 1] = 0x7f;
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(b, r.len, &log));
	/* no SHA-256 bank: the only bank becomes SM3-256 (also 32 bytes) */
	memcpy(b, r.buf, r.len);
	assert_int_equal(0x0b, b[32 + 28]);
	b[32 + 28] = 0x12;
	assert_int_equal(-ENOTSUP, vms_tpm_eventlog_parse(b, r.len, &log));
	assert_int_equal(-EBADMSG, vms_tpm_eventlog_parse(NULL, 0, &log));
	free(b);
	free(r.buf);
}

static void startup_locality_sets_pcr0(void **state)
{
	struct vms_tpm_eventlog log;
	struct rawlog r;
	uint8_t *b, ev[EV_FIXED + 17];
	uint32_t v;
	size_t len;

	(void)state;
	raw_load(&r);
	/* header, a StartupLocality(3) EV_NO_ACTION, then the real events */
	memset(ev, 0, sizeof(ev));
	v = VMS_EV_NO_ACTION;
	memcpy(ev + 4, &v, 4);
	v = 1;
	memcpy(ev + 8, &v, 4);
	ev[12] = 0x0b;
	v = 17;
	memcpy(ev + EV_FIXED - 4, &v, 4);
	memcpy(ev + EV_FIXED, "StartupLocality", 16);
	ev[EV_FIXED + 16] = 3;
	len = r.len + sizeof(ev);
	b = t_malloc(len);
	memcpy(b, r.buf, HDR_LEN);
	memcpy(b + HDR_LEN, ev, sizeof(ev));
	memcpy(b + HDR_LEN + sizeof(ev), r.buf + HDR_LEN, r.len - HDR_LEN);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &log));
	{
		uint8_t pcr[VMS_TPM_PCRS][32];
		unsigned int bad;

		quoted_pcrs(pcr);
		/* PCR 0 starts at 00..03 now, so it no longer replays */
		assert_int_equal(-EBADMSG, vms_tpm_eventlog_check_pcrs(&log,
					   0xff, pcr, &bad));
		assert_int_equal(0, bad);
		assert_int_equal(0, vms_tpm_eventlog_check_pcrs(&log, 0xfe,
					   pcr, &bad));
	}
	vms_tpm_eventlog_free(&log);
	free(b);
	free(r.buf);
}

/*
 * Append an EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot=@on on PCR 7; with
 * @edit, the data then says the opposite while the digest stays that of
 * @on (one byte of the log edited by root).
 */
static uint8_t *with_secure_boot_ex(const struct rawlog *r, int on, int edit,
				    size_t *len)
{
	static const uint8_t guid[16] = {
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
		0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
	};
	uint8_t data[32 + 20 + 1], *b, *p;
	uint64_t n = 10, d = 1;
	uint32_t v;
	int i;

	memcpy(data, guid, 16);
	memcpy(data + 16, &n, 8);
	memcpy(data + 24, &d, 8);
	for (i = 0; i < 10; i++) {
		data[32 + 2 * i] = (uint8_t)"SecureBoot"[i];
		data[33 + 2 * i] = 0;
	}
	data[52] = (uint8_t)on;
	*len = r->len + EV_FIXED + sizeof(data);
	b = t_malloc(*len);
	memcpy(b, r->buf, r->len);
	p = b + r->len;
	v = 7;
	memcpy(p, &v, 4);
	v = VMS_EV_EFI_VARIABLE_DRIVER_CONFIG;
	memcpy(p + 4, &v, 4);
	v = 1;
	memcpy(p + 8, &v, 4);
	p[12] = 0x0b;
	p[13] = 0;
	EVP_Digest(data, sizeof(data), p + 14, NULL, EVP_sha256(), NULL);
	v = sizeof(data);
	memcpy(p + 46, &v, 4);
	if (edit)
		data[52] = (uint8_t)!on;
	memcpy(p + 50, data, sizeof(data));
	return b;
}

static uint8_t *with_secure_boot(const struct rawlog *r, int on, size_t *len)
{
	return with_secure_boot_ex(r, on, 0, len);
}

static void secure_boot_variable_read(void **state)
{
	struct vms_tpm_eventlog log;
	struct rawlog r;
	uint8_t *b;
	size_t len;

	(void)state;
	raw_load(&r);
	b = with_secure_boot(&r, 1, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &log));
	assert_int_equal(1, log.secure_boot);
	vms_tpm_eventlog_free(&log);
	free(b);
	b = with_secure_boot(&r, 0, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &log));
	assert_int_equal(0, log.secure_boot);
	vms_tpm_eventlog_free(&log);
	free(b);
	free(r.buf);
}

/*
 * Issue 22 item 3: a SecureBoot=0 boot whose event data root edited to
 * say 1. The digests are untouched, so the log still replays to the same
 * PCR 7; the data no longer hashes to its digest and is not believed.
 */
static void secure_boot_edited_data_not_believed(void **state)
{
	struct vms_tpm_eventlog log, honest;
	struct rawlog r;
	uint8_t *b;
	size_t len;

	(void)state;
	raw_load(&r);
	b = with_secure_boot(&r, 0, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &honest));
	free(b);
	b = with_secure_boot_ex(&r, 0, 1, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(b, len, &log));
	assert_int_equal(VMS_SB_DATA_MISMATCH, log.secure_boot);
	assert_int_equal(log.n_events - 1, log.secure_boot_event);
	/* the edit is invisible to the replay: same PCR 7 as the honest log */
	assert_memory_equal(honest.pcr[7], log.pcr[7], VMS_SHA256_LEN);
	vms_tpm_eventlog_free(&log);
	vms_tpm_eventlog_free(&honest);
	free(b);
	free(r.buf);
}

static void baseline_capture_roundtrip_compare(void **state)
{
	struct vms_baseline b, back;
	struct vms_baseline_diff d;
	struct vms_tpm_eventlog log;
	struct rawlog r;
	char err[128], *json;

	(void)state;
	raw_load(&r);
	assert_int_equal(0, vms_tpm_eventlog_parse(r.buf, r.len, &log));
	assert_int_equal(0, vms_baseline_capture(&log, "rig-seabios",
						 "qemu-q35", 1, &b));
	assert_true(b.n > 0 && b.n <= log.n_events);
	json = vms_baseline_to_json(&b);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"EV_SEPARATOR\""));
	assert_int_equal(0, vms_baseline_from_json(json, strlen(json), &back,
						   err));
	assert_int_equal(b.n, back.n);
	assert_memory_equal(b.ev, back.ev, b.n * sizeof(*b.ev));
	assert_string_equal("qemu-q35", back.hw_class);
	assert_int_equal(1, back.version);
	assert_int_equal(HGS_PASSED, vms_baseline_compare(&back, &log, T_QUOTE_MASK,
							   &d));
	free(json);
	vms_baseline_free(&back);
	vms_baseline_free(&b);
	vms_tpm_eventlog_free(&log);
	free(r.buf);
}

static void boot_differing_from_baseline_refused(void **state)
{
	struct vms_tpm_eventlog log, other;
	struct vms_baseline_diff d;
	struct vms_baseline b;
	struct rawlog r;
	char line[512];
	int order[70];
	uint8_t *mod;
	size_t i, len;

	(void)state;
	raw_load(&r);
	assert_int_equal(0, vms_tpm_eventlog_parse(r.buf, r.len, &log));
	assert_int_equal(0, vms_baseline_capture(&log, "ref", "q35", 3, &b));

	/* another option ROM: event 3's digest differs */
	mod = t_malloc(r.len);
	memcpy(mod, r.buf, r.len);
	mod[r.off[3] + 14] ^= 0xff;
	assert_int_equal(0, vms_tpm_eventlog_parse(mod, r.len, &other));
	assert_int_equal(HGS_R_TPM_BASELINE_MISMATCH,
			 vms_baseline_compare(&b, &other, T_QUOTE_MASK, &d));
	assert_int_equal(VMS_DIFF_DIGEST, d.kind);
	assert_int_equal(3, d.index);
	assert_int_equal(other.events[3].pcr, d.found.pcr);
	assert_memory_equal(other.events[3].sha256, d.found.sha256, 32);
	assert_memory_equal(log.events[3].sha256, d.expected.sha256, 32);
	assert_true(vms_baseline_diff_format(&d, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "event 3: expected PCR"));
	vms_tpm_eventlog_free(&other);
	free(mod);

	/* events of two PCRs swapped: each PCR still replays, the order not */
	for (i = 0; i < r.n; i++)
		order[i] = (int)i;
	order[i] = -1;
	order[0] = 1;
	order[1] = 0;
	assert_int_not_equal(log.events[0].pcr, log.events[1].pcr);
	mod = raw_build(&r, order, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(mod, len, &other));
	assert_int_equal(HGS_R_TPM_BASELINE_MISMATCH,
			 vms_baseline_compare(&b, &other, T_QUOTE_MASK, &d));
	assert_int_equal(0, d.index);
	vms_tpm_eventlog_free(&other);
	free(mod);

	/* a shorter boot, and a longer one */
	order[0] = 0;
	order[1] = 1;
	order[r.n - 1] = -1;
	mod = raw_build(&r, order, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(mod, len, &other));
	assert_int_equal(HGS_R_TPM_BASELINE_MISMATCH,
			 vms_baseline_compare(&b, &other, T_QUOTE_MASK, &d));
	assert_int_equal(VMS_DIFF_MISSING, d.kind);
	assert_int_equal(b.n - 1, d.index);
	vms_tpm_eventlog_free(&other);
	free(mod);
	order[r.n - 1] = (int)r.n - 1;
	order[r.n] = 2;
	order[r.n + 1] = -1;
	mod = raw_build(&r, order, &len);
	assert_int_equal(0, vms_tpm_eventlog_parse(mod, len, &other));
	assert_int_equal(HGS_R_TPM_BASELINE_MISMATCH,
			 vms_baseline_compare(&b, &other, T_QUOTE_MASK, &d));
	assert_int_equal(VMS_DIFF_EXTRA, d.kind);
	assert_int_equal(b.n, d.index);
	vms_tpm_eventlog_free(&other);
	free(mod);

	vms_baseline_free(&b);
	vms_tpm_eventlog_free(&log);
	free(r.buf);
}

static void bad_baselines_refused(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"format\":\"vmshield-boot-baseline v2\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a b\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":0,\"enabled\":true,\"events\":[]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[],\"extra\":1}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[{\"pcr\":10,\"type\":\"EV_SEPARATOR\",\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[{\"pcr\":16,\"type\":\"EV_SEPARATOR\",\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[{\"pcr\":1,\"type\":\"EV_NO_ACTION\",\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[{\"pcr\":1,\"type\":\"EV_SEPARATOR\",\"sha256\":\"00\"}]}",
		"{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"name\":\"c\",\"hardware_class\":\"b\",\"version\":1,\"enabled\":true,\"events\":[]}",
	};
	struct vms_baseline b;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(-EINVAL, vms_baseline_from_json(bad[i],
				 strlen(bad[i]), &b, err));
		assert_true(err[0] != 0);
		assert_null(b.ev);
	}
	/* EV_0x names of unknown types are accepted and kept */
	{
		const char *ok = "{\"format\":\"vmshield-boot-baseline v1\",\"name\":\"a\",\"hardware_class\":\"b\",\"version\":2,\"enabled\":false,\"events\":[{\"pcr\":1,\"type\":\"EV_0x0000abcd\",\"sha256\":\"00000000000000000000000000000000000000000000000000000000000000ff\"}]}";

		assert_int_equal(0, vms_baseline_from_json(ok, strlen(ok), &b,
							   err));
		assert_int_equal(0xabcd, b.ev[0].type);
		assert_int_equal(0, b.enabled);
		vms_baseline_free(&b);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_log_replays_to_quoted_pcrs),
		cmocka_unit_test(reordered_log_refused),
		cmocka_unit_test(truncated_log_refused),
		cmocka_unit_test(extra_event_refused),
		cmocka_unit_test(malformed_logs_refused),
		cmocka_unit_test(startup_locality_sets_pcr0),
		cmocka_unit_test(secure_boot_variable_read),
		cmocka_unit_test(secure_boot_edited_data_not_believed),
		cmocka_unit_test(baseline_capture_roundtrip_compare),
		cmocka_unit_test(boot_differing_from_baseline_refused),
		cmocka_unit_test(bad_baselines_refused),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("tpm_eventlog", tests, NULL, NULL);
}
