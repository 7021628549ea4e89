// SPDX-License-Identifier: GPL-2.0
/*
 * kp.c - key protectors: CMS SignedData (owner guardian) over a CMS
 * EnvelopedData of the transport key (each authorised guardian).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "keyrelease.h"
#include "kp_internal.h"
#include "vms_cleanup_ssl.h"
#include "vms_kp.h"
#include "vms_oids.h"
#include "vms_x509.h"

static const char *const obj_oid[N_OBJ] = {
	VMS_OID_KP_VERSION, VMS_OID_KP_VM_ID, VMS_OID_KP_KEY_ID,
	VMS_OID_KP_POLICY, VMS_OID_KP_RECIPIENTS, VMS_OID_KP_MIN_ATTESTATION,
	VMS_OID_KP_PLACEMENT, VMS_OID_KP_PLATFORMS, VMS_OID_KP_CONTENT,
	VMS_OID_KP_VTPM, VMS_OID_KP_ROLL, VMS_OID_KP_ROLL_CONTENT,
	VMS_OID_KP_TK_VERSION, VMS_OID_KP_OWNER_SIG,
};
static ASN1_OBJECT *obj[N_OBJ];
static pthread_once_t obj_once = PTHREAD_ONCE_INIT;

static void obj_init(void)
{
	int i;

	for (i = 0; i < N_OBJ; i++)
		obj[i] = OBJ_txt2obj(obj_oid[i], 1);
}

ASN1_OBJECT *kp_obj(int which)
{
	pthread_once(&obj_once, obj_init);
	return obj[which];
}

void kp_free(struct kp *k)
{
	CMS_ContentInfo_free(k->sd);
	CMS_ContentInfo_free(k->env);
	free(k->env_der);
	CMS_ContentInfo_free(k->roll_env);
	free(k->roll_env_der);
	memset(k, 0, sizeof(*k));
}

CMS_ContentInfo *kp_d2i_exact(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *c;

	if (!der || len == 0 || len > VMS_KP_MAX_LEN)
		return NULL;
	c = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (c && p != der + len) {
		CMS_ContentInfo_free(c);
		c = NULL;
	}
	return c;
}

static ASN1_TYPE *single_attr(CMS_SignerInfo *si, int which, int type)
{
	int i = CMS_signed_get_attr_by_OBJ(si, obj[which], -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	if (i < 0 || CMS_signed_get_attr_by_OBJ(si, obj[which], i) >= 0)
		return NULL;
	a = CMS_signed_get_attr(si, i);
	if (!a || X509_ATTRIBUTE_count(a) != 1)
		return NULL;
	t = X509_ATTRIBUTE_get0_type(a, 0);
	return t && t->type == type ? t : NULL;
}

int kp_attr_octets(CMS_SignerInfo *si, int which, uint8_t *out, int len)
{
	ASN1_TYPE *t = single_attr(si, which, V_ASN1_OCTET_STRING);

	if (!t || ASN1_STRING_length(t->value.octet_string) != len)
		return -EINVAL;
	memcpy(out, ASN1_STRING_get0_data(t->value.octet_string), (size_t)len);
	return 0;
}

static int attr_octets(CMS_SignerInfo *si, int which, uint8_t out[16])
{
	return kp_attr_octets(si, which, out, 16);
}

int kp_attr_int(CMS_SignerInfo *si, int which, long *out)
{
	ASN1_TYPE *t = single_attr(si, which, V_ASN1_INTEGER);

	if (!t || !ASN1_INTEGER_get_int64((int64_t *)out, t->value.integer))
		return -EINVAL;
	return 0;
}

unsigned int kp_count_recipients(CMS_ContentInfo *env)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env);
	unsigned int n = 0;
	int i;

	for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE)
			n += (unsigned int)sk_CMS_RecipientEncryptedKey_num(
				CMS_RecipientInfo_kari_get0_reks(ri));
		else
			n++;
	}
	return n;
}

/* A KP that is not well-formed: nothing of OpenSSL's errors is kept. */
int kp_malformed(void)
{
	ERR_clear_error();
	return -EINVAL;
}

/*
 * Optional: the placement the KP requires (2, hypervisor) and, with it
 * only, the platform types it accepts (a mask of 1 << type, no other bit).
 */
