// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_tpm_client.c - the host side of TPM-mode attestation: challenge,
 * credential activation, quote, evidence (vms_hgs_tpm_client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vms_b64.h"
#include "vms_cleanup.h"
#include "vms_cleanup_json.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_hgs_tpm_client.h"
#include "vms_tpm_eventlog.h"
#include "vms_ima_log.h"
#include "vms_tpm_quote.h"

/* b64 field of @o into a malloc'ed buffer of at most @max bytes */
static int field_b64(json_t *o, const char *name, size_t max, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, name));

	*out = NULL;
	if (!s)
		return -EBADMSG;
	return vms_b64_decode(s, strlen(s), max, out, len) ? -EBADMSG : 0;
}

static int pcr_mask_of(json_t *arr, uint32_t *mask)
{
	json_t *v;
	size_t i;

	*mask = 0;
	if (!json_is_array(arr) || !json_array_size(arr))
		return -EBADMSG;
	json_array_foreach(arr, i, v) {
		json_int_t n = json_integer_value(v);

		if (!json_is_integer(v) || n < 0 || n > VMS_HOST_TPM_MAX_PCR)
			return -EBADMSG;
		*mask |= 1u << n;
	}
	return 0;
}

static int json_set_b64(json_t *o, const char *name, const uint8_t *p, size_t len)
{
	char *s = vms_b64_encode(p, len);
	int r;

	if (!s)
		return -ENOMEM;
	r = json_object_set_new(o, name, json_string(s)) ? -ENOMEM : 0;
	free(s);
	return r;
}

/* One exchange: what it has gathered so far (the credential is wiped). */
struct tpm_exchange {
	struct vms_hgs_client *c;
	struct vms_host_tpm *t;
	const struct vms_tpm_attest_input *in;
	char *tpm_err;			/* 128 bytes: which TPM step failed */
	uint8_t *ek, *ak;		/* TPM2B_PUBLIC */
	size_t eklen, aklen;
	uint8_t name[34];		/* the AK's */
	size_t namelen;
	json_t *challenge;		/* HGS's answer to the challenge */
	const char *session;		/* in it */
	uint8_t *nonce, *id, *es;
	size_t nlen, idl, esl;
	uint32_t mask;			/* the PCRs to quote */
	uint8_t cred[64];		/* the activated credential */
	size_t credlen;
	uint8_t *attest, *sig, *pcrs;
	size_t alen, slen, plen;
	uint8_t *evlog, *ima;
	size_t evlen, imalen;
};

static void tpm_exchange_done(struct tpm_exchange *x)
{
	OPENSSL_cleanse(x->cred, sizeof(x->cred));
	json_decref(x->challenge);
	free(x->ek);
	free(x->ak);
	free(x->nonce);
	free(x->id);
	free(x->es);
	free(x->attest);
	free(x->sig);
	free(x->pcrs);
	free(x->evlog);
	free(x->ima);
}

/* The TPM's EK and AK public areas (and the AK's Name). */
static int read_identity(struct tpm_exchange *x)
{
	int r;

	r = vms_host_tpm_ek_public(x->t, &x->ek, &x->eklen);
	if (r) {
		snprintf(x->tpm_err, 128, "reading the EK: %s", vms_host_tpm_error(x->t));
		return r;
	}
	r = vms_host_tpm_ak_public(x->t, &x->ak, &x->aklen, x->name, &x->namelen);
	if (r)
		snprintf(x->tpm_err, 128, "reading the AK: %s", vms_host_tpm_error(x->t));
	return r;
}

/* 1. POST /v1/attest/tpm/challenge {host, ek_public, ak_public[, ek_certificate]} */
static int ask_challenge(struct tpm_exchange *x, long *http)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "host", x->in->host);
	const struct vms_tpm_attest_input *in = x->in;

	if (!req || json_set_b64(req, "ek_public", x->ek, x->eklen) ||
	    json_set_b64(req, "ak_public", x->ak, x->aklen) ||
	    (in->ek_cert && json_set_b64(req, "ek_certificate", in->ek_cert, in->ek_cert_len)))
		return -ENOMEM;
	return vms_hgs_call(x->c, "/v1/attest/tpm/challenge", req, http, &x->challenge);
}

/* The challenge: session, nonce, the credential made to the EK, the PCRs. */
static int parse_challenge(struct tpm_exchange *x)
{
	json_t *ch = x->challenge, *cred = json_object_get(ch, "credential");

	x->session = json_string_value(json_object_get(ch, "session"));
	if (!x->session ||
	    field_b64(ch, "nonce", 32, &x->nonce, &x->nlen) || x->nlen != 32 ||
	    field_b64(cred, "id_object", 512, &x->id, &x->idl) ||
	    field_b64(cred, "secret", 512, &x->es, &x->esl) ||
	    pcr_mask_of(json_object_get(ch, "pcrs"), &x->mask))
		return -EBADMSG;
	return 0;
}

/* 2. Activate: proves the AK lives in the TPM that holds the EK. */
static int activate(struct tpm_exchange *x)
{
	int r;

	x->credlen = sizeof(x->cred);
	r = vms_host_tpm_activate(x->t, x->id, x->idl, x->es, x->esl, x->cred, &x->credlen);
	if (r)
		snprintf(x->tpm_err, 128, "ActivateCredential: %s", vms_host_tpm_error(x->t));
	return r;
}

