/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kp_internal.h - what kp.c (the owner's key protector) and kp_roll.c
 * (KPS's TK roll inside it) share; for those two files only.
 */
#ifndef VMS_KP_INTERNAL_H
#define VMS_KP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>

#include "vms_kp.h"

enum {
	A_VERSION, A_VM_ID, A_KEY_ID, A_POLICY, A_RECIPS, A_MINATT, A_PLACEMENT,
	A_PLATFORMS, A_CONTENT, A_VTPM, A_ROLL, A_ROLL_CONTENT, A_TK_VERSION,
	A_OWNER_SIG, N_OBJ
};

/* The highest TK version a KP carries (the owner's or a roll's). */
#define KP_MAX_TK_VERSION	(1L << 62)

/* The OID object @which (one of the above). */
ASN1_OBJECT *kp_obj(int which);

/* A parsed, verified KP. */
struct kp {
	CMS_ContentInfo *sd;	/* the owner's SignedData */
	CMS_ContentInfo *env;	/* the owner's envelope inside */
	uint8_t *env_der;	/* ... as the signature covers it (malloc) */
	size_t env_len;
	X509 *signer;		/* borrowed from sd */
	/* the owner's signed tkVersion (0 if absent); a roll must be above */
	uint64_t owner_tk_version;
	/* the TK roll, when KPS rolled the KP (kp_roll.c); else NULL */
	CMS_ContentInfo *roll_env;
	uint8_t *roll_env_der;	/* malloc */
	size_t roll_env_len;
	struct vms_kp_info info;
	/* opened without the signature checks (kp_open_trusted) */
	int trusted;
};

int kp_open(const uint8_t *der, size_t len, struct kp *k);
/*
 * kp_open() for a DER byte for byte one the caller verified or made
 * before (KPS's verified-KP cache): the owner's and the roll's signature
 * checks are skipped, every other check is made.
 */
int kp_open_trusted(const uint8_t *der, size_t len, struct kp *k);
/* The flags kp_open's CMS_verify calls take for @k. */
unsigned int kp_verify_flags(const struct kp *k);
void kp_free(struct kp *k);
CMS_ContentInfo *kp_d2i_exact(const uint8_t *der, size_t len);
int kp_malformed(void);
int kp_attr_int(CMS_SignerInfo *si, int which, long *out);
int kp_attr_octets(CMS_SignerInfo *si, int which, uint8_t *out, int len);
int kp_add_int(CMS_SignerInfo *si, int which, long v);
int kp_add_octets(CMS_SignerInfo *si, int which, const uint8_t *v, int len);
int kp_build_envelope(STACK_OF(X509) *recips, const uint8_t tk[32],
		      uint8_t **der, int *derlen);
STACK_OF(X509) *kp_recipient_certs(struct kp *k);
unsigned int kp_count_recipients(CMS_ContentInfo *env);

/* The current TK (the roll's, else the owner's) with the first of @gs listed. */
int kp_unwrap_current(struct kp *k, const struct vms_guardian *const *gs, size_t n,
		      uint8_t tk[32]);

/*
 * kp_roll.c: read the roll attribute of the owner's SignerInfo @si into
 * @k (0 when there is none): -EINVAL malformed, -EBADMSG its signature.
 */
int kp_roll_read(struct kp *k, CMS_SignerInfo *si);

#endif /* VMS_KP_INTERNAL_H */
