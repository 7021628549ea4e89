// SPDX-License-Identifier: GPL-2.0
/*
 * x509util.c - key pairs, PEM files and self-signed certificates for the
 * HGS code (signer, guardians, HTTPS), over OpenSSL 3.
 */
#include <errno.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "vms_cleanup_ssl.h"
#include "vms_compiler.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_x509.h"

#define PEM_FILE_MAX (64 * 1024)

EVP_PKEY *vms_pkey_gen_p256(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

EVP_PKEY *vms_pkey_gen_ed25519(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

static int is_p256(EVP_PKEY *k)
{
	char group[32];
	size_t len = 0;

	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &len))
		return 0;
	return !strcmp(group, "prime256v1") || !strcmp(group, "P-256");
}

int vms_pkey_is_host_key_type(EVP_PKEY *k)
{
	return k && (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 || is_p256(k));
}

const char *vms_pkey_type_name(EVP_PKEY *k)
{
	if (!k)
		return "none";
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
		return "ed25519";
	case EVP_PKEY_X25519:
		return "x25519";
	case EVP_PKEY_EC:
		return is_p256(k) ? "ecdsa-p256" : "ec-other";
	case EVP_PKEY_RSA:
		return "rsa";
	default:
		return "other";
	}
}

int vms_bio_take(BIO *bio, uint8_t **out, size_t *outlen)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	*out = NULL;
	*outlen = 0;
	if (n <= 0)
		return -EIO;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = 0;
	*outlen = (size_t)n;
	/* a writable memory BIO clears its buffer on reset */
	(void)BIO_reset(bio);
	return 0;
}

int vms_bio_take_secret(BIO *bio, struct vms_secret *out)
{
	return vms_bio_take(bio, &out->p, &out->len);
}

int vms_pkey_private_pem(EVP_PKEY *k, char **out, size_t *outlen)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_secmem());
	struct vms_secret pem = { 0 };
	int r;

	*out = NULL;
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL))
		return -EIO;
	r = vms_bio_take_secret(bio, &pem);
	if (r)
		return r;
	*out = (char *)pem.p;
	*outlen = pem.len;
	return 0;
}

int vms_pkey_write_private(const char *path, EVP_PKEY *k,
			   const char *password, unsigned int flags)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_secmem());
	_cleanup_(vms_secret_free) struct vms_secret pem = { 0 };
	int ok, r;

	if (!bio)
		return -ENOMEM;
	if (password)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(),
						   NULL, 0, NULL,
						   (void *)password);
	else
		ok = PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	if (!ok)
		return -EIO;
	r = vms_bio_take_secret(bio, &pem);
	if (r)
		return r;
	return vms_write_file_atomic(path, pem.p, pem.len, 0600, flags);
}

int vms_pkey_read_private(const char *path, const char *password,
			  EVP_PKEY **out)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	_cleanup_(vms_secret_free) struct vms_secret pem = { 0 };
	int r;

	*out = NULL;
	r = vms_read_file(path, PEM_FILE_MAX, &pem.p, &pem.len);
	if (r)
		return r;
	bio = BIO_new_mem_buf(pem.p, (int)pem.len);
	if (!bio)
		return -ENOMEM;
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL,
				       (void *)(password ? password : ""));
	return *out ? 0 : -EKEYREJECTED;
}

int vms_pkey_from_pem(const char *pem, size_t len, EVP_PKEY **out)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;

	*out = NULL;
	if (!pem || len == 0 || len > PEM_FILE_MAX)
		return -EINVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	*out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	return *out ? 0 : -EINVAL;
}

/*
 * The text a PEM writer left in @bio (@written is the writer's result), as
 * a NUL-terminated string the caller free()s. Public material only.
 */
static int pem_take(BIO *bio, int written, char **out)
{
	uint8_t *text;
	size_t len;
	int r;

	*out = NULL;
	if (!written)
		return -EIO;
	r = vms_bio_take(bio, &text, &len);
	*out = (char *)text;
	return r;
}

/* Write public PEM text (from @r, @pem of a *_to_pem call) atomically. */
static int pem_write_public(const char *path, int r, const char *pem)
{
	if (r)
		return r;
	return vms_write_file_atomic(path, pem, strlen(pem),
				     vms_public_file_mode(), 0);
}

int vms_pkey_to_pem(EVP_PKEY *k, char **out)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());

	if (!bio)
		return -ENOMEM;
	return pem_take(bio, PEM_write_bio_PUBKEY(bio, k), out);
}

int vms_pkey_write_public(const char *path, EVP_PKEY *k)
{
	_cleanup_(vms_freep) char *pem = NULL;
	int r = vms_pkey_to_pem(k, &pem);

	return pem_write_public(path, r, pem);
}

static int sha256_hex(const uint8_t *p, size_t len, char out[VMS_FPR_HEX_LEN])
{
	uint8_t md[32];

	if (!EVP_Digest(p, len, md, NULL, EVP_sha256(), NULL))
		return -EIO;
	vms_hex_encode(md, sizeof(md), out);
	return 0;
}

int vms_pkey_fingerprint(EVP_PKEY *k, char out[VMS_FPR_HEX_LEN])
{
	_cleanup_ossl_ uint8_t *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	if (n <= 0)
		return -EINVAL;
	return sha256_hex(der, (size_t)n, out);
}

