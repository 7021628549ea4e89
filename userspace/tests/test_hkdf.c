// SPDX-License-Identifier: GPL-2.0
/*
 * test_hkdf.c - HKDF-SHA256 against RFC 5869 cases 1-3, and its limits.
 */
#include "testutil.h"
#include "hkdf.h"
#include "selftest_vectors.h"

static void run_case(const struct vms_hkdf_kat *v)
{
	struct vms_buf ikm = { v->ikm, v->ikmlen };
	struct vms_buf info = { v->info, v->infolen };
	u8 prk[32], okm[sizeof(v->okm)];

	assert_int_equal(vms_hkdf_extract(v->saltlen ? v->salt : NULL,
					  v->saltlen, &ikm, 1, prk), 0);
	assert_memory_equal(prk, v->prk, 32);
	assert_int_equal(vms_hkdf_expand(prk, &info, v->infolen ? 1 : 0, okm,
					 v->okmlen), 0);
	assert_memory_equal(okm, v->okm, v->okmlen);
}

static void test_rfc5869_case1(void **state)
{
	(void)state;
	run_case(&vms_hkdf_kats[0]);
}

static void test_rfc5869_case2(void **state)
{
	(void)state;
	run_case(&vms_hkdf_kats[1]);
}

/* Case 3: empty salt and info, i.e. the zero-length HMAC key. */
static void test_rfc5869_case3(void **state)
{
	(void)state;
	run_case(&vms_hkdf_kats[2]);
}

/* Splitting info into pieces must not change the output. */
static void test_expand_info_pieces(void **state)
{
	const struct vms_hkdf_kat *v = &vms_hkdf_kats[1];
	struct vms_buf info[3] = {
		{ v->info, 10 }, { v->info + 10, 0 }, { v->info + 10, 70 },
	};
	u8 okm[82];

	(void)state;
	assert_int_equal(vms_hkdf_expand(v->prk, info, 3, okm, v->okmlen), 0);
	assert_memory_equal(okm, v->okm, v->okmlen);
}

static void test_expand_limits(void **state)
{
	static u8 okm[VMS_HKDF_MAX_OKM + 1];
	const struct vms_hkdf_kat *v = &vms_hkdf_kats[0];
	struct vms_buf info[VMS_HKDF_MAX_PARTS + 1] = { { NULL, 0 } };

	(void)state;
	/* 255 blocks is the RFC 5869 maximum and must work ... */
	assert_int_equal(vms_hkdf_expand(v->prk, NULL, 0, okm,
					 VMS_HKDF_MAX_OKM), 0);
	/* ... one byte more must not (the counter would wrap). */
	memset(okm, PATTERN, sizeof(okm));
	assert_int_equal(vms_hkdf_expand(v->prk, NULL, 0, okm,
					 VMS_HKDF_MAX_OKM + 1), -EINVAL);
	assert_true(t_all(okm, sizeof(okm), PATTERN));
	assert_int_equal(vms_hkdf_expand(v->prk, info, VMS_HKDF_MAX_PARTS + 1,
					 okm, 32), -EINVAL);
	assert_int_equal(vms_hkdf_expand(v->prk, NULL, 0, okm, 0), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5869_case1),
		cmocka_unit_test(test_rfc5869_case2),
		cmocka_unit_test(test_rfc5869_case3),
		cmocka_unit_test(test_expand_info_pieces),
		cmocka_unit_test(test_expand_limits),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hkdf", tests, NULL, NULL);
}
