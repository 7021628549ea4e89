// SPDX-License-Identifier: GPL-2.0
/*
 * release.c - a key release for a worker: health certificate (attest if
 * needed) -> a fresh challenge from the enclave (VMSHIELD_IOC_RELEASE_
 * CHALLENGE, naming KPS's key) -> POST /v1/kps/release with the worker's
 * KP and the challenge -> the returned blob (release format v2: from the
 * KPS key, for that challenge, still wrapped to the enclave key) goes into
 * vmshield.ko with add_key (vms_dev_key_load_uuid). The transport key
 * (TK) never exists in the agent: only the enclave can open the blob.
 *
 * KPS's key: learned from KPS's answers (kps_public_key; the first request
 * of an agent carries no challenge and is answered EnclaveChallengeRequired
 * with the key) and kept for the agent's life. The enclave takes the first
 * key it is told per identity and no other (Documentation/formats.md).
 *
 * Keyring decision (Documentation/agent.md section 5): the agent adds the
 * key to its own keyring ("vmshield-agent", linked from its process
 * keyring), then gives it to the requesting peer (SO_PEERCRED): owner uid
 * = the peer's uid, permissions = possessor View/Read/Search/Link/Setattr
 * plus user View/Read/Search/Link. The peer can then use the key by serial
 * and link it into its own session keyring (the client library does), so
 * it survives an agent restart; processes of other uids get EACCES.
 * Shielded keys are in any case served only to an approved worker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "vmshield.h"
#include "vms_b64.h"
#include "vms_cleanup.h"
#include "vms_hex.h"
#include "vms_hgs_client.h"
#include "vms_hgs_reason.h"

#define RELEASE_MAX	4096	/* a v2 release is at most 764 bytes */

#define PEER_KEY_PERM	(KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH | \
			 KEY_POS_LINK | KEY_POS_SETATTR | KEY_USR_VIEW | \
			 KEY_USR_READ | KEY_USR_SEARCH | KEY_USR_LINK)

int release_init(struct agent *a)
{
	pthread_mutex_init(&a->keys_lock, NULL);
	a->ring = add_key("keyring", "vmshield-agent", NULL, 0,
			  KEY_SPEC_PROCESS_KEYRING);
	if (a->ring < 0) {
		int r = -errno;

		log_err("keyring", "error=\"cannot create the agent keyring: %s\"",
			strerror(-r));
		return r;
	}
	return 0;
}

void release_forget_all_locked(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->n_keys; i++)
		free(a->keys[i].kp);
	a->n_keys = 0;
}

void release_free(struct agent *a)
{
	release_forget_all_locked(a);
	free(a->keys);
	a->keys = NULL;
	a->n_keys = a->cap_keys = 0;
	pthread_mutex_destroy(&a->keys_lock);
}

/* KPS's key, as its answers name it (all agent threads share it). */
static pthread_mutex_t kps_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t kps_pk[32];
static int kps_known;

/*
 * Learn (or check) KPS's key from an answer: 0, or -EPROTO with @f filled
 * when the answer has none or names another one than before.
 */
static int kps_key_from(json_t *answer, struct agent_fail *f)
{
	const char *hex = json_string_value(json_object_get(answer, "kps_public_key"));
	uint8_t pk[32];
	int r = 0;

	if (!hex || vms_hex_decode_exact(hex, pk, sizeof(pk))) {
		agent_fail_set(f, "kps", "BadAnswer", -EPROTO,
			       "KPS's answer names no kps_public_key: hgsd is older than the agent (release format v2 needs both)");
		return -EPROTO;
	}
	pthread_mutex_lock(&kps_lock);
	if (!kps_known) {
		memcpy(kps_pk, pk, sizeof(pk));
		kps_known = 1;
	} else if (memcmp(kps_pk, pk, sizeof(pk))) {
		r = -EPROTO;
	}
	pthread_mutex_unlock(&kps_lock);
	if (r)
		agent_fail_set(f, "kps", "KpsKeyChanged", r,
			       "KPS now names another KPS key than before (its signer key changed?): the enclave accepts only the first; restart the agent after reloading vmshield.ko");
	return r;
}

