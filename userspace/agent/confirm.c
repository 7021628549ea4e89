// SPDX-License-Identifier: GPL-2.0
/*
 * confirm.c - the last step of a TK roll (Documentation/migration.md
 * §1.2): the worker re-sealed the VM's state under the rolled TK and
 * wrote the rolled KP; it says so ({"op":"confirm"}), and only then does
 * the agent confirm the roll to KPS (POST /v1/kps/confirm). The agent
 * passes on only a roll it released itself, to the same peer uid: a
 * process that never held the rolled key cannot make HGS forget the
 * previous version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vms_hgs_client.h"
#include "vms_hgs_reason.h"

struct confirm_ex {
	json_t *req;
	long http;
	json_t *answer;
};

static int confirm_exchange(struct vms_hgs_client *c, void *arg, char *err,
			    size_t errlen)
{
	struct confirm_ex *x = arg;

	return hgs_post(c, "/v1/kps/confirm", x->req, &x->http, &x->answer,
			err, errlen);
}

/* Is the newest key of @rq's VM for @uid rolled to @rq's version? */
static int roll_is_ours(struct agent *a, const struct agent_request *rq,
			uid_t uid)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys; i++) {
		const struct loaded_key *k = &a->keys[i];

		if (!k->superseded && k->uid == uid &&
		    !strcmp(k->vm_id, rq->vm_id) &&
		    k->pending_version == rq->tk_version &&
		    !strcmp(k->pending_key_id, rq->key_id))
			found = 1;
	}
	pthread_mutex_unlock(&a->keys_lock);
	return found;
}

/* Confirmed: the key's KP is the acknowledged one from now on. */
static void roll_confirmed(struct agent *a, const struct agent_request *rq,
			   uid_t uid)
{
	size_t i;

	pthread_mutex_lock(&a->keys_lock);
	for (i = 0; i < a->n_keys; i++) {
		struct loaded_key *k = &a->keys[i];

		if (k->uid == uid && !strcmp(k->vm_id, rq->vm_id) &&
		    k->pending_version == rq->tk_version) {
			k->pending_version = 0;
			k->pending_key_id[0] = 0;
		}
	}
	pthread_mutex_unlock(&a->keys_lock);
}

static json_t *confirm_failed(const struct agent_request *rq, uid_t uid,
			      const struct agent_fail *f)
{
	log_warn("confirm_failed", "vm=%s uid=%u tk_version=%llu source=%s substatus=%s",
		 rq->vm_id, (unsigned int)uid,
		 (unsigned long long)rq->tk_version, f->source, f->substatus);
	return agent_answer_fail(f);
}

json_t *release_confirm_for_peer(struct agent *a,
				 const struct agent_request *rq, uid_t uid)
{
	double deadline = agent_now() + a->cfg.request_deadline_s;
	struct confirm_ex x = { 0 };
	struct agent_fail f = { 0 };
	const char *sub;
	char err[300], *cert = NULL;
	json_t *out;
	int r;

	if (!roll_is_ours(a, rq, uid)) {
		agent_fail_set(&f, "agent", "TkRollNotPending", -ESRCH,
			       "this agent released no TK roll of VM %s to version %llu with that key id to this user: confirm the roll the release answered (next_tk_version, next_key_id)",
			       rq->vm_id, (unsigned long long)rq->tk_version);
		return confirm_failed(rq, uid, &f);
	}
	r = attest_get_cert(a, 0, deadline, &cert, &f);
	if (r)
		return confirm_failed(rq, uid, &f);
	x.req = json_pack("{s:s, s:s, s:I, s:s}", "health_certificate", cert,
			  "vm_id", rq->vm_id, "tk_version",
			  (json_int_t)rq->tk_version, "key_id", rq->key_id);
	free(cert);
	if (!x.req)
		return NULL;
	r = hgs_run(a, deadline, confirm_exchange, &x, err, sizeof(err));
	json_decref(x.req);
	if (r) {
		/*
		 * Not confirmed: the state is safe under the rolled TK, and
		 * the next start's release of the rolled KP confirms it
		 */
		agent_fail_set(&f, "kps", "HgsUnreachable", r == -ESHUTDOWN ?
			       -ESHUTDOWN : -ETIMEDOUT,
			       "the confirmation of VM %s's TK roll reached no KPS (last error: %s); the VM's state is under the rolled TK and its next start confirms it",
			       rq->vm_id, err);
		return confirm_failed(rq, uid, &f);
	}
	sub = vms_hgs_substatus(x.answer);
	if (strcmp(sub, "Passed")) {
		const char *msg = json_string_value(json_object_get(x.answer,
								     "message"));

		agent_fail_set(&f, "kps", sub[0] == '?' ? "BadAnswer" : sub,
			       -EACCES,
			       "KPS refused the confirmation of VM %s's TK roll to version %llu (HTTP %ld): %s",
			       rq->vm_id, (unsigned long long)rq->tk_version,
			       x.http, msg ? msg : "no message");
		json_decref(x.answer);
		return confirm_failed(rq, uid, &f);
	}
	roll_confirmed(a, rq, uid);
	out = json_pack("{s:s, s:s, s:I, s:b}", "status", "Passed", "vm_id",
			rq->vm_id, "tk_version", (json_int_t)rq->tk_version,
			"unchanged",
			json_is_true(json_object_get(x.answer, "unchanged")));
	log_info("confirmed", "vm=%s uid=%u tk_version=%llu key_id=%s",
		 rq->vm_id, (unsigned int)uid,
		 (unsigned long long)rq->tk_version, rq->key_id);
	json_decref(x.answer);
	return out;
}
