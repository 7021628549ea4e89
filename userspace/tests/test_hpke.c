// SPDX-License-Identifier: GPL-2.0
/*
 * test_hpke.c - HPKE base mode against RFC 9180 A.1, auth mode against
 * A.1.3 (data/hpke/rfc9180-a1-auth.txt), round trips with random keys for
 * both AEADs, and refusal of bad keys and ciphertexts.
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "hpke.h"
#include "selftest.h"
#include "selftest_vectors.h"

static const struct vms_hpke_kat *A1 = &vms_hpke_a1;

static void test_a1_derive_keypair(void **state)
{
	u8 sk[32], pk[32];

	(void)state;
	assert_int_equal(vms_hpke_derive_keypair(A1->ikm_e, 32, sk, pk), 0);
	assert_memory_equal(sk, A1->sk_em, 32);
	assert_memory_equal(pk, A1->pk_em, 32);
	assert_int_equal(vms_hpke_derive_keypair(A1->ikm_r, 32, sk, pk), 0);
	assert_memory_equal(sk, A1->sk_rm, 32);
	assert_memory_equal(pk, A1->pk_rm, 32);
}

static void test_a1_encap_decap(void **state)
{
	u8 ss[32], enc[32];

	(void)state;
	assert_int_equal(vms_hpke_encap(ss, enc, A1->pk_rm, A1->sk_em), 0);
	assert_memory_equal(enc, A1->enc, 32);
	assert_memory_equal(ss, A1->shared_secret, 32);
	memset(ss, 0, sizeof(ss));
	assert_int_equal(vms_hpke_decap(ss, A1->enc, A1->sk_rm), 0);
	assert_memory_equal(ss, A1->shared_secret, 32);
}

static void check_a1_ctx(const struct vms_hpke_ctx *c)
{
	assert_int_equal(c->aead_id, VMS_HPKE_AEAD_AES128GCM);
	assert_int_equal(c->keylen, 16);
	assert_memory_equal(c->key, A1->key, 16);
	assert_memory_equal(c->base_nonce, A1->base_nonce, 12);
	assert_memory_equal(c->exporter_secret, A1->exporter_secret, 32);
	assert_int_equal(c->seq, 0);
}

static void test_a1_key_schedule(void **state)
{
	struct vms_hpke_ctx s, r;
	u8 enc[32];

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&s, enc, A1->pk_rm, A1->info,
					       sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM,
					       A1->sk_em), 0);
	assert_memory_equal(enc, A1->enc, 32);
	check_a1_ctx(&s);
	assert_int_equal(vms_hpke_setup_base_r(&r, A1->enc, A1->sk_rm,
					       A1->info, sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM), 0);
	check_a1_ctx(&r);
	vms_hpke_ctx_wipe(&s);
	vms_hpke_ctx_wipe(&r);
}

/* Every listed encryption, sequence numbers 0, 1, 2, 4, 255 and 256. */
static void test_a1_encryptions(void **state)
{
	struct vms_hpke_ctx s, r;
	u8 buf[45];
	unsigned int i;

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&s, buf, A1->pk_rm, A1->info,
					       sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM,
					       A1->sk_em), 0);
	assert_int_equal(vms_hpke_setup_base_r(&r, A1->enc, A1->sk_rm,
					       A1->info, sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM), 0);
	for (i = 0; i < ARRAY_SIZE(A1->encs); i++) {
		const struct vms_hpke_enc_kat *e = &A1->encs[i];

		s.seq = e->seq;
		assert_int_equal(vms_hpke_seal(&s, e->aad, e->aadlen, A1->pt,
					       sizeof(A1->pt), buf), 0);
		assert_memory_equal(buf, e->ct, sizeof(e->ct));
		assert_int_equal(s.seq, e->seq + 1);
		r.seq = e->seq;
		memset(buf, 0, sizeof(buf));
		assert_int_equal(vms_hpke_open(&r, e->aad, e->aadlen, e->ct,
					       sizeof(e->ct), buf), 0);
		assert_memory_equal(buf, A1->pt, sizeof(A1->pt));
		assert_int_equal(r.seq, e->seq + 1);
	}
	vms_hpke_ctx_wipe(&s);
	vms_hpke_ctx_wipe(&r);
}

