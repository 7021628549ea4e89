// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_mgr.c - the enclave's vTPMs (vtpm_mgr.h).
 *
 * A record per VM key handle: the vTPM process (or none: destroyed or
 * crashed), the vTPM-state key, the generation handed out last and the
 * one the host confirmed, and at most one held answer. The record
 * outlives its process, so a crash or a destroy keeps the generation
 * floor: a state older than the last confirmed one is refused (ESTALE)
 * for as long as the key lives here.
 */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "hkdf.h"
#include "vms_cleanup.h"
#include "vtpm_child.h"
#include "vtpm_mgr.h"

struct vms_vtpm {
	u64 handle;
	int fd;			/* the vTPM process; -1: none */
	pid_t pid;
	bool crashed;		/* the process died under us */
	struct vms_seal_key sk;	/* the vTPM-state key, never the VM's */
	/* a rolled key's: the state key of its current TK, opens only */
	struct vms_seal_key sk_prev;
	bool rolled;
	u64 generation;		/* sealed last */
	u64 confirmed;		/* stored, as the host confirmed */
	bool waiting;		/* an answer waits for CONFIRM(generation) */
	u32 held_result;
	u8 *held;		/* the held answer, held_len bytes */
	size_t held_len;
};

struct vms_vtpm_mgr {
	int spawner_fd;
	pid_t spawner_pid;
	struct vms_vtpm *v[VMS_VTPM_MAX];
};

int vms_vtpm_mgr_start(struct vms_vtpm_mgr **out)
{
	struct vms_vtpm_mgr *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	r = vms_vtpm_spawner_start(&m->spawner_fd, &m->spawner_pid);
	if (r) {
		free(m);
		return r;
	}
	*out = m;
	return 0;
}

static void vms_vtpm_drop_held(struct vms_vtpm *v)
{
	if (v->held_len)
		vms_prim_wipe(v->held, v->held_len);
	free(v->held);
	v->held = NULL;
	v->held_len = 0;
	v->waiting = false;
	v->held_result = 0;
}

/*
 * End the process: SIGKILL now (a revoked key's plaintext state goes at
 * once, not after a long command), then the socket's EOF. A process known
 * dead (EPIPE) is not signalled: its pid may already be another's.
 */
static void vms_vtpm_end(struct vms_vtpm *v, bool alive)
{
	if (v->fd >= 0) {
		if (alive)
			kill(v->pid, SIGKILL);
		close(v->fd);
	}
	v->fd = -1;
	v->pid = 0;
	vms_vtpm_drop_held(v);
}

static void vms_vtpm_stop_process(struct vms_vtpm *v)
{
	vms_vtpm_end(v, true);
}

static void vms_vtpm_free(struct vms_vtpm_mgr *m, unsigned int i)
{
	struct vms_vtpm *v = m->v[i];

	vms_vtpm_stop_process(v);
	vms_seal_key_wipe(&v->sk);
	vms_seal_key_wipe(&v->sk_prev);
	vms_prim_wipe(v, sizeof(*v));
	free(v);
	m->v[i] = NULL;
}

void vms_vtpm_mgr_stop(struct vms_vtpm_mgr *m)
{
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < VMS_VTPM_MAX; i++)
		if (m->v[i])
			vms_vtpm_free(m, i);
	close(m->spawner_fd);
	kill(m->spawner_pid, SIGKILL);
	free(m);
}

static int vms_vtpm_slot(struct vms_vtpm_mgr *m, u64 handle)
{
	unsigned int i;

	for (i = 0; i < VMS_VTPM_MAX; i++)
		if (m->v[i] && m->v[i]->handle == handle)
			return (int)i;
	return -1;
}

pid_t vms_vtpm_pid(const struct vms_vtpm_mgr *m, u64 handle)
{
	int i = vms_vtpm_slot((struct vms_vtpm_mgr *)m, handle);

	return i < 0 || m->v[i]->fd < 0 ? 0 : m->v[i]->pid;
}

