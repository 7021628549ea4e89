// SPDX-License-Identifier: GPL-2.0
/*
 * kps.c - the key protection service.
 *
 *   POST /v1/kps/release {health_certificate, key_protector, vm_id,
 *                         enclave_challenge, challenge_ns}
 *     -> {key_release, vm_id, key_id, policy, lifetime_s,
 *         worker_policy_version, worker_digests, kps_public_key}
 *
 * Release format v2: the release is made with HPKE auth mode from the KPS
 * key (keyproc.c) and answers the enclave challenge the agent got from the
 * module (VMSHIELD_IOC_RELEASE_CHALLENGE) with its issue time on the
 * enclave's clock. A request without a challenge is refused
 * (EnclaveChallengeRequired); every answer names kps_public_key, the one
 * key the agent tells the enclave to accept.
 *
 * Checks, in order: request shape; the certificate (DER, issued by this
 * HGS's attestation signer, within its validity, not issued before the
 * revocation cut-off, a vmshield health certificate); its host (still
 * registered with the same key, enabled); the KP (owner signature,
 * one of this HGS's guardians among its recipients, the envelope opens);
 * the VM id; the policy (shielded needs kernel-locked and at least one
 * approved worker digest). Only then is the TK wrapped to the enclave key
 * of the certificate (vms_kr_build). Every refusal wipes the TK, if it
 * was unwrapped, and releases nothing.
 *
 * The TK roll (issue 20, Documentation/migration.md "The TK roll"): HGS
 * holds each VM's TK version (store_vm.c). A KP older than it is refused
 * (KeyProtectorSuperseded); a release with "roll": true releases the
 * current TK and a new one (release flag bit 0) and answers the rolled
 * KP; the new version is pending until the host confirms it
 *   POST /v1/kps/confirm {health_certificate, vm_id, tk_version, key_id}
 * (or shows the rolled KP at its next release). The version moves in the
 * same transaction that records the release. An agent's renewal says
 * "renewal": true and never rolls (with "roll": true: InvalidRequest).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/vmshield.h>

#include "admin.h"
#include "hgsd.h"
#include "keyproc.h"
#include "kps.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_vm.h"
#include "vms_b64.h"
#include "vms_cleanup_json.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_cert.h"
#include "vms_kp.h"
#include "vms_x509.h"
#include "vmshield.h"

#define CERT_MAX 8192

/*
 * The verified-certificate cache: a host presents the same health
 * certificate for every VM it starts (hundreds after a reboot), so the
 * result of parsing it and checking the signer's signature is kept,
 * keyed by the SHA-256 of the whole DER (no secret: certificates are
 * public). A hit still checks the validity window against the current
 * time, the revocation cut-off and the host's registration, exactly as a
 * miss does. Direct-mapped, cert_cache_entries slots (0 = off).
 */
struct cert_slot {
	uint8_t hash[32];
	int used;
	struct vms_health_cert_info info;
};

static struct cert_slot *cache;
static size_t cache_n;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int kps_init(struct hgsd *h)
{
	cache_n = h->cfg.cert_cache_entries;
	if (!cache_n)
		return 0;
	cache = calloc(cache_n, sizeof(*cache));
	return cache ? 0 : -ENOMEM;
}

void kps_free(void)
{
	free(cache);
	cache = NULL;
	cache_n = 0;
}

static size_t slot_of(const uint8_t hash[32])
{
	uint64_t x;

	memcpy(&x, hash, sizeof(x));
	return (size_t)(x % cache_n);
}