/* Sequence numbers advance by themselves: seal 0..2 in a row. */
static void test_a1_sequence_advances(void **state)
{
	struct vms_hpke_ctx s;
	u8 enc[32], buf[45];
	unsigned int i;

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&s, enc, A1->pk_rm, A1->info,
					       sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM,
					       A1->sk_em), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vms_hpke_seal(&s, A1->encs[i].aad,
					       A1->encs[i].aadlen, A1->pt,
					       sizeof(A1->pt), buf), 0);
		assert_memory_equal(buf, A1->encs[i].ct, 45);
	}
	vms_hpke_ctx_wipe(&s);
}

static void test_a1_exports(void **state)
{
	struct vms_hpke_ctx r;
	u8 out[32];
	unsigned int i;

	(void)state;
	assert_int_equal(vms_hpke_setup_base_r(&r, A1->enc, A1->sk_rm,
					       A1->info, sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM), 0);
	for (i = 0; i < ARRAY_SIZE(A1->exports); i++) {
		const struct vms_hpke_exp_kat *x = &A1->exports[i];

		assert_int_equal(vms_hpke_export(&r, x->ctx, x->ctxlen, out,
						 32), 0);
		assert_memory_equal(out, x->value, 32);
	}
	vms_hpke_ctx_wipe(&r);
}

static void test_core_selftest(void **state)
{
	(void)state;
	assert_int_equal(vms_core_selftest(), 0);
}

static void round_trip(u16 aead, size_t ptlen)
{
	struct vms_hpke_ctx s, r;
	u8 ikm[32], sk[32], pk[32], enc[32], aad[7];
	u8 *pt = t_malloc(ptlen), *ct = t_malloc(ptlen + 16);
	u8 *back = t_malloc(ptlen);
	int i;

	t_random(ikm, sizeof(ikm));
	t_random(aad, sizeof(aad));
	t_random(pt, ptlen);
	assert_int_equal(vms_hpke_derive_keypair(ikm, 32, sk, pk), 0);
	assert_int_equal(vms_hpke_setup_base_s(&s, enc, pk, aad, 3, aead,
					       NULL), 0);
	assert_int_equal(vms_hpke_setup_base_r(&r, enc, sk, aad, 3, aead), 0);
	assert_memory_equal(s.key, r.key, s.keylen);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vms_hpke_seal(&s, aad, sizeof(aad), pt, ptlen,
					       ct), 0);
		assert_int_equal(vms_hpke_open(&r, aad, sizeof(aad), ct,
					       ptlen + 16, back), 0);
		assert_memory_equal(back, pt, ptlen);
	}
	vms_hpke_ctx_wipe(&s);
	vms_hpke_ctx_wipe(&r);
	free(pt);
	free(ct);
	free(back);
}

static void test_round_trip_aes128(void **state)
{
	(void)state;
	round_trip(VMS_HPKE_AEAD_AES128GCM, 100);
	round_trip(VMS_HPKE_AEAD_AES128GCM, 0);
}

static void test_round_trip_aes256(void **state)
{
	(void)state;
	round_trip(VMS_HPKE_AEAD_AES256GCM, 32);
	round_trip(VMS_HPKE_AEAD_AES256GCM, 70000);
}

/* Two fresh setups to one key never share enc or key. */
static void test_fresh_ephemeral(void **state)
{
	struct vms_hpke_ctx a, b;
	u8 enc1[32], enc2[32];

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&a, enc1, A1->pk_rm, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM,
					       NULL), 0);
	assert_int_equal(vms_hpke_setup_base_s(&b, enc2, A1->pk_rm, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM,
					       NULL), 0);
	assert_memory_not_equal(enc1, enc2, 32);
	assert_memory_not_equal(a.key, b.key, 32);
	vms_hpke_ctx_wipe(&a);
	vms_hpke_ctx_wipe(&b);
}

