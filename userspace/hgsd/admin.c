// SPDX-License-Identifier: GPL-2.0
/*
 * admin.c - the admin API (only ever reached on the admin socket, by a
 * peer whose uid is root or in admin_uids; http.c checks that). Every
 * change is audited with who (uid, pid), what and when in the same
 * transaction; refusals are audited too. After a change the in-memory
 * snapshot is reloaded, so it applies to the next request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hgsd.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_public.h"
#include "vms_x509.h"
#include "vmshield.h"

#define HOST_KEY_PEM_MAX 1024

/* Map a store result to an answer, reloading the snapshot on success. */
static void finish(struct hgsd *h, struct answer *a, int r, json_t *ok)
{
	switch (r) {
	case 0:
		if (state_reload(h)) {
			json_decref(ok);
			answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
			return;
		}
		answer_ok(a, ok);
		return;
	case -EEXIST:
		json_object_set_new(ok, "unchanged", json_true());
		answer_ok(a, ok);
		return;
	}
	json_decref(ok);
	switch (r) {
	case -EKEYREJECTED:
		answer_fail(a, HGS_R_HOST_KEY_CONFLICT, NULL);
		break;
	case -ENOENT:
		answer_fail(a, HGS_R_NO_SUCH_OBJECT, NULL);
		break;
	case -ENOSPC:
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "at most 16 worker digests can be enabled at once (the key-release limit)");
		break;
	default:
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	}
}

static const char *host_name(struct request *rq, struct answer *a)
{
	const char *name = req_str(rq, a, "name", VMS_HOST_NAME_MAX);

	if (name && !vms_host_name_valid(name)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'name' must match [A-Za-z0-9._-]{1,64}");
		return NULL;
	}
	return name;
}

/*
 * TPM mode: register a host by its EK (ek_public: base64 of the
 * TPM2B_PUBLIC `shieldctl tpm ek` writes) and its hardware class (which
 * baselines apply). Another EK for a host that has one: TpmEkConflict.
 */
static void host_add_ek(struct hgsd *h, struct request *rq, struct answer *a,
			const char *name)
{
	_cleanup_(vms_freep) uint8_t *ek = NULL;
	_cleanup_(vms_freep) char *hex = NULL;
	struct vms_tpm_key k = { 0 };
	const char *cls = "default";
	char fpr[65];
	size_t len;
	int r;

	if (req_b64(rq, a, "ek_public", HGSD_EK_MAX, &ek, &len))
		return;
	if (json_object_get(rq->body, "hardware_class")) {
		cls = req_str(rq, a, "hardware_class", VMS_BASELINE_NAME_MAX);
		if (!cls)
			return;
	}
	if (!vms_host_name_valid(cls)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'hardware_class' must match [A-Za-z0-9._-]{1,64}");
		return;
	}
	if (vms_tpm_key_load(ek, len, &k)) {
		store_audit(h->st, rq->who, "host-add-ek", name, "refused-key-type");
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'ek_public' must be a TPM2B_PUBLIC (RSA-2048 or ECC P-256, SHA-256 Name), as `shieldctl tpm ek` writes it");
		return;
	}
	vms_hex_encode(k.name + 2, 32, fpr);
	vms_tpm_key_free(&k);
	hex = malloc(2 * len + 1);
	if (!hex) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(ek, len, hex);
	r = store_host_add_ek(h->st, name, hex, fpr, cls, rq->who);
	if (r == -EKEYREJECTED) {
		answer_fail(a, HGS_R_TPM_EK_CONFLICT,
			    "this host is registered with another EK: remove it first if its TPM was really replaced");
	} else if (r == -EADDRINUSE) {
		answer_fail(a, HGS_R_TPM_EK_IN_USE,
			    "another host is registered with this EK (one TPM is one host): `shieldctl hgs host list` names it; remove that host first if the TPM really moved");
	} else {
		finish(h, a, r, json_pack("{s:s, s:s, s:s}", "name", name, "ek_fpr", fpr,
					  "hardware_class", cls));
	}
	log_info("admin", "who=\"%s\" action=host-add-ek host=%s ek_fpr=%s hardware_class=%s result=%s",
		 rq->who, name, fpr, cls, vms_hgs_reason_name(a->reason));
}

