// SPDX-License-Identifier: GPL-2.0
/*
 * test_sealedstate.c - sealed vTPM state: round trips over sizes up to
 * 1 MiB, the known answer, every bad input refused with its documented
 * errno and no plaintext released, nonce uniqueness, the seal limit.
 */
#include "testutil.h"
#include "hkdf.h"
#include "sealedstate.h"
#include "kat_hooks.h"

#define NOW	1000000000ULL		/* any boot-time instant */
#define SMALL	16			/* payload of the small blob */
#define SMALL_LEN (SMALL + VMS_SS_OVERHEAD)

static const u8 tk_fixed[32] = "TK-for-selftest-only-not-a-key!!";
static const u8 payload_fixed[SMALL] = "vTPM state bytes";

static void key_init(struct vms_seal_key *k)
{
	assert_int_equal(vms_seal_key_init(k, tk_fixed, t_vm_id, t_key_id,
					   3600, NOW), 0);
}

static size_t seal_small(u8 *blob)
{
	struct vms_seal_key k;

	key_init(&k);
	assert_int_equal(vms_ss_seal(&k, NOW, 42, payload_fixed, SMALL, blob,
				     SMALL_LEN), 0);
	vms_seal_key_wipe(&k);
	return SMALL_LEN;
}

/*
 * Unseal @blob expecting @err. Output is prefilled with a pattern: on
 * -EBADMSG its first len - 96 bytes must be zero, otherwise untouched.
 */
static void expect_unseal_key(const struct vms_seal_key *k, u64 now,
			      const u8 *blob, size_t len, int err)
{
	u8 out[SMALL + 64];
	u64 gen = 12345;
	size_t plen = len > VMS_SS_OVERHEAD ? len - VMS_SS_OVERHEAD : 0;

	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_unseal(k, now, blob, len, out, sizeof(out),
				       &gen), err);
	if (!err) {	/* the untouched small blob */
		assert_int_equal(gen, 42);
		assert_memory_equal(out, payload_fixed, SMALL);
		return;
	}
	assert_int_equal(gen, 12345);
	if (err == -EBADMSG) {
		assert_true(t_all(out, plen, 0));
		assert_true(t_all(out + plen, sizeof(out) - plen, PATTERN));
	} else {
		assert_true(t_all(out, sizeof(out), PATTERN));
	}
}

static void expect_unseal(const u8 *blob, size_t len, int err)
{
	struct vms_seal_key k;

	key_init(&k);
	expect_unseal_key(&k, NOW, blob, len, err);
	vms_seal_key_wipe(&k);
}

static void round_trip(size_t n)
{
	struct vms_seal_key k;
	u8 *pt = t_malloc(n), *back = t_malloc(n);
	size_t len = vms_ss_size(n);
	u8 *blob = t_malloc(len);
	struct vms_ss_header h;
	u64 gen = 0;

	t_random(pt, n);
	key_init(&k);
	assert_int_equal(vms_ss_seal(&k, NOW, 0x0102030405060708ULL, pt, n,
				     blob, len), 0);
	assert_int_equal(vms_ss_parse(blob, len, &h), 0);
	assert_int_equal(h.payload_len, n);
	assert_int_equal(h.generation, 0x0102030405060708ULL);
	assert_memory_equal(h.vm_id, t_vm_id, 16);
	assert_memory_equal(h.key_id, t_key_id, 16);
	if (n >= 16)	/* ciphertext is not the plaintext */
		assert_memory_not_equal(blob + VMS_SS_HDR_LEN, pt, 16);
	assert_int_equal(vms_ss_unseal(&k, NOW + 1, blob, len, back, n, &gen),
			 0);
	assert_memory_equal(back, pt, n);
	assert_int_equal(gen, 0x0102030405060708ULL);
	vms_seal_key_wipe(&k);
	free(pt);
	free(back);
	free(blob);
}

static void test_round_trip_0(void **state) { (void)state; round_trip(0); }
static void test_round_trip_1(void **state) { (void)state; round_trip(1); }
static void test_round_trip_4k(void **state) { (void)state; round_trip(4096); }
static void test_round_trip_64k(void **state)
{
	(void)state;
	round_trip(65536);
}

static void test_round_trip_1m(void **state)
{
	(void)state;
	round_trip(1 << 20);
}

static void test_round_trip_max(void **state)
{
	(void)state;
	round_trip(VMS_SS_MAX_PAYLOAD);
}

