// SPDX-License-Identifier: GPL-2.0
/*
 * attest.c - the health certificate: attestation in host-key mode, the
 * cached certificate, renewal.
 *
 * Attesting: read the enclave key and isolation report from /dev/vmshield
 * (GET_INFO), then
 *  host-key mode: fetch a nonce from HGS, sign (nonce, enclave key,
 *    report) with the host key (vms_attest_sign), post it;
 *  TPM mode: the challenge / ActivateCredential / Quote / logs exchange of
 *    vms_hgs_attest_tpm() over the TPM at tpm_tcti, opened for the
 *    attestation and closed after it;
 * in placement hypervisor, either mode also sends the enclave report the
 * platform signed for the same nonce (VMSHIELD_IOC_ENCLAVE_REPORT),
 * checked here to name the enclave key the host's evidence names;
 * and keep the certificate. Challenge (or nonce) and attestation go to
 * the same HGS (they are per server).
 *
 * A cached certificate is used only while it names the module's current
 * enclave key and isolation level and has cert_min_remaining_s left;
 * otherwise the caller attests. One attestation runs at a time (the
 * "running" flag is the gate; no lock is held across the network calls):
 * callers that need one while it runs wait for its result. A failed
 * attestation never drops a certificate that is still valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent.h"
#include "vmshield.h"
#include "vms_b64.h"
#include "vms_cleanup_json.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_enclave_report.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_hgs_reason.h"
#include "vms_hgs_tpm_client.h"
#include "vms_host_tpm.h"
#include "vms_x509.h"

#define CERT_DER_MAX	(16u << 10)
#define RETRY_AFTER_FAIL_S 30

struct module_view {
	uint8_t pk[32];
	unsigned int placement;	/* VMSHIELD_PLACEMENT_* */
	unsigned int level;	/* the level a certificate for it would carry */
	char report[VMS_REPORT_MAX];
};

/*
 * The level HGS certifies for @rep: the host kernel's, lifted to
 * hypervisor by a verified enclave report on a kernel-locked host (as
 * hgsd's enclave_level()), so a certificate that still fits is reused.
 */
static unsigned int cert_level_of(const struct vms_isolation_report *rep)
{
	if (rep->placement == VMSHIELD_PLACEMENT_HYPERVISOR &&
	    rep->level >= VMSHIELD_ISOLATION_KERNEL_LOCKED)
		return VMSHIELD_ISOLATION_HYPERVISOR;
	return rep->level;
}