static void host_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	_cleanup_(vms_freep) char *pem = NULL;
	const char *name, *key;
	char fpr[VMS_FPR_HEX_LEN];

	name = host_name(rq, a);
	if (!name)
		return;
	if (json_object_get(rq->body, "ek_public") && !json_object_get(rq->body, "public_key")) {
		host_add_ek(h, rq, a, name);
		return;
	}
	key = req_str(rq, a, "public_key", HOST_KEY_PEM_MAX);
	if (!key)
		return;
	if (vms_pkey_from_pem(key, strlen(key), &k) || !vms_pkey_is_host_key_type(k)) {
		store_audit(h->st, rq->who, "host-add", name, "refused-key-type");
		answer_fail(a, HGS_R_HOST_KEY_UNSUPPORTED, NULL);
		return;
	}
	if (vms_pkey_fingerprint(k, fpr) || vms_pkey_to_pem(k, &pem)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	finish(h, a, store_host_add(h->st, name, vms_pkey_type_name(k), pem, fpr, rq->who),
	       json_pack("{s:s, s:s, s:s}", "name", name, "key_alg", vms_pkey_type_name(k),
			 "key_fpr", fpr));
	if (a->reason == HGS_PASSED)
		log_info("admin", "who=\"%s\" action=host-add host=%s key_fpr=%s", rq->who, name, fpr);
}

static void host_simple(struct hgsd *h, struct request *rq, struct answer *a,
			const char *action)
{
	const char *name = host_name(rq, a);
	int r;

	if (!name)
		return;
	if (!strcmp(action, "remove"))
		r = store_host_remove(h->st, name, rq->who);
	else
		r = store_host_set_enabled(h->st, name, !strcmp(action, "enable"), rq->who);
	finish(h, a, r, json_pack("{s:s}", "name", name));
	log_info("admin", "who=\"%s\" action=host-%s host=%s result=%s", rq->who, action,
		 name, vms_hgs_reason_name(a->reason));
}

static int valid_setting(const char *name, const char *value, char *norm, size_t len)
{
	char *end;
	long long t;
	uint32_t mask;

	if (!strcmp(name, "tpm_pcrs")) {
		if (tpm_pcrs_parse(value, &mask))
			return -EINVAL;
		tpm_pcrs_format(mask, norm, len);
		return 0;
	}
	if (!strcmp(name, "tpm_check_module_digest") || !strcmp(name, "tpm_runtime_allowlist") ||
	    !strcmp(name, "tpm_require_ima_appraisal") || !strcmp(name, "tpm_require_secure_boot") ||
	    !strcmp(name, "tpm_report_at_load") || !strcmp(name, "tpm_allow_ima_violations"))
		return strcmp(value, "0") && strcmp(value, "1") ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);

	if (!strcmp(name, "min_isolation_level"))
		return vms_isolation_from_name(value) < 0 ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);
	if (!strcmp(name, "require_module_sig") || !strcmp(name, "admin_cert_allow_list"))
		return strcmp(value, "0") && strcmp(value, "1") ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);
	if (!strcmp(name, "revocation_cutoff")) {
		if (!strcmp(value, "now")) {
			/* Certificates issued in this very second are cut too. */
			snprintf(norm, len, "%lld", (long long)time(NULL) + 1);
			return 0;
		}
		errno = 0;
		t = strtoll(value, &end, 10);
		if (errno || *end || !*value || t < 0)
			return -EINVAL;
		snprintf(norm, len, "%lld", t);
		return 0;
	}
	return -ENOENT;
}

static void policy_set(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name, *value;
	char norm[32];
	int r;

	name = req_str(rq, a, "name", 64);
	if (!name)
		return;
	value = req_str(rq, a, "value", 64);
	if (!value)
		return;
	r = valid_setting(name, value, norm, sizeof(norm));
	if (r == -ENOENT) {
		answer_fail(a, HGS_R_NO_SUCH_OBJECT,
			    "policies: min_isolation_level, require_module_sig, revocation_cutoff, admin_cert_allow_list, tpm_pcrs, tpm_check_module_digest, tpm_runtime_allowlist, tpm_require_ima_appraisal, tpm_require_secure_boot, tpm_report_at_load, tpm_allow_ima_violations");
		return;
	}
	if (r) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "min_isolation_level: kernel-open|kernel-locked|hypervisor; "
			    "require_module_sig: 0|1; revocation_cutoff: now|unix seconds; "
			    "admin_cert_allow_list: 0|1; tpm_pcrs: a list such as 0-7,10 that holds 0-7 and 10 (PCRs 0-15: 10 is checked by the IMA list, the others by the boot event log; 16-23 by nothing); tpm_*: 0|1");
		return;
	}
	finish(h, a, store_setting_set(h->st, name, norm, rq->who),
	       json_pack("{s:s, s:s}", "name", name, "value", norm));
	log_info("admin", "who=\"%s\" action=policy-set %s=%s result=%s", rq->who, name, norm,
		 vms_hgs_reason_name(a->reason));
}

static const char *digest_arg(struct request *rq, struct answer *a)
{
	static __thread char lower[65];
	const char *d = req_str(rq, a, "digest", 64);
	uint8_t raw[32];

	if (!d)
		return NULL;
	if (vms_hex_decode_exact(d, raw, 32)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'digest' must be a SHA-256 (64 hex digits)");
		return NULL;
	}
	vms_hex_encode(raw, 32, lower);
	return lower;
}

