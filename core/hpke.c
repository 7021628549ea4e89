// SPDX-License-Identifier: GPL-2.0
/*
 * hpke.c - RFC 9180 base and auth modes over the primitive interface.
 *
 * Each function keeps its secrets in small stack buffers and wipes them on
 * every exit path; the only secrets that outlive a call are the ones the
 * caller asked for (a context, a shared secret, a key pair).
 */
#include "hpke.h"
#include "hkdf.h"

static const u8 hpke_v1[7] = { 'H', 'P', 'K', 'E', '-', 'v', '1' };

/* suite_id = "KEM" || I2OSP(kem_id, 2) (RFC 9180 4.1) */
#define KEM_SUITE_LEN	5
/* suite_id = "HPKE" || kem_id || kdf_id || aead_id (RFC 9180 5.1) */
#define HPKE_SUITE_LEN	10

struct suite {
	u8 id[HPKE_SUITE_LEN];
	u8 len;
};

static void kem_suite(struct suite *s)
{
	s->id[0] = 'K';
	s->id[1] = 'E';
	s->id[2] = 'M';
	vms_put_be16(s->id + 3, VMS_HPKE_KEM_X25519_SHA256);
	s->len = KEM_SUITE_LEN;
}

static void hpke_suite(struct suite *s, u16 aead_id)
{
	s->id[0] = 'H';
	s->id[1] = 'P';
	s->id[2] = 'K';
	s->id[3] = 'E';
	vms_put_be16(s->id + 4, VMS_HPKE_KEM_X25519_SHA256);
	vms_put_be16(s->id + 6, VMS_HPKE_KDF_HKDF_SHA256);
	vms_put_be16(s->id + 8, aead_id);
	s->len = HPKE_SUITE_LEN;
}

static int aead_keylen(u16 aead_id)
{
	switch (aead_id) {
	case VMS_HPKE_AEAD_AES128GCM:
		return 16;
	case VMS_HPKE_AEAD_AES256GCM:
		return 32;
	default:
		return -EINVAL;
	}
}

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1"||suite||label||ikm) */
static int labeled_extract(const struct suite *s, const u8 *salt,
			   size_t saltlen, const char *label,
			   const u8 *ikm, size_t ikmlen, u8 prk[32])
{
	struct vms_buf parts[4] = {
		{ hpke_v1, sizeof(hpke_v1) },
		{ s->id, s->len },
		{ (const u8 *)label, strlen(label) },
		{ ikm, ikmlen },
	};

	return vms_hkdf_extract(salt, saltlen, parts, ikmlen ? 4 : 3, prk);
}

/*
 * LabeledExpand(prk, label, info, L) =
 *	Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite || label || info, L)
 * with @info given in up to two pieces.
 */
static int labeled_expand(const struct suite *s, const u8 prk[32],
			  const char *label, const struct vms_buf *info,
			  unsigned int ninfo, u8 *out, size_t len)
{
	struct vms_buf parts[6];
	unsigned int i, np = 0;
	u8 lbuf[2];

	if (len > VMS_HKDF_MAX_OKM || ninfo > 2)
		return -EINVAL;
	vms_put_be16(lbuf, (u16)len);
	parts[np].p = lbuf;
	parts[np++].len = sizeof(lbuf);
	parts[np].p = hpke_v1;
	parts[np++].len = sizeof(hpke_v1);
	parts[np].p = s->id;
	parts[np++].len = s->len;
	parts[np].p = (const u8 *)label;
	parts[np++].len = strlen(label);
	for (i = 0; i < ninfo; i++)
		parts[np++] = info[i];
	return vms_hkdf_expand(prk, parts, np, out, len);
}

