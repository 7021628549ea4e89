// SPDX-License-Identifier: GPL-2.0
/*
 * selftest.c - known answers for the format core. Each step is its own
 * function so no frame holds more than a few hundred bytes (kernel stack).
 */
#include "selftest.h"
#include "selftest_vectors.h"
#include "hkdf.h"
#include "hpke.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "kat_hooks.h"

#define ST_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef EBADE
#define EBADE 52
#endif

/* Fixed inputs of the key-release and sealed-state known answers. */
static const u8 st_vm_id[16] = {
	0x6f, 0x1c, 0x2a, 0x5e, 0x93, 0x0d, 0x4b, 0x71,
	0x8a, 0x42, 0x0c, 0x5d, 0xe1, 0x77, 0x30, 0x9b,
};

static const u8 st_key_id[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static const u8 st_tk[32] = {
	0x54, 0x4b, 0x2d, 0x66, 0x6f, 0x72, 0x2d, 0x73,
	0x65, 0x6c, 0x66, 0x74, 0x65, 0x73, 0x74, 0x2d,
	0x6f, 0x6e, 0x6c, 0x79, 0x2d, 0x6e, 0x6f, 0x74,
	0x2d, 0x61, 0x2d, 0x6b, 0x65, 0x79, 0x21, 0x21,
};

static const u8 st_digest[32] = {
	0xd7, 0xa8, 0xfb, 0xb3, 0x07, 0xd7, 0x80, 0x94,
	0x69, 0xca, 0x9a, 0xbc, 0xb0, 0x08, 0x2e, 0x4f,
	0x8d, 0x56, 0x51, 0xe4, 0x6d, 0x3c, 0xdb, 0x76,
	0x2d, 0x02, 0xd0, 0xbf, 0x37, 0xc9, 0xe5, 0x92,
};

static const u8 st_ss_nonce[VMS_SS_NONCE_LEN] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
};

static const u8 st_ss_payload[16] = {
	'v', 'T', 'P', 'M', ' ', 's', 't', 'a',
	't', 'e', ' ', 'b', 'y', 't', 'e', 's',
};

#include "selftest_kat.h"

static int st_check(int ret, const void *got, const void *want, size_t len)
{
	if (ret)
		return ret;
	return memcmp(got, want, len) ? -EBADE : 0;
}

static int selftest_hkdf_case(const struct vms_hkdf_kat *v)
{
	struct vms_buf ikm = { v->ikm, v->ikmlen };
	struct vms_buf info = { v->info, v->infolen };
	u8 okm[sizeof(v->okm)];
	u8 prk[32];
	int ret;

	ret = vms_hkdf_extract(v->salt, v->saltlen, &ikm, 1, prk);
	ret = st_check(ret, prk, v->prk, sizeof(prk));
	if (!ret)
		ret = vms_hkdf_expand(prk, &info, v->infolen ? 1 : 0,
				      okm, v->okmlen);
	ret = st_check(ret, okm, v->okm, v->okmlen);
	vms_prim_wipe(prk, sizeof(prk));
	vms_prim_wipe(okm, sizeof(okm));
	return ret;
}

static int selftest_hpke_kem(void)
{
	const struct vms_hpke_kat *v = &vms_hpke_a1;
	u8 sk[32], pk[32], ss[32], enc[32];
	int ret;

	ret = vms_hpke_derive_keypair(v->ikm_e, sizeof(v->ikm_e), sk, pk);
	ret = st_check(ret, sk, v->sk_em, 32);
	ret = st_check(ret, pk, v->pk_em, 32);
	if (!ret)
		ret = vms_hpke_derive_keypair(v->ikm_r, sizeof(v->ikm_r),
					      sk, pk);
	ret = st_check(ret, sk, v->sk_rm, 32);
	ret = st_check(ret, pk, v->pk_rm, 32);
	if (!ret)
		ret = vms_hpke_encap(ss, enc, v->pk_rm, v->sk_em);
	ret = st_check(ret, enc, v->enc, 32);
	ret = st_check(ret, ss, v->shared_secret, 32);
	if (!ret)
		ret = vms_hpke_decap(ss, v->enc, v->sk_rm);
	ret = st_check(ret, ss, v->shared_secret, 32);
	vms_prim_wipe(sk, sizeof(sk));
	vms_prim_wipe(ss, sizeof(ss));
	return ret;
}

static int selftest_hpke_ctx(struct vms_hpke_ctx *c, bool sender)
{
	const struct vms_hpke_kat *v = &vms_hpke_a1;
	u8 enc[32];
	int ret;

	if (sender)
		ret = vms_hpke_setup_base_s(c, enc, v->pk_rm, v->info,
					    sizeof(v->info),
					    VMS_HPKE_AEAD_AES128GCM, v->sk_em);
	else
		ret = vms_hpke_setup_base_r(c, v->enc, v->sk_rm, v->info,
					    sizeof(v->info),
					    VMS_HPKE_AEAD_AES128GCM);
	if (!ret && sender)
		ret = st_check(ret, enc, v->enc, 32);
	if (!ret && c->keylen != sizeof(v->key))
		ret = -EBADE;
	ret = st_check(ret, c->key, v->key, sizeof(v->key));
	ret = st_check(ret, c->base_nonce, v->base_nonce, 12);
	ret = st_check(ret, c->exporter_secret, v->exporter_secret, 32);
	return ret;
}