/* A TK of another key (same ids) cannot open the blob. */
static void test_other_tk(void **state)
{
	u8 blob[SMALL_LEN], tk[32];
	struct vms_seal_key k;

	(void)state;
	seal_small(blob);
	memcpy(tk, tk_fixed, 32);
	tk[0] ^= 1;
	assert_int_equal(vms_seal_key_init(&k, tk, t_vm_id, t_key_id, 0, 0),
			 0);
	expect_unseal_key(&k, NOW, blob, SMALL_LEN, -EBADMSG);
	vms_seal_key_wipe(&k);
}

static void test_known_answer(void **state)
{
	static const u8 nonce[24] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	};
	u8 blob[SMALL_LEN], key[32], ct[SMALL + 16];
	struct vms_buf info[4] = {
		{ (const u8 *)VMS_SS_KEY_LABEL, sizeof(VMS_SS_KEY_LABEL) - 1 },
		{ t_vm_id, 16 }, { t_key_id, 16 }, { nonce, 12 },
	};
	struct vms_buf ikm = { tk_fixed, 32 };
	struct vms_seal_key k;
	u8 prk[32];

	(void)state;
	key_init(&k);
	assert_int_equal(vms_ss_seal_kat(&k, NOW, 7, nonce, payload_fixed,
					 SMALL, blob, sizeof(blob)), 0);
	/* Recompute the blob from formats.md by hand with the primitives. */
	assert_int_equal(vms_hkdf_extract((const u8 *)VMS_SS_SALT_LABEL,
					  sizeof(VMS_SS_SALT_LABEL) - 1, &ikm,
					  1, prk), 0);
	assert_memory_equal(prk, k.prk, 32);
	assert_int_equal(vms_hkdf_expand(prk, info, 4, key, 32), 0);
	assert_int_equal(vms_prim_aead_seal(key, 32, nonce + 12, blob, 80,
					    payload_fixed, SMALL, ct), 0);
	assert_memory_equal(blob + 80, ct, sizeof(ct));
	assert_memory_equal(blob, "VMSS\0\1\0\0", 8);
	assert_memory_equal(blob + 8, t_vm_id, 16);
	assert_memory_equal(blob + 24, t_key_id, 16);
	assert_memory_equal(blob + 40, "\0\0\0\0\0\0\0\7", 8);
	assert_memory_equal(blob + 48, nonce, 24);
	assert_memory_equal(blob + 72, "\0\0\0\0\0\0\0\x10", 8);
	vms_seal_key_wipe(&k);
}

static int flip_errno(size_t off)
{
	if (off < 4)
		return -EILSEQ;
	if (off < 6)
		return -EPROTONOSUPPORT;
	if (off < 8)
		return -EINVAL;
	if (off < 40)
		return -EKEYREJECTED;		/* vm_id, key_id */
	if (off < 72)
		return -EBADMSG;		/* generation, nonce: in aad */
	if (off < 80)
		return -EMSGSIZE;		/* payload length */
	return -EBADMSG;			/* ciphertext, tag */
}

/*
 * The known-answer entry point is the production seal with its nonce
 * given: same checks, same counting, same header; it never falls back to
 * a random nonce.
 */
static void test_kat_is_the_production_path(void **state)
{
	static const u8 nonce[24] = { 1, 2, 3 };
	u8 kat[SMALL_LEN], prod[SMALL_LEN];
	struct vms_seal_key k;

	(void)state;
	key_init(&k);
	assert_int_equal(vms_ss_seal_kat(&k, NOW, 9, NULL, payload_fixed,
					 SMALL, kat, sizeof(kat)), -EINVAL);
	assert_int_equal(k.seals, 0);
	assert_int_equal(vms_ss_seal_kat(&k, NOW, 9, nonce, payload_fixed,
					 SMALL, kat, sizeof(kat)), 0);
	assert_int_equal(k.seals, 1);
	assert_int_equal(vms_ss_seal(&k, NOW, 9, payload_fixed, SMALL, prod,
				     sizeof(prod)), 0);
	assert_int_equal(k.seals, 2);
	/* Everything but the nonce (48..71) and what it keys is the same. */
	assert_memory_equal(kat, prod, 48);
	assert_memory_equal(kat + 72, prod + 72, 8);
	assert_memory_not_equal(kat + 48, prod + 48, 24);
	/* Both refuse alike once the key is spent. */
	k.seals = VMS_SS_MAX_SEALS;
	assert_int_equal(vms_ss_seal_kat(&k, NOW, 9, nonce, payload_fixed,
					 SMALL, kat, sizeof(kat)), -EDQUOT);
	assert_int_equal(vms_ss_seal(&k, NOW, 9, payload_fixed, SMALL, prod,
				     sizeof(prod)), -EDQUOT);
	vms_seal_key_wipe(&k);
}