static void worker_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *d = digest_arg(rq, a), *desc = "";
	json_t *v = rq->body ? json_object_get(rq->body, "description") : NULL;

	if (!d)
		return;
	if (v) {
		desc = req_str(rq, a, "description", 200);
		if (!desc)
			return;
	}
	finish(h, a, store_worker_add(h->st, d, desc, rq->who), json_pack("{s:s}", "digest", d));
	log_info("admin", "who=\"%s\" action=worker-add digest=%s result=%s", rq->who, d,
		 vms_hgs_reason_name(a->reason));
}

static void worker_enable(struct hgsd *h, struct request *rq, struct answer *a, int en)
{
	const char *d = digest_arg(rq, a);

	if (!d)
		return;
	finish(h, a, store_worker_set_enabled(h->st, d, en, rq->who),
	       json_pack("{s:s}", "digest", d));
	log_info("admin", "who=\"%s\" action=worker-%s digest=%s result=%s", rq->who,
		 en ? "enable" : "disable", d, vms_hgs_reason_name(a->reason));
}

static void guardian_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	int r;

	if (!name)
		return;
	{
		char *pem = NULL;

		r = keyproc_add_guardian(name, &pem);
		if (!r)
			r = store_guardian_add(h->st, name, pem, 0, rq->who);
		if (!r)
			r = keys_add_public_guardian(h, pem);
		free(pem);
	}
	if (r == -EEXIST) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "a guardian of that name exists");
		return;
	}
	finish(h, a, r, json_pack("{s:s}", "name", name));
	log_info("admin", "who=\"%s\" action=guardian-add guardian=%s result=%s", rq->who,
		 name, vms_hgs_reason_name(a->reason));
}

static void guardian_primary(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	unsigned int i;
	int r;

	if (!name)
		return;
	r = store_guardian_set_primary(h->st, name, rq->who);
	if (r == -EPERM) {
		answer_fail(a, HGS_R_GUARDIAN_PROTECTED, "enable the guardian before making it primary");
		return;
	}
	if (!r) {
		pthread_rwlock_wrlock(&h->lock);
		for (i = 0; i < h->n_guardians; i++)
			h->guardians[i].primary = !strcmp(h->guardians[i].g.name, name);
		pthread_rwlock_unlock(&h->lock);
	}
	finish(h, a, r, json_pack("{s:s}", "name", name));
}

/*
 * Guardians: disable (the key process forgets it, metadata stops showing
 * it; never the primary, never the last enabled one), enable (the key
 * process loads it again from its key file, which must match the
 * certificates in the store), remove (a disabled, non-primary one: its
 * row goes, its key file is renamed keys/removed-guardian-NAME-TIME.pem).
 */
static void guardian_refused(struct answer *a, int r)
{
	if (r == -EPERM)
		answer_fail(a, HGS_R_GUARDIAN_PROTECTED,
			    "the primary guardian and the last enabled guardian stay enabled");
	else if (r == -EBUSY)
		answer_fail(a, HGS_R_GUARDIAN_PROTECTED, "disable the guardian before removing it");
}

static void guardian_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	int r;

	if (!name)
		return;
	r = store_guardian_set_enabled(h->st, name, 0, rq->who);
	if (!r) {
		/* the store says disabled: from now on neither process uses it */
		int k = keyproc_guardian_drop(name);

		if (k && k != -ENOENT) {
			log_err("admin", "guardian=%s error=\"%s\" msg=\"the key process did not drop the guardian; restart hgsd\"",
				name, strerror(k < 0 ? -k : k));
			r = -EIO;
		}
		keys_drop_public_guardian(h, name);
	}
	if (r == -EPERM || r == -EBUSY)
		guardian_refused(a, r);
	else
		finish(h, a, r, json_pack("{s:s, s:b}", "name", name, "enabled", 0));
	log_info("admin", "who=\"%s\" action=guardian-disable guardian=%s result=%s", rq->who,
		 name, vms_hgs_reason_name(a->reason));
}

