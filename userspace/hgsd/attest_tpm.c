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
 * to the EK for the AK's Name (MakeCredential); its nonce is bound to TPM
 * mode and the host (nonce.c). The attest call checks the nonce, takes
 * the challenge whatever the outcome, requires the credential back (only
 * that TPM could activate it; then the nonce is spent), then runs
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

#include "attest.h"
#include "hgsd.h"
#include "keyproc.h"
#include "log.h"
#include "nonce.h"
#include "platform.h"
#include "store.h"
#include "tpm_session.h"
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

/* What a challenge gathers: the request's keys, the host, the credential. */
struct tpm_offer {
	const char *name;		/* in the request body */
	uint8_t *ekb, *akb, *id, *es;
	size_t eklen, aklen, idl, esl;
	struct vms_tpm_key ek, ak;
	struct host_entry host;
	struct tpm_challenge c;		/* its secret wiped when done */
	char fpr[65];
	uint8_t nonce[32];
};

static void tpm_offer_done(struct tpm_offer *o)
{
	OPENSSL_cleanse(&o->c, sizeof(o->c));
	free(o->ekb);
	free(o->akb);
	free(o->id);
	free(o->es);
	vms_tpm_key_free(&o->ek);
	vms_tpm_key_free(&o->ak);
	host_entry_release(&o->host);
}

/* {host, ek_public, ak_public}: shape, host name, EK type; else @a refused. */
static enum vms_hgs_reason parse_challenge(struct request *rq, struct answer *a,
					   struct tpm_offer *o)
{
	o->name = req_str(rq, a, "host", VMS_HOST_NAME_MAX);
	if (!o->name ||
	    req_b64(rq, a, "ek_public", HGSD_EK_MAX, &o->ekb, &o->eklen) ||
	    req_b64(rq, a, "ak_public", HGSD_EK_MAX, &o->akb, &o->aklen))
		return a->reason;
	if (!vms_host_name_valid(o->name)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'host' must match [A-Za-z0-9._-]{1,64}");
		return a->reason;
	}
	if (vms_tpm_key_load(o->ekb, o->eklen, &o->ek)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'ek_public' must be a TPM2B_PUBLIC: RSA-2048 or ECC P-256, SHA-256 Name");
		return a->reason;
	}
	ek_fingerprint(&o->ek, o->fpr);
	return HGS_PASSED;
}

/*
 * A host without a registered EK whose EK certificate chains to
 * tpm_ek_roots: pin that EK to it, from now on this host is this TPM
 * (audited).
 */
static enum vms_hgs_reason pin_certified_ek(struct hgsd *h, const struct tpm_offer *o)
{
	_cleanup_free_ char *hex = malloc(2 * o->eklen + 1);
	int r;

	if (!hex)
		return HGS_R_INTERNAL_ERROR;
	vms_hex_encode(o->ekb, o->eklen, hex);
	r = store_host_add_ek(h->st, o->host.name, hex, o->fpr,
			      o->host.hw_class[0] ? o->host.hw_class : "default",
			      "hgsd ek-certificate");
	if (r == -EKEYREJECTED)
		return HGS_R_TPM_EK_CONFLICT;	/* an admin registered another meanwhile */
	if (r == -EADDRINUSE)
		return HGS_R_TPM_EK_IN_USE;	/* another host holds this TPM */
	if (r && r != -EEXIST) {
		log_errno(r, "attest-tpm", "step=\"pinning the certified EK\" host=%s", o->host.name);
		return HGS_R_INTERNAL_ERROR;
	}
	r = state_reload(h);
	if (r) {
		log_errno(r, "attest-tpm", "step=\"reloading the snapshot\" host=%s", o->host.name);
		return HGS_R_INTERNAL_ERROR;
	}
	log_info("attest-tpm", "host=%s ek_fpr=%s msg=\"EK certified by a configured root; pinned\"",
		 o->host.name, o->fpr);
	return HGS_PASSED;
}

/* The EK is the host's registered one, or one a configured root certifies. */
static enum vms_hgs_reason check_ek(struct hgsd *h, struct request *rq,
				    struct answer *a, const struct tpm_offer *o)
{
	_cleanup_free_ uint8_t *cert = NULL;
	json_t *v = json_object_get(rq->body, "ek_certificate");
	enum vms_hgs_reason r;
	size_t clen;

