// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_credential.c - TPM2_MakeCredential in OpenSSL (RSA and ECC EKs).
 * The construction, step by step: vms_tpm_credential.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "vms_cleanup_ssl.h"
#include "vms_tpm_credential.h"

#define SEED_LEN	32

VMS_DEFINE_CLEANUP(EVP_KDF_CTX, EVP_KDF_CTX_free)
VMS_DEFINE_CLEANUP(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

/* KDFa(SHA-256): SP 800-108 counter mode, HMAC, label || 0 || context. */
static int kdfa(const uint8_t *key, size_t klen, const char *label,
		const uint8_t *ctx, size_t clen, uint8_t *out, size_t olen)
{
	_cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *k = NULL;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	OSSL_PARAM p[7], *q = p;

	if (!kdf)
		return -ENOMEM;
	k = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!k)
		return -ENOMEM;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE,
						"COUNTER", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, klen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)label, strlen(label));
	if (clen)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)ctx, clen);
	*q = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(k, out, olen, p) > 0 ? 0 : -ENOMEM;
}

/* KDFe(SHA-256): H(counter || Z || label || 0 || partyU || partyV). */
static int kdfe(const uint8_t *z, size_t zlen, const char *label,
		const uint8_t *u, const uint8_t *v, size_t uvlen,
		uint8_t *out, size_t olen)
{
	_cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *k = NULL;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	uint8_t info[64 + 2 * 66];
	size_t llen = strlen(label) + 1, ilen = llen + 2 * uvlen;
	OSSL_PARAM p[4];

	if (!kdf)
		return -ENOMEM;
	k = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!k || ilen > sizeof(info))
		return -ENOMEM;
	memcpy(info, label, llen);
	memcpy(info + llen, u, uvlen);
	memcpy(info + llen + uvlen, v, uvlen);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)z, zlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
						 ilen);
	p[3] = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(k, out, olen, p) > 0 ? 0 : -ENOMEM;
}

/* RSA EK: random seed, OAEP-SHA256 with label "IDENTITY\0". */
static int seed_rsa(const struct vms_tpm_key *ek, uint8_t seed[SEED_LEN],
		    TPM2B_ENCRYPTED_SECRET *es)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *c = NULL;
	static const char label[] = "IDENTITY";
	size_t outlen = sizeof(es->secret);
	void *l;

	if (RAND_priv_bytes(seed, SEED_LEN) != 1)
		return -ENOMEM;
	c = EVP_PKEY_CTX_new(ek->pkey, NULL);
	if (!c || EVP_PKEY_encrypt_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) <= 0)
		return -ENOMEM;
	/* the label includes its NUL; the context takes ownership */
	l = OPENSSL_memdup(label, sizeof(label));
	if (!l || EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, sizeof(label)) <= 0) {
		OPENSSL_free(l);
		return -ENOMEM;
	}
	if (EVP_PKEY_encrypt(c, es->secret, &outlen, seed, SEED_LEN) <= 0)
		return -ENOMEM;
	es->size = (UINT16)outlen;
	return 0;
}

/* ECC EK: ephemeral P-256 ECDH; the encrypted secret is the point. */
static int seed_ecc(const struct vms_tpm_key *ek, uint8_t seed[SEED_LEN],
		    TPM2B_ENCRYPTED_SECRET *es)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *c = NULL;
	_cleanup_(vms_key32_wipe) struct vms_key32 z;
	TPMS_ECC_POINT pt;
	uint8_t raw[65];
	size_t zlen = sizeof(z.b), rlen = sizeof(raw), off = 0;

	eph = EVP_EC_gen("prime256v1");
	if (!eph ||
	    EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, raw,
					    sizeof(raw), &rlen) != 1 ||
	    rlen != 65)
		return -ENOMEM;
	c = EVP_PKEY_CTX_new(eph, NULL);
	if (!c || EVP_PKEY_derive_init(c) <= 0 ||
	    EVP_PKEY_derive_set_peer(c, ek->pkey) <= 0 ||
	    EVP_PKEY_derive(c, z.b, &zlen) <= 0 || zlen != 32)
		return -ENOMEM;
	if (kdfe(z.b, zlen, "IDENTITY", raw + 1,
		 ek->pub.unique.ecc.x.buffer, 32, seed, SEED_LEN))
		return -ENOMEM;
	memset(&pt, 0, sizeof(pt));
	pt.x.size = 32;
	memcpy(pt.x.buffer, raw + 1, 32);
	pt.y.size = 32;
	memcpy(pt.y.buffer, raw + 33, 32);
	if (Tss2_MU_TPMS_ECC_POINT_Marshal(&pt, es->secret,
					   sizeof(es->secret), &off))
		return -ENOMEM;
	es->size = (UINT16)off;
	return 0;
}

