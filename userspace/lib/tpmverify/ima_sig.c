// SPDX-License-Identifier: GPL-2.0
/*
 * ima_sig.c - parse and verify IMA v2 file signatures; IMA signing keys
 * from certificates and from the IMA keyring's KEY_CHECK entries.
 * Formats: vms_ima_sig.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vms_cleanup_ssl.h"
#include "vms_compiler.h"
#include "vms_ima_sig.h"

int vms_ima_sig_parse(const uint8_t *x, size_t len, struct vms_ima_sig *s)
{
	memset(s, 0, sizeof(*s));
	if (len < VMS_IMA_SIG_HDR_LEN || x[0] != VMS_IMA_DIGSIG_TYPE ||
	    x[1] != VMS_IMA_DIGSIG_V2)
		return -EBADMSG;
	s->hash_algo = x[2];
	s->keyid = (uint32_t)x[3] << 24 | (uint32_t)x[4] << 16 |
		   (uint32_t)x[5] << 8 | x[6];
	s->sig_len = (uint16_t)(x[7] << 8 | x[8]);
	if (s->sig_len == 0 || (size_t)s->sig_len != len - VMS_IMA_SIG_HDR_LEN)
		return -EBADMSG;
	s->sig = x + VMS_IMA_SIG_HDR_LEN;
	return s->hash_algo == VMS_IMA_HASH_SHA256 ? 0 : -ENOTSUP;
}

const char *vms_ima_hash_name(uint8_t algo)
{
	static const char *const names[] = {
		"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512",
		"sha224", "rmd128", "rmd256", "rmd320", "wp256", "wp384",
		"wp512", "tgr128", "tgr160", "tgr192", "sm3", "streebog256",
		"streebog512",
	};

	return algo < ARRAY_SIZE(names) ? names[algo] : "unknown";
}

int vms_ima_sig_verify(const struct vms_ima_sig *s, const uint8_t digest[32],
		       EVP_PKEY *key)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	int rsa = EVP_PKEY_is_a(key, "RSA"), rc;

	if (s->hash_algo != VMS_IMA_HASH_SHA256)
		return -EKEYREJECTED;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0))
		return -ENOMEM;
	rc = EVP_PKEY_verify(ctx, s->sig, s->sig_len, digest, 32);
	return rc == 1 ? 0 : -EKEYREJECTED;
}

static int skid_keyid(X509 *x, uint32_t *keyid)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
	const unsigned char *p;
	int n;

	if (!skid)
		return -ENOKEY;
	n = ASN1_STRING_length(skid);
	p = ASN1_STRING_get0_data(skid);
	if (n < 4)
		return -ENOKEY;
	p += n - 4;
	*keyid = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		 (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int vms_ima_key_from_der(const uint8_t *der, size_t len, struct vms_ima_key *k)
{
	_cleanup_(X509_freep) X509 *x = NULL;
	const unsigned char *p = der;
	int r;

	memset(k, 0, sizeof(*k));
	if (len > VMS_IMA_CERT_MAX)
		return -E2BIG;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len)
		return -EBADMSG;
	/* X509_check_purpose caches the extensions, SKID included */
	X509_check_purpose(x, -1, 0);
	r = skid_keyid(x, &k->keyid);
	if (r)
		return r;
	k->pkey = X509_get_pubkey(x);
	if (!k->pkey)
		return -EBADMSG;
	if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		strcpy(k->type, "RSA");
	} else if (EVP_PKEY_is_a(k->pkey, "EC")) {
		strcpy(k->type, "EC");
	} else {
		vms_ima_key_free(k);
		return -ENOTSUP;
	}
	if (!EVP_Digest(der, len, k->fpr, NULL, EVP_sha256(), NULL)) {
		vms_ima_key_free(k);
		return -ENOMEM;
	}
	return 0;
}

void vms_ima_key_free(struct vms_ima_key *k)
{
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

int vms_ima_key_strong_enough(const struct vms_ima_key *k, char *why,
			      size_t len)
{
	char curve[64];
	int bits = EVP_PKEY_get_bits(k->pkey);

	if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		if (bits >= 2048)
			return 0;
		snprintf(why, len, "an RSA key of %d bits", bits);
		return -EKEYREJECTED;
	}
	if (!EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					    curve, sizeof(curve), NULL))
		snprintf(curve, sizeof(curve), "explicit parameters");
	if (!strcmp(curve, SN_X9_62_prime256v1) || !strcmp(curve, SN_secp384r1))
		return 0;
	snprintf(why, len, "an EC key on %s", curve);
	return -EKEYREJECTED;
}

int vms_ima_entry_is_ima_key(const struct vms_ima_entry *e)
{
	return !e->violation && e->tmpl == VMS_IMA_BUF &&
	       (!strcmp(e->name, "_ima") || !strcmp(e->name, ".ima"));
}
