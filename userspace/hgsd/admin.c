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

#include "admin.h"
#include "change_feed.h"
#include "kps.h"
#include "hgsd.h"
#include "keyproc.h"
#include "keys.h"
#include "log.h"
#include "platform.h"
#include "store.h"
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
	_cleanup_free_ uint8_t *ek = NULL;
	_cleanup_free_ char *hex = NULL;
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
	_cleanup_free_ char *pem = NULL;
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
	unsigned int life;

	if (!strcmp(name, "release_lifetime_shielded_s") ||
	    !strcmp(name, "release_lifetime_encryption_supported_s")) {
		if (release_lifetime_parse(value, &life))
			return -EINVAL;
		snprintf(norm, len, "%u", life);
		return 0;
	}
	if (!strcmp(name, "tpm_ima_policy_digests")) {
		uint8_t d[VMS_IMA_POLICY_DIGESTS_MAX][32];
		size_t i, n;

		if (tpm_ima_policy_digests_parse(value, d, &n))
			return -EINVAL;
		if (!n)
			return snprintf(norm, len, "none"), 0;
		norm[0] = 0;
		for (i = 0; i < n; i++) {
			char hex[65];

			vms_hex_encode(d[i], 32, hex);
			snprintf(norm + strlen(norm), len - strlen(norm), "%s%s", i ? "," : "", hex);
		}
		return 0;
	}
	if (!strcmp(name, "tpm_pcrs")) {
		if (tpm_pcrs_parse(value, &mask))
			return -EINVAL;
		tpm_pcrs_format(mask, norm, len);
		return 0;
	}
	if (!strcmp(name, "tpm_check_module_digest") || !strcmp(name, "tpm_runtime_allowlist") ||
	    !strcmp(name, "tpm_require_ima_appraisal") || !strcmp(name, "tpm_require_secure_boot") ||
	    !strcmp(name, "tpm_report_at_load") || !strcmp(name, "tpm_allow_ima_violations") ||
	    !strcmp(name, "tpm_allow_key_level_history") ||
	    !strcmp(name, "tpm_require_locked_at_load") || !strcmp(name, "tpm_require_ptrace_scope3") ||
	    !strcmp(name, "tpm_require_no_crash_kernel") ||
	    !strcmp(name, "tpm_require_lockdown_cmdline"))
		return strcmp(value, "0") && strcmp(value, "1") ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);

	if (!strcmp(name, "min_isolation_level"))
		return vms_isolation_from_name(value) < 0 ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);
	if (!strcmp(name, "platform_types")) {
		unsigned int types;

		if (platform_types_parse(value, &types))
			return -EINVAL;
		platform_types_format(types, norm, len);
		return 0;
	}
	if (!strcmp(name, "require_module_sig") || !strcmp(name, "admin_cert_allow_list"))
		return strcmp(value, "0") && strcmp(value, "1") ? -EINVAL :
			(snprintf(norm, len, "%s", value), 0);
	if (!strcmp(name, "revocation_cutoff")) {
		if (!strcmp(value, "now")) {
			/*
			 * The next second: certificates issued in this one before
			 * the cut are cut too, and the ones issued after it carry
			 * the next second as their issue time (state_issue_time).
			 */
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
	char norm[VMS_IMA_POLICY_DIGESTS_TEXT];
	int r;

	name = req_str(rq, a, "name", 64);
	if (!name)
		return;
	/* the longest value: tpm_ima_policy_digests' list */
	value = req_str(rq, a, "value", VMS_IMA_POLICY_DIGESTS_TEXT - 1);
	if (!value)
		return;
	r = valid_setting(name, value, norm, sizeof(norm));
	if (r == -ENOENT) {
		answer_fail(a, HGS_R_NO_SUCH_OBJECT,
			    "policies: min_isolation_level, require_module_sig, revocation_cutoff, admin_cert_allow_list, platform_types, release_lifetime_shielded_s, release_lifetime_encryption_supported_s, tpm_pcrs, tpm_check_module_digest, tpm_runtime_allowlist, tpm_require_ima_appraisal, tpm_require_secure_boot, tpm_report_at_load, tpm_allow_ima_violations, tpm_allow_key_level_history, tpm_require_locked_at_load, tpm_require_ptrace_scope3, tpm_require_no_crash_kernel, tpm_require_lockdown_cmdline, tpm_ima_policy_digests");
		return;
	}
	if (r) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "min_isolation_level: kernel-open|kernel-locked|hypervisor; "
			    "require_module_sig: 0|1; revocation_cutoff: now|unix seconds; "
			    "admin_cert_allow_list: 0|1; platform_types: a list of emulated, sev-snp, nitro; "
			    "release_lifetime_*_s: seconds, 10..604800; tpm_pcrs: a list such as 0-7,10 that holds 0-7 and 10 (PCRs 0-15: 10 is checked by the IMA list, the others by the boot event log; 16-23 by nothing); tpm_ima_policy_digests: none or up to 8 SHA-256 digests (hex) separated by commas; other tpm_*: 0|1");
		return;
	}
	finish(h, a, store_setting_set(h->st, name, norm, rq->who),
	       json_pack("{s:s, s:s}", "name", name, "value", norm));
	log_info("admin", "who=\"%s\" action=policy-set %s=%s result=%s", rq->who, name, norm,
		 vms_hgs_reason_name(a->reason));
}

