/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_x509.h - the key and certificate plumbing the HGS code shares:
 * P-256 / Ed25519 key pairs, PEM files (private keys optionally encrypted
 * as PKCS#8 with AES-256-CBC under a password), self-signed certificates
 * of the kinds vmshield uses, and SHA-256 fingerprints.
 *
 * All functions return 0 or a negative errno:
 *   -EINVAL        not PEM/DER of the expected kind
 *   -EKEYREJECTED  a key of an unsupported type, or a wrong password
 *   -ENOMEM, file errors from vms_fileio.h
 * No function logs; no key material is ever put in an error.
 */
#ifndef VMS_X509_H
#define VMS_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define VMS_FPR_HEX_LEN 65	/* 64 hex digits and a NUL */

struct vms_secret;		/* vms_cleanup.h */

/* What a self-signed certificate is for (sets its extensions). */
enum vms_cert_kind {
	VMS_CERT_CA,		/* attestation signer: CA:TRUE, keyCertSign */
	VMS_CERT_ENCRYPTION,	/* guardian encryption: keyAgreement */
	VMS_CERT_SIGNING,	/* guardian signing: digitalSignature */
	VMS_CERT_TLS_SERVER,	/* HTTPS: serverAuth, SAN localhost/127.0.0.1 */
};

EVP_PKEY *vms_pkey_gen_p256(void);
EVP_PKEY *vms_pkey_gen_ed25519(void);

/* Host keys: 1 when @k is Ed25519 or ECDSA P-256. */
int vms_pkey_is_host_key_type(EVP_PKEY *k);
const char *vms_pkey_type_name(EVP_PKEY *k);

/* PEM private key; @password NULL writes it in the clear (mode 0600). */
int vms_pkey_write_private(const char *path, EVP_PKEY *k,
			   const char *password, unsigned int flags);
int vms_pkey_read_private(const char *path, const char *password,
			  EVP_PKEY **out);
/*
 * PEM private key to a new string (for libmicrohttpd): malloc()ed like
 * vms_bio_take_secret()'s, so wipe it with vms_wipe_free(*out, *outlen).
 */
int vms_pkey_private_pem(EVP_PKEY *k, char **out, size_t *outlen);

/* SubjectPublicKeyInfo, PEM text <-> key. */
int vms_pkey_from_pem(const char *pem, size_t len, EVP_PKEY **out);
int vms_pkey_to_pem(EVP_PKEY *k, char **out);	/* free() *out */
int vms_pkey_write_public(const char *path, EVP_PKEY *k);

/* SHA-256 over the DER SubjectPublicKeyInfo, in hex. */
int vms_pkey_fingerprint(EVP_PKEY *k, char out[VMS_FPR_HEX_LEN]);
/* SHA-256 over the DER certificate, in hex. */
int vms_cert_fingerprint(X509 *c, char out[VMS_FPR_HEX_LEN]);

X509 *vms_cert_self_signed(EVP_PKEY *key, const char *cn, long days,
			   enum vms_cert_kind kind);
/* The names a TLS server certificate carries unless told otherwise. */
#define VMS_TLS_DEFAULT_SAN "DNS:localhost,IP:127.0.0.1"
/*
 * The same; a VMS_CERT_TLS_SERVER certificate gets subjectAltName @san
 * (OpenSSL syntax, "DNS:a,IP:b"; NULL: VMS_TLS_DEFAULT_SAN).
 */
X509 *vms_cert_self_signed_san(EVP_PKEY *key, const char *cn, long days,
			       enum vms_cert_kind kind, const char *san);

int vms_cert_write(const char *path, X509 *c);
int vms_cert_read(const char *path, X509 **out);
int vms_cert_from_pem(const char *pem, size_t len, X509 **out);
int vms_cert_to_pem(X509 *c, char **out);	/* free() *out */
int vms_cert_from_der(const uint8_t *der, size_t len, X509 **out);
int vms_cert_to_der(X509 *c, uint8_t **out, size_t *outlen); /* free() */

/* A random positive 128-bit serial number. */
int vms_cert_set_random_serial(X509 *c);
/* Add a standard extension given in openssl.cnf syntax ("critical,CA:FALSE"). */
int vms_cert_add_ext(X509 *c, X509 *issuer, int nid, const char *value);

/*
 * What a writer left in the memory BIO @bio (BIO_s_mem() or, for key
 * material, BIO_s_secmem()), taken out: copied into a new malloc()ed
 * buffer with a NUL after the @outlen bytes (PEM text is a C string), and
 * the BIO's own buffer cleared. The one way the userspace code turns a
 * BIO into a buffer, so every such buffer has the same allocator:
 *   vms_bio_take()         public bytes; free() them
 *   vms_bio_take_secret()  key material, into a struct vms_secret that
 *                          vms_secret_free() (_cleanup_vms_secret_) wipes
 * -EIO if the BIO holds nothing, -ENOMEM; *@out is NULL on failure.
 */
int vms_bio_take(BIO *bio, uint8_t **out, size_t *outlen);
int vms_bio_take_secret(BIO *bio, struct vms_secret *out);

/* The subject's CN into @out (NUL-terminated); -EINVAL if none/too long. */
int vms_cert_subject_cn(X509 *c, char *out, size_t outlen);

#endif /* VMS_X509_H */
