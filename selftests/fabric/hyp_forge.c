// SPDX-License-Identifier: GPL-2.0
/*
 * hyp_forge.c - host root forging host-key evidence in the hypervisor
 * placement (selftests/fabric/hypervisor/02-hyp-forged.sh).
 *
 * It does what hgs-agent does (a nonce for this host, the module's
 * isolation report, the enclave's report through the module, the host
 * key's signature) and then changes one thing, as a root user on the
 * guarded host could:
 *   honest        nothing (the control: HGS must pass it)
 *   other-signer  the report re-signed by a key root made (same body)
 *   unregistered  the body names root's own key as the platform, signed by it
 *   other-nonce   the enclave's report for a nonce root chose
 *   other-key     the host's evidence names an enclave key root made
 * and posts it to /v1/attest. Prints "substatus=NAME" (HGS's answer).
 * Exit 0 when HGS answered, 1 when the exchange could not be run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "vmshield.h"
#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_compiler.h"
#include "vms_ecdsa.h"
#include "vms_enclave_report.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_x509.h"

enum forgery { HONEST, OTHER_SIGNER, UNREGISTERED, OTHER_NONCE, OTHER_KEY };

static const char *const forgery_names[] = {
	[HONEST] = "honest", [OTHER_SIGNER] = "other-signer",
	[UNREGISTERED] = "unregistered", [OTHER_NONCE] = "other-nonce",
	[OTHER_KEY] = "other-key",
};

struct evidence {
	uint8_t nonce[32];
	uint8_t pk[32];
	char report[VMS_REPORT_MAX];
	uint8_t body[VMSHIELD_REPORT_BODY_MAX];
	size_t blen;
	uint8_t sig[VMSHIELD_REPORT_SIG_MAX];
	size_t slen;
};

static int fail(const char *what, int r)
{
	fprintf(stderr, "hyp_forge: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 1;
}

/* The module's report line and the enclave's report for @nonce_for_report. */
static int read_module(struct evidence *e, const uint8_t nonce_for_report[32])
{
	struct vms_isolation_report rep;
	struct vmshield_info info;
	int fd, r;

	fd = vms_dev_open();
	if (fd < 0)
		return fd;
	r = vms_dev_get_info(fd, &info);
	if (!r)
		r = vms_dev_enclave_report(fd, nonce_for_report, e->body, &e->blen,
					   e->sig, &e->slen);
	vms_dev_close(fd);
	if (r)
		return r;
	vms_report_from_info(&info, &rep);
	memcpy(e->pk, info.enclave_pk, 32);
	r = vms_report_format(&rep, e->report, sizeof(e->report));
	return r < 0 ? r : 0;
}

/* Sign the body again with a key root made; @rename: also name it the platform. */
static int resign(struct evidence *e, int rename)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t id[32];
	char hex[65], *at;
	size_t len = sizeof(e->sig);

	if (!k || !md)
		return -ENOMEM;
	if (rename) {
		at = memmem(e->body, e->blen, "platform_id=", 12);
		if (!at || vms_platform_id_of(k, id) || at + 12 + 64 > (char *)e->body + e->blen)
			return -EINVAL;
		vms_hex_encode(id, 32, hex);
		memcpy(at + 12, hex, 64);
	}
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, e->sig, &len, e->body, e->blen) != 1)
		return -EIO;
	e->slen = len;
	return vms_ecdsa_normalize(k, e->sig, &e->slen);
}

/* A nonce from HGS for @host: *@session (in *@resp) and @nonce. */
static int ask_nonce(struct vms_hgs_client *c, const char *host, json_t **resp,
		     const char **session, uint8_t nonce[32])
{
	_cleanup_(vms_freep) uint8_t *raw = NULL;
	const char *n64;
	json_t *req;
	long http;
	size_t len;
	int r;

	req = json_pack("{s:s}", "host", host);
	if (!req)
		return -ENOMEM;
	r = vms_hgs_call(c, "/v1/attest/nonce", req, &http, resp);
	json_decref(req);
	if (r)
		return r;
	*session = json_string_value(json_object_get(*resp, "session"));
	n64 = json_string_value(json_object_get(*resp, "nonce"));
	if (!*session || !n64 || vms_b64_decode(n64, strlen(n64), 32, &raw, &len) || len != 32)
		return -EBADMSG;
	memcpy(nonce, raw, 32);
	return 0;
}