int vms_cert_fingerprint(X509 *c, char out[VMS_FPR_HEX_LEN])
{
	_cleanup_ossl_ uint8_t *der = NULL;
	int n = i2d_X509(c, &der);

	if (n <= 0)
		return -EINVAL;
	return sha256_hex(der, (size_t)n, out);
}

int vms_cert_add_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

int vms_cert_set_random_serial(X509 *c)
{
	uint8_t raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	raw[0] &= 0x7f;		/* positive */
	raw[0] |= 0x01;		/* and of full length */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn)
		return -ENOMEM;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != NULL;
	BN_free(bn);
	return ok ? 0 : -ENOMEM;
}

X509 *vms_cert_self_signed(EVP_PKEY *key, const char *cn, long days,
			   enum vms_cert_kind kind)
{
	return vms_cert_self_signed_san(key, cn, days, kind, NULL);
}

/* A standard extension in openssl.cnf syntax; value NULL: the SAN given. */
struct cert_ext {
	int nid;
	const char *value;
};

static const struct cert_ext ca_exts[] = {
	{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature" },
};

static const struct cert_ext encryption_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,keyAgreement,keyEncipherment" },
};

static const struct cert_ext signing_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature,nonRepudiation" },
};

static const struct cert_ext tls_server_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature,keyCertSign" },
	{ NID_ext_key_usage, "serverAuth" },
	{ NID_subject_alt_name, NULL },
};

static int add_kind_exts(X509 *c, enum vms_cert_kind kind, const char *san)
{
	const struct cert_ext *e;
	size_t i, n;
	int r;

	switch (kind) {
	case VMS_CERT_CA:
		e = ca_exts;
		n = ARRAY_SIZE(ca_exts);
		break;
	case VMS_CERT_ENCRYPTION:
		e = encryption_exts;
		n = ARRAY_SIZE(encryption_exts);
		break;
	case VMS_CERT_SIGNING:
		e = signing_exts;
		n = ARRAY_SIZE(signing_exts);
		break;
	case VMS_CERT_TLS_SERVER:
		e = tls_server_exts;
		n = ARRAY_SIZE(tls_server_exts);
		break;
	default:
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		r = vms_cert_add_ext(c, c, e[i].nid,
				     e[i].value ? e[i].value :
				     san ? san : VMS_TLS_DEFAULT_SAN);
		if (r)
			return r;
	}
	return 0;
}

X509 *vms_cert_self_signed_san(EVP_PKEY *key, const char *cn, long days,
			       enum vms_cert_kind kind, const char *san)
{
	_cleanup_(X509_freep) X509 *c = X509_new();
	const EVP_MD *md;
	X509_NAME *name;

	if (!c || !X509_set_version(c, 2) || vms_cert_set_random_serial(c))
		return NULL;
	if (!X509_gmtime_adj(X509_getm_notBefore(c), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c), days * 86400L))
		return NULL;
	name = X509_get_subject_name(c);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"vmshield", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(c, name) || !X509_set_pubkey(c, key))
		return NULL;
	if (vms_cert_add_ext(c, c, NID_subject_key_identifier, "hash") ||
	    add_kind_exts(c, kind, san))
		return NULL;
	md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	if (!X509_sign(c, key, md))
		return NULL;
	return VMS_TAKE_PTR(c);
}

int vms_cert_to_pem(X509 *c, char **out)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());

	if (!bio)
		return -ENOMEM;
	return pem_take(bio, PEM_write_bio_X509(bio, c), out);
}

int vms_cert_write(const char *path, X509 *c)
{
	_cleanup_(vms_freep) char *pem = NULL;
	int r = vms_cert_to_pem(c, &pem);

	return pem_write_public(path, r, pem);
}

int vms_cert_from_pem(const char *pem, size_t len, X509 **out)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;

	*out = NULL;
	if (!pem || len == 0 || len > PEM_FILE_MAX)
		return -EINVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	return *out ? 0 : -EINVAL;
}

int vms_cert_read(const char *path, X509 **out)
{
	_cleanup_(vms_freep) uint8_t *data = NULL;
	size_t len;
	int r;

	*out = NULL;
	r = vms_read_file(path, PEM_FILE_MAX, &data, &len);
	if (r)
		return r == -EFBIG ? -EINVAL : r;
	return vms_cert_from_pem((const char *)data, len, out);
}

int vms_cert_from_der(const uint8_t *der, size_t len, X509 **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (!der || len == 0 || len > PEM_FILE_MAX)
		return -EINVAL;
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out && p != der + len) {	/* trailing bytes */
		X509_free(*out);
		*out = NULL;
	}
	return *out ? 0 : -EINVAL;
}

int vms_cert_to_der(X509 *c, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);

	*out = NULL;
	if (n <= 0)
		return -EINVAL;
	*out = malloc((size_t)n);
	if (*out)
		memcpy(*out, der, (size_t)n);
	OPENSSL_free(der);
	*outlen = (size_t)n;
	return *out ? 0 : -ENOMEM;
}

int vms_cert_subject_cn(X509 *c, char *out, size_t outlen)
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(c),
					  NID_commonName, out, (int)outlen);

	if (n <= 0 || (size_t)n >= outlen - 1)
		return -EINVAL;
	return 0;
}