static int kp_read_placement(CMS_SignerInfo *si, struct vms_kp_info *info)
{
	long pl, mask, vtpm;

	if (CMS_signed_get_attr_by_OBJ(si, obj[A_PLACEMENT], -1) >= 0) {
		if (kp_attr_int(si, A_PLACEMENT, &pl) || pl != VMS_KP_PLACEMENT_HYPERVISOR)
			return -EINVAL;
		info->min_placement = (uint32_t)pl;
	}
	/* vtpm-in-enclave: only where there is an enclave outside the host */
	if (CMS_signed_get_attr_by_OBJ(si, obj[A_VTPM], -1) >= 0) {
		if (!info->min_placement || kp_attr_int(si, A_VTPM, &vtpm) ||
		    vtpm != VMS_KP_VTPM_IN_ENCLAVE)
			return -EINVAL;
		info->vtpm = (uint32_t)vtpm;
	}
	if (CMS_signed_get_attr_by_OBJ(si, obj[A_PLATFORMS], -1) < 0)
		return 0;
	if (!info->min_placement || kp_attr_int(si, A_PLATFORMS, &mask) || mask <= 0 ||
	    (mask & ~(long)VMS_KP_PLATFORMS_ALL))
		return -EINVAL;
	info->platform_mask = (uint32_t)mask;
	return 0;
}

/* The signed attributes: version, VM id, key id, policy, attestation. */
static int kp_read_binding(CMS_SignerInfo *si, struct vms_kp_info *info)
{
	long version, policy, m;

	if (kp_attr_int(si, A_VERSION, &version) || version != VMS_KP_VERSION ||
	    attr_octets(si, A_VM_ID, info->vm_id) ||
	    attr_octets(si, A_KEY_ID, info->key_id) ||
	    kp_attr_int(si, A_POLICY, &policy) ||
	    (policy != VMS_KR_POLICY_ENCRYPTION_SUPPORTED &&
	     policy != VMS_KR_POLICY_SHIELDED))
		return -EINVAL;
	info->policy = (uint32_t)policy;
	/*
	 * Optional: the TK version of a KP the owner re-signed after KPS
	 * rolled it (grant, revoke); absent means version 0.
	 */
	if (CMS_signed_get_attr_by_OBJ(si, obj[A_TK_VERSION], -1) >= 0) {
		if (kp_attr_int(si, A_TK_VERSION, &m) || m < 1 || m > KP_MAX_TK_VERSION)
			return -EINVAL;
		info->tk_version = (uint64_t)m;
	}
	/* Optional: absent means any attestation mode (host-key) will do. */
	if (CMS_signed_get_attr_by_OBJ(si, obj[A_MINATT], -1) >= 0) {
		if (kp_attr_int(si, A_MINATT, &m) || m < VMS_KP_ATTEST_HOST_KEY ||
		    m > VMS_KP_ATTEST_TPM)
			return -EINVAL;
		info->min_attestation = (uint32_t)m;
	}
	return kp_read_placement(si, info);
}

/*
 * Parse @der into @k and verify the owner's signature: 0, -EINVAL
 * (malformed), -EBADMSG (the signature does not verify), -ENOMEM. @k is
 * the caller's to kp_free() whatever the result.
 */
/*
 * AuthEnvelopedData with AES-GCM, what vms_kp_create writes; or the
 * EnvelopedData (AES-256-CBC, SHA-1 KDF) of KPs made before it, still
 * read so that no VM loses its key (Documentation/formats.md).
 */
static int envelope_type_ok(CMS_ContentInfo *env)
{
	int nid = OBJ_obj2nid(CMS_get0_type(env));

	return nid == NID_id_smime_ct_authEnvelopedData || nid == NID_pkcs7_enveloped;
}

unsigned int kp_verify_flags(const struct kp *k)
{
	return CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY |
	       (k->trusted ? CMS_NO_ATTR_VERIFY | CMS_NO_CONTENT_VERIFY : 0);
}