/* Field 'digest' (a SHA-256) in lower case into @lower; NULL if refused. */
static const char *digest_arg(struct request *rq, struct answer *a, char lower[65])
{
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
	json_t *v = rq->body ? json_object_get(rq->body, "description") : NULL;
	const char *d, *desc = "";
	char lower[65];

	d = digest_arg(rq, a, lower);
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
	char lower[65];
	const char *d = digest_arg(rq, a, lower);

	if (!d)
		return;
	finish(h, a, store_worker_set_enabled(h->st, d, en, rq->who),
	       json_pack("{s:s}", "digest", d));
	log_info("admin", "who=\"%s\" action=worker-%s digest=%s result=%s", rq->who,
		 en ? "enable" : "disable", d, vms_hgs_reason_name(a->reason));
}

/*
 * A new guardian: the key process creates it (its keys leave that
 * process only in its key file, encrypted under the master key), the
 * store shares that file with the other nodes (change_feed.c) and
 * publishes its certificates, the network side serves them. -EEXIST:
 * that name is taken.
 */
static int guardian_create(struct hgsd *h, const char *name, const char *who)
{
	_cleanup_free_ char *pem = NULL, *keyfile = NULL;
	int r;

	r = keyproc_add_guardian(name, &pem);
	if (r == -EEXIST)
		return r;
	if (r)
		return log_errno(r, "admin", "step=\"creating the guardian in the key process\" guardian=%s",
				 name);
	/* shared before the row: a node that sees the row finds the key file */
	r = keys_guardian_file_read(h, name, &keyfile);
	if (r)
		return log_errno(r, "admin", "step=\"reading the new guardian's key file\" guardian=%s",
				 name);
	r = store_guardian_key_put(h->st, name, keyfile);
	if (r == -EEXIST)
		return r;
	if (r)
		return log_errno(r, "admin", "step=\"sharing the guardian's key file through the store\" guardian=%s",
				 name);
	r = store_guardian_add(h->st, name, pem, 0, who);
	if (r)
		store_guardian_key_drop(h->st, name, keyfile);
	if (r == -EEXIST)
		return r;
	if (r)
		return log_errno(r, "admin", "step=\"storing the guardian\" guardian=%s", name);
	r = keys_add_public_guardian(h, pem);
	if (r)
		return log_errno(r, "admin", "step=\"publishing the guardian\" guardian=%s", name);
	return 0;
}

