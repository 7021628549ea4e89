// SPDX-License-Identifier: GPL-2.0
/*
 * migrate.c - live migration, the agent's side (Documentation/migration.md
 * §2, agent.md §4):
 *
 *   the destination's worker: {"op":"migrate-in","vm_id":..,
 *     "key_protector":..,"source_host":..}: KPS's POST /v1/kps/migrate,
 *     attesting first if the certificate is not fresh; the answer is a
 *     roll release to this host's enclave, loaded exactly like a start's
 *     roll (release.c), and the rolled KP for the VM's files; the worker
 *     re-seals the state blobs under the next TK and confirms
 *     ({"op":"confirm"}, confirm.c), as after a start;
 *   the source's worker, once QEMU completed the migration:
 *     {"op":"migrated","vm_id":..}: every key of the VM this agent gave
 *     that peer is revoked in the module (before anything else, and
 *     whatever KPS says: the source lets the VM go), then KPS is told
 *     (POST /v1/kps/migrated, audit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "vms_hgs_client.h"
#include "vms_hgs_reason.h"
#include "vmshield.h"

json_t *migrate_in_for_peer(struct agent *a, const struct agent_request *rq,
			    uid_t uid, gid_t gid)
{
	json_t *ans = release_for_peer(a, rq, uid, gid);
	const char *st = json_string_value(json_object_get(ans, "status"));

	if (st && !strcmp(st, "Passed")) {
		json_object_set_new(ans, "migrating_from", json_string(rq->source_host));
		log_info("migrate_in", "vm=%s uid=%u source=%s next_tk_version=%lld msg=\"the worker re-seals the state blobs, then confirms\"",
			 rq->vm_id, (unsigned int)uid, rq->source_host,
			 (long long)json_integer_value(json_object_get(ans, "next_tk_version")));
	}
	return ans;
}

/*
 * Revoke (and unlink) every key of @rq's VM this agent gave @uid (root:
 * every key of the VM), and stop renewing them. The number of keys the
 * VM had for that peer, revoked now or before; 0 if none.
 */
static int revoke_vm_keys(struct agent *a, const struct agent_request *rq, uid_t uid)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys; i++) {
		struct loaded_key *k = &a->keys[i];

		if (strcmp(k->vm_id, rq->vm_id) || (uid != 0 && k->uid != uid))
			continue;
		/* a key revoked by an earlier request answers EKEYREVOKED: fine */
		vms_dev_key_revoke(k->serial);
		vms_dev_key_unlink(k->serial, a->ring);
		k->superseded = 1;	/* never renewed */
		k->pending_version = 0;	/* never confirmed from here */
		k->pending_key_id[0] = 0;
		n++;
	}
	pthread_mutex_unlock(&a->keys_lock);
	return n;
}

struct migrated_ex {
	json_t *req;
	long http;
	json_t *answer;
};

static int migrated_exchange(struct vms_hgs_client *c, void *arg, char *err,
			     size_t errlen)
{
	struct migrated_ex *x = arg;

	return hgs_post(c, "/v1/kps/migrated", x->req, &x->http, &x->answer,
			err, errlen);
}

static json_t *migrated_failed(const struct agent_request *rq, uid_t uid,
			       const struct agent_fail *f)
{
	log_warn("migrated_failed", "vm=%s uid=%u source=%s substatus=%s",
		 rq->vm_id, (unsigned int)uid, f->source, f->substatus);
	return agent_answer_fail(f);
}

json_t *migrated_for_peer(struct agent *a, const struct agent_request *rq,
			  uid_t uid)
{
	double deadline = agent_now() + a->cfg.request_deadline_s;
	struct migrated_ex x = { 0 };
	struct agent_fail f = { 0 };
	char err[300], *cert = NULL;
	const char *sub, *msg;
	json_t *out;
	int n, r;

	n = revoke_vm_keys(a, rq, uid);
	if (!n) {
		agent_fail_set(&f, "agent", "NoKeyForVm", -ESRCH,
			       "this agent gave no key of VM %s to this user: only the worker that ran the VM here (or root) says it migrated away",
			       rq->vm_id);
		return migrated_failed(rq, uid, &f);
	}
	log_info("migrated", "vm=%s uid=%u revoked=%d msg=\"the VM left this host: its keys are revoked\"",
		 rq->vm_id, (unsigned int)uid, n);
	r = attest_get_cert(a, 0, deadline, &cert, &f);
	if (r)
		return migrated_failed(rq, uid, &f);
	x.req = json_pack("{s:s, s:s}", "health_certificate", cert, "vm_id", rq->vm_id);
	free(cert);
	if (!x.req)
		return NULL;
	r = hgs_run(a, deadline, migrated_exchange, &x, err, sizeof(err));
	json_decref(x.req);
	if (r) {
		agent_fail_set(&f, "kps", "HgsUnreachable", r == -ESHUTDOWN ?
			       -ESHUTDOWN : -ETIMEDOUT,
			       "VM %s's keys are revoked here, but no KPS heard that it migrated away (last error: %s): ask again ('migrated') once HGS is reachable",
			       rq->vm_id, err);
		return migrated_failed(rq, uid, &f);
	}
	sub = vms_hgs_substatus(x.answer);
	if (strcmp(sub, "Passed")) {
		msg = json_string_value(json_object_get(x.answer, "message"));
		agent_fail_set(&f, "kps", sub[0] == '?' ? "BadAnswer" : sub, -EACCES,
			       "VM %s's keys are revoked here; KPS did not record the migration (HTTP %ld): %s",
			       rq->vm_id, x.http, msg ? msg : "no message");
		json_decref(x.answer);
		return migrated_failed(rq, uid, &f);
	}
	/*
	 * A renewal KPS answered before the destination confirmed may have
	 * loaded a key while we asked: sweep once more (KP(v) is refused
	 * from the confirmation on, so no later one comes)
	 */
	revoke_vm_keys(a, rq, uid);
	out = json_pack("{s:s, s:s, s:i, s:I, s:b}", "status", "Passed", "vm_id", rq->vm_id,
			"revoked", n, "tk_version",
			json_integer_value(json_object_get(x.answer, "tk_version")),
			"unchanged", json_is_true(json_object_get(x.answer, "unchanged")));
	json_decref(x.answer);
	return out;
}