static void guardian_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	char *pem = NULL;
	int r, enabled = 0;

	if (!name)
		return;
	r = store_guardian_pem(h->st, name, &pem, &enabled);
	if (r == -ENOENT || (!r && enabled)) {
		/* nothing to load: the store audits "no such" or "unchanged" */
		r = store_guardian_set_enabled(h->st, name, 1, rq->who);
	} else if (!r) {
		r = keyproc_guardian_load(name, pem);
		if (r) {
			log_err("admin", "guardian=%s error=\"%s\" msg=\"the key process cannot load the guardian's key file\"",
				name, strerror(r < 0 ? -r : r));
			store_audit(h->st, rq->who, "guardian-enable", name, "error-key-file");
			free(pem);
			answer_fail(a, HGS_R_INTERNAL_ERROR,
				    "the guardian's key file cannot be loaded (see the hgsd log)");
			return;
		}
		r = store_guardian_set_enabled(h->st, name, 1, rq->who);
		if (r)
			keyproc_guardian_drop(name);
		else
			r = keys_add_public_guardian(h, pem);
	}
	free(pem);
	finish(h, a, r, json_pack("{s:s, s:b}", "name", name, "enabled", 1));
	log_info("admin", "who=\"%s\" action=guardian-enable guardian=%s result=%s", rq->who,
		 name, vms_hgs_reason_name(a->reason));
}

static void guardian_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	char moved[HGSD_PATH_MAX] = "";
	int r;

	if (!name)
		return;
	r = store_guardian_remove(h->st, name, rq->who);
	if (!r && keys_retire_guardian_file(h, name, moved, sizeof(moved))) {
		log_warn("admin", "guardian=%s msg=\"removed; its key file could not be renamed\"",
			 name);
		moved[0] = 0;
	}
	if (r == -EPERM || r == -EBUSY)
		guardian_refused(a, r);
	else
		finish(h, a, r, json_pack("{s:s, s:s}", "name", name, "key_file", moved));
	log_info("admin", "who=\"%s\" action=guardian-remove guardian=%s key_file=%s result=%s",
		 rq->who, name, moved[0] ? moved : "-", vms_hgs_reason_name(a->reason));
}

/* Admin client certificates: allow (the allow list) or revoke, by SHA-256. */
static void admin_cert_set(struct hgsd *h, struct request *rq, struct answer *a,
			   const char *state)
{
	const char *f = req_str(rq, a, "sha256", 64);
	uint8_t raw[32];
	char lower[65];
	int r;

	if (!f)
		return;
	if (vms_hex_decode_exact(f, raw, 32)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'sha256' must be the certificate's SHA-256 (64 hex digits)");
		return;
	}
	vms_hex_encode(raw, 32, lower);
	r = store_admin_cert_set(h->st, lower, state, rq->who);
	if (r == -EPERM)
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "this certificate is revoked, for good: issue the admin a new one");
	else
		finish(h, a, r, json_pack("{s:s, s:s}", "sha256", lower, "state", state));
	log_info("admin", "who=\"%s\" action=admin-cert-%s sha256=%s result=%s", rq->who,
		 !strcmp(state, "revoked") ? "revoke" : "allow", lower,
		 vms_hgs_reason_name(a->reason));
}

/* ---- TPM mode: baselines and digests ---- */

/* {baseline: "<the JSON text shieldctl hgs baseline capture wrote>"} */
static void baseline_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	static __thread char err[160];
	struct vms_baseline b = { 0 };
	const char *text = req_str(rq, a, "baseline", VMS_EVLOG_MAX_BYTES);
	char e[128], sha[65];
	uint8_t md[32];
	char *canon;
	int r;

	if (!text)
		return;
	if (vms_baseline_from_json(text, strlen(text), &b, e)) {
		snprintf(err, sizeof(err), "not a boot baseline: %s", e);
		answer_fail(a, HGS_R_INVALID_REQUEST, err);
		return;
	}
	/* store the canonical form: what the admin sees back is what is used */
	canon = vms_baseline_to_json(&b);
	if (!canon || !EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL)) {
		free(canon);
		vms_baseline_free(&b);
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(md, 32, sha);
	r = store_baseline_add(h->st, b.name, b.version, b.hw_class, b.enabled, canon, sha,
			       rq->who);
	free(canon);
	if (r == -EKEYREJECTED)
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "a different baseline of that name and version exists: raise the version");
	else
		finish(h, a, r, json_pack("{s:s, s:I, s:s, s:I, s:s}", "name", b.name,
					  "version", (json_int_t)b.version,
					  "hardware_class", b.hw_class,
					  "events", (json_int_t)b.n, "sha256", sha));
	log_info("admin", "who=\"%s\" action=baseline-add baseline=%s version=%u events=%zu result=%s",
		 rq->who, b.name, b.version, b.n, vms_hgs_reason_name(a->reason));
	vms_baseline_free(&b);
}

static void baseline_enable(struct hgsd *h, struct request *rq, struct answer *a, int en)
{
	const char *name = host_name(rq, a);

	if (!name)
		return;
	finish(h, a, store_baseline_set_enabled(h->st, name, en, rq->who),
	       json_pack("{s:s, s:b}", "name", name, "enabled", en));
	log_info("admin", "who=\"%s\" action=baseline-%s baseline=%s result=%s", rq->who,
		 en ? "enable" : "disable", name, vms_hgs_reason_name(a->reason));
}