/* The EK's symmetric key size if it is AES-CFB, else 0. */
static unsigned int ek_aes_bits(const TPMT_PUBLIC *p)
{
	const TPMT_SYM_DEF_OBJECT *s = p->type == TPM2_ALG_RSA ?
		&p->parameters.rsaDetail.symmetric :
		&p->parameters.eccDetail.symmetric;
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	if ((p->objectAttributes & need) != need ||
	    (p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    s->algorithm != TPM2_ALG_AES || s->mode.aes != TPM2_ALG_CFB)
		return 0;
	if (s->keyBits.aes != 128 && s->keyBits.aes != 256)
		return 0;
	return s->keyBits.aes;
}

/*
 * AES-CFB with a zero IV over @hdr then @in (one stream): the credential
 * is encrypted as a TPM2B without first copying the secret next to its
 * size.
 */
static int aes_cfb(const uint8_t *key, unsigned int bits,
		   const uint8_t *hdr, size_t hlen, const uint8_t *in,
		   size_t len, uint8_t *out)
{
	_cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	static const uint8_t iv[16];
	int l1, l2, l3;

	if (!c || !EVP_EncryptInit_ex(c, bits == 128 ? EVP_aes_128_cfb128() :
				      EVP_aes_256_cfb128(), NULL, key, iv) ||
	    !EVP_EncryptUpdate(c, out, &l1, hdr, (int)hlen) ||
	    !EVP_EncryptUpdate(c, out + l1, &l2, in, (int)len) ||
	    !EVP_EncryptFinal_ex(c, out + l1 + l2, &l3) ||
	    (size_t)(l1 + l2 + l3) != hlen + len)
		return -ENOMEM;
	return 0;
}

static int marshal_out(const void *obj, int is_id, uint8_t **out,
		       size_t *olen)
{
	size_t cap = is_id ? sizeof(TPM2B_ID_OBJECT) :
			     sizeof(TPM2B_ENCRYPTED_SECRET);
	size_t off = 0;
	uint8_t *b = malloc(cap);
	TSS2_RC rc;

	if (!b)
		return -ENOMEM;
	rc = is_id ? Tss2_MU_TPM2B_ID_OBJECT_Marshal(obj, b, cap, &off) :
		     Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(obj, b, cap, &off);
	if (rc) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	*olen = off;
	return 0;
}

int vms_tpm_make_credential(const struct vms_tpm_key *ek,
			    const uint8_t ak_name[VMS_TPM_NAME_LEN],
			    const uint8_t *secret, size_t slen,
			    uint8_t **id, size_t *id_len,
			    uint8_t **es_out, size_t *es_len)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 seed, sym, hkey;
	uint8_t hdr[2], *enc, mac[32];
	uint8_t msg[2 + VMS_CREDENTIAL_MAX + VMS_TPM_NAME_LEN];
	TPM2B_ENCRYPTED_SECRET es;
	TPM2B_ID_OBJECT ido;
	unsigned int bits, maclen = sizeof(mac);
	size_t plen = 2 + slen;
	int ret;

	*id = *es_out = NULL;
	if (!secret || slen == 0 || slen > VMS_CREDENTIAL_MAX)
		return -EINVAL;
	bits = ek && ek->pkey ? ek_aes_bits(&ek->pub) : 0;
	if (!bits)
		return -ENOTSUP;
	memset(&es, 0, sizeof(es));
	ret = ek->pub.type == TPM2_ALG_RSA ? seed_rsa(ek, seed.b, &es) :
					     seed_ecc(ek, seed.b, &es);
	if (ret)
		return ret;
	if (kdfa(seed.b, SEED_LEN, "STORAGE", ak_name, VMS_TPM_NAME_LEN,
		 sym.b, bits / 8) ||
	    kdfa(seed.b, SEED_LEN, "INTEGRITY", NULL, 0, hkey.b, 32))
		return -ENOMEM;
	/* TPM2B_DIGEST(secret), encrypted after the outer HMAC's TPM2B */
	hdr[0] = (uint8_t)(slen >> 8);
	hdr[1] = (uint8_t)slen;
	memset(&ido, 0, sizeof(ido));
	enc = ido.credential + 2 + sizeof(mac);
	if (aes_cfb(sym.b, bits, hdr, sizeof(hdr), secret, slen, enc))
		return -ENOMEM;
	memcpy(msg, enc, plen);
	memcpy(msg + plen, ak_name, VMS_TPM_NAME_LEN);
	if (!HMAC(EVP_sha256(), hkey.b, 32, msg, plen + VMS_TPM_NAME_LEN, mac,
		  &maclen))
		return -ENOMEM;
	ido.credential[0] = 0;
	ido.credential[1] = sizeof(mac);
	memcpy(ido.credential + 2, mac, sizeof(mac));
	ido.size = (UINT16)(2 + sizeof(mac) + plen);
	if (marshal_out(&ido, 1, id, id_len))
		return -ENOMEM;
	if (marshal_out(&es, 0, es_out, es_len)) {
		free(*id);
		*id = NULL;
		return -ENOMEM;
	}
	return 0;
}

enum vms_hgs_reason vms_tpm_credential_check(const uint8_t *expected,
					     size_t elen,
					     const uint8_t *got, size_t glen)
{
	if (!expected || !got || elen == 0 || elen != glen ||
	    CRYPTO_memcmp(expected, got, elen))
		return HGS_R_TPM_AK_NOT_ACTIVATED;
	return HGS_PASSED;
}
