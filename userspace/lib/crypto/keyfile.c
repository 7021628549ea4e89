// SPDX-License-Identifier: GPL-2.0
/*
 * keyfile.c - X25519 key generation and raw/PEM key files over OpenSSL.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vms_fileio.h"
#include "vms_keyfile.h"
#include "vms_prim.h"

#define KEY_LEN 32
/* A PEM X25519 key is about 120 bytes; anything far larger is not one. */
#define KEYFILE_MAX 4096

int vms_x25519_keygen(uint8_t sk[32], uint8_t pk[32])
{
	int ret = vms_prim_random(sk, KEY_LEN);

	if (!ret)
		ret = vms_prim_x25519_base(pk, sk);
	if (ret)
		OPENSSL_cleanse(sk, KEY_LEN);
	return ret;
}

/* PEM text of the key into a new BIO (secure memory for private keys). */
static int pem_encode(const uint8_t key[32], int private, uint8_t **out,
		      size_t *outlen)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *p;
	long n;
	int ok;

	pkey = private ?
		EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, key, KEY_LEN) :
		EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, key, KEY_LEN);
	if (!pkey)
		return -ENOMEM;
	bio = BIO_new(private ? BIO_s_secmem() : BIO_s_mem());
	if (!bio) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	ok = private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						NULL, NULL) :
		       PEM_write_bio_PUBKEY(bio, pkey);
	EVP_PKEY_free(pkey);
	n = BIO_get_mem_data(bio, &p);
	if (!ok || n <= 0) {
		BIO_free(bio);
		return -EIO;
	}
	*out = OPENSSL_malloc((size_t)n);
	if (*out)
		memcpy(*out, p, (size_t)n);
	*outlen = (size_t)n;
	BIO_free(bio);	/* a secmem BIO clears its buffer */
	return *out ? 0 : -ENOMEM;
}

static int write_key(const char *path, const uint8_t key[32], int private,
		     enum vms_key_format fmt, unsigned int flags)
{
	mode_t mode = private ? 0600 : vms_public_file_mode();
	uint8_t *pem;
	size_t len;
	int ret;

	if (fmt == VMS_KEY_RAW)
		return vms_write_file_atomic(path, key, KEY_LEN, mode, flags);
	ret = pem_encode(key, private, &pem, &len);
	if (ret)
		return ret;
	ret = vms_write_file_atomic(path, pem, len, mode, flags);
	OPENSSL_clear_free(pem, len);
	return ret;
}

int vms_x25519_write_private(const char *path, const uint8_t sk[32],
			     enum vms_key_format fmt, unsigned int flags)
{
	return write_key(path, sk, 1, fmt, flags);
}

int vms_x25519_write_public(const char *path, const uint8_t pk[32],
			    enum vms_key_format fmt, unsigned int flags)
{
	return write_key(path, pk, 0, fmt, flags);
}

static int pem_decode(const uint8_t *data, size_t len, int private,
		      uint8_t key[32])
{
	size_t klen = KEY_LEN;
	EVP_PKEY *pkey;
	BIO *bio;
	int ok;

	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return -ENOMEM;
	pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
			 PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey)
		return -EKEYREJECTED;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_X25519) {
		EVP_PKEY_free(pkey);
		return -EKEYREJECTED;
	}
	ok = private ? EVP_PKEY_get_raw_private_key(pkey, key, &klen) :
		       EVP_PKEY_get_raw_public_key(pkey, key, &klen);
	EVP_PKEY_free(pkey);
	if (ok != 1 || klen != KEY_LEN) {
		OPENSSL_cleanse(key, KEY_LEN);
		return -EKEYREJECTED;
	}
	return 0;
}

static int load_key(const char *path, int private, uint8_t key[32])
{
	static const char pem_start[] = "-----BEGIN ";
	uint8_t *data;
	size_t len;
	int ret;

	ret = vms_read_file(path, KEYFILE_MAX, &data, &len);
	if (ret == -EFBIG)
		return -EINVAL;
	if (ret)
		return ret;
	if (len == KEY_LEN) {
		memcpy(key, data, KEY_LEN);
	} else if (len > sizeof(pem_start) &&
		   !memcmp(data, pem_start, sizeof(pem_start) - 1)) {
		ret = pem_decode(data, len, private, key);
	} else {
		ret = -EINVAL;
	}
	OPENSSL_clear_free(data, len ? len : 1);
	return ret;
}

int vms_x25519_load_private(const char *path, uint8_t sk[32])
{
	return load_key(path, 1, sk);
}

int vms_x25519_load_public(const char *path, uint8_t pk[32])
{
	return load_key(path, 0, pk);
}