#define TPM_DIGESTS_MAX	100000

static const char *digest_kind(struct request *rq, struct answer *a)
{
	const char *k = req_str(rq, a, "kind", 16);

	if (k && strcmp(k, "module") && strcmp(k, "allow")) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'kind' is 'module' (approved vmshield.ko digests) or 'allow' (runtime allowlist)");
		return NULL;
	}
	return k;
}

/* {kind, entries: [{digest, description}, ...]} in one audited change */
static void tpm_digests_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *kind = digest_kind(rq, a);
	json_t *arr = rq->body ? json_object_get(rq->body, "entries") : NULL, *e;
	const char **dg = NULL, **ds = NULL;
	char (*lower)[65] = NULL;
	size_t i, n;
	int r;

	if (!kind)
		return;
	n = json_array_size(arr);
	if (!json_is_array(arr) || !n || n > TPM_DIGESTS_MAX) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'entries' must be a list of 1 to 100000 {digest, description}");
		return;
	}
	dg = calloc(n, sizeof(*dg));
	ds = calloc(n, sizeof(*ds));
	lower = calloc(n, sizeof(*lower));
	if (!dg || !ds || !lower) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		goto out;
	}
	json_array_foreach(arr, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *desc = json_string_value(json_object_get(e, "description"));
		uint8_t raw[32];

		if (!d || vms_hex_decode_exact(d, raw, 32) || (desc && strlen(desc) > 4096)) {
			answer_fail(a, HGS_R_INVALID_REQUEST,
				    "every entry needs 'digest' (SHA-256, 64 hex digits) and may have 'description' (at most 4096 characters)");
			goto out;
		}
		vms_hex_encode(raw, 32, lower[i]);
		dg[i] = lower[i];
		ds[i] = desc ? desc : "";
	}
	r = store_tpm_digests_add(h->st, kind, dg, ds, n, rq->who);
	finish(h, a, r, json_pack("{s:s, s:I}", "kind", kind, "entries", (json_int_t)n));
	log_info("admin", "who=\"%s\" action=tpm-digests-add kind=%s entries=%zu result=%s",
		 rq->who, kind, n, vms_hgs_reason_name(a->reason));
out:
	free(dg);
	free(ds);
	free(lower);
}

static void tpm_digest_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *kind = digest_kind(rq, a), *d;

	if (!kind)
		return;
	d = digest_arg(rq, a);
	if (!d)
		return;
	finish(h, a, store_tpm_digest_remove(h->st, kind, d, rq->who),
	       json_pack("{s:s, s:s}", "kind", kind, "digest", d));
	log_info("admin", "who=\"%s\" action=tpm-digest-remove kind=%s digest=%s result=%s",
		 rq->who, kind, d, vms_hgs_reason_name(a->reason));
}

/* ---- TPM mode: approved IMA signing keys ---- */

#define IMA_KEY_FILE_MAX	VMS_IMA_CERT_MAX

/* The certificate sent (base64 of a PEM or DER file) as DER. */
static int ima_cert_der(const uint8_t *in, size_t len, uint8_t **der, size_t *dlen)
{
	_cleanup_(X509_freep) X509 *x = NULL;

	*der = NULL;
	if (len > 10 && !memcmp(in, "-----BEGIN", 10)) {
		if (vms_cert_from_pem((const char *)in, len, &x) ||
		    vms_cert_to_der(x, der, dlen))
			return -EBADMSG;
		return 0;
	}
	*der = malloc(len ? len : 1);
	if (!*der)
		return -ENOMEM;
	memcpy(*der, in, len);
	*dlen = len;
	return 0;
}

static const char *ima_key_refusal(int r)
{
	switch (r) {
	case -ENOKEY:
		return "the certificate has no subjectKeyIdentifier: the kernel names IMA keys by its last 4 bytes (evmctl writes them into each signature); reissue it with subjectKeyIdentifier=hash";
	case -ENOTSUP:
		return "the certificate's key is neither RSA nor EC: IMA signatures are RSA or ECDSA; give the certificate of the key you sign files with";
	case -EKEYREJECTED:
		return "the certificate's key is too weak to approve: IMA keys must be RSA of at least 2048 bits, or EC on P-256 or P-384; make a stronger signing key and sign the files with it";
	default:
		return "field 'certificate' must be one X.509 certificate (PEM or DER, base64), the one loaded into the IMA keyring";
	}
}

