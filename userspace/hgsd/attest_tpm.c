// SPDX-License-Identifier: GPL-2.0
/*
 * attest_tpm.c - TPM-mode attestation (Documentation/tpm-attestation.md,
 * wire format in hgs-protocol.md section 4).
 *
 *   POST /v1/attest/tpm/challenge {host, ek_public, ak_public,
 *                                  [ek_certificate]}
 *     -> {session, nonce, credential: {id_object, secret}, pcrs, expires_in}
 *   POST /v1/attest/tpm {session, nonce, host, activated_credential,
 *                        attest, signature, pcr_values, event_log,
 *                        ima_log, enclave_pk, report}
 *     -> {health_certificate, ...} with attestation mode "tpm"
 *
 * The challenge checks the host (registered, enabled) and its EK (the
 * registered one, or, for a host without one, an EK certificate chaining
 * to tpm_ek_roots, which then pins that EK to the host), that the AK is a
 * restricted signing key that cannot leave its TPM, and makes a credential
 * to the EK for the AK's Name (MakeCredential). The attest call spends
 * the nonce and the challenge whatever the outcome, requires the
 * credential back (only that TPM could activate it), then runs
 * vms_tpm_attest_verify() (quote, counters, boot log and baselines, IMA
 * binding, policies) and the isolation-level policy. The host's clock and
 * counters are stored only after every check passed, under a lock that
 * re-checks them, so two concurrent attestations cannot both pass with
 * the same quote clock.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <linux/vmshield.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "hgsd.h"
#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_tpm_attest.h"
#include "vms_tpm_credential.h"
#include "vms_tpm_ekcert.h"
#include "vms_tpm_public.h"
#include "vms_x509.h"
#include "vms_tpm_quote.h"
#include "vmshield.h"

#define TPM_MODE		"tpm"
#define TPM_BINDING		"ima-entry"

/* ---- EK roots (tpm_ek_roots: a PEM file or a directory of them) ---- */

static int roots_add_file(X509_STORE *st, const char *path, unsigned int *n)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f)
		return -errno;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(st, x) != 1) {
			X509_free(x);
			fclose(f);
			return -EINVAL;
		}
		X509_free(x);
		(*n)++;
	}
	ERR_clear_error();
	fclose(f);
	return 0;
}

int tpm_roots_load(struct hgsd *h)
{
	const char *p = h->cfg.tpm_ek_roots;
	unsigned int n = 0;
	struct stat sb;
	int r = 0;

	if (!*p)
		return 0;
	h->ek_roots = X509_STORE_new();
	if (!h->ek_roots)
		return -ENOMEM;
	if (stat(p, &sb)) {
		r = -errno;
	} else if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *de;
		char path[HGSD_PATH_MAX + 256];

		if (!d)
			return -errno;
		while (!r && (de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l < 5 || (strcmp(de->d_name + l - 4, ".pem") &&
				      strcmp(de->d_name + l - 4, ".crt")))
				continue;
			snprintf(path, sizeof(path), "%s/%s", p, de->d_name);
			r = roots_add_file(h->ek_roots, path, &n);
		}
		closedir(d);
	} else {
		r = roots_add_file(h->ek_roots, p, &n);
	}
	if (!r && !n)
		r = -ENOENT;
	if (r)
		log_err("config", "tpm_ek_roots=%s error=\"%s\" msg=\"no usable PEM CA certificates\"",
			p, strerror(-r));
	else
		log_info("config", "tpm_ek_roots=%s certificates=%u", p, n);
	return r;
}

/* The EK's fingerprint: SHA-256 of its TPMT_PUBLIC (its Name's digest). */
static void ek_fingerprint(const struct vms_tpm_key *ek, char out[65])
{
	vms_hex_encode(ek->name + 2, 32, out);
}

/* ---- challenge ---- */

