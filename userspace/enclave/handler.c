// SPDX-License-Identifier: GPL-2.0
/*
 * handler.c - one request frame in, one response frame out
 * (Documentation/enclave-protocol.md). The frame is decoded strictly by
 * core/enclave_proto.c; nothing in it is trusted beyond what that checks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "enclave.h"
#include "attest.h"
#include "vms_hex.h"

/* The most refused frames logged one by one; then every 1000th. */
#define VMS_REFUSE_LOG_FIRST	16

static void vms_refuse_log(struct vms_enclave *e, int err, u16 type)
{
	e->refused++;
	if (e->refused <= VMS_REFUSE_LOG_FIRST || !(e->refused % 1000))
		vms_elog("warning", "refuse", "type=%u error=%d refused=%llu",
			 type, -err, (unsigned long long)e->refused);
}

static int vms_do_load(struct vms_enclave *e, const struct vms_ep_msg *q,
		       struct vms_ep_msg *a)
{
	struct vms_ekey *k;
	int r;

	r = vms_enclave_load(e, q->vm_id, q->data, q->data_len, &k);
	if (r)
		return r;
	a->handle = k->handle;
	a->vm_id = k->sk.vm_id;
	a->key_id = k->sk.key_id;
	a->policy = k->policy;
	a->lifetime_s = k->lifetime_s;
	a->n_digests = k->n_digests;
	a->digests = k->digests[0];
	vms_elog("info", "load", "handle=%016llx policy=%u lifetime_s=%u keys=%u",
		 (unsigned long long)k->handle, k->policy, k->lifetime_s,
		 e->n_keys);
	return 0;
}

/* Errors of a seal that do not put the key in doubt (kmod/enclave.c). */
static bool vms_seal_err_benign(int r)
{
	return r == -EKEYEXPIRED || r == -EDQUOT || r == -ENOSPC ||
	       r == -EMSGSIZE || r == -EFBIG;
}

/*
 * A key whose KP requires the vTPM in the enclave (release flag bit 1)
 * never seals or unseals for the host: its vTPM state is the enclave's
 * vTPM's, so a host-side vTPM cannot be fed from it (vtpm-in-enclave.md).
 */
static int vms_seal_allowed(const struct vms_ekey *k)
{
	if (!k || k->dead)
		return -EKEYREVOKED;
	return k->vtpm_only ? -EOPNOTSUPP : 0;
}

static int vms_do_seal(struct vms_enclave *e, const struct vms_ep_msg *q,
		       struct vms_ep_msg *a, u8 **scratch, size_t *scratch_len)
{
	struct vms_ekey *k = vms_enclave_find(e, q->handle);
	size_t n = vms_ss_size(q->data_len);
	int r = vms_seal_allowed(k);

	if (r)
		return r;
	*scratch = malloc(n);
	if (!*scratch)
		return -ENOMEM;
	*scratch_len = n;
	r = vms_ss_seal(&k->sk, e->now_ns(), q->generation, q->data,
			q->data_len, *scratch, n);
	if (r && !vms_seal_err_benign(r)) {
		vms_seal_key_wipe(&k->sk);
		k->dead = true;
		vms_elog("warning", "fail-closed", "handle=%016llx error=%d",
			 (unsigned long long)k->handle, -r);
	}
	if (r)
		return r;
	a->data = *scratch;
	a->data_len = n;
	return 0;
}

static int vms_do_unseal(struct vms_enclave *e, const struct vms_ep_msg *q,
			 struct vms_ep_msg *a, u8 **scratch,
			 size_t *scratch_len)
{
	struct vms_ekey *k = vms_enclave_find(e, q->handle);
	size_t n = q->data_len - VMS_SS_OVERHEAD;
	int r = vms_seal_allowed(k);

	if (r)
		return r;
	*scratch = malloc(n ? n : 1);
	if (!*scratch)
		return -ENOMEM;
	*scratch_len = n;
	r = vms_ss_unseal(vms_ekey_unseal_key(k, q->data, q->data_len),
			  e->now_ns(), q->data, q->data_len,
			  *scratch, n, &a->generation);
	if (r == -EBADMSG) {
		k->unseal_failures++;
		vms_elog("warning", "unseal-auth-failure",
			 "handle=%016llx failures=%u",
			 (unsigned long long)k->handle, k->unseal_failures);
	}
	if (r)
		return r;
	a->data = *scratch;
	a->data_len = n;
	return 0;
}

