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

#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_keyfile.h"
#include "vms_prim.h"
#include "vms_x509.h"

#define KEY_LEN 32
/* A PEM X25519 key is about 120 bytes; anything far larger is not one. */
#define KEYFILE_MAX 4096

int vms_x25519_keygen(uint8_t sk[32], uint8_t pk[32])
{
	int ret = vms_prim_random(sk, KEY_LEN);

	if (ret) {
		OPENSSL_cleanse(sk, KEY_LEN);
		return ret;
	}
	ret = vms_prim_x25519_base(pk, sk);
	if (ret)
		OPENSSL_cleanse(sk, KEY_LEN);
	return ret;
}

/* PEM text of the key (through a secure-memory BIO for a private key). */
static int pem_encode(const uint8_t key[32], int private, struct vms_secret *pem)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	int ok;

	pkey = private ?
		EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, key, KEY_LEN) :
		EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, key, KEY_LEN);
	if (!pkey)
		return -ENOMEM;
	bio = BIO_new(private ? BIO_s_secmem() : BIO_s_mem());
	if (!bio)
		return -ENOMEM;
	ok = private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						NULL, NULL) :
		       PEM_write_bio_PUBKEY(bio, pkey);
	if (!ok)
		return -EIO;
	return vms_bio_take_secret(bio, pem);
}

static int write_key(const char *path, const uint8_t key[32], int private,
		     enum vms_key_format fmt, unsigned int flags)
{
	_cleanup_(vms_secret_free) struct vms_secret pem = { 0 };
	mode_t mode = private ? 0600 : vms_public_file_mode();
	int ret;

	if (fmt == VMS_KEY_RAW)
		return vms_write_file_atomic(path, key, KEY_LEN, mode, flags);
	ret = pem_encode(key, private, &pem);
	if (ret)
		return ret;
	return vms_write_file_atomic(path, pem.p, pem.len, mode, flags);
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
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	size_t klen = KEY_LEN;
	int ok;

	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return -ENOMEM;
	pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
			 PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_X25519)
		return -EKEYREJECTED;
	ok = private ? EVP_PKEY_get_raw_private_key(pkey, key, &klen) :
		       EVP_PKEY_get_raw_public_key(pkey, key, &klen);
	if (ok != 1 || klen != KEY_LEN) {
		OPENSSL_cleanse(key, KEY_LEN);
		return -EKEYREJECTED;
	}
	return 0;
}

static int load_key(const char *path, int private, uint8_t key[32])
{
	_cleanup_(vms_secret_free) struct vms_secret data = { 0 };
	static const char pem_start[] = "-----BEGIN ";
	int ret;

	ret = vms_read_file(path, KEYFILE_MAX, &data.p, &data.len);
	if (ret == -EFBIG)
		return -EINVAL;
	if (ret)
		return ret;
	if (data.len == KEY_LEN) {
		memcpy(key, data.p, KEY_LEN);
		return 0;
	}
	if (data.len > sizeof(pem_start) &&
	    !memcmp(data.p, pem_start, sizeof(pem_start) - 1))
		return pem_decode(data.p, data.len, private, key);
	return -EINVAL;
}

int vms_x25519_load_private(const char *path, uint8_t sk[32])
{
	return load_key(path, 1, sk);
}

int vms_x25519_load_public(const char *path, uint8_t pk[32])
{
	return load_key(path, 0, pk);
}