static int read_module(struct module_view *m, struct agent_fail *f)
{
	struct vms_isolation_report rep = { 0 };
	struct vmshield_info info;
	int fd, r;

	fd = vms_dev_open();
	if (fd < 0) {
		agent_fail_set(f, "module", "ModuleUnavailable", fd,
			       "cannot open %s: %s", VMS_DEVICE_PATH,
			       vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return fd;
	}
	r = vms_dev_get_info(fd, &info);
	vms_dev_close(fd);
	if (r) {
		agent_fail_set(f, "module", "ModuleUnavailable", r,
			       "GET_INFO failed: %s",
			       vms_dev_op_strerror(VMS_OP_INFO, r));
		return r;
	}
	vms_report_from_info(&info, &rep);
	r = vms_report_format(&rep, m->report, sizeof(m->report));
	if (r < 0) {
		agent_fail_set(f, "module", "ModuleUnavailable", r,
			       "the module's isolation report cannot be written");
		return r;
	}
	memcpy(m->pk, info.enclave_pk, 32);
	m->placement = rep.placement;
	m->level = cert_level_of(&rep);
	return 0;
}

/* Caller holds att.lock. */
static int cert_usable(struct agent *a, const struct module_view *m)
{
	const struct attest_state *s = &a->att;
	time_t now = time(NULL);

	return s->cert_b64 && !memcmp(s->info.enclave_pk, m->pk, 32) &&
	       s->info.level == m->level && s->info.placement == m->placement &&
	       s->info.not_before <= now + 60 &&
	       s->info.not_after - now >= (time_t)a->cfg.cert_min_remaining_s;
}

/* ---------- the enclave report (placement hypervisor) ---------- */

/*
 * The enclave's report for @nonce, signed by the platform, as the module
 * hands it on: *@body and *@sig malloc()ed. It must name the enclave key
 * the host's evidence names (@pk): an enclave restarted since GET_INFO
 * has another key, and HGS would refuse the pair (EnclaveKeyMismatch);
 * -ESTALE says so here first.
 */
static int enclave_report_for(const uint8_t pk[32], const uint8_t nonce[32],
			      uint8_t **body, size_t *blen, uint8_t **sig,
			      size_t *slen)
{
	uint8_t b[VMSHIELD_REPORT_BODY_MAX], sg[VMSHIELD_REPORT_SIG_MAX];
	struct vms_enclave_report er;
	int fd, r;

	*body = *sig = NULL;
	fd = vms_dev_open();
	if (fd < 0)
		return fd;
	r = vms_dev_enclave_report(fd, nonce, b, blen, sg, slen);
	vms_dev_close(fd);
	if (r)
		return r;
	if (vms_enclave_report_parse(b, *blen, &er))
		return -EPROTO;
	if (memcmp(er.enclave_key, pk, 32) || memcmp(er.nonce, nonce, 32))
		return -ESTALE;
	*body = malloc(*blen);
	*sig = malloc(*slen);
	if (!*body || !*sig) {
		free(*body);
		free(*sig);
		*body = *sig = NULL;
		return -ENOMEM;
	}
	memcpy(*body, b, *blen);
	memcpy(*sig, sg, *slen);
	return 0;
}

static const char *enclave_report_strerror(int r)
{
	switch (r) {
	case -ESTALE:
		return "the enclave's key changed during the attestation (the enclave restarted): the next attempt uses its new key";
	case -EHOSTDOWN:
		return "the enclave does not answer (is vmshield-enclaved running on the platform?)";
	case -EPROTO:
		return "the enclave answered something that is not an enclave report";
	case -EOPNOTSUPP:
		return "the module is not in placement hypervisor any more, or the enclave has no platform key";
	default:
		return strerror(-r);
	}
}

/* TPM mode's hook (vms_hgs_tpm_client.h): @arg is the module view. */
static int tpm_enclave_report(void *arg, const uint8_t nonce[32], uint8_t **body,
			      size_t *blen, uint8_t **sig, size_t *slen)
{
	const struct module_view *m = arg;

	return enclave_report_for(m->pk, nonce, body, blen, sig, slen);
}

/* {"body": base64, "sig": base64} of the enclave report for @nonce. */
static int enclave_report_json(const struct module_view *m, const uint8_t *nonce,
			       json_t **out, char *err, size_t errlen)
{
	_cleanup_(vms_freep) uint8_t *body = NULL, *sig = NULL;
	_cleanup_(vms_freep) char *b64 = NULL, *s64 = NULL;
	size_t blen, slen;
	int r;

	r = enclave_report_for(m->pk, nonce, &body, &blen, &sig, &slen);
	if (r) {
		snprintf(err, errlen, "no enclave report: %s", enclave_report_strerror(r));
		return r;
	}
	b64 = vms_b64_encode(body, blen);
	s64 = vms_b64_encode(sig, slen);
	*out = b64 && s64 ? json_pack("{s:s, s:s}", "body", b64, "sig", s64) : NULL;
	return *out ? 0 : -ENOMEM;
}

/* ---------- one attestation exchange with one HGS ---------- */

struct attest_ex {
	struct agent *a;
	const struct module_view *m;
	long http;
	json_t *answer;
};

/* TPM mode: one exchange (vms_hgs_tpm_client.h) with one HGS. */
static int attest_exchange_tpm(struct vms_hgs_client *c, struct attest_ex *x,
			       char *err, size_t errlen)
{
	const struct agent_config *cfg = &x->a->cfg;
	struct vms_tpm_attest_input in = {
		.host = cfg->host_name, .enclave_pk = x->m->pk, .report = x->m->report,
		.event_log_path = cfg->bios_log, .ima_log_path = cfg->ima_log,
	};
	_cleanup_json_ json_t *resp = NULL;
	struct vms_host_tpm *t;
	char terr[128];
	int r;

	if (x->m->placement == VMSHIELD_PLACEMENT_HYPERVISOR) {
		in.enclave_report = tpm_enclave_report;
		in.enclave_report_arg = (void *)x->m;
	}
	r = vms_host_tpm_open(&t, cfg->tpm_tcti);
	if (r) {
		/* not a network problem: another URL will not help */
		snprintf(err, errlen, "cannot open the TPM at %s: %s (is the TPM there, and is the agent root or in the tss group?)",
				      cfg->tpm_tcti,
			 strerror(-r));
		return r;
	}
	r = vms_hgs_attest_tpm(c, t, &in, &x->http, &resp, terr);
	vms_host_tpm_close(t);
	if (r == -EIO || r == -ENOENT || r == -EACCES || r == -ENOMEM || r == -EBADMSG) {
		snprintf(err, errlen, "%s", terr[0] ? terr : strerror(-r));
		/* a malformed challenge may be one server's fault: try the next */
		return r == -EBADMSG ? -EAGAIN : r;
	}
	if (r == -ESTALE || r == -EHOSTDOWN || r == -EPROTO || r == -EOPNOTSUPP) {
		/* the enclave report hook: the platform's side, not the network */
		snprintf(err, errlen, "no enclave report: %s", enclave_report_strerror(r));
		return r;
	}
	if (r) {
		snprintf(err, errlen, "%s", vms_hgs_client_error(c));
		return -EAGAIN;
	}
	if (x->http >= 500) {
		snprintf(err, errlen, "HTTP %ld %s", x->http, vms_hgs_substatus(resp));
		return -EAGAIN;
	}
	x->answer = VMS_TAKE_PTR(resp);
	return 0;
}

/*
 * Host-key mode: a nonce from HGS, into @session (in *@resp) and @nonce;
 * asked for this host, so that HGS binds it to the host (issue 17).
 */
static int ask_nonce(struct vms_hgs_client *c, struct attest_ex *x, json_t **resp,
		     const char **session, uint8_t **nonce, char *err, size_t errlen)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "host", x->a->cfg.host_name);
	const char *nonce64;
	size_t nlen;
	int r;

	r = hgs_post(c, "/v1/attest/nonce", req, &x->http, resp, err, errlen);
	if (r)
		return r;
	if (strcmp(vms_hgs_substatus(*resp), "Passed"))
		return 0;	/* HGS refused: the caller hands on its answer */
	*session = json_string_value(json_object_get(*resp, "session"));
	nonce64 = json_string_value(json_object_get(*resp, "nonce"));
	if (!*session || !nonce64 ||
	    vms_b64_decode(nonce64, strlen(nonce64), VMS_NONCE_LEN, nonce, &nlen) ||
	    nlen != VMS_NONCE_LEN) {
		snprintf(err, errlen, "HGS sent a malformed nonce answer");
		return -EAGAIN;
	}
	return 0;
}