static void test_every_bit_flip(void **state)
{
	u8 blob[SMALL_LEN], bad[SMALL_LEN];
	size_t i;

	(void)state;
	seal_small(blob);
	for (i = 0; i < sizeof(blob) * 8; i++) {
		memcpy(bad, blob, sizeof(blob));
		bad[i / 8] ^= (u8)(1u << (i % 8));
		expect_unseal(bad, sizeof(bad), flip_errno(i / 8));
	}
	expect_unseal(blob, sizeof(blob), 0);
}

static void test_truncated(void **state)
{
	u8 blob[SMALL_LEN];
	size_t n;

	(void)state;
	seal_small(blob);
	/* Below the 80-byte header, and every length up to full size. */
	for (n = 0; n < sizeof(blob); n++)
		expect_unseal(blob, n, -EMSGSIZE);
}

static void test_trailing_bytes(void **state)
{
	u8 blob[SMALL_LEN + 8];

	(void)state;
	seal_small(blob);
	memset(blob + SMALL_LEN, 0, 8);
	expect_unseal(blob, SMALL_LEN + 1, -EMSGSIZE);
	expect_unseal(blob, SMALL_LEN + 8, -EMSGSIZE);
}

static void test_length_field_inconsistent(void **state)
{
	u8 blob[SMALL_LEN];

	(void)state;
	seal_small(blob);
	vms_put_be64(blob + 72, SMALL - 1);
	expect_unseal(blob, sizeof(blob), -EMSGSIZE);
	vms_put_be64(blob + 72, (u64)-1);	/* would wrap len + 96 */
	expect_unseal(blob, sizeof(blob), -EMSGSIZE);
	vms_put_be64(blob + 72, (u64)-96 + SMALL);
	expect_unseal(blob, sizeof(blob), -EMSGSIZE);
}

static void test_unknown_version(void **state)
{
	u8 blob[SMALL_LEN];

	(void)state;
	seal_small(blob);
	vms_put_be16(blob + 4, 2);
	expect_unseal(blob, sizeof(blob), -EPROTONOSUPPORT);
}

static void test_unknown_flags(void **state)
{
	u8 blob[SMALL_LEN];

	(void)state;
	seal_small(blob);
	vms_put_be16(blob + 6, 1);
	expect_unseal(blob, sizeof(blob), -EINVAL);
}

static void test_wrong_vm_id(void **state)
{
	u8 blob[SMALL_LEN];
	struct vms_seal_key k;

	(void)state;
	seal_small(blob);
	assert_int_equal(vms_seal_key_init(&k, tk_fixed, t_other_id, t_key_id,
					   3600, NOW), 0);
	expect_unseal_key(&k, NOW, blob, sizeof(blob), -EKEYREJECTED);
	vms_seal_key_wipe(&k);
}

static void test_wrong_key_id(void **state)
{
	u8 blob[SMALL_LEN];
	struct vms_seal_key k;

	(void)state;
	seal_small(blob);
	assert_int_equal(vms_seal_key_init(&k, tk_fixed, t_vm_id, t_other_id,
					   3600, NOW), 0);
	expect_unseal_key(&k, NOW, blob, sizeof(blob), -EKEYREJECTED);
	vms_seal_key_wipe(&k);
}

static void test_expired(void **state)
{
	u8 blob[SMALL_LEN], out[SMALL_LEN];
	struct vms_seal_key k;
	const u64 end = NOW + 3600ULL * 1000000000ULL;

	(void)state;
	seal_small(blob);
	key_init(&k);
	/* Last nanosecond of the lifetime still works ... */
	expect_unseal_key(&k, end - 1, blob, sizeof(blob), 0);
	/* ... from expiry on, both directions refuse. */
	expect_unseal_key(&k, end, blob, sizeof(blob), -EKEYEXPIRED);
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_seal(&k, end, 1, payload_fixed, SMALL, out,
				     sizeof(out)), -EKEYEXPIRED);
	assert_true(t_all(out, sizeof(out), PATTERN));
	vms_seal_key_wipe(&k);
	/* Lifetime 0 (userspace tools) never expires. */
	assert_int_equal(vms_seal_key_init(&k, tk_fixed, t_vm_id, t_key_id, 0,
					   NOW), 0);
	expect_unseal_key(&k, (u64)-1, blob, sizeof(blob), 0);
	vms_seal_key_wipe(&k);
}