static int kp_open_as(const uint8_t *der, size_t len, struct kp *k, int trusted)
{
	_cleanup_(BIO_free_allp) BIO *out = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	const ASN1_OBJECT *ctype;
	int r;

	pthread_once(&obj_once, obj_init);
	memset(k, 0, sizeof(*k));
	k->trusted = trusted;
	k->sd = kp_d2i_exact(der, len);
	if (!k->sd || OBJ_obj2nid(CMS_get0_type(k->sd)) != NID_pkcs7_signed)
		return kp_malformed();
	ctype = CMS_get0_eContentType(k->sd);
	if (!ctype || OBJ_cmp(ctype, obj[A_CONTENT]))
		return kp_malformed();
	sis = CMS_get0_SignerInfos(k->sd);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		return kp_malformed();
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (kp_read_binding(si, &k->info))
		return kp_malformed();
	k->owner_tk_version = k->info.tk_version;

	out = BIO_new(BIO_s_mem());
	if (!out)
		return -ENOMEM;
	if (CMS_verify(k->sd, NULL, NULL, NULL, out, kp_verify_flags(k)) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	CMS_SignerInfo_get0_algs(si, NULL, &k->signer, NULL, NULL);
	if (!k->signer ||
	    vms_cert_subject_cn(k->signer, k->info.owner, sizeof(k->info.owner)) ||
	    vms_cert_fingerprint(k->signer, k->info.owner_fpr))
		return kp_malformed();
	/*
	 * Keep the signed bytes: a caller that caches the envelope needs no
	 * re-encoding (and gets exactly what the owner signed).
	 */
	r = vms_bio_take(out, &k->env_der, &k->env_len);
	if (r)
		return r == -ENOMEM ? -ENOMEM : kp_malformed();
	k->env = kp_d2i_exact(k->env_der, k->env_len);
	if (!k->env || !envelope_type_ok(k->env))
		return kp_malformed();
	k->info.n_recipients = kp_count_recipients(k->env);
	if (!k->info.n_recipients)
		return kp_malformed();
	/* the TK roll KPS added, if any: from now on its envelope holds the TK */
	return kp_roll_read(k, si);
}

int kp_open(const uint8_t *der, size_t len, struct kp *k)
{
	return kp_open_as(der, len, k, 0);
}

int kp_open_trusted(const uint8_t *der, size_t len, struct kp *k)
{
	return kp_open_as(der, len, k, 1);
}

/* The envelope that holds the current TK: the roll's, else the owner's. */
static CMS_ContentInfo *current_env(struct kp *k)
{
	return k->roll_env ? k->roll_env : k->env;
}

int vms_kp_verify(const uint8_t *der, size_t len, struct vms_kp_info *info)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	int r = kp_open(der, len, &k);

	if (r)
		return r;
	*info = k.info;
	return 0;
}

static int is_recipient(CMS_ContentInfo *env, X509 *cert)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env);
	int i, j;

	for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
			STACK_OF(CMS_RecipientEncryptedKey) *reks =
				CMS_RecipientInfo_kari_get0_reks(ri);

			for (j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); j++)
				if (!CMS_RecipientEncryptedKey_cert_cmp(
					sk_CMS_RecipientEncryptedKey_value(reks, j), cert))
					return 1;
		} else if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
			if (!CMS_RecipientInfo_ktri_cert_cmp(ri, cert))
				return 1;
		}
	}
	return 0;
}

static int decrypt_tk(CMS_ContentInfo *env, const struct vms_guardian *g,
		      uint8_t tk[32])
{
	_cleanup_(BIO_free_allp) BIO *out = BIO_new(BIO_s_secmem());
	_cleanup_(vms_secret_free) struct vms_secret pt = { 0 };

	if (!out)
		return -ENOMEM;
	if (CMS_decrypt(env, g->enc_key, g->enc_cert, NULL, out, CMS_BINARY) != 1) {
		ERR_clear_error();
		return -EKEYREJECTED;
	}
	if (vms_bio_take_secret(out, &pt) == -ENOMEM)
		return -ENOMEM;
	if (pt.len != 32)
		return -EKEYREJECTED;
	memcpy(tk, pt.p, 32);
	return 0;
}

/* Unwrap with the first of @gs the envelope lists (-ENOKEY: none). */
static int unwrap_with(CMS_ContentInfo *env, const struct vms_guardian *const *gs, size_t n,
		       uint8_t tk[32])
{
	size_t i;
	int r = -ENOKEY;

	for (i = 0; i < n && r == -ENOKEY; i++)
		if (gs[i]->enc_key && is_recipient(env, gs[i]->enc_cert))
			r = decrypt_tk(env, gs[i], tk);
	return r;
}