static int cache_get(const uint8_t hash[32], struct vms_health_cert_info *info)
{
	struct cert_slot *sl;
	int hit = 0;

	if (!cache_n)
		return 0;
	sl = &cache[slot_of(hash)];
	pthread_mutex_lock(&cache_lock);
	if (sl->used && !memcmp(sl->hash, hash, 32)) {
		*info = sl->info;
		hit = 1;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const uint8_t hash[32], const struct vms_health_cert_info *info)
{
	struct cert_slot *sl;

	if (!cache_n)
		return;
	sl = &cache[slot_of(hash)];
	pthread_mutex_lock(&cache_lock);
	memcpy(sl->hash, hash, 32);
	sl->info = *info;
	sl->used = 1;
	pthread_mutex_unlock(&cache_lock);
}

static enum vms_hgs_reason verify_cert(struct hgsd *h, const uint8_t *der, size_t len,
				       time_t now, struct vms_health_cert_info *info)
{
	_cleanup_(X509_freep) X509 *c = NULL;
	uint8_t hash[32];
	int r, hit;

	if (cache_n && !EVP_Digest(der, len, hash, NULL, EVP_sha256(), NULL))
		return HGS_R_INTERNAL_ERROR;
	hit = cache_get(hash, info);
	if (cache_n)
		metrics_cert_cache(hit);	/* metrics.c */
	if (hit)
		return now >= info->not_before && now <= info->not_after ?
			HGS_PASSED : HGS_R_CERT_EXPIRED;
	if (vms_cert_from_der(der, len, &c))
		return HGS_R_CERT_MALFORMED;
	r = vms_health_cert_verify(c, h->signer_cert, now);
	if (r == -EKEYEXPIRED)
		return HGS_R_CERT_EXPIRED;
	if (r)
		return HGS_R_CERT_UNTRUSTED_SIGNER;
	if (vms_health_cert_parse(c, info))
		return HGS_R_CERT_MALFORMED;
	cache_put(hash, info);
	return HGS_PASSED;
}

static enum vms_hgs_reason check_cert(struct hgsd *h, const uint8_t *der, size_t len,
				      const struct policy *pol, time_t now,
				      struct vms_health_cert_info *info)
{
	enum vms_hgs_reason rr;
	struct host_entry host;
	int r;

	rr = verify_cert(h, der, len, now, info);
	if (rr != HGS_PASSED)
		return rr;
	if (pol->revocation_cutoff && info->issued < pol->revocation_cutoff)
		return HGS_R_CERT_REVOKED;
	if (state_host(h, info->host, &host))
		return HGS_R_HOST_NOT_REGISTERED;
	/* a TPM-mode certificate names the EK's fingerprint */
	r = host.enabled ? (strcmp(!strcmp(info->mode, "tpm") ? host.ek_fpr : host.fpr,
				   info->host_key_fpr) ? 2 : 0) : 1;
	host_entry_release(&host);
	if (r == 1)
		return HGS_R_HOST_DISABLED;
	if (r == 2)
		return HGS_R_HOST_KEY_CHANGED;
	return HGS_PASSED;
}

/* 1 if the guardian @pem (its encryption certificate) is among @rc. */
static int guardian_among(const char *pem, STACK_OF(X509) *rc)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	int j;

	if (vms_guardian_from_pem(pem, strlen(pem), NULL, &g))
		return 0;
	for (j = 0; j < sk_X509_num(rc); j++)
		if (!X509_cmp(sk_X509_value(rc, j), g.enc_cert))
			return 1;
	return 0;
}

/*
 * KeyProtectorNotForThisHgs, made precise: if one of the KP's recipients
 * is a guardian of this HGS that an admin disabled, say so. Only on that
 * failure path; compares certificates, decrypts nothing.
 */
static enum vms_hgs_reason not_for_us_reason(struct hgsd *h, const uint8_t *kp, size_t len)
{
	_cleanup_(vms_x509_stack_freep) STACK_OF(X509) *rc = NULL;
	_cleanup_json_ json_t *rows = NULL;
	json_t *row;
	size_t i;

	rows = store_list(h->st, STORE_LIST_DISABLED_GUARDIAN_CERTS, 0);
	if (!rows || !json_array_size(rows) || vms_kp_recipients(kp, len, &rc))
		return HGS_R_KP_NOT_FOR_THIS_HGS;
	json_array_foreach(rows, i, row) {
		const char *pem = json_string_value(json_object_get(row, "certificates"));

		if (pem && guardian_among(pem, rc))
			return HGS_R_KP_GUARDIAN_DISABLED;
	}
	return HGS_R_KP_NOT_FOR_THIS_HGS;
}

/*
 * The enclave challenge a v2 release answers: 64 hex digits and the
 * enclave's clock at issue (ns, an integer). Without one there is nothing
 * to bind the release to: EnclaveChallengeRequired (the agent then asks
 * its module for one, naming kps_public_key from this answer).
 */
static enum vms_hgs_reason req_challenge(struct request *rq, struct answer *a,
					 struct keyproc_release_req *krq)
{
	json_t *c = json_object_get(rq->body, "enclave_challenge");
	json_t *ns = json_object_get(rq->body, "challenge_ns");