int vms_hpke_derive_keypair(const u8 *ikm, size_t ikmlen,
			    u8 sk[VMS_HPKE_SK_LEN], u8 pk[VMS_HPKE_PK_LEN])
{
	struct suite s;
	u8 prk[32];
	int ret;

	if (!ikm || ikmlen < VMS_HPKE_SK_LEN || !sk || !pk)
		return -EINVAL;
	kem_suite(&s);
	ret = labeled_extract(&s, NULL, 0, "dkp_prk", ikm, ikmlen, prk);
	if (!ret)
		ret = labeled_expand(&s, prk, "sk", NULL, 0, sk,
				     VMS_HPKE_SK_LEN);
	if (!ret)
		ret = vms_prim_x25519_base(pk, sk);
	vms_prim_wipe(prk, sizeof(prk));
	if (ret) {
		vms_prim_wipe(sk, VMS_HPKE_SK_LEN);
		memset(pk, 0, VMS_HPKE_PK_LEN);
	}
	return ret;
}

/*
 * ExtractAndExpand(dh, kem_context) (RFC 9180 4.1): kem_context is
 * enc || pkR in base mode, enc || pkR || pkS in auth mode (@pkS non-NULL,
 * and then @dh is the two DH outputs, 64 bytes).
 */
static int kem_extract_and_expand(const u8 *dh, size_t dhlen,
				  const u8 enc[32], const u8 pkR[32],
				  const u8 *pkS, u8 ss[32])
{
	u8 ctx[3 * VMS_HPKE_PK_LEN];
	struct vms_buf kem_context = { ctx, pkS ? sizeof(ctx) : 64 };
	struct suite s;
	u8 prk[32];
	int ret;

	memcpy(ctx, enc, VMS_HPKE_ENC_LEN);
	memcpy(ctx + 32, pkR, VMS_HPKE_PK_LEN);
	if (pkS)
		memcpy(ctx + 64, pkS, VMS_HPKE_PK_LEN);
	kem_suite(&s);
	ret = labeled_extract(&s, NULL, 0, "eae_prk", dh, dhlen, prk);
	if (!ret)
		ret = labeled_expand(&s, prk, "shared_secret", &kem_context, 1,
				     ss, VMS_HPKE_SECRET_LEN);
	vms_prim_wipe(prk, sizeof(prk));
	return ret;
}

/*
 * Encap, or AuthEncap when the sender's static key @skS is given (RFC 9180
 * 4.1, 5.1.3): dh = DH(skE, pkR) [|| DH(skS, pkR)], and the sender's
 * public key joins the KEM context, so only the holder of skS can make a
 * shared secret the recipient accepts as from pkS.
 */
static int kem_encap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		     u8 enc[VMS_HPKE_ENC_LEN], const u8 pkR[VMS_HPKE_PK_LEN],
		     const u8 *skS, const u8 *skE)
{
	u8 ske[VMS_HPKE_SK_LEN];
	u8 pke[VMS_HPKE_PK_LEN];
	u8 pks[VMS_HPKE_PK_LEN];
	u8 dh[64];
	size_t dhlen = skS ? 64 : 32;
	int ret;

	if (!shared_secret || !enc || !pkR)
		return -EINVAL;
	if (skE) {
		memcpy(ske, skE, sizeof(ske));
		ret = 0;
	} else {
		/* GenerateKeyPair for X25519: 32 uniformly random bytes. */
		ret = vms_prim_random(ske, sizeof(ske));
	}
	if (!ret)
		ret = vms_prim_x25519_base(pke, ske);
	if (!ret && skS)
		ret = vms_prim_x25519_base(pks, skS);
	/* -EINVAL here when pkR is all-zero or of low order. */
	if (!ret)
		ret = vms_prim_x25519(dh, ske, pkR);
	if (!ret && skS)
		ret = vms_prim_x25519(dh + 32, skS, pkR);
	if (!ret)
		ret = kem_extract_and_expand(dh, dhlen, pke, pkR, skS ? pks : NULL,
					     shared_secret);
	if (!ret)
		memcpy(enc, pke, VMS_HPKE_ENC_LEN);
	else
		vms_prim_wipe(shared_secret, VMS_HPKE_SECRET_LEN);
	vms_prim_wipe(ske, sizeof(ske));
	vms_prim_wipe(dh, sizeof(dh));
	return ret;
}

