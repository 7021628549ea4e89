// SPDX-License-Identifier: GPL-2.0
/*
 * keys.c - the enclave's identity and the VM keys it holds: open a key
 * release, keep the seal key it yields under a handle, revoke, expire
 * (CLOCK_BOOTTIME of this machine, which the guarded host cannot set),
 * and wipe everything at the end. The same rules as kmod/enclave.c,
 * including the roll release (issue 20): one key of both TKs, the next
 * one for SEAL and UNSEAL, the current one for UNSEAL only.
 */
#include <stdlib.h>
#include <time.h>

#include "enclave.h"

u64 vms_enclave_boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		abort();	/* no clock: never guess an expiry */
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

int vms_enclave_init(struct vms_enclave *e)
{
	u8 prefix[4];
	int r;

	memset(e, 0, sizeof(*e));
	e->now_ns = vms_enclave_boottime_ns;
	r = vms_prim_random(e->sk, sizeof(e->sk));
	if (!r)
		r = vms_prim_x25519_base(e->pk, e->sk);
	if (!r)
		r = vms_prim_random(e->boot_id, sizeof(e->boot_id));
	if (!r)
		r = vms_prim_random(prefix, sizeof(prefix));
	if (r) {
		vms_prim_wipe(e, sizeof(*e));
		return r;
	}
	e->handle_prefix = vms_get_be32(prefix);
	e->next_handle = 1;
	return 0;
}

static void vms_ekey_free(struct vms_ekey *k)
{
	if (!k)
		return;
	vms_seal_key_wipe(&k->sk);
	vms_seal_key_wipe(&k->sk_prev);
	vms_prim_wipe(k, sizeof(*k));
	free(k);
}

void vms_enclave_wipe(struct vms_enclave *e)
{
	unsigned int i;

	for (i = 0; i < VMS_ENCLAVE_MAX_KEYS; i++)
		vms_ekey_free(e->keys[i]);
	vms_prim_wipe(e->sk, sizeof(e->sk));
	memset(e->keys, 0, sizeof(e->keys));
	e->n_keys = 0;
}

/* The slot of a handle: its low 32 bits minus one, modulo the table. */
static struct vms_ekey **vms_enclave_slot(struct vms_enclave *e, u64 handle)
{
	struct vms_ekey **s;

	if ((u32)(handle >> 32) != e->handle_prefix || !(u32)handle)
		return NULL;
	s = &e->keys[((u32)handle - 1) % VMS_ENCLAVE_MAX_KEYS];
	return *s && (*s)->handle == handle ? s : NULL;
}

struct vms_ekey *vms_enclave_find(struct vms_enclave *e, u64 handle)
{
	struct vms_ekey **s = vms_enclave_slot(e, handle);

	return s ? *s : NULL;
}

/* Free the keys whose lifetime is over, so they do not hold slots. */
static void vms_enclave_reap(struct vms_enclave *e, u64 now)
{
	unsigned int i;

	for (i = 0; i < VMS_ENCLAVE_MAX_KEYS; i++) {
		struct vms_ekey *k = e->keys[i];

		if (k && k->sk.expires_ns && now >= k->sk.expires_ns) {
			vms_ekey_free(k);
			e->keys[i] = NULL;
			e->n_keys--;
		}
	}
}

/*
 * RELEASE_CHALLENGE: the first call of this identity sets the KPS key it
 * accepts releases from, for good; every call must name that key. Then a
 * fresh single-use challenge on this machine's clock.
 */
int vms_enclave_challenge(struct vms_enclave *e, const u8 kps_pk[32],
			  u8 out[32], u64 *issued_ns)
{
	static const u8 zero[32];
	u64 now = e->now_ns();
	int r;

	if (!vms_prim_memneq(kps_pk, zero, sizeof(zero)))
		return -EINVAL;
	if (!e->kps_set) {
		memcpy(e->kps_pk, kps_pk, sizeof(e->kps_pk));
		e->kps_set = true;
		vms_elog("info", "kps-key", "kps_pk=%02x%02x%02x%02x... set for this identity",
			 kps_pk[0], kps_pk[1], kps_pk[2], kps_pk[3]);
	} else if (vms_prim_memneq(e->kps_pk, kps_pk, sizeof(e->kps_pk))) {
		return -EPERM;
	}
	r = vms_chal_issue(&e->chal, now, out);
	if (!r)
		*issued_ns = now;
	return r;
}

/*
 * The public checks of a v2 release, in the module's order
 * (kmod/enclave.c): addressed to us, from our KPS key, for this VM, for a
 * pending challenge, not expired. No secret is touched.
 */