static enum vms_hgs_reason check_ek(struct hgsd *h, struct request *rq,
				    struct answer *a, const struct host_entry *host,
				    const struct vms_tpm_key *ek, const char *fpr)
{
	_cleanup_(vms_freep) uint8_t *cert = NULL;
	json_t *v = json_object_get(rq->body, "ek_certificate");
	enum vms_hgs_reason r;
	size_t clen;
	char *hex;
	int err;

	if (host->ek_len)
		return strcmp(host->ek_fpr, fpr) ? HGS_R_TPM_EK_NOT_REGISTERED : HGS_PASSED;
	/* No EK registered: a manufacturer certificate may vouch for it. */
	if (!v || !h->ek_roots)
		return HGS_R_TPM_EK_NOT_REGISTERED;
	if (req_b64(rq, a, "ek_certificate", VMS_EKCERT_MAX_BYTES, &cert, &clen))
		return a->reason;
	r = vms_tpm_ek_cert_verify(cert, clen, h->ek_roots, NULL, ek);
	if (r != HGS_PASSED)
		return r;
	/* Pin it: from now on this host is this TPM (audited). */
	hex = malloc(2 * HGSD_EK_MAX + 1);
	if (!hex)
		return HGS_R_INTERNAL_ERROR;
	{
		const uint8_t *pub = NULL;
		size_t plen = 0;
		uint8_t *raw = NULL;

		if (req_b64(rq, a, "ek_public", HGSD_EK_MAX, &raw, &plen)) {
			free(hex);
			return a->reason;
		}
		pub = raw;
		vms_hex_encode(pub, plen, hex);
		free(raw);
	}
	err = store_host_add_ek(h->st, host->name, hex, fpr,
				host->hw_class[0] ? host->hw_class : "default",
				"hgsd ek-certificate");
	free(hex);
	if (err == -EKEYREJECTED)
		return HGS_R_TPM_EK_CONFLICT;	/* an admin registered another meanwhile */
	if (err == -EADDRINUSE)
		return HGS_R_TPM_EK_IN_USE;	/* another host holds this TPM */
	if ((err && err != -EEXIST) || state_reload(h))
		return HGS_R_INTERNAL_ERROR;
	log_info("attest-tpm", "host=%s ek_fpr=%s msg=\"EK certified by a configured root; pinned\"",
		 host->name, fpr);
	return HGS_PASSED;
}

static json_t *pcr_list(uint32_t mask)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; arr && i < VMS_TPM_PCRS; i++)
		if (mask & 1u << i)
			json_array_append_new(arr, json_integer(i));
	return arr;
}

static enum vms_hgs_reason challenge(struct hgsd *h, struct request *rq,
				     struct answer *a, const char **host_out,
				     json_t **out)
{
	_cleanup_(vms_freep) uint8_t *ekb = NULL, *akb = NULL, *id = NULL, *es = NULL;
	struct vms_tpm_key ek = { 0 }, ak = { 0 };
	struct tpm_challenge c = { 0 };
	struct host_entry host = { 0 };
	struct tpm_state *tpm;
	enum vms_hgs_reason r;
	uint8_t nonce[32];
	size_t eklen, aklen, idl, esl;
	const char *name;
	char fpr[65], shex[33];
	char *nb64 = NULL, *idb64 = NULL, *esb64 = NULL;
	int err;

	name = req_str(rq, a, "host", VMS_HOST_NAME_MAX);
	if (!name ||
	    req_b64(rq, a, "ek_public", HGSD_EK_MAX, &ekb, &eklen) ||
	    req_b64(rq, a, "ak_public", HGSD_EK_MAX, &akb, &aklen))
		return a->reason;
	if (!vms_host_name_valid(name)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'host' must match [A-Za-z0-9._-]{1,64}");
		return a->reason;
	}
	*host_out = name;
	if (vms_tpm_key_load(ekb, eklen, &ek)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'ek_public' must be a TPM2B_PUBLIC: RSA-2048 or ECC P-256, SHA-256 Name");
		return a->reason;
	}
	ek_fingerprint(&ek, fpr);
	if (state_host(h, name, &host)) {
		r = HGS_R_HOST_NOT_REGISTERED;
		goto out;
	}
	if (!host.enabled) {
		r = HGS_R_HOST_DISABLED;
		goto out;
	}
	r = check_ek(h, rq, a, &host, &ek, fpr);
	if (r != HGS_PASSED)
		goto out;
	r = vms_tpm_ak_load(akb, aklen, &ak);
	if (r != HGS_PASSED)
		goto out;

	/* The credential: a secret only the EK's TPM, holding this AK, recovers. */
	if (RAND_bytes(c.secret, sizeof(c.secret)) != 1 || RAND_bytes(c.session, 16) != 1 ||
	    vms_tpm_make_credential(&ek, ak.name, c.secret, sizeof(c.secret), &id, &idl,
				    &es, &esl)) {
		r = HGS_R_INTERNAL_ERROR;
		goto out;
	}
	snprintf(c.host, sizeof(c.host), "%s", name);
	snprintf(c.ek_fpr, sizeof(c.ek_fpr), "%s", fpr);
	memcpy(c.ak, akb, aklen);
	c.ak_len = aklen;
	tpm = state_tpm_get(h);
	c.pcr_mask = tpm->pcr_mask;
	state_tpm_put(tpm);
	err = nonce_issue(h->nonces, c.session, nonce);
	if (!err)
		err = tpm_sessions_put(h->tpm_sessions, &c);
	if (err) {
		if (err == -EBUSY)
			log_warn("nonce", "msg=\"nonce or TPM challenge table full\" max_nonces=%u",
				 h->cfg.max_nonces);
		r = err == -EBUSY ? HGS_R_BUSY : HGS_R_INTERNAL_ERROR;
		goto out;
	}
	vms_hex_encode(c.session, 16, shex);
	nb64 = vms_b64_encode(nonce, sizeof(nonce));
	idb64 = vms_b64_encode(id, idl);
	esb64 = vms_b64_encode(es, esl);
	*out = nb64 && idb64 && esb64 ?
		json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:I}", "session", shex, "nonce", nb64,
			  "credential", "id_object", idb64, "secret", esb64,
			  "pcrs", pcr_list(c.pcr_mask),
			  "expires_in", (json_int_t)h->cfg.nonce_ttl_s) : NULL;
	r = *out ? HGS_PASSED : HGS_R_INTERNAL_ERROR;
