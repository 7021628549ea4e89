// SPDX-License-Identifier: GPL-2.0
/*
 * host_status.c - POST /v1/host/status {health_certificate, keys?}:
 * whether HGS still honors the certificate, by the checks a key release
 * makes (its signature and validity, the revocation cut-off, the host
 * registered, enabled and holding the key or EK the certificate names),
 * without releasing anything; and, for the keys the host says it holds,
 * which of them HGS would no longer release. An agent polls it
 * (agent/revocation.c): told its host is revoked, it revokes every key
 * in the module at once; told some keys are no longer releasable, it
 * revokes exactly those. It needs no secret: the certificate is one the
 * host was given; it answers only about that certificate's host. Any
 * node answers the same (the snapshot follows the change feed; the
 * guardians and the rolls are read from the store).
 *
 * Each key is named by the host: {vm_id, key_id, guardians}, guardians
 * being the SHA-256 of the encryption certificates its key protector is
 * enveloped to (the KP the agent holds for renewals). A key is no longer
 * releasable when
 *   - none of those is an enabled guardian of this HGS and one is a
 *     disabled one (KeyProtectorGuardianDisabled: a release of that KP
 *     would be refused so), or
 *   - HGS rolled that VM's key to this host at a version below the VM's
 *     acknowledged one (KeyProtectorSuperseded): only rolls released to
 *     the asking host are read, so a host learns nothing here of a VM
 *     HGS did not roll for it.
 * Anything else (a VM or key id HGS has no roll of for this host, a
 * guardian HGS does not know) is not named: the answer then says what a
 * release would say about the guardians the host itself named, and
 * nothing about other hosts' keys (Documentation/hgs-cluster.md §3b).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hgsd.h"
#include "host_status.h"
#include "log.h"
#include "state.h"
#include "store.h"
#include "store_host_status.h"
#include "vms_cleanup.h"
#include "vms_cleanup_json.h"
#include "vms_cleanup_ssl.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_cert.h"
#include "vms_x509.h"

/* The most keys one request names; the agent sends more in several. */
#define HS_MAX_KEYS		STORE_HOST_STATUS_MAX_VMS
/* The most guardians one key protector names (owner and HGS's). */
#define HS_MAX_GUARDIANS	8

struct held {
	char vm[VMS_UUID_STR_LEN];
	char kid[33];
	char g[HS_MAX_GUARDIANS][VMS_FPR_HEX_LEN];
	unsigned int n_g;
	enum vms_hgs_reason why;	/* HGS_PASSED: nothing known against it */
};

static enum vms_hgs_reason honored(struct hgsd *h, const uint8_t *der, size_t len,
				   struct vms_health_cert_info *info)
{
	_cleanup_(X509_freep) X509 *c = NULL;
	struct host_entry host;
	struct policy pol;
	int r;

	if (vms_cert_from_der(der, len, &c))
		return HGS_R_CERT_MALFORMED;
	r = vms_health_cert_verify(c, h->signer_cert, time(NULL));
	if (r == -EKEYEXPIRED)
		return HGS_R_CERT_EXPIRED;
	if (r)
		return HGS_R_CERT_UNTRUSTED_SIGNER;
	if (vms_health_cert_parse(c, info))
		return HGS_R_CERT_MALFORMED;
	state_policy(h, &pol);
	if (pol.revocation_cutoff && info->issued < pol.revocation_cutoff)
		return HGS_R_CERT_REVOKED;
	if (state_host(h, info->host, &host))
		return HGS_R_HOST_NOT_REGISTERED;
	r = host.enabled ? (strcmp(!strcmp(info->mode, "tpm") ? host.ek_fpr : host.fpr,
				   info->host_key_fpr) ? 2 : 0) : 1;
	host_entry_release(&host);
	return r == 1 ? HGS_R_HOST_DISABLED : r == 2 ? HGS_R_HOST_KEY_CHANGED : HGS_PASSED;
}