/* Host-key mode: the evidence (nonce, enclave key, report) signed, as base64. */
static int sign_evidence(struct attest_ex *x, const uint8_t *nonce, char **sig64,
			 char *err, size_t errlen)
{
	_cleanup_(vms_freep) uint8_t *sig = NULL;
	size_t siglen;
	int r;

	r = vms_attest_sign(x->a->host_key, nonce, x->m->pk, x->m->report,
			    strlen(x->m->report), &sig, &siglen);
	*sig64 = r ? NULL : vms_b64_encode(sig, siglen);
	if (!*sig64) {
		snprintf(err, errlen, "signing the evidence failed");
		return r ? r : -ENOMEM;
	}
	return 0;
}

static int attest_exchange(struct vms_hgs_client *c, void *arg, char *err,
			   size_t errlen)
{
	_cleanup_(vms_freep) uint8_t *nonce = NULL;
	_cleanup_(vms_freep) char *sig64 = NULL;
	_cleanup_json_ json_t *resp = NULL, *er = NULL;
	struct attest_ex *x = arg;
	const char *session = NULL;
	json_t *req;
	char pkhex[65];
	int r;

	if (x->a->cfg.attestation_mode == AGENT_MODE_TPM)
		return attest_exchange_tpm(c, x, err, errlen);
	r = ask_nonce(c, x, &resp, &session, &nonce, err, errlen);
	if (r)
		return r;
	if (!session) {
		x->answer = VMS_TAKE_PTR(resp);	/* HGS refused */
		return 0;
	}
	r = sign_evidence(x, nonce, &sig64, err, errlen);
	if (r)
		return r;
	if (x->m->placement == VMSHIELD_PLACEMENT_HYPERVISOR) {
		r = enclave_report_json(x->m, nonce, &er, err, errlen);
		if (r)
			return r;
	}
	vms_hex_encode(x->m->pk, 32, pkhex);
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "session", session,
			"nonce", json_string_value(json_object_get(resp, "nonce")),
			"host", x->a->cfg.host_name, "enclave_pk", pkhex,
			"report", x->m->report, "signature", sig64);
	if (!req || (er && json_object_set_new(req, "enclave_report", VMS_TAKE_PTR(er)))) {
		json_decref(req);
		return -ENOMEM;
	}
	r = hgs_post(c, "/v1/attest", req, &x->http, &x->answer, err, errlen);
	json_decref(req);
	return r;
}