static void expect_bad_pkR(const u8 *pkR)
{
	struct vms_hpke_ctx c;
	u8 enc[32];

	memset(enc, PATTERN, sizeof(enc));
	assert_int_equal(vms_hpke_setup_base_s(&c, enc, pkR, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM,
					       NULL), -EINVAL);
	assert_true(t_all(enc, sizeof(enc), PATTERN));
	assert_true(t_all(&c, sizeof(c), 0));
}

static void test_zero_pkR_refused(void **state)
{
	(void)state;
	expect_bad_pkR(t_zero32);
}

static void test_low_order_pkR_refused(void **state)
{
	(void)state;
	expect_bad_pkR(t_low_order);
}

static void expect_bad_enc(const u8 *enc)
{
	struct vms_hpke_ctx c;
	u8 ss[32];

	assert_int_equal(vms_hpke_setup_base_r(&c, enc, A1->sk_rm, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM),
			 -EINVAL);
	assert_true(t_all(&c, sizeof(c), 0));
	memset(ss, PATTERN, sizeof(ss));
	assert_int_equal(vms_hpke_decap(ss, enc, A1->sk_rm), -EINVAL);
	assert_true(t_all(ss, sizeof(ss), 0));
}

static void test_zero_enc_refused(void **state)
{
	(void)state;
	expect_bad_enc(t_zero32);
}

static void test_low_order_enc_refused(void **state)
{
	(void)state;
	expect_bad_enc(t_low_order);
}

static void test_unknown_aead_refused(void **state)
{
	struct vms_hpke_ctx c;
	u8 enc[32];

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&c, enc, A1->pk_rm, NULL, 0,
					       0x0003, NULL), -EINVAL);
	assert_int_equal(vms_hpke_setup_base_r(&c, A1->enc, A1->sk_rm, NULL,
					       0, 0xffff), -EINVAL);
}

/* A tampered ciphertext: -EBADMSG, output zeroed, seq unchanged. */
static void test_open_tampered(void **state)
{
	const struct vms_hpke_enc_kat *e = &A1->encs[0];
	struct vms_hpke_ctx r;
	u8 ct[45], out[29];
	size_t i;

	(void)state;
	assert_int_equal(vms_hpke_setup_base_r(&r, A1->enc, A1->sk_rm,
					       A1->info, sizeof(A1->info),
					       VMS_HPKE_AEAD_AES128GCM), 0);
	for (i = 0; i < sizeof(ct) * 8; i++) {
		memcpy(ct, e->ct, sizeof(ct));
		ct[i / 8] ^= (u8)(1u << (i % 8));
		memset(out, PATTERN, sizeof(out));
		assert_int_equal(vms_hpke_open(&r, e->aad, e->aadlen, ct,
					       sizeof(ct), out), -EBADMSG);
		assert_true(t_all(out, sizeof(out), 0));
		assert_int_equal(r.seq, 0);
	}
	/* Wrong aad, too short, and the context still works after. */
	assert_int_equal(vms_hpke_open(&r, e->aad, e->aadlen - 1, e->ct, 45,
				       out), -EBADMSG);
	assert_int_equal(vms_hpke_open(&r, e->aad, e->aadlen, e->ct, 15, out),
			 -EBADMSG);
	assert_int_equal(vms_hpke_open(&r, e->aad, e->aadlen, e->ct, 45, out),
			 0);
	vms_hpke_ctx_wipe(&r);
}

static void test_seq_overflow_refused(void **state)
{
	struct vms_hpke_ctx s;
	u8 enc[32], ct[16 + 1];

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&s, enc, A1->pk_rm, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM,
					       NULL), 0);
	s.seq = (u64)-2;
	assert_int_equal(vms_hpke_seal(&s, NULL, 0, (const u8 *)"x", 1, ct),
			 0);
	assert_int_equal(vms_hpke_seal(&s, NULL, 0, (const u8 *)"x", 1, ct),
			 -EOVERFLOW);
	assert_int_equal(s.seq, (u64)-1);
	vms_hpke_ctx_wipe(&s);
}