out:
	OPENSSL_cleanse(&c, sizeof(c));
	free(nb64);
	free(idb64);
	free(esb64);
	host_entry_release(&host);
	vms_tpm_key_free(&ek);
	vms_tpm_key_free(&ak);
	return r;
}

static void finish_fail(struct hgsd *h, struct answer *a, enum vms_hgs_reason r,
			const char *host, const char *what, const char *detail)
{
	char hbuf[80], dbuf[160];

	if (a->reason == HGS_PASSED)
		answer_fail(a, r, detail && *detail ? detail : NULL);
	__atomic_fetch_add(&h->attest_fail, 1, __ATOMIC_RELAXED);
	if (host)
		store_event(h->st, "attest", host, vms_hgs_reason_name(a->reason),
			    detail ? detail : what);
	if (h->cfg.log_requests)
		log_info("attest-tpm", "step=%s host=%s result=%s detail=%s", what,
			 log_safe(host, hbuf, sizeof(hbuf)), vms_hgs_reason_name(a->reason),
			 log_safe(detail && *detail ? detail : "-", dbuf, sizeof(dbuf)));
}

void handle_tpm_challenge(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *host = NULL;
	json_t *o = NULL;
	enum vms_hgs_reason r = challenge(h, rq, a, &host, &o);

	if (r != HGS_PASSED) {
		finish_fail(h, a, r, host, "challenge", NULL);
		return;
	}
	answer_ok(a, o);
}

/* ---- attest ---- */

struct tpm_request {
	uint8_t session[16], pk[32];
	uint8_t *nonce, *cred, *attest, *sig, *pcrs, *evlog, *ima;
	size_t nlen, clen, alen, slen, plen, evlen, imalen;
	const char *host, *report;
};

static void tpm_request_free(struct tpm_request *t)
{
	free(t->nonce);
	if (t->cred)
		OPENSSL_cleanse(t->cred, t->clen);
	free(t->cred);
	free(t->attest);
	free(t->sig);
	free(t->pcrs);
	free(t->evlog);
	free(t->ima);
}