/* A fresh challenge from the enclave, naming KPS's key; 0 or -errno. */
static int enclave_challenge(uint8_t c[32], uint64_t *ns, struct agent_fail *f)
{
	uint8_t pk[32];
	int fd, r;

	pthread_mutex_lock(&kps_lock);
	memcpy(pk, kps_pk, sizeof(pk));
	pthread_mutex_unlock(&kps_lock);
	fd = vms_dev_open();
	if (fd < 0) {
		agent_fail_set(f, "module", "ModuleUnavailable", fd,
			       "cannot open /dev/vmshield for a release challenge: %s",
			       vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return fd;
	}
	r = vms_dev_release_challenge(fd, pk, c, ns);
	close(fd);
	if (r == -EPERM)
		agent_fail_set(f, "module", "KpsKeyMismatch", r,
			       "the enclave accepts releases from another KPS key than this HGS's: someone named it first; reload vmshield.ko (a new enclave identity) and attest again");
	else if (r == -ENOTTY)
		agent_fail_set(f, "module", "ModuleTooOld", r,
			       "vmshield.ko does not issue release challenges (UAPI < 3): install the module that matches this agent");
	else if (r)
		agent_fail_set(f, "module", "ChallengeFailed", r,
			       "the enclave issued no release challenge: %s",
			       strerror(-r));
	return r;
}

struct kps_ex {
	json_t *req;
	long http;
	json_t *answer;
	const char *path;	/* NULL: /v1/kps/release */
};

static int kps_exchange(struct vms_hgs_client *c, void *arg, char *err,
			size_t errlen)
{
	struct kps_ex *x = arg;

	return hgs_post(c, x->path ? x->path : "/v1/kps/release", x->req,
			&x->http, &x->answer, err, errlen);
}

/* KPS refusals that a fresh certificate may cure: attest and retry once. */
static int cert_refusal(const char *sub)
{
	switch (vms_hgs_reason_from_name(sub)) {
	case HGS_R_CERT_EXPIRED:
	case HGS_R_CERT_REVOKED:
	case HGS_R_CERT_UNTRUSTED_SIGNER:
	case HGS_R_HOST_KEY_CHANGED:
		return 1;
	default:
		return 0;
	}
}

static void kps_refusal(struct agent *a, const struct agent_request *rq,
			json_t *resp, long http, struct agent_fail *f)
{
	const char *sub = vms_hgs_substatus(resp);
	const char *msg = json_string_value(json_object_get(resp, "message"));
	int code = vms_hgs_reason_from_name(sub);

	switch (code) {
	case HGS_R_HOST_DISABLED:
	case HGS_R_HOST_NOT_REGISTERED:
		agent_fail_set(f, "kps", sub, -EACCES,
			       "HGS no longer honours host '%s' (%s): the HGS admin checks 'shieldctl hgs host list' and runs 'shieldctl hgs host enable %s' (or re-registers it)",
			       a->cfg.host_name, msg ? msg : sub,
			       a->cfg.host_name);
		break;
	case HGS_R_KP_NOT_FOR_THIS_HGS:
		agent_fail_set(f, "kps", sub, -EACCES,
			       "the key protector of VM %s does not list this HGS's guardian: the VM's owner runs 'shieldctl kp grant' with the guardian from 'shieldctl guardian import'",
			       rq->vm_id);
		break;
	case HGS_R_ISOLATION_INSUFFICIENT_FOR_POLICY:
		agent_fail_set(f, "kps", sub, -EACCES,
			       "VM %s is shielded and needs a kernel-locked host: raise lockdown to confidentiality with module signatures enforced ('shieldctl diagnose' says what is missing); the agent re-attests by itself",
			       rq->vm_id);
		break;
	default:
		agent_fail_set(f, "kps", sub[0] == '?' ? "BadAnswer" : sub,
			       -EACCES,
			       "KPS refused the key release for VM %s (HTTP %ld): %s",
			       rq->vm_id, http, msg ? msg : "no message");
	}
}

/*
 * The release request: with the enclave's challenge once KPS's key is
 * known, and "roll": true when the worker's start rolls the TK (issue 20).
 */
static json_t *kps_request(const char *cert, const char *kp64, const char *vm,
			   int roll, struct agent_fail *f, int *err)
{
	uint8_t c[32];
	uint64_t ns;
	char hex[65];
	json_t *req;
	int known;

	*err = 0;
	pthread_mutex_lock(&kps_lock);
	known = kps_known;
	pthread_mutex_unlock(&kps_lock);
	if (!known)
		return json_pack("{s:s, s:s, s:s}", "health_certificate", cert,
				 "key_protector", kp64, "vm_id", vm);
	*err = enclave_challenge(c, &ns, f);
	if (*err)
		return NULL;
	vms_hex_encode(c, sizeof(c), hex);
	req = json_pack("{s:s, s:s, s:s, s:s, s:I}", "health_certificate", cert,
			"key_protector", kp64, "vm_id", vm, "enclave_challenge", hex,
			"challenge_ns", (json_int_t)ns);
	if (req && roll && json_object_set_new(req, "roll", json_true())) {
		json_decref(req);
		req = NULL;
	}
	return req;
}

/*
 * A renewal asks for the same TK again and never for a roll
 * (hgs-cluster.md §3a): the worker keeps its state sealed under the TK
 * it has. KPS refuses a request that says both.
 */
static int renewal_mark(json_t *req)
{
	return json_object_set_new(req, "renewal", json_true()) ||
	       json_object_set_new(req, "roll", json_false()) ? -ENOMEM : 0;
}

/* 0 with *@answer Passed, or -errno with @f filled. */
static int ask_kps(struct agent *a, const struct agent_request *rq, uid_t uid,
		   double deadline, json_t **answer, double *cert_s,
		   struct agent_fail *f)
{
	_cleanup_(vms_freep) char *kp64 = vms_b64_encode(rq->kp, rq->kp_len);
	struct kps_ex x = { 0 };
	char err[300], *cert = NULL;
	int r, attempt, reattested = 0, learned = 0;

	*answer = NULL;
	if (!kp64)
		return -ENOMEM;
	/* at most: a re-attestation, and learning KPS's key, once each */
	for (attempt = 0; attempt < 3; attempt++) {
		double t = agent_now();
		const char *sub;

		r = attest_get_cert(a, reattested, deadline, &cert, f);
		*cert_s += agent_now() - t;
		if (r)
			return r;
		x.req = kps_request(cert, kp64, rq->vm_id, rq->roll, f, &r);
		free(cert);
		if (!x.req)
			return r ? r : -ENOMEM;
		if (rq->renewal && renewal_mark(x.req)) {
			json_decref(x.req);
			return -ENOMEM;
		}
		/* issue 21: the VM's latest vTPM statement, read now */
		if (agent_statement_add(x.req, rq, uid)) {
			json_decref(x.req);
			return -ENOMEM;
		}
		/* migrate-in (migrate.c): the same release, from the destination */
		if (rq->source_host[0] &&
		    json_object_set_new(x.req, "source_host",
					json_string(rq->source_host))) {
			json_decref(x.req);
			return -ENOMEM;
		}
		x.path = rq->source_host[0] ? "/v1/kps/migrate" : NULL;
		x.answer = NULL;
		r = hgs_run(a, deadline, kps_exchange, &x, err, sizeof(err));
		json_decref(x.req);
		if (r == -ETIMEDOUT || r == -ESHUTDOWN) {
			agent_fail_set(f, "kps", "HgsUnreachable", -ETIMEDOUT,
				       "no KPS answered before the deadline (last error: %s); the VM can start once HGS is reachable again at %s or a fallback URL",
				       err, a->cfg.urls[0]);
			return -ETIMEDOUT;
		}
		if (r) {
			agent_fail_set(f, "agent", "AgentError", r,
				       "the key release could not be sent: %s", err);
			return r;
		}
		sub = vms_hgs_substatus(x.answer);
		if (!strcmp(sub, "Passed")) {
			r = kps_key_from(x.answer, f);
			if (r) {
				json_decref(x.answer);
				return r;
			}
			*answer = x.answer;
			return 0;
		}
		if (!learned && vms_hgs_reason_from_name(sub) ==
		    HGS_R_ENCLAVE_CHALLENGE_REQUIRED) {
			learned = 1;
			r = kps_key_from(x.answer, f);
			json_decref(x.answer);
			if (r)
				return r;
			log_info("kps_key", "vm=%s msg=\"learned KPS's key; asking the enclave for a challenge\"",
				 rq->vm_id);
			continue;
		}
		if (!reattested && cert_refusal(sub)) {
			reattested = 1;
			log_info("reattest", "vm=%s reason=%s", rq->vm_id, sub);
			json_decref(x.answer);
			continue;
		}
		kps_refusal(a, rq, x.answer, x.http, f);
		json_decref(x.answer);
		return -EACCES;
	}
	agent_fail_set(f, "kps", "BadAnswer", -EPROTO,
		       "KPS kept asking for an enclave challenge for VM %s", rq->vm_id);
	return -EPROTO;
}

/*
 * Keep @k (its KP is ours from now on). Expired keys are forgotten; the
 * earlier keys of the same VM stay listed until they expire, so that a
 * revocation reaches them too, but are no longer renewed.
 */
static void remember(struct agent *a, struct loaded_key *k)
{
	time_t now = time(NULL);
	size_t i, j;

	pthread_mutex_lock(&a->keys_lock);
	for (i = j = 0; i < a->n_keys; i++) {
		struct loaded_key *o = &a->keys[i];

		if (o->expires <= now) {
			free(o->kp);
			continue;
		}
		if (!strcmp(o->vm_id, k->vm_id))
			o->superseded = 1;
		a->keys[j++] = *o;
	}
	a->n_keys = j;
	if (a->n_keys == a->cap_keys) {
		size_t cap = a->cap_keys ? a->cap_keys * 2 : 64;
		struct loaded_key *nk = realloc(a->keys, cap * sizeof(*nk));

		if (nk) {
			a->keys = nk;
			a->cap_keys = cap;
		}
	}
	if (a->n_keys < a->cap_keys) {
		a->keys[a->n_keys++] = *k;
	} else {
		free(k->kp);	/* not renewed then; revoked with the module's keys */
		log_warn("renewal", "vm=%s msg=\"no memory to track the key: it will not be renewed\"",
			 k->vm_id);
	}
	k->kp = NULL;
	a->releases_ok++;
	pthread_mutex_unlock(&a->keys_lock);
}

/*
 * Link @key into @uid's user keyring, where its worker looks for the
 * newest key of its VM after a renewal (a link replaces the one of the
 * same description). Another uid's keyring is reached by a child that
 * becomes that uid; 0 or -errno (the key works without it, but the
 * worker will not find its renewals).
 */
static int link_for_peer(key_serial_t key, uid_t uid)
{
	pid_t pid;
	int st;

	if (uid == geteuid())
		return keyctl_link(key, KEY_SPEC_USER_KEYRING) ? -errno : 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* one thread here: the raw system calls, nothing else */
		if (syscall(SYS_setresuid, uid, uid, uid) ||
		    keyctl_link(key, KEY_SPEC_USER_KEYRING))
			_exit(errno & 0x7f);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -ECHILD;
}

/* Give @key to the peer; on failure revoke it (nothing half done). */
static int give_to_peer(struct agent *a, key_serial_t key, uid_t uid,
			struct agent_fail *f)
{
	int r;

	if (keyctl_setperm(key, PEER_KEY_PERM) == 0 &&
	    (uid == 0 || keyctl_chown(key, uid, (gid_t)-1) == 0))
		return 0;
	r = -errno;
	vms_dev_key_revoke(key);
	vms_dev_key_unlink(key, a->ring);
	agent_fail_set(f, "agent", "KeyHandoverFailed", r,
		       "the key was loaded but could not be given to uid %u (%s)%s; it was revoked",
		       (unsigned int)uid, strerror(-r),
		       r == -EDQUOT ? ": that user's key quota is full (/proc/sys/kernel/keys/maxkeys, maxbytes)" : "");
	return r;
}

/*
 * A roll's answer (hgs-protocol.md §6, "roll"): the rolled KP, the next
 * version and key id. 0, or -EPROTO when any is missing or malformed
 * (checked before the release is loaded: a roll half understood loads
 * nothing).
 */
static int roll_answer(json_t *ans, uint8_t **kp, size_t *kp_len,
		       json_int_t *next_v, const char **next_kid)
{
	const char *b64 = json_string_value(json_object_get(ans, "key_protector"));
	uint8_t id[16];

	*next_v = json_integer_value(json_object_get(ans, "next_tk_version"));
	*next_kid = json_string_value(json_object_get(ans, "next_key_id"));
	if (!b64 || *next_v < 1 || !*next_kid || strlen(*next_kid) != 32 ||
	    vms_hex_decode_exact(*next_kid, id, sizeof(id)))
		return -EPROTO;
	return vms_b64_decode(b64, strlen(b64), AGENT_KP_MAX, kp, kp_len) ?
	       -EPROTO : 0;
}

json_t *release_for_peer(struct agent *a, const struct agent_request *rq,
			 uid_t uid, gid_t gid)
{
	_cleanup_(vms_freep) uint8_t *blob = NULL;
	_cleanup_(vms_freep) uint8_t *rolled_kp = NULL;
	size_t rolled_len = 0;
	json_int_t next_v = 0;
	const char *next_kid = NULL;
	unsigned int dl = a->cfg.request_deadline_s;
	struct loaded_key lk = { 0 };
	struct agent_fail f = { 0 };
	const char *b64, *vm, *kid, *pol;
	json_t *ans = NULL;
	key_serial_t key;
	json_int_t life;
	double t0 = agent_now(), t_kps, t_load, cert_s = 0;
	size_t len;
	int r;

	(void)gid;
	if (rq->deadline_s && rq->deadline_s < dl)
		dl = rq->deadline_s;
	r = ask_kps(a, rq, uid, t0 + dl, &ans, &cert_s, &f);
	t_kps = agent_now();
	if (r)
		goto failed;
	b64 = json_string_value(json_object_get(ans, "key_release"));
	vm = json_string_value(json_object_get(ans, "vm_id"));
	kid = json_string_value(json_object_get(ans, "key_id"));
	pol = json_string_value(json_object_get(ans, "policy"));
	life = json_integer_value(json_object_get(ans, "lifetime_s"));
	if (!b64 || !vm || strcmp(vm, rq->vm_id) || !kid || strlen(kid) != 32 ||
	    !pol || life <= 0 ||
	    vms_b64_decode(b64, strlen(b64), RELEASE_MAX, &blob, &len)) {
		agent_fail_set(&f, "kps", "BadAnswer", -EPROTO,
			       "KPS's answer is not a key release for VM %s: check hgs_url points at your HGS",
			       rq->vm_id);
		r = -EPROTO;
		goto failed;
	}
	if (rq->roll && roll_answer(ans, &rolled_kp, &rolled_len, &next_v,
				    &next_kid)) {
		agent_fail_set(&f, "kps", "BadAnswer", -EPROTO,
			       "KPS's answer to a TK roll for VM %s carries no rolled key protector or next version: hgsd is older than the agent (the roll needs issue 20 on both)",
			       rq->vm_id);
		r = -EPROTO;
		goto failed;
	}
	key = vms_dev_key_load_uuid(rq->vm_id, blob, len, a->ring);
	t_load = agent_now();
	if (key < 0) {
		agent_fail_set(&f, "module", "KeyLoadFailed", key,
			       "vmshield.ko refused the key release for VM %s: %s",
			       rq->vm_id, vms_dev_op_strerror(VMS_OP_KEY_LOAD, key));
		r = key;
		goto failed;
	}
	r = give_to_peer(a, key, uid, &f);
	if (r)
		goto failed;
	lk.serial = key;
	snprintf(lk.vm_id, sizeof(lk.vm_id), "%s", rq->vm_id);
	snprintf(lk.key_id, sizeof(lk.key_id), "%s", kid);
	snprintf(lk.policy, sizeof(lk.policy), "%s", pol);
	lk.uid = uid;
	snprintf(lk.statement_path, sizeof(lk.statement_path), "%s", rq->statement_path);
	lk.expires = time(NULL) + (time_t)life;
	/* renewed at two thirds: a third of the lifetime left for retries */
	lk.renew_at = time(NULL) + (time_t)(life * 2 / 3);
	if (rolled_kp) {
		/*
		 * Rolled: renewals present the rolled KP (pending until the
		 * worker's confirmation, acknowledged after; KP(v) is
		 * superseded once it is confirmed)
		 */
		snprintf(lk.key_id, sizeof(lk.key_id), "%s", next_kid);
		lk.pending_version = (uint64_t)next_v;
		snprintf(lk.pending_key_id, sizeof(lk.pending_key_id), "%s",
			 next_kid);
		lk.kp = malloc(rolled_len);
		if (lk.kp) {
			memcpy(lk.kp, rolled_kp, rolled_len);
			lk.kp_len = rolled_len;
		}
	} else {
		lk.kp = malloc(rq->kp_len);
		if (lk.kp) {
			memcpy(lk.kp, rq->kp, rq->kp_len);
			lk.kp_len = rq->kp_len;
		}
	}
	r = link_for_peer(key, uid);
	if (r)
		log_warn("renewal", "vm=%s serial=%d uid=%u error=\"%s\" msg=\"the key is not in the peer's user keyring: its worker will not find the renewed keys\"",
			 rq->vm_id, key, (unsigned int)uid, strerror(-r));
	remember(a, &lk);
	/*
	 * where a release's time goes: the health certificate (attesting
	 * if needed), KPS, the module's HPKE open and keyring, the handover
	 */
	log_info("released", "vm=%s key_id=%s policy=%s serial=%d uid=%u lifetime_s=%lld cert_ms=%.1f kps_ms=%.1f load_ms=%.1f handover_ms=%.1f",
			     lk.vm_id, lk.key_id, lk.policy, key,
		 (unsigned int)uid, (long long)life, cert_s * 1e3,
		 (t_kps - t0 - cert_s) * 1e3, (t_load - t_kps) * 1e3,
		 (agent_now() - t_load) * 1e3);
	{
		json_t *out = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I}",
					"status", "Passed", "key_serial", key,
					"vm_id", lk.vm_id, "key_id", kid,
					"policy", lk.policy, "lifetime_s", life);
		_cleanup_(vms_freep) char *kp64 = rolled_kp ?
			vms_b64_encode(rolled_kp, rolled_len) : NULL;

		/* the roll: what the worker writes next to the VM's files */
		if (out && rolled_kp &&
		    (!kp64 ||
		     json_object_set_new(out, "rolled_key_protector",
					 json_string(kp64)) ||
		     json_object_set_new(out, "next_tk_version",
					 json_integer(next_v)) ||
		     json_object_set_new(out, "next_key_id",
					 json_string(next_kid)))) {
			json_decref(out);
			out = NULL;
		}
		if (rolled_kp)
			log_info("rolled", "vm=%s key_id=%s next_key_id=%s next_tk_version=%lld msg=\"the worker re-seals, then confirms\"",
				 rq->vm_id, kid, next_kid, (long long)next_v);
		json_decref(ans);
		return out;
	}
