// SPDX-License-Identifier: GPL-2.0
/*
 * prim_openssl.c - core/vms_prim.h implemented with OpenSSL 3.0 EVP.
 *
 * Algorithm objects are fetched once (fetching by name on every call costs
 * more than a short HMAC). Every OpenSSL return is checked; on any failure
 * the outputs are wiped before returning a negative errno.
 */
#include <limits.h>
#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "vms_prim.h"

static struct {
	EVP_MAC_CTX *hmac_tmpl;	/* HMAC with SHA-256 set, no key */
	EVP_CIPHER *gcm128;
	EVP_CIPHER *gcm256;
	int ok;
} algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

static void algs_load(void)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return;
	algs.hmac_tmpl = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the ctx holds its own reference */
	if (!algs.hmac_tmpl)
		return;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(algs.hmac_tmpl, params))
		return;
	algs.gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	algs.gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!algs.gcm128 || !algs.gcm256)
		return;
	algs.ok = 1;
}

static int algs_get(void)
{
	if (pthread_once(&algs_once, algs_load) || !algs.ok)
		return -EOPNOTSUPP;
	return 0;
}

void vms_prim_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int vms_prim_memneq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

int vms_prim_random(u8 *buf, size_t len)
{
	size_t n;

	while (len) {
		n = len > INT_MAX ? INT_MAX : len;
		if (RAND_bytes(buf, (int)n) != 1)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

int vms_prim_hmac_sha256(const u8 *key, size_t keylen,
			 const struct vms_buf *parts, unsigned int nparts,
			 u8 out[VMS_SHA256_LEN])
{
	/*
	 * RFC 2104 pads the key with zeros to the block size, so a
	 * zero-length key is the same as 32 zero bytes; OpenSSL treats a
	 * NULL/empty key as "keep the old key", hence the explicit zeros.
	 */
	static const u8 zero_key[VMS_SHA256_LEN];
	EVP_MAC_CTX *ctx;
	size_t outl = 0;
	unsigned int i;
	int ret = -EIO;

	if (!out || (nparts && !parts) || (keylen && !key))
		return -EINVAL;
	if (algs_get())
		return -EOPNOTSUPP;
	if (!keylen) {
		key = zero_key;
		keylen = sizeof(zero_key);
	}
	ctx = EVP_MAC_CTX_dup(algs.hmac_tmpl);
	if (!ctx)
		return -ENOMEM;
	if (!EVP_MAC_init(ctx, key, keylen, NULL))
		goto out;
	for (i = 0; i < nparts; i++) {
		if (!parts[i].len)
			continue;
		if (!parts[i].p || !EVP_MAC_update(ctx, parts[i].p,
						   parts[i].len))
			goto out;
	}
	if (!EVP_MAC_final(ctx, out, &outl, VMS_SHA256_LEN) ||
	    outl != VMS_SHA256_LEN)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);	/* cleanses the HMAC state */
	if (ret)
		vms_prim_wipe(out, VMS_SHA256_LEN);
	return ret;
}

int vms_prim_x25519(u8 out[VMS_X25519_LEN], const u8 scalar[VMS_X25519_LEN],
		    const u8 point[VMS_X25519_LEN])
{
	static const u8 zero[VMS_X25519_LEN];
	EVP_PKEY *priv = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t outl = VMS_X25519_LEN;
	int ret = -EIO;

	if (!out || !scalar || !point)
		return -EINVAL;
	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar,
					    VMS_X25519_LEN);
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point,
					   VMS_X25519_LEN);
	if (!priv || !peer) {
		ret = -ENOMEM;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (!ctx) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	/*
	 * OpenSSL refuses an all-zero result (a low-order point) inside
	 * derive; such a point is the caller's bad input, hence -EINVAL.
	 */
	if (EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, out, &outl) != 1) {
		ret = -EINVAL;
		goto out;
	}
	if (outl != VMS_X25519_LEN)
		goto out;
	/* Belt and braces: never hand out the all-zero shared value. */
	if (!CRYPTO_memcmp(out, zero, VMS_X25519_LEN)) {
		ret = -EINVAL;
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(priv);	/* cleanses the private key */
	if (ret)
		vms_prim_wipe(out, VMS_X25519_LEN);
	return ret;
}