/*
 * The VM's key must be alive for anything to happen to its vTPM; a key
 * that is gone takes its vTPM with it (fail closed).
 */
static int vms_vtpm_key(struct vms_enclave *e, u64 handle,
			struct vms_ekey **out)
{
	struct vms_ekey *k = vms_enclave_find(e, handle);
	int i = vms_vtpm_slot(e->vtpm, handle);
	int r = 0;

	if (!k)
		r = -ENOKEY;
	else if (k->dead)
		r = -EKEYREVOKED;
	else if (k->sk.expires_ns && e->now_ns() >= k->sk.expires_ns)
		r = -EKEYEXPIRED;
	if (r && i >= 0) {
		vms_elog("warning", "vtpm-stop", "handle=%016llx error=%d",
			 (unsigned long long)handle, -r);
		vms_vtpm_free(e->vtpm, (unsigned int)i);
	}
	*out = k;
	return r;
}

/* A process that failed us is gone for good: the host recreates it. */
static void vms_vtpm_crashed(struct vms_enclave *e, struct vms_vtpm *v,
			     int err)
{
	vms_elog("warning", "vtpm-crash", "handle=%016llx pid=%ld error=%d",
		 (unsigned long long)v->handle, (long)v->pid, -err);
	vms_vtpm_end(v, err != -EPIPE);
	v->crashed = true;
	e->vtpm_crashes++;
}

/* One exchange with the vTPM process: the answer, split. */
struct vms_vc_reply {
	u8 *msg;
	size_t len;
	u32 result;
	u32 flags;
	const u8 *resp;
	size_t resp_len;
	const u8 *state;
	size_t state_len;
};

