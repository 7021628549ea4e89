// SPDX-License-Identifier: GPL-2.0
/*
 * test_challenge.c - the enclave's release challenges (core/challenge.h):
 * single use, bound to their issue time, aged out, bounded, and every
 * refusal leaving the other challenges as they were.
 */
#include "testutil.h"
#include "challenge.h"

#define S 1000000000ULL

static struct vms_chal_table t;

static void test_issue_then_consume_once(void **state)
{
	u8 c[32], d[32];

	(void)state;
	vms_chal_reset(&t);
	assert_int_equal(vms_chal_issue(&t, 10 * S, c), 0);
	assert_int_equal(vms_chal_issue(&t, 10 * S, d), 0);
	assert_memory_not_equal(c, d, 32);
	assert_int_equal(vms_chal_live(&t, 10 * S), 2);
	/* a check without consume leaves it live */
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S, 0), 0);
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S, 1), 0);
	/* used up: the same release can never be accepted again */
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S, 1), -ESTALE);
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S, 0), -ESTALE);
	/* the other one is untouched */
	assert_int_equal(vms_chal_live(&t, 11 * S), 1);
	assert_int_equal(vms_chal_check(&t, 11 * S, d, 10 * S, 1), 0);
}

static void test_unknown_and_wrong_time(void **state)
{
	u8 c[32], other[32];

	(void)state;
	vms_chal_reset(&t);
	assert_int_equal(vms_chal_issue(&t, 10 * S, c), 0);
	t_random(other, sizeof(other));
	assert_int_equal(vms_chal_check(&t, 11 * S, other, 10 * S, 1),
			 -ESTALE);
	/* the release must name the time the enclave issued it at */
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S + 1, 1),
			 -ESTALE);
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 0, 1), -ESTALE);
	/* none of those consumed it */
	assert_int_equal(vms_chal_live(&t, 11 * S), 1);
	assert_int_equal(vms_chal_check(&t, 11 * S, c, 10 * S, 1), 0);
}

static void test_aged_out(void **state)
{
	u8 c[32];

	(void)state;
	vms_chal_reset(&t);
	assert_int_equal(vms_chal_issue(&t, 10 * S, c), 0);
	/* exactly the maximum age is still accepted */
	assert_int_equal(vms_chal_check(&t, 10 * S + VMS_CHAL_MAX_AGE_NS, c,
					10 * S, 0), 0);
	assert_int_equal(vms_chal_check(&t, 10 * S + VMS_CHAL_MAX_AGE_NS + 1,
					c, 10 * S, 1), -ETIME);
	/* and then it is gone */
	assert_int_equal(vms_chal_check(&t, 10 * S, c, 10 * S, 1), -ESTALE);
	/* a clock read before the issue time is refused too */
	assert_int_equal(vms_chal_issue(&t, 10 * S, c), 0);
	assert_int_equal(vms_chal_check(&t, 9 * S, c, 10 * S, 1), -ETIME);
}

static void test_bounded_no_eviction(void **state)
{
	u8 c[VMS_CHAL_MAX][32], x[32];
	unsigned int i;

	(void)state;
	vms_chal_reset(&t);
	for (i = 0; i < VMS_CHAL_MAX; i++)
		assert_int_equal(vms_chal_issue(&t, 10 * S + i, c[i]), 0);
	memset(x, PATTERN, sizeof(x));
	assert_int_equal(vms_chal_issue(&t, 20 * S, x), -EBUSY);
	assert_true(t_all(x, sizeof(x), PATTERN));
	/* every pending challenge survived the refusal */
	for (i = 0; i < VMS_CHAL_MAX; i++)
		assert_int_equal(vms_chal_check(&t, 20 * S, c[i], 10 * S + i,
						0), 0);
	/* one consumed frees one slot */
	assert_int_equal(vms_chal_check(&t, 20 * S, c[3], 10 * S + 3, 1), 0);
	assert_int_equal(vms_chal_issue(&t, 20 * S, x), 0);
	assert_int_equal(vms_chal_issue(&t, 20 * S, x), -EBUSY);
	/* aged entries free themselves at the next issue */
	assert_int_equal(vms_chal_issue(&t, 11 * S + VMS_CHAL_MAX_AGE_NS, x),
			 0);
}

static void test_reset_voids_all(void **state)
{
	u8 c[32];

	(void)state;
	vms_chal_reset(&t);
	assert_int_equal(vms_chal_issue(&t, 10 * S, c), 0);
	vms_chal_reset(&t);
	assert_int_equal(vms_chal_check(&t, 10 * S, c, 10 * S, 1), -ESTALE);
	assert_int_equal(vms_chal_live(&t, 10 * S), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_then_consume_once),
		cmocka_unit_test(test_unknown_and_wrong_time),
		cmocka_unit_test(test_aged_out),
		cmocka_unit_test(test_bounded_no_eviction),
		cmocka_unit_test(test_reset_voids_all),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("challenge", tests, NULL, NULL);
}