/* ---------- the certificate ---------- */

static int cert_decode(const char *b64, struct vms_health_cert_info *info)
{
	_cleanup_(vms_freep) uint8_t *der = NULL;
	_cleanup_(X509_freep) X509 *c = NULL;
	size_t len;
	int r;

	r = vms_b64_decode(b64, strlen(b64), CERT_DER_MAX, &der, &len);
	if (r)
		return r;
	r = vms_cert_from_der(der, len, &c);
	if (r)
		return r;
	return vms_health_cert_parse(c, info);
}

static void schedule_renewal(struct agent *a)
{
	struct attest_state *s = &a->att;
	time_t issued = s->info.issued ? s->info.issued : s->info.not_before;
	long life = (long)(s->info.not_after - issued), after, jitter = 0;
	uint32_t rnd = 0;

	after = life * (long)a->cfg.renew_fraction_pct / 100;
	if (after > (long)a->cfg.renew_interval_s)
		after = a->cfg.renew_interval_s;
	if (a->cfg.renew_jitter_s && getrandom(&rnd, sizeof(rnd), 0) == sizeof(rnd))
		jitter = (long)(rnd % (a->cfg.renew_jitter_s + 1));
	/* jitter only brings renewal forward, never past the interval */
	after -= jitter < after / 2 ? jitter : after / 2;
	s->renew_at = issued + after;
	if (s->renew_at < time(NULL) + 5)
		s->renew_at = time(NULL) + 5;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----\n"
#define PEM_END "-----END CERTIFICATE-----\n"

/*
 * Cache the certificate as PEM (so `openssl x509 -in health.pem` reads
 * it): the standard base64 of its DER, 64 characters a line.
 */
static void save_cert(struct agent *a, const char *b64)
{
	char path[AGENT_PATH_MAX + 32];
	size_t len = strlen(b64), i, o = 0;
	char *pem = malloc(sizeof(PEM_BEGIN) + len + len / 64 + 2 +
			   sizeof(PEM_END));
	int r;

	if (!pem)
		return;
	memcpy(pem, PEM_BEGIN, strlen(PEM_BEGIN));
	o = strlen(PEM_BEGIN);
	for (i = 0; i < len; i += 64) {
		size_t n = len - i < 64 ? len - i : 64;

		memcpy(pem + o, b64 + i, n);
		o += n;
		pem[o++] = '\n';
	}
	memcpy(pem + o, PEM_END, strlen(PEM_END));
	o += strlen(PEM_END);
	snprintf(path, sizeof(path), "%s/%s", a->cfg.state_dir, AGENT_CERT_FILE);
	r = vms_write_file_atomic(path, pem, o, 0600, 0);
	free(pem);
	if (r)
		log_warn("cert_cache", "path=\"%s\" error=\"%s\"", path, strerror(-r));
}

/* The base64 between the PEM lines of @buf, joined ("" if not a PEM). */
static char *pem_body(const uint8_t *buf, size_t len)
{
	char *b64 = malloc(len + 1);
	size_t i, o = 0;

	if (!b64)
		return NULL;
	if (len > strlen(PEM_BEGIN) && !memcmp(buf, PEM_BEGIN, strlen(PEM_BEGIN)))
		for (i = strlen(PEM_BEGIN); i < len && buf[i] != '-'; i++)
			if (buf[i] != '\n')
				b64[o++] = (char)buf[i];
	b64[o] = 0;
	return b64;
}

/* The certificate cached by a previous run, if any (checked before use). */
static void load_cert(struct agent *a)
{
	_cleanup_(vms_freep) uint8_t *buf = NULL;
	_cleanup_(vms_freep) char *b64 = NULL;
	char path[AGENT_PATH_MAX + 32];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", a->cfg.state_dir, AGENT_CERT_FILE);
	if (vms_read_file(path, CERT_DER_MAX * 2, &buf, &len))
		return;
	/* anything but a health certificate: attest */
	b64 = pem_body(buf, len);
	if (!b64 || !b64[0] || cert_decode(b64, &a->att.info)) {
		memset(&a->att.info, 0, sizeof(a->att.info));
		return;
	}
	a->att.cert_b64 = VMS_TAKE_PTR(b64);
	schedule_renewal(a);
}

/* What an HGS refusal means for this host, with the command to fix it. */
static void refusal(struct agent *a, json_t *resp, long http,
		    struct agent_fail *f)
{
	const char *sub = vms_hgs_substatus(resp);
	const char *msg = json_string_value(json_object_get(resp, "message"));
	const char *detail = json_string_value(json_object_get(resp, "detail"));
	int code = vms_hgs_reason_from_name(sub);

	if (a->cfg.attestation_mode == AGENT_MODE_TPM &&
	    (code == HGS_R_HOST_NOT_REGISTERED || code == HGS_R_TPM_EK_NOT_REGISTERED))
		agent_fail_set(f, "attestation", sub, -EACCES,
			       "HGS does not know this TPM as host '%s': run 'hgs-agent identity --out ek.pub' and ask the HGS admin to run 'shieldctl hgs host add %s --ek ek.pub --class CLASS'",
			       a->cfg.host_name, a->cfg.host_name);
	else if (code == HGS_R_HOST_NOT_REGISTERED)
		agent_fail_set(f, "attestation", sub, -EACCES,
			       "HGS does not know host '%s': ask the HGS admin to run 'shieldctl hgs host add %s --key %s/%s'",
			       a->cfg.host_name, a->cfg.host_name,
			       a->cfg.state_dir, AGENT_HOST_PUB_FILE);
	else if (code == HGS_R_KPS_KEY_MISMATCH)
		agent_fail_set(f, "attestation", sub, -EACCES,
			       "HGS refused the attestation: the enclave accepts key releases from another KPS key than this HGS's (someone on this host named it first); reload vmshield.ko (a new enclave identity; the agent names HGS's key before it attests again), and find out who named it");
	else if (code == HGS_R_HOST_DISABLED)
		agent_fail_set(f, "attestation", sub, -EACCES,
			       "HGS has disabled host '%s': the HGS admin re-enables it with 'shieldctl hgs host enable %s'",
			       a->cfg.host_name, a->cfg.host_name);
	else
		agent_fail_set(f, "attestation", sub[0] == '?' ? "BadAnswer" : sub,
			       -EACCES, "HGS refused the attestation (HTTP %ld): %s%s%s",
			       http, msg ? msg : "no message", detail ? " - " : "",
			       detail ? detail : "");
}

static int do_attest(struct agent *a, const struct module_view *m,
		     double deadline, char **b64_out,
		     struct vms_health_cert_info *info, struct agent_fail *f)
{
	_cleanup_json_ json_t *answer = NULL;
	struct attest_ex x = { .a = a, .m = m };
	const char *b64;
	char err[300];
	int r;

	r = hgs_run(a, deadline, attest_exchange, &x, err, sizeof(err));
	answer = x.answer;
	if (r == -ETIMEDOUT || r == -ESHUTDOWN) {
		agent_fail_set(f, "attestation", "HgsUnreachable", -ETIMEDOUT,
			       "no HGS answered before the deadline (last error: %s); check the network and that hgsd runs at %s (or the fallbacks)",
			       err, a->cfg.urls[0]);
		return -ETIMEDOUT;
	}
	if (r) {
		agent_fail_set(f, "attestation", "AgentError", r,
			       "attestation could not be prepared: %s", err);
		return r;
	}
	if (strcmp(vms_hgs_substatus(answer), "Passed")) {
		refusal(a, answer, x.http, f);
		return -EACCES;
	}
	b64 = json_string_value(json_object_get(answer, "health_certificate"));
	/* another placement would never be reused (cert_usable): refuse it now */
	if (!b64 || cert_decode(b64, info) || memcmp(info->enclave_pk, m->pk, 32) ||
	    strcmp(info->host, a->cfg.host_name) || info->placement != m->placement) {
		agent_fail_set(f, "attestation", "BadAnswer", -EPROTO,
			       "HGS answered with a certificate that is not for this host, enclave key and placement: check hgs_url points at your HGS");
		return -EPROTO;
	}
	*b64_out = strdup(b64);
	if (!*b64_out)
		return -ENOMEM;
	log_info("attested", "host=%s level=%s placement=%s platform=%s not_after=%ld",
		 a->cfg.host_name, vms_isolation_name(info->level),
		 vms_placement_name(info->placement), vms_platform_name(info->platform),
		 (long)info->not_after);
	return 0;
}

/* ---------- the gate ---------- */

int attest_init(struct agent *a)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&a->att.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->att.changed, &ca);
	pthread_condattr_destroy(&ca);
	load_cert(a);
	return 0;
}