static void guardian_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	int r;

	if (!name)
		return;
	change_feed_guardians_lock();
	r = guardian_create(h, name, rq->who);
	change_feed_guardians_unlock();
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
	if (r == 0) {	/* metadata names the new primary from now on */
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

/*
 * The store says @name is disabled: from now on neither process uses it.
 * -EIO if the key process still holds it.
 */
static int guardian_forget(struct hgsd *h, const char *name)
{
	int r = keyproc_guardian_drop(name);

	keys_drop_public_guardian(h, name);
	if (r && r != -ENOENT) {
		log_errno(r, "admin", "step=\"dropping the guardian in the key process\" guardian=%s msg=\"restart hgsd\"",
			  name);
		return -EIO;
	}
	return 0;
}

static void guardian_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = host_name(rq, a);
	int r;

	if (!name)
		return;
	change_feed_guardians_lock();
	r = store_guardian_set_enabled(h->st, name, 0, rq->who);
	if (r == 0)
		r = guardian_forget(h, name);
	change_feed_guardians_unlock();
	if (r == -EPERM || r == -EBUSY)
		guardian_refused(a, r);
	else
		finish(h, a, r, json_pack("{s:s, s:b}", "name", name, "enabled", 0));
	log_info("admin", "who=\"%s\" action=guardian-disable guardian=%s result=%s", rq->who,
		 name, vms_hgs_reason_name(a->reason));
}

/*
 * The key process holds @name again: mark it enabled in the store and
 * serve its certificates (@pem); if the store refuses, the key process
 * forgets it again.
 */
static int guardian_publish(struct hgsd *h, const char *who, const char *name,
			    const char *pem)
{
	int r = store_guardian_set_enabled(h->st, name, 1, who);

	if (r) {
		keyproc_guardian_drop(name);
		return r;
	}
	r = keys_add_public_guardian(h, pem);
	if (r)
		return log_errno(r, "admin", "step=\"publishing the guardian\" guardian=%s", name);
	return 0;
}

/*
 * A guardian this node loaded from its own key file (enabled here): the
 * store shares that file unless it shares one already (a guardian made
 * before key files were shared), so the other nodes load it too.
 */
static void guardian_share(struct hgsd *h, const char *name)
{
	_cleanup_free_ char *keyfile = NULL;
	int r = keys_guardian_file_read(h, name, &keyfile);

	if (!r)
		r = store_guardian_key_put(h->st, name, keyfile);
	if (r == -EEXIST)
		log_warn("admin", "guardian=%s msg=\"the store shares another key file for it: the other nodes load that one, and only if it matches the certificates\"",
			 name);
	else if (r)
		log_errno(r, "admin", "step=\"sharing the guardian's key file through the store\" guardian=%s msg=\"the other nodes will not load it\"",
			  name);
}

static void guardian_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ char *pem = NULL;
	const char *name = host_name(rq, a);
	int r, enabled = 0;

	if (!name)
		return;
	change_feed_guardians_lock();
	r = store_guardian_pem(h->st, name, &pem, &enabled);
	if (r == -ENOENT || (r == 0 && enabled)) {
		/* nothing to load: the store audits "no such" or "unchanged" */
		r = store_guardian_set_enabled(h->st, name, 1, rq->who);
	} else if (r == 0) {
		r = keyproc_guardian_load(name, pem);
		if (r) {
			change_feed_guardians_unlock();
			log_errno(r, "admin", "step=\"loading the guardian's key file in the key process\" guardian=%s",
				  name);
			store_audit(h->st, rq->who, "guardian-enable", name, "error-key-file");
			answer_fail(a, HGS_R_INTERNAL_ERROR,
				    "the guardian's key file cannot be loaded (see the hgsd log)");
			return;
		}
		guardian_share(h, name);
		r = guardian_publish(h, rq->who, name, pem);
	}
	change_feed_guardians_unlock();
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
	change_feed_guardians_lock();
	r = store_guardian_remove(h->st, name, rq->who);
	if (r == 0 && store_guardian_key_drop(h->st, name, NULL))
		log_warn("admin", "guardian=%s msg=\"removed; the store still shares its key file\"",
			 name);
	if (r == 0 && keys_retire_guardian_file(h, name, moved, sizeof(moved))) {
		log_warn("admin", "guardian=%s msg=\"removed; its key file could not be renamed\"",
			 name);
		moved[0] = 0;
	}
	change_feed_guardians_unlock();
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
	_cleanup_(vms_baseline_free) struct vms_baseline b = { 0 };
	_cleanup_free_ char *canon = NULL;
	const char *text = req_str(rq, a, "baseline", VMS_EVLOG_MAX_BYTES);
	char e[128], sha[65];
	uint8_t md[32];
	int r;

	if (!text)
		return;
	if (vms_baseline_from_json(text, strlen(text), &b, e)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "not a boot baseline: %s", e);
		return;
	}
	/* store the canonical form: what the admin sees back is what is used */
	canon = vms_baseline_to_json(&b);
	if (!canon || !EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(md, 32, sha);
	r = store_baseline_add(h->st, b.name, b.version, b.hw_class, b.enabled, canon, sha,
			       rq->who);
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

/*
 * The entries of a tpm/digests/add request: their digests in lower case
 * (@lower, @dg) and descriptions (@ds), @n of each; -EINVAL for a bad one.
 */
static int digest_entries(json_t *arr, char (*lower)[65], const char **dg,
			  const char **ds)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *desc = json_string_value(json_object_get(e, "description"));
		uint8_t raw[32];

		if (!d || vms_hex_decode_exact(d, raw, 32) || (desc && strlen(desc) > 4096))
			return -EINVAL;
		vms_hex_encode(raw, 32, lower[i]);
		dg[i] = lower[i];
		ds[i] = desc ? desc : "";
	}
	return 0;
}

