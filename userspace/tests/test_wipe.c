// SPDX-License-Identifier: GPL-2.0
/*
 * test_wipe.c - secrets do not outlive the calls that use them.
 *
 * Each test runs one core operation with fixed inputs (outputs in static
 * storage, not on the stack), wipes what the caller holds, then scans the
 * stack region the operation just used for the secrets it handled: the
 * RFC 9180 A.1 shared secret, key-schedule secret, AEAD key and exporter
 * secret, the ephemeral private key, the TK, the per-blob sealed-state
 * key. A positive control proves the scanner finds an unwiped copy.
 */
#include "testutil.h"
#include "hkdf.h"
#include "hpke.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "kat_hooks.h"
#include "selftest_vectors.h"

static const struct vms_hpke_kat *A1 = &vms_hpke_a1;
static const u8 tk_fixed[32] = "TK-for-selftest-only-not-a-key!!";

/* Results live here, outside the scanned stack. */
static struct vms_hpke_ctx g_ctx;
static struct vms_seal_key g_key;
static u8 g_buf[1024];
static u8 g_secret[3][32];
static int g_ret;

#define SCAN_SETUP() \
	const u8 *top = __builtin_frame_address(0); \
	t_stack_clear()

static void assert_not_on_stack(const u8 *top, const u8 *s, size_t n)
{
	/* cmocka prints only the line; say which secret in the name. */
	assert_false(t_stack_has(top, s, n));
}

/* ---- positive control -------------------------------------------------- */

static noinline void op_leak(void)
{
	u8 copy[32];

	memcpy(copy, A1->shared_secret, sizeof(copy));
	__asm__ volatile("" : : "r"(copy) : "memory");
	/* deliberately not wiped */
}

static noinline void op_leak_then_wipe(void)
{
	u8 copy[32];

	memcpy(copy, A1->shared_secret, sizeof(copy));
	__asm__ volatile("" : : "r"(copy) : "memory");
	vms_prim_wipe(copy, sizeof(copy));
}

static void test_scanner_finds_unwiped_copy(void **state)
{
	SCAN_SETUP();
	(void)state;
	assert_false(t_stack_has(top, A1->shared_secret, 32));
	t_stack_run(op_leak);
	assert_true(t_stack_has(top, A1->shared_secret, 32));
	t_stack_clear();
	t_stack_run(op_leak_then_wipe);
	assert_false(t_stack_has(top, A1->shared_secret, 32));
}

/* ---- HPKE -------------------------------------------------------------- */

static noinline void op_setup_r(void)
{
	g_ret = vms_hpke_setup_base_r(&g_ctx, A1->enc, A1->sk_rm, A1->info,
				      sizeof(A1->info),
				      VMS_HPKE_AEAD_AES128GCM);
}

static noinline void op_setup_s(void)
{
	g_ret = vms_hpke_setup_base_s(&g_ctx, g_buf, A1->pk_rm, A1->info,
				      sizeof(A1->info),
				      VMS_HPKE_AEAD_AES128GCM, A1->sk_em);
}

static void check_a1_secrets_gone(const u8 *top)
{
	assert_int_equal(g_ret, 0);
	/* The call did derive them ... */
	assert_memory_equal(g_ctx.key, A1->key, 16);
	vms_hpke_ctx_wipe(&g_ctx);
	assert_true(t_all(&g_ctx, sizeof(g_ctx), 0));
	/* ... and left none on the stack. */
	assert_not_on_stack(top, A1->shared_secret, 32);
	assert_not_on_stack(top, A1->secret, 32);
	assert_not_on_stack(top, A1->key, 16);
	assert_not_on_stack(top, A1->exporter_secret, 32);
}

static void test_setup_r_leaves_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	t_stack_run(op_setup_r);
	check_a1_secrets_gone(top);
}

static void test_setup_s_leaves_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	t_stack_run(op_setup_s);
	check_a1_secrets_gone(top);
	assert_not_on_stack(top, A1->sk_em, 32);	/* the ephemeral key */
}

static noinline void op_seal_open(void)
{
	g_ret = vms_hpke_setup_base_r(&g_ctx, A1->enc, A1->sk_rm, A1->info,
				      sizeof(A1->info),
				      VMS_HPKE_AEAD_AES128GCM);
	if (!g_ret)
		g_ret = vms_hpke_seal(&g_ctx, A1->encs[0].aad,
				      A1->encs[0].aadlen, A1->pt,
				      sizeof(A1->pt), g_buf);
	if (!g_ret)
		g_ret = vms_hpke_export(&g_ctx, NULL, 0, g_buf + 64, 32);
	vms_hpke_ctx_wipe(&g_ctx);
}