void attest_free(struct agent *a)
{
	free(a->att.cert_b64);
	a->att.cert_b64 = NULL;
	pthread_cond_destroy(&a->att.changed);
	pthread_mutex_destroy(&a->att.lock);
}

static void to_timespec(double t, struct timespec *ts)
{
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

/*
 * Under att.lock: wait until this caller may attest (1), or has its
 * answer (0: *@b64 the usable certificate; -errno: @f filled, the lock
 * still held either way). @gen0: the generation when the caller came.
 */
static int wait_for_gate(struct agent *a, const struct module_view *m, int force,
			 unsigned long gen0, double deadline, char **b64,
			 struct agent_fail *f)
{
	struct attest_state *s = &a->att;
	struct timespec ts;

	to_timespec(deadline, &ts);
	for (;;) {
		if (cert_usable(a, m) && (!force || s->generation != gen0)) {
			*b64 = strdup(s->cert_b64);
			return *b64 ? 0 : -ENOMEM;
		}
		/* an attempt finished while we waited, and failed: share it */
		if (s->generation != gen0 && !s->running && !s->last_ok) {
			*f = s->last_fail;
			return f->err ? f->err : -EACCES;
		}
		if (!s->running)
			return 1;
		if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) == ETIMEDOUT) {
			agent_fail_set(f, "attestation", "HgsUnreachable",
				       -ETIMEDOUT, "the attestation in progress did not finish before the deadline");
			return -ETIMEDOUT;
		}
	}
}