int vms_prim_x25519_base(u8 out[VMS_X25519_LEN],
			 const u8 scalar[VMS_X25519_LEN])
{
	EVP_PKEY *priv;
	size_t outl = VMS_X25519_LEN;
	int ret = -EIO;

	if (!out || !scalar)
		return -EINVAL;
	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar,
					    VMS_X25519_LEN);
	if (!priv)
		return -ENOMEM;
	if (EVP_PKEY_get_raw_public_key(priv, out, &outl) == 1 &&
	    outl == VMS_X25519_LEN)
		ret = 0;
	EVP_PKEY_free(priv);
	if (ret)
		vms_prim_wipe(out, VMS_X25519_LEN);
	return ret;
}

static const EVP_CIPHER *gcm_for(size_t keylen)
{
	if (algs_get())
		return NULL;
	if (keylen == 16)
		return algs.gcm128;
	if (keylen == 32)
		return algs.gcm256;
	return NULL;
}

/* EVP lengths are int: feed large buffers in pieces of one context. */
static int gcm_update(EVP_CIPHER_CTX *ctx, int enc, u8 *out, const u8 *in,
		      size_t len)
{
	int n, outl;

	while (len) {
		n = len > (INT_MAX & ~15) ? (INT_MAX & ~15) : (int)len;
		outl = 0;
		if (enc) {
			if (EVP_EncryptUpdate(ctx, out, &outl, in, n) != 1)
				return -EIO;
		} else {
			if (EVP_DecryptUpdate(ctx, out, &outl, in, n) != 1)
				return -EIO;
		}
		if (out && outl != n)
			return -EIO;
		if (out)
			out += n;
		in += n;
		len -= (size_t)n;
	}
	return 0;
}

int vms_prim_aead_seal(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *pt, size_t ptlen, u8 *out)
{
	const EVP_CIPHER *cipher = gcm_for(keylen);
	EVP_CIPHER_CTX *ctx;
	int outl = 0, ret = -EIO;

	if (!cipher || !key || !nonce || !out || (aadlen && !aad) ||
	    (ptlen && !pt))
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* The GCM default IV length is 12 bytes, ours. */
	if (EVP_EncryptInit_ex2(ctx, cipher, key, nonce, NULL) != 1)
		goto out;
	if (aadlen && gcm_update(ctx, 1, NULL, aad, aadlen))
		goto out;
	if (ptlen && gcm_update(ctx, 1, out, pt, ptlen))
		goto out;
	if (EVP_EncryptFinal_ex(ctx, out + ptlen, &outl) != 1 || outl != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, VMS_GCM_TAG_LEN,
				out + ptlen) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	if (ret)
		vms_prim_wipe(out, ptlen + VMS_GCM_TAG_LEN);
	return ret;
}

int vms_prim_aead_open(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *ct, size_t ctlen, u8 *out)
{
	const EVP_CIPHER *cipher = gcm_for(keylen);
	u8 tag[VMS_GCM_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t ptlen;
	int outl = 0, ret = -EIO;

	if (!cipher || !key || !nonce || !ct || (aadlen && !aad))
		return -EINVAL;
	if (ctlen < VMS_GCM_TAG_LEN)
		return -EBADMSG;
	ptlen = ctlen - VMS_GCM_TAG_LEN;
	if (ptlen && !out)
		return -EINVAL;
	/* Copy the tag first: @ct and @out may be the same buffer. */
	memcpy(tag, ct + ptlen, sizeof(tag));
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DecryptInit_ex2(ctx, cipher, key, nonce, NULL) != 1)
		goto out;
	if (aadlen && gcm_update(ctx, 0, NULL, aad, aadlen))
		goto out;
	/*
	 * EVP decrypts before it can check the tag, so plaintext passes
	 * through @out; on a bad tag it is wiped before we return, and no
	 * caller looks at @out unless we return 0.
	 */
	if (ptlen && gcm_update(ctx, 0, out, ct, ptlen))
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, VMS_GCM_TAG_LEN,
				tag) != 1)
		goto out;
	ret = EVP_DecryptFinal_ex(ctx, out ? out + ptlen : tag, &outl) == 1 &&
	      outl == 0 ? 0 : -EBADMSG;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (ret && ptlen)
		vms_prim_wipe(out, ptlen);
	return ret;
}
