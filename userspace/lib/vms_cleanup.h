/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_cleanup.h - cleanup attributes for the OpenSSL, jansson and libc
 * objects the HGS code uses, in the systemd style:
 *
 *	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
 *
 * Every early return frees (and, for secrets, wipes) what it must.
 */
#ifndef VMS_CLEANUP_H
#define VMS_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Hand a pointer out of a cleanup variable's reach. */
#define VMS_TAKE_PTR(p) (__extension__ ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; }))

/* (__typeof__ so that checkpatch reads the parameter as a type.) */
#define VMS_DEFINE_CLEANUP(type, func)				\
	static inline void func##p(__typeof__(type) **p)	\
	{							\
		if (*p)						\
			func(*p);				\
		*p = NULL;					\
	}

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

static inline void vms_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

static inline void vms_osslfreep(void *p)
{
	OPENSSL_free(*(void **)p);
	*(void **)p = NULL;
}

static inline void vms_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A stack of X509 (the list, and every certificate in it). */
static inline void vms_x509_stack_freep(STACK_OF(X509) **p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
	*p = NULL;
}

/* A heap buffer that may hold a secret: wiped, then freed. */
struct vms_secret {
	uint8_t *p;
	size_t len;
};

static inline void vms_secret_free(struct vms_secret *s)
{
	if (s->p)
		OPENSSL_clear_free(s->p, s->len ? s->len : 1);
	s->p = NULL;
	s->len = 0;
}

#define _cleanup_ossl_		_cleanup_(vms_osslfreep)
#define _cleanup_close_fd_	_cleanup_(vms_closep)
#define _cleanup_vms_secret_	_cleanup_(vms_secret_free)

#endif /* VMS_CLEANUP_H */