/* @s: exactly @n bytes of hex, rewritten lower case into @out. */
static int hex_field(const char *s, size_t n, char *out)
{
	uint8_t raw[32];

	if (!s || strlen(s) != 2 * n || n > sizeof(raw) || vms_hex_decode_exact(s, raw, n))
		return -EINVAL;
	vms_hex_encode(raw, n, out);
	return 0;
}

static int parse_key(json_t *o, size_t i, struct held *k, struct answer *a)
{
	json_t *gs = json_object_get(o, "guardians"), *v;
	const char *field, *vm;
	uint8_t id[16];
	size_t j;

	if (!json_is_object(o)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu] must be an object", i);
		return -EINVAL;
	}
	json_object_foreach(o, field, v)
		if (strcmp(field, "vm_id") && strcmp(field, "key_id") && strcmp(field, "guardians")) {
			answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu]: unknown field (only vm_id, key_id, guardians)",
				     i);
			return -EINVAL;
		}
	vm = json_string_value(json_object_get(o, "vm_id"));
	if (!vm || strlen(vm) != 36 || vms_uuid_parse(vm, id)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu].vm_id must be a UUID", i);
		return -EINVAL;
	}
	vms_uuid_format(id, k->vm);
	if (hex_field(json_string_value(json_object_get(o, "key_id")), 16, k->kid)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu].key_id must be 32 hex digits", i);
		return -EINVAL;
	}
	if (gs && (!json_is_array(gs) || json_array_size(gs) > HS_MAX_GUARDIANS)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu].guardians must be an array of at most %d SHA-256 fingerprints",
			     i, HS_MAX_GUARDIANS);
		return -EINVAL;
	}
	json_array_foreach(gs, j, v)
		if (hex_field(json_string_value(v), 32, k->g[j])) {
			answer_failf(a, HGS_R_INVALID_REQUEST, "keys[%zu].guardians[%zu] must be 64 hex digits",
				     i, j);
			return -EINVAL;
		}
	k->n_g = gs ? (unsigned int)json_array_size(gs) : 0;
	k->why = HGS_PASSED;
	return 0;
}

/* "keys": absent (*@n = 0, *@keys NULL), or every entry well formed. */
static int parse_keys(struct request *rq, struct answer *a, struct held **keys, size_t *n)
{
	json_t *arr = json_object_get(rq->body, "keys"), *o;
	size_t i;

	*keys = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > HS_MAX_KEYS) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field 'keys' must be an array of at most %d keys",
			     HS_MAX_KEYS);
		return -EINVAL;
	}
	if (!json_array_size(arr))
		return 0;
	*keys = calloc(json_array_size(arr), sizeof(**keys));
	if (!*keys) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return -ENOMEM;
	}
	json_array_foreach(arr, i, o)
		if (parse_key(o, i, &(*keys)[i], a))
			return -EINVAL;
	*n = json_array_size(arr);
	return 0;
}

/* The enabled (@on) or disabled guardians' encryption certificates' SHA-256. */
struct gset {
	char (*fpr)[VMS_FPR_HEX_LEN];
	int *on;
	size_t n;
};

static int guardian_set(struct hgsd *h, struct gset *s)
{
	_cleanup_json_ json_t *rows = store_list(h->st, STORE_LIST_GUARDIANS, 0);
	json_t *row;
	size_t i;

	if (!rows)
		return -EIO;
	s->fpr = calloc(json_array_size(rows) + 1, sizeof(*s->fpr));
	s->on = calloc(json_array_size(rows) + 1, sizeof(*s->on));
	if (!s->fpr || !s->on)
		return -ENOMEM;
	json_array_foreach(rows, i, row) {
		_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
		const char *pem = json_string_value(json_object_get(row, "certificates"));
		json_t *en = json_object_get(row, "enabled");

		if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &g) ||
		    vms_cert_fingerprint(g.enc_cert, s->fpr[s->n]))
			return -EIO;	/* a row the store holds must parse */
		s->on[s->n++] = json_is_integer(en) && json_integer_value(en) != 0;
	}
	return 0;
}

