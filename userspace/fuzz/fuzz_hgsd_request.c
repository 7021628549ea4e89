// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_hgsd_request - libFuzzer harness: hgsd's public endpoints without
 * the network. A real hgsd state (keys made as `hgsd --init` makes them,
 * the store, host "h1" registered by a P-256 key) in a scratch directory
 * (removed at exit); each input is
 * one request: its first byte picks the endpoint, the rest is the body
 * as it would arrive, parsed as http.c parses it and handed to
 * routes_dispatch(). No key process runs, so nothing is ever signed or
 * released: what is fuzzed is every check before that (body shape, field
 * decoding, nonces, hosts, certificates, key protectors, TPM evidence).
 * Every answer must be a reason code with a detail that fits; a refusal
 * carries no fields. Seeds: corpus/fuzz_hgsd_request/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hgsd.h"
#include "keys.h"
#include "kps.h"
#include "nonce.h"
#include "ratelimit.h"
#include "request.h"
#include "routes.h"
#include "store.h"
#include "tpm_session.h"
#include "vms_cleanup_ssl.h"
#include "vms_x509.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hgsd hgsd;

static const char *const paths[] = {
	"/v1/attest/nonce", "/v1/attest", "/v1/attest/tpm/challenge",
	"/v1/attest/tpm", "/v1/kps/release", "/v1/metadata", "/v1/health",
};

static char dir[64] = "/tmp/vms-fuzz-hgsd.XXXXXX";

/* The scratch state goes with the process. */
static void remove_dir(void)
{
	char cmd[128];

	store_close(hgsd.st);
	hgsd.st = NULL;
	dir[strlen(dir) - 4] = 0;	/* the mkdtemp directory, without "/hgs" */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz_hgsd_request: could not remove %s\n", dir);
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_hgsd_request: %s\n", what);
	exit(1);
}

/* Host "h1", registered by a P-256 host key (the seeds name it). */
static void register_host(struct hgsd *h)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	char fpr[VMS_FPR_HEX_LEN], *pem = NULL;

	if (!k || vms_pkey_fingerprint(k, fpr) || vms_pkey_to_pem(k, &pem) ||
	    store_host_add(h->st, "h1", vms_pkey_type_name(k), pem, fpr, "fuzz"))
		die("registering h1");
	free(pem);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hgsd *h = &hgsd;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		die("mkdtemp");
	strcat(dir, "/hgs");
	atexit(remove_dir);
	config_defaults(&h->cfg, dir);
	h->cfg.log_requests = 0;
	if (keys_init(dir, &h->cfg, NULL))
		die("keys_init");
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->tpm_clock_lock, NULL);
	if (store_open(h->cfg.db_file, &h->st))
		die("store");
	register_host(h);
	if (keys_load_public(h) || state_reload(h) ||
	    nonce_table_new(h->cfg.max_nonces, h->cfg.nonce_ttl_s, &h->nonces) ||
	    tpm_sessions_new(h->cfg.max_nonces, h->cfg.nonce_ttl_s, &h->tpm_sessions) ||
	    nonce_table_share(h->nonces, h->st) ||
	    ratelimit_new(0, 1, &h->challenge_rate) || kps_init(h))
		die("start");
	tpm_sessions_share(h->tpm_sessions, h->st);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct answer a = ANSWER_INIT;
	struct request rq = { .method = "POST" };
	json_error_t err;

	if (size < 1)
		return 0;
	rq.url = paths[data[0] % ARRAY_SIZE(paths)];
	if (!strcmp(rq.url, "/v1/metadata") || !strcmp(rq.url, "/v1/health")) {
		rq.method = "GET";
	} else {
		rq.body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES,
				     &err);
		if (!rq.body || !json_is_object(rq.body)) {
			json_decref(rq.body);
			return 0;
		}
	}
	rq.src[15] = data[0];
	routes_dispatch(&hgsd, &rq, &a);
	if (!memchr(a.detail, 0, sizeof(a.detail)))
		abort();
	if (a.reason != HGS_PASSED && a.json)
		abort();	/* a refusal carries no fields */
	answer_release(&a);
	json_decref(rq.body);
	return 0;
}