/* {kind, entries: [{digest, description}, ...]} in one audited change */
static void tpm_digests_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ const char **dg = NULL, **ds = NULL;
	_cleanup_free_ char (*lower)[65] = NULL;
	const char *kind = digest_kind(rq, a);
	json_t *arr = rq->body ? json_object_get(rq->body, "entries") : NULL;
	size_t n;

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
		return;
	}
	if (digest_entries(arr, lower, dg, ds)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "every entry needs 'digest' (SHA-256, 64 hex digits) and may have 'description' (at most 4096 characters)");
		return;
	}
	finish(h, a, store_tpm_digests_add(h->st, kind, dg, ds, n, rq->who),
	       json_pack("{s:s, s:I}", "kind", kind, "entries", (json_int_t)n));
	log_info("admin", "who=\"%s\" action=tpm-digests-add kind=%s entries=%zu result=%s",
		 rq->who, kind, n, vms_hgs_reason_name(a->reason));
}

static void tpm_digest_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *kind = digest_kind(rq, a), *d;
	char lower[65];

	if (!kind)
		return;
	d = digest_arg(rq, a, lower);
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

/*
 * The certificate sent (@in, PEM or DER) as DER and as an approvable IMA
 * key (@k; vms_ima_key_free() it): 0, -ENOMEM, or the reason to refuse it
 * (ima_key_refusal(); @why says more for -EKEYREJECTED).
 */
static int ima_key_parse(const uint8_t *in, size_t len, uint8_t **der, size_t *dlen,
			 struct vms_ima_key *k, char *why, size_t whylen)
{
	int r;

	r = ima_cert_der(in, len, der, dlen);
	if (r)
		return r;
	r = vms_ima_key_from_der(*der, *dlen, k);
	if (r)
		return r;
	r = vms_ima_key_strong_enough(k, why, whylen);
	if (r)
		vms_ima_key_free(k);
	return r;
}

/* The certificate's subject, one line ("" if it has none). */
static void cert_subject(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	_cleanup_(X509_freep) X509 *x = NULL;
	const unsigned char *p = der;

	x = d2i_X509(NULL, &p, (long)len);
	if (!x || !X509_NAME_oneline(X509_get_subject_name(x), out, (int)outlen))
		out[0] = 0;
}

/* An IMA key that cannot be approved: refused, audited, logged. */
static void ima_key_refused(struct hgsd *h, struct request *rq, struct answer *a,
			    int r, const char *why)
{
	store_audit(h->st, rq->who, "ima-key-add",
		    r == -ENOKEY ? "no subjectKeyIdentifier" :
		    r == -ENOTSUP ? "key type" :
		    r == -EKEYREJECTED ? why : "not an X.509 certificate",
		    "refused");
	answer_fail(a, HGS_R_INVALID_REQUEST, ima_key_refusal(r));
	log_info("admin", "who=\"%s\" action=ima-key-add result=InvalidRequest error=%d",
		 rq->who, r);
}

