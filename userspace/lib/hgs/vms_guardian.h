/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_guardian.h - guardians: the key pairs that protect VM keys.
 *
 * A guardian has a name and two ECDSA/ECDH P-256 key pairs, each with a
 * self-signed certificate (O=vmshield guardian, OU=encryption|signing,
 * CN=<name>): the encryption pair receives transport keys (CMS
 * EnvelopedData, key agreement), the signing pair signs key protectors.
 * Tenants own guardians (the owner of a KP); HGS has its own (one primary,
 * others kept for rotation).
 *
 * A guardian file is PEM: the two certificates, and for a full guardian
 * the two private keys (PKCS#8, encrypted with AES-256-CBC when a password
 * is given; written 0600). A public guardian file (export) has only the
 * certificates; it is what a tenant gives to whom it grants access.
 */
#ifndef VMS_GUARDIAN_H
#define VMS_GUARDIAN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define VMS_GUARDIAN_NAME_MAX	64

struct vms_guardian {
	char name[VMS_GUARDIAN_NAME_MAX + 1];
	X509 *enc_cert;
	X509 *sign_cert;
	EVP_PKEY *enc_key;	/* NULL for a public guardian */
	EVP_PKEY *sign_key;	/* NULL for a public guardian */
};

/* A new guardian, certificates valid for @days. */
int vms_guardian_new(const char *name, long days, struct vms_guardian *g);
void vms_guardian_free(struct vms_guardian *g);

/* @with_keys 0 writes the public form. @password NULL: keys in the clear. */
int vms_guardian_write(const char *path, const struct vms_guardian *g,
		       int with_keys, const char *password, unsigned int flags);
/*
 * Reads either form; -EINVAL if the file is not a guardian,
 * -EKEYREJECTED for a wrong password or keys not matching the certs.
 */
int vms_guardian_read(const char *path, const char *password,
		      struct vms_guardian *g);
int vms_guardian_from_pem(const char *pem, size_t len, const char *password,
			  struct vms_guardian *g);
/* The public form as PEM text (free()). */
int vms_guardian_to_pem(const struct vms_guardian *g, char **out);

#endif /* VMS_GUARDIAN_H */