static int parse_request(struct request *rq, struct answer *a, struct tpm_request *t)
{
	if (req_hex(rq, a, "session", t->session, sizeof(t->session)) ||
	    req_b64(rq, a, "nonce", VMS_NONCE_LEN, &t->nonce, &t->nlen))
		return -EINVAL;
	t->host = req_str(rq, a, "host", VMS_HOST_NAME_MAX);
	if (!t->host ||
	    req_b64(rq, a, "activated_credential", 64, &t->cred, &t->clen) ||
	    req_b64(rq, a, "attest", VMS_QUOTE_MAX_BYTES, &t->attest, &t->alen) ||
	    req_b64(rq, a, "signature", VMS_QUOTE_MAX_BYTES, &t->sig, &t->slen) ||
	    req_b64(rq, a, "pcr_values", VMS_TPM_PCRS * VMS_SHA256_LEN, &t->pcrs, &t->plen) ||
	    req_b64(rq, a, "event_log", VMS_EVLOG_MAX_BYTES, &t->evlog, &t->evlen) ||
	    req_b64(rq, a, "ima_log", VMS_IMA_MAX_BYTES, &t->ima, &t->imalen) ||
	    req_hex(rq, a, "enclave_pk", t->pk, sizeof(t->pk)))
		return -EINVAL;
	t->report = req_str(rq, a, "report", VMS_REPORT_MAX);
	if (!t->report)
		return -EINVAL;
	if (t->nlen != VMS_NONCE_LEN) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'nonce' must be 32 bytes");
		return -EINVAL;
	}
	if (!vms_host_name_valid(t->host)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'host' must match [A-Za-z0-9._-]{1,64}");
		return -EINVAL;
	}
	return 0;
}

/* "0..n" values in ascending PCR order -> indexed by PCR number. */
static int spread_pcrs(const struct tpm_request *t, uint32_t mask,
		       uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN])
{
	size_t off = 0;
	int i;

	if (t->plen != (size_t)__builtin_popcount(mask) * VMS_SHA256_LEN)
		return -EINVAL;
	for (i = 0; i < VMS_TPM_PCRS; i++) {
		if (!(mask & 1u << i))
			continue;
		memcpy(pcr[i], t->pcrs + off, VMS_SHA256_LEN);
		off += VMS_SHA256_LEN;
	}
	return 0;
}

