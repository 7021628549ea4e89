// SPDX-License-Identifier: GPL-2.0
/*
 * enclave_remote.c - the enclave in placement "hypervisor": the functions
 * of enclave.c as calls over the enclave channel (mailbox.c,
 * Documentation/enclave-protocol.md). A loaded key is a handle to a key
 * that lives in vmshield-enclaved; the module keeps only its public
 * binding (ids, policy, lifetime, approved worker digests) for the key
 * type and the worker check. No TK, seal key or enclave secret is ever in
 * this kernel's memory.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include "vmshield.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "enclave_proto.h"

struct vms_rkey {
	u64 handle;
	u8 vm_id[VMS_KR_ID_LEN];
	u8 key_id[VMS_KR_ID_LEN];
	u8 prev_key_id[VMS_KR_ID_LEN];	/* a roll's current TK (UNSEAL only) */
	bool rolled;
	u32 policy;
	u32 lifetime_s;
	u64 expires_ns;		/* our boot clock; the enclave's is authoritative */
	atomic64_t seals;
	atomic_t unseal_failures;
	bool dead;
	u16 n_digests;
	u8 digests[VMS_KR_MAX_DIGESTS][VMS_KR_DIGEST_LEN];
	u8 opened[VMS_OPENED_LEN];	/* the release's digest (replay.c) */
};

/* struct vms_vmkey is opaque to everyone; in this placement it is this. */
static struct vms_rkey *vms_rkey(struct vms_vmkey *key)
{
	return (struct vms_rkey *)key;
}

static DEFINE_SPINLOCK(vms_remote_pk_lock);
static u8 vms_remote_pk[32];	/* the enclave's public key, last seen */

/* One call; 0 or the errno of the transport or of the enclave's answer. */
static int vms_remote_call(struct vms_ep_msg *q, struct vms_ep_msg *a,
			   u8 **buf, size_t *buflen)
{
	int ret = vms_mailbox_call(q, a, buf, buflen);

	return ret ? ret : a->err;
}

/* INFO: refresh the enclave's public key; 0 or -EHOSTDOWN/-EPROTO. */
int vms_remote_refresh(void)
{
	struct vms_ep_msg q = { .type = VMS_EP_INFO }, a;
	size_t blen;
	u8 *buf;
	int ret;

	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (!ret) {
		spin_lock(&vms_remote_pk_lock);
		memcpy(vms_remote_pk, a.pk, sizeof(vms_remote_pk));
		spin_unlock(&vms_remote_pk_lock);
	} else if (ret != -EHOSTDOWN && ret != -EPROTO) {
		ret = -EPROTO;	/* INFO has no error answer */
	}
	vms_mailbox_free(buf, blen);
	return ret;
}

/*
 * At load: learn the enclave's key for the first isolation report. An
 * enclave that is not up yet is no error: GET_INFO asks again.
 */
int vms_remote_init(void)
{
	int ret = vms_remote_refresh();

	if (ret)
		pr_warn("enclave not answering at load (%d): GET_INFO will ask again\n", ret);
	return 0;
}

void vms_remote_public_key(u8 pk[32])
{
	spin_lock(&vms_remote_pk_lock);
	memcpy(pk, vms_remote_pk, sizeof(vms_remote_pk));
	spin_unlock(&vms_remote_pk_lock);
}

/* RELEASE_CHALLENGE: the enclave sets or confirms the KPS key and issues. */
int vms_remote_challenge(const u8 kps_pk[32], u8 out[32], u64 *issued_ns)
{
	struct vms_ep_msg q = { .type = VMS_EP_RELEASE_CHALLENGE }, a;
	size_t blen;
	u8 *buf;
	int ret;

	q.kps_pk = kps_pk;
	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (!ret) {
		memcpy(out, a.challenge, VMS_KR_CHALLENGE_LEN);
		*issued_ns = a.challenge_ns;
	}
	vms_mailbox_free(buf, blen);
	return ret;
}

static void vms_remote_revoke(u64 handle)
{
	struct vms_ep_msg q = { .type = VMS_EP_REVOKE, .handle = handle }, a;
	size_t blen;
	u8 *buf;

	/* best effort: a dead enclave has lost the key anyway */
	vms_remote_call(&q, &a, &buf, &blen);
	vms_mailbox_free(buf, blen);
}

/*
 * A roll release: its public header names both key ids; the enclave's
 * key must be the next one's (what it seals under), or the answer is not
 * trusted (-EPROTO). Kept for /proc/keys.
 */