/* {certificate: base64 of a PEM or DER file, description?} */
static void ima_key_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(vms_freep) uint8_t *raw = NULL;
	_cleanup_(vms_freep) uint8_t *der = NULL;
	_cleanup_(vms_freep) char *hex = NULL;
	_cleanup_(X509_freep) X509 *x = NULL;
	json_t *v = rq->body ? json_object_get(rq->body, "description") : NULL;
	const char *desc = "";
	struct vms_ima_key k;
	char fpr[65], keyid[9], subject[256], why[80] = "";
	size_t len, dlen = 0;
	int r;

	if (req_b64(rq, a, "certificate", IMA_KEY_FILE_MAX, &raw, &len))
		return;
	if (v) {
		desc = req_str(rq, a, "description", 200);
		if (!desc)
			return;
	}
	r = ima_cert_der(raw, len, &der, &dlen);
	if (!r)
		r = vms_ima_key_from_der(der, dlen, &k);
	if (!r) {
		r = vms_ima_key_strong_enough(&k, why, sizeof(why));
		if (r)
			vms_ima_key_free(&k);
	}
	if (r == -ENOMEM) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	if (r) {
		store_audit(h->st, rq->who, "ima-key-add",
			    r == -ENOKEY ? "no subjectKeyIdentifier" :
			    r == -ENOTSUP ? "key type" :
			    r == -EKEYREJECTED ? why : "not an X.509 certificate",
			    "refused");
		answer_fail(a, HGS_R_INVALID_REQUEST, ima_key_refusal(r));
		log_info("admin", "who=\"%s\" action=ima-key-add result=InvalidRequest error=%d",
			 rq->who, r);
		return;
	}
	vms_hex_encode(k.fpr, 32, fpr);
	snprintf(keyid, sizeof(keyid), "%08x", k.keyid);
	{
		const unsigned char *p = der;

		x = d2i_X509(NULL, &p, (long)dlen);
	}
	if (!x || !X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject)))
		subject[0] = 0;
	hex = malloc(2 * dlen + 1);
	if (!hex) {
		vms_ima_key_free(&k);
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(der, dlen, hex);
	r = store_ima_key_add(h->st, fpr, keyid, k.type, subject, desc, hex, rq->who);
	if (r == -EALREADY)
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "this IMA key is approved already (`shieldctl hgs ima-key list`)");
	else
		finish(h, a, r, json_pack("{s:s, s:s, s:s, s:s}", "sha256", fpr, "keyid",
					  keyid, "key_type", k.type, "subject", subject));
	log_info("admin", "who=\"%s\" action=ima-key-add sha256=%s keyid=%s result=%s",
		 rq->who, fpr, keyid, vms_hgs_reason_name(a->reason));
	vms_ima_key_free(&k);
}

static void ima_key_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *f = req_str(rq, a, "sha256", 64);
	uint8_t raw[32];
	char lower[65];

	if (!f)
		return;
	if (vms_hex_decode_exact(f, raw, 32)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'sha256' must be the certificate's SHA-256 (64 hex digits), as `shieldctl hgs ima-key list` shows it");
		return;
	}
	vms_hex_encode(raw, 32, lower);
	finish(h, a, store_ima_key_remove(h->st, lower, rq->who),
	       json_pack("{s:s}", "sha256", lower));
	log_info("admin", "who=\"%s\" action=ima-key-remove sha256=%s result=%s", rq->who,
		 lower, vms_hgs_reason_name(a->reason));
}

/* Every version of the worker policy with its digest set. */
static void worker_history_show(struct hgsd *h, struct answer *a)
{
	json_t *rows = store_query(h->st, "SELECT version, at, who, change, digests FROM worker_history ORDER BY version DESC",
				   0);
	json_t *row;
	size_t i;

	if (!rows) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	json_array_foreach(rows, i, row) {
		const char *d = json_string_value(json_object_get(row, "digests"));
		json_t *arr = json_array();
		char buf[VMS_KR_MAX_DIGESTS * 65 + 1], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", d ? d : "");
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(tok));
		json_object_set_new(row, "digests", arr);
	}
	answer_ok(a, json_pack("{s:o}", "history", rows));
}

static json_t *tpm_policy_json(struct hgsd *h)
{
	struct tpm_state *t = state_tpm_get(h);
	char pcrs[64];
	size_t i, enabled = 0;
	json_t *o;

	tpm_pcrs_format(t->pcr_mask, pcrs, sizeof(pcrs));
	for (i = 0; i < t->n_baselines; i++)
		enabled += t->baselines[i].enabled ? 1 : 0;
	o = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I}",
		      "pcrs", pcrs,
		      "check_module_digest", t->check_module_digest,
		      "runtime_allowlist", t->runtime_allowlist,
		      "require_ima_appraisal", t->require_ima_appraisal,
		      "require_secure_boot", t->require_secure_boot,
		      "report_at_load", t->report_at_load,
		      "allow_ima_violations", t->allow_ima_violations,
		      "module_digests", (json_int_t)t->n_module_digests,
		      "allowlist_digests", (json_int_t)t->n_allowlist,
		      "ima_keys", (json_int_t)t->n_ima_keys,
		      "baselines", (json_int_t)t->n_baselines,
		      "baselines_enabled", (json_int_t)enabled);
	state_tpm_put(t);
	return o;
}

