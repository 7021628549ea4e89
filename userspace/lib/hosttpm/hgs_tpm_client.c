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

int vms_hgs_attest_tpm(struct vms_hgs_client *c, struct vms_host_tpm *t,
		       const struct vms_tpm_attest_input *in, long *http,
		       json_t **resp, char tpm_err[128])
{
	_cleanup_(vms_freep) uint8_t *ek = NULL, *ak = NULL, *id = NULL, *es = NULL,
		*nonce = NULL, *attest = NULL, *sig = NULL, *pcrs = NULL, *evlog = NULL,
		*ima = NULL;
	size_t eklen, aklen, namelen, idl, esl, nlen, alen, slen, plen, evlen, imalen;
	uint8_t name[34], cred[64], qd[VMS_QUOTE_QD_LEN];
	size_t credlen = sizeof(cred);
	const char *session, *path;
	json_t *req = NULL, *ch = NULL;
	char pkhex[65];
	uint32_t mask;
	int r;

	*resp = NULL;
	tpm_err[0] = 0;
	r = vms_host_tpm_ek_public(t, &ek, &eklen);
	if (!r)
		r = vms_host_tpm_ak_public(t, &ak, &aklen, name, &namelen);
	if (r) {
		snprintf(tpm_err, 128, "reading the EK and AK: %s", vms_host_tpm_error(t));
		return r;
	}

	/* 1. challenge */
	req = json_pack("{s:s}", "host", in->host);
	if (!req || json_set_b64(req, "ek_public", ek, eklen) ||
	    json_set_b64(req, "ak_public", ak, aklen) ||
	    (in->ek_cert && json_set_b64(req, "ek_certificate", in->ek_cert, in->ek_cert_len))) {
		json_decref(req);
		return -ENOMEM;
	}
	r = vms_hgs_call(c, "/v1/attest/tpm/challenge", req, http, &ch);
	json_decref(req);
	if (r)
		return r;
	if (strcmp(vms_hgs_substatus(ch), "Passed")) {
		*resp = ch;
		return 0;
	}
	session = json_string_value(json_object_get(ch, "session"));
	if (!session ||
	    field_b64(ch, "nonce", 32, &nonce, &nlen) || nlen != 32 ||
	    field_b64(json_object_get(ch, "credential"), "id_object", 512, &id, &idl) ||
	    field_b64(json_object_get(ch, "credential"), "secret", 512, &es, &esl) ||
	    pcr_mask_of(json_object_get(ch, "pcrs"), &mask)) {
		json_decref(ch);
		return -EBADMSG;
	}

	/* 2. activate: proves the AK lives in the TPM that holds the EK */
	r = vms_host_tpm_activate(t, id, idl, es, esl, cred, &credlen);
	if (r) {
		snprintf(tpm_err, 128, "ActivateCredential: %s", vms_host_tpm_error(t));
		json_decref(ch);
		return r;
	}

	/* 3. quote, then 4. the logs (read after it: they cover its PCRs) */
	r = vms_tpm_qualifying_data(nonce, in->enclave_pk, in->report, strlen(in->report), qd);
	if (!r) {
		r = vms_host_tpm_quote(t, mask, qd, sizeof(qd), &attest, &alen, &sig, &slen,
				       &pcrs, &plen);
		if (r)
			snprintf(tpm_err, 128, "Quote: %s", vms_host_tpm_error(t));
	}
	/* HGS takes the TPMS_ATTEST itself: drop the TPM2B size */
	if (!r && (alen < 2 || (size_t)(attest[0] << 8 | attest[1]) != alen - 2))
		r = -EBADMSG;
	if (!r) {
		memmove(attest, attest + 2, alen - 2);
		alen -= 2;
	}
	if (!r) {
		path = in->event_log_path ? in->event_log_path : VMS_BIOS_LOG_PATH;
		r = vms_read_file(path, VMS_EVLOG_MAX_BYTES, &evlog, &evlen);
		if (!r) {
			path = in->ima_log_path ? in->ima_log_path : VMS_IMA_LOG_PATH;
			r = vms_read_file(path, VMS_IMA_MAX_BYTES, &ima, &imalen);
		}
		if (r)
			snprintf(tpm_err, 128, "cannot read %s: %s", path, strerror(-r));
	}
	if (r) {
		OPENSSL_cleanse(cred, sizeof(cred));
		json_decref(ch);
		return r;
	}
	vms_hex_encode(in->enclave_pk, 32, pkhex);
	req = json_pack("{s:s, s:s, s:s, s:s}", "session", session, "host", in->host,
			"enclave_pk", pkhex, "report", in->report);
	json_decref(ch);	/* @session pointed into it */
	if (!req || json_set_b64(req, "nonce", nonce, nlen) ||
	    json_set_b64(req, "activated_credential", cred, credlen) ||
	    json_set_b64(req, "attest", attest, alen) ||
	    json_set_b64(req, "signature", sig, slen) ||
	    json_set_b64(req, "pcr_values", pcrs, plen) ||
	    json_set_b64(req, "event_log", evlog, evlen) ||
	    json_set_b64(req, "ima_log", ima, imalen)) {
		OPENSSL_cleanse(cred, sizeof(cred));
		json_decref(req);
		return -ENOMEM;
	}
	OPENSSL_cleanse(cred, sizeof(cred));
	r = vms_hgs_call(c, "/v1/attest/tpm", req, http, resp);
	json_decref(req);
	return r;
}