static void vms_vc_reply_free(struct vms_vc_reply *r)
{
	if (r->msg)
		vms_prim_wipe(r->msg, r->len);
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

static u64 vms_vtpm_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static int vms_vtpm_ask(struct vms_enclave *e, struct vms_vtpm *v, u32 op,
			u32 arg, const u8 *data, size_t len,
			struct vms_vc_reply *rep)
{
	u32 hdr[2] = { op, arg };
	u64 t0 = vms_vtpm_mono_ns(), dt;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = vms_vc_write(v->fd, hdr, sizeof(hdr), data, len, NULL, 0);
	if (!r)
		r = vms_vc_read(v->fd, VMS_VTPM_TIMEOUT_MS, &rep->msg,
				&rep->len);
	dt = vms_vtpm_mono_ns() - t0;
	if (!r && rep->len < VMS_VC_HDR)
		r = -EPROTO;
	if (!r) {
		memcpy(&rep->result, rep->msg, 4);
		memcpy(&rep->flags, rep->msg + 4, 4);
		u32 rl;

		memcpy(&rl, rep->msg + 8, 4);
		rep->resp_len = rl;
		if (rep->resp_len > rep->len - VMS_VC_HDR ||
		    rep->resp_len > VMS_EP_VTPM_MAX_CMD ||
		    (!(rep->flags & VMS_VC_F_CHANGED) &&
		     rep->len != VMS_VC_HDR + rep->resp_len) ||
		    ((rep->flags & VMS_VC_F_CHANGED) &&
		     (rep->len == VMS_VC_HDR + rep->resp_len ||
		      rep->len - VMS_VC_HDR - rep->resp_len >
		      VMS_EP_MAX_STATE)))
			r = -EPROTO;
	}
	if (!r && (rep->flags & VMS_VC_F_CHANGED)) {
		e->vtpm_changed_ns += dt;
		e->vtpm_changed_asks++;
	} else {
		e->vtpm_ns += dt;
		e->vtpm_asks++;
	}
	if (r) {
		vms_vc_reply_free(rep);
		vms_vtpm_crashed(e, v, r);
		return -EPIPE;
	}
	rep->resp = rep->msg + VMS_VC_HDR;
	rep->state = rep->resp + rep->resp_len;
	rep->state_len = rep->len - VMS_VC_HDR - rep->resp_len;
	return 0;
}

/* Seal @state as @gen into *@out (malloc'ed, *@out_len). */
static int vms_vtpm_seal(struct vms_enclave *e, struct vms_vtpm *v, u64 gen,
			 const u8 *state, size_t len, u8 **out,
			 size_t *out_len)
{
	size_t n = vms_ss_size(len);
	int r;

	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	*out_len = n;
	r = vms_ss_seal(&v->sk, e->now_ns(), gen, state, len, *out, n);
	if (r) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return r;
}

/*
 * A changed state: seal it as the next generation, hand the blob out and
 * hold the answer (@resp, @result) until CONFIRM. Without a change the
 * answer goes out at once.
 */
static int vms_vtpm_answer(struct vms_enclave *e, struct vms_vtpm *v,
			   const struct vms_vc_reply *rep,
			   struct vms_ep_msg *a, u8 **scratch,
			   size_t *scratch_len)
{
	u64 gen;
	int r;

	if (!(rep->flags & VMS_VC_F_CHANGED)) {
		*scratch = malloc(rep->resp_len ? rep->resp_len : 1);
		if (!*scratch)
			return -ENOMEM;
		*scratch_len = rep->resp_len;
		memcpy(*scratch, rep->resp, rep->resp_len);
		a->data = rep->resp_len ? *scratch : NULL;
		a->data_len = rep->resp_len;
		a->vtpm_result = rep->result;
		a->generation = v->generation;
		return 0;
	}
	gen = (v->generation > v->confirmed ? v->generation : v->confirmed) + 1;
	v->held = malloc(rep->resp_len ? rep->resp_len : 1);
	if (!v->held)
		return -ENOMEM;
	r = vms_vtpm_seal(e, v, gen, rep->state, rep->state_len, scratch,
			  scratch_len);
	if (r) {
		/* state that cannot be sealed is not acknowledged: fail closed */
		free(v->held);
		v->held = NULL;
		vms_vtpm_crashed(e, v, r);
		return r;
	}
	memcpy(v->held, rep->resp, rep->resp_len);
	v->held_len = rep->resp_len;
	v->held_result = rep->result;
	v->waiting = true;
	v->generation = gen;
	a->generation = gen;
	a->vtpm_flags = VMS_EP_VTPM_F_STORE;
	a->data = *scratch;
	a->data_len = *scratch_len;
	return 0;
}

/* The vTPM-state key: its own key, so UNSEAL of the VM key never opens it. */
static int vms_vtpm_derive(const struct vms_seal_key *vk,
			   struct vms_seal_key *sk)
{
	struct vms_buf info = {
		.p = (const u8 *)VMS_VTPM_KEY_LABEL,
		.len = sizeof(VMS_VTPM_KEY_LABEL) - 1,
	};

	*sk = *vk;
	sk->seals = 0;
	return vms_hkdf_expand(vk->prk, &info, 1, sk->prk, sizeof(sk->prk));
}

/* The record of @k, made when there is none (a free slot needed). */
static int vms_vtpm_record(struct vms_enclave *e, const struct vms_ekey *k,
			   struct vms_vtpm **out)
{
	struct vms_vtpm_mgr *m = e->vtpm;
	int i = vms_vtpm_slot(m, k->handle);
	unsigned int j;
	struct vms_vtpm *v;
	int r;

	if (i >= 0) {
		*out = m->v[i];
		return 0;
	}
	/* records of keys that are gone first: they hold slots for nothing */
	for (j = 0; j < VMS_VTPM_MAX; j++)
		if (m->v[j] && !vms_enclave_find(e, m->v[j]->handle))
			vms_vtpm_free(m, j);
	for (j = 0; j < VMS_VTPM_MAX && m->v[j]; j++)
		;
	if (j == VMS_VTPM_MAX)
		return -ENOBUFS;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = -1;
	v->handle = k->handle;
	/*
	 * A new record starts from the floor the release carried (HGS's
	 * highest confirmed generation for the VM), not from whatever state
	 * the host presents: a rollback across an enclave restart, a host
	 * reboot or another host is refused (ESTALE). Issue 21.
	 */
	v->generation = k->vtpm_floor;
	v->confirmed = k->vtpm_floor;
	v->rolled = k->rolled;
	r = vms_vtpm_derive(&k->sk, &v->sk);
	/* a roll's current TK: the state sealed before the roll opens */
	if (!r && k->rolled)
		r = vms_vtpm_derive(&k->sk_prev, &v->sk_prev);
	if (r) {
		vms_seal_key_wipe(&v->sk);
		vms_seal_key_wipe(&v->sk_prev);
		free(v);
		return r;
	}
	m->v[j] = v;
	*out = v;
	return 0;
}

/*
 * Open a sealed vTPM state: this VM's, not older than the floor. A
 * rolled key opens it under the next TK or, when the blob's header names
 * the current TK's key id, under that one (*@old set): the state of
 * before the roll, which must be sealed again under the next TK.
 */
static int vms_vtpm_open(struct vms_enclave *e, struct vms_vtpm *v,
			 const u8 *blob, size_t len, struct vms_secret *pt,
			 u64 *gen, bool *old)
{
	const struct vms_seal_key *sk = &v->sk;
	struct vms_ss_header h;
	int r;

	if (v->rolled && !vms_ss_parse(blob, len, &h) &&
	    !memcmp(h.key_id, v->sk_prev.key_id, VMS_SS_ID_LEN))
		sk = &v->sk_prev;
	*old = sk == &v->sk_prev;
	pt->len = len - VMS_SS_OVERHEAD;
	pt->p = malloc(pt->len ? pt->len : 1);
	if (!pt->p)
		return -ENOMEM;
	r = vms_ss_unseal(sk, e->now_ns(), blob, len, pt->p, pt->len, gen);
	if (!r && *gen < v->confirmed)
		r = -ESTALE;
	return r;
}

static int vms_vtpm_create(struct vms_enclave *e, struct vms_ekey *k,
			   const struct vms_ep_msg *q, struct vms_ep_msg *a,
			   u8 **scratch, size_t *scratch_len)
{
	_cleanup_vms_secret_ struct vms_secret pt = { 0 };
	struct vms_vc_reply rep;
	struct vms_vtpm *v;
	bool old = false;
	u64 gen = 0;
	int r;

	r = vms_vtpm_record(e, k, &v);
	if (r)
		return r;
	if (v->fd >= 0)
		return -EEXIST;
	if (q->data_len) {
		r = vms_vtpm_open(e, v, q->data, q->data_len, &pt, &gen, &old);
		if (r)
			return r;
	}
	r = vms_vtpm_spawn(e->vtpm->spawner_fd, &v->fd, &v->pid);
	if (r) {
		v->fd = -1;
		return r;
	}
	v->crashed = false;
	r = vms_vtpm_ask(e, v, VMS_VC_START, 0, pt.p, pt.len, &rep);
	if (r)
		return r;
	if (rep.result) {
		/* a state this libtpms refuses: no vTPM */
		vms_vc_reply_free(&rep);
		vms_vtpm_stop_process(v);
		return -EBADMSG;
	}
	if (q->data_len) {
		/* the host has this state stored: it sent it */
		v->generation = gen;
		v->confirmed = gen;
	}
	if (old && !(rep.flags & VMS_VC_F_CHANGED)) {
		/*
		 * The TK roll, inside the enclave: the state of before the
		 * roll, unchanged, sealed under the next TK as the next
		 * generation; the host stores it and confirms before the
		 * vTPM takes anything else (migration.md §1.6).
		 */
		rep.flags |= VMS_VC_F_CHANGED;
		rep.state = pt.p;
		rep.state_len = pt.len;
	}
	r = vms_vtpm_answer(e, v, &rep, a, scratch, scratch_len);
	vms_vc_reply_free(&rep);
	if (!r)
		vms_elog("info", "vtpm-create",
			 "handle=%016llx pid=%ld generation=%llu from=%s",
			 (unsigned long long)v->handle, (long)v->pid,
			 (unsigned long long)(q->data_len ? gen : a->generation),
			 !q->data_len ? "new" : old ? "sealed-state-resealed-for-roll" :
			 "sealed-state");
	return r;
}

/* The record of a running vTPM for @q, or the errno saying why not. */
static int vms_vtpm_running(struct vms_enclave *e, u64 handle,
			    struct vms_vtpm **out)
{
	int i = vms_vtpm_slot(e->vtpm, handle);
	struct vms_vtpm *v;

	if (i < 0)
		return -ENODEV;
	v = e->vtpm->v[i];
	if (v->fd < 0)
		return v->crashed ? -EPIPE : -ENODEV;
	*out = v;
	return 0;
}

static int vms_vtpm_run(struct vms_enclave *e, const struct vms_ep_msg *q,
			struct vms_ep_msg *a, u8 **scratch,
			size_t *scratch_len)
{
	struct vms_vc_reply rep;
	struct vms_vtpm *v;
	u32 op = q->type == VMS_EP_VTPM_COMMAND ? VMS_VC_COMMAND :
		 q->type == VMS_EP_VTPM_GET_STATE ? VMS_VC_STATE : q->vtpm_op;
	int r = vms_vtpm_running(e, q->handle, &v);

	if (r)
		return r;
	if (v->waiting)
		return -EBUSY;
	if (q->type == VMS_EP_VTPM_COMMAND &&
	    (q->data_len < 10 || q->data_len > VMS_EP_VTPM_MAX_CMD))
		return -EMSGSIZE;
	r = vms_vtpm_ask(e, v, op, q->vtpm_arg, q->data, q->data_len,
			 &rep);
	if (r)
		return r;
	if (q->type == VMS_EP_VTPM_GET_STATE) {
		/* the state as stored, sealed again: no new generation */
		r = rep.result || !(rep.flags & VMS_VC_F_CHANGED) ? -EIO :
		    vms_vtpm_seal(e, v, v->generation, rep.state,
				  rep.state_len, scratch, scratch_len);
		if (!r) {
			a->generation = v->generation;
			a->data = *scratch;
			a->data_len = *scratch_len;
		}
	} else {
		r = vms_vtpm_answer(e, v, &rep, a, scratch, scratch_len);
	}
	vms_vc_reply_free(&rep);
	return r;
}

static int vms_vtpm_confirm(struct vms_enclave *e, const struct vms_ep_msg *q,
			    struct vms_ep_msg *a, u8 **scratch,
			    size_t *scratch_len)
{
	struct vms_vtpm *v;
	int r = vms_vtpm_running(e, q->handle, &v);

	if (r)
		return r;
	if (!v->waiting)
		return -EINVAL;
	if (q->generation != v->generation)
		return -ESTALE;
	v->confirmed = v->generation;
	a->generation = v->generation;
	a->vtpm_result = v->held_result;
	*scratch = v->held;
	*scratch_len = v->held_len;
	a->data = v->held_len ? v->held : NULL;
	a->data_len = v->held_len;
	v->held = NULL;		/* the caller wipes it after the answer */
	v->held_len = 0;
	v->waiting = false;
	return 0;
}

/*
 * VTPM_STATEMENT: the last confirmed generation of the key's vTPM record
 * (the process may be gone: the record and its floor outlive it), signed
 * with the platform key so the host carries it to HGS but cannot alter it.
 */
static int vms_vtpm_statement(struct vms_enclave *e, u64 handle,
			      struct vms_ep_msg *a, u8 **scratch,
			      size_t *scratch_len)
{
	int i = vms_vtpm_slot(e->vtpm, handle);
	struct vms_vtpm *v;
	u8 *buf;
	int r;

	if (i < 0)
		return -ENODEV;
	if (!e->attest)
		return -EOPNOTSUPP;
	v = e->vtpm->v[i];
	buf = malloc(VMS_ATTEST_STATEMENT_MAX);
	if (!buf)
		return -ENOMEM;
	r = vms_attest_vtpm_statement(e->attest, e->pk, e->boot_id,
				      v->sk.vm_id, v->sk.key_id, v->confirmed,
				      buf, VMS_ATTEST_STATEMENT_MAX,
				      scratch_len);
	if (r) {
		free(buf);
		return r;
	}
	*scratch = buf;
	a->generation = v->confirmed;
	a->data = buf;
	a->data_len = *scratch_len;
	return 0;
}

/* Count the running processes for STATUS after every request. */
static void vms_vtpm_count(struct vms_enclave *e)
{
	unsigned int i;

	e->vtpms = 0;
	for (i = 0; i < VMS_VTPM_MAX; i++)
		if (e->vtpm->v[i] && e->vtpm->v[i]->fd >= 0)
			e->vtpms++;
}

static int vms_vtpm_dispatch(struct vms_enclave *e,
			     const struct vms_ep_msg *q, struct vms_ep_msg *a,
			     u8 **scratch, size_t *scratch_len)
{
	struct vms_ekey *k;
	int i, r;

	r = vms_vtpm_key(e, q->handle, &k);
	if (r)
		return r;
	switch (q->type) {
	case VMS_EP_VTPM_CREATE:
		return vms_vtpm_create(e, k, q, a, scratch, scratch_len);
	case VMS_EP_VTPM_DESTROY:
		i = vms_vtpm_slot(e->vtpm, q->handle);
		if (i < 0 || e->vtpm->v[i]->fd < 0)
			return -ENODEV;
		/* the record stays: its generation floor outlives the process */
		vms_vtpm_stop_process(e->vtpm->v[i]);
		vms_elog("info", "vtpm-destroy", "handle=%016llx",
			 (unsigned long long)q->handle);
		return 0;
	case VMS_EP_VTPM_CONFIRM:
		return vms_vtpm_confirm(e, q, a, scratch, scratch_len);
	case VMS_EP_VTPM_STATEMENT:
		return vms_vtpm_statement(e, q->handle, a, scratch, scratch_len);
	}
	return vms_vtpm_run(e, q, a, scratch, scratch_len);
}

int vms_vtpm_request(struct vms_enclave *e, const struct vms_ep_msg *q,
		     struct vms_ep_msg *a, u8 **scratch, size_t *scratch_len)
{
	int r;

	if (!e->vtpm)
		return -EOPNOTSUPP;
	r = vms_vtpm_dispatch(e, q, a, scratch, scratch_len);
	vms_vtpm_count(e);
	return r;
}

/* Stop the vTPMs of keys revoked, expired or failed closed (fail closed). */
static void vms_vtpm_sweep(struct vms_enclave *e)
{
	u64 now = e->now_ns();
	unsigned int i;

	for (i = 0; i < VMS_VTPM_MAX; i++) {
		struct vms_vtpm *v = e->vtpm->v[i];
		struct vms_ekey *k;

		if (!v)
			continue;
		k = vms_enclave_find(e, v->handle);
		if (k && !k->dead && (!k->sk.expires_ns || now < k->sk.expires_ns))
			continue;
		vms_elog("info", "vtpm-stop", "handle=%016llx reason=%s",
			 (unsigned long long)v->handle,
			 !k ? "key-gone" : k->dead ? "key-dead" : "key-expired");
		vms_vtpm_free(e->vtpm, i);
	}
	vms_vtpm_count(e);
}

void vms_vtpm_attach(struct vms_enclave *e, struct vms_vtpm_mgr *m)
{
	e->vtpm = m;
	e->vtpm_request = m ? vms_vtpm_request : NULL;
	e->vtpm_sweep = m ? vms_vtpm_sweep : NULL;
}
