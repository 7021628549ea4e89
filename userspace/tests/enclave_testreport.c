// SPDX-License-Identifier: GPL-2.0
/*
 * enclave_testreport.c - the tests' enclave report builder
 * (enclave_testreport.h).
 */
#include "testutil.h"

#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "enclave_testreport.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"

size_t t_er_body(const struct vms_enclave_report *r, char *buf, size_t len)
{
	char id[65], nonce[65], key[65], prog[65], boot[33], kps[65] = "none";
	int n;

	vms_hex_encode(r->platform_id, 32, id);
	vms_hex_encode(r->nonce, 32, nonce);
	vms_hex_encode(r->enclave_key, 32, key);
	vms_hex_encode(r->program, 32, prog);
	vms_hex_encode(r->boot_id, 16, boot);
	if (r->kps_set)
		vms_hex_encode(r->kps_key, 32, kps);
	n = snprintf(buf, len,
		     "vmshield-enclave-report v2\nplatform=%s\nplatform_id=%s\nplacement=hypervisor\n"
		     "nonce=%s\nenclave_key=%s\nprogram=%s\nboot_id=%s\nkps_key=%s\n",
		     vms_platform_name(r->platform), id, nonce, key, prog, boot, kps);
	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

void t_er_facts(EVP_PKEY *platform_key, struct vms_enclave_report *r)
{
	memset(r, 0, sizeof(*r));
	r->platform = VMS_PLATFORM_EMULATED;
	assert_int_equal(vms_platform_id_of(platform_key, r->platform_id), 0);
	t_random(r->nonce, sizeof(r->nonce));
	t_random(r->enclave_key, sizeof(r->enclave_key));
	t_random(r->program, sizeof(r->program));
	t_random(r->boot_id, sizeof(r->boot_id));
}

/* Rewrite @sig (DER) with s := n - s when that makes it high (or low) as asked. */
static size_t set_s_half(uint8_t *sig, size_t len, int high_s)
{
	const unsigned char *p = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *half = BN_new(), *ns = BN_new(), *r2;
	const BIGNUM *rr, *ss;
	unsigned char *out = sig;
	int n;

	assert_non_null(s);
	assert_non_null(g);
	assert_true(half && ns && BN_rshift1(half, EC_GROUP_get0_order(g)));
	ECDSA_SIG_get0(s, &rr, &ss);
	if ((BN_cmp(ss, half) > 0) != !!high_s) {
		assert_true(BN_sub(ns, EC_GROUP_get0_order(g), ss));
		r2 = BN_dup(rr);
		assert_non_null(r2);
		assert_int_equal(ECDSA_SIG_set0(s, r2, ns), 1);
		ns = NULL;
	}
	n = i2d_ECDSA_SIG(s, &out);
	assert_true(n > 0 && n <= VMS_ER_SIG_MAX);
	ECDSA_SIG_free(s);
	EC_GROUP_free(g);
	BN_free(half);
	BN_free(ns);
	return (size_t)n;
}

size_t t_er_sign(EVP_PKEY *k, const void *body, size_t blen, int high_s, uint8_t *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t slen = VMS_ER_SIG_MAX;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen, body, blen), 1);
	EVP_MD_CTX_free(ctx);
	return set_s_half(sig, slen, high_s);
}