	if (!c && !ns) {
		answer_fail(a, HGS_R_ENCLAVE_CHALLENGE_REQUIRED, NULL);
		return a->reason;
	}
	if (req_hex(rq, a, "enclave_challenge", krq->challenge,
		    sizeof(krq->challenge)))
		return a->reason;
	if (!json_is_integer(ns) || json_integer_value(ns) < 0) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'challenge_ns' must be a non-negative integer");
		return a->reason;
	}
	krq->challenge_ns = (uint64_t)json_integer_value(ns);
	return HGS_PASSED;
}

/* kps_public_key, in every release answer (hex); NULL if unavailable. */
json_t *kps_key_json(void)
{
	uint8_t pk[32];
	char hex[65];

	if (keyproc_kps_public_key(pk))
		return NULL;
	vms_hex_encode(pk, sizeof(pk), hex);
	return json_string(hex);
}

/* struct release_out: kps.h (kps_migrate.c makes releases too) */

/* "roll": absent or false (a plain release), true (the TK roll). */
static int req_roll(struct request *rq, struct answer *a, uint32_t *roll)
{
	json_t *v = json_object_get(rq->body, "roll");

	*roll = 0;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'roll' must be true or false");
		return -EINVAL;
	}
	*roll = json_is_true(v);
	return 0;
}

/*
 * "renewal": true marks an agent's renewal of a key it loaded before
 * expiry (hgs-cluster.md §3a): the same TK again, never a roll (the
 * worker keeps its state sealed under the TK it has; a roll would leave
 * a pending version nobody re-seals to). A renewal asking for a roll is
 * refused before anything is unwrapped.
 */
static int req_renewal(struct request *rq, struct answer *a, uint32_t roll, int *renewal)
{
	json_t *v = json_object_get(rq->body, "renewal");

	*renewal = 0;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'renewal' must be true or false");
		return -EINVAL;
	}
	*renewal = json_is_true(v);
	if (*renewal && roll) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "a renewal never rolls the transport key: 'renewal' and 'roll' cannot both be true");
		return -EINVAL;
	}
	return 0;
}

/*
 * A release's lifetime: its KP policy's (HGS policy, shared by the
 * cluster), at most this node's release_lifetime_s and what is left of
 * the health certificate.
 */
static uint32_t release_lifetime(const struct hgsd *h, const struct policy *pol,
				 unsigned int kp_policy, long cert_remaining)
{
	long life = (long)policy_release_lifetime(pol, kp_policy);

	if (life > (long)h->cfg.release_lifetime_s)
		life = (long)h->cfg.release_lifetime_s;
	return (uint32_t)(life > cert_remaining ? cert_remaining : life);
}

static enum vms_hgs_reason release(struct hgsd *h, struct request *rq,
				   struct answer *a, struct release_out *out)
{
	_cleanup_free_ uint8_t *cert = NULL, *kp = NULL;
	struct keyproc_release_req krq;
	const char *vm_str;
	size_t certlen, kplen;
	enum vms_hgs_reason r;
	struct policy pol;
	time_t now = time(NULL);
	long remaining;

	memset(&krq, 0, sizeof(krq));
	if (req_b64(rq, a, "health_certificate", CERT_MAX, &cert, &certlen) ||
	    req_b64(rq, a, "key_protector", VMS_KP_MAX_LEN, &kp, &kplen))
		return a->reason;
	vm_str = req_str(rq, a, "vm_id", 36);
	if (!vm_str)
		return a->reason;
	if (vms_uuid_parse(vm_str, krq.vm_id)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'vm_id' must be a UUID");
		return a->reason;
	}
	r = req_challenge(rq, a, &krq);
	if (r != HGS_PASSED)
		return r;
	if (req_roll(rq, a, &krq.roll) ||
	    req_renewal(rq, a, krq.roll | out->force_roll, &out->renewal))
		return a->reason;
	krq.roll |= out->force_roll;	/* a migration always rolls */
	state_policy(h, &pol);
	r = check_cert(h, cert, certlen, &pol, now, &out->cert);
	if (r != HGS_PASSED)
		return r;
	remaining = (long)(out->cert.not_after - now);
	if (remaining < 1)
		return HGS_R_CERT_EXPIRED;
	r = kps_vtpm_check(h, rq, a, &out->cert, krq.vm_id, vm_str, &out->vt);
	if (r != HGS_PASSED)
		return r;
	krq.vtpm_floor = out->vt.st.floor;	/* issue 21: release flag bit 2 */
	/* The key process unwraps, checks VM id and policy, and wraps. */
	memcpy(krq.enclave_pk, out->cert.enclave_pk, 32);
	krq.level = out->cert.level;
	krq.placement = out->cert.placement;
	krq.platform = out->cert.platform;
	krq.attest_mode = !strcmp(out->cert.mode, "tpm") ? VMS_KP_ATTEST_TPM :
			  VMS_KP_ATTEST_HOST_KEY;
	krq.lifetime_s = release_lifetime(h, &pol, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, remaining);
	krq.lifetime_shielded_s = release_lifetime(h, &pol, VMS_KR_POLICY_SHIELDED, remaining);
	krq.n_digests = pol.n_digests;
	memcpy(krq.digests, pol.digests, sizeof(krq.digests));
	r = keyproc_release_roll(&krq, kp, kplen, &out->rep, &out->rolled, &out->rolled_len);
	if (r == HGS_R_KP_NOT_FOR_THIS_HGS)
		r = not_for_us_reason(h, kp, kplen);
	if (r == HGS_PASSED)
		r = kps_vtpm_key_check(h, a, vm_str, out->rep.info.key_id, &out->vt);
	out->lifetime = out->rep.info.policy == VMS_KR_POLICY_SHIELDED ?
			krq.lifetime_shielded_s : krq.lifetime_s;
	out->worker_version = pol.worker_policy_version;
	out->n_digests = pol.n_digests;
	return r;
}

