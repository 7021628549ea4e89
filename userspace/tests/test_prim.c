// SPDX-License-Identifier: GPL-2.0
/*
 * test_prim.c - the OpenSSL implementation of core/vms_prim.h keeps the
 * interface's promises: RFC 7748 X25519, low-order refusal with a zeroed
 * output, the zero-length HMAC key, multi-part HMAC, AES-GCM in place,
 * open that leaves nothing but zeros on a bad tag.
 */
#include "testutil.h"
#include <stdio.h>

#include "vms_prim.h"

static int unhex(const char *s, u8 *out, size_t len)
{
	size_t i;
	unsigned int v;

	for (i = 0; i < len; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (u8)v;
	}
	return 0;
}

/* RFC 7748 section 6.1 (Alice and Bob). */
static void test_x25519_rfc7748(void **state)
{
	u8 a[32], a_pub[32], b[32], b_pub[32], k[32], out[32];

	(void)state;
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k, 32);
	assert_int_equal(vms_prim_x25519_base(out, a), 0);
	assert_memory_equal(out, a_pub, 32);
	assert_int_equal(vms_prim_x25519_base(out, b), 0);
	assert_memory_equal(out, b_pub, 32);
	assert_int_equal(vms_prim_x25519(out, a, b_pub), 0);
	assert_memory_equal(out, k, 32);
	assert_int_equal(vms_prim_x25519(out, b, a_pub), 0);
	assert_memory_equal(out, k, 32);
}

static void test_x25519_low_order(void **state)
{
	u8 sk[32], out[32];

	(void)state;
	t_random(sk, sizeof(sk));
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_prim_x25519(out, sk, t_zero32), -EINVAL);
	assert_true(t_all(out, sizeof(out), 0));
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_prim_x25519(out, sk, t_low_order), -EINVAL);
	assert_true(t_all(out, sizeof(out), 0));
}

/* RFC 2104: an empty key is padded with zeros, like 32 zero bytes. */
static void test_hmac_zero_length_key(void **state)
{
	struct vms_buf msg = { (const u8 *)"abc", 3 };
	u8 a[32], b[32];

	(void)state;
	assert_int_equal(vms_prim_hmac_sha256(NULL, 0, &msg, 1, a), 0);
	assert_int_equal(vms_prim_hmac_sha256(t_zero32, 32, &msg, 1, b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(vms_prim_hmac_sha256(t_zero32, 31, &msg, 1, b), 0);
	assert_memory_equal(a, b, 32);
}

/* RFC 4231 test case 2 ("Jefe"), fed in pieces, some empty. */
static void test_hmac_parts(void **state)
{
	static const char m[] = "what do ya want for nothing?";
	struct vms_buf parts[4] = {
		{ (const u8 *)m, 4 }, { NULL, 0 }, { (const u8 *)m + 4, 10 },
		{ (const u8 *)m + 14, sizeof(m) - 1 - 14 },
	};
	u8 want[32], out[32];

	(void)state;
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	assert_int_equal(vms_prim_hmac_sha256((const u8 *)"Jefe", 4, parts, 4,
					      out), 0);
	assert_memory_equal(out, want, 32);
}

static void test_gcm_in_place_and_tamper(void **state)
{
	u8 key[32], nonce[12], aad[13], pt[100], buf[116], copy[116];
	size_t keylen;

	(void)state;
	for (keylen = 16; keylen <= 32; keylen += 16) {
		t_random(key, sizeof(key));
		t_random(nonce, sizeof(nonce));
		t_random(aad, sizeof(aad));
		t_random(pt, sizeof(pt));
		memcpy(buf, pt, sizeof(pt));
		assert_int_equal(vms_prim_aead_seal(key, keylen, nonce, aad,
						    sizeof(aad), buf, 100, buf),
				 0);
		memcpy(copy, buf, sizeof(buf));
		assert_int_equal(vms_prim_aead_open(key, keylen, nonce, aad,
						    sizeof(aad), buf, 116, buf),
				 0);
		assert_memory_equal(buf, pt, 100);
		/* Bad tag: -EBADMSG and only zeros in the output. */
		copy[115] ^= 1;
		memset(buf, PATTERN, sizeof(buf));
		assert_int_equal(vms_prim_aead_open(key, keylen, nonce, aad,
						    sizeof(aad), copy, 116,
						    buf), -EBADMSG);
		assert_true(t_all(buf, 100, 0));
		assert_int_equal(vms_prim_aead_open(key, keylen, nonce, aad,
						    sizeof(aad), copy, 15,
						    buf), -EBADMSG);
	}
	assert_int_equal(vms_prim_aead_seal(key, 24, nonce, NULL, 0, pt, 1,
					    buf), -EINVAL);
}

static void test_random_and_memneq(void **state)
{
	u8 a[32], b[32];

	(void)state;
	assert_int_equal(vms_prim_random(a, sizeof(a)), 0);
	assert_int_equal(vms_prim_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, 32);
	assert_int_not_equal(vms_prim_memneq(a, b, 32), 0);
	memcpy(b, a, 32);
	assert_int_equal(vms_prim_memneq(a, b, 32), 0);
	vms_prim_wipe(a, sizeof(a));
	assert_true(t_all(a, sizeof(a), 0));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_x25519_low_order),
		cmocka_unit_test(test_hmac_zero_length_key),
		cmocka_unit_test(test_hmac_parts),
		cmocka_unit_test(test_gcm_in_place_and_tamper),
		cmocka_unit_test(test_random_and_memneq),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("prim", tests, NULL, NULL);
}