int kp_unwrap_current(struct kp *k, const struct vms_guardian *const *gs, size_t n,
		      uint8_t tk[32])
{
	return unwrap_with(current_env(k), gs, n, tk);
}

int vms_kp_unwrap_any(const uint8_t *der, size_t len,
		      const struct vms_guardian *const *gs, size_t n,
		      struct vms_kp_info *info, uint8_t tk[32])
{
	return vms_kp_unwrap_any_env(der, len, gs, n, info, tk, NULL, NULL);
}

int vms_kp_unwrap_any_env(const uint8_t *der, size_t len,
			  const struct vms_guardian *const *gs, size_t n,
			  struct vms_kp_info *info, uint8_t tk[32],
			  uint8_t **env, size_t *envlen)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	int r = kp_open(der, len, &k);

	if (env)
		*env = NULL;
	if (r)
		return r;
	*info = k.info;
	r = unwrap_with(current_env(&k), gs, n, tk);
	if (env && r != -EINVAL && r != -ENOMEM) {
		/*
		 * Verified: the envelope is worth remembering even if none of
		 * @gs opens it (the next attempt may hold another guardian).
		 */
		if (k.roll_env) {
			*env = VMS_TAKE_PTR(k.roll_env_der);
			*envlen = k.roll_env_len;
		} else {
			*env = VMS_TAKE_PTR(k.env_der);
			*envlen = k.env_len;
		}
	}
	return r;
}

int vms_kp_verify_envelope(const uint8_t *der, size_t len, struct vms_kp_info *info,
			   uint8_t **env, size_t *envlen)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	int r = kp_open(der, len, &k);

	*env = NULL;
	if (r)
		return r;
	*info = k.info;
	if (k.roll_env) {
		*env = VMS_TAKE_PTR(k.roll_env_der);
		*envlen = k.roll_env_len;
	} else {
		*env = VMS_TAKE_PTR(k.env_der);
		*envlen = k.env_len;
	}
	return 0;
}

int vms_kp_unwrap_envelope(const uint8_t *env, size_t envlen,
			   const struct vms_guardian *const *gs, size_t n,
			   uint8_t tk[32])
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *e = kp_d2i_exact(env, envlen);

	if (!e || !envelope_type_ok(e))
		return kp_malformed();
	return unwrap_with(e, gs, n, tk);
}

int vms_kp_unwrap(const uint8_t *der, size_t len, const struct vms_guardian *g,
		  struct vms_kp_info *info, uint8_t tk[32])
{
	return vms_kp_unwrap_any(der, len, &g, 1, info, tk);
}

/*
 * The envelope: CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, one
 * key-agreement recipient per guardian whose ECDH KDF is the X9.63 KDF
 * over SHA-256 (dhSinglePass-stdDH-sha256kdf-scheme), not OpenSSL's
 * SHA-1 default. OpenSSL 3's CMS_encrypt makes AuthEnvelopedData for an
 * AEAD cipher; CMS_KEY_PARAM gives each recipient a key context to set
 * the KDF on before CMS_final.
 */
static int add_guardian_recipient(CMS_ContentInfo *env, X509 *cert)
{
	CMS_RecipientInfo *ri = CMS_add1_recipient_cert(env, cert, CMS_KEY_PARAM);
	EVP_PKEY_CTX *ctx;

	if (!ri)
		return -EINVAL;	/* e.g. a certificate that cannot receive */
	if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_AGREE)
		return -EINVAL;	/* guardians' encryption keys are P-256 */
	ctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
	if (!ctx || EVP_PKEY_CTX_set_ecdh_kdf_md(ctx, EVP_sha256()) <= 0)
		return -EINVAL;
	return 0;
}

