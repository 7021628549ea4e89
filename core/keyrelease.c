// SPDX-License-Identifier: GPL-2.0
/*
 * keyrelease.c - build, parse and open key-release blobs (version 2).
 *
 * Parsing is strict and finishes before any crypto runs, so malformed
 * input never reaches X25519 or the AEAD; every error has its own errno.
 * Version 1 (HPKE base mode, no challenge) is refused: anyone who knew an
 * enclave's public key could make one, and it could be replayed.
 */
#include "keyrelease.h"
#include "kat_hooks.h"
#include "hpke.h"

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_FLAGS	6
#define OFF_VM_ID	8
#define OFF_KEY_ID	24
#define OFF_POLICY	40
#define OFF_LIFETIME	44
#define OFF_NDIGESTS	48
#define OFF_RESERVED	50
#define OFF_ENCLAVE_PK	52
#define OFF_ENC		84
#define OFF_KPS_PK	116
#define OFF_CHALLENGE	148
#define OFF_CHAL_NS	180
#define OFF_NOT_AFTER	188
#define OFF_ISSUED_AT	196
#define OFF_DIGESTS	VMS_KR_HDR_LEN

#define NSEC_PER_S	1000000000ULL

static const u8 kr_info[] = VMS_KR_INFO;
#define KR_INFO_LEN	(sizeof(kr_info) - 1)	/* no NUL */

size_t vms_kr_size(unsigned int n_digests)
{
	if (n_digests > VMS_KR_MAX_DIGESTS)
		return 0;
	return VMS_KR_MIN_LEN + (size_t)n_digests * VMS_KR_DIGEST_LEN;
}

size_t vms_kr_roll_size(unsigned int n_digests)
{
	size_t n = vms_kr_size(n_digests);

	return n ? n + VMS_KR_ROLL_EXTRA : 0;
}

/* The size a blob of @flags has, and the bytes its seals leave as aad. */
static size_t kr_size(unsigned int n_digests, u16 flags)
{
	size_t n = flags & VMS_KR_FLAG_ROLL ? vms_kr_roll_size(n_digests) :
		   vms_kr_size(n_digests);

	return n && (flags & VMS_KR_F_VTPM_FLOOR) ? n + VMS_KR_FLOOR_LEN : n;
}

size_t vms_kr_size_flags(unsigned int n_digests, u16 flags)
{
	return kr_size(n_digests, flags);
}

/* Where vtpm_floor is: right before ct (after next_key_id in a roll). */
static size_t kr_floor_off(unsigned int n_digests, u16 flags)
{
	return OFF_DIGESTS + (size_t)n_digests * VMS_KR_DIGEST_LEN +
	       (flags & VMS_KR_FLAG_ROLL ? VMS_KR_ID_LEN : 0);
}

static size_t kr_aadlen(size_t size, u16 flags)
{
	return size - VMS_KR_CT_LEN * (flags & VMS_KR_FLAG_ROLL ? 2 : 1);
}

/*
 * The expiry a challenge and a lifetime give, or 0 when it would not fit
 * in 64 bits (no enclave clock gets there: refused as malformed).
 */
static u64 kr_not_after(u64 challenge_ns, u32 lifetime_s)
{
	u64 span = (u64)lifetime_s * NSEC_PER_S;

	if (challenge_ns > (u64)-1 - span)
		return 0;
	return challenge_ns + span;
}

/* The binding rules shared by build and parse. */
static int check_binding(u32 policy, u32 lifetime_s, unsigned int n_digests,
			 u64 issued_at)
{
	if (policy != VMS_KR_POLICY_ENCRYPTION_SUPPORTED &&
	    policy != VMS_KR_POLICY_SHIELDED)
		return -EINVAL;
	if (lifetime_s == 0 || lifetime_s > VMS_KR_MAX_LIFETIME)
		return -EINVAL;
	if (n_digests > VMS_KR_MAX_DIGESTS)
		return -EINVAL;
	/* A shielded key is served only to an approved worker: need one. */
	if (policy == VMS_KR_POLICY_SHIELDED && n_digests == 0)
		return -EINVAL;
	/* KPS always says when it released: 0 is a blob nobody issued. */
	if (issued_at == 0)
		return -EINVAL;
	return 0;
}

/*
 * A build in two steps around its one random input, the HPKE ephemeral
 * key: begin checks the binding and writes every byte but enc (written by
 * the context's setup) and ct; finish seals the TK with the context whose
 * enc is in place. The production vms_kr_build() sets the context up with
 * a fresh ephemeral key; the known-answer vms_kr_build_kat() (kat_hooks.h)
 * with a fixed one, and is otherwise this same path.
 */
