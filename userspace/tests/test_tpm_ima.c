// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpm_ima - the IMA measurement list, the module's report entry and
 * the TPM-mode policies, on the rig's real list (data/tpm/
 * ima_measurements.bin, vmshield.ko loaded, lockdown raised): it replays
 * to the PCR 10 the TPM quoted, the latest vmshield-report entry names
 * the enclave key, and each policy failure has its own reason.
 */
#include "testutil.h"

#include <errno.h>

#include <linux/vmshield.h>
#include <openssl/evp.h>

#include "tpm_data.h"
#include "vms_hgs_attest.h"
#include "vms_ima_log.h"
#include "vms_tpm_eventlog.h"
#include "vms_tpm_policy.h"

struct ifix {
	uint8_t *raw, *report, *bios;
	size_t len, rlen, blen;
	struct vms_ima_log log;
	uint8_t pcr[VMS_TPM_PCRS][32];
	uint8_t pk[32];
};

static void load(struct ifix *f)
{
	const char *k;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->raw = t_tpm_read("ima_measurements.bin", &f->len);
	f->report = t_tpm_read("report.txt", &f->rlen);
	f->bios = t_tpm_read("bios_measurements.bin", &f->blen);
	t_tpm_quote_pcrs("quote_rsa.pcrs", f->pcr);
	assert_int_equal(0, vms_ima_log_parse(f->raw, f->len, &f->log));
	k = strstr((char *)f->report, "enclave_pk=");
	assert_non_null(k);
	for (i = 0; i < 32; i++) {
		unsigned int b;

		assert_true(sscanf(k + 11 + 2 * i, "%2x", &b) == 1);
		f->pk[i] = (uint8_t)b;
	}
}

static void unload(struct ifix *f)
{
	vms_ima_log_free(&f->log);
	free(f->raw);
	free(f->report);
	free(f->bios);
}

/* Byte offset and length of each record of the raw list. */
static size_t raw_records(const uint8_t *b, size_t len, size_t *off,
			  size_t *sz, size_t max)
{
	size_t p = 0, n = 0;

	while (p < len) {
		uint32_t nl, dl;

		assert_true(n < max);
		memcpy(&nl, b + p + 24, 4);
		memcpy(&dl, b + p + 28 + nl, 4);
		off[n] = p;
		sz[n] = 32 + nl + dl;
		p += sz[n++];
	}
	assert_int_equal(p, len);
	return n;
}

static void extend(uint8_t pcr[32], const uint8_t d[32])
{
	uint8_t in[64];

	memcpy(in, pcr, 32);
	memcpy(in + 32, d, 32);
	EVP_Digest(in, 64, pcr, NULL, EVP_sha256(), NULL);
}

static void real_list_replays_to_quoted_pcr10(void **state)
{
	uint8_t ecc[VMS_TPM_PCRS][32];
	size_t covered = 0, covered_ecc = 0;
	struct ifix f;

	(void)state;
	load(&f);
	assert_true(f.log.n > 50);
	assert_int_equal(0, strcmp(f.log.e[0].name, "boot_aggregate"));
	/*
	 * The kernel's SHA-256 bank rule (SHA-256 over the template data as
	 * listed) meets the real TPM's PCR 10 at the RSA quote...
	 */
	assert_int_equal(0, vms_ima_log_replay(&f.log, f.pcr[10], &covered));
	assert_true(covered > 50 && covered < f.log.n);
	/* ...and, a few entries later, at the ECC quote taken after it */
	t_tpm_quote_pcrs("quote_ecc.pcrs", ecc);
	assert_int_equal(0, vms_ima_log_replay(&f.log, ecc[10], &covered_ecc));
	assert_true(covered_ecc > covered);
	unload(&f);
}