static void test_ctx_wipe_zeroes(void **state)
{
	struct vms_hpke_ctx c;
	u8 enc[32], out[32];

	(void)state;
	assert_int_equal(vms_hpke_setup_base_s(&c, enc, A1->pk_rm, NULL, 0,
					       VMS_HPKE_AEAD_AES256GCM,
					       NULL), 0);
	assert_false(t_all(c.key, 32, 0));
	vms_hpke_ctx_wipe(&c);
	assert_true(t_all(&c, sizeof(c), 0));
	/* A wiped context is unusable rather than a zero key. */
	assert_int_equal(vms_hpke_seal(&c, NULL, 0, NULL, 0, out), -EINVAL);
	assert_int_equal(vms_hpke_export(&c, NULL, 0, out, 32), -EINVAL);
}

/*
 * RFC 9180 A.1.3 (auth mode), read from data/hpke/rfc9180-a1-auth.txt
 * next to the sources, found from the test binary's place (build/tests/
 * or, sanitized, build/asan/tests/).
 */
struct auth_kat {
	u8 info[20], sk_em[32], pk_em[32], sk_rm[32], pk_rm[32];
	u8 ikm_s[32], sk_sm[32], pk_sm[32], enc[32], ss[32];
	u8 key[16], base_nonce[12], exporter_secret[32], pt[29];
	struct { u64 seq; u8 aad[9]; size_t aadlen; u8 ct[45]; } encs[6];
	struct { u8 ctx[11]; size_t ctxlen; u8 value[32]; } exps[3];
};

static size_t unhex(const char *h, u8 *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	while (h[0] && h[1] && n < max && sscanf(h, "%2x", &b) == 1) {
		out[n++] = (u8)b;
		h += 2;
	}
	return n;
}

static void auth_kat_path(char *out, size_t len)
{
	static const char *const up[] = { "../..", "../../.." };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t i;

	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	for (i = 0; i < ARRAY_SIZE(up); i++) {
		snprintf(out, len, "%s/%s/userspace/tests/data/hpke/rfc9180-a1-auth.txt",
			 exe, up[i]);
		if (!access(out, F_OK))
			return;
	}
	fail_msg("data/hpke/rfc9180-a1-auth.txt not found above %s", exe);
}

/* One fixed-size field: the file must give exactly @len bytes. */
static void field(const char *line, const char *name, u8 *out, size_t len,
		  unsigned int *seen)
{
	size_t nl = strlen(name);

	if (strncmp(line, name, nl) || line[nl] != ':' || line[nl + 1] != ' ')
		return;
	assert_int_equal(unhex(line + nl + 2, out, len), len);
	(*seen)++;
}

static void load_auth_kat(struct auth_kat *k)
{
	char path[PATH_MAX + 64], line[512], a[64], b[80], c[128];
	unsigned int seen = 0, ne = 0, nx = 0;
	unsigned long long seq;
	int got;
	FILE *f;

	memset(k, 0, sizeof(*k));
	auth_kat_path(path, sizeof(path));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		field(line, "info", k->info, 20, &seen);
		field(line, "skEm", k->sk_em, 32, &seen);
		field(line, "pkEm", k->pk_em, 32, &seen);
		field(line, "skRm", k->sk_rm, 32, &seen);
		field(line, "pkRm", k->pk_rm, 32, &seen);
		field(line, "ikmS", k->ikm_s, 32, &seen);
		field(line, "skSm", k->sk_sm, 32, &seen);
		field(line, "pkSm", k->pk_sm, 32, &seen);
		field(line, "enc", k->enc, 32, &seen);
		field(line, "shared_secret", k->ss, 32, &seen);
		field(line, "key", k->key, 16, &seen);
		field(line, "base_nonce", k->base_nonce, 12, &seen);
		field(line, "exporter_secret", k->exporter_secret, 32, &seen);
		field(line, "pt", k->pt, 29, &seen);
		if (!strncmp(line, "enc_", 4)) {
			assert_true(ne < ARRAY_SIZE(k->encs));
			got = sscanf(line, "enc_%*u: %llu %63s %127s", &seq, a,
				     c);
			assert_int_equal(got, 3);
			k->encs[ne].seq = seq;
			k->encs[ne].aadlen = unhex(a, k->encs[ne].aad, 9);
			assert_int_equal(unhex(c, k->encs[ne].ct, 45), 45);
			ne++;
		} else if (!strncmp(line, "exp_", 4)) {
			assert_true(nx < ARRAY_SIZE(k->exps));
			got = sscanf(line, "exp_%*u: %63s %79s", a, b);
			assert_int_equal(got, 2);
			k->exps[nx].ctxlen = strcmp(a, "-") ?
					     unhex(a, k->exps[nx].ctx, 11) : 0;
			assert_int_equal(unhex(b, k->exps[nx].value, 32), 32);
			nx++;
		}
	}
	fclose(f);
	assert_int_equal(seen, 14);
	assert_int_equal(ne, 6);
	assert_int_equal(nx, 3);
}