/*
 * Record the release (its event row) and, for a VM HGS holds a version
 * of or a roll, check and move the version in the same transaction.
 * HGS_PASSED, or the refusal (the answer is set).
 */
/*
 * A plain release of a shielded KP (migration.md §1.3b): a renewal, and
 * the longest lifetime a release of it has (this node's policy, not cut
 * by a certificate). NULL for a roll or an encryption-supported KP, which
 * keep plain releases.
 */
static const struct store_vm_plain *plain_rule(struct hgsd *h, const struct release_out *out,
					       struct store_vm_plain *p)
{
	struct policy pol;

	if (out->rolled || out->rep.info.policy != VMS_KR_POLICY_SHIELDED)
		return NULL;
	state_policy(h, &pol);
	p->renewal = out->renewal;
	p->window_s = (long)release_lifetime(h, &pol, VMS_KR_POLICY_SHIELDED, LONG_MAX);
	return p;
}

static enum vms_hgs_reason record_release(struct hgsd *h, struct answer *a,
					  struct release_out *out, const char *vm,
					  const char *detail, uint64_t *next_version)
{
	struct store_vm_key cur;
	struct store_vm_plain plain;
	int r, roll = out->rolled != NULL;

	*next_version = 0;
	/* the common start of a VM never rolled: no row, one event (as before) */
	if (!roll && !out->rep.info.tk_version && !out->vt.st.statement &&
	    store_vm_get(h->st, vm, &cur) == -ENOENT)
		r = store_event_durable(h->st, "release", out->cert.host, "Passed", detail);
	else
		r = store_vm_release_vtpm(h->st, vm, out->rep.info.tk_version,
					  out->rep.info.key_id, roll, out->rep.next_key_id,
					  out->cert.host, detail, &out->vt.st,
					  plain_rule(h, out, &plain), next_version);
	if (r == -ERANGE) {
		answer_fail(a, HGS_R_VTPM_GENERATION_STALE,
			    "HGS's vTPM generation for this VM rose above this statement's meanwhile");
		return a->reason;
	}
	if (r == -ESTALE) {
		answer_fail(a, HGS_R_KP_SUPERSEDED, NULL);
		return a->reason;
	}
	if (r == -ENOKEY) {
		answer_fail(a, HGS_R_TK_ROLL_REQUIRED, NULL);
		return a->reason;
	}
	if (r == -EAGAIN) {
		answer_fail(a, HGS_R_BUSY, "this VM's key version or vTPM generation changed meanwhile: retry");
		return a->reason;
	}
	if (r) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
		return a->reason;
	}
	return HGS_PASSED;
}

static void release_refused(struct hgsd *h, struct answer *a, struct release_out *out)
{
	char hbuf[80];

	__atomic_fetch_add(&h->release_fail, 1, __ATOMIC_RELAXED);
	store_event(h->st, "release", out->cert.host[0] ? out->cert.host : "-",
		    vms_hgs_reason_name(a->reason), "");
	if (h->cfg.log_requests)
		log_info("release", "host=%s result=%s",
			 log_safe(out->cert.host, hbuf, sizeof(hbuf)),
			 vms_hgs_reason_name(a->reason));
}