int kp_build_envelope(STACK_OF(X509) *recips, const uint8_t tk[32],
		      uint8_t **der, int *derlen)
{
	_cleanup_(BIO_free_allp) BIO *in = BIO_new_mem_buf(tk, 32);
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *env = NULL;
	int i, r;

	if (!in)
		return -ENOMEM;
	env = CMS_encrypt(NULL, NULL, EVP_aes_256_gcm(), CMS_BINARY | CMS_PARTIAL);
	if (!env)
		return -ENOMEM;
	for (i = 0; i < sk_X509_num(recips); i++) {
		r = add_guardian_recipient(env, sk_X509_value(recips, i));
		if (r) {
			ERR_clear_error();
			return r;
		}
	}
	if (CMS_final(env, in, NULL, CMS_BINARY) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	*der = NULL;
	*derlen = i2d_CMS_ContentInfo(env, der);
	return *derlen > 0 ? 0 : -ENOMEM;
}

int kp_add_octets(CMS_SignerInfo *si, int which, const uint8_t *v, int len)
{
	return CMS_signed_add1_attr_by_OBJ(si, obj[which], V_ASN1_OCTET_STRING,
					   v, len) ? 0 : -ENOMEM;
}

static int add_octets(CMS_SignerInfo *si, int which, const uint8_t v[16])
{
	return kp_add_octets(si, which, v, 16);
}

int kp_add_int(CMS_SignerInfo *si, int which, long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	int ok = i && ASN1_INTEGER_set(i, v) &&
		 CMS_signed_add1_attr_by_OBJ(si, obj[which], V_ASN1_INTEGER, i, -1);

	ASN1_INTEGER_free(i);
	return ok ? 0 : -ENOMEM;
}

/* The recipientCerts attribute: one OCTET STRING (cert DER) per recipient. */
static int add_recipient_certs(CMS_SignerInfo *si, STACK_OF(X509) *recips)
{
	X509_ATTRIBUTE *a = X509_ATTRIBUTE_create_by_OBJ(NULL, obj[A_RECIPS], 0, NULL, 0);
	int i, n, ok = a != NULL;

	for (i = 0; ok && i < sk_X509_num(recips); i++) {
		unsigned char *der = NULL;

		n = i2d_X509(sk_X509_value(recips, i), &der);
		ok = n > 0 && X509_ATTRIBUTE_set1_data(a, V_ASN1_OCTET_STRING, der, n);
		OPENSSL_free(der);
	}
	ok = ok && CMS_signed_add1_attr(si, a);
	X509_ATTRIBUTE_free(a);
	return ok ? 0 : -ENOMEM;
}

/* The signed attributes kp_read_binding() reads. */
static int add_binding(CMS_SignerInfo *si, const struct vms_kp_info *bind)
{
	int r;

	r = kp_add_int(si, A_VERSION, VMS_KP_VERSION);
	if (r)
		return r;
	r = add_octets(si, A_VM_ID, bind->vm_id);
	if (r)
		return r;
	r = add_octets(si, A_KEY_ID, bind->key_id);
	if (r)
		return r;
	r = kp_add_int(si, A_POLICY, (long)bind->policy);
	if (r)
		return r;
	if (bind->tk_version) {	/* absent: version 0, the owner's first TK */
		r = kp_add_int(si, A_TK_VERSION, (long)bind->tk_version);
		if (r)
			return r;
	}
	if (bind->min_attestation) {	/* absent: any mode */
		r = kp_add_int(si, A_MINATT, (long)bind->min_attestation);
		if (r)
			return r;
	}
	if (!bind->min_placement)
		return 0;	/* absent: any placement */
	r = kp_add_int(si, A_PLACEMENT, (long)bind->min_placement);
	if (!r && bind->vtpm)
		r = kp_add_int(si, A_VTPM, (long)bind->vtpm);
	if (r || !bind->platform_mask)
		return r;	/* no mask: any platform type HGS accepts */
	return kp_add_int(si, A_PLATFORMS, (long)bind->platform_mask);
}

/* Sign a KP over @recips (which must include the owner's enc cert). */
static int kp_build(const struct vms_guardian *owner, STACK_OF(X509) *recips,
		    const struct vms_kp_info *bind, const uint8_t tk[32],
		    uint8_t **der, size_t *derlen)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *sd = NULL;
	_cleanup_(BIO_free_allp) BIO *content = NULL;
	_cleanup_ossl_ uint8_t *env = NULL;
	uint32_t policy = bind->policy;
	unsigned char *out = NULL;
	CMS_SignerInfo *si;
	int envlen, n, r;

	pthread_once(&obj_once, obj_init);
	*der = NULL;
	if (!owner->sign_key || !owner->sign_cert)
		return -ENOKEY;
	if (policy != VMS_KR_POLICY_ENCRYPTION_SUPPORTED &&
	    policy != VMS_KR_POLICY_SHIELDED)
		return -EINVAL;
	if (bind->min_attestation > VMS_KP_ATTEST_TPM ||
	    bind->tk_version > KP_MAX_TK_VERSION)
		return -EINVAL;
	if ((bind->min_placement && bind->min_placement != VMS_KP_PLACEMENT_HYPERVISOR) ||
	    (bind->platform_mask && !bind->min_placement) ||
	    (bind->vtpm && (!bind->min_placement ||
			    bind->vtpm != VMS_KP_VTPM_IN_ENCLAVE)) ||
	    (bind->platform_mask & ~VMS_KP_PLATFORMS_ALL))
		return -EINVAL;
	if (sk_X509_num(recips) < 1 || sk_X509_num(recips) > VMS_KP_MAX_RECIPIENTS)
		return -E2BIG;
	r = kp_build_envelope(recips, tk, &env, &envlen);
	if (r)
		return r;
	sd = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
	if (!sd || !CMS_set1_eContentType(sd, obj[A_CONTENT]))
		return -ENOMEM;
	/* no SMIMECapabilities: they would advertise des-cbc and rc2-40 */
	si = CMS_add1_signer(sd, owner->sign_cert, owner->sign_key,
			     EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP);
	if (!si)
		return -EKEYREJECTED;
	r = add_binding(si, bind);
	if (r)
		return r;
	r = add_recipient_certs(si, recips);
	if (r)
		return r;
	content = BIO_new_mem_buf(env, envlen);
	if (!content || CMS_final(sd, content, NULL, CMS_BINARY) != 1)
		return -EIO;
	n = i2d_CMS_ContentInfo(sd, &out);
	if (n <= 0)
		return -ENOMEM;
	*der = malloc((size_t)n);
	if (*der)
		memcpy(*der, out, (size_t)n);
	OPENSSL_free(out);
	*derlen = (size_t)n;
	return *der ? 0 : -ENOMEM;
}