	if (o->host.ek_len)
		return strcmp(o->host.ek_fpr, o->fpr) ? HGS_R_TPM_EK_NOT_REGISTERED : HGS_PASSED;
	/* No EK registered: a manufacturer certificate may vouch for it. */
	if (!v || !h->ek_roots)
		return HGS_R_TPM_EK_NOT_REGISTERED;
	if (req_b64(rq, a, "ek_certificate", VMS_EKCERT_MAX_BYTES, &cert, &clen))
		return a->reason;
	r = vms_tpm_ek_cert_verify(cert, clen, h->ek_roots, NULL, &o->ek);
	if (r != HGS_PASSED)
		return r;
	return pin_certified_ek(h, o);
}

/* The host: registered, enabled, this EK; the AK: fit to quote. */
static enum vms_hgs_reason check_host_tpm(struct hgsd *h, struct request *rq,
					  struct answer *a, struct tpm_offer *o)
{
	enum vms_hgs_reason r;

	if (state_host(h, o->name, &o->host))
		return HGS_R_HOST_NOT_REGISTERED;
	if (!o->host.enabled)
		return HGS_R_HOST_DISABLED;
	r = check_ek(h, rq, a, o);
	if (r != HGS_PASSED)
		return r;
	return vms_tpm_ak_load(o->akb, o->aklen, &o->ak);
}

/* The challenge could not be kept: Busy when the table is full. */
static enum vms_hgs_reason not_remembered(struct hgsd *h, int r)
{
	if (r != -EBUSY)
		return HGS_R_INTERNAL_ERROR;
	log_warn("nonce", "msg=\"TPM challenge table full\" max_nonces=%u",
		 h->cfg.max_nonces);
	return HGS_R_BUSY;
}

/*
 * The credential: a secret only the EK's TPM, holding this AK, recovers;
 * remembered with the session, the AK and the PCRs to quote, next to the
 * session's nonce.
 */
static enum vms_hgs_reason make_challenge(struct hgsd *h, struct tpm_offer *o,
					  const char **why)
{
	struct tpm_challenge *c = &o->c;
	struct tpm_state *tpm;
	int r;

	if (nonce_issue(h->nonces, NONCE_MODE_TPM, o->name, c->session, o->nonce))
		return HGS_R_INTERNAL_ERROR;
	if (RAND_bytes(c->secret, sizeof(c->secret)) != 1 ||
	    vms_tpm_make_credential(&o->ek, o->ak.name, c->secret, sizeof(c->secret),
				    &o->id, &o->idl, &o->es, &o->esl))
		return HGS_R_INTERNAL_ERROR;
	snprintf(c->host, sizeof(c->host), "%s", o->name);
	snprintf(c->ek_fpr, sizeof(c->ek_fpr), "%s", o->fpr);
	memcpy(c->ak, o->akb, o->aklen);
	c->ak_len = o->aklen;
	tpm = state_tpm_get(h);
	c->pcr_mask = tpm->pcr_mask;
	state_tpm_put(tpm);
	r = tpm_sessions_put(h->tpm_sessions, c);
	if (r && r != -EBUSY && r != -ENOMEM)
		*why = STORE_NOT_RECORDED;	/* the store refused the challenge */
	if (r)
		return not_remembered(h, r);
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

/* {session, nonce, credential: {id_object, secret}, pcrs, expires_in} */
static json_t *challenge_json(struct hgsd *h, const struct tpm_offer *o)
{
	_cleanup_free_ char *nb64 = vms_b64_encode(o->nonce, sizeof(o->nonce));
	_cleanup_free_ char *idb64 = vms_b64_encode(o->id, o->idl);
	_cleanup_free_ char *esb64 = vms_b64_encode(o->es, o->esl);
	char shex[33];

	if (!nb64 || !idb64 || !esb64)
		return NULL;
	vms_hex_encode(o->c.session, 16, shex);
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:I}", "session", shex, "nonce", nb64,
			 "credential", "id_object", idb64, "secret", esb64,
			 "pcrs", pcr_list(o->c.pcr_mask),
			 "expires_in", (json_int_t)h->cfg.nonce_ttl_s);
}