/* {certificate: base64 of a PEM or DER file, description?} */
static void ima_key_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(vms_ima_key_free) struct vms_ima_key k = { 0 };
	_cleanup_free_ uint8_t *raw = NULL, *der = NULL;
	_cleanup_free_ char *hex = NULL;
	json_t *v = rq->body ? json_object_get(rq->body, "description") : NULL;
	const char *desc = "";
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
	r = ima_key_parse(raw, len, &der, &dlen, &k, why, sizeof(why));
	if (r == -ENOMEM) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	if (r) {
		ima_key_refused(h, rq, a, r, why);
		return;
	}
	vms_hex_encode(k.fpr, 32, fpr);
	snprintf(keyid, sizeof(keyid), "%08x", k.keyid);
	cert_subject(der, dlen, subject, sizeof(subject));
	hex = malloc(2 * dlen + 1);
	if (!hex) {
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
static void worker_history_show(struct hgsd *h, struct request *rq, struct answer *a)
{
	json_t *rows = store_list(h->st, STORE_LIST_WORKER_HISTORY, 0);
	json_t *row;
	size_t i;

	(void)rq;
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
	o = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:I}",
		      "pcrs", pcrs,
		      "check_module_digest", t->check_module_digest,
		      "runtime_allowlist", t->runtime_allowlist,
		      "require_ima_appraisal", t->require_ima_appraisal,
		      "require_secure_boot", t->require_secure_boot,
		      "report_at_load", t->report_at_load,
		      "allow_ima_violations", t->allow_ima_violations,
		      "allow_key_level_history", t->allow_key_level_history,
		      "require_locked_at_load", t->require_locked_at_load,
		      "require_ptrace_scope3", t->require_ptrace_scope3,
		      "require_no_crash_kernel", t->require_no_crash_kernel,
		      "module_digests", (json_int_t)t->n_module_digests,
		      "allowlist_digests", (json_int_t)t->n_allowlist,
		      "ima_keys", (json_int_t)t->n_ima_keys,
		      "baselines", (json_int_t)t->n_baselines,
		      "baselines_enabled", (json_int_t)enabled,
		      "require_lockdown_cmdline", t->require_lockdown_cmdline,
		      "ima_policy_digests", (json_int_t)t->n_ima_policy_digests);
	state_tpm_put(t);
	return o;
}

static json_t *policy_json(struct hgsd *h)
{
	struct policy p;
	json_t *d = json_array();
	char hex[65], types[64];
	unsigned int i;

	state_policy(h, &p);
	platform_types_format(p.platform_types, types, sizeof(types));
	for (i = 0; i < p.n_digests; i++) {
		vms_hex_encode(p.digests[i], 32, hex);
		json_array_append_new(d, json_string(hex));
	}
	return json_pack("{s:s, s:b, s:b, s:I, s:I, s:o, s:s, s:s, s:{s:I, s:I}, s:o}",
			 "min_isolation_level", vms_isolation_name(p.min_isolation_level),
			 "require_module_sig", p.require_module_sig,
			 "admin_cert_allow_list", p.admin_cert_allow_list,
			 "revocation_cutoff", (json_int_t)p.revocation_cutoff,
			 "worker_policy_version", (json_int_t)p.worker_policy_version,
			 "enabled_worker_digests", d,
			 "shielded_requires", "kernel-locked",
			 "platform_types", types,
			 "release_lifetime_s",
			 "shielded", (json_int_t)p.lifetime_shielded_s,
			 "encryption_supported", (json_int_t)p.lifetime_encryption_supported_s,
			 "tpm", tpm_policy_json(h));
}

static void policy_show(struct hgsd *h, struct request *rq, struct answer *a)
{
	(void)rq;
	answer_ok(a, json_pack("{s:o}", "policy", policy_json(h)));
}

static json_t *guardians_json(struct hgsd *h)
{
	json_t *gs = json_array();
	unsigned int i;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++)
		json_array_append_new(gs, json_pack("{s:s, s:b}", "name",
						    h->guardians[i].g.name, "primary",
						    h->guardians[i].primary));
	pthread_rwlock_unlock(&h->lock);
	return gs;
}