/* The answer's roll members: the rolled KP and its version and key id. */
json_t *kps_roll_json(const struct release_out *out, uint64_t next_version)
{
	_cleanup_free_ char *kp = NULL;
	char kid[33];

	if (!out->rolled)
		return NULL;
	kp = vms_b64_encode(out->rolled, out->rolled_len);
	if (!kp)
		return NULL;
	vms_hex_encode(out->rep.next_key_id, 16, kid);
	return json_pack("{s:s, s:I, s:s}", "key_protector", kp,
			 "next_tk_version", (json_int_t)next_version, "next_key_id", kid);
}

void handle_release(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ char *b64 = NULL;
	struct release_out out;
	enum vms_hgs_reason r;
	char vm[VMS_UUID_STR_LEN], kid[33], hbuf[80], detail[160];
	uint64_t next_version;
	json_t *o, *roll;

	memset(&out, 0, sizeof(out));
	r = release(h, rq, a, &out);
	if (r != HGS_PASSED) {
		free(out.rolled);
		if (a->reason == HGS_PASSED)
			answer_fail(a, r, NULL);
		if (r == HGS_R_ENCLAVE_CHALLENGE_REQUIRED) {
			json_t *k = kps_key_json();

			if (k) {
				json_decref(a->json);
				a->json = json_pack("{s:o}", "kps_public_key", k);
			}
		}
		release_refused(h, a, &out);
		return;
	}
	vms_uuid_format(out.rep.info.vm_id, vm);
	vms_hex_encode(out.rep.info.key_id, 16, kid);
	b64 = vms_b64_encode(out.rep.blob, out.rep.blob_len);
	if (!b64) {
		free(out.rolled);
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	snprintf(detail, sizeof(detail), "vm_id=%s key_id=%s policy=%u lifetime_s=%u tk_version=%llu%s%s",
		 vm, kid, out.rep.info.policy, out.lifetime,
		 (unsigned long long)out.rep.info.tk_version, out.rolled ? " roll=1" : "",
		 out.renewal ? " renewal=1" : "");
	if (record_release(h, a, &out, vm, detail, &next_version) != HGS_PASSED) {
		free(out.rolled);
		release_refused(h, a, &out);
		return;
	}
	__atomic_fetch_add(&h->release_ok, 1, __ATOMIC_RELAXED);
	if (h->cfg.log_requests)
		log_info("release", "host=%s result=Passed %s", log_safe(out.cert.host, hbuf,
			 sizeof(hbuf)), detail);
	roll = kps_roll_json(&out, next_version);
	free(out.rolled);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o*, s:I}",
		      "key_release", b64, "vm_id", vm, "key_id", kid,
		      "policy", out.rep.info.policy == VMS_KR_POLICY_SHIELDED ?
		      "shielded" : "encryption-supported",
		      "lifetime_s", (json_int_t)out.lifetime,
		      "worker_policy_version", (json_int_t)out.worker_version,
		      "worker_digests", (json_int_t)out.n_digests,
		      "kps_public_key", kps_key_json(),
		      "tk_version", (json_int_t)out.rep.info.tk_version);
	if (o && out.rolled_len && (!roll || json_object_update(o, roll))) {
		/* released and recorded, but the rolled KP cannot be sent */
		json_decref(o);
		o = NULL;
	}
	json_decref(roll);
	if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, o);
}

/*
 * POST /v1/kps/confirm: the host re-sealed the VM's state under the
 * rolled TK; the version it names becomes the acknowledged one (once).
 */
void handle_confirm(struct hgsd *h, struct request *rq, struct answer *a)
{
	struct vms_health_cert_info info;
	uint8_t key_id[16];
	char vm[VMS_UUID_STR_LEN], hbuf[80];
	json_t *ver = json_object_get(rq->body, "tk_version");
	int r;

	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'tk_version' must be an integer >= 1");
		return;
	}
	if (req_hex(rq, a, "key_id", key_id, sizeof(key_id)) ||
	    kps_host_vm_req(h, rq, a, &info, vm))
		return;
	r = store_vm_confirm(h->st, vm, (uint64_t)json_integer_value(ver), key_id, info.host);
	if (r == -ESTALE || r == -EPERM || r == -ENOENT)
		answer_fail(a, HGS_R_TK_ROLL_NOT_PENDING, NULL);
	else if (r == -EAGAIN)
		answer_fail(a, HGS_R_BUSY, "this VM's key version changed meanwhile: retry");
	else if (r < 0)
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
	else
		answer_ok(a, json_pack("{s:s, s:I, s:b}", "vm_id", vm, "tk_version",
				       json_integer_value(ver), "unchanged", r == 1));
	if (h->cfg.log_requests)
		log_info("confirm", "host=%s vm_id=%s tk_version=%lld result=%s",
			 log_safe(info.host, hbuf, sizeof(hbuf)), vm,
			 (long long)json_integer_value(ver), vms_hgs_reason_name(a->reason));
}

