// SPDX-License-Identifier: GPL-2.0
/*
 * guardian.c - guardian key pairs, certificates and guardian files.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hgs_cert.h"
#include "vms_x509.h"

#define GUARDIAN_FILE_MAX (64 * 1024)

void vms_guardian_free(struct vms_guardian *g)
{
	X509_free(g->enc_cert);
	X509_free(g->sign_cert);
	EVP_PKEY_free(g->enc_key);
	EVP_PKEY_free(g->sign_key);
	memset(g, 0, sizeof(*g));
}

int vms_guardian_new(const char *name, long days, struct vms_guardian *g)
{
	memset(g, 0, sizeof(*g));
	if (!vms_host_name_valid(name))
		return -EINVAL;
	strcpy(g->name, name);
	g->enc_key = vms_pkey_gen_p256();
	g->sign_key = vms_pkey_gen_p256();
	if (g->enc_key && g->sign_key) {
		g->enc_cert = vms_cert_self_signed(g->enc_key, name, days,
						   VMS_CERT_ENCRYPTION);
		g->sign_cert = vms_cert_self_signed(g->sign_key, name, days,
						    VMS_CERT_SIGNING);
	}
	if (!g->enc_cert || !g->sign_cert) {
		vms_guardian_free(g);
		return -ENOMEM;
	}
	return 0;
}

static int write_key(BIO *bio, EVP_PKEY *k, const char *password)
{
	if (password)
		return PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(),
						     NULL, 0, NULL,
						     (void *)password) ? 0 : -EIO;
	return PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL,
					     NULL) ? 0 : -EIO;
}

/* The guardian as PEM (certificates, then the keys if @with_keys). */
static int guardian_pem(const struct vms_guardian *g, int with_keys,
			const char *password, struct vms_secret *pem)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_secmem());

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_X509(bio, g->enc_cert) ||
	    !PEM_write_bio_X509(bio, g->sign_cert))
		return -EIO;
	if (with_keys) {
		if (!g->enc_key || !g->sign_key)
			return -ENOKEY;
		if (write_key(bio, g->enc_key, password) ||
		    write_key(bio, g->sign_key, password))
			return -EIO;
	}
	return vms_bio_take_secret(bio, pem);
}

int vms_guardian_write(const char *path, const struct vms_guardian *g,
		       int with_keys, const char *password, unsigned int flags)
{
	_cleanup_(vms_secret_free) struct vms_secret pem = { 0 };
	int r = guardian_pem(g, with_keys, password, &pem);

	if (r)
		return r;
	return vms_write_file_atomic(path, pem.p, pem.len,
				     with_keys ? 0600 : vms_public_file_mode(), flags);
}

int vms_guardian_to_pem(const struct vms_guardian *g, char **out)
{
	struct vms_secret pem = { 0 };	/* public: no keys */
	int r = guardian_pem(g, 0, NULL, &pem);

	*out = r ? NULL : (char *)pem.p;
	return r;
}

static EVP_PKEY *decode_key(const char *name, const unsigned char *data,
			    long len, const char *password)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const unsigned char *p = data;
	EVP_PKEY *k = NULL;

	if (!strcmp(name, PEM_STRING_PKCS8INF)) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
	} else if (!strcmp(name, PEM_STRING_PKCS8)) {
		X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);

		if (sig && password)
			p8 = PKCS8_decrypt(sig, password, (int)strlen(password));
		X509_SIG_free(sig);
	}
	if (p8)
		k = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return k;
}

static int place_cert(struct vms_guardian *g, X509 *c)
{
	uint32_t ku = X509_get_key_usage(c);

	if ((ku & KU_KEY_AGREEMENT) && !g->enc_cert)
		g->enc_cert = c;
	else if ((ku & KU_DIGITAL_SIGNATURE) && !(ku & KU_KEY_AGREEMENT) &&
		 !g->sign_cert)
		g->sign_cert = c;
	else
		return -EINVAL;
	return 0;
}

static int place_key(struct vms_guardian *g, EVP_PKEY *k)
{
	if (g->enc_cert && !g->enc_key && X509_check_private_key(g->enc_cert, k))
		g->enc_key = k;
	else if (g->sign_cert && !g->sign_key &&
		 X509_check_private_key(g->sign_cert, k))
		g->sign_key = k;
	else
		return -EKEYREJECTED;
	return 0;
}

/* One PEM block of a guardian file: a certificate or a private key. */
static int add_block(struct vms_guardian *g, const char *name,
		     const unsigned char *data, long dlen, const char *password,
		     int *nkeys)
{
	if (!strcmp(name, PEM_STRING_X509)) {
		const unsigned char *p = data;
		X509 *c = d2i_X509(NULL, &p, dlen);
		int r = c ? place_cert(g, c) : -EINVAL;

		if (r)
			X509_free(c);
		return r;
	}
	if (!strcmp(name, PEM_STRING_PKCS8INF) || !strcmp(name, PEM_STRING_PKCS8)) {
		EVP_PKEY *k = decode_key(name, data, dlen, password);
		int r = k ? place_key(g, k) : -EKEYREJECTED;

		if (r)
			EVP_PKEY_free(k);
		(*nkeys)++;
		return r;
	}
	return -EINVAL;
}

/* Every block of @bio into @g, then the checks a whole guardian passes. */
static int guardian_parse(BIO *bio, const char *password, struct vms_guardian *g)
{
	int r, nkeys = 0;

	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;

		if (!PEM_read_bio(bio, &name, &header, &data, &dlen))
			break;	/* the end (or junk: the checks below refuse it) */
		r = add_block(g, name, data, dlen, password, &nkeys);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, dlen > 0 ? (size_t)dlen : 1);
		if (r)
			return r;
	}
	if (!g->enc_cert || !g->sign_cert)
		return -EINVAL;
	if (nkeys && (!g->enc_key || !g->sign_key || nkeys != 2))
		return -EKEYREJECTED;
	if (vms_cert_subject_cn(g->enc_cert, g->name, sizeof(g->name)) ||
	    !vms_host_name_valid(g->name))
		return -EINVAL;
	return 0;
}

int vms_guardian_from_pem(const char *pem, size_t len, const char *password,
			  struct vms_guardian *g)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	int r;

	memset(g, 0, sizeof(*g));
	if (!pem || !len || len > GUARDIAN_FILE_MAX)
		return -EINVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	r = guardian_parse(bio, password, g);
	ERR_clear_error();
	if (r)
		vms_guardian_free(g);
	return r;
}

int vms_guardian_read(const char *path, const char *password,
		      struct vms_guardian *g)
{
	_cleanup_(vms_secret_free) struct vms_secret data = { 0 };
	int r;

	memset(g, 0, sizeof(*g));
	r = vms_read_file(path, GUARDIAN_FILE_MAX, &data.p, &data.len);
	if (r)
		return r == -EFBIG ? -EINVAL : r;
	return vms_guardian_from_pem((const char *)data.p, data.len, password, g);
}