static int stack_has(STACK_OF(X509) *sk, X509 *c)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (!X509_cmp(sk_X509_value(sk, i), c))
			return 1;
	return 0;
}

int vms_kp_create(const struct vms_guardian *owner, X509 *const *others,
		  size_t n_others, const uint8_t vm_id[16],
		  const uint8_t key_id[16], uint32_t policy,
		  const uint8_t tk[32], uint8_t **der, size_t *derlen)
{
	struct vms_kp_info bind = { .policy = policy };

	memcpy(bind.vm_id, vm_id, 16);
	memcpy(bind.key_id, key_id, 16);
	return vms_kp_create_ex(owner, others, n_others, &bind, tk, der, derlen);
}

int vms_kp_create_ex(const struct vms_guardian *owner, X509 *const *others,
		     size_t n_others, const struct vms_kp_info *bind,
		     const uint8_t tk[32], uint8_t **der, size_t *derlen)
{
	_cleanup_(vms_x509_stack_borrowedp) STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;

	if (!sk || !owner->enc_cert || !sk_X509_push(sk, owner->enc_cert))
		return -ENOMEM;
	for (i = 0; i < n_others; i++)
		if (!stack_has(sk, others[i]) && !sk_X509_push(sk, others[i]))
			return -ENOMEM;
	return kp_build(owner, sk, bind, tk, der, derlen);
}

/*
 * Recipient certificates carried in the KP's recipientCerts attribute
 * (signed, so they are the owner's list); only actual recipients count.
 */
STACK_OF(X509) *kp_recipient_certs(struct kp *k)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(k->sd), 0);
	int idx = CMS_signed_get_attr_by_OBJ(si, obj[A_RECIPS], -1);
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
	STACK_OF(X509) *out = sk_X509_new_null();
	int i;

	for (i = 0; a && out && i < X509_ATTRIBUTE_count(a); i++) {
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, i);
		X509 *c = NULL;

		if (!t || t->type != V_ASN1_OCTET_STRING ||
		    vms_cert_from_der(ASN1_STRING_get0_data(t->value.octet_string),
				      (size_t)ASN1_STRING_length(t->value.octet_string), &c))
			continue;
		if (!stack_has(out, c) && is_recipient(k->env, c) && sk_X509_push(out, c))
			continue;
		X509_free(c);
	}
	return out;
}

