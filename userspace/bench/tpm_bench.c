// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_bench.c - TPM-mode attestation verifications per second on one
 * core, on the rig's captured evidence (userspace/tests/data/tpm/), as a
 * ratio to the raw AK signature verification rate in the same run.
 * One verification = AK load (TPM2B_PUBLIC) + vms_tpm_attest_verify:
 * quote verify + counters + boot event log parse and replay against the
 * quoted PCRs + baseline compare + IMA list parse and replay to PCR 10
 * with the report binding + policy evaluation (allowlist of every
 * measured file, approved module).
 * Not a test: prints figures, asserts nothing about time.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "vms_ima_log.h"
#include "vms_tpm_attest.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"
#include "vms_tpm_policy.h"
#include "vms_tpm_public.h"
#include "vms_tpm_quote.h"

#define MIN_SECONDS 0.1
#define ROUNDS 7

struct input {
	uint8_t *ak, *attest, *sig, *bios, *ima, *report, *pcrv, *nonce;
	size_t aklen, alen, slen, blen, ilen, rlen, pvlen, nlen;
	uint8_t pcr[VMS_TPM_PCRS][32], pk[32], qd[32];
};

static struct input rsa, ecc;
static struct input *cur;
static struct vms_baseline baseline;
static uint8_t (*allow)[32], module_digest[1][32];
static size_t n_allow;
static struct vms_tpm_key ak_rsa, ak_ecc;
/* the EK both captured AKs were made under */
static uint8_t ek_name[VMS_TPM_NAME_LEN];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tpm_bench: %s failed\n", what);
	exit(1);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("VMS_TPM_DATA");
	uint8_t *b;
	ssize_t n;
	long sz;
	FILE *f;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			die("readlink");
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(path, sizeof(path),
			 "%s/../../userspace/tests/data/tpm/%s", exe, name);
	}
	f = fopen(path, "rb");
	if (!f)
		die(path);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	b = malloc((size_t)sz + 1);
	if (!b || fread(b, 1, (size_t)sz, f) != (size_t)sz)
		die(path);
	fclose(f);
	*len = (size_t)sz;
	return b;
}

static void load(struct input *in, const char *ak, const char *q)
{
	static const unsigned int idx[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 10 };
	char name[64];
	const char *k;
	size_t i;

	in->ak = slurp(ak, &in->aklen);
	snprintf(name, sizeof(name), "%s.attest", q);
	in->attest = slurp(name, &in->alen);
	snprintf(name, sizeof(name), "%s.sig", q);
	in->sig = slurp(name, &in->slen);
	snprintf(name, sizeof(name), "%s.pcrs", q);
	in->pcrv = slurp(name, &in->pvlen);
	in->bios = slurp("bios_measurements.bin", &in->blen);
	in->ima = slurp("ima_measurements.bin", &in->ilen);
	in->report = slurp("report.txt", &in->rlen);
	in->nonce = slurp("nonce.bin", &in->nlen);
	if (in->pvlen != 9 * 32 || in->nlen != 32)
		die("captured data sizes");
	for (i = 0; i < 9; i++)
		memcpy(in->pcr[idx[i]], in->pcrv + 32 * i, 32);
	k = strstr((char *)in->report, "enclave_pk=");
	if (!k)
		die("report");
	for (i = 0; i < 32; i++) {
		unsigned int b;

		if (sscanf(k + 11 + 2 * i, "%2x", &b) != 1)
			die("report key");
		in->pk[i] = (uint8_t)b;
	}
	if (vms_tpm_qualifying_data(in->nonce, in->pk, (char *)in->report,
				    in->rlen, in->qd))
		die("qualifying data");
}

/*
 * One full TPM-mode verification of @cur as hgsd will run it (AK load
 * from its TPM2B_PUBLIC, then vms_tpm_attest_verify); dies on a refusal.
 */
static void verify_all(void)
{
	struct vms_tpm_policy p = {
		.min_lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY,
		.module_digests = (const uint8_t (*)[32])module_digest,
		.n_module_digests = 1,
		.allowlist = (const uint8_t (*)[32])allow,
		.n_allowlist = n_allow,
	};
	struct vms_tpm_evidence ev = {
		.attest = cur->attest, .attest_len = cur->alen,
		.sig = cur->sig, .sig_len = cur->slen,
		.pcr = (const uint8_t (*)[32])cur->pcr,
		.event_log = cur->bios, .event_log_len = cur->blen,
		.ima_log = cur->ima, .ima_log_len = cur->ilen,
		.nonce = cur->nonce, .enclave_pk = cur->pk,
		.report = (char *)cur->report, .report_len = cur->rlen,
	};
	struct vms_tpm_verifier v = {
		.pcr_mask = 0x4ff, .policy = &p, .baselines = &baseline,
		.n_baselines = 1, .hw_class = "qemu", .ek_name = ek_name,
	};
	struct vms_tpm_verdict out;
	struct vms_tpm_key ak;

	if (vms_tpm_ak_load(cur->ak, cur->aklen, &ak) != HGS_PASSED)
		die("AK load");
	if (vms_tpm_attest_verify(&ak, &ev, &v, &out) != HGS_PASSED)
		die(vms_hgs_reason_name(out.reason));
	vms_tpm_key_free(&ak);
}

static void sig_only(void)
{
	struct vms_tpm_key *k = cur == &rsa ? &ak_rsa : &ak_ecc;

	if (vms_tpm_signature_verify(k, cur->attest, cur->alen, cur->sig,
				     cur->slen))
		die("signature");
}