static void status(struct hgsd *h, struct request *rq, struct answer *a)
{
	long hosts = 0, enabled = 0;

	(void)rq;
	store_host_counts(h->st, &hosts, &enabled);
	answer_ok(a, json_pack("{s:s, s:i, s:I, s:{s:I, s:I}, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:o}",
		"service", "hgsd",
		"schema_version", store_schema_version(h->st),
		"uptime_s", (json_int_t)(time(NULL) - h->started),
		"hosts", "registered", (json_int_t)hosts, "enabled", (json_int_t)enabled,
		"guardians", guardians_json(h),
		"policy", policy_json(h),
		"counters",
		"attestations_passed", (json_int_t)__atomic_load_n(&h->attest_ok, __ATOMIC_RELAXED),
		"attestations_failed", (json_int_t)__atomic_load_n(&h->attest_fail, __ATOMIC_RELAXED),
		"releases_passed", (json_int_t)__atomic_load_n(&h->release_ok, __ATOMIC_RELAXED),
		"releases_failed", (json_int_t)__atomic_load_n(&h->release_fail, __ATOMIC_RELAXED),
		"recent_attestations", store_list(h->st, STORE_LIST_RECENT_ATTESTATIONS, 0),
		"recent_releases", store_list(h->st, STORE_LIST_RECENT_RELEASES, 0)));
}

/* The baseline in use for @name (its latest version), as stored. */
static json_t *baseline_json(struct hgsd *h, const char *name, int *found)
{
	_cleanup_free_ char *text = NULL;
	struct tpm_state *t = state_tpm_get(h);
	size_t i;

	*found = 0;
	for (i = 0; i < t->n_baselines && strcmp(t->baselines[i].name, name); i++)
		;
	if (i < t->n_baselines) {
		*found = 1;
		text = vms_baseline_to_json(&t->baselines[i]);
	}
	state_tpm_put(t);
	return text ? json_loads(text, 0, NULL) : NULL;
}

#define BASELINE_SHOW	"baselines/show/"

/* GET baselines/show/NAME */
static void baseline_show(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *name = rq->url + strlen(ADMIN_PREFIX BASELINE_SHOW);
	json_t *o;
	int found;

	if (!vms_host_name_valid(name)) {
		answer_fail(a, HGS_R_UNKNOWN_ENDPOINT, NULL);
		return;
	}
	o = baseline_json(h, name, &found);
	if (!found)
		answer_fail(a, HGS_R_NO_SUCH_OBJECT, NULL);
	else if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, json_pack("{s:o}", "baseline", o));
}

/* ---- routing ---- */

static void hosts_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	host_simple(h, rq, a, "enable");
}

static void hosts_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	host_simple(h, rq, a, "disable");
}

static void hosts_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	host_simple(h, rq, a, "remove");
}

static void workers_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	worker_enable(h, rq, a, 1);
}

static void workers_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	worker_enable(h, rq, a, 0);
}

static void baselines_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	baseline_enable(h, rq, a, 1);
}

static void baselines_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	baseline_enable(h, rq, a, 0);
}

/* {sha256, role}: admin (everything) or reviewer (read only). */
static void admin_cert_role(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *f = req_str(rq, a, "sha256", 64), *role = f ? req_str(rq, a, "role", 16) : NULL;
	uint8_t raw[32];
	char lower[65];
	int r;

	if (!role)
		return;
	if (vms_hex_decode_exact(f, raw, 32)) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'sha256' must be the certificate's SHA-256 (64 hex digits)");
		return;
	}
	if (strcmp(role, "admin") && strcmp(role, "reviewer")) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'role' must be admin or reviewer");
		return;
	}
	vms_hex_encode(raw, 32, lower);
	r = store_admin_cert_role(h->st, lower, role, rq->who);
	finish(h, a, r, json_pack("{s:s, s:s}", "sha256", lower, "role", role));
	log_info("admin", "who=\"%s\" action=admin-cert-role sha256=%s role=%s result=%s",
		 rq->who, lower, role, vms_hgs_reason_name(a->reason));
}

/*
 * GET audit?since=ID&limit=N: the rows after ID, oldest first, with
 * their node and hashes (shieldctl hgs audit verify pages through them);
 * without arguments the newest 200, newest first.
 */