static int kr_build_begin(const struct vms_kr_binding *b,
			  const u8 enclave_pk[32], const u8 kps_sk[32],
			  const u8 tk[VMS_TK_LEN], u8 *out, size_t outlen)
{
	u64 not_after;
	int ret;

	if (!b || !enclave_pk || !kps_sk || !tk || !out ||
	    (b->n_digests && !b->digests))
		return -EINVAL;
	if (b->flags & ~(VMS_KR_FLAGS_ALL | VMS_KR_FLAG_ROLL))
		return -EINVAL;
	ret = check_binding(b->policy, b->lifetime_s, b->n_digests,
			    b->issued_at);
	if (ret)
		return ret;
	not_after = kr_not_after(b->challenge_ns, b->lifetime_s);
	if (!not_after)
		return -EINVAL;
	if (outlen < kr_size(b->n_digests, b->flags))
		return -ENOSPC;

	memcpy(out + OFF_MAGIC, VMS_KR_MAGIC, 4);
	vms_put_be16(out + OFF_VERSION, VMS_KR_VERSION);
	vms_put_be16(out + OFF_FLAGS, b->flags);
	memcpy(out + OFF_VM_ID, b->vm_id, VMS_KR_ID_LEN);
	memcpy(out + OFF_KEY_ID, b->key_id, VMS_KR_ID_LEN);
	vms_put_be32(out + OFF_POLICY, b->policy);
	vms_put_be32(out + OFF_LIFETIME, b->lifetime_s);
	vms_put_be16(out + OFF_NDIGESTS, b->n_digests);
	vms_put_be16(out + OFF_RESERVED, 0);
	memcpy(out + OFF_ENCLAVE_PK, enclave_pk, 32);
	ret = vms_prim_x25519_base(out + OFF_KPS_PK, kps_sk);
	if (ret) {
		memset(out, 0, kr_size(b->n_digests, b->flags));
		return ret;
	}
	memcpy(out + OFF_CHALLENGE, b->challenge, VMS_KR_CHALLENGE_LEN);
	vms_put_be64(out + OFF_CHAL_NS, b->challenge_ns);
	vms_put_be64(out + OFF_NOT_AFTER, not_after);
	vms_put_be64(out + OFF_ISSUED_AT, b->issued_at);
	if (b->n_digests)
		memcpy(out + OFF_DIGESTS, b->digests,
		       (size_t)b->n_digests * VMS_KR_DIGEST_LEN);
	if (b->flags & VMS_KR_FLAG_ROLL)
		memcpy(out + OFF_DIGESTS + (size_t)b->n_digests * VMS_KR_DIGEST_LEN,
		       b->next_key_id, VMS_KR_ID_LEN);
	if (b->flags & VMS_KR_F_VTPM_FLOOR)
		vms_put_be64(out + kr_floor_off(b->n_digests, b->flags),
			     b->vtpm_floor);
	return 0;
}

/*
 * @ret is the context setup's result. enc landed in place, so the aad
 * (every byte before ct) is whole. Wipes @c; on error nothing of @out is
 * left but zeros.
 */
static int kr_build_finish(struct vms_hpke_ctx *c, int ret,
			   const struct vms_kr_binding *b,
			   const u8 tk[VMS_TK_LEN], const u8 *tk_next, u8 *out)
{
	size_t size = kr_size(b->n_digests, b->flags);
	size_t aadlen = kr_aadlen(size, b->flags);

	if (!ret)
		ret = vms_hpke_seal(c, out, aadlen, tk, VMS_TK_LEN,
				    out + aadlen);
	/* the roll's next TK: the same context, sequence number 1 */
	if (!ret && tk_next)
		ret = vms_hpke_seal(c, out, aadlen, tk_next, VMS_TK_LEN,
				    out + aadlen + VMS_KR_CT_LEN);
	vms_hpke_ctx_wipe(c);
	if (ret)
		memset(out, 0, size);
	return ret;
}

/*
 * One build: begin, the HPKE context (a fresh ephemeral key, or @skE for
 * the known answers), then the seal of @tk and, for a roll, @tk_next.
 */
static int kr_build(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		    const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		    const u8 *tk_next, const u8 *skE, u8 *out, size_t outlen)
{
	struct vms_hpke_ctx c;
	int ret;

	ret = kr_build_begin(b, enclave_pk, kps_sk, tk, out, outlen);
	if (ret)
		return ret;
	ret = vms_hpke_setup_auth_s(&c, out + OFF_ENC, enclave_pk, kps_sk,
				    kr_info, KR_INFO_LEN,
				    VMS_HPKE_AEAD_AES256GCM, skE);
	return kr_build_finish(&c, ret, b, tk, tk_next, out);
}