/* Decap, or AuthDecap with @pkS: dh = DH(skR, enc) [|| DH(skR, pkS)]. */
static int kem_decap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		     const u8 enc[VMS_HPKE_ENC_LEN],
		     const u8 skR[VMS_HPKE_SK_LEN], const u8 *pkS)
{
	u8 pkr[VMS_HPKE_PK_LEN];
	u8 dh[64];
	size_t dhlen = pkS ? 64 : 32;
	int ret;

	if (!shared_secret || !enc || !skR)
		return -EINVAL;
	/* -EINVAL here when enc (or pkS) is all-zero or of low order. */
	ret = vms_prim_x25519(dh, skR, enc);
	if (!ret && pkS)
		ret = vms_prim_x25519(dh + 32, skR, pkS);
	if (!ret)
		ret = vms_prim_x25519_base(pkr, skR);
	if (!ret)
		ret = kem_extract_and_expand(dh, dhlen, enc, pkr, pkS,
					     shared_secret);
	if (ret)
		vms_prim_wipe(shared_secret, VMS_HPKE_SECRET_LEN);
	vms_prim_wipe(dh, sizeof(dh));
	return ret;
}

int vms_hpke_encap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		   u8 enc[VMS_HPKE_ENC_LEN], const u8 pkR[VMS_HPKE_PK_LEN],
		   const u8 *skE)
{
	return kem_encap(shared_secret, enc, pkR, NULL, skE);
}

int vms_hpke_decap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
		   const u8 enc[VMS_HPKE_ENC_LEN],
		   const u8 skR[VMS_HPKE_SK_LEN])
{
	return kem_decap(shared_secret, enc, skR, NULL);
}

/* KeySchedule for @mode (base or auth: psk and psk_id empty in both) */
static int key_schedule_mode(struct vms_hpke_ctx *c, u8 mode,
			     const u8 shared_secret[VMS_HPKE_SECRET_LEN],
			     const u8 *info, size_t infolen, u16 aead_id)
{
	/* key_schedule_context = mode || psk_id_hash || info_hash */
	u8 ksc[1 + 2 * VMS_HPKE_SECRET_LEN];
	struct vms_buf kscb = { ksc, sizeof(ksc) };
	u8 secret[VMS_HPKE_SECRET_LEN];
	struct suite s;
	int keylen, ret;

	if (!c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	keylen = aead_keylen(aead_id);
	if (keylen < 0 || !shared_secret || (infolen && !info))
		return -EINVAL;

	hpke_suite(&s, aead_id);
	ksc[0] = mode;
	/* Base and auth modes: psk and psk_id are empty. */
	ret = labeled_extract(&s, NULL, 0, "psk_id_hash", NULL, 0, ksc + 1);
	if (!ret)
		ret = labeled_extract(&s, NULL, 0, "info_hash", info, infolen,
				      ksc + 1 + VMS_HPKE_SECRET_LEN);
	if (!ret)
		ret = labeled_extract(&s, shared_secret, VMS_HPKE_SECRET_LEN,
				      "secret", NULL, 0, secret);
	if (!ret)
		ret = labeled_expand(&s, secret, "key", &kscb, 1, c->key,
				     (size_t)keylen);
	if (!ret)
		ret = labeled_expand(&s, secret, "base_nonce", &kscb, 1,
				     c->base_nonce, VMS_HPKE_NONCE_LEN);
	if (!ret)
		ret = labeled_expand(&s, secret, "exp", &kscb, 1,
				     c->exporter_secret, VMS_HPKE_SECRET_LEN);
	vms_prim_wipe(secret, sizeof(secret));
	vms_prim_wipe(ksc, sizeof(ksc));
	if (ret) {
		vms_hpke_ctx_wipe(c);
		return ret;
	}
	c->aead_id = aead_id;
	c->keylen = (u8)keylen;
	c->seq = 0;
	return 0;
}

int vms_hpke_key_schedule(struct vms_hpke_ctx *c,
			  const u8 shared_secret[VMS_HPKE_SECRET_LEN],
			  const u8 *info, size_t infolen, u16 aead_id)
{
	return key_schedule_mode(c, VMS_HPKE_MODE_BASE, shared_secret, info,
				 infolen, aead_id);
}

/* AuthEncap and AuthDecap: the sender's static key is required. */
int vms_hpke_auth_encap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
			u8 enc[VMS_HPKE_ENC_LEN], const u8 pkR[VMS_HPKE_PK_LEN],
			const u8 skS[VMS_HPKE_SK_LEN], const u8 *skE)
{
	if (!skS)
		return -EINVAL;
	return kem_encap(shared_secret, enc, pkR, skS, skE);
}