static enum vms_hgs_reason challenge(struct hgsd *h, struct request *rq,
				     struct answer *a, const char **host_out,
				     json_t **out, const char **why)
{
	_cleanup_(tpm_offer_done) struct tpm_offer o = { 0 };
	enum vms_hgs_reason r;

	r = parse_challenge(rq, a, &o);
	if (r != HGS_PASSED)
		return r;
	*host_out = o.name;
	r = check_host_tpm(h, rq, a, &o);
	if (r != HGS_PASSED)
		return r;
	r = make_challenge(h, &o, why);
	if (r != HGS_PASSED)
		return r;
	*out = challenge_json(h, &o);
	return *out ? HGS_PASSED : HGS_R_INTERNAL_ERROR;
}

static void finish_fail(struct hgsd *h, struct answer *a, enum vms_hgs_reason r,
			const char *host, const char *what, const char *detail)
{
	char hbuf[80], dbuf[160];

	if (a->reason == HGS_PASSED)
		answer_fail(a, r, detail);
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
	const char *host = NULL, *why = NULL;
	json_t *o = NULL;
	enum vms_hgs_reason r = challenge(h, rq, a, &host, &o, &why);

	if (r != HGS_PASSED) {
		finish_fail(h, a, r, host, "challenge", why);
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
	struct enclave_evidence ev;	/* optional: the hypervisor placement */
};

static void tpm_request_free(struct tpm_request *t)
{
	enclave_evidence_free(&t->ev);
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
	return enclave_evidence_parse(rq, a, &t->ev);
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
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	/* issue 16's host facts, and a history check switched off */
	n += snprintf(out + n, len - (size_t)n, "%s%s%s%s",
		      tpm->require_locked_at_load ? ",locked-at-load" : "",
		      tpm->require_ptrace_scope3 ? ",ptrace-scope-3" : "",
		      tpm->require_no_crash_kernel ? ",no-crash-kernel" : "",
		      tpm->allow_key_level_history ? ",key-level-history-allowed" : "");
	if ((size_t)n >= len)
		return -ENOSPC;
	/* issue 16's policies read from the measured boot */
	n += snprintf(out + n, len - (size_t)n, "%s%s",
		      tpm->require_lockdown_cmdline ? ",lockdown-on-cmdline" : "",
		      tpm->n_ima_policy_digests ? ",ima-policy" : "");
	return (size_t)n >= len ? -ENOSPC : 0;
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

/* One attestation attempt: what it has gathered so far. */
struct tpm_attempt {
	struct tpm_request t;
	struct tpm_challenge c;		/* its secret wiped when done */
	struct host_entry host;
	struct vms_tpm_key ak;
	uint8_t (*pcr)[VMS_SHA256_LEN];
	struct tpm_state *tpm;
	struct policy pol;
	struct vms_tpm_verdict v;
	struct vms_enclave_report er;	/* verified, when the request has one */
	char pname[65];
};

static void tpm_attempt_done(struct tpm_attempt *at)
{
	OPENSSL_cleanse(&at->c, sizeof(at->c));
	state_tpm_put(at->tpm);
	free(at->pcr);
	vms_tpm_key_free(&at->ak);
	host_entry_release(&at->host);
	/* the host name points into the request body, which outlives us */
	tpm_request_free(&at->t);
}

/*
 * The nonce: issued here for TPM mode and this host, unexpired, unspent
 * (nonce.c; nothing is spent by a wrong one). Then the session's
 * challenge is taken, whatever the outcome after that; the nonce itself
 * is spent once the credential came back (check_activation).
 */
static enum vms_hgs_reason spend_challenge(struct hgsd *h, struct tpm_attempt *at,
					   char *detail, size_t dlen)
{
	const char *why;
	int r = nonce_check(h->nonces, NONCE_MODE_TPM, at->t.host, at->t.session, at->t.nonce,
			    &why);

	if (r != HGS_PASSED) {
		snprintf(detail, dlen, "%s", why ? why : "");
		return r;
	}
	/* a challenge already taken by an earlier answer, or forgotten */
	r = tpm_sessions_take(h->tpm_sessions, at->t.session, &at->c);
	if (r == -EALREADY) {	/* answered at this node or another: a replay */
		snprintf(detail, dlen, "this challenge was answered already");
		return HGS_R_NONCE_REPLAYED;
	}
	if (r && r != -ENOENT) {	/* the store failed: not the client's fault */
		snprintf(detail, dlen, "%s", STORE_NOT_RECORDED);
		return HGS_R_INTERNAL_ERROR;
	}
	if (r) {
		snprintf(detail, dlen, "no challenge for this session: answered already, or replaced by newer challenges for this host");
		return HGS_R_NONCE_SESSION_MISMATCH;
	}
	if (strcmp(at->c.host, at->t.host)) {
		snprintf(detail, dlen, "the challenge was for another host");
		return HGS_R_NONCE_SESSION_MISMATCH;
	}
	return HGS_PASSED;
}

/* The host is registered, enabled, with the EK the challenge was made to. */
static enum vms_hgs_reason check_host_still(struct hgsd *h, struct tpm_attempt *at)
{
	if (state_host(h, at->t.host, &at->host))
		return HGS_R_HOST_NOT_REGISTERED;
	if (!at->host.enabled)
		return HGS_R_HOST_DISABLED;
	if (!at->host.ek_len || strcmp(at->host.ek_fpr, at->c.ek_fpr))
		return HGS_R_TPM_EK_NOT_REGISTERED;	/* changed since the challenge */
	return HGS_PASSED;
}

/*
 * The credential came back (only that TPM could activate it): the nonce
 * is spent; then its AK.
 */
static enum vms_hgs_reason check_activation(struct hgsd *h, struct tpm_attempt *at,
					    char *detail, size_t dlen)
{
	enum vms_hgs_reason r;

	r = vms_tpm_credential_check(at->c.secret, sizeof(at->c.secret), at->t.cred,
				     at->t.clen);
	if (r != HGS_PASSED)
		return r;
	r = nonce_spend(h->nonces, at->t.session);
	if (r == HGS_R_INTERNAL_ERROR)
		snprintf(detail, dlen, "%s", STORE_NOT_RECORDED);	/* the spend is not durable */
	if (r != HGS_PASSED)
		return r;
	return vms_tpm_ak_load(at->c.ak, at->c.ak_len, &at->ak);
}

/* The PCR values sent, one per PCR the challenge asked for. */
static enum vms_hgs_reason read_pcrs(struct tpm_attempt *at, struct answer *a)
{
	at->pcr = calloc(VMS_TPM_PCRS, VMS_SHA256_LEN);
	if (!at->pcr)
		return HGS_R_INTERNAL_ERROR;
	if (spread_pcrs(&at->t, at->c.pcr_mask, at->pcr)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'pcr_values' must hold 32 bytes per PCR asked for, in PCR order");
		return a->reason;
	}
	return HGS_PASSED;
}

/* The verifier's policy, from HGS's policy and TPM mode's snapshot. */
static void tpm_policy_of(const struct policy *pol, const struct tpm_state *tpm,
			  struct vms_tpm_policy *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->min_lockdown = pol->min_isolation_level >= VMSHIELD_ISOLATION_KERNEL_LOCKED ?
		VMSHIELD_LOCKDOWN_CONFIDENTIALITY : VMSHIELD_LOCKDOWN_NONE;
	tp->require_module_sig = pol->require_module_sig;
	tp->report_at_load = tpm->report_at_load;
	tp->allow_ima_violations = tpm->allow_ima_violations;
	tp->allow_key_level_history = tpm->allow_key_level_history;
	tp->require_locked_at_load = tpm->require_locked_at_load;
	tp->require_ptrace_scope3 = tpm->require_ptrace_scope3;
	tp->require_no_crash_kernel = tpm->require_no_crash_kernel;
	tp->require_lockdown_cmdline = tpm->require_lockdown_cmdline;
	/* "none" (no digest) is the policy off */
	if (tpm->n_ima_policy_digests) {
		tp->ima_policy_digests = (const uint8_t (*)[32])tpm->ima_policy_digests;
		tp->n_ima_policy_digests = tpm->n_ima_policy_digests;
	}
	if (tpm->check_module_digest) {
		/* an empty list approves nothing: fail closed */
		tp->module_digests = (const uint8_t (*)[32])tpm->module_digests;
		tp->n_module_digests = tpm->n_module_digests;
	}
	if (tpm->runtime_allowlist) {
		tp->allowlist = (const uint8_t (*)[32])tpm->allowlist;
		tp->n_allowlist = tpm->n_allowlist;
	}
	tp->require_ima_appraisal = tpm->require_ima_appraisal;
	/* none approved: the appraisal check fails closed */
	tp->ima_keys = tpm->ima_keys;
	tp->n_ima_keys = tpm->n_ima_keys;
	tp->require_secure_boot = tpm->require_secure_boot;
}

/* The request's quote, logs and report, as the verifier takes them. */
static void evidence_of(const struct tpm_attempt *at, struct vms_tpm_evidence *ev)
{
	const struct tpm_request *t = &at->t;

	memset(ev, 0, sizeof(*ev));
	ev->attest = t->attest;
	ev->attest_len = t->alen;
	ev->sig = t->sig;
	ev->sig_len = t->slen;
	ev->pcr = (const uint8_t (*)[VMS_SHA256_LEN])at->pcr;
	ev->event_log = t->evlog;
	ev->event_log_len = t->evlen;
	ev->ima_log = t->ima;
	ev->ima_log_len = t->imalen;
	ev->nonce = t->nonce;
	ev->enclave_pk = t->pk;
	ev->report = t->report;
	ev->report_len = strlen(t->report);
}

/*
 * The enclave report, when there is one, against the enclave key the
 * kernel's own IMA entry named; then the level earned against the policy.
 */
static enum vms_hgs_reason check_placement(struct hgsd *h, struct tpm_attempt *at,
					   struct answer *a)
{
	const struct vms_isolation_report *rep = &at->v.report;
	struct vms_isolation_report last;
	unsigned int level = rep->level;
	enum vms_hgs_reason r;

	/*
	 * The KPS key from the report sent, which the verifier found equal to
	 * the kernel's last report entry (at->v.report is the first one when
	 * report_at_load asks for it: that one predates any KPS key).
	 */
	if (vms_report_parse(at->t.report, strlen(at->t.report), &last))
		return HGS_R_REPORT_MALFORMED;
	r = attest_kps_check(&last);
	if (r != HGS_PASSED)
		return r;

	/* the two reports must agree on where the keys live */
	if (at->t.ev.present && rep->placement != VMSHIELD_PLACEMENT_HYPERVISOR)
		return HGS_R_ENCLAVE_REPORT_UNEXPECTED;
	if (at->t.ev.present) {
		r = enclave_check(h, a, &at->t.ev, at->t.nonce, rep->enclave_pk, &at->pol,
				  &at->er, at->pname);
		if (r != HGS_PASSED)
			return r;
		level = enclave_level(rep->level);
	} else if (rep->placement == VMSHIELD_PLACEMENT_HYPERVISOR) {
		return HGS_R_ENCLAVE_REPORT_MISSING;
	}
	if (level < at->pol.min_isolation_level)
		return HGS_R_ISOLATION_LEVEL_TOO_LOW;
	return HGS_PASSED;
}

/*
 * The quote, counters, boot log and baselines, IMA binding and policies
 * (vms_tpm_attest_verify), then the enclave report and the isolation
 * level of the report it certified (from the kernel's own IMA entry).
 */
static enum vms_hgs_reason verify_evidence(struct hgsd *h, struct tpm_attempt *at,
					   struct answer *a, char *detail, size_t dlen)
{
	struct vms_tpm_clock prev = { 0 };
	struct vms_tpm_verifier ver = { 0 };
	uint8_t ek_name[VMS_TPM_NAME_LEN];
	struct vms_tpm_evidence ev;
	struct vms_tpm_policy tp;
	enum vms_hgs_reason r;
	int e;

	at->tpm = state_tpm_get(h);
	state_policy(h, &at->pol);
	tpm_policy_of(&at->pol, at->tpm, &tp);
	e = store_tpm_clock_get(h->st, at->t.host, &prev.clock, &prev.reset_count,
				&prev.restart_count);
	if (e && e != -ENOENT)
		return HGS_R_INTERNAL_ERROR;
	evidence_of(at, &ev);
	/* the registered EK's Name: SHA-256 nameAlg, then the fingerprint */
	ek_name[0] = TPM2_ALG_SHA256 >> 8;
	ek_name[1] = TPM2_ALG_SHA256 & 0xff;
	if (vms_hex_decode_exact(at->c.ek_fpr, ek_name + 2, VMS_TPM_NAME_LEN - 2))
		return HGS_R_INTERNAL_ERROR;
	ver.ek_name = ek_name;
	ver.pcr_mask = at->c.pcr_mask;
	ver.policy = &tp;
	ver.baselines = at->tpm->baselines;
	ver.n_baselines = at->tpm->n_baselines;
	ver.hw_class = at->host.hw_class;
	ver.prev = e ? NULL : &prev;
	r = vms_tpm_attest_verify(&at->ak, &ev, &ver, &at->v);
	if (r != HGS_PASSED) {
		snprintf(detail, dlen, "%s", at->v.detail);
		return r;
	}
	return check_placement(h, at, a);
}

/* The health certificate for what was verified, signed by the key process. */
static enum vms_hgs_reason issue_cert(struct hgsd *h, const struct tpm_attempt *at,
				      struct vms_health_cert_info *info,
				      uint8_t **der, size_t *len)
{
	const struct vms_isolation_report *rep = &at->v.report;
	char host_facts[128];

	memset(info, 0, sizeof(*info));
	snprintf(info->host, sizeof(info->host), "%s", at->t.host);
	strcpy(info->mode, TPM_MODE);
	strcpy(info->binding, TPM_BINDING);
	snprintf(info->host_key_fpr, sizeof(info->host_key_fpr), "%s", at->host.ek_fpr);
	info->level = rep->level;
	if (policies_passed(at->tpm, &at->pol, &at->v, info->policies, sizeof(info->policies)))
		return HGS_R_INTERNAL_ERROR;
	info->placement = VMSHIELD_PLACEMENT_KERNEL;
	snprintf(host_facts, sizeof(host_facts), "lockdown=%s sig_enforced=%d module_sig_ok=%d",
		 vms_lockdown_level_name(rep->lockdown), rep->sig_enforced, rep->module_sig_ok);
	snprintf(info->facts, sizeof(info->facts), "placement=kernel %s", host_facts);
	if (at->t.ev.present)
		enclave_cert_info(&at->er, at->pname, host_facts, info);
	memcpy(info->enclave_pk, rep->enclave_pk, 32);
	info->issued = state_issue_time(h);
	if (keyproc_issue(info, h->cfg.cert_validity_s, h->cfg.cert_margin_s, der, len))
		return HGS_R_INTERNAL_ERROR;
	return HGS_PASSED;
}

static enum vms_hgs_reason attest(struct hgsd *h, struct request *rq, struct answer *a,
				  const char **host_out, char *detail, size_t dlen,
				  struct vms_health_cert_info *info,
				  uint8_t **der, size_t *len)
{
	_cleanup_(tpm_attempt_done) struct tpm_attempt at = { 0 };
	enum vms_hgs_reason r;

	if (parse_request(rq, a, &at.t))
		return a->reason;
	*host_out = at.t.host;
	r = spend_challenge(h, &at, detail, dlen);
	if (r != HGS_PASSED)
		return r;
	r = check_host_still(h, &at);
	if (r != HGS_PASSED)
		return r;
	r = check_activation(h, &at, detail, dlen);
	if (r != HGS_PASSED)
		return r;
	r = read_pcrs(&at, a);
	if (r != HGS_PASSED)
		return r;
	r = verify_evidence(h, &at, a, detail, dlen);
	if (r != HGS_PASSED)
		return r;
	r = commit_clock(h, at.t.host, &at.v.clock);
	if (r == HGS_R_INTERNAL_ERROR)	/* the counters could not be made durable */
		snprintf(detail, dlen, "%s", STORE_NOT_RECORDED);
	if (r != HGS_PASSED)
		return r;
	return issue_cert(h, &at, info, der, len);
}

void handle_tpm_attest(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(vms_osslfreep) uint8_t *der = NULL;
	_cleanup_free_ char *b64 = NULL;
	struct vms_health_cert_info info;
	const char *host = NULL;
	char detail[VMS_POLICY_DETAIL_MAX];
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
	vms_hex_encode(md, sizeof(md), fpr);
	if (store_event_durable(h->st, "attest", host, "Passed", fpr)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
		return;
	}
	__atomic_fetch_add(&h->attest_ok, 1, __ATOMIC_RELAXED);
	if (h->cfg.log_requests)
		log_info("attest-tpm", "host=%s result=Passed mode=tpm level=%s cert_sha256=%s",
			 host, vms_isolation_name(info.level), fpr);
	answer_ok(a, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
			       "health_certificate", b64,
			       "not_before", (json_int_t)(info.issued - h->cfg.cert_margin_s),
			       "not_after", (json_int_t)(info.issued + h->cfg.cert_validity_s +
							 h->cfg.cert_margin_s),
			       "isolation_level", vms_isolation_name(info.level),
			       "attestation_mode", info.mode,
			       "placement", vms_placement_name(info.placement),
			       "platform", vms_platform_name(info.platform),
			       "policies", info.policies));
}