/* Under att.lock: a failed attempt; a still-valid certificate is kept. */
static void attempt_failed(struct agent *a, struct agent_fail *f)
{
	struct attest_state *s = &a->att;
	char safe[600];

	s->failures++;
	if (s->cert_b64 && s->info.not_after - time(NULL) <
	    (time_t)a->cfg.cert_min_remaining_s) {
		char why[sizeof(f->message)];

		snprintf(why, sizeof(why), "%s", f->message);
		snprintf(f->message, sizeof(f->message), "the health certificate has expired (or has under %u s left) and renewing it failed: %.400s",
			 a->cfg.cert_min_remaining_s, why);
	}
	s->last_fail = *f;
	/* keep a still-valid certificate; try again soon */
	if (s->renew_at > time(NULL) + RETRY_AFTER_FAIL_S || !s->cert_b64)
		s->renew_at = time(NULL) + RETRY_AFTER_FAIL_S;
	log_warn("attest_failed", "host=%s substatus=%s error=\"%s\"",
		 a->cfg.host_name, f->substatus,
		 log_safe(f->message, safe, sizeof(safe)));
}

/* Under att.lock: the new certificate (@fresh, taken) is the one in use. */
static void attempt_passed(struct agent *a, char *fresh,
			   const struct vms_health_cert_info *info)
{
	struct attest_state *s = &a->att;

	memset(&s->last_fail, 0, sizeof(s->last_fail));
	free(s->cert_b64);
	s->cert_b64 = fresh;
	s->info = *info;
	s->last_success = s->last_attempt;
	schedule_renewal(a);
	save_cert(a, fresh);
}

/*
 * HGS's KPS key named to the enclave before attesting (kps_key.c); the
 * module view read again if that changed its report. An enclave that
 * accepts another key is still attested: HGS refuses it (KpsKeyMismatch)
 * and records the refusal where its admin sees it.
 */
static int name_kps_key(struct agent *a, struct module_view *m, double deadline,
			struct agent_fail *f)
{
	int other, r;

	r = kps_key_name_first(a, deadline, &other, f);
	if (r)
		return r;
	if (other)
		log_err("kps_key", "msg=\"the enclave accepts key releases from another KPS key than this HGS's: someone named it first; HGS will refuse the attestation (KpsKeyMismatch) until vmshield.ko is reloaded\"");
	return read_module(m, f);
}

int attest_get_cert(struct agent *a, int force, double deadline, char **b64,
		    struct agent_fail *f)
{
	struct attest_state *s = &a->att;
	struct vms_health_cert_info info;
	struct module_view m;
	char *fresh = NULL;
	int r;