/*
 * 3. Quote the PCRs asked for, qualified by the nonce, the enclave key
 * and the report; HGS takes the TPMS_ATTEST itself, without its TPM2B size.
 */
static int quote(struct tpm_exchange *x)
{
	uint8_t qd[VMS_QUOTE_QD_LEN];
	int r;

	r = vms_tpm_qualifying_data(x->nonce, x->in->enclave_pk, x->in->report,
				    strlen(x->in->report), qd);
	if (r)
		return r;
	r = vms_host_tpm_quote(x->t, x->mask, qd, sizeof(qd), &x->attest, &x->alen,
			       &x->sig, &x->slen, &x->pcrs, &x->plen);
	if (r) {
		snprintf(x->tpm_err, 128, "Quote: %s", vms_host_tpm_error(x->t));
		return r;
	}
	if (x->alen < 2 || (size_t)(x->attest[0] << 8 | x->attest[1]) != x->alen - 2)
		return -EBADMSG;
	memmove(x->attest, x->attest + 2, x->alen - 2);
	x->alen -= 2;
	return 0;
}

static int read_log(struct tpm_exchange *x, const char *path, const char *dflt,
		    size_t max, uint8_t **out, size_t *len)
{
	int r;

	path = path ? path : dflt;
	r = vms_read_file(path, max, out, len);
	if (r)
		snprintf(x->tpm_err, 128, "cannot read %s: %s", path, strerror(-r));
	return r;
}

/* 4. The logs, read after the quote: they cover its PCRs. */
static int read_logs(struct tpm_exchange *x)
{
	int r;

	r = read_log(x, x->in->event_log_path, VMS_BIOS_LOG_PATH, VMS_EVLOG_MAX_BYTES,
		     &x->evlog, &x->evlen);
	if (r)
		return r;
	return read_log(x, x->in->ima_log_path, VMS_IMA_LOG_PATH, VMS_IMA_MAX_BYTES,
			&x->ima, &x->imalen);
}

/* "enclave_report": {body, sig}, when the caller has one for this nonce. */
static int add_enclave_report(struct tpm_exchange *x, json_t *req)
{
	_cleanup_free_ uint8_t *body = NULL, *sig = NULL;
	size_t blen = 0, slen = 0;
	json_t *o;
	int r;

	if (!x->in->enclave_report)
		return 0;
	r = x->in->enclave_report(x->in->enclave_report_arg, x->nonce, &body, &blen, &sig, &slen);
	if (r)
		return r;
	o = json_object();
	if (!o || json_object_set_new(req, "enclave_report", o) ||
	    json_set_b64(o, "body", body, blen) || json_set_b64(o, "sig", sig, slen))
		return -ENOMEM;
	return 0;
}

/* POST /v1/attest/tpm with the evidence; HGS's answer in *@resp. */
static int send_evidence(struct tpm_exchange *x, long *http, json_t **resp)
{
	_cleanup_json_ json_t *req = NULL;
	char pkhex[65];
	int r;

	vms_hex_encode(x->in->enclave_pk, 32, pkhex);
	req = json_pack("{s:s, s:s, s:s, s:s}", "session", x->session, "host", x->in->host,
			"enclave_pk", pkhex, "report", x->in->report);
	if (!req || json_set_b64(req, "nonce", x->nonce, x->nlen) ||
	    json_set_b64(req, "activated_credential", x->cred, x->credlen) ||
	    json_set_b64(req, "attest", x->attest, x->alen) ||
	    json_set_b64(req, "signature", x->sig, x->slen) ||
	    json_set_b64(req, "pcr_values", x->pcrs, x->plen) ||
	    json_set_b64(req, "event_log", x->evlog, x->evlen) ||
	    json_set_b64(req, "ima_log", x->ima, x->imalen))
		return -ENOMEM;
	r = add_enclave_report(x, req);
	if (r)
		return r;
	return vms_hgs_call(x->c, "/v1/attest/tpm", req, http, resp);
}

int vms_hgs_attest_tpm(struct vms_hgs_client *c, struct vms_host_tpm *t,
		       const struct vms_tpm_attest_input *in, long *http,
		       json_t **resp, char tpm_err[128])
{
	_cleanup_(tpm_exchange_done) struct tpm_exchange x = {
		.c = c, .t = t, .in = in, .tpm_err = tpm_err,
	};
	int r;

	*resp = NULL;
	tpm_err[0] = 0;
	r = read_identity(&x);
	if (r)
		return r;
	r = ask_challenge(&x, http);
	if (r)
		return r;
	if (strcmp(vms_hgs_substatus(x.challenge), "Passed")) {
		*resp = VMS_TAKE_PTR(x.challenge);	/* HGS refused: its answer */
		return 0;
	}
	r = parse_challenge(&x);
	if (r)
		return r;
	r = activate(&x);
	if (r)
		return r;
	r = quote(&x);
	if (r)
		return r;
	r = read_logs(&x);
	if (r)
		return r;
	return send_evidence(&x, http, resp);
}