static void test_a1_auth_derive_sender(void **state)
{
	struct auth_kat k;
	u8 sk[32], pk[32];

	(void)state;
	load_auth_kat(&k);
	assert_int_equal(vms_hpke_derive_keypair(k.ikm_s, 32, sk, pk), 0);
	assert_memory_equal(sk, k.sk_sm, 32);
	assert_memory_equal(pk, k.pk_sm, 32);
}

static void test_a1_auth_encap_decap(void **state)
{
	struct auth_kat k;
	u8 ss[32], enc[32];

	(void)state;
	load_auth_kat(&k);
	assert_int_equal(vms_hpke_auth_encap(ss, enc, k.pk_rm, k.sk_sm,
					     k.sk_em), 0);
	assert_memory_equal(enc, k.enc, 32);
	assert_memory_equal(ss, k.ss, 32);
	memset(ss, 0, sizeof(ss));
	assert_int_equal(vms_hpke_auth_decap(ss, k.enc, k.sk_rm, k.pk_sm), 0);
	assert_memory_equal(ss, k.ss, 32);
	/* another sender's key gives another secret: the sender is bound */
	assert_int_equal(vms_hpke_auth_decap(ss, k.enc, k.sk_rm, k.pk_rm), 0);
	assert_memory_not_equal(ss, k.ss, 32);
	/* a low-order sender key is refused, and nothing is left behind */
	assert_int_equal(vms_hpke_auth_decap(ss, k.enc, k.sk_rm, t_low_order),
			 -EINVAL);
	assert_true(t_all(ss, 32, 0));
}

static void test_a1_auth_encryptions(void **state)
{
	struct vms_hpke_ctx s, r;
	struct auth_kat k;
	u8 enc[32], buf[45];
	unsigned int i;

	(void)state;
	load_auth_kat(&k);
	assert_int_equal(vms_hpke_setup_auth_s(&s, enc, k.pk_rm, k.sk_sm,
					       k.info, sizeof(k.info),
					       VMS_HPKE_AEAD_AES128GCM,
					       k.sk_em), 0);
	assert_memory_equal(enc, k.enc, 32);
	assert_memory_equal(s.key, k.key, 16);
	assert_memory_equal(s.base_nonce, k.base_nonce, 12);
	assert_memory_equal(s.exporter_secret, k.exporter_secret, 32);
	assert_int_equal(vms_hpke_setup_auth_r(&r, k.enc, k.sk_rm, k.pk_sm,
					       k.info, sizeof(k.info),
					       VMS_HPKE_AEAD_AES128GCM), 0);
	assert_memory_equal(r.key, k.key, 16);
	for (i = 0; i < ARRAY_SIZE(k.encs); i++) {
		s.seq = k.encs[i].seq;
		assert_int_equal(vms_hpke_seal(&s, k.encs[i].aad,
					       k.encs[i].aadlen, k.pt,
					       sizeof(k.pt), buf), 0);
		assert_memory_equal(buf, k.encs[i].ct, 45);
		r.seq = k.encs[i].seq;
		memset(buf, 0, sizeof(buf));
		assert_int_equal(vms_hpke_open(&r, k.encs[i].aad,
					       k.encs[i].aadlen, k.encs[i].ct,
					       45, buf), 0);
		assert_memory_equal(buf, k.pt, sizeof(k.pt));
	}
	for (i = 0; i < ARRAY_SIZE(k.exps); i++) {
		assert_int_equal(vms_hpke_export(&r, k.exps[i].ctx,
						 k.exps[i].ctxlen, buf, 32), 0);
		assert_memory_equal(buf, k.exps[i].value, 32);
	}
	vms_hpke_ctx_wipe(&s);
	vms_hpke_ctx_wipe(&r);
}

