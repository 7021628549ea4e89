/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_cleanup_ssl.h - cleanup attributes for the OpenSSL objects the
 * userspace code uses (vms_cleanup.h has the libc ones and the rules):
 *
 *	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
 */
#ifndef VMS_CLEANUP_SSL_H
#define VMS_CLEANUP_SSL_H

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vms_cleanup.h"

VMS_DEFINE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
VMS_DEFINE_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
VMS_DEFINE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
VMS_DEFINE_CLEANUP(X509, X509_free)
VMS_DEFINE_CLEANUP(X509_STORE, X509_STORE_free)
VMS_DEFINE_CLEANUP(X509_STORE_CTX, X509_STORE_CTX_free)
VMS_DEFINE_CLEANUP(BIO, BIO_free_all)
VMS_DEFINE_CLEANUP(CMS_ContentInfo, CMS_ContentInfo_free)
VMS_DEFINE_CLEANUP(ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
VMS_DEFINE_CLEANUP(ASN1_OBJECT, ASN1_OBJECT_free)

/* OPENSSL_malloc'd memory (i2d_*, PEM_read_bio's name/header/data). */
static inline void vms_osslfreep(void *p)
{
	OPENSSL_free(*(void **)p);
	*(void **)p = NULL;
}

/* A stack of X509 (the list, and every certificate in it). */
static inline void vms_x509_stack_freep(STACK_OF(X509) **p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
	*p = NULL;
}

/* A stack of X509 that borrows its certificates: the list alone. */
static inline void vms_x509_stack_borrowedp(STACK_OF(X509) **p)
{
	sk_X509_free(*p);
	*p = NULL;
}

#define _cleanup_ossl_		_cleanup_(vms_osslfreep)

#endif /* VMS_CLEANUP_SSL_H */