static int arg_number(struct request *rq, struct answer *a, const char *name,
		      long long min, long long max, long long *out)
{
	const char *v = json_string_value(json_object_get(rq->args, name));
	char *end;

	if (!v)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (!*v || *end || errno || *out < min || *out > max) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "argument '%s' must be a number from %lld to %lld",
			     name, min, max);
		return -1;
	}
	return 1;
}

static void audit_show(struct hgsd *h, struct request *rq, struct answer *a)
{
	long long since = 0, limit = 1000;
	int s = arg_number(rq, a, "since", 0, INT64_MAX, &since);
	int l = s < 0 ? -1 : arg_number(rq, a, "limit", 1, 10000, &limit);
	json_t *rows;

	if (s < 0 || l < 0)
		return;
	rows = s || l ? store_audit_since(h->st, since, (long)limit) :
	       store_list(h->st, STORE_LIST_AUDIT, 0);
	if (!rows) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	answer_ok(a, json_pack("{s:o}", "audit", rows));
}

/* GET backup: the store's state tables, one consistent snapshot. */
static void backup_show(struct hgsd *h, struct request *rq, struct answer *a)
{
	json_t *b = store_backup(h->st);

	if (!b) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, "the store could not be read for a backup");
		return;
	}
	answer_ok(a, json_pack("{s:o}", "backup", b));
	log_info("admin", "who=\"%s\" action=backup result=Passed", rq->who);
}

/* POST restore {backup}: merged by the rules of store_backup.c. */
static void restore(struct hgsd *h, struct request *rq, struct answer *a)
{
	json_t *b = json_object_get(rq->body, "backup");
	long added = 0;
	int r;

	if (!json_is_object(b)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'backup' must be what GET /v1/admin/backup answered");
		return;
	}
	r = store_restore(h->st, b, rq->who, &added);
	if (r == -EINVAL)
		answer_fail(a, HGS_R_INVALID_REQUEST, "not an HGS backup (format vmshield-hgs-backup-1)");
	else if (r == -EPROTONOSUPPORT)
		answer_fail(a, HGS_R_INVALID_REQUEST, "the backup's schema is newer than this hgsd's: upgrade hgsd first");
	else
		finish(h, a, r, json_pack("{s:I}", "rows_added", (json_int_t)added));
	log_info("admin", "who=\"%s\" action=restore rows_added=%ld result=%s", rq->who, added,
		 vms_hgs_reason_name(a->reason));
}

static void admin_cert_revoke(struct hgsd *h, struct request *rq, struct answer *a)
{
	admin_cert_set(h, rq, a, "revoked");
}

static void admin_cert_allow(struct hgsd *h, struct request *rq, struct answer *a)
{
	admin_cert_set(h, rq, a, "allowed");
}

/* GET PATH answers {KEY: the store's list} (store.h). */
struct admin_list {
	const char *path, *key;
	enum store_list which;
};

static const struct admin_list admin_lists[] = {
	{ "hosts", "hosts", STORE_LIST_HOSTS },
	{ "baselines", "baselines", STORE_LIST_BASELINES },
	{ "tpm/digests", "digests", STORE_LIST_TPM_DIGESTS },
	{ "tpm/ima-keys", "ima_keys", STORE_LIST_IMA_KEYS },
	{ "platforms", "platforms", STORE_LIST_PLATFORMS },
	{ "workers", "workers", STORE_LIST_WORKERS },
	{ "guardians", "guardians", STORE_LIST_GUARDIANS },
	{ "admin-certs", "admin_certs", STORE_LIST_ADMIN_CERTS },
	{ "events", "events", STORE_LIST_EVENTS },
};

static void list(struct hgsd *h, struct answer *a, const struct admin_list *l)
{
	json_t *rows = store_list(h->st, l->which, 0);

	if (!rows) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	answer_ok(a, json_pack("{s:o}", l->key, rows));
}

/* METHOD PATH (under /v1/admin/; with @prefix, PATH starts the path). */
struct admin_route {
	const char *method, *path;
	request_handler_fn fn;
	int prefix;
};

