// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_exchange.c - TPM-mode attestation by hand for the tests
 * (tpm_exchange.h).
 */
#include "testutil.h"

#include <sys/stat.h>

#include <openssl/crypto.h>

#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_ima_log.h"
#include "vms_tpm_eventlog.h"
#include "vms_tpm_quote.h"
#include "vms_x509.h"
#include "hgsd_fixture.h"
#include "tpm_data.h"
#include "tpm_exchange.h"

int t_tpm_extend(unsigned int pcr, const uint8_t d[32])
{
	char hex[65];

	vms_hex_encode(d, 32, hex);
	return t_run("tpm2_pcrextend %u:sha256=%s", pcr, hex);
}

static int replay_boot_log(const char *bios)
{
	struct vms_tpm_eventlog log = { 0 };
	uint8_t *buf;
	size_t len, i;
	int r = 0;

	if (vms_read_file(bios, VMS_EVLOG_MAX_BYTES, &buf, &len))
		return -1;
	r = vms_tpm_eventlog_parse(buf, len, &log) ? -1 : 0;
	free(buf);
	for (i = 0; !r && i < log.n_events; i++)
		if (log.events[i].type != VMS_EV_NO_ACTION)
			r = t_tpm_extend(log.events[i].pcr, log.events[i].sha256) ? -1 : 0;
	vms_tpm_eventlog_free(&log);
	return r;
}

static int replay_ima_list(const char *imal)
{
	struct vms_ima_log ima = { 0 };
	uint8_t *buf;
	size_t len, i;
	int r;

	if (vms_read_file(imal, VMS_IMA_MAX_BYTES, &buf, &len))
		return -1;
	r = vms_ima_log_parse(buf, len, &ima) ? -1 : 0;
	free(buf);
	for (i = 0; !r && i < ima.n; i++)
		r = t_tpm_extend(VMS_IMA_PCR, ima.e[i].template_sha256) ? -1 : 0;
	vms_ima_log_free(&ima);
	return r;
}

int t_tpm_replay_logs(const char *bios, const char *imal)
{
	return replay_boot_log(bios) || replay_ima_list(imal) ? -1 : 0;
}

static uint8_t *b64_field(json_t *o, const char *name, size_t max, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, name));
	uint8_t *p;

	assert_non_null(s);
	assert_int_equal(vms_b64_decode(s, strlen(s), max, &p, len), 0);
	return p;
}

static char *file_b64(const char *path, size_t max)
{
	uint8_t *buf;
	size_t len;
	char *b;

	assert_int_equal(vms_read_file(path, max, &buf, &len), 0);
	b = vms_b64_encode(buf, len);
	free(buf);
	return b;
}

json_t *t_tpm_answer(struct vms_hgs_client *challenge_at, struct vms_host_tpm *tpm,
		     const char *host, const uint8_t pk[32], const char *report,
		     const char *bios, const char *imal)
{
	uint8_t *ek, *ak, *id, *es, *nonce, *att, *sig, *pcrs, name[34], cred[64], qd[32];
	size_t ekl, akl, nl, idl, esl, nnl, al, sl, pl, credl = sizeof(cred), i;
	json_t *ch, *crd, *v, *req;
	uint32_t mask = 0;
	char pkhex[65], *b[7];

	assert_int_equal(vms_host_tpm_ek_public(tpm, &ek, &ekl), 0);
	assert_int_equal(vms_host_tpm_ak_public(tpm, &ak, &akl, name, &nl), 0);
	b[0] = vms_b64_encode(ek, ekl);
	b[1] = vms_b64_encode(ak, akl);
	ch = t_hgs_call(challenge_at, "/v1/attest/tpm/challenge",
			json_pack("{s:s, s:s, s:s}", "host", host, "ek_public", b[0],
				  "ak_public", b[1]), 200, "Passed");
	free(b[0]);
	free(b[1]);
	free(ek);
	free(ak);
	nonce = b64_field(ch, "nonce", 32, &nnl);
	crd = json_object_get(ch, "credential");
	id = b64_field(crd, "id_object", 512, &idl);
	es = b64_field(crd, "secret", 512, &esl);
	json_array_foreach(json_object_get(ch, "pcrs"), i, v)
		mask |= 1u << json_integer_value(v);
	/* only this TPM can open the credential HGS made to its EK */
	assert_int_equal(vms_host_tpm_activate(tpm, id, idl, es, esl, cred, &credl), 0);
	free(id);
	free(es);
	assert_int_equal(vms_tpm_qualifying_data(nonce, pk, report, strlen(report), qd), 0);
	assert_int_equal(vms_host_tpm_quote(tpm, mask, qd, 32, &att, &al, &sig, &sl, &pcrs, &pl),
			 0);
	assert_true(al > 2 && (size_t)(att[0] << 8 | att[1]) == al - 2);	/* a TPM2B */
	vms_hex_encode(pk, 32, pkhex);
	b[0] = vms_b64_encode(nonce, nnl);
	b[1] = vms_b64_encode(cred, credl);
	b[2] = vms_b64_encode(att + 2, al - 2);
	b[3] = vms_b64_encode(sig, sl);
	b[4] = vms_b64_encode(pcrs, pl);
	b[5] = file_b64(bios, VMS_EVLOG_MAX_BYTES);
	b[6] = file_b64(imal, VMS_IMA_MAX_BYTES);
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"session", json_string_value(json_object_get(ch, "session")),
			"host", host, "enclave_pk", pkhex, "report", report,
			"nonce", b[0], "activated_credential", b[1], "attest", b[2],
			"signature", b[3], "pcr_values", b[4], "event_log", b[5],
			"ima_log", b[6]);
	assert_non_null(req);
	for (i = 0; i < 7; i++)
		free(b[i]);
	OPENSSL_cleanse(cred, sizeof(cred));
	json_decref(ch);
	free(nonce);
	free(att);
	free(sig);
	free(pcrs);
	return req;
}

int t_tpm_use_captured_signer(const char *hgsdir)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	_cleanup_(X509_freep) X509 *c = NULL;
	char path[4200], pw[65];
	uint8_t *raw;
	size_t len;
	int r;

	t_tpm_path("hgs_signer.key", path, sizeof(path));
	if (vms_pkey_read_private(path, NULL, &k))
		return -1;
	c = vms_cert_self_signed_san(k, "vmshield HGS attestation signer", 3650, VMS_CERT_CA,
				     NULL);
	snprintf(path, sizeof(path), "%.4000s/keys/master.key", hgsdir);
	if (!c || vms_read_file(path, 64, &raw, &len))
		return -1;
	if (len != 64) {
		OPENSSL_clear_free(raw, len);
		return -1;
	}
	memcpy(pw, raw, 64);
	pw[64] = 0;
	OPENSSL_clear_free(raw, len);
	snprintf(path, sizeof(path), "%.4000s/keys/signer.key", hgsdir);
	r = vms_pkey_write_private(path, k, pw, 0);
	OPENSSL_cleanse(pw, sizeof(pw));
	snprintf(path, sizeof(path), "%.4000s/signer.pem", hgsdir);
	if (r || vms_cert_write(path, c) || chmod(path, 0644))
		return -1;
	return 0;
}
