// SPDX-License-Identifier: GPL-2.0
/*
 * attest.c - host-key mode attestation.
 *
 *   POST /v1/attest/nonce  {[host]}  ->  {session, nonce, expires_in}
 *   POST /v1/attest        {session, nonce, host, enclave_pk, report,
 *                           signature}  ->  {health_certificate, ...}
 *
 * Checks, in order: request shape; the nonce (issued here, to this
 * session, for host-key mode and, if the nonce request named one, this
 * host; unexpired, unspent); the host (registered, enabled); the
 * signature by its registered key over the evidence, after which the
 * nonce is spent whatever the outcome (nonce.c keeps nothing for a nonce
 * until then); the report (well formed, naming the enclave key sent);
 * with an enclave report, the report (platform.c: registered platform,
 * its signature, this nonce, the same enclave key, an approved program)
 * and then the hypervisor placement; the policies (min_isolation_level,
 * require_module_sig). Then a health certificate is issued whose
 * extensions say that the enclave binding rests on the host key alone,
 * and which placement and platform the enclave has.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/vmshield.h>
#include <openssl/rand.h>

#include "attest.h"
#include "hgsd.h"
#include "keyproc.h"
#include "log.h"
#include "nonce.h"
#include "platform.h"
#include "store.h"
#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_x509.h"
#include "vmshield.h"

/* The nonce request's optional host: NULL if absent; -EINVAL with @a refused. */
static int nonce_host(struct request *rq, struct answer *a, const char **host)
{
	*host = NULL;
	if (!rq->body || !json_object_get(rq->body, "host"))
		return 0;
	*host = req_str(rq, a, "host", VMS_HOST_NAME_MAX);
	if (!*host)
		return -EINVAL;
	if (!vms_host_name_valid(*host)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'host' must match [A-Za-z0-9._-]{1,64}");
		return -EINVAL;
	}
	return 0;
}

void handle_nonce(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ char *nb64 = NULL;
	uint8_t session[16], nonce[32];
	const char *host;
	char shex[33];
	json_t *o;

	if (nonce_host(rq, a, &host))
		return;
	if (nonce_issue(h->nonces, NONCE_MODE_HOST_KEY, host, session, nonce)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(session, sizeof(session), shex);
	nb64 = vms_b64_encode(nonce, sizeof(nonce));
	o = json_pack("{s:s, s:s, s:I}", "session", shex, "nonce", nb64 ? nb64 : "",
		      "expires_in", (json_int_t)h->cfg.nonce_ttl_s);
	if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, o);
}

enum vms_hgs_reason kps_key_check(int set, const uint8_t key[32])
{
	uint8_t kps[32];

	/*
	 * none: the enclave would take its release key from whoever names
	 * one first, root included, after this certificate is issued; the
	 * agent names HGS's key before it attests (agent/kps_key.c), so an
	 * honest host never reports none (issue 17)
	 */
	if (!set)
		return HGS_R_KPS_KEY_NOT_NAMED;
	if (keyproc_kps_public_key(kps))
		return HGS_R_INTERNAL_ERROR;
	return CRYPTO_memcmp(kps, key, sizeof(kps)) ? HGS_R_KPS_KEY_MISMATCH : HGS_PASSED;
}

enum vms_hgs_reason attest_kps_check(const struct vms_isolation_report *rep)
{
	return kps_key_check(rep->kps_set, rep->kps_pk);
}

static void policies_passed(const struct policy *p, const struct vms_isolation_report *rep,
			    char *out, size_t len)
{
	snprintf(out, len,
		 "host-registered,host-key-signature,nonce-fresh,report-consistent,min-isolation-level=%s%s",
		 vms_isolation_name(p->min_isolation_level),
		 p->require_module_sig && rep->module_sig_ok ? ",module-signature" : "");
}

/* A host-key attestation request, its binary fields decoded. */
struct hk_request {
	uint8_t session[16], pk[32];
	uint8_t *nonce, *sig;
	size_t nlen, siglen;
	const char *host, *report;	/* in the request body */
	struct enclave_evidence ev;	/* optional: the hypervisor placement */
};

static void hk_request_free(struct hk_request *t)
{
	free(t->nonce);
	free(t->sig);
	enclave_evidence_free(&t->ev);
}