/* -1: none of @k's guardians is known; 0: only disabled ones; 1: an enabled one. */
static int guardian_state(const struct gset *s, const struct held *k)
{
	int best = -1;
	unsigned int j;
	size_t i;

	for (j = 0; j < k->n_g; j++)
		for (i = 0; i < s->n; i++)
			if (!strcmp(k->g[j], s->fpr[i]) && s->on[i] > best)
				best = s->on[i];
	return best;
}

static int check_guardians(struct hgsd *h, struct held *keys, size_t n)
{
	struct gset s = { 0 };
	size_t i;
	int r = guardian_set(h, &s);

	for (i = 0; !r && i < n; i++)
		if (keys[i].n_g && guardian_state(&s, &keys[i]) == 0)
			keys[i].why = HGS_R_KP_GUARDIAN_DISABLED;
	free(s.fpr);
	free(s.on);
	return r;
}

/* KeyProtectorSuperseded: a roll released to @host that the VM has moved past. */
static int check_rolls(struct hgsd *h, const char *host, struct held *keys, size_t n)
{
	_cleanup_free_ const char **vms = calloc(n, sizeof(*vms));
	_cleanup_json_ json_t *rows = NULL;
	size_t i, j, nv = 0;
	json_t *row;

	if (!vms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nv && strcmp(vms[j], keys[i].vm); j++)
			;
		if (j == nv)
			vms[nv++] = keys[i].vm;
	}
	rows = store_host_rolls(h->st, host, vms, nv);
	if (!rows)
		return -EIO;
	json_array_foreach(rows, j, row) {
		const char *vm = json_string_value(json_object_get(row, "vm_id"));
		const char *kid = json_string_value(json_object_get(row, "key_id"));
		json_int_t ver = json_integer_value(json_object_get(row, "version"));
		json_int_t acked = json_integer_value(json_object_get(row, "acked"));

		if (!vm || !kid || acked <= ver)
			continue;
		for (i = 0; i < n; i++)
			if (keys[i].why == HGS_PASSED && !strcmp(keys[i].vm, vm) &&
			    !strcmp(keys[i].kid, kid))
				keys[i].why = HGS_R_KP_SUPERSEDED;
	}
	return 0;
}

static json_t *not_releasable(const struct held *keys, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (keys[i].why != HGS_PASSED &&
		    json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "vm_id", keys[i].vm,
							 "key_id", keys[i].kid, "reason",
							 vms_hgs_reason_name(keys[i].why)))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

void handle_host_status(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ uint8_t *der = NULL;
	_cleanup_free_ struct held *keys = NULL;
	struct vms_health_cert_info info = { 0 };
	enum vms_hgs_reason r;
	size_t len = 0, n = 0, i;
	json_t *o, *bad;
	int given, any_g = 0;
	char hbuf[80];

	if (req_b64(rq, a, "health_certificate", 16384, &der, &len))
		return;
	/* the host first: a revoked host is told so whatever its keys say */
	r = honored(h, der, len, &info);
	if (r != HGS_PASSED) {
		answer_fail(a, r, NULL);
		return;
	}
	if (parse_keys(rq, a, &keys, &n))
		return;
	given = json_object_get(rq->body, "keys") != NULL;
	for (i = 0; i < n; i++)
		any_g |= keys[i].n_g != 0;
	if ((any_g && check_guardians(h, keys, n)) || (n && check_rolls(h, info.host, keys, n))) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, "the store cannot be read: nothing is known about the keys");
		return;
	}
	o = json_pack("{s:s, s:b, s:I}", "host", info.host, "honored", 1,
		      "not_after", (json_int_t)info.not_after);
	if (o && given) {
		bad = not_releasable(keys, n);
		if (!bad || json_object_set_new(o, "not_releasable", bad) ||
		    json_object_set_new(o, "keys_checked", json_integer((json_int_t)n))) {
			json_decref(o);
			o = NULL;
		}
		if (o && h->cfg.log_requests && json_array_size(bad))
			log_info("host-status", "host=%s keys=%zu not_releasable=%zu",
				 log_safe(info.host, hbuf, sizeof(hbuf)), n, json_array_size(bad));
	}
	if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, o);
}