failed:
	json_decref(ans);
	pthread_mutex_lock(&a->keys_lock);
	a->releases_failed++;
	pthread_mutex_unlock(&a->keys_lock);
	{
		char safe[600];

		log_warn("release_failed", "vm=%s uid=%u source=%s substatus=%s error=\"%s\"",
					   rq->vm_id, (unsigned int)uid, f.source,
			 f.substatus, log_safe(f.message, safe, sizeof(safe)));
	}
	return agent_answer_fail(&f);
}

json_t *release_status(struct agent *a)
{
	json_t *arr = json_array(), *o;
	time_t now = time(NULL);
	size_t i;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys; i++) {
		const struct loaded_key *k = &a->keys[i];

		if (k->expires <= now)
			continue;
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "serial", k->serial,
			"vm_id", k->vm_id, "key_id", k->key_id, "policy",
			k->policy, "uid", (json_int_t)k->uid,
			"expires", (json_int_t)k->expires,
			"renew_at", (json_int_t)(k->superseded ? 0 : k->renew_at),
			"superseded", k->superseded));
	}
	o = json_pack("{s:o, s:I, s:I}", "loaded_keys", arr,
		      "releases_ok", (json_int_t)a->releases_ok,
		      "releases_failed", (json_int_t)a->releases_failed);
	pthread_mutex_unlock(&a->keys_lock);
	return o;
}