int vms_kr_build(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		 const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		 u8 *out, size_t outlen)
{
	if (b && (b->flags & VMS_KR_FLAG_ROLL))
		return -EINVAL;	/* a roll is vms_kr_build_roll() */
	return kr_build(b, enclave_pk, kps_sk, tk, NULL, NULL, out, outlen);
}

int vms_kr_build_roll(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		      const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		      const u8 tk_next[VMS_TK_LEN], u8 *out, size_t outlen)
{
	if (!b || !(b->flags & VMS_KR_FLAG_ROLL) || !tk_next)
		return -EINVAL;
	return kr_build(b, enclave_pk, kps_sk, tk, tk_next, NULL, out, outlen);
}

/* Known answers only (kat_hooks.h): vms_kr_build() with @skE for its draw. */
int vms_kr_build_kat(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		     const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		     const u8 skE[32], u8 *out, size_t outlen)
{
	if (!skE || (b && (b->flags & VMS_KR_FLAG_ROLL)))
		return -EINVAL;
	return kr_build(b, enclave_pk, kps_sk, tk, NULL, skE, out, outlen);
}

/*
 * @flags: the roll bit this caller takes (0, or VMS_KR_FLAG_ROLL): the
 * blob's flags must be exactly that plus any of VMS_KR_FLAGS_ALL.
 */
static int kr_parse(const u8 *blob, size_t len, struct vms_kr_binding *b,
		    struct vms_kr_view *v, u16 flags)
{
	u16 wire_flags;
	unsigned int n;
	size_t size;
	u64 not_after;
	int ret;

	if (!b)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (v)
		memset(v, 0, sizeof(*v));
	if (!blob)
		return -EINVAL;
	/* magic and version first: a v1 blob is named as such, not as short */
	if (len < OFF_FLAGS)
		return -EMSGSIZE;
	if (memcmp(blob + OFF_MAGIC, VMS_KR_MAGIC, 4))
		return -EILSEQ;
	if (vms_get_be16(blob + OFF_VERSION) != VMS_KR_VERSION)
		return -EPROTONOSUPPORT;
	if (len < VMS_KR_HDR_LEN)
		return -EMSGSIZE;
	wire_flags = vms_get_be16(blob + OFF_FLAGS);
	if ((wire_flags & ~VMS_KR_FLAGS_ALL) != flags)
		return -EINVAL;
	if (vms_get_be16(blob + OFF_RESERVED))
		return -EINVAL;
	n = vms_get_be16(blob + OFF_NDIGESTS);
	ret = check_binding(vms_get_be32(blob + OFF_POLICY),
			    vms_get_be32(blob + OFF_LIFETIME), n,
			    vms_get_be64(blob + OFF_ISSUED_AT));
	if (ret)
		return ret;
	not_after = kr_not_after(vms_get_be64(blob + OFF_CHAL_NS),
				 vms_get_be32(blob + OFF_LIFETIME));
	if (!not_after || not_after != vms_get_be64(blob + OFF_NOT_AFTER))
		return -EINVAL;
	size = kr_size(n, wire_flags);
	if (len != size)
		return -EMSGSIZE;

	b->flags = wire_flags;
	memcpy(b->vm_id, blob + OFF_VM_ID, VMS_KR_ID_LEN);
	memcpy(b->key_id, blob + OFF_KEY_ID, VMS_KR_ID_LEN);
	b->policy = vms_get_be32(blob + OFF_POLICY);
	b->lifetime_s = vms_get_be32(blob + OFF_LIFETIME);
	b->n_digests = (u16)n;
	b->digests = n ? blob + OFF_DIGESTS : NULL;
	memcpy(b->challenge, blob + OFF_CHALLENGE, VMS_KR_CHALLENGE_LEN);
	b->challenge_ns = vms_get_be64(blob + OFF_CHAL_NS);
	b->not_after_ns = not_after;
	b->issued_at = vms_get_be64(blob + OFF_ISSUED_AT);
	if (flags & VMS_KR_FLAG_ROLL)
		memcpy(b->next_key_id, blob + OFF_DIGESTS + (size_t)n * VMS_KR_DIGEST_LEN,
		       VMS_KR_ID_LEN);
	if (wire_flags & VMS_KR_F_VTPM_FLOOR)
		b->vtpm_floor = vms_get_be64(blob + kr_floor_off(n, wire_flags));
	if (v) {
		v->enclave_pk = blob + OFF_ENCLAVE_PK;
		v->enc = blob + OFF_ENC;
		v->kps_pk = blob + OFF_KPS_PK;
		v->aadlen = kr_aadlen(size, wire_flags);
		v->ct = blob + v->aadlen;
		v->ct_next = flags & VMS_KR_FLAG_ROLL ? v->ct + VMS_KR_CT_LEN : NULL;
	}
	return 0;
}