static noinline void op_encap(void)
{
	g_ret = vms_hpke_encap(g_secret[0], g_buf, A1->pk_rm, A1->sk_em);
}

static noinline void op_decap(void)
{
	g_ret = vms_hpke_decap(g_secret[0], A1->enc, A1->sk_rm);
}

/* LabeledExtract("", label, ikm) with the KEM's suite id (RFC 9180 4). */
static void kem_labeled_extract(const char *label, const u8 *ikm, u8 out[32])
{
	static const u8 prefix[] = { 'H', 'P', 'K', 'E', '-', 'v', '1',
				     'K', 'E', 'M', 0x00, 0x20 };
	struct vms_buf parts[3] = {
		{ prefix, sizeof(prefix) },
		{ (const u8 *)label, strlen(label) },
		{ ikm, 32 },
	};

	assert_int_equal(vms_hkdf_extract(NULL, 0, parts, 3, out), 0);
}

static noinline void op_derive(void)
{
	g_ret = vms_hpke_derive_keypair(A1->ikm_e, 32, g_buf, g_buf + 32);
}

static void test_derive_keypair_leaves_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	kem_labeled_extract("dkp_prk", A1->ikm_e, g_secret[1]);
	t_stack_clear();
	t_stack_run(op_derive);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_buf, A1->sk_em, 32);
	assert_not_on_stack(top, g_secret[1], 32);	/* dkp_prk */
	assert_not_on_stack(top, A1->sk_em, 32);
}

/* Encap/Decap alone: the DH value and the ephemeral key must go too. */
static void test_encap_decap_leave_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	assert_int_equal(vms_prim_x25519(g_secret[1], A1->sk_em, A1->pk_rm),
			 0);
	kem_labeled_extract("eae_prk", g_secret[1], g_secret[2]);
	t_stack_clear();
	t_stack_run(op_encap);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_secret[0], A1->shared_secret, 32);
	assert_not_on_stack(top, A1->sk_em, 32);
	assert_not_on_stack(top, g_secret[1], 32);	/* dh */
	assert_not_on_stack(top, g_secret[2], 32);	/* eae_prk */
	assert_not_on_stack(top, A1->shared_secret, 32);

	t_stack_clear();
	t_stack_run(op_decap);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_secret[0], A1->shared_secret, 32);
	assert_not_on_stack(top, g_secret[1], 32);
	assert_not_on_stack(top, g_secret[2], 32);
	assert_not_on_stack(top, A1->shared_secret, 32);
}

static void test_seal_export_leave_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	t_stack_run(op_seal_open);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_buf, A1->encs[0].ct, 45);
	assert_not_on_stack(top, A1->key, 16);
	assert_not_on_stack(top, A1->exporter_secret, 32);
	assert_not_on_stack(top, A1->shared_secret, 32);
}

/* ---- key release ------------------------------------------------------ */

static struct vms_kr_binding g_b;
/* the KPS key: A.1's ikmR stands in (any 32 bytes are an X25519 key) */
#define KPS_SK	(A1->ikm_r)
static u8 g_kps_pk[32];

static noinline void op_kr_build(void)
{
	memset(&g_b, 0, sizeof(g_b));
	g_b.policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED;
	g_b.lifetime_s = 60;
	g_b.issued_at = 1;
	g_ret = vms_kr_build_kat(&g_b, A1->pk_rm, KPS_SK, tk_fixed, A1->sk_em,
				 g_buf, sizeof(g_buf));
}

static noinline void op_kr_open(void)
{
	g_ret = vms_kr_open(g_buf, vms_kr_size(0), A1->sk_rm, A1->pk_rm,
			    g_kps_pk, NULL, NULL, &g_b, g_secret[0]);
}

/* The key-release suite's own key schedule, computed beforehand. */
static void kr_schedule_secrets(void)
{
	static const char info[] = VMS_KR_INFO;

	assert_int_equal(vms_prim_x25519_base(g_kps_pk, KPS_SK), 0);
	assert_int_equal(vms_hpke_setup_auth_r(&g_ctx, A1->enc, A1->sk_rm,
					       g_kps_pk, (const u8 *)info,
					       sizeof(info) - 1,
					       VMS_HPKE_AEAD_AES256GCM), 0);
	memcpy(g_secret[1], g_ctx.key, 32);
	memcpy(g_secret[2], g_ctx.exporter_secret, 32);
	vms_hpke_ctx_wipe(&g_ctx);
}