static int selftest_hpke_messages(bool sender)
{
	const struct vms_hpke_kat *v = &vms_hpke_a1;
	struct vms_hpke_ctx c;
	u8 buf[sizeof(v->encs[0].ct)];
	unsigned int i;
	int ret;

	ret = selftest_hpke_ctx(&c, sender);
	for (i = 0; !ret && i < ST_ARRAY_LEN(v->encs); i++) {
		const struct vms_hpke_enc_kat *e = &v->encs[i];

		c.seq = e->seq;
		if (sender) {
			ret = vms_hpke_seal(&c, e->aad, e->aadlen, v->pt,
					    sizeof(v->pt), buf);
			ret = st_check(ret, buf, e->ct, sizeof(e->ct));
		} else {
			ret = vms_hpke_open(&c, e->aad, e->aadlen, e->ct,
					    sizeof(e->ct), buf);
			ret = st_check(ret, buf, v->pt, sizeof(v->pt));
		}
		if (!ret && c.seq != e->seq + 1)
			ret = -EBADE;
	}
	for (i = 0; !ret && i < ST_ARRAY_LEN(v->exports); i++) {
		const struct vms_hpke_exp_kat *x = &v->exports[i];

		ret = vms_hpke_export(&c, x->ctx, x->ctxlen, buf, 32);
		ret = st_check(ret, buf, x->value, 32);
	}
	vms_hpke_ctx_wipe(&c);
	vms_prim_wipe(buf, sizeof(buf));
	return ret;
}

static int selftest_keyrelease(void)
{
	const struct vms_hpke_kat *v = &vms_hpke_a1;
	struct vms_kr_binding b = {
		.policy = VMS_KR_POLICY_SHIELDED,
		.lifetime_s = 3600,
		.n_digests = 1,
		.digests = st_digest,
		.challenge_ns = 5000000000ULL,
		.issued_at = 1764892800,
	};
	const u8 *kps_pk = v->pk_em;
	u8 blob[sizeof(st_kr_kat)];
	u8 tk[32];
	int ret;

	memcpy(b.vm_id, st_vm_id, 16);
	memcpy(b.key_id, st_key_id, 16);
	memcpy(b.challenge, st_kr_challenge, sizeof(b.challenge));
	/*
	 * The A.1 recipient plays the enclave, A.1's skEm the KPS key, and
	 * A.1's ikmE (any 32 bytes are an X25519 key) the ephemeral key.
	 */
	ret = vms_kr_build_kat(&b, v->pk_rm, v->sk_em, st_tk, v->ikm_e, blob,
			       sizeof(blob));
	ret = st_check(ret, blob, st_kr_kat, sizeof(blob));
	if (!ret)
		ret = vms_kr_open(blob, sizeof(blob), v->sk_rm, v->pk_rm,
				  kps_pk, st_vm_id, st_key_id, &b, tk);
	ret = st_check(ret, tk, st_tk, 32);
	if (!ret && (b.policy != VMS_KR_POLICY_SHIELDED ||
		     b.lifetime_s != 3600 || b.n_digests != 1 ||
		     memcmp(b.digests, st_digest, 32) ||
		     memcmp(b.challenge, st_kr_challenge, 32) ||
		     b.not_after_ns != 3605000000000ULL))
		ret = -EBADE;
	/* Fail closed: one flipped bit must not open. */
	if (!ret) {
		blob[sizeof(blob) - 1] ^= 1;
		if (vms_kr_open(blob, sizeof(blob), v->sk_rm, v->pk_rm,
				kps_pk, NULL, NULL, &b, tk) != -EBADMSG)
			ret = -EBADE;
	}
	vms_prim_wipe(tk, sizeof(tk));
	return ret;
}

static int selftest_sealedstate(void)
{
	struct vms_seal_key k;
	u8 blob[sizeof(st_ss_kat)];
	u8 pt[sizeof(st_ss_payload)];
	u64 gen = 0;
	int ret;

	ret = vms_seal_key_init(&k, st_tk, st_vm_id, st_key_id, 60, 1000);
	if (!ret)
		ret = vms_ss_seal_kat(&k, 1000, 7, st_ss_nonce, st_ss_payload,
				      sizeof(st_ss_payload), blob,
				      sizeof(blob));
	ret = st_check(ret, blob, st_ss_kat, sizeof(blob));
	if (!ret)
		ret = vms_ss_unseal(&k, 2000, blob, sizeof(blob), pt,
				    sizeof(pt), &gen);
	ret = st_check(ret, pt, st_ss_payload, sizeof(pt));
	if (!ret && gen != 7)
		ret = -EBADE;
	if (!ret) {
		blob[VMS_SS_HDR_LEN] ^= 0x80;
		if (vms_ss_unseal(&k, 2000, blob, sizeof(blob), pt,
				  sizeof(pt), &gen) != -EBADMSG)
			ret = -EBADE;
	}
	/* Past its lifetime the key must refuse. */
	if (!ret && vms_ss_seal(&k, 1000 + 60000000000ULL, 8, pt, sizeof(pt),
				blob, sizeof(blob)) != -EKEYEXPIRED)
		ret = -EBADE;
	vms_seal_key_wipe(&k);
	vms_prim_wipe(pt, sizeof(pt));
	return ret;
}

int vms_core_selftest(void)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < ST_ARRAY_LEN(vms_hkdf_kats); i++)
		ret = selftest_hkdf_case(&vms_hkdf_kats[i]);
	if (!ret)
		ret = selftest_hpke_kem();
	if (!ret)
		ret = selftest_hpke_messages(true);
	if (!ret)
		ret = selftest_hpke_messages(false);
	if (!ret)
		ret = selftest_keyrelease();
	if (!ret)
		ret = selftest_sealedstate();
	return ret;
}