int vms_hpke_auth_decap(u8 shared_secret[VMS_HPKE_SECRET_LEN],
			const u8 enc[VMS_HPKE_ENC_LEN],
			const u8 skR[VMS_HPKE_SK_LEN],
			const u8 pkS[VMS_HPKE_PK_LEN])
{
	if (!pkS)
		return -EINVAL;
	return kem_decap(shared_secret, enc, skR, pkS);
}

/*
 * The sender's and the recipient's setup: mode_auth when a static key of
 * the sender is given (@skS, @pkS), else mode_base (RFC 9180 5.1.1, 5.1.3).
 */
static int setup_s(struct vms_hpke_ctx *c, u8 enc[VMS_HPKE_ENC_LEN],
		   const u8 pkR[VMS_HPKE_PK_LEN], const u8 *skS,
		   const u8 *info, size_t infolen, u16 aead_id, const u8 *skE)
{
	u8 ss[VMS_HPKE_SECRET_LEN];
	u8 e[VMS_HPKE_ENC_LEN];
	int ret;

	if (!c || !enc)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (aead_keylen(aead_id) < 0)
		return -EINVAL;
	if (skS)
		ret = vms_hpke_auth_encap(ss, e, pkR, skS, skE);
	else
		ret = vms_hpke_encap(ss, e, pkR, skE);
	if (!ret)
		ret = key_schedule_mode(c, skS ? VMS_HPKE_MODE_AUTH : VMS_HPKE_MODE_BASE,
					ss, info, infolen, aead_id);
	vms_prim_wipe(ss, sizeof(ss));
	if (!ret)
		memcpy(enc, e, sizeof(e));
	return ret;
}