static void test_output_too_small(void **state)
{
	u8 blob[SMALL_LEN], out[SMALL_LEN];
	struct vms_seal_key k;

	(void)state;
	seal_small(blob);
	key_init(&k);
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_unseal(&k, NOW, blob, sizeof(blob), out,
				       SMALL - 1, NULL), -ENOSPC);
	assert_true(t_all(out, sizeof(out), PATTERN));
	assert_int_equal(vms_ss_seal(&k, NOW, 1, payload_fixed, SMALL, out,
				     SMALL_LEN - 1), -ENOSPC);
	assert_true(t_all(out, sizeof(out), PATTERN));
	assert_int_equal(k.seals, 0);	/* a refused seal spent no nonce */
	vms_seal_key_wipe(&k);
}

static void test_payload_too_big(void **state)
{
	struct vms_seal_key k;
	u8 out[16];

	(void)state;
	key_init(&k);
	assert_int_equal(vms_ss_size(VMS_SS_MAX_PAYLOAD + 1), 0);
	/* Refused on size alone: the pointers are never read. */
	assert_int_equal(vms_ss_seal(&k, NOW, 1, out,
				     VMS_SS_MAX_PAYLOAD + 1, out,
				     (size_t)-1), -EFBIG);
	vms_seal_key_wipe(&k);
}

static void test_seal_limit(void **state)
{
	u8 out[SMALL_LEN];
	struct vms_seal_key k;

	(void)state;
	key_init(&k);
	k.seals = VMS_SS_MAX_SEALS - 1;
	assert_int_equal(vms_ss_seal(&k, NOW, 1, payload_fixed, SMALL, out,
				     sizeof(out)), 0);
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_seal(&k, NOW, 1, payload_fixed, SMALL, out,
				     sizeof(out)), -EDQUOT);
	assert_true(t_all(out, sizeof(out), PATTERN));
	vms_seal_key_wipe(&k);
}

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, VMS_SS_NONCE_LEN);
}

/*
 * 10^5 seals under one key (VMS_NONCE_SEALS for more, e.g. 10^6, about
 * 14 CPU-seconds): no nonce repeats, and the counter counts. A generator
 * that repeats at all (a stuck counter, a reused random state) repeats
 * long before that.
 */
static void test_nonce_uniqueness(void **state)
{
	const char *env = getenv("VMS_NONCE_SEALS");
	size_t nseals = env && atol(env) > 1 ? (size_t)atol(env) : 100000;
	u8 *nonces = t_malloc(nseals * VMS_SS_NONCE_LEN);
	u8 blob[1 + VMS_SS_OVERHEAD];
	struct vms_seal_key k;
	size_t i;

	(void)state;
	key_init(&k);
	for (i = 0; i < nseals; i++) {
		assert_int_equal(vms_ss_seal(&k, NOW, i, (const u8 *)"x", 1,
					     blob, sizeof(blob)), 0);
		memcpy(nonces + i * VMS_SS_NONCE_LEN, blob + 48,
		       VMS_SS_NONCE_LEN);
	}
	assert_int_equal(k.seals, nseals);
	qsort(nonces, nseals, VMS_SS_NONCE_LEN, cmp_nonce);
	for (i = 1; i < nseals; i++)
		assert_memory_not_equal(nonces + (i - 1) * VMS_SS_NONCE_LEN,
					nonces + i * VMS_SS_NONCE_LEN,
					VMS_SS_NONCE_LEN);
	vms_seal_key_wipe(&k);
	free(nonces);
}

static void test_seal_key_wipe(void **state)
{
	struct vms_seal_key k;

	(void)state;
	key_init(&k);
	assert_false(t_all(k.prk, 32, 0));
	vms_seal_key_wipe(&k);
	assert_true(t_all(&k, sizeof(k), 0));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_0),
		cmocka_unit_test(test_round_trip_1),
		cmocka_unit_test(test_round_trip_4k),
		cmocka_unit_test(test_round_trip_64k),
		cmocka_unit_test(test_round_trip_1m),
		cmocka_unit_test(test_round_trip_max),
		cmocka_unit_test(test_other_tk),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_kat_is_the_production_path),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_length_field_inconsistent),
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_unknown_flags),
		cmocka_unit_test(test_wrong_vm_id),
		cmocka_unit_test(test_wrong_key_id),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_output_too_small),
		cmocka_unit_test(test_payload_too_big),
		cmocka_unit_test(test_seal_limit),
		cmocka_unit_test(test_nonce_uniqueness),
		cmocka_unit_test(test_seal_key_wipe),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("sealedstate", tests, NULL, NULL);
}