	*b64 = NULL;
	r = read_module(&m, f);
	if (r)
		return r;
	pthread_mutex_lock(&s->lock);
	r = wait_for_gate(a, &m, force, s->generation, deadline, b64, f);
	if (r <= 0) {
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	s->running = 1;
	pthread_mutex_unlock(&s->lock);

	memset(&info, 0, sizeof(info));
	r = name_kps_key(a, &m, deadline, f);
	if (!r)
		r = do_attest(a, &m, deadline, &fresh, &info, f);

	pthread_mutex_lock(&s->lock);
	s->running = 0;
	s->generation++;
	s->attempts++;
	s->last_attempt = time(NULL);
	s->last_ok = !r;
	if (r) {
		attempt_failed(a, f);
	} else {
		attempt_passed(a, fresh, &info);
		*b64 = strdup(fresh);
		if (!*b64)
			r = -ENOMEM;
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void *attest_renew_thread(void *arg)
{
	struct agent *a = arg;
	struct agent_fail f;
	int first = 1, r;
	char *b64;

	while (!agent_stopping(a)) {
		if (!first) {
			time_t at, now = time(NULL);

			pthread_mutex_lock(&a->att.lock);
			at = a->att.renew_at;
			pthread_mutex_unlock(&a->att.lock);
			if (at > now) {
				if (agent_sleep(a, at - now < 60 ? (double)(at - now) : 60))
					break;
				continue;
			}
		}
		/* at start a cached certificate will do; later, renew */
		memset(&f, 0, sizeof(f));
		r = attest_get_cert(a, !first, agent_now() + a->cfg.request_deadline_s,
				    &b64, &f);
		first = 0;
		if (r == 0) {
			free(b64);
		} else if (!strcmp(f.source, "module")) {
			log_err("module", "substatus=%s error=\"%s\"", f.substatus,
				f.message);
			pthread_mutex_lock(&a->att.lock);
			a->att.renew_at = time(NULL) + RETRY_AFTER_FAIL_S;
			pthread_mutex_unlock(&a->att.lock);
		}
	}
	return NULL;
}

json_t *attest_status(struct agent *a)
{
	struct attest_state *s = &a->att;
	struct module_view m;
	struct agent_fail f;
	time_t now = time(NULL);
	const char *state;
	json_t *o, *cert = json_null();
	int mod_ok = !read_module(&m, &f);

	pthread_mutex_lock(&s->lock);
	if (s->running)
		state = "attesting";
	else if (!s->cert_b64)
		state = s->attempts ? "failed" : "not-attested";
	else if (s->info.not_after <= now)
		state = "expired";
	else if (mod_ok && (memcmp(s->info.enclave_pk, m.pk, 32) ||
			    s->info.level != m.level || s->info.placement != m.placement))
		state = "stale";	/* the module changed since */
	else
		state = "valid";
	if (s->cert_b64) {
		char pkhex[65];

		vms_hex_encode(s->info.enclave_pk, 32, pkhex);
		cert = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s}",
				 "subject_cn", s->info.host,
				 "isolation_level", vms_isolation_name(s->info.level),
				 "placement", vms_placement_name(s->info.placement),
				 "platform", vms_platform_name(s->info.platform),
				 "attestation_mode", s->info.mode,
				 "not_before", (json_int_t)s->info.not_before,
				 "not_after", (json_int_t)s->info.not_after,
				 "seconds_left", (json_int_t)(s->info.not_after - now),
				 "renew_at", (json_int_t)s->renew_at,
				 "enclave_pk", pkhex, "binding", s->info.binding);
	}
	o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:b}", "state", state,
		      "certificate", cert ? cert : json_null(),
		      "attempts", (json_int_t)s->attempts,
		      "failures", (json_int_t)s->failures,
		      "last_attempt", (json_int_t)s->last_attempt,
		      "last_success", (json_int_t)s->last_success,
		      "last_ok", s->last_ok);
	if (s->attempts && !s->last_ok)
		json_object_set_new(o, "last_error", json_pack(
			"{s:s, s:s, s:s}", "source", s->last_fail.source,
			"substatus", s->last_fail.substatus,
			"message", s->last_fail.message));
	pthread_mutex_unlock(&s->lock);
	json_object_set_new(o, "module", mod_ok ?
		json_pack("{s:s, s:s}", "isolation_level",
			  vms_isolation_name(m.level), "report", m.report) :
		json_pack("{s:s}", "error", f.message));
	return o;
}