static void step_quote(void)
{
	struct vms_tpm_key ak;

	if (vms_tpm_ak_load(cur->ak, cur->aklen, &ak) != HGS_PASSED ||
	    vms_tpm_quote_verify(&ak, cur->attest, cur->alen, cur->sig,
				 cur->slen, cur->qd, 0x4ff, cur->pcr, NULL) !=
	    HGS_PASSED)
		die("quote verify");
	vms_tpm_key_free(&ak);
}

static void step_eventlog(void)
{
	struct vms_baseline_diff d;
	struct vms_tpm_eventlog boot;

	if (vms_tpm_eventlog_parse(cur->bios, cur->blen, &boot) ||
	    vms_tpm_eventlog_check_pcrs(&boot, 0xff, cur->pcr, NULL) ||
	    vms_baseline_compare(&baseline, &boot, 0x4ff, &d) != HGS_PASSED)
		die("event log");
	vms_tpm_eventlog_free(&boot);
}

static void step_ima(void)
{
	struct vms_isolation_report r;
	struct vms_ima_log ima;
	size_t covered;

	if (vms_ima_log_parse(cur->ima, cur->ilen, &ima) ||
	    vms_tpm_bind_report(&ima, cur->pcr[10], cur->pk,
				(char *)cur->report, cur->rlen, &covered,
				&r) != HGS_PASSED)
		die("IMA binding");
	vms_ima_log_free(&ima);
}

static double time_once(void (*fn)(void))
{
	unsigned long n = 0, batch = 1, i;
	double t0 = now_s(), t;

	for (;;) {
		for (i = 0; i < batch; i++)
			fn();
		n += batch;
		t = now_s() - t0;
		if (t >= MIN_SECONDS)
			return t / (double)n;
		batch *= 2;
	}
}

/* Best of ROUNDS for @fn and @base, interleaved. */
static void time_pair(void (*fn)(void), void (*base)(void), double *tf,
		      double *tb)
{
	int i;

	*tf = *tb = 1e9;
	for (i = 0; i < ROUNDS; i++) {
		double a = time_once(fn), b = time_once(base);

		if (a < *tf)
			*tf = a;
		if (b < *tb)
			*tb = b;
	}
}

static void setup_policy(void)
{
	struct vms_tpm_eventlog boot;
	struct vms_ima_log ima;
	size_t i;

	if (vms_tpm_eventlog_parse(rsa.bios, rsa.blen, &boot) ||
	    vms_baseline_capture(&boot, "rig", "qemu", 1, &baseline))
		die("baseline");
	vms_tpm_eventlog_free(&boot);
	if (vms_ima_log_parse(rsa.ima, rsa.ilen, &ima))
		die("IMA parse");
	allow = malloc(ima.n * 32);
	if (!allow)
		die("malloc");
	for (i = 0; i < ima.n; i++) {
		const char *base = strrchr(ima.e[i].name, '/');

		if (!vms_ima_entry_is_file(&ima.e[i]))
			continue;
		memcpy(allow[n_allow++], ima.e[i].digest, 32);
		if (base && !strcmp(base, "/vmshield.ko"))
			memcpy(module_digest[0], ima.e[i].digest, 32);
	}
	vms_ima_log_free(&ima);
}

static void run(struct input *in, const char *what)
{
	double tv, ts, tq, te, ti, tb;

	cur = in;
	time_pair(verify_all, sig_only, &tv, &ts);
	time_pair(step_quote, sig_only, &tq, &tb);
	time_pair(step_eventlog, sig_only, &te, &tb);
	time_pair(step_ima, sig_only, &ti, &tb);
	printf("\n## %s AK\n", what);
	printf("raw AK signature verify:       %8.0f /s  %7.1f us\n",
	       1 / ts, ts * 1e6);
	printf("TPM-mode verification (all):   %8.0f /s  %7.1f us  ratio %.3f\n",
	       1 / tv, tv * 1e6, ts / tv);
	printf("  AK load + quote verify:      %8.0f /s  %7.1f us\n",
	       1 / tq, tq * 1e6);
	printf("  event log replay + baseline: %8.0f /s  %7.1f us\n",
	       1 / te, te * 1e6);
	printf("  IMA replay + report binding: %8.0f /s  %7.1f us\n",
	       1 / ti, ti * 1e6);
}

int main(void)
{
	struct vms_tpm_key ek = { 0 };
	size_t l;
	uint8_t *b;

	load(&rsa, "ak_rsa.pub", "quote_rsa");
	load(&ecc, "ak_ecc.pub", "quote_ecc");
	b = slurp("ak_rsa.pub", &l);
	if (vms_tpm_ak_load(b, l, &ak_rsa) != HGS_PASSED)
		die("AK load");
	free(b);
	b = slurp("ak_ecc.pub", &l);
	if (vms_tpm_ak_load(b, l, &ak_ecc) != HGS_PASSED)
		die("AK load");
	free(b);
	b = slurp("ek_rsa.pub", &l);
	if (vms_tpm_key_load(b, l, &ek))
		die("EK load");
	memcpy(ek_name, ek.name, sizeof(ek_name));
	vms_tpm_key_free(&ek);
	free(b);
	setup_policy();
	printf("# vmshield TPM-mode verification benchmark, one core, best of %d rounds\n",
	       ROUNDS);
	printf("# evidence: the rig's real quote, %zu-byte boot event log (%zu events in the baseline), %zu-byte IMA list (%zu allowlisted files)\n",
	       rsa.blen, baseline.n, rsa.ilen, n_allow);
	run(&rsa, "RSA-2048 RSASSA-SHA256");
	run(&ecc, "ECC P-256 ECDSA-SHA256");
	printf("# ratio = full verifications/s divided by raw AK signature verifications/s in the same run (1.0 would mean the signature is the whole cost)\n");
	return 0;
}