/* {session, nonce, host, enclave_pk, report, signature}; else @a refused. */
static int parse_hk_request(struct request *rq, struct answer *a, struct hk_request *t)
{
	if (req_hex(rq, a, "session", t->session, sizeof(t->session)) ||
	    req_b64(rq, a, "nonce", VMS_NONCE_LEN, &t->nonce, &t->nlen))
		return -EINVAL;
	t->host = req_str(rq, a, "host", VMS_HOST_NAME_MAX);
	if (!t->host || req_hex(rq, a, "enclave_pk", t->pk, sizeof(t->pk)))
		return -EINVAL;
	t->report = req_str(rq, a, "report", VMS_REPORT_MAX);
	if (!t->report || req_b64(rq, a, "signature", 256, &t->sig, &t->siglen))
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

/*
 * The host (registered, enabled, by a host key) signed the evidence with
 * its registered key; its fingerprint into @fpr.
 */
static enum vms_hgs_reason check_host_signature(struct hgsd *h, struct answer *a,
						const struct hk_request *t, char *fpr,
						size_t fprlen)
{
	struct host_entry host = { 0 };
	enum vms_hgs_reason r = HGS_PASSED;

	if (state_host(h, t->host, &host))
		return HGS_R_HOST_NOT_REGISTERED;
	if (!host.enabled) {
		r = HGS_R_HOST_DISABLED;
	} else if (!host.key) {
		/* registered by its EK only: TPM mode (/v1/attest/tpm) */
		answer_fail(a, HGS_R_HOST_NOT_REGISTERED,
			    "this host is registered by its TPM's EK only: attest in TPM mode");
		r = a->reason;
	} else if (vms_attest_verify(host.key, t->nonce, t->pk, t->report, strlen(t->report),
				     t->sig, t->siglen)) {
		r = HGS_R_HOST_SIGNATURE_INVALID;
	}
	snprintf(fpr, fprlen, "%s", host.fpr);
	host_entry_release(&host);
	return r;
}

/*
 * The report: well formed, naming the enclave key sent; with an enclave
 * report, that report verified (the level is then hypervisor); within
 * the policy at the level earned.
 */
static enum vms_hgs_reason check_report(struct hgsd *h, struct answer *a,
					const struct hk_request *t, const struct policy *pol,
					struct vms_isolation_report *rep,
					struct vms_enclave_report *er, char pname[65])
{
	enum vms_hgs_reason r;
	unsigned int level;

	if (vms_report_parse(t->report, strlen(t->report), rep))
		return HGS_R_REPORT_MALFORMED;
	if (CRYPTO_memcmp(rep->enclave_pk, t->pk, 32))
		return HGS_R_ENCLAVE_KEY_MISMATCH;
	r = attest_kps_check(rep);
	if (r != HGS_PASSED)
		return r;
	level = rep->level;
	/* the two reports must agree on where the keys live */
	if (t->ev.present && rep->placement != VMSHIELD_PLACEMENT_HYPERVISOR)
		return HGS_R_ENCLAVE_REPORT_UNEXPECTED;
	if (t->ev.present) {
		r = enclave_check(h, a, &t->ev, t->nonce, t->pk, pol, er, pname);
		if (r != HGS_PASSED)
			return r;
		level = enclave_level(rep->level);
	} else if (rep->placement == VMSHIELD_PLACEMENT_HYPERVISOR) {
		return HGS_R_ENCLAVE_REPORT_MISSING;
	}
	if (level < pol->min_isolation_level)
		return HGS_R_ISOLATION_LEVEL_TOO_LOW;
	if (pol->require_module_sig && !rep->module_sig_ok)
		return HGS_R_MODULE_SIGNATURE_NOT_VERIFIED;
	return HGS_PASSED;
}

/* The health certificate (host-key binding), signed by the key process. */
static enum vms_hgs_reason issue_cert(struct hgsd *h, const struct hk_request *t,
				      const struct policy *pol,
				      const struct vms_isolation_report *rep,
				      const struct vms_enclave_report *er, const char *pname,
				      struct vms_health_cert_info *info, uint8_t **der, size_t *len)
{
	char host_facts[128];

	snprintf(info->host, sizeof(info->host), "%s", t->host);
	strcpy(info->mode, VMS_HC_MODE_HOST_KEY);
	strcpy(info->binding, VMS_HC_BINDING_HOST_KEY);
	info->level = rep->level;
	info->placement = VMSHIELD_PLACEMENT_KERNEL;
	policies_passed(pol, rep, info->policies, sizeof(info->policies));
	snprintf(host_facts, sizeof(host_facts), "lockdown=%s sig_enforced=%d module_sig_ok=%d",
		 vms_lockdown_level_name(rep->lockdown), rep->sig_enforced, rep->module_sig_ok);
	snprintf(info->facts, sizeof(info->facts), "placement=kernel %s", host_facts);
	if (t->ev.present)
		enclave_cert_info(er, pname, host_facts, info);
	memcpy(info->enclave_pk, t->pk, 32);
	info->issued = state_issue_time(h);
	if (keyproc_issue(info, h->cfg.cert_validity_s, h->cfg.cert_margin_s, der, len))
		return HGS_R_INTERNAL_ERROR;
	return HGS_PASSED;
}

static enum vms_hgs_reason attest_host_key(struct hgsd *h, struct request *rq,
					   struct answer *a, const char **host_out,
					   struct vms_health_cert_info *info,
					   uint8_t **der, size_t *len)
{
	_cleanup_(hk_request_free) struct hk_request t = { 0 };
	struct vms_isolation_report rep;
	struct vms_enclave_report er;
	enum vms_hgs_reason r;
	const char *why;
	struct policy pol;
	char pname[65];

	memset(info, 0, sizeof(*info));
	if (parse_hk_request(rq, a, &t))
		return a->reason;
	*host_out = t.host;
	r = nonce_check(h->nonces, NONCE_MODE_HOST_KEY, t.host, t.session, t.nonce, &why);
	if (r != HGS_PASSED) {
		answer_fail(a, r, why);
		return r;
	}
	r = check_host_signature(h, a, &t, info->host_key_fpr, sizeof(info->host_key_fpr));
	if (r != HGS_PASSED)
		return r;
	/* genuine evidence: the nonce is spent, whatever the outcome now */
	r = nonce_spend(h->nonces, t.session);
	if (r == HGS_R_INTERNAL_ERROR)
		answer_fail(a, r, STORE_NOT_RECORDED);	/* the spend is not durable */
	if (r != HGS_PASSED)
		return r;
	state_policy(h, &pol);
	r = check_report(h, a, &t, &pol, &rep, &er, pname);
	if (r != HGS_PASSED)
		return r;
	return issue_cert(h, &t, &pol, &rep, &er, pname, info, der, len);
}

void handle_attest(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(vms_osslfreep) uint8_t *der = NULL;
	_cleanup_free_ char *b64 = NULL;
	struct vms_health_cert_info info;
	const char *host = NULL;
	char hbuf[80], fpr[VMS_FPR_HEX_LEN];
	uint8_t md[32];
	enum vms_hgs_reason r;
	size_t len = 0;

	r = attest_host_key(h, rq, a, &host, &info, &der, &len);
	if (r == HGS_PASSED) {
		b64 = vms_b64_encode(der, len);
		if (!b64 || !EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL))
			r = HGS_R_INTERNAL_ERROR;
	}
	if (r != HGS_PASSED) {
		if (a->reason == HGS_PASSED)
			answer_fail(a, r, NULL);
		__atomic_fetch_add(&h->attest_fail, 1, __ATOMIC_RELAXED);
		if (host)
			store_event(h->st, "attest", host, vms_hgs_reason_name(a->reason), "");
		if (h->cfg.log_requests)
			log_info("attest", "host=%s result=%s", log_safe(host, hbuf, sizeof(hbuf)),
				 vms_hgs_reason_name(a->reason));
		return;
	}
	vms_hex_encode(md, sizeof(md), fpr);
	if (store_event_durable(h->st, "attest", host, "Passed", fpr)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
		return;
	}
	__atomic_fetch_add(&h->attest_ok, 1, __ATOMIC_RELAXED);
	if (h->cfg.log_requests)
		log_info("attest", "host=%s result=Passed level=%s cert_sha256=%s", host,
			 vms_isolation_name(info.level), fpr);
	answer_ok(a, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
			       "health_certificate", b64,
			       "not_before", (json_int_t)(info.issued - h->cfg.cert_margin_s),
			       "not_after", (json_int_t)(info.issued + h->cfg.cert_validity_s +
							 h->cfg.cert_margin_s),
			       "isolation_level", vms_isolation_name(info.level),
			       "attestation_mode", info.mode,
			       "placement", vms_placement_name(info.placement),
			       "platform", vms_platform_name(info.platform)));
}