int vms_kp_recipients(const uint8_t *der, size_t len, STACK_OF(X509) **out)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	int r = kp_open(der, len, &k);

	*out = NULL;
	if (r)
		return r;
	*out = kp_recipient_certs(&k);
	return *out ? 0 : -ENOMEM;
}

/* @recips with @enc_cert added: -EEXIST if it is there already. */
static int recips_add(STACK_OF(X509) *recips, X509 *enc_cert)
{
	if (stack_has(recips, enc_cert))
		return -EEXIST;
	if (!X509_up_ref(enc_cert))	/* the stack's own reference */
		return -ENOMEM;
	if (!sk_X509_push(recips, enc_cert)) {
		X509_free(enc_cert);
		return -ENOMEM;
	}
	return 0;
}

/* @recips without @enc_cert: -ENOENT if absent; the owner stays (-EINVAL). */
static int recips_remove(STACK_OF(X509) *recips, X509 *enc_cert,
			 const struct vms_guardian *owner)
{
	int i;

	if (!X509_cmp(enc_cert, owner->enc_cert))
		return -EINVAL;
	for (i = 0; i < sk_X509_num(recips); i++)
		if (!X509_cmp(sk_X509_value(recips, i), enc_cert)) {
			X509_free(sk_X509_delete(recips, i));
			return 0;
		}
	return -ENOENT;
}

/*
 * The roll's signer must be the HGS guardian the owner names: anyone can
 * put a roll signed by a guardian of their own into a KP, and the owner
 * would then re-sign a TK that party knows.
 */
static int roll_signer_trusted(const struct kp *k, X509 *roll_signer)
{
	char fpr[65];

	if (!roll_signer)
		return -EOPNOTSUPP;
	if (vms_cert_fingerprint(roll_signer, fpr))
		return -ENOMEM;
	return strcmp(fpr, k->info.roll_signer_fpr) ? -EACCES : 0;
}

static int kp_change(const uint8_t *der, size_t len,
		     const struct vms_guardian *owner, X509 *enc_cert,
		     X509 *roll_signer, int add, uint8_t **out, size_t *outlen)
{
	_cleanup_(vms_x509_stack_freep) STACK_OF(X509) *recips = NULL;
	_cleanup_(kp_free) struct kp k = { 0 };
	_cleanup_(vms_key32_wipe) struct vms_key32 tk;
	const struct vms_guardian *gs[1] = { owner };
	int r;

	*out = NULL;
	r = kp_open(der, len, &k);
	if (r)
		return r;
	if (!owner->sign_cert || X509_cmp(k.signer, owner->sign_cert))
		return -EPERM;
	/*
	 * A KP KPS rolled: its current TK is in the roll (to every recipient
	 * the owner listed, the owner too). The new KP carries that TK in the
	 * owner's envelope with the roll's key id and, signed by the owner,
	 * its version (formats.md §7, "Grant and revoke on a rolled KP").
	 */
	if (k.roll_env) {
		r = roll_signer_trusted(&k, roll_signer);
		if (r)
			return r;
	}
	if (!owner->enc_key || !is_recipient(current_env(&k), owner->enc_cert))
		return -ENOKEY;
	r = kp_unwrap_current(&k, gs, 1, tk.b);
	if (r)
		return r;
	recips = kp_recipient_certs(&k);
	if (!recips)
		return -ENOMEM;
	r = add ? recips_add(recips, enc_cert) :
		  recips_remove(recips, enc_cert, owner);
	if (r)
		return r;
	return kp_build(owner, recips, &k.info, tk.b, out, outlen);
}

int vms_kp_grant(const uint8_t *der, size_t len,
		 const struct vms_guardian *owner, X509 *enc_cert,
		 X509 *roll_signer, uint8_t **out, size_t *outlen)
{
	return kp_change(der, len, owner, enc_cert, roll_signer, 1, out, outlen);
}

int vms_kp_revoke(const uint8_t *der, size_t len,
		  const struct vms_guardian *owner, X509 *enc_cert,
		  X509 *roll_signer, uint8_t **out, size_t *outlen)
{
	return kp_change(der, len, owner, enc_cert, roll_signer, 0, out, outlen);
}