static void report_entry_binds_enclave_key(void **state)
{
	struct vms_isolation_report r;
	size_t covered;
	struct ifix f;
	int idx;

	(void)state;
	load(&f);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_bind_report(&f.log, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	assert_memory_equal(f.pk, r.enclave_pk, 32);
	assert_int_equal(VMSHIELD_ISOLATION_KERNEL_LOCKED, r.level);
	assert_int_equal(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, r.lockdown);
	idx = vms_ima_log_find_report(&f.log, covered);
	assert_true(idx > 0);
	assert_string_equal("vmshield-report", f.log.e[idx].name);
	unload(&f);
}

static void other_enclave_key_refused(void **state)
{
	struct vms_isolation_report r;
	size_t covered;
	struct ifix f;
	char *other;

	(void)state;
	load(&f);
	f.pk[0] ^= 1;
	assert_int_equal(HGS_R_IMA_REPORT_MISMATCH,
			 vms_tpm_bind_report(&f.log, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	f.pk[0] ^= 1;
	/* a report naming another key, with that key sent */
	other = strdup((char *)f.report);
	other[f.rlen - 1] = other[f.rlen - 1] == '0' ? '1' : '0';
	assert_int_equal(HGS_R_IMA_REPORT_MISMATCH,
			 vms_tpm_bind_report(&f.log, f.pcr[10], f.pk, other,
					     f.rlen, &covered, &r));
	free(other);
	unload(&f);
}

/*
 * The captured list holds two reports of the same key: kps_pk=none,
 * measured at first use, then the one naming HGS's KPS key (the capture
 * named it before the quotes, as hgs-agent does). Under the PCR 10
 * that list replays to, the older report is refused (only the latest
 * counts), the latest is certified.
 */
static void older_report_refused(void **state)
{
	struct vms_isolation_report r;
	size_t covered, i, len;
	struct vms_ima_log log;
	uint8_t pcr10[32], *raw;
	struct ifix f;
	int first = -1, last;

	(void)state;
	load(&f);
	raw = t_tpm_read("ima_measurements.bin", &len);
	assert_int_equal(0, vms_ima_log_parse(raw, len, &log));
	memset(pcr10, 0, 32);
	for (i = 0; i < log.n; i++)
		extend(pcr10, log.e[i].template_sha256);
	for (i = 0; i < log.n && first < 0; i++)
		if (log.e[i].buf && !strcmp(log.e[i].name, "vmshield-report"))
			first = (int)i;
	assert_true(first >= 0);
	last = vms_ima_log_find_report(&log, log.n);
	assert_true(last > first);
	assert_int_equal(HGS_R_IMA_REPORT_MISMATCH,
			 vms_tpm_bind_report(&log, pcr10, f.pk,
					     (const char *)log.e[first].buf,
					     log.e[first].buf_len, &covered,
					     &r));
	assert_int_equal(HGS_PASSED,
			 vms_tpm_bind_report(&log, pcr10, f.pk,
					     (const char *)log.e[last].buf,
					     log.e[last].buf_len, &covered,
					     &r));
	assert_true(r.kps_set);
	vms_ima_log_free(&log);
	free(raw);
	unload(&f);
}

/*
 * The captured list (a module from before issue 16's fix) reports the
 * enclave key kernel-open at load, then kernel-locked after the rise: one
 * key, so the binding passes, but the key's history is lower than the
 * level being certified.
 */
static void key_history_lower_refused(void **state)
{
	struct vms_isolation_report r, first;
	size_t covered;
	struct ifix f;

	(void)state;
	load(&f);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_bind_report(&f.log, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	assert_int_equal(VMSHIELD_ISOLATION_KERNEL_LOCKED, r.level);
	/*
	 * The capture comes from a fixed module: the key was made at the
	 * level it is certified at, and every report of it says so.
	 */
	assert_int_equal(HGS_PASSED, vms_tpm_key_history(&f.log, covered, &r));
	assert_int_equal(HGS_PASSED, vms_tpm_first_report(&f.log, covered, &first));
	assert_int_equal(HGS_PASSED, vms_tpm_key_history(&f.log, covered, &first));
	/* a claim above what the key's history shows is refused */
	r.level = VMSHIELD_ISOLATION_HYPERVISOR;
	assert_int_equal(HGS_R_IMA_REPORT_LEVEL_LOWER,
			 vms_tpm_key_history(&f.log, covered, &r));
	/* a lockdown above it too, at the same level */
	r = first;
	r.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY + 1;
	assert_int_equal(HGS_R_IMA_REPORT_LEVEL_LOWER,
			 vms_tpm_key_history(&f.log, covered, &r));
	/* another key's reports are not this check's (one_enclave_key's) */
	r.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	r.level = VMSHIELD_ISOLATION_HYPERVISOR;
	r.enclave_pk[0] ^= 1;
	assert_int_equal(HGS_PASSED, vms_tpm_key_history(&f.log, covered, &r));
	unload(&f);
}

/*
 * Placement hypervisor: the enclave's key lives outside the host and stays
 * the same when the host raises lockdown, so its report at kernel-open
 * earlier in the boot does not stop its certification at kernel-locked;
 * the same key reported once in placement kernel still does.
 */
static size_t forged_report_record(const char *report, uint8_t *out,
				   uint8_t tmpl256[32]);

static void hyp_report(const char *kernel_report, const char *level,
		       const char *lockdown, const char *placement,
		       char *out, size_t len)
{
	const char *rest = strstr(kernel_report, " sig_enforced=");

	assert_non_null(rest);
	snprintf(out, len, "vmshield-report v2 placement=%s level=%s lockdown=%s%s",
		 placement, level, lockdown, rest);
	out[strcspn(out, "\n")] = 0;
}

static void key_history_placement_hypervisor(void **state)
{
	struct vms_isolation_report r;
	char open_r[512], locked_r[512], kernel_r[512];
	uint8_t raw[2048], t256[32];
	struct vms_ima_log log;
	size_t n;
	struct ifix f;

	(void)state;
	load(&f);
	hyp_report((char *)f.report, "kernel-open", "none", "hypervisor",
		   open_r, sizeof(open_r));
	hyp_report((char *)f.report, "kernel-locked", "confidentiality",
		   "hypervisor", locked_r, sizeof(locked_r));
	hyp_report((char *)f.report, "kernel-open", "none", "kernel",
		   kernel_r, sizeof(kernel_r));
	assert_int_equal(0, vms_report_parse(locked_r, strlen(locked_r), &r));
	assert_int_equal(VMSHIELD_PLACEMENT_HYPERVISOR, r.placement);

	/* open, then locked, both in placement hypervisor: certified */
	n = forged_report_record(open_r, raw, t256);
	n += forged_report_record(locked_r, raw + n, t256);
	assert_int_equal(0, vms_ima_log_parse(raw, n, &log));
	assert_int_equal(HGS_PASSED, vms_tpm_key_history(&log, log.n, &r));
	vms_ima_log_free(&log);

	/* the same key once in placement kernel at kernel-open: refused */
	n = forged_report_record(kernel_r, raw, t256);
	n += forged_report_record(locked_r, raw + n, t256);
	assert_int_equal(0, vms_ima_log_parse(raw, n, &log));
	assert_int_equal(HGS_R_IMA_REPORT_LEVEL_LOWER,
			 vms_tpm_key_history(&log, log.n, &r));
	vms_ima_log_free(&log);
	unload(&f);
}

/*
 * A v1 report (before issue 17: no kps_pk) measured earlier in the same
 * boot, the module then replaced by a v2 one: the v1 entry cannot say
 * which key it held, so the list is refused as a conflict (as any second
 * key in one boot), not read as "no KPS key" or skipped.
 */
static void v1_report_in_list_refused(void **state)
{
	char v2[512], v1[512], *kps;
	uint8_t raw[2048], pcr10[32] = { 0 }, t256[32];
	struct vms_isolation_report r;
	struct vms_ima_log log;
	size_t n, covered;
	struct ifix f;

	(void)state;
	load(&f);
	assert_true(f.rlen < sizeof(v2));
	memcpy(v2, f.report, f.rlen);
	v2[f.rlen] = 0;
	v2[strcspn(v2, "\n")] = 0;
	assert_int_equal(0, strncmp(v2, "vmshield-report v2 ", 19));
	snprintf(v1, sizeof(v1), "vmshield-report v1 %s", v2 + 19);
	kps = strstr(v1, " kps_pk=");
	assert_non_null(kps);
	*kps = 0;		/* v1 had no kps_pk */
	assert_int_equal(-EPROTONOSUPPORT, vms_report_parse(v1, strlen(v1), &r));

	/* the v2 report alone binds... */
	n = forged_report_record(v2, raw, t256);
	extend(pcr10, t256);
	assert_int_equal(0, vms_ima_log_parse(raw, n, &log));
	assert_int_equal(HGS_PASSED, vms_tpm_bind_report(&log, pcr10, f.pk, v2, strlen(v2),
							 &covered, &r));
	vms_ima_log_free(&log);

	/* ...after a v1 report of the same boot it does not */
	memset(pcr10, 0, sizeof(pcr10));
	n = forged_report_record(v1, raw, t256);
	extend(pcr10, t256);
	n += forged_report_record(v2, raw + n, t256);
	extend(pcr10, t256);
	assert_int_equal(0, vms_ima_log_parse(raw, n, &log));
	assert_int_equal(HGS_R_IMA_REPORT_CONFLICT,
			 vms_tpm_bind_report(&log, pcr10, f.pk, v2, strlen(v2), &covered, &r));
	/* and it is no report at load to judge the key's history by */
	assert_int_equal(HGS_R_REPORT_MALFORMED, vms_tpm_first_report(&log, log.n, &r));
	vms_ima_log_free(&log);
	unload(&f);
}

static void list_not_replaying_refused(void **state)
{
	struct vms_isolation_report r;
	size_t off[512], sz[512], n, covered;
	struct vms_ima_log other;
	uint8_t pcr10[32], *b;
	struct ifix f;

	(void)state;
	load(&f);
	/* PCR 10 extended outside the list (root writing to the TPM) */
	memcpy(pcr10, f.pcr[10], 32);
	extend(pcr10, f.pk);
	assert_int_equal(HGS_R_IMA_LOG_REPLAY_MISMATCH,
			 vms_tpm_bind_report(&f.log, pcr10, f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	/* two entries swapped */
	n = raw_records(f.raw, f.len, off, sz, 512);
	b = t_malloc(f.len);
	memcpy(b, f.raw, f.len);
	memcpy(b + off[5], f.raw + off[6], sz[6]);
	memcpy(b + off[5] + sz[6], f.raw + off[5], sz[5]);
	assert_int_equal(0, vms_ima_log_parse(b, f.len, &other));
	assert_int_equal(HGS_R_IMA_LOG_REPLAY_MISMATCH,
			 vms_tpm_bind_report(&other, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	vms_ima_log_free(&other);
	/* an entry dropped from the middle */
	memcpy(b, f.raw, off[7]);
	memcpy(b + off[7], f.raw + off[8], f.len - off[8]);
	assert_int_equal(0, vms_ima_log_parse(b, f.len - sz[7], &other));
	assert_int_equal(HGS_R_IMA_LOG_REPLAY_MISMATCH,
			 vms_tpm_bind_report(&other, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	vms_ima_log_free(&other);
	/* the list cut before the quote */
	assert_int_equal(0, vms_ima_log_parse(f.raw, off[n / 3], &other));
	assert_int_equal(HGS_R_IMA_LOG_REPLAY_MISMATCH,
			 vms_tpm_bind_report(&other, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	vms_ima_log_free(&other);
	free(b);
	unload(&f);
}

/*
 * An ima-buf "vmshield-report" record as the kernel writes it, for
 * @report: template data d-ng ("sha256:" NUL digest), n-ng, buf; the
 * SHA-1 template digest in the record, the SHA-256 one in @tmpl256.
 */
static size_t forged_report_record(const char *report, uint8_t *out,
				   uint8_t tmpl256[32])
{
	static const char tname[] = "ima-buf", ev[] = "vmshield-report";
	uint32_t rlen = (uint32_t)strlen(report), u;
	uint8_t data[1024];
	size_t n = 0, o = 0;

	u = 8 + 32;
	memcpy(data + n, &u, 4);
	memcpy(data + n + 4, "sha256:", 8);
	EVP_Digest(report, rlen, data + n + 12, NULL, EVP_sha256(), NULL);
	n += 4 + u;
	u = sizeof(ev);
	memcpy(data + n, &u, 4);
	memcpy(data + n + 4, ev, u);
	n += 4 + u;
	memcpy(data + n, &rlen, 4);
	memcpy(data + n + 4, report, rlen);
	n += 4 + rlen;
	u = VMS_IMA_PCR;
	memcpy(out, &u, 4);
	EVP_Digest(data, n, out + 4, NULL, EVP_sha1(), NULL);
	EVP_Digest(data, n, tmpl256, NULL, EVP_sha256(), NULL);
	o = 24;
	u = sizeof(tname) - 1;
	memcpy(out + o, &u, 4);
	memcpy(out + o + 4, tname, u);
	o += 4 + u;
	u = (uint32_t)n;
	memcpy(out + o, &u, 4);
	memcpy(out + o + 4, data, n);
	return o + 4 + n;
}

static void forged_entry_with_pcr10_extended_refused(void **state)
{
	size_t off[512], sz[512], covered, rec_len;
	struct vms_isolation_report r;
	uint8_t pcr10[32], t256[32], rogue[32], *b;
	struct vms_ima_log forged;
	char report[512], *k;
	struct ifix f;
	size_t i;

	(void)state;
	load(&f);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_bind_report(&f.log, f.pcr[10], f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	raw_records(f.raw, f.len, off, sz, 512);
	/*
	 * Root's own key, a report naming it, the matching record appended
	 * to the quoted prefix and extended into PCR 10 by hand: the list
	 * replays and its latest report is root's...
	 */
	memset(rogue, 0x5a, 32);
	assert_true(f.rlen < sizeof(report));
	memcpy(report, f.report, f.rlen);
	report[f.rlen] = 0;
	k = strstr(report, "enclave_pk=");
	assert_non_null(k);
	for (i = 0; i < 32; i++) {
		char hx[3];

		snprintf(hx, sizeof(hx), "%02x", rogue[i]);
		memcpy(k + 11 + 2 * i, hx, 2);	/* in place: the fields after it stay */
	}
	b = t_malloc(off[covered] + 2048);
	memcpy(b, f.raw, off[covered]);
	rec_len = forged_report_record(report, b + off[covered], t256);
	memcpy(pcr10, f.pcr[10], 32);
	extend(pcr10, t256);
	assert_int_equal(0, vms_ima_log_parse(b, off[covered] + rec_len,
					      &forged));
	assert_int_equal(covered + 1, forged.n);
	assert_int_equal((int)covered, vms_ima_log_find_report(&forged,
							       forged.n));
	/* ...but the module's genuine entries name another key */
	assert_int_equal(HGS_R_IMA_REPORT_CONFLICT,
			 vms_tpm_bind_report(&forged, pcr10, rogue, report,
					     strlen(report), &covered, &r));
	/* the same list under the PCR 10 the TPM really has */
	assert_int_equal(HGS_R_IMA_REPORT_MISMATCH,
			 vms_tpm_bind_report(&forged, f.pcr[10], rogue, report,
					     strlen(report), &covered, &r));
	vms_ima_log_free(&forged);
	free(b);
	unload(&f);
}

static void report_entry_outside_quote_refused(void **state)
{
	struct vms_isolation_report r;
	uint8_t pcr10[32];
	size_t i, covered;
	struct ifix f;

	(void)state;
	load(&f);
	/* a quote taken before the module loaded: its prefix has no entry */
	memset(pcr10, 0, 32);
	for (i = 0; i < 20; i++)
		extend(pcr10, f.log.e[i].template_sha256);
	assert_int_equal(HGS_R_IMA_REPORT_ENTRY_MISSING,
			 vms_tpm_bind_report(&f.log, pcr10, f.pk,
					     (char *)f.report, f.rlen,
					     &covered, &r));
	assert_int_equal(20, covered);
	/* and no report at load to certify in it either */
	assert_int_equal(HGS_R_IMA_REPORT_ENTRY_MISSING,
			 vms_tpm_first_report(&f.log, 20, &r));
	/*
	 * in the whole quoted list: the first one measured, which is the
	 * locked one (the module makes its identity at first use, issue 16:
	 * the rig raised lockdown before anybody asked)
	 */
	assert_int_equal(HGS_PASSED,
			 vms_tpm_first_report(&f.log, f.log.n, &r));
	assert_int_equal(VMSHIELD_ISOLATION_KERNEL_LOCKED, r.level);
	assert_memory_equal(f.pk, r.enclave_pk, 32);
	unload(&f);
}

static void malformed_lists_refused(void **state)
{
	size_t off[512], sz[512], n, cut, j;
	struct vms_ima_log other;
	struct ifix f;
	uint8_t *b;

	(void)state;
	load(&f);
	n = raw_records(f.raw, f.len, off, sz, 512);
	/* every truncation inside the first records */
	for (cut = 1; cut < off[4]; cut++) {
		int boundary = 0;

		for (j = 0; j < 4; j++)
			boundary |= cut == off[j];
		if (boundary)
			continue;
		assert_int_equal(-EBADMSG, vms_ima_log_parse(f.raw, cut,
							     &other));
		assert_null(other.e);
	}
	b = t_malloc(f.len);
	/* the listed SHA-1 template digest does not match the data */
	memcpy(b, f.raw, f.len);
	b[off[3] + 4] ^= 1;
	assert_int_equal(-EBADMSG, vms_ima_log_parse(b, f.len, &other));
	/* a file digest altered (the listed template digest then differs) */
	memcpy(b, f.raw, f.len);
	b[off[3] + sz[3] - 10] ^= 1;
	assert_int_equal(-EBADMSG, vms_ima_log_parse(b, f.len, &other));
	/* a PCR other than 10 */
	memcpy(b, f.raw, f.len);
	b[off[2]] = 11;
	assert_int_equal(-EBADMSG, vms_ima_log_parse(b, f.len, &other));
	/* a template we do not read ("ima-ng" -> "ima-nx") */
	memcpy(b, f.raw, f.len);
	assert_memory_equal(b + off[2] + 28, "ima-ng", 6);
	b[off[2] + 33] = 'x';
	assert_int_equal(-ENOTSUP, vms_ima_log_parse(b, f.len, &other));
	/* a field length running past its record */
	memcpy(b, f.raw, f.len);
	b[off[2] + 28 + 6 + 4 + 3] = 0x40;
	assert_int_equal(-EBADMSG, vms_ima_log_parse(b, f.len, &other));
	assert_int_equal(-EBADMSG, vms_ima_log_parse(NULL, 0, &other));
	(void)n;
	free(b);
	unload(&f);
}

static void violation_extends_all_ones(void **state)
{
	size_t off[512], sz[512];
	struct vms_ima_log other;
	struct ifix f;
	uint8_t *b, ones[32];

	(void)state;
	load(&f);
	raw_records(f.raw, f.len, off, sz, 512);
	b = t_malloc(f.len);
	memcpy(b, f.raw, f.len);
	memset(b + off[4] + 4, 0, 20);
	assert_int_equal(0, vms_ima_log_parse(b, f.len, &other));
	memset(ones, 0xff, 32);
	assert_true(other.e[4].violation);
	assert_memory_equal(ones, other.e[4].template_sha256, 32);
	assert_false(vms_ima_entry_is_file(&other.e[4]));
	vms_ima_log_free(&other);
	free(b);
	unload(&f);
}

/* The evidence a TPM-mode attestation of the captured host would carry. */
struct evidence {
	struct ifix f;
	struct vms_isolation_report r;
	struct vms_tpm_eventlog boot;
	size_t covered;
	uint8_t (*files)[32];
	size_t n_files;
	uint8_t module[1][32];
};

static void evidence_load(struct evidence *e)
{
	size_t i;
	int have_module = 0;

	memset(e, 0, sizeof(*e));
	load(&e->f);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_bind_report(&e->f.log, e->f.pcr[10], e->f.pk,
					     (char *)e->f.report, e->f.rlen,
					     &e->covered, &e->r));
	assert_int_equal(0, vms_tpm_eventlog_parse(e->f.bios, e->f.blen,
						   &e->boot));
	e->files = t_malloc(e->covered * 32);
	for (i = 0; i < e->covered; i++) {
		const struct vms_ima_entry *x = &e->f.log.e[i];
		const char *base = strrchr(x->name, '/');

		if (!vms_ima_entry_is_file(x))
			continue;
		memcpy(e->files[e->n_files++], x->digest, 32);
		if (base && !strcmp(base, "/vmshield.ko")) {
			memcpy(e->module[0], x->digest, 32);
			have_module = 1;
		}
	}
	assert_true(have_module);
}

static void evidence_free(struct evidence *e)
{
	free(e->files);
	vms_tpm_eventlog_free(&e->boot);
	unload(&e->f);
}

static struct vms_tpm_policy full_policy(struct evidence *e)
{
	struct vms_tpm_policy p = {
		.min_lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY,
		.module_digests = (const uint8_t (*)[32])e->module,
		.n_module_digests = 1,
		.allowlist = (const uint8_t (*)[32])e->files,
		.n_allowlist = e->n_files,
	};
	return p;
}

static void policies_pass_on_captured_host(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

static void lockdown_below_policy_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_isolation_report open;
	struct vms_tpm_policy p;
	struct evidence e;
	size_t i;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	/*
	 * the captured report with the facts of a host below lockdown (the
	 * module no longer measures one before the rig raises it)
	 */
	for (i = 0; i < e.covered; i++)
		if (e.f.log.e[i].buf &&
		    !strcmp(e.f.log.e[i].name, "vmshield-report"))
			break;
	assert_int_equal(0, vms_report_parse((char *)e.f.log.e[i].buf,
					     e.f.log.e[i].buf_len, &open));
	open.lockdown = VMSHIELD_LOCKDOWN_INTEGRITY;
	open.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_INSUFFICIENT,
			 vms_tpm_policy_evaluate(&p, &open, &e.f.log,
						 e.covered, &e.boot, detail));
	assert_non_null(strstr(detail, "lockdown"));
	evidence_free(&e);
}

/* Issue 16's host facts: lockdown at load and Yama's scope, when asked. */
static void host_facts_policies(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_isolation_report r;
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	r = e.r;
	/*
	 * the captured report carries the block, with the rig's facts: the
	 * module loaded before the rig raised lockdown, Yama's scope 0, no
	 * crash kernel; it passes until a policy asks for them
	 */
	assert_true(r.has_host_facts);
	assert_int_equal(r.lockdown_at_load, VMSHIELD_LOCKDOWN_NONE);
	assert_int_equal(r.ptrace_scope, 0);
	assert_int_equal(r.crash_kernel, 0);
	assert_int_equal(HGS_PASSED, vms_tpm_policy_evaluate(&p, &r, &e.f.log,
							     e.covered, &e.boot, detail));
	/* a report without the block (an older module) is refused when asked */
	r.has_host_facts = 0;
	p.require_locked_at_load = 1;
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_AT_LOAD_INSUFFICIENT,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "no lockdown_at_load"));
	r.has_host_facts = 1;
	assert_int_equal(HGS_R_POLICY_LOCKDOWN_AT_LOAD_INSUFFICIENT,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "lockdown none when vmshield.ko was loaded"));
	r.lockdown_at_load = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	assert_int_equal(HGS_PASSED, vms_tpm_policy_evaluate(&p, &r, &e.f.log,
							     e.covered, &e.boot, detail));
	p.require_ptrace_scope3 = 1;
	assert_int_equal(HGS_R_POLICY_PTRACE_SCOPE_INSUFFICIENT,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "ptrace_scope is 0"));
	r.ptrace_scope = VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	assert_int_equal(HGS_R_POLICY_PTRACE_SCOPE_INSUFFICIENT,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "not known"));
	r.ptrace_scope = 3;
	assert_int_equal(HGS_PASSED, vms_tpm_policy_evaluate(&p, &r, &e.f.log,
							     e.covered, &e.boot, detail));
	p.require_no_crash_kernel = 1;
	r.crash_kernel = 1;
	assert_int_equal(HGS_R_POLICY_CRASH_KERNEL_LOADED,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "crash kernel is loaded"));
	r.crash_kernel = 0;
	assert_int_equal(HGS_PASSED, vms_tpm_policy_evaluate(&p, &r, &e.f.log,
							     e.covered, &e.boot, detail));
	r.has_host_facts = 0;
	p.require_locked_at_load = p.require_ptrace_scope3 = 0;
	assert_int_equal(HGS_R_POLICY_CRASH_KERNEL_LOADED,
			 vms_tpm_policy_evaluate(&p, &r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

static void module_signature_policy_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	p.require_module_sig = 1;
	/* the rig's module is unsigned: module_sig_ok=0 in the report */
	assert_int_equal(0, e.r.module_sig_ok);
	assert_int_equal(HGS_R_POLICY_MODULE_SIG_NOT_ENFORCED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

static void unapproved_module_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	e.module[0][0] ^= 1;
	assert_int_equal(HGS_R_POLICY_MODULE_NOT_MEASURED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

static void executable_outside_allowlist_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;
	size_t i;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	/* approve everything but /usr/bin/bash */
	for (i = 0; i < e.covered; i++)
		if (!strcmp(e.f.log.e[i].name, "/usr/bin/bash"))
			break;
	assert_true(i < e.covered);
	for (size_t j = 0; j < e.n_files; j++)
		if (!memcmp(e.files[j], e.f.log.e[i].digest, 32))
			e.files[j][0] ^= 0xff;
	assert_int_equal(HGS_R_POLICY_EXECUTABLE_NOT_ALLOWED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "/usr/bin/bash"));
	evidence_free(&e);
}

/*
 * A file measured while open for writing is listed as a violation (zero
 * digest): a runtime claim cannot hold over it, whatever the allowlist
 * says; without a runtime policy it certifies nothing and is let be.
 */
static void ima_violation_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;
	size_t i;

	(void)state;
	evidence_load(&e);
	for (i = 0; i < e.covered; i++)
		if (!strcmp(e.f.log.e[i].name, "/usr/bin/bash"))
			break;
	assert_true(i < e.covered);
	/* as the parser reads a violation (violation_extends_all_ones) */
	e.f.log.e[i].violation = 1;
	p = full_policy(&e);
	assert_int_equal(HGS_R_POLICY_IMA_VIOLATION,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "/usr/bin/bash"));
	assert_non_null(strstr(detail, "open for writing"));
	p.allowlist = NULL;
	p.require_ima_appraisal = 1;
	assert_int_equal(HGS_R_POLICY_IMA_VIOLATION,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	p.require_ima_appraisal = 0;
	assert_int_equal(HGS_PASSED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	/* the admin lets violations be: the allowlist skips the entry */
	p = full_policy(&e);
	p.allow_ima_violations = 1;
	assert_int_equal(HGS_PASSED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

static void appraisal_not_proven_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	p.require_ima_appraisal = 1;
	/*
	 * the rig loads no IMA key and measures with ima-ng: no approved
	 * key, no signature (test_ima_sig.c has the signed lists)
	 */
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "no approved IMA key was loaded"));
	evidence_free(&e);
}

/* One ima-sig record for @name with a @siglen-byte signature field. */
static size_t ima_sig_record(uint8_t *out, const char *name, size_t siglen)
{
	uint8_t data[256], *p = data;
	uint32_t v;
	size_t nlen = strlen(name) + 1;

	v = 7 + 1 + 32;			/* "sha256:" NUL digest */
	memcpy(p, &v, 4);
	memcpy(p + 4, "sha256:", 8);
	memset(p + 12, 0x5a, 32);
	p += 4 + v;
	v = (uint32_t)nlen;
	memcpy(p, &v, 4);
	memcpy(p + 4, name, nlen);
	p += 4 + nlen;
	v = (uint32_t)siglen;
	memcpy(p, &v, 4);
	memset(p + 4, 0x03, siglen);
	p += 4 + siglen;
	v = 10;
	memcpy(out, &v, 4);
	EVP_Digest(data, (size_t)(p - data), out + 4, NULL, EVP_sha1(), NULL);
	v = 7;
	memcpy(out + 24, &v, 4);
	memcpy(out + 28, "ima-sig", 7);
	v = (uint32_t)(p - data);
	memcpy(out + 35, &v, 4);
	memcpy(out + 39, data, v);
	return 39 + v;
}

static void appraisal_needs_verified_signatures(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_isolation_report r = { .lockdown = 2 };
	struct vms_tpm_policy p = { .require_ima_appraisal = 1 };
	struct vms_ima_log log;
	uint8_t buf[1024];
	size_t len;

	(void)state;
	/*
	 * signatures recorded (non-empty ima-sig fields) used to be enough;
	 * now they must verify with an approved key the list shows loaded
	 */
	len = ima_sig_record(buf, "/usr/bin/qemu-system-x86_64", 10);
	len += ima_sig_record(buf + len, "/usr/lib/vmshield/worker", 12);
	assert_int_equal(0, vms_ima_log_parse(buf, len, &log));
	assert_int_equal(VMS_IMA_SIG, log.e[1].tmpl);
	assert_int_equal(12, log.e[1].sig_len);
	assert_memory_equal(buf + len - 12, log.e[1].sig, 12);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 vms_tpm_policy_evaluate(&p, &r, &log, log.n, NULL,
						 detail));
	assert_non_null(strstr(detail, "no approved IMA key was loaded"));
	vms_ima_log_free(&log);
}

static void secure_boot_not_proven_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_tpm_policy p;
	struct evidence e;

	(void)state;
	evidence_load(&e);
	p = full_policy(&e);
	p.require_secure_boot = 1;
	/* SeaBIOS: the log has no SecureBoot variable */
	assert_int_equal(HGS_R_POLICY_SECURE_BOOT_NOT_PROVEN,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	/* a SecureBoot event whose data does not hash to its digest */
	e.boot.secure_boot = VMS_SB_DATA_MISMATCH;
	e.boot.secure_boot_event = 17;
	assert_int_equal(HGS_R_POLICY_SECURE_BOOT_NOT_PROVEN,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	assert_non_null(strstr(detail, "event 17 (SecureBoot variable)"));
	e.boot.secure_boot = 1;	/* as a UEFI log with SecureBoot=1 reads */
	assert_int_equal(HGS_PASSED,
			 vms_tpm_policy_evaluate(&p, &e.r, &e.f.log, e.covered,
						 &e.boot, detail));
	evidence_free(&e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_list_replays_to_quoted_pcr10),
		cmocka_unit_test(report_entry_binds_enclave_key),
		cmocka_unit_test(other_enclave_key_refused),
		cmocka_unit_test(older_report_refused),
		cmocka_unit_test(key_history_lower_refused),
		cmocka_unit_test(key_history_placement_hypervisor),
		cmocka_unit_test(v1_report_in_list_refused),
		cmocka_unit_test(list_not_replaying_refused),
		cmocka_unit_test(forged_entry_with_pcr10_extended_refused),
		cmocka_unit_test(report_entry_outside_quote_refused),
		cmocka_unit_test(malformed_lists_refused),
		cmocka_unit_test(violation_extends_all_ones),
		cmocka_unit_test(policies_pass_on_captured_host),
		cmocka_unit_test(lockdown_below_policy_refused),
		cmocka_unit_test(host_facts_policies),
		cmocka_unit_test(module_signature_policy_refused),
		cmocka_unit_test(unapproved_module_refused),
		cmocka_unit_test(executable_outside_allowlist_refused),
		cmocka_unit_test(ima_violation_refused),
		cmocka_unit_test(appraisal_not_proven_refused),
		cmocka_unit_test(appraisal_needs_verified_signatures),
		cmocka_unit_test(secure_boot_not_proven_refused),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("tpm_ima", tests, NULL, NULL);
}