/*
 * The next key due for renewal: its VM's newest, unexpired, past its
 * renew_at. Its renewal time moves on first (a refusal is retried after
 * a quarter of what is left, not at once). 1 with @rq and @uid filled.
 */
static int next_due(struct agent *a, struct agent_request *rq, uid_t *uid,
		    key_serial_t *old, time_t *expires)
{
	time_t now = time(NULL);
	size_t i;
	int found = 0;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys && !found; i++) {
		struct loaded_key *k = &a->keys[i];

		if (k->superseded || !k->kp || k->expires <= now || k->renew_at > now)
			continue;
		rq->kp = malloc(k->kp_len);
		if (!rq->kp)
			break;
		memcpy(rq->kp, k->kp, k->kp_len);
		rq->kp_len = k->kp_len;
		rq->op = AGENT_OP_RELEASE;
		rq->renewal = 1;
		snprintf(rq->vm_id, sizeof(rq->vm_id), "%s", k->vm_id);
		snprintf(rq->statement_path, sizeof(rq->statement_path), "%s",
			 k->statement_path);
		*uid = k->uid;
		*old = k->serial;
		*expires = k->expires;
		k->renew_at = now + ((k->expires - now) / 4 > 1 ? (k->expires - now) / 4 : 1);
		found = 1;
	}
	pthread_mutex_unlock(&a->keys_lock);
	return found;
}

