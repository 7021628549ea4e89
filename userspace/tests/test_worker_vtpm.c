// SPDX-License-Identifier: GPL-2.0
/*
 * test_worker_vtpm.c - the parts of vmshield-worker that run without the
 * module: libtpms behind the in-process TCTI, driven by ESAPI; the state
 * container; a vTPM's content surviving take-state / restart. The sealing
 * through vmshield.ko is tested in the rig (selftests/worker/).
 */
#include "testutil.h"
#include <errno.h>
#include <libtpms/tpm_library.h>

#include "tpm_ops.h"
#include "tpm_state.h"
#include "vtpm.h"

#define TAG "vm01 provisioned"

/* A fresh vTPM, started: the session is open. */
static void start_fresh(struct tpm_session *s)
{
	assert_int_equal(0, vtpm_start_fresh());
	assert_int_equal(0, tpm_open(s));
	assert_int_equal(0, tpm_startup(s, TPM2_SU_CLEAR));
}

static void stop(struct tpm_session *s)
{
	tpm_close(s);
	vtpm_stop();
}

/* Take the state as the worker seals it, as one container. */
static void take_state(int orderly, struct vms_secret *c)
{
	struct vms_secret perm = { 0 }, vol = { 0 };

	assert_int_equal(0, vtpm_get_state(TPMLIB_STATE_PERMANENT, &perm));
	if (orderly)
		assert_int_equal(0, vtpm_get_state(TPMLIB_STATE_VOLATILE, &vol));
	assert_int_equal(0, vts_build(orderly ? VTS_F_ORDERLY : 0, perm.p,
				      perm.len, vol.p, vol.len, c));
	vms_secret_free(&perm);
	vms_secret_free(&vol);
}

static void restart_from(const struct vms_secret *c, struct tpm_session *s)
{
	struct vts_view v;

	assert_int_equal(0, vts_parse(c->p, c->len, &v));
	assert_int_equal(0, vtpm_start_from(v.perm, v.perm_len, v.vol,
					    v.vol_len));
	assert_int_equal(0, tpm_open(s));
}

static void test_content_survives_orderly_restart(void **state)
{
	struct tpm_session s = { 0 };
	struct vms_secret c = { 0 };
	char name[200], name2[200], tag[WORKER_NV_TAG_MAX + 1];
	uint64_t ctr, ctr2;

	(void)state;
	start_fresh(&s);
	assert_int_equal(0, tpm_nv_define_text(&s, WORKER_NV_TAG, TAG,
					       strlen(TAG)));
	assert_int_equal(0, tpm_nv_define_counter(&s, WORKER_NV_COUNTER));
	assert_int_equal(0, tpm_nv_increment(&s, WORKER_NV_COUNTER, &ctr));
	assert_int_equal(0, tpm_persist_primary(&s, WORKER_PERSISTENT_KEY,
						name, sizeof(name)));
	assert_int_equal(0, tpm_shutdown_state(&s));
	take_state(1, &c);
	stop(&s);

	restart_from(&c, &s);
	assert_int_equal(0, tpm_startup(&s, TPM2_SU_STATE));
	assert_int_equal(0, tpm_nv_read_text(&s, WORKER_NV_TAG, tag,
					     sizeof(tag)));
	assert_string_equal(TAG, tag);
	assert_int_equal(0, tpm_nv_read_counter(&s, WORKER_NV_COUNTER, &ctr2));
	assert_int_equal(ctr, ctr2);
	assert_int_equal(0, tpm_persistent_name(&s, WORKER_PERSISTENT_KEY,
						name2, sizeof(name2)));
	assert_string_equal(name, name2);
	stop(&s);
	vms_secret_free(&c);
}

/* A state taken while running (no Shutdown) restarts with Startup(CLEAR). */
static void test_running_state_restarts_clear(void **state)
{
	struct tpm_session s = { 0 };
	struct vms_secret c = { 0 };
	uint64_t ctr, ctr2;

	(void)state;
	start_fresh(&s);
	assert_int_equal(0, tpm_nv_define_counter(&s, WORKER_NV_COUNTER));
	assert_int_equal(0, tpm_nv_increment(&s, WORKER_NV_COUNTER, &ctr));
	take_state(0, &c);
	stop(&s);

	restart_from(&c, &s);
	assert_int_equal(-EAGAIN, tpm_startup(&s, TPM2_SU_STATE));
	assert_int_equal(0, tpm_startup(&s, TPM2_SU_CLEAR));
	assert_int_equal(0, tpm_nv_read_counter(&s, WORKER_NV_COUNTER, &ctr2));
	assert_int_equal(ctr, ctr2);
	stop(&s);
	vms_secret_free(&c);
}

static void test_absent_objects_are_enoent(void **state)
{
	struct tpm_session s = { 0 };
	char buf[64];
	uint64_t v;

	(void)state;
	start_fresh(&s);
	assert_int_equal(-ENOENT, tpm_nv_read_text(&s, WORKER_NV_TAG, buf,
						   sizeof(buf)));
	assert_int_equal(-ENOENT, tpm_nv_read_counter(&s, WORKER_NV_COUNTER,
						      &v));
	assert_int_equal(-ENOENT, tpm_persistent_name(&s, WORKER_PERSISTENT_KEY,
						      buf, sizeof(buf)));
	stop(&s);
}

static void test_garbage_state_is_refused(void **state)
{
	static const uint8_t junk[64] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(-EBADMSG, vtpm_start_from(junk, sizeof(junk), NULL, 0));
	vtpm_stop();
}

static void test_container_round_trip_and_refusals(void **state)
{
	static const uint8_t perm[5] = { 1, 2, 3, 4, 5 }, vol[3] = { 7, 8, 9 };
	struct vms_secret c = { 0 };
	struct vts_view v;

	(void)state;
	assert_int_equal(0, vts_build(VTS_F_ORDERLY, perm, sizeof(perm), vol,
				      sizeof(vol), &c));
	assert_int_equal(VTS_HDR_LEN + 8, c.len);
	assert_int_equal(0, vts_parse(c.p, c.len, &v));
	assert_int_equal(VTS_F_ORDERLY, v.flags);
	assert_memory_equal(perm, v.perm, sizeof(perm));
	assert_memory_equal(vol, v.vol, sizeof(vol));

	assert_int_equal(-EMSGSIZE, vts_parse(c.p, c.len - 1, &v));
	assert_int_equal(-EILSEQ, vts_parse(c.p, 8, &v));
	c.p[11] = 0xff;			/* permanent length past the end */
	assert_int_equal(-EMSGSIZE, vts_parse(c.p, c.len, &v));
	c.p[11] = sizeof(perm);
	c.p[7] |= 0x80;			/* unknown flag */
	assert_int_equal(-EINVAL, vts_parse(c.p, c.len, &v));
	c.p[7] &= 0x7f;
	c.p[5] = 2;			/* version 2 */
	assert_int_equal(-EPROTONOSUPPORT, vts_parse(c.p, c.len, &v));
	c.p[5] = 1;
	c.p[0] = 'X';
	assert_int_equal(-EILSEQ, vts_parse(c.p, c.len, &v));
	vms_secret_free(&c);
	assert_int_equal(-EINVAL, vts_build(0, perm, 0, NULL, 0, &c));
	assert_int_equal(-EINVAL, vts_build(0x8000, perm, 1, NULL, 0, &c));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_survives_orderly_restart),
		cmocka_unit_test(test_running_state_restarts_clear),
		cmocka_unit_test(test_absent_objects_are_enoent),
		cmocka_unit_test(test_garbage_state_is_refused),
		cmocka_unit_test(test_container_round_trip_and_refusals),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
