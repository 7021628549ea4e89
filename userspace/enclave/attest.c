// SPDX-License-Identifier: GPL-2.0
/*
 * attest.c - build and sign the enclave report with the emulated
 * platform's key (attest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest.h"
#include "vms_cleanup.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"

struct vms_attest {
	EVP_PKEY *pkey;
	u8 platform_id[32];
	u8 program[32];
	char body[VMS_EP_REPORT_MAX + 1];
	u8 sig[VMS_EP_SIG_MAX];
};

static bool vms_is_p256(EVP_PKEY *pkey)
{
	char group[32];
	size_t n = 0;

	if (!EVP_PKEY_is_a(pkey, "EC"))
		return false;
	if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &n))
		return false;
	return !strcmp(group, "prime256v1") || !strcmp(group, "P-256");
}

int vms_attest_new(EVP_PKEY *pkey, const u8 program[32],
		   struct vms_attest **out)
{
	struct vms_attest *a;
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n;

	if (!pkey || !vms_is_p256(pkey))
		return -EINVAL;
	n = i2d_PUBKEY(pkey, &der);
	if (n <= 0)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	if (!EVP_Digest(der, (size_t)n, a->platform_id, &mdlen, EVP_sha256(),
			NULL)) {
		OPENSSL_free(der);
		free(a);
		return -EIO;
	}
	OPENSSL_free(der);
	if (!EVP_PKEY_up_ref(pkey)) {
		free(a);
		return -EIO;
	}
	a->pkey = pkey;
	memcpy(a->program, program, 32);
	*out = a;
	return 0;
}

static int vms_sha256_file(const char *path, u8 out[32])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_fclose_ FILE *f = fopen(path, "rbe");
	unsigned char buf[16384];
	unsigned int len = 0;
	size_t n;

	if (!f)
		return -errno;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		return -EIO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (!EVP_DigestUpdate(ctx, buf, n))
			return -EIO;
	if (ferror(f))
		return -EIO;
	return EVP_DigestFinal_ex(ctx, out, &len) ? 0 : -EIO;
}

int vms_attest_load(const char *path, const char *exe,
		    struct vms_attest **out)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	u8 program[32];
	int r;

	if (!f)
		return -errno;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (!pkey)
		return -EINVAL;
	r = vms_sha256_file(exe, program);
	if (r)
		return r;
	return vms_attest_new(pkey, program, out);
}

void vms_attest_free(struct vms_attest *a)
{
	if (!a)
		return;
	EVP_PKEY_free(a->pkey);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

const u8 *vms_attest_platform_id(const struct vms_attest *a)
{
	return a->platform_id;
}

/* Re-encode a DER ECDSA signature with s replaced by n - s when s > n/2. */
static int vms_low_s(u8 *sig, size_t *siglen, size_t cap)
{
	const unsigned char *p = sig;
	unsigned char *q = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*siglen);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *half = NULL, *s2 = NULL, *r2 = NULL;
	const BIGNUM *r, *s, *order;
	int ret = -EIO, n;

	if (!es || !g)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	order = EC_GROUP_get0_order(g);
	half = BN_dup(order);
	if (!half || !BN_rshift1(half, half))
		goto out;
	if (BN_cmp(s, half) <= 0) {
		ret = 0;
		goto out;
	}
	s2 = BN_new();
	r2 = BN_dup(r);
	if (!s2 || !r2 || !BN_sub(s2, order, s) ||
	    !ECDSA_SIG_set0(es, r2, s2))
		goto out;
	r2 = NULL;
	s2 = NULL;
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > cap)
		goto out;
	*siglen = (size_t)i2d_ECDSA_SIG(es, &q);
	ret = 0;
out:
	BN_free(half);
	BN_free(s2);
	BN_free(r2);
	ECDSA_SIG_free(es);
	EC_GROUP_free(g);
	return ret;
}

/* Sign @n bytes of @body with the platform key into @sig (low S); 0 or -EIO. */
static int vms_attest_sign(struct vms_attest *a, const u8 *body, size_t n,
			   u8 *sig, size_t *siglen, size_t cap)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	*siglen = cap;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
				       a->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, siglen, body, n) != 1)
		return -EIO;
	return vms_low_s(sig, siglen, cap);
}

int vms_attest_vtpm_statement(struct vms_attest *a, const u8 pk[32],
			      const u8 boot_id[16], const u8 vm_id[16],
			      const u8 key_id[16], u64 generation, u8 *out,
			      size_t cap, size_t *len)
{
	char pid[65], hk[65], hb[33], hv[33], hi[33];
	size_t siglen;
	int n, r;

	if (cap < VMS_ATTEST_STATEMENT_MAX)
		return -EIO;
	vms_hex_encode(a->platform_id, 32, pid);
	vms_hex_encode(pk, 32, hk);
	vms_hex_encode(boot_id, 16, hb);
	vms_hex_encode(vm_id, 16, hv);
	vms_hex_encode(key_id, 16, hi);
	n = snprintf((char *)out + 2, cap - 2,
		     "vmshield-vtpm-statement v1\n"
		     "platform=emulated\n"
		     "platform_id=%s\n"
		     "enclave_key=%s\n"
		     "boot_id=%s\n"
		     "vm_id=%s\n"
		     "key_id=%s\n"
		     "generation=%llu\n", pid, hk, hb, hv, hi,
		     (unsigned long long)generation);
	/* room for the longest P-256 DER signature (72 bytes) after it */
	if (n <= 0 || (size_t)n + 2 + 72 > cap)
		return -EIO;
	out[0] = (u8)(n >> 8);
	out[1] = (u8)n;
	r = vms_attest_sign(a, out + 2, (size_t)n, out + 2 + n, &siglen,
			    cap - 2 - (size_t)n);
	if (r)
		return r;
	*len = 2 + (size_t)n + siglen;
	return 0;
}

int vms_attest_report(struct vms_attest *a, const u8 nonce[32],
		      const u8 pk[32], const u8 boot_id[16], const u8 *kps,
		      struct vms_ep_msg *resp)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char pid[65], hn[65], hk[65], hp[65], hb[33], hkps[65] = "none";
	size_t siglen = sizeof(a->sig);
	int n, r;

	vms_hex_encode(a->platform_id, 32, pid);
	vms_hex_encode(nonce, 32, hn);
	vms_hex_encode(pk, 32, hk);
	vms_hex_encode(a->program, 32, hp);
	vms_hex_encode(boot_id, 16, hb);
	/* the one KPS key this identity accepts, under the platform's signature */
	if (kps)
		vms_hex_encode(kps, 32, hkps);
	n = snprintf(a->body, sizeof(a->body),
		     "vmshield-enclave-report v2\n"
		     "platform=emulated\n"
		     "platform_id=%s\n"
		     "placement=hypervisor\n"
		     "nonce=%s\n"
		     "enclave_key=%s\n"
		     "program=%s\n"
		     "boot_id=%s\n"
		     "kps_key=%s\n", pid, hn, hk, hp, hb, hkps);
	if (n <= 0 || (size_t)n > VMS_EP_REPORT_MAX)
		return -EIO;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
				       a->pkey) != 1 ||
	    EVP_DigestSign(ctx, a->sig, &siglen, (const u8 *)a->body,
			   (size_t)n) != 1)
		return -EIO;
	r = vms_low_s(a->sig, &siglen, sizeof(a->sig));
	if (r)
		return r;
	resp->data = (const u8 *)a->body;
	resp->data_len = (size_t)n;
	resp->sig = a->sig;
	resp->sig_len = siglen;
	return 0;
}