static json_t *policy_json(struct hgsd *h)
{
	struct policy p;
	json_t *d = json_array();
	char hex[65];
	unsigned int i;

	state_policy(h, &p);
	for (i = 0; i < p.n_digests; i++) {
		vms_hex_encode(p.digests[i], 32, hex);
		json_array_append_new(d, json_string(hex));
	}
	return json_pack("{s:s, s:b, s:b, s:I, s:I, s:o, s:s, s:o}",
			 "min_isolation_level", vms_isolation_name(p.min_isolation_level),
			 "require_module_sig", p.require_module_sig,
			 "admin_cert_allow_list", p.admin_cert_allow_list,
			 "revocation_cutoff", (json_int_t)p.revocation_cutoff,
			 "worker_policy_version", (json_int_t)p.worker_policy_version,
			 "enabled_worker_digests", d,
			 "shielded_requires", "kernel-locked",
			 "tpm", tpm_policy_json(h));
}

static void status(struct hgsd *h, struct answer *a)
{
	long hosts = 0, enabled = 0;
	json_t *gs = json_array();
	unsigned int i;

	store_count(h->st, "SELECT COUNT(*) FROM hosts", &hosts);
	store_count(h->st, "SELECT COUNT(*) FROM hosts WHERE enabled = 1", &enabled);
	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++)
		json_array_append_new(gs, json_pack("{s:s, s:b}", "name",
						    h->guardians[i].g.name, "primary",
						    h->guardians[i].primary));
	pthread_rwlock_unlock(&h->lock);
	answer_ok(a, json_pack("{s:s, s:i, s:I, s:{s:I, s:I}, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:o}",
		"service", "hgsd",
		"schema_version", store_schema_version(h->st),
		"uptime_s", (json_int_t)(time(NULL) - h->started),
		"hosts", "registered", (json_int_t)hosts, "enabled", (json_int_t)enabled,
		"guardians", gs,
		"policy", policy_json(h),
		"counters",
		"attestations_passed", (json_int_t)__atomic_load_n(&h->attest_ok, __ATOMIC_RELAXED),
		"attestations_failed", (json_int_t)__atomic_load_n(&h->attest_fail, __ATOMIC_RELAXED),
		"releases_passed", (json_int_t)__atomic_load_n(&h->release_ok, __ATOMIC_RELAXED),
		"releases_failed", (json_int_t)__atomic_load_n(&h->release_fail, __ATOMIC_RELAXED),
		"recent_attestations", store_query(h->st,
			"SELECT at, host, result, detail FROM events WHERE kind = 'attest' ORDER BY id DESC LIMIT ?", 10),
		"recent_releases", store_query(h->st,
			"SELECT at, host, result, detail FROM events WHERE kind = 'release' ORDER BY id DESC LIMIT ?", 10)));
}

static void list(struct answer *a, const char *key, json_t *rows)
{
	if (!rows) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	answer_ok(a, json_pack("{s:o}", key, rows));
}

/* The baseline in use for @name (its latest version), as stored. */
static void baseline_show(struct hgsd *h, struct answer *a, const char *name)
{
	struct tpm_state *t = state_tpm_get(h);
	json_t *o = NULL;
	int found = 0;
	size_t i;

	for (i = 0; i < t->n_baselines; i++) {
		if (strcmp(t->baselines[i].name, name))
			continue;
		found = 1;
		{
			char *text = vms_baseline_to_json(&t->baselines[i]);

			o = text ? json_loads(text, 0, NULL) : NULL;
			free(text);
		}
		break;
	}
	state_tpm_put(t);
	if (!found)
		answer_fail(a, HGS_R_NO_SUCH_OBJECT, NULL);
	else if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, json_pack("{s:o}", "baseline", o));
}

