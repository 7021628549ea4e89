// SPDX-License-Identifier: GPL-2.0
/*
 * routes.c - which path goes to which handler. The public routes are a
 * table (method, path, handler, whether the admin socket may use it,
 * whether its body may carry the TPM logs); everything under /v1/admin/
 * goes to the admin API (admin.c has its own table), only once http.c
 * has authorized the peer. The anonymous requests that make HGS work for
 * a stranger (a nonce, a TPM challenge) are rate limited per source
 * address (ratelimit.c): Busy past the limit (over HTTPS, http.c's
 * admission takes the token first: such a request waits for it). Unknown paths are UnknownEndpoint; a known
 * path with another method is MethodNotAllowed.
 */
#include <errno.h>
#include <string.h>

#include "admin.h"
#include "attest.h"
#include "hgsd.h"
#include "host_status.h"
#include "kps.h"
#include "metrics.h"
#include "ratelimit.h"
#include "store.h"
#include "routes.h"

/*
 * Up, the store answers and takes writes, and the key process runs and
 * answers: else 503 Busy with what fails (metrics.c probes them; the
 * answers that need an audit record or a key are refused meanwhile).
 */
static void handle_health(struct hgsd *h, struct request *rq, struct answer *a)
{
	struct health hs;
	char why[HGSD_DETAIL_MAX];

	(void)rq;
	health_probe(h, &hs);
	if (!hs.store_err && !hs.keyproc_err) {
		answer_ok(a, json_pack("{s:s, s:s}", "store", "ok", "key_process", "ok"));
		return;
	}
	health_why(&hs, why, sizeof(why));
	answer_fail(a, HGS_R_BUSY, why);
}

struct route {
	const char *method, *path;
	request_handler_fn fn;
	int public_only;	/* not on the admin socket */
	int tpm_body;		/* max_tpm_body_bytes: the event log and IMA list */
	int rate_limited;	/* anonymous work: challenge_rate_per_source */
};

static const struct route routes[] = {
	{ "POST", "/v1/attest/nonce", handle_nonce, 1, 0, 1 },
	{ "POST", "/v1/attest", handle_attest, 1, 0, 0 },
	{ "POST", "/v1/attest/tpm/challenge", handle_tpm_challenge, 1, 0, 1 },
	{ "POST", "/v1/attest/tpm", handle_tpm_attest, 1, 1, 0 },
	{ "POST", "/v1/kps/release", handle_release, 1, 0, 0 },
	{ "GET", "/v1/metadata", handle_metadata, 0, 0, 0 },
	{ "GET", "/v1/health", handle_health, 0, 0, 0 },
	{ "POST", "/v1/host/status", handle_host_status, 1, 0, 0 },
	{ "POST", "/v1/kps/confirm", handle_confirm, 1, 0, 0 },
	{ "POST", "/v1/kps/migrate", handle_migrate, 1, 0, 0 },
	{ "POST", "/v1/kps/migrated", handle_migrated, 1, 0, 0 },
};

size_t routes_count(void)
{
	return ARRAY_SIZE(routes);
}

const char *routes_path(size_t i)
{
	return i < ARRAY_SIZE(routes) ? routes[i].path : NULL;
}

int routes_is_admin(const char *url)
{
	return !strncmp(url, ADMIN_PREFIX, strlen(ADMIN_PREFIX));
}

size_t routes_body_limit(const struct hgsd *h, const char *url, int admin_listener)
{
	size_t i;

	/* root's (or admin_uids') socket: 100,000-line digest lists fit */
	if (admin_listener)
		return h->cfg.max_admin_body_bytes;
	for (i = 0; i < ARRAY_SIZE(routes); i++)
		if (routes[i].tpm_body && !strcmp(url, routes[i].path))
			return h->cfg.max_tpm_body_bytes;
	return h->cfg.max_body_bytes;
}

int routes_rate_limited(const char *url, const char *method)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(routes); i++)
		if (routes[i].rate_limited && !strcmp(url, routes[i].path) &&
		    !strcmp(method, routes[i].method))
			return 1;
	return 0;
}

void routes_dispatch(struct hgsd *h, struct request *rq, struct answer *a)
{
	int path_known = 0;
	size_t i;

	if (routes_is_admin(rq->url)) {
		if (rq->admin_ok)
			handle_admin(h, rq, a);
		else
			answer_fail(a, HGS_R_ADMIN_NOT_AUTHORIZED, NULL);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		if (strcmp(rq->url, routes[i].path))
			continue;
		path_known = 1;
		if (strcmp(rq->method, routes[i].method))
			continue;
		if (rq->admin && routes[i].public_only)
			break;
		if (routes[i].rate_limited && !rq->rate_checked &&
		    ratelimit_take(h->challenge_rate, rq->src)) {
			answer_fail(a, HGS_R_BUSY,
				    "too many challenges from this address: retry in a second");
			return;
		}
		routes[i].fn(h, rq, a);
		return;
	}
	answer_fail(a, path_known ? HGS_R_METHOD_NOT_ALLOWED : HGS_R_UNKNOWN_ENDPOINT, NULL);
}