int release_renew_due(struct agent *a)
{
	struct agent_request rq;
	key_serial_t old;
	time_t expires;
	int n = 0;
	uid_t uid;

	memset(&rq, 0, sizeof(rq));
	while (!agent_stopping(a) && next_due(a, &rq, &uid, &old, &expires)) {
		json_t *ans = release_for_peer(a, &rq, uid, (gid_t)-1);
		const char *st = json_string_value(json_object_get(ans, "status"));

		if (st && !strcmp(st, "Passed")) {
			log_info("renewed", "vm=%s old_serial=%d serial=%lld uid=%u lifetime_s=%lld",
				 rq.vm_id, old,
				 (long long)json_integer_value(json_object_get(ans, "key_serial")),
				 (unsigned int)uid,
				 (long long)json_integer_value(json_object_get(ans, "lifetime_s")));
			n++;
		} else {
			const char *sub = json_string_value(json_object_get(ans, "substatus"));

			log_warn("renewal_refused", "vm=%s serial=%d substatus=%s expires_in_s=%lld msg=\"the key was not renewed: it expires unless a retry succeeds\"",
				 rq.vm_id, old,
				 sub ? sub : "?",
				 (long long)(expires - time(NULL)));
		}
		json_decref(ans);
		agent_request_free(&rq);
		memset(&rq, 0, sizeof(rq));
	}
	return n;
}

void *release_renew_thread(void *arg)
{
	struct agent *a = arg;

	while (!agent_sleep(a, 1.0))
		release_renew_due(a);
	return NULL;
}
