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
 * The same poll names the keys the agent holds (vm_id, key_id and the
 * SHA-256 of the guardians its key protector is enveloped to, at most
 * HOLD_BATCH per call) and HGS answers which of them it would no longer
 * release (a disabled guardian, a superseded roll: host_status.c). The
 * agent revokes exactly those keys in the module at once, forgets them,
 * logs event=key_revoked with HGS's reason and counts it in status
 * ("revocation").
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
#include <time.h>

#include "agent.h"
#include "vmshield.h"
#include "vms_cleanup_ssl.h"
#include "vms_hgs_client.h"
#include "vms_kp.h"
#include "vms_x509.h"

/*
 * Keys named per call: HGS takes at most 256, and a body of at most
 * max_body_bytes (64 KiB by default) with the certificate (a few KiB):
 * at most 128 keys and about 40 KB of them per call.
 */
#define HOLD_BATCH	128
#define HOLD_BATCH_BYTES	40000
/* A KP with more recipients is named without them (HGS's cap is 8). */
#define HOLD_GUARDIANS	8

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

/* What status shows of the polls (status.c reads them). */
static unsigned long polls, polls_refused, host_revocations, revoked_guardian,
	revoked_superseded, revoked_other;

json_t *revocation_status(void)
{
	return json_pack("{s:I, s:I, s:I, s:{s:I, s:I, s:I}}",
		"polls", (json_int_t)__atomic_load_n(&polls, __ATOMIC_RELAXED),
		"calls_refused", (json_int_t)__atomic_load_n(&polls_refused, __ATOMIC_RELAXED),
		"host_revoked", (json_int_t)__atomic_load_n(&host_revocations, __ATOMIC_RELAXED),
		"keys_revoked",
		"KeyProtectorGuardianDisabled",
		(json_int_t)__atomic_load_n(&revoked_guardian, __ATOMIC_RELAXED),
		"KeyProtectorSuperseded",
		(json_int_t)__atomic_load_n(&revoked_superseded, __ATOMIC_RELAXED),
		"other", (json_int_t)__atomic_load_n(&revoked_other, __ATOMIC_RELAXED));
}

/* One key as HGS is told of it: {vm_id, key_id, guardians}. */
static json_t *held_json(const struct loaded_key *k)
{
	_cleanup_(vms_x509_stack_freep) STACK_OF(X509) *rc = NULL;
	json_t *o = json_pack("{s:s, s:s}", "vm_id", k->vm_id, "key_id", k->key_id);
	json_t *gs;
	int j;

	if (!o || !k->kp || vms_kp_recipients(k->kp, k->kp_len, &rc) ||
	    sk_X509_num(rc) > HOLD_GUARDIANS)
		return o;	/* without guardians: HGS says nothing of them */
	gs = json_array();
	for (j = 0; gs && j < sk_X509_num(rc); j++) {
		char fpr[VMS_FPR_HEX_LEN];

		if (vms_cert_fingerprint(sk_X509_value(rc, j), fpr) ||
		    json_array_append_new(gs, json_string(fpr))) {
			json_decref(gs);
			return o;
		}
	}
	if (gs)
		json_object_set_new(o, "guardians", gs);
	return o;
}

/* Append @e (taken) to the current batch, or to a new one when it is full. */
static int batch_add(json_t *batches, json_t **cur, size_t *bytes, json_t *e)
{
	/* its size in the body: ids, fingerprints, quotes and names */
	size_t sz = 120 + 70 * json_array_size(json_object_get(e, "guardians"));

	if (!e)
		return -ENOMEM;
	if (!*cur || json_array_size(*cur) >= HOLD_BATCH || *bytes + sz > HOLD_BATCH_BYTES) {
		*cur = json_array();
		*bytes = 0;
		if (json_array_append_new(batches, *cur)) {
			json_decref(e);
			return -ENOMEM;
		}
	}
	*bytes += sz;
	return json_array_append_new(*cur, e) ? -ENOMEM : 0;
}

/*
 * The keys held now, one entry per (VM, key id) (a renewal keeps the key
 * id), as HGS's "keys" lists of at most HOLD_BATCH each.
 */
static json_t *held_batches(struct agent *a)
{
	json_t *batches = json_array(), *cur = NULL;
	time_t now = time(NULL);
	size_t i, j, bytes = 0;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; batches && i < a->n_keys; i++) {
		const struct loaded_key *k = &a->keys[i];

		/* HGS refuses a malformed id: such a key is not named at all */
		if (k->expires <= now || strlen(k->vm_id) != 36 || strlen(k->key_id) != 32 ||
		    strspn(k->key_id, "0123456789abcdef") != 32)
			continue;
		for (j = 0; j < i; j++)
			if (a->keys[j].expires > now && !strcmp(a->keys[j].vm_id, k->vm_id) &&
			    !strcmp(a->keys[j].key_id, k->key_id))
				break;
		if (j < i)
			continue;
		if (batch_add(batches, &cur, &bytes, held_json(k))) {
			json_decref(batches);
			batches = NULL;
		}
	}
	pthread_mutex_unlock(&a->keys_lock);
	return batches;
}