/*
 * What auth mode is for: a recipient that names the sender refuses a
 * message made in base mode (anyone with pkR can make one) and one made
 * by another sender's key.
 */
static void test_auth_refuses_other_senders(void **state)
{
	struct vms_hpke_ctx s, r;
	struct auth_kat k;
	u8 enc[32], ct[32 + 16], pt[32];

	(void)state;
	load_auth_kat(&k);
	/* base mode to the same recipient */
	assert_int_equal(vms_hpke_setup_base_s(&s, enc, k.pk_rm, k.info,
					       sizeof(k.info),
					       VMS_HPKE_AEAD_AES256GCM, NULL), 0);
	assert_int_equal(vms_hpke_seal(&s, NULL, 0, k.sk_rm, 32, ct), 0);
	vms_hpke_ctx_wipe(&s);
	assert_int_equal(vms_hpke_setup_auth_r(&r, enc, k.sk_rm, k.pk_sm,
					       k.info, sizeof(k.info),
					       VMS_HPKE_AEAD_AES256GCM), 0);
	memset(pt, 0, sizeof(pt));
	assert_int_equal(vms_hpke_open(&r, NULL, 0, ct, sizeof(ct), pt),
			 -EBADMSG);
	assert_true(t_all(pt, 32, 0));
	vms_hpke_ctx_wipe(&r);
	/* auth mode, but under the ephemeral key A.1.3 uses as sender */
	assert_int_equal(vms_hpke_setup_auth_s(&s, enc, k.pk_rm, k.sk_em,
					       k.info, sizeof(k.info),
					       VMS_HPKE_AEAD_AES256GCM, NULL), 0);
	assert_int_equal(vms_hpke_seal(&s, NULL, 0, k.sk_rm, 32, ct), 0);
	vms_hpke_ctx_wipe(&s);
	assert_int_equal(vms_hpke_setup_auth_r(&r, enc, k.sk_rm, k.pk_sm,
					       k.info, sizeof(k.info),
					       VMS_HPKE_AEAD_AES256GCM), 0);
	assert_int_equal(vms_hpke_open(&r, NULL, 0, ct, sizeof(ct), pt),
			 -EBADMSG);
	assert_true(t_all(pt, 32, 0));
	vms_hpke_ctx_wipe(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a1_derive_keypair),
		cmocka_unit_test(test_a1_encap_decap),
		cmocka_unit_test(test_a1_key_schedule),
		cmocka_unit_test(test_a1_encryptions),
		cmocka_unit_test(test_a1_sequence_advances),
		cmocka_unit_test(test_a1_exports),
		cmocka_unit_test(test_core_selftest),
		cmocka_unit_test(test_round_trip_aes128),
		cmocka_unit_test(test_round_trip_aes256),
		cmocka_unit_test(test_fresh_ephemeral),
		cmocka_unit_test(test_zero_pkR_refused),
		cmocka_unit_test(test_low_order_pkR_refused),
		cmocka_unit_test(test_zero_enc_refused),
		cmocka_unit_test(test_low_order_enc_refused),
		cmocka_unit_test(test_unknown_aead_refused),
		cmocka_unit_test(test_open_tampered),
		cmocka_unit_test(test_seq_overflow_refused),
		cmocka_unit_test(test_ctx_wipe_zeroes),
		cmocka_unit_test(test_a1_auth_derive_sender),
		cmocka_unit_test(test_a1_auth_encap_decap),
		cmocka_unit_test(test_a1_auth_encryptions),
		cmocka_unit_test(test_auth_refuses_other_senders),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hpke", tests, NULL, NULL);
}