static json_t *request_of(const char *host, const char *session, const struct evidence *e,
			  EVP_PKEY *host_key)
{
	_cleanup_(vms_freep) uint8_t *sig = NULL;
	_cleanup_(vms_freep) char *sig64 = NULL, *n64 = NULL, *b64 = NULL, *s64 = NULL;
	char pkhex[65];
	size_t siglen;

	if (vms_attest_sign(host_key, e->nonce, e->pk, e->report, strlen(e->report), &sig,
			    &siglen))
		return NULL;
	sig64 = vms_b64_encode(sig, siglen);
	n64 = vms_b64_encode(e->nonce, 32);
	b64 = vms_b64_encode(e->body, e->blen);
	s64 = vms_b64_encode(e->sig, e->slen);
	if (!sig64 || !n64 || !b64 || !s64)
		return NULL;
	vms_hex_encode(e->pk, 32, pkhex);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "session", session,
			 "nonce", n64, "host", host, "enclave_pk", pkhex, "report", e->report,
			 "signature", sig64, "enclave_report", "body", b64, "sig", s64);
}

/* Put @e's report line on another enclave key. */
static int other_key(struct evidence *e)
{
	struct vms_isolation_report rep;
	int r;

	r = vms_report_parse(e->report, strlen(e->report), &rep);
	if (r)
		return r;
	if (RAND_bytes(rep.enclave_pk, 32) != 1)
		return -EIO;
	memcpy(e->pk, rep.enclave_pk, 32);
	r = vms_report_format(&rep, e->report, sizeof(e->report));
	return r < 0 ? r : 0;
}

static int forge(struct evidence *e, enum forgery f)
{
	switch (f) {
	case OTHER_SIGNER:
		return resign(e, 0);
	case UNREGISTERED:
		return resign(e, 1);
	case OTHER_KEY:
		return other_key(e);
	default:
		return 0;
	}
}

static void print_usage(void)
{
	fprintf(stderr, "Usage: hyp_forge --url URL --ca CA.pem --host NAME --host-key KEY.pem --forge honest|other-signer|unregistered|other-nonce|other-key\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", 1, NULL, 'u' }, { "ca", 1, NULL, 'c' }, { "host", 1, NULL, 'h' },
		{ "host-key", 1, NULL, 'k' }, { "forge", 1, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	_cleanup_(vms_hgs_client_closep) struct vms_hgs_client *c = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *hk = NULL;
	const char *url = NULL, *ca = NULL, *host = NULL, *keyfile = NULL, *session;
	json_t *nresp = NULL, *req, *resp = NULL;
	struct evidence e = { 0 };
	uint8_t rnonce[32];
	int f = -1, o, r;
	size_t i;
	long http;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'f':
			for (i = 0; i < ARRAY_SIZE(forgery_names); i++)
				if (!strcmp(optarg, forgery_names[i]))
					f = (int)i;
			break;
		default:
			print_usage();
			return 2;
		}
	}
	if (!url || !ca || !host || !keyfile || f < 0) {
		print_usage();
		return 2;
	}
	r = vms_pkey_read_private(keyfile, NULL, &hk);
	if (r)
		return fail("reading the host key", r);
	r = vms_hgs_client_open(&c, url, ca, NULL);
	if (r)
		return fail("opening the HGS client", r);
	r = ask_nonce(c, host, &nresp, &session, e.nonce);
	if (r) {
		json_decref(nresp);
		return fail("asking for a nonce", r);
	}
	memcpy(rnonce, e.nonce, 32);
	if (f == OTHER_NONCE && RAND_bytes(rnonce, 32) != 1)
		r = -EIO;
	if (!r)
		r = read_module(&e, rnonce);
	if (!r)
		r = forge(&e, f);
	req = r ? NULL : request_of(host, session, &e, hk);
	if (!req) {
		json_decref(nresp);
		return fail("building the evidence", r ? r : -ENOMEM);
	}
	r = vms_hgs_call(c, "/v1/attest", req, &http, &resp);
	json_decref(req);
	json_decref(nresp);
	if (r)
		return fail(vms_hgs_client_error(c), r);
	printf("substatus=%s http=%ld placement=%s\n", vms_hgs_substatus(resp), http,
	       json_string_value(json_object_get(resp, "placement")) ?: "-");
	json_decref(resp);
	return 0;
}