size_t vms_enclave_status(const struct vms_enclave *e, char *buf, size_t len)
{
	char pk[65], boot[33];
	int n;

	vms_hex_encode(e->pk, 32, pk);
	vms_hex_encode(e->boot_id, 16, boot);
	n = snprintf(buf, len,
		     "state=ready\nenclave_key=%s\nboot_id=%s\nkeys=%u\n"
		     "requests=%llu\nrefused=%llu\nattestation=%s\n"
		     "vtpm=%s\nvtpms=%u\nvtpm_crashes=%llu\n",
		     pk, boot, e->n_keys, (unsigned long long)e->requests,
		     (unsigned long long)e->refused,
		     e->attest ? "emulated" : "none",
		     e->vtpm_request ? "on" : "off", e->vtpms,
		     (unsigned long long)e->vtpm_crashes);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

static int vms_dispatch(struct vms_enclave *e, const struct vms_ep_msg *q,
			struct vms_ep_msg *a, u8 **scratch, size_t *scratch_len,
			char *text, size_t text_len)
{
	switch (q->type) {
	case VMS_EP_PING:
		return 0;
	case VMS_EP_INFO:
		a->pk = e->pk;
		a->boot_id = e->boot_id;
		a->max_state = VMS_EP_MAX_STATE;
		a->n_keys = e->n_keys;
		return 0;
	case VMS_EP_LOAD_RELEASE:
		return vms_do_load(e, q, a);
	case VMS_EP_REVOKE:
		return vms_enclave_revoke(e, q->handle);
	case VMS_EP_SEAL:
		return vms_do_seal(e, q, a, scratch, scratch_len);
	case VMS_EP_UNSEAL:
		return vms_do_unseal(e, q, a, scratch, scratch_len);
	case VMS_EP_REPORT:
		if (!e->attest)
			return -EOPNOTSUPP;
		return vms_attest_report(e->attest, q->nonce, e->pk,
					 e->boot_id, e->kps_set ? e->kps_pk : NULL,
					 a);
	case VMS_EP_STATUS:
		a->data = (const u8 *)text;
		a->data_len = vms_enclave_status(e, text, text_len);
		return 0;
	case VMS_EP_RELEASE_CHALLENGE:
		a->challenge = (const u8 *)text;
		return vms_enclave_challenge(e, q->kps_pk, (u8 *)text,
					     &a->challenge_ns);
	}
	if (q->type >= VMS_EP_VTPM_FIRST && q->type <= VMS_EP_VTPM_LAST)
		return e->vtpm_request ?
		       e->vtpm_request(e, q, a, scratch, scratch_len) :
		       -EOPNOTSUPP;
	return -EOPNOTSUPP;
}

int vms_enclave_handle(struct vms_enclave *e, const u8 *in, size_t inlen,
		       const u64 *want_id, u8 *out, size_t cap, size_t *outlen)
{
	struct vms_ep_msg q, a;
	char text[VMS_EP_STATUS_MAX];
	u8 *scratch = NULL;
	size_t scratch_len = 0;
	int r, ret = 0;

	e->requests++;
	memset(&a, 0, sizeof(a));
	a.response = true;
	r = vms_ep_decode(in, inlen, false, &q);
	if (!r && want_id && q.req_id != *want_id)
		r = -EPROTO;
	if (r) {
		/* answer what we could read of the header, refusing it */
		a.type = VMS_EP_PING;
		if (inlen >= VMS_EP_HDR_LEN) {
			u16 t = vms_get_be16(in + 6) & 0x7fff;

			if (vms_ep_type_known(t))
				a.type = t;
			a.req_id = vms_get_be64(in + 8);
		}
		vms_refuse_log(e, r, a.type);
		a.err = r == -EOPNOTSUPP ? -EOPNOTSUPP : -EPROTO;
		ret = -EPROTO;
	} else {
		a.type = q.type;
		a.req_id = q.req_id;
		a.err = vms_dispatch(e, &q, &a, &scratch, &scratch_len, text,
				     sizeof(text));
	}
	if (a.err)	/* an error response carries nothing else */
		memset(&a.handle, 0, sizeof(a) - offsetof(struct vms_ep_msg, handle));
	r = vms_ep_encode(&a, out, cap, outlen);
	if (r) {
		/* cannot happen with cap >= VMS_EP_MAX_FRAME: say EIO */
		a.err = -EIO;
		memset(&a.handle, 0, sizeof(a) - offsetof(struct vms_ep_msg, handle));
		r = vms_ep_encode(&a, out, cap, outlen);
	}
	if (scratch) {
		vms_prim_wipe(scratch, scratch_len);
		free(scratch);
	}
	vms_prim_wipe(text, sizeof(text));
	if (e->vtpm_sweep)	/* a revoked or expired key's vTPM goes now */
		e->vtpm_sweep(e);
	return r ? r : ret;
}