int vms_kr_parse(const u8 *blob, size_t len, struct vms_kr_binding *b,
		 struct vms_kr_view *v)
{
	return kr_parse(blob, len, b, v, 0);
}

int vms_kr_parse_roll(const u8 *blob, size_t len, struct vms_kr_binding *b,
		      struct vms_kr_view *v)
{
	return kr_parse(blob, len, b, v, VMS_KR_FLAG_ROLL);
}

u16 vms_kr_roll_flag(const u8 *blob, size_t len)
{
	if (!blob || len < VMS_KR_HDR_LEN || memcmp(blob + OFF_MAGIC, VMS_KR_MAGIC, 4))
		return 0;
	return vms_get_be16(blob + OFF_FLAGS) & VMS_KR_FLAG_ROLL;
}

/*
 * Open a release of @flags; @tk_next (roll only) gets the next TK. Both
 * outputs are written only once every seal authenticated.
 */
static int kr_open(const u8 *blob, size_t len, u16 flags,
		   const u8 skR[32], const u8 pkR[32], const u8 kps_pk[32],
		   const u8 *want_vm_id, const u8 *want_key_id,
		   struct vms_kr_binding *b, u8 tk[VMS_TK_LEN], u8 *tk_next)
{
	struct vms_hpke_ctx c;
	struct vms_kr_view v;
	u8 tmp[2 * VMS_TK_LEN];
	int ret;

	if (!b)
		return -EINVAL;
	if (!skR || !pkR || !kps_pk || !tk || (flags && !tk_next)) {
		memset(b, 0, sizeof(*b));
		return -EINVAL;
	}
	ret = kr_parse(blob, len, b, &v, flags);
	if (ret)
		return ret;
	/* Cheap, public checks first: they need no secret. */
	if (memcmp(v.enclave_pk, pkR, 32)) {
		ret = -ENOKEY;
		goto out;
	}
	if (memcmp(v.kps_pk, kps_pk, 32)) {
		ret = -EPERM;
		goto out;
	}
	if ((want_vm_id && memcmp(b->vm_id, want_vm_id, VMS_KR_ID_LEN)) ||
	    (want_key_id && memcmp(b->key_id, want_key_id, VMS_KR_ID_LEN))) {
		ret = -EKEYREJECTED;
		goto out;
	}

	/* auth mode: only the holder of the KPS key's secret made this */
	ret = vms_hpke_setup_auth_r(&c, v.enc, skR, kps_pk, kr_info,
				    KR_INFO_LEN, VMS_HPKE_AEAD_AES256GCM);
	if (!ret)
		ret = vms_hpke_open(&c, blob, v.aadlen, v.ct, VMS_KR_CT_LEN,
				    tmp);
	if (!ret && v.ct_next)
		ret = vms_hpke_open(&c, blob, v.aadlen, v.ct_next,
				    VMS_KR_CT_LEN, tmp + VMS_TK_LEN);
	vms_hpke_ctx_wipe(&c);
	/* @tk (and @tk_next) see the keys only once both authenticated. */
	if (!ret) {
		memcpy(tk, tmp, VMS_TK_LEN);
		if (v.ct_next)
			memcpy(tk_next, tmp + VMS_TK_LEN, VMS_TK_LEN);
	}
	vms_prim_wipe(tmp, sizeof(tmp));
out:
	if (ret)
		memset(b, 0, sizeof(*b));
	return ret;
}

int vms_kr_open(const u8 *blob, size_t len,
		const u8 skR[32], const u8 pkR[32], const u8 kps_pk[32],
		const u8 *want_vm_id, const u8 *want_key_id,
		struct vms_kr_binding *b, u8 tk[VMS_TK_LEN])
{
	return kr_open(blob, len, 0, skR, pkR, kps_pk, want_vm_id, want_key_id,
		       b, tk, NULL);
}

int vms_kr_open_roll(const u8 *blob, size_t len,
		     const u8 skR[32], const u8 pkR[32], const u8 kps_pk[32],
		     const u8 *want_vm_id, struct vms_kr_binding *b,
		     u8 tk[VMS_TK_LEN], u8 tk_next[VMS_TK_LEN])
{
	return kr_open(blob, len, VMS_KR_FLAG_ROLL, skR, pkR, kps_pk,
		       want_vm_id, NULL, b, tk, tk_next);
}