static const struct admin_route admin_routes[] = {
	{ "GET", "status", status, 0 },
	{ "GET", "policy", policy_show, 0 },
	{ "POST", "policy/set", policy_set, 0 },
	{ "POST", "hosts/add", host_add, 0 },
	{ "POST", "hosts/enable", hosts_enable, 0 },
	{ "POST", "hosts/disable", hosts_disable, 0 },
	{ "POST", "hosts/remove", hosts_remove, 0 },
	{ "POST", "workers/add", worker_add, 0 },
	{ "POST", "workers/enable", workers_enable, 0 },
	{ "POST", "workers/disable", workers_disable, 0 },
	{ "GET", "workers/history", worker_history_show, 0 },
	{ "POST", "guardians/add", guardian_add, 0 },
	{ "POST", "guardians/primary", guardian_primary, 0 },
	{ "POST", "guardians/disable", guardian_disable, 0 },
	{ "POST", "guardians/enable", guardian_enable, 0 },
	{ "POST", "guardians/remove", guardian_remove, 0 },
	{ "POST", "admin-certs/revoke", admin_cert_revoke, 0 },
	{ "POST", "admin-certs/allow", admin_cert_allow, 0 },
	{ "POST", "admin-certs/role", admin_cert_role, 0 },
	{ "GET", "audit", audit_show, 0 },
	{ "GET", "backup", backup_show, 0 },
	{ "POST", "restore", restore, 0 },
	{ "GET", BASELINE_SHOW, baseline_show, 1 },
	{ "POST", "baselines/add", baseline_add, 0 },
	{ "POST", "baselines/enable", baselines_enable, 0 },
	{ "POST", "baselines/disable", baselines_disable, 0 },
	{ "POST", "tpm/digests/add", tpm_digests_add, 0 },
	{ "POST", "tpm/digests/remove", tpm_digest_remove, 0 },
	{ "POST", "tpm/ima-keys/add", ima_key_add, 0 },
	{ "POST", "tpm/ima-keys/remove", ima_key_remove, 0 },
	{ "POST", "platforms/add", handle_platform_add, 0 },
	{ "POST", "platforms/enable", handle_platform_enable, 0 },
	{ "POST", "platforms/disable", handle_platform_disable, 0 },
	{ "POST", "platforms/remove", handle_platform_remove, 0 },
	{ "GET", "vms/status/", handle_vm_status, 1 },
};

static int route_matches(const struct admin_route *rt, const char *method, const char *p)
{
	if (strcmp(method, rt->method))
		return 0;
	return rt->prefix ? !strncmp(p, rt->path, strlen(rt->path)) : !strcmp(p, rt->path);
}

/*
 * Roles: every GET reads, every POST changes something. A reviewer may
 * read; a change needs the admin role, and its refusal says so and is
 * audited.
 */
static int role_allows(struct hgsd *h, struct request *rq, struct answer *a)
{
	if (rq->role == ADMIN_ROLE_ADMIN ||
	    (rq->role == ADMIN_ROLE_REVIEWER && !strcmp(rq->method, "GET")))
		return 1;
	store_audit(h->st, rq->who, "denied", rq->url, "refused-missing-role-admin");
	answer_failf(a, HGS_R_ADMIN_NOT_AUTHORIZED,
		     "this changes HGS and needs the admin role; %s has the %s role (read only)",
		     rq->who, rq->role == ADMIN_ROLE_REVIEWER ? "reviewer" : "no");
	return 0;
}

void handle_admin(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *p = rq->url + strlen(ADMIN_PREFIX);
	size_t i;

	if (!role_allows(h, rq, a))
		return;

	for (i = 0; i < ARRAY_SIZE(admin_routes); i++) {
		if (route_matches(&admin_routes[i], rq->method, p)) {
			admin_routes[i].fn(h, rq, a);
			return;
		}
	}
	for (i = 0; !strcmp(rq->method, "GET") && i < ARRAY_SIZE(admin_lists); i++) {
		if (!strcmp(p, admin_lists[i].path)) {
			list(h, a, &admin_lists[i]);
			return;
		}
	}
	answer_fail(a, HGS_R_UNKNOWN_ENDPOINT, NULL);
}