/* The guardians tenants may protect keys to, the primary first. */
static json_t *guardians_json(struct hgsd *h)
{
	json_t *gs = json_array();
	unsigned int i;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; gs && i < h->n_guardians; i++) {
		_cleanup_free_ char *pem = NULL;

		if (vms_guardian_to_pem(&h->guardians[i].g, &pem))
			continue;
		json_array_append_new(gs, json_pack("{s:s, s:b, s:s}",
				"name", h->guardians[i].g.name,
				"primary", h->guardians[i].primary,
				"certificates", pem));
	}
	pthread_rwlock_unlock(&h->lock);
	return gs;
}

void handle_metadata(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ char *signer = NULL;
	json_t *o;

	(void)rq;
	if (vms_cert_to_pem(h->signer_cert, &signer)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	/* "o" takes the list's reference, on failure too */
	o = json_pack("{s:i, s:s, s:o, s:[s, s], s:o*}", "protocol_version", 1,
		      "signer_certificate", signer, "guardians", guardians_json(h),
		      "attestation_modes", "host-key", "tpm",
		      "kps_public_key", kps_key_json());
	if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, o);
}

#define VM_STATUS	"vms/status/"

/*
 * GET /v1/admin/vms/status/VM_ID (admin or reviewer): HGS's view of one
 * VM's transport key: the acknowledged version and key id, a pending
 * roll, the host and time of the last release, the rolls made and
 * confirmed (a consistent VM has version == confirmed_rolls), the vTPM
 * generation; a VM never rolled with a generation: only that (issue 21).
 */
void handle_vm_status(struct hgsd *h, struct request *rq, struct answer *a)
{
	const char *vm = rq->url + strlen(ADMIN_PREFIX VM_STATUS);
	uint8_t id[16];
	json_t *o;
	int r;

	if (strlen(vm) != 36 || vms_uuid_parse(vm, id)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "the VM id must be a UUID");
		return;
	}
	o = store_vm_status(h->st, vm, &r);
	if (r == -ENOENT)
		answer_failf(a, HGS_R_NO_SUCH_OBJECT,
			     "HGS has not rolled this VM's key (version 0: its owner's key protector) and holds no vTPM generation for it");
	else if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	else
		answer_ok(a, json_pack("{s:o}", "vm", o));
}

/* For kps_migrate.c: a release's checks and wrap, nothing recorded. */
enum vms_hgs_reason kps_release_checked(struct hgsd *h, struct request *rq, struct answer *a,
					struct release_out *out)
{
	return release(h, rq, a, out);
}

/*
 * The start of a host's request about one of its VMs (/v1/kps/confirm,
 * /v1/kps/migrated): health_certificate checked as for a release, vm_id
 * a UUID (as text in @vm). 0, or -1 with the answer set.
 */
int kps_host_vm_req(struct hgsd *h, struct request *rq, struct answer *a,
		    struct vms_health_cert_info *info, char vm[VMS_UUID_STR_LEN])
{
	_cleanup_free_ uint8_t *cert = NULL;
	enum vms_hgs_reason rr;
	const char *vm_str;
	uint8_t vm_id[16];
	struct policy pol;
	size_t certlen;

	memset(info, 0, sizeof(*info));
	if (req_b64(rq, a, "health_certificate", CERT_MAX, &cert, &certlen))
		return -1;
	vm_str = req_str(rq, a, "vm_id", 36);
	if (!vm_str)
		return -1;
	if (vms_uuid_parse(vm_str, vm_id)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'vm_id' must be a UUID");
		return -1;
	}
	state_policy(h, &pol);
	rr = check_cert(h, cert, certlen, &pol, time(NULL), info);
	if (rr != HGS_PASSED) {
		answer_fail(a, rr, NULL);
		return -1;
	}
	vms_uuid_format(vm_id, vm);
	return 0;
}