static int vms_remote_note_roll(struct vms_rkey *rk, const u8 *blob,
				size_t len)
{
	struct vms_kr_binding b;

	if (!vms_kr_roll_flag(blob, len))
		return 0;
	if (vms_kr_parse_roll(blob, len, &b, NULL) ||
	    memcmp(b.next_key_id, rk->key_id, VMS_KR_ID_LEN))
		return -EPROTO;
	memcpy(rk->prev_key_id, b.key_id, sizeof(rk->prev_key_id));
	rk->rolled = true;
	return 0;
}

int vms_remote_open_release(const u8 *blob, size_t len, const u8 vm_id[16],
			    struct vms_vmkey **out)
{
	struct vms_ep_msg q = { .type = VMS_EP_LOAD_RELEASE }, a;
	struct vms_isolation iso;
	struct vms_rkey *rk;
	size_t blen;
	u8 *buf;
	int ret;

	if (len < VMS_KR_MIN_LEN || len > VMS_KR_ROLL_MAX_LEN)
		return -EMSGSIZE;
	rk = kzalloc(sizeof(*rk), GFP_KERNEL);
	if (!rk)
		return -ENOMEM;
	/* as in placement kernel: each release becomes a key once per load */
	vms_opened_digest(blob, len, rk->opened);
	ret = vms_opened_check(rk->opened);
	if (ret) {
		kfree(rk);
		return ret;
	}
	q.vm_id = vm_id;
	q.data = blob;
	q.data_len = len;
	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (ret)
		goto err;
	if (memcmp(a.vm_id, vm_id, VMS_KR_ID_LEN)) {
		/* the enclave answered for another VM: do not trust it */
		vms_remote_revoke(a.handle);
		ret = -EPROTO;
		goto err;
	}
	rk->handle = a.handle;
	memcpy(rk->vm_id, a.vm_id, sizeof(rk->vm_id));
	memcpy(rk->key_id, a.key_id, sizeof(rk->key_id));
	ret = vms_remote_note_roll(rk, blob, len);
	if (ret) {
		vms_remote_revoke(a.handle);
		goto err;
	}
	rk->policy = a.policy;
	rk->lifetime_s = a.lifetime_s;
	rk->expires_ns = ktime_get_boottime_ns() + (u64)a.lifetime_s * NSEC_PER_SEC;
	rk->n_digests = a.n_digests;
	if (a.n_digests)
		memcpy(rk->digests, a.digests,
		       (size_t)a.n_digests * VMS_KR_DIGEST_LEN);
	vms_mailbox_free(buf, blen);
	buf = NULL;
	blen = 0;

	/* as in placement kernel: shielded keys need a kernel-locked host */
	vms_isolation_read(&iso);
	if (rk->policy == VMS_KR_POLICY_SHIELDED &&
	    iso.level < VMSHIELD_ISOLATION_KERNEL_LOCKED) {
		vms_remote_revoke(rk->handle);
		ret = -EKEYREJECTED;
		goto err;
	}
	atomic64_inc(&vms_keys_created);
	*out = (struct vms_vmkey *)rk;
	return 0;
err:
	vms_mailbox_free(buf, blen);
	kfree(rk);
	return ret;
}

void vms_remote_destroy(struct vms_vmkey *key)
{
	struct vms_rkey *rk = vms_rkey(key);

	if (!rk)
		return;
	if (!READ_ONCE(rk->dead))
		vms_remote_revoke(rk->handle);
	kfree(rk);
	atomic64_inc(&vms_keys_wiped);
}

void vms_remote_kill(struct vms_vmkey *key)
{
	struct vms_rkey *rk = vms_rkey(key);

	WRITE_ONCE(rk->dead, true);
	vms_remote_revoke(rk->handle);
}

/* Lockless, as vms_enclave_key_info(): the binding never changes. */
/* The key is about to be instantiated: its release is now opened. */
int vms_remote_commit(struct vms_vmkey *key)
{
	return vms_opened_record(vms_rkey(key)->opened);
}

void vms_remote_key_info(struct vms_vmkey *key, struct vms_vmkey_info *info)
{
	struct vms_rkey *rk = vms_rkey(key);

	memset(info, 0, sizeof(*info));
	memcpy(info->vm_id, rk->vm_id, sizeof(info->vm_id));
	memcpy(info->key_id, rk->key_id, sizeof(info->key_id));
	info->expires_ns = rk->expires_ns;
	info->seals = atomic64_read(&rk->seals);
	info->dead = READ_ONCE(rk->dead);
	/* the key lives in the enclave, at the enclave's level */
	info->level = VMSHIELD_ISOLATION_HYPERVISOR;
	info->policy = rk->policy;
	info->lifetime_s = rk->lifetime_s;
	info->unseal_failures = atomic_read(&rk->unseal_failures);
	info->rolled = rk->rolled;
	memcpy(info->prev_key_id, rk->prev_key_id, sizeof(info->prev_key_id));
}