/* -ENOSPC if the list does not fit the certificate's extension */
static int policies_passed(const struct tpm_state *tpm, const struct policy *pol,
			   const struct vms_tpm_verdict *v, char *out, size_t len)
{
	char pcrs[64];
	int n;

	tpm_pcrs_format(tpm->pcr_mask, pcrs, sizeof(pcrs));
	n = snprintf(out, len,
		 "ek-registered,ak-activated,quote,nonce-fresh,pcrs=%s,boot-baseline=%s.v%u,ima-binding,min-isolation-level=%s%s%s%s%s%s%s%s",
		 pcrs, v->baseline ? v->baseline->name : "-",
		 v->baseline ? v->baseline->version : 0,
		 vms_isolation_name(pol->min_isolation_level),
		 pol->require_module_sig ? ",module-signature" : "",
		 tpm->check_module_digest ? ",module-digest" : "",
		 tpm->runtime_allowlist ? ",runtime-allowlist" : "",
		 tpm->require_ima_appraisal ? ",ima-appraisal" : "",
		 tpm->require_secure_boot ? ",secure-boot" : "",
		 tpm->report_at_load ? ",report-at-load" : "",
		 tpm->allow_ima_violations && (tpm->runtime_allowlist ||
					       tpm->require_ima_appraisal) ?
		 ",ima-violations-allowed" : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* Store the clock if it still moves forward from what is stored now. */
static enum vms_hgs_reason commit_clock(struct hgsd *h, const char *host,
					const struct vms_tpm_clock *cur)
{
	struct vms_tpm_clock prev = { 0 };
	enum vms_hgs_reason r = HGS_PASSED;
	int e;

	pthread_mutex_lock(&h->tpm_clock_lock);
	e = store_tpm_clock_get(h->st, host, &prev.clock, &prev.reset_count,
				&prev.restart_count);
	if (!e)
		r = vms_tpm_clock_check(&prev, cur);
	else if (e != -ENOENT)
		r = HGS_R_INTERNAL_ERROR;
	if (r == HGS_PASSED && store_tpm_clock_put(h->st, host, cur->clock, cur->reset_count,
						   cur->restart_count))
		r = HGS_R_INTERNAL_ERROR;
	pthread_mutex_unlock(&h->tpm_clock_lock);
	return r;
}

static enum vms_hgs_reason attest(struct hgsd *h, struct request *rq, struct answer *a,
				  const char **host_out, char *detail, size_t dlen,
				  struct vms_health_cert_info *info_out,
				  uint8_t **der, size_t *len)
{
	uint8_t (*pcrv)[VMS_SHA256_LEN] = NULL;
	struct vms_health_cert_info info = { 0 };
	struct tpm_request t = { 0 };
	struct tpm_challenge c = { 0 };
	struct host_entry host = { 0 };
	struct vms_tpm_key ak = { 0 };
	struct vms_tpm_clock prev = { 0 };
	struct vms_tpm_policy tp = { 0 };
	struct vms_tpm_verifier ver = { 0 };
	struct vms_tpm_evidence ev = { 0 };
	uint8_t ek_name[VMS_TPM_NAME_LEN];
	struct vms_tpm_verdict v;
	struct tpm_state *tpm = NULL;
	enum vms_hgs_reason r;
	struct policy pol;
	int have_prev, e;

	memset(&v, 0, sizeof(v));
	if (parse_request(rq, a, &t)) {
		tpm_request_free(&t);
		return a->reason;
	}
	*host_out = t.host;

	/* The nonce and the challenge are spent by this attempt. */
	r = nonce_consume(h->nonces, t.session, t.nonce);
	e = tpm_sessions_take(h->tpm_sessions, t.session, &c);
	if (r != HGS_PASSED)
		goto out;
	if (e) {
		/* a host-key nonce, or a challenge already taken */
		r = HGS_R_NONCE_SESSION_MISMATCH;
		goto out;
	}
	if (strcmp(c.host, t.host)) {
		r = HGS_R_NONCE_SESSION_MISMATCH;
		snprintf(detail, dlen, "the challenge was for another host");
		goto out;
	}
	if (state_host(h, t.host, &host)) {
		r = HGS_R_HOST_NOT_REGISTERED;
		goto out;
	}
	if (!host.enabled) {
		r = HGS_R_HOST_DISABLED;
		goto out;
	}
	if (!host.ek_len || strcmp(host.ek_fpr, c.ek_fpr)) {
		r = HGS_R_TPM_EK_NOT_REGISTERED;	/* changed since the challenge */
		goto out;
	}
	r = vms_tpm_credential_check(c.secret, sizeof(c.secret), t.cred, t.clen);
	if (r != HGS_PASSED)
		goto out;
	r = vms_tpm_ak_load(c.ak, c.ak_len, &ak);
	if (r != HGS_PASSED)
		goto out;

	pcrv = calloc(VMS_TPM_PCRS, VMS_SHA256_LEN);
	if (!pcrv) {
		r = HGS_R_INTERNAL_ERROR;
		goto out;
	}
	if (spread_pcrs(&t, c.pcr_mask, pcrv)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'pcr_values' must hold 32 bytes per PCR asked for, in PCR order");
		r = a->reason;
		goto out;
	}
	tpm = state_tpm_get(h);
	state_policy(h, &pol);
	tp.min_lockdown = pol.min_isolation_level >= VMSHIELD_ISOLATION_KERNEL_LOCKED ?
		VMSHIELD_LOCKDOWN_CONFIDENTIALITY : VMSHIELD_LOCKDOWN_NONE;
	tp.require_module_sig = pol.require_module_sig;
	tp.report_at_load = tpm->report_at_load;
	tp.allow_ima_violations = tpm->allow_ima_violations;
	if (tpm->check_module_digest) {
		/* an empty list approves nothing: fail closed */
		tp.module_digests = (const uint8_t (*)[32])tpm->module_digests;
		tp.n_module_digests = tpm->n_module_digests;
	}
	if (tpm->runtime_allowlist) {
		tp.allowlist = (const uint8_t (*)[32])tpm->allowlist;
		tp.n_allowlist = tpm->n_allowlist;
	}
	tp.require_ima_appraisal = tpm->require_ima_appraisal;
	/* none approved: the appraisal check fails closed */
	tp.ima_keys = tpm->ima_keys;
	tp.n_ima_keys = tpm->n_ima_keys;
	tp.require_secure_boot = tpm->require_secure_boot;

	e = store_tpm_clock_get(h->st, t.host, &prev.clock, &prev.reset_count,
				&prev.restart_count);
	if (e && e != -ENOENT) {
		r = HGS_R_INTERNAL_ERROR;
		goto out;
	}
	have_prev = !e;

	ev.attest = t.attest;
	ev.attest_len = t.alen;
	ev.sig = t.sig;
	ev.sig_len = t.slen;
	ev.pcr = (const uint8_t (*)[VMS_SHA256_LEN])pcrv;
	ev.event_log = t.evlog;
	ev.event_log_len = t.evlen;
	ev.ima_log = t.ima;
	ev.ima_log_len = t.imalen;
	ev.nonce = t.nonce;
	ev.enclave_pk = t.pk;
	ev.report = t.report;
	ev.report_len = strlen(t.report);
	/* the EK's Name: SHA-256 nameAlg, then the fingerprint's digest */
	ek_name[0] = TPM2_ALG_SHA256 >> 8;
	ek_name[1] = TPM2_ALG_SHA256 & 0xff;
	if (vms_hex_decode_exact(c.ek_fpr, ek_name + 2, VMS_TPM_NAME_LEN - 2)) {
		r = HGS_R_INTERNAL_ERROR;
		goto out;
	}
	ver.ek_name = ek_name;
	ver.pcr_mask = c.pcr_mask;
	ver.policy = &tp;
	ver.baselines = tpm->baselines;
	ver.n_baselines = tpm->n_baselines;
	ver.hw_class = host.hw_class;
	ver.prev = have_prev ? &prev : NULL;
	r = vms_tpm_attest_verify(&ak, &ev, &ver, &v);
	if (r != HGS_PASSED) {
		snprintf(detail, dlen, "%s", v.detail);
		goto out;
	}
	/* The certified report (from the kernel's own IMA entry). */
	if (v.report.level < pol.min_isolation_level) {
		r = HGS_R_ISOLATION_LEVEL_TOO_LOW;
		goto out;
	}
	r = commit_clock(h, t.host, &v.clock);
	if (r != HGS_PASSED)
		goto out;

	snprintf(info.host, sizeof(info.host), "%s", t.host);
	strcpy(info.mode, TPM_MODE);
	strcpy(info.binding, TPM_BINDING);
	snprintf(info.host_key_fpr, sizeof(info.host_key_fpr), "%s", host.ek_fpr);
	info.level = v.report.level;
	if (policies_passed(tpm, &pol, &v, info.policies, sizeof(info.policies))) {
		r = HGS_R_INTERNAL_ERROR;
		goto out;
	}
	snprintf(info.facts, sizeof(info.facts),
		 "placement=kernel lockdown=%s sig_enforced=%d module_sig_ok=%d",
		 vms_lockdown_level_name(v.report.lockdown), v.report.sig_enforced,
		 v.report.module_sig_ok);
	memcpy(info.enclave_pk, v.report.enclave_pk, 32);
	info.issued = time(NULL);
	*info_out = info;
	if (keyproc_issue(&info, h->cfg.cert_validity_s, h->cfg.cert_margin_s, der, len))
		r = HGS_R_INTERNAL_ERROR;
out:
	OPENSSL_cleanse(&c, sizeof(c));
	state_tpm_put(tpm);
	free(pcrv);
	vms_tpm_key_free(&ak);
	host_entry_release(&host);
	/* the host name points into the request body, which outlives us */
	tpm_request_free(&t);
	return r;
}

void handle_tpm_attest(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(vms_freep) char *b64 = NULL;
	_cleanup_ossl_ uint8_t *der = NULL;
	struct vms_health_cert_info info;
	const char *host = NULL;
	/* the answer refers to it after we return */
	static __thread char detail[VMS_POLICY_DETAIL_MAX];
	char fpr[VMS_FPR_HEX_LEN];
	uint8_t md[32];
	enum vms_hgs_reason r;
	size_t len = 0;

	detail[0] = 0;
	r = attest(h, rq, a, &host, detail, sizeof(detail), &info, &der, &len);
	if (r == HGS_PASSED) {
		b64 = vms_b64_encode(der, len);
		if (!b64 || !EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL))
			r = HGS_R_INTERNAL_ERROR;
	}
	if (r != HGS_PASSED) {
		finish_fail(h, a, r, host, "attest", detail);
		return;
	}
	__atomic_fetch_add(&h->attest_ok, 1, __ATOMIC_RELAXED);
	vms_hex_encode(md, sizeof(md), fpr);
	store_event(h->st, "attest", host, "Passed", fpr);
	if (h->cfg.log_requests)
		log_info("attest-tpm", "host=%s result=Passed mode=tpm level=%s cert_sha256=%s",
			 host, vms_isolation_name(info.level), fpr);
	answer_ok(a, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}",
			       "health_certificate", b64,
			       "not_before", (json_int_t)(info.issued - h->cfg.cert_margin_s),
			       "not_after", (json_int_t)(info.issued + h->cfg.cert_validity_s +
							 h->cfg.cert_margin_s),
			       "isolation_level", vms_isolation_name(info.level),
			       "attestation_mode", info.mode,
			       "policies", info.policies));
}
