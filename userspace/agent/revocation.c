// SPDX-License-Identifier: GPL-2.0
/*
 * revocation.c - the host learns that HGS revoked it (issue 18 item 3).
 *
 * Every revocation_poll_s the agent shows HGS its current health
 * certificate (POST /v1/host/status, the primary URL then the fallbacks:
 * any node of a cluster answers the same). When HGS says the certificate
 * is no longer honored because of the host itself (HostDisabled,
 * HostNotRegistered, HealthCertificateRevoked by the cut-off,
 * HostKeyChanged), every key this agent loaded into the module is
 * revoked at once (the enclave wipes it; a VM still running keeps what
 * its worker holds in memory until it stops) and the key list is
 * emptied; the cached certificate is dropped so the next request
 * attests again, and is refused while the revocation stands.
 *
 * The honest limit: a compromised host can ignore this. The bound for
 * such a host is the release's lifetime (hgs-cluster.md §3); this is for
 * the honest majority, within revocation_poll_s plus the cluster's
 * change-feed interval. An unreachable HGS changes nothing here (the
 * keys expire with their releases).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vmshield.h"
#include "vms_hgs_client.h"

/* HGS's reasons that mean: this host is revoked. */
static const char *const revoked_reasons[] = {
	"HostDisabled", "HostNotRegistered", "HealthCertificateRevoked", "HostKeyChanged",
};

struct status_x {
	json_t *req;
	long http;
	json_t *answer;
};

static int ask(struct vms_hgs_client *c, void *arg, char *err, size_t errlen)
{
	struct status_x *x = arg;

	json_decref(x->answer);
	x->answer = NULL;
	return hgs_post(c, "/v1/host/status", x->req, &x->http, &x->answer, err, errlen);
}

/* Revoke and forget every key loaded; the number revoked. */
static size_t revoke_all(struct agent *a)
{
	size_t i, n = 0;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys; i++) {
		int r = vms_dev_key_revoke(a->keys[i].serial);

		if (r && r != -EKEYREVOKED && r != -ENOKEY && r != -EKEYEXPIRED)
			log_err("revoked", "vm=%s serial=%d error=\"%s\" msg=\"could not revoke the key\"",
				a->keys[i].vm_id, a->keys[i].serial, strerror(-r));
		else
			n++;
	}
	release_forget_all_locked(a);
	pthread_mutex_unlock(&a->keys_lock);
	return n;
}

/* Drop the cached certificate: the next request attests again. */
static void drop_cert(struct agent *a)
{
	pthread_mutex_lock(&a->att.lock);
	free(a->att.cert_b64);
	a->att.cert_b64 = NULL;
	a->att.renew_at = 0;
	pthread_mutex_unlock(&a->att.lock);
}

/* Is @sub a revocation of the host? */
static int is_revocation(const char *sub)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(revoked_reasons); i++)
		if (!strcmp(sub, revoked_reasons[i]))
			return 1;
	return 0;
}

/* One poll: 1 if the host was found revoked (and its keys revoked). */
int revocation_check(struct agent *a)
{
	struct status_x x = { 0 };
	char err[256] = "", *cert = NULL;
	const char *sub;
	int r, revoked = 0;

	pthread_mutex_lock(&a->att.lock);
	if (a->att.cert_b64)
		cert = strdup(a->att.cert_b64);
	pthread_mutex_unlock(&a->att.lock);
	if (!cert)
		return 0;	/* nothing to ask about: no attestation yet */
	x.req = json_pack("{s:s}", "health_certificate", cert);
	free(cert);
	if (!x.req)
		return 0;
	r = hgs_run(a, agent_now() + a->cfg.attempt_timeout_s * 2.0, ask, &x, err, sizeof(err));
	json_decref(x.req);
	if (r) {
		log_warn("revocation", "msg=\"HGS could not be asked whether this host is revoked; asking again later\" error=\"%s\"",
			 err);
		json_decref(x.answer);
		return 0;
	}
	sub = vms_hgs_substatus(x.answer);
	if (x.http == 403 && is_revocation(sub)) {
		size_t n = revoke_all(a);

		drop_cert(a);
		log_err("revoked", "reason=%s keys_revoked=%zu msg=\"HGS no longer honors this host: every VM key it loaded was revoked in the module\"",
			sub, n);
		revoked = 1;
	}
	json_decref(x.answer);
	return revoked;
}

void *revocation_thread(void *arg)
{
	struct agent *a = arg;

	if (!a->cfg.revocation_poll_s)
		return NULL;
	while (!agent_sleep(a, a->cfg.revocation_poll_s))
		revocation_check(a);
	return NULL;
}