bool vms_remote_key_digest_approved(struct vms_vmkey *key, const u8 d[32])
{
	struct vms_rkey *rk = vms_rkey(key);
	bool found = false;
	unsigned int i;

	for (i = 0; i < rk->n_digests; i++)
		found |= !crypto_memneq(rk->digests[i], d, VMS_KR_DIGEST_LEN);
	return found;
}

int vms_remote_seal(struct vms_vmkey *key, u64 generation,
		    const u8 *pt, size_t ptlen, u8 *out, size_t outlen)
{
	struct vms_ep_msg q = { .type = VMS_EP_SEAL }, a;
	struct vms_rkey *rk = vms_rkey(key);
	size_t blen;
	u8 *buf;
	int ret;

	if (READ_ONCE(rk->dead))
		return -EKEYREVOKED;
	if (ptlen > VMS_EP_MAX_STATE)
		return -EMSGSIZE;
	if (outlen < vms_ss_size(ptlen))
		return -ENOSPC;
	q.handle = rk->handle;
	q.generation = generation;
	q.data = pt;
	q.data_len = ptlen;
	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (!ret && a.data_len != vms_ss_size(ptlen))
		ret = -EPROTO;
	if (!ret) {
		memcpy(out, a.data, a.data_len);
		atomic64_inc(&rk->seals);
	}
	vms_mailbox_free(buf, blen);
	return ret;
}

int vms_remote_unseal(struct vms_vmkey *key, const u8 *blob, size_t len,
		      u8 *out, size_t outlen, u64 *generation)
{
	struct vms_ep_msg q = { .type = VMS_EP_UNSEAL }, a;
	struct vms_rkey *rk = vms_rkey(key);
	size_t blen;
	u8 *buf;
	int ret;

	if (READ_ONCE(rk->dead))
		return -EKEYREVOKED;
	if (len < VMS_SS_OVERHEAD || len - VMS_SS_OVERHEAD > VMS_EP_MAX_STATE)
		return -EMSGSIZE;
	if (outlen < len - VMS_SS_OVERHEAD)
		return -ENOSPC;
	q.handle = rk->handle;
	q.data = blob;
	q.data_len = len;
	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (!ret && a.data_len != len - VMS_SS_OVERHEAD)
		ret = -EPROTO;
	if (!ret) {
		memcpy(out, a.data, a.data_len);
		if (generation)
			*generation = a.generation;
	}
	if (ret == -EBADMSG) {
		int n = atomic_inc_return(&rk->unseal_failures);

		pr_warn_ratelimited("unseal authentication failure #%d on key %16phN\n",
				    n, rk->key_id);
	}
	vms_mailbox_free(buf, blen);
	return ret;
}

/*
 * vms_remote_report - the enclave's signed report for @nonce.
 * Return: 0 with @body/@sig filled, -EOPNOTSUPP in placement kernel (or an
 * enclave with no platform key), -ENOSPC, or a channel error.
 */
int vms_remote_report(const u8 nonce[32], u8 *body, u32 *body_len,
		      u8 *sig, u32 *sig_len)
{
	struct vms_ep_msg q = { .type = VMS_EP_REPORT }, a;
	size_t blen;
	u8 *buf;
	int ret;

	if (!vms_remote_active())
		return -EOPNOTSUPP;
	q.nonce = nonce;
	ret = vms_remote_call(&q, &a, &buf, &blen);
	if (!ret && (a.data_len > *body_len || a.sig_len > *sig_len))
		ret = -EPROTO;
	if (!ret) {
		memcpy(body, a.data, a.data_len);
		memcpy(sig, a.sig, a.sig_len);
		*body_len = a.data_len;
		*sig_len = a.sig_len;
	}
	vms_mailbox_free(buf, blen);
	return ret;
}

void vms_remote_info(struct vmshield_info *info)
{
	if (!vms_remote_active())
		return;
	info->placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	info->isolation_level = VMSHIELD_ISOLATION_HYPERVISOR;
	info->max_state_len = VMS_EP_MAX_STATE;
}

/* The key's handle in the enclave (vtpm_ioctl.c names the vTPM by it). */
u64 vms_remote_handle(struct vms_vmkey *key)
{
	return vms_rkey(key)->handle;
}