static void test_kr_build_open_leave_no_secret(void **state)
{
	SCAN_SETUP();
	(void)state;
	kr_schedule_secrets();
	t_stack_clear();
	t_stack_run(op_kr_build);
	assert_int_equal(g_ret, 0);
	assert_not_on_stack(top, tk_fixed, 32);
	assert_not_on_stack(top, A1->sk_em, 32);
	assert_not_on_stack(top, KPS_SK, 32);
	assert_not_on_stack(top, g_secret[1], 32);
	assert_not_on_stack(top, g_secret[2], 32);

	t_stack_clear();
	t_stack_run(op_kr_open);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_secret[0], tk_fixed, 32);
	assert_not_on_stack(top, tk_fixed, 32);
	assert_not_on_stack(top, g_secret[1], 32);
	assert_not_on_stack(top, g_secret[2], 32);
}

/* ---- sealed state ------------------------------------------------------- */

static const u8 ss_nonce[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
};

static noinline void op_ss_init(void)
{
	g_ret = vms_seal_key_init(&g_key, tk_fixed, t_vm_id, t_key_id, 0, 0);
}

static noinline void op_ss_seal(void)
{
	g_ret = vms_ss_seal_kat(&g_key, 0, 1, ss_nonce, tk_fixed, 32, g_buf,
				sizeof(g_buf));
}

static noinline void op_ss_unseal(void)
{
	g_ret = vms_ss_unseal(&g_key, 0, g_buf, 32 + VMS_SS_OVERHEAD,
			      g_buf + 512, 64, NULL);
}

static void test_sealed_state_leaves_no_secret(void **state)
{
	struct vms_buf info[4] = {
		{ (const u8 *)VMS_SS_KEY_LABEL, sizeof(VMS_SS_KEY_LABEL) - 1 },
		{ t_vm_id, 16 }, { t_key_id, 16 }, { ss_nonce, 12 },
	};
	SCAN_SETUP();

	(void)state;
	t_stack_run(op_ss_init);
	assert_int_equal(g_ret, 0);
	assert_not_on_stack(top, g_key.prk, 32);
	assert_not_on_stack(top, tk_fixed, 32);
	/* The one-blob key this seal will use. */
	assert_int_equal(vms_hkdf_expand(g_key.prk, info, 4, g_secret[0], 32),
			 0);

	t_stack_clear();
	t_stack_run(op_ss_seal);
	assert_int_equal(g_ret, 0);
	assert_not_on_stack(top, g_secret[0], 32);
	assert_not_on_stack(top, g_key.prk, 32);
	assert_not_on_stack(top, tk_fixed, 32);	/* the payload here */

	t_stack_clear();
	t_stack_run(op_ss_unseal);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_buf + 512, tk_fixed, 32);
	assert_not_on_stack(top, g_secret[0], 32);
	assert_not_on_stack(top, g_key.prk, 32);
	assert_not_on_stack(top, tk_fixed, 32);
	vms_seal_key_wipe(&g_key);
	assert_true(t_all(&g_key, sizeof(g_key), 0));
}

/* ---- HKDF --------------------------------------------------------------- */

static noinline void op_hkdf(void)
{
	const struct vms_hkdf_kat *v = &vms_hkdf_kats[0];
	struct vms_buf info = { v->info, v->infolen };

	/* 42 bytes: T(2) is in the working block, only 10 bytes go out. */
	g_ret = vms_hkdf_expand(v->prk, &info, 1, g_buf, 42);
}

static void test_hkdf_leaves_no_block(void **state)
{
	const struct vms_hkdf_kat *v = &vms_hkdf_kats[0];
	struct vms_buf info = { v->info, v->infolen };

	SCAN_SETUP();

	(void)state;
	assert_int_equal(vms_hkdf_expand(v->prk, &info, 1, g_secret[0], 32),
			 0);
	assert_int_equal(vms_hkdf_expand(v->prk, &info, 1, g_buf + 512, 64),
			 0);
	memcpy(g_secret[1], g_buf + 512 + 32, 32);	/* T(2) */
	t_stack_clear();
	t_stack_run(op_hkdf);
	assert_int_equal(g_ret, 0);
	assert_memory_equal(g_buf, v->okm, 42);
	assert_not_on_stack(top, g_secret[0], 32);
	assert_not_on_stack(top, g_secret[1], 32);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_finds_unwiped_copy),
		cmocka_unit_test(test_setup_r_leaves_no_secret),
		cmocka_unit_test(test_setup_s_leaves_no_secret),
		cmocka_unit_test(test_derive_keypair_leaves_no_secret),
		cmocka_unit_test(test_encap_decap_leave_no_secret),
		cmocka_unit_test(test_seal_export_leave_no_secret),
		cmocka_unit_test(test_kr_build_open_leave_no_secret),
		cmocka_unit_test(test_sealed_state_leaves_no_secret),
		cmocka_unit_test(test_hkdf_leaves_no_block),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("wipe", tests, NULL, NULL);
}