void handle_admin(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *p = rq->url + strlen("/v1/admin/");
	int get = !strcmp(rq->method, "GET"), post = !strcmp(rq->method, "POST");

	if (get && !strcmp(p, "status"))
		status(h, a);
	else if (get && !strcmp(p, "hosts"))
		list(a, "hosts", store_query(h->st,
			"SELECT name, key_alg, key_fpr, ek_fpr, hardware_class, enabled, added_at, updated_at FROM hosts ORDER BY name",
			0));
	else if (get && !strcmp(p, "baselines"))
		list(a, "baselines", store_query(h->st,
			"SELECT b.name, b.version, b.hardware_class, b.enabled, b.sha256, b.added_at,\n"
			"  b.version = (SELECT MAX(version) FROM baselines c WHERE c.name = b.name) AS in_use,\n"
			"  json_array_length(json_extract(b.body, '$.events')) AS events\n"
			"FROM baselines b ORDER BY b.name, b.version", 0));
	else if (get && !strncmp(p, "baselines/show/", 15) && vms_host_name_valid(p + 15))
		baseline_show(h, a, p + 15);
	else if (post && !strcmp(p, "baselines/add"))
		baseline_add(h, rq, a);
	else if (post && !strcmp(p, "baselines/enable"))
		baseline_enable(h, rq, a, 1);
	else if (post && !strcmp(p, "baselines/disable"))
		baseline_enable(h, rq, a, 0);
	else if (get && !strcmp(p, "tpm/digests"))
		list(a, "digests", store_query(h->st,
			"SELECT kind, digest, description, added_at FROM tpm_digests ORDER BY kind, digest",
			0));
	else if (post && !strcmp(p, "tpm/digests/add"))
		tpm_digests_add(h, rq, a);
	else if (post && !strcmp(p, "tpm/digests/remove"))
		tpm_digest_remove(h, rq, a);
	else if (get && !strcmp(p, "tpm/ima-keys"))
		list(a, "ima_keys", store_query(h->st,
			"SELECT fpr AS sha256, keyid, key_type, subject, description, added_at FROM ima_keys ORDER BY added_at, fpr",
			0));
	else if (post && !strcmp(p, "tpm/ima-keys/add"))
		ima_key_add(h, rq, a);
	else if (post && !strcmp(p, "tpm/ima-keys/remove"))
		ima_key_remove(h, rq, a);
	else if (post && !strcmp(p, "hosts/add"))
		host_add(h, rq, a);
	else if (post && !strcmp(p, "hosts/enable"))
		host_simple(h, rq, a, "enable");
	else if (post && !strcmp(p, "hosts/disable"))
		host_simple(h, rq, a, "disable");
	else if (post && !strcmp(p, "hosts/remove"))
		host_simple(h, rq, a, "remove");
	else if (get && !strcmp(p, "policy"))
		answer_ok(a, json_pack("{s:o}", "policy", policy_json(h)));
	else if (post && !strcmp(p, "policy/set"))
		policy_set(h, rq, a);
	else if (get && !strcmp(p, "workers"))
		list(a, "workers", store_query(h->st,
			"SELECT id, digest, description, enabled, added_at, updated_at FROM workers ORDER BY id", 0));
	else if (post && !strcmp(p, "workers/add"))
		worker_add(h, rq, a);
	else if (post && !strcmp(p, "workers/enable"))
		worker_enable(h, rq, a, 1);
	else if (post && !strcmp(p, "workers/disable"))
		worker_enable(h, rq, a, 0);
	else if (get && !strcmp(p, "guardians"))
		list(a, "guardians", store_query(h->st,
			"SELECT name, is_primary, enabled, created_at, certificates FROM guardians ORDER BY name", 0));
	else if (post && !strcmp(p, "guardians/add"))
		guardian_add(h, rq, a);
	else if (post && !strcmp(p, "guardians/primary"))
		guardian_primary(h, rq, a);
	else if (post && !strcmp(p, "guardians/disable"))
		guardian_disable(h, rq, a);
	else if (post && !strcmp(p, "guardians/enable"))
		guardian_enable(h, rq, a);
	else if (post && !strcmp(p, "guardians/remove"))
		guardian_remove(h, rq, a);
	else if (get && !strcmp(p, "workers/history"))
		worker_history_show(h, a);
	else if (get && !strcmp(p, "admin-certs"))
		list(a, "admin_certs", store_query(h->st,
			"SELECT fpr AS sha256, subject, state, first_seen, last_seen, updated_at FROM admin_certs ORDER BY COALESCE(first_seen, updated_at), fpr",
			0));
	else if (post && !strcmp(p, "admin-certs/revoke"))
		admin_cert_set(h, rq, a, "revoked");
	else if (post && !strcmp(p, "admin-certs/allow"))
		admin_cert_set(h, rq, a, "allowed");
	else if (get && !strcmp(p, "audit"))
		list(a, "audit", store_query(h->st,
			"SELECT id, at, who, action, detail, result FROM audit ORDER BY id DESC LIMIT ?", 200));
	else if (get && !strcmp(p, "events"))
		list(a, "events", store_query(h->st,
			"SELECT id, at, kind, host, result, detail FROM events ORDER BY id DESC LIMIT ?", 200));
	else
		answer_fail(a, HGS_R_UNKNOWN_ENDPOINT, NULL);
}