/*
 * HGS will not release (@vm, @kid) again (@reason): revoke every key this
 * agent holds of it in the module and forget them. The number revoked.
 */
static size_t revoke_key(struct agent *a, const char *vm, const char *kid, const char *reason)
{
	size_t i = 0, n = 0;

	pthread_mutex_lock(&a->keys_lock);
	while (i < a->n_keys) {
		struct loaded_key *k = &a->keys[i];
		int r;

		if (strcmp(k->vm_id, vm) || strcmp(k->key_id, kid)) {
			i++;
			continue;
		}
		r = vms_dev_key_revoke(k->serial);
		if (r && r != -EKEYREVOKED && r != -ENOKEY && r != -EKEYEXPIRED) {
			log_err("key_revoked", "vm=%s key_id=%s serial=%d reason=%s error=\"%s\" msg=\"could not revoke the key\"",
				vm, kid, k->serial, reason, strerror(-r));
			k->superseded = 1;	/* never renewed: HGS would refuse */
			i++;
			continue;
		}
		log_err("key_revoked", "vm=%s key_id=%s serial=%d uid=%u reason=%s msg=\"HGS no longer releases this key: revoked in the module\"",
			vm, kid, k->serial, (unsigned int)k->uid, reason);
		free(k->kp);
		memmove(k, k + 1, (a->n_keys - i - 1) * sizeof(*k));
		a->n_keys--;
		n++;
	}
	pthread_mutex_unlock(&a->keys_lock);
	return n;
}

/* Act on HGS's "not_releasable" list; the number of keys revoked. */
static size_t revoke_listed(struct agent *a, json_t *answer)
{
	json_t *e;
	size_t i, total = 0;

	json_array_foreach(json_object_get(answer, "not_releasable"), i, e) {
		const char *vm = json_string_value(json_object_get(e, "vm_id"));
		const char *kid = json_string_value(json_object_get(e, "key_id"));
		const char *why = json_string_value(json_object_get(e, "reason"));
		unsigned long *ctr;
		char safe[80];
		size_t n;

		if (!vm || !kid || !why || strlen(vm) != 36 || strlen(kid) != 32)
			continue;	/* not one of ours: nothing matches it */
		n = revoke_key(a, vm, kid, log_safe(why, safe, sizeof(safe)));
		ctr = !strcmp(why, "KeyProtectorGuardianDisabled") ? &revoked_guardian :
		      !strcmp(why, "KeyProtectorSuperseded") ? &revoked_superseded : &revoked_other;
		__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
		total += n;
	}
	return total;
}

/* One poll: 1 if the host was found revoked (and its keys revoked). */
int revocation_check(struct agent *a)
{
	struct status_x x = { 0 };
	char err[256] = "", safe[80], *cert = NULL;
	json_t *batches;
	const char *sub;
	size_t b, nb, n;
	int r, revoked = 0;

	pthread_mutex_lock(&a->att.lock);
	if (a->att.cert_b64)
		cert = strdup(a->att.cert_b64);
	pthread_mutex_unlock(&a->att.lock);
	if (!cert)
		return 0;	/* nothing to ask about: no attestation yet */
	__atomic_fetch_add(&polls, 1, __ATOMIC_RELAXED);
	batches = held_batches(a);
	nb = batches ? json_array_size(batches) : 0;
	/* one call without keys when none is held; else one per batch */
	for (b = 0; b == 0 || b < nb; b++) {
		x.req = json_pack("{s:s}", "health_certificate", cert);
		if (x.req && b < nb)
			json_object_set(x.req, "keys", json_array_get(batches, b));
		if (!x.req)
			break;
		r = hgs_run(a, agent_now() + a->cfg.attempt_timeout_s * 2.0, ask, &x, err,
			    sizeof(err));
		json_decref(x.req);
		if (r) {
			log_warn("revocation", "msg=\"HGS could not be asked whether this host is revoked; asking again later\" error=\"%s\"",
				 err);
			break;
		}
		sub = vms_hgs_substatus(x.answer);
		if (x.http == 403 && is_revocation(sub)) {
			n = revoke_all(a);
			drop_cert(a);
			__atomic_fetch_add(&host_revocations, 1, __ATOMIC_RELAXED);
			log_err("revoked", "reason=%s keys_revoked=%zu msg=\"HGS no longer honors this host: every VM key it loaded was revoked in the module\"",
				sub, n);
			revoked = 1;
			break;
		}
		if (x.http == 200) {
			revoke_listed(a, x.answer);
		} else {
			__atomic_fetch_add(&polls_refused, 1, __ATOMIC_RELAXED);
			log_warn("revocation", "http=%ld substatus=%s msg=\"HGS refused the status poll; asking again later\"",
				 x.http, log_safe(sub, safe, sizeof(safe)));
		}
		json_decref(x.answer);
		x.answer = NULL;
	}
	json_decref(x.answer);
	json_decref(batches);
	free(cert);
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