static int vms_release_precheck(struct vms_enclave *e, const u8 vm_id[16],
				const u8 *blob, size_t len, u64 now)
{
	struct vms_kr_binding b;
	struct vms_kr_view v;
	int r = vms_kr_roll_flag(blob, len) ? vms_kr_parse_roll(blob, len, &b, &v) :
		vms_kr_parse(blob, len, &b, &v);

	if (r)
		return r;
	if (vms_prim_memneq(v.enclave_pk, e->pk, 32))
		return -ENOKEY;
	if (!e->kps_set || vms_prim_memneq(v.kps_pk, e->kps_pk, 32))
		return -EPERM;
	if (memcmp(b.vm_id, vm_id, VMS_KR_ID_LEN))
		return -EKEYREJECTED;
	r = vms_chal_check(&e->chal, now, b.challenge, b.challenge_ns, 0);
	if (r)
		return r;
	if (now >= b.not_after_ns)
		return -EKEYEXPIRED;
	return 0;
}

int vms_enclave_load(struct vms_enclave *e, const u8 vm_id[16],
		     const u8 *blob, size_t len, struct vms_ekey **out)
{
	struct vms_kr_binding b;
	struct vms_ekey *k;
	u8 tk[VMS_TK_LEN], tk_next[VMS_TK_LEN];
	u64 now = e->now_ns();
	bool roll = vms_kr_roll_flag(blob, len);
	unsigned int tries;
	int r;

	vms_enclave_reap(e, now);
	r = vms_release_precheck(e, vm_id, blob, len, now);
	if (r)
		return r;
	if (e->n_keys >= VMS_ENCLAVE_MAX_KEYS)
		return -ENOBUFS;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	r = roll ? vms_kr_open_roll(blob, len, e->sk, e->pk, e->kps_pk, vm_id,
				    &b, tk, tk_next) :
		   vms_kr_open(blob, len, e->sk, e->pk, e->kps_pk, vm_id, NULL,
			       &b, tk);
	/* the lifetime runs from the challenge, on this same clock */
	if (!r && roll) {
		/* sk seals (the next TK); sk_prev only opens the old state */
		r = vms_seal_key_init(&k->sk, tk_next, b.vm_id, b.next_key_id,
				      b.lifetime_s, b.challenge_ns);
		if (!r)
			r = vms_seal_key_init(&k->sk_prev, tk, b.vm_id,
					      b.key_id, b.lifetime_s,
					      b.challenge_ns);
		k->rolled = true;
	} else if (!r) {
		r = vms_seal_key_init(&k->sk, tk, b.vm_id, b.key_id,
				      b.lifetime_s, b.challenge_ns);
	}
	vms_prim_wipe(tk, sizeof(tk));
	vms_prim_wipe(tk_next, sizeof(tk_next));
	/* authenticated: its challenge is used up, so it loads only once */
	if (!r)
		r = vms_chal_check(&e->chal, now, b.challenge, b.challenge_ns,
				   1);
	if (r) {
		vms_ekey_free(k);
		return r;
	}
	k->policy = b.policy;
	k->lifetime_s = b.lifetime_s;
	k->vtpm_only = b.flags & VMS_KR_F_VTPM_IN_ENCLAVE;
	/* issue 21: the vTPM starts from no state below HGS's record */
	k->vtpm_floor = b.vtpm_floor;
	k->n_digests = b.n_digests;
	memcpy(k->digests, b.digests, (size_t)b.n_digests * VMS_KR_DIGEST_LEN);

	/* a free slot: the counter walks the table, skipping used slots */
	for (tries = 0; tries < VMS_ENCLAVE_MAX_KEYS; tries++) {
		u32 low = e->next_handle++;

		if (!e->next_handle)
			e->next_handle = 1;
		if (!e->keys[(low - 1) % VMS_ENCLAVE_MAX_KEYS]) {
			k->handle = (u64)e->handle_prefix << 32 | low;
			e->keys[(low - 1) % VMS_ENCLAVE_MAX_KEYS] = k;
			e->n_keys++;
			*out = k;
			return 0;
		}
	}
	vms_ekey_free(k);
	return -ENOBUFS;
}

const struct vms_seal_key *vms_ekey_unseal_key(const struct vms_ekey *k,
						const u8 *blob, size_t len)
{
	struct vms_ss_header h;

	if (k->rolled && !vms_ss_parse(blob, len, &h) &&
	    !memcmp(h.key_id, k->sk_prev.key_id, VMS_SS_ID_LEN))
		return &k->sk_prev;
	return &k->sk;
}

int vms_enclave_revoke(struct vms_enclave *e, u64 handle)
{
	struct vms_ekey **s = vms_enclave_slot(e, handle);

	if (!s)
		return -EKEYREVOKED;
	vms_ekey_free(*s);
	*s = NULL;
	e->n_keys--;
	return 0;
}