static int setup_r(struct vms_hpke_ctx *c, const u8 enc[VMS_HPKE_ENC_LEN],
		   const u8 skR[VMS_HPKE_SK_LEN], const u8 *pkS,
		   const u8 *info, size_t infolen, u16 aead_id)
{
	u8 ss[VMS_HPKE_SECRET_LEN];
	int ret;

	if (!c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (aead_keylen(aead_id) < 0)
		return -EINVAL;
	if (pkS)
		ret = vms_hpke_auth_decap(ss, enc, skR, pkS);
	else
		ret = vms_hpke_decap(ss, enc, skR);
	if (!ret)
		ret = key_schedule_mode(c, pkS ? VMS_HPKE_MODE_AUTH : VMS_HPKE_MODE_BASE,
					ss, info, infolen, aead_id);
	vms_prim_wipe(ss, sizeof(ss));
	return ret;
}

int vms_hpke_setup_base_s(struct vms_hpke_ctx *c, u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 pkR[VMS_HPKE_PK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id,
			  const u8 *skE)
{
	return setup_s(c, enc, pkR, NULL, info, infolen, aead_id, skE);
}

int vms_hpke_setup_base_r(struct vms_hpke_ctx *c,
			  const u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 skR[VMS_HPKE_SK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id)
{
	return setup_r(c, enc, skR, NULL, info, infolen, aead_id);
}

int vms_hpke_setup_auth_s(struct vms_hpke_ctx *c, u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 pkR[VMS_HPKE_PK_LEN],
			  const u8 skS[VMS_HPKE_SK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id,
			  const u8 *skE)
{
	/* never base mode for a missing key: refuse, as the auth KEM would */
	if (!skS) {
		if (c)
			memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	return setup_s(c, enc, pkR, skS, info, infolen, aead_id, skE);
}

int vms_hpke_setup_auth_r(struct vms_hpke_ctx *c,
			  const u8 enc[VMS_HPKE_ENC_LEN],
			  const u8 skR[VMS_HPKE_SK_LEN],
			  const u8 pkS[VMS_HPKE_PK_LEN],
			  const u8 *info, size_t infolen, u16 aead_id)
{
	/* never base mode for a missing key: refuse, as the auth KEM would */
	if (!pkS) {
		if (c)
			memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	return setup_r(c, enc, skR, pkS, info, infolen, aead_id);
}

/* nonce = base_nonce XOR I2OSP(seq, Nn) (RFC 9180 5.2) */
static void compute_nonce(const struct vms_hpke_ctx *c,
			  u8 nonce[VMS_HPKE_NONCE_LEN])
{
	u8 seq[8];
	int i;

	vms_put_be64(seq, c->seq);
	memcpy(nonce, c->base_nonce, VMS_HPKE_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[VMS_HPKE_NONCE_LEN - 8 + i] ^= seq[i];
}

int vms_hpke_seal(struct vms_hpke_ctx *c, const u8 *aad, size_t aadlen,
		  const u8 *pt, size_t ptlen, u8 *out)
{
	u8 nonce[VMS_HPKE_NONCE_LEN];
	int ret;

	if (!c || !c->keylen || !out || (ptlen && !pt) || (aadlen && !aad))
		return -EINVAL;
	/*
	 * RFC 9180 limits seq to 2^96 - 1; our counter is 64 bits, so the
	 * last value is refused rather than allowed to wrap to a used nonce.
	 */
	if (c->seq == (u64)-1)
		return -EOVERFLOW;
	compute_nonce(c, nonce);
	ret = vms_prim_aead_seal(c->key, c->keylen, nonce, aad, aadlen,
				 pt, ptlen, out);
	vms_prim_wipe(nonce, sizeof(nonce));
	if (ret) {
		vms_hpke_ctx_wipe(c);
		return ret;
	}
	c->seq++;
	return 0;
}

int vms_hpke_open(struct vms_hpke_ctx *c, const u8 *aad, size_t aadlen,
		  const u8 *ct, size_t ctlen, u8 *out)
{
	u8 nonce[VMS_HPKE_NONCE_LEN];
	int ret;

	if (!c || !c->keylen || !ct || (aadlen && !aad))
		return -EINVAL;
	if (ctlen < VMS_HPKE_TAG_LEN)
		return -EBADMSG;
	if (ctlen > VMS_HPKE_TAG_LEN && !out)
		return -EINVAL;
	if (c->seq == (u64)-1)
		return -EOVERFLOW;
	compute_nonce(c, nonce);
	ret = vms_prim_aead_open(c->key, c->keylen, nonce, aad, aadlen,
				 ct, ctlen, out);
	vms_prim_wipe(nonce, sizeof(nonce));
	if (ret)
		return ret;
	c->seq++;
	return 0;
}

int vms_hpke_export(const struct vms_hpke_ctx *c,
		    const u8 *exporter_context, size_t ctxlen,
		    u8 *out, size_t len)
{
	struct vms_buf ctxb = { exporter_context, ctxlen };
	struct suite s;

	if (!c || !c->keylen || !out || (ctxlen && !exporter_context) ||
	    len > VMS_HPKE_MAX_EXPORT)
		return -EINVAL;
	hpke_suite(&s, c->aead_id);
	return labeled_expand(&s, c->exporter_secret, "sec", &ctxb,
			      ctxlen ? 1 : 0, out, len);
}

void vms_hpke_ctx_wipe(struct vms_hpke_ctx *c)
{
	if (c)
		vms_prim_wipe(c, sizeof(*c));
}
