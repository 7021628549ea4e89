// SPDX-License-Identifier: GPL-2.0
/*
 * kp_roll.c - the TK roll inside a key protector (issue 20,
 * Documentation/formats.md "Key protector: the TK roll").
 *
 * The owner's SignedData stays as the owner made it: it names the VM, the
 * policy and the guardians, and only the owner can change those. KPS
 * rolls the TK by putting, as an unsigned attribute of the owner's
 * SignerInfo (VMS_OID_KP_ROLL; unsigned attributes are outside the owner's
 * signature, as RFC 3161 time-stamp tokens are), a second SignedData:
 *
 *   signer         = a guardian of the HGS that rolled it (its signing cert)
 *   eContentType   = VMS_OID_KP_ROLL_CONTENT
 *   eContent       = AuthEnvelopedData of the new TK, to every recipient
 *                    the owner lists (recipientCerts)
 *   signed attrs   = vmId (the owner's), keyId (the new TK's), tkVersion
 *                    (INTEGER >= 1), ownerSignature (SHA-256 of the owner's
 *                    signature value: the roll belongs to this owner part)
 *
 * Reading a roll checks all of that and the roll's signature; whether its
 * signer is trusted is the caller's question (KPS: one of its guardians).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "kp_internal.h"
#include "vms_cleanup_ssl.h"
#include "vms_x509.h"

/* SHA-256 of the owner's signature value: what a roll is bound to. */
static int owner_sig_hash(CMS_SignerInfo *si, uint8_t out[32])
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);

	if (!sig || !EVP_Digest(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
				out, NULL, EVP_sha256(), NULL))
		return -EINVAL;
	return 0;
}

/* The roll attribute's one value (a DER SignedData), or NULL. */
static ASN1_STRING *roll_value(CMS_SignerInfo *si, int *present)
{
	int i = CMS_unsigned_get_attr_by_OBJ(si, kp_obj(A_ROLL), -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	*present = i >= 0;
	if (i < 0 || CMS_unsigned_get_attr_by_OBJ(si, kp_obj(A_ROLL), i) >= 0)
		return NULL;
	a = CMS_unsigned_get_attr(si, i);
	if (!a || X509_ATTRIBUTE_count(a) != 1)
		return NULL;
	t = X509_ATTRIBUTE_get0_type(a, 0);
	return t && t->type == V_ASN1_SEQUENCE ? t->value.sequence : NULL;
}

/* The roll's signed attributes, checked against the owner's part. */
static int roll_binding(struct kp *k, CMS_SignerInfo *owner_si, CMS_SignerInfo *rsi,
			uint8_t key_id[16], long *version)
{
	uint8_t vm[16], want[32], got[32];

	if (kp_attr_octets(rsi, A_VM_ID, vm, 16) || memcmp(vm, k->info.vm_id, 16) ||
	    kp_attr_octets(rsi, A_KEY_ID, key_id, 16) ||
	    kp_attr_int(rsi, A_TK_VERSION, version) || *version < 1 ||
	    *version > KP_MAX_TK_VERSION ||
	    (uint64_t)*version <= k->owner_tk_version ||
	    kp_attr_octets(rsi, A_OWNER_SIG, got, 32) || owner_sig_hash(owner_si, want) ||
	    memcmp(got, want, 32))
		return -EINVAL;
	return 0;
}

int kp_roll_read(struct kp *k, CMS_SignerInfo *si)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *roll = NULL;
	_cleanup_(BIO_free_allp) BIO *out = NULL;
	const ASN1_OBJECT *ctype;
	CMS_SignerInfo *rsi;
	ASN1_STRING *v;
	X509 *signer = NULL;
	uint8_t key_id[16];
	long version;
	int present, r;

	v = roll_value(si, &present);
	if (!present)
		return 0;
	if (!v)
		return kp_malformed();
	roll = kp_d2i_exact(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	if (!roll || OBJ_obj2nid(CMS_get0_type(roll)) != NID_pkcs7_signed)
		return kp_malformed();
	ctype = CMS_get0_eContentType(roll);
	if (!ctype || OBJ_cmp(ctype, kp_obj(A_ROLL_CONTENT)) ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(roll)) != 1)
		return kp_malformed();
	rsi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(roll), 0);
	if (roll_binding(k, si, rsi, key_id, &version))
		return kp_malformed();
	out = BIO_new(BIO_s_mem());
	if (!out)
		return -ENOMEM;
	if (CMS_verify(roll, NULL, NULL, NULL, out, kp_verify_flags(k)) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	CMS_SignerInfo_get0_algs(rsi, NULL, &signer, NULL, NULL);
	if (!signer || vms_cert_fingerprint(signer, k->info.roll_signer_fpr))
		return kp_malformed();
	r = vms_bio_take(out, &k->roll_env_der, &k->roll_env_len);
	if (r)
		return r == -ENOMEM ? -ENOMEM : kp_malformed();
	k->roll_env = kp_d2i_exact(k->roll_env_der, k->roll_env_len);
	/* a roll is always the current form: AuthEnvelopedData */
	if (!k->roll_env ||
	    OBJ_obj2nid(CMS_get0_type(k->roll_env)) != NID_id_smime_ct_authEnvelopedData)
		return kp_malformed();
	k->info.n_recipients = kp_count_recipients(k->roll_env);
	if (!k->info.n_recipients)
		return kp_malformed();
	memcpy(k->info.key_id, key_id, 16);
	k->info.tk_version = (uint64_t)version;
	return 0;
}

/* The roll: a SignedData by @signer over the envelope @env. */
static int roll_sign(struct kp *k, CMS_SignerInfo *owner_si, const struct vms_guardian *signer,
		     const uint8_t key_id[16], uint64_t version, const uint8_t *env,
		     int envlen, uint8_t **der, int *derlen)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *sd = NULL;
	_cleanup_(BIO_free_allp) BIO *content = NULL;
	CMS_SignerInfo *rsi;
	uint8_t osig[32];
	int r;

	if (owner_sig_hash(owner_si, osig))
		return -EINVAL;
	sd = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
	if (!sd || !CMS_set1_eContentType(sd, kp_obj(A_ROLL_CONTENT)))
		return -ENOMEM;
	rsi = CMS_add1_signer(sd, signer->sign_cert, signer->sign_key, EVP_sha256(),
			      CMS_BINARY | CMS_NOSMIMECAP);
	if (!rsi)
		return -EKEYREJECTED;
	r = kp_add_octets(rsi, A_VM_ID, k->info.vm_id, 16);
	if (!r)
		r = kp_add_octets(rsi, A_KEY_ID, key_id, 16);
	if (!r)
		r = kp_add_int(rsi, A_TK_VERSION, (long)version);
	if (!r)
		r = kp_add_octets(rsi, A_OWNER_SIG, osig, 32);
	if (r)
		return r;
	content = BIO_new_mem_buf(env, envlen);
	if (!content || CMS_final(sd, content, NULL, CMS_BINARY) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	*der = NULL;
	*derlen = i2d_CMS_ContentInfo(sd, der);
	return *derlen > 0 ? 0 : -ENOMEM;
}

/* Replace the owner SignerInfo's roll attribute with @roll. */
static int roll_attach(CMS_SignerInfo *si, const uint8_t *roll, int len)
{
	int i;

	while ((i = CMS_unsigned_get_attr_by_OBJ(si, kp_obj(A_ROLL), -1)) >= 0)
		X509_ATTRIBUTE_free(CMS_unsigned_delete_attr(si, i));
	return CMS_unsigned_add1_attr_by_OBJ(si, kp_obj(A_ROLL), V_ASN1_SEQUENCE, roll,
					     len) ? 0 : -ENOMEM;
}

/* What the rolled KP holds, as opening it would say (@env: its new envelope). */
static int rolled_info(const struct kp *k, const struct vms_guardian *signer,
		       const uint8_t key_id[16], uint64_t version, const uint8_t *env,
		       int envlen, struct vms_kp_info *info)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *e = kp_d2i_exact(env, (size_t)envlen);

	*info = k->info;
	memcpy(info->key_id, key_id, 16);
	info->tk_version = version;
	info->n_recipients = e ? kp_count_recipients(e) : 0;
	if (!info->n_recipients || vms_cert_fingerprint(signer->sign_cert, info->roll_signer_fpr))
		return -EINVAL;
	return 0;
}

/*
 * Roll the opened KP @k to (@key_id, @version, @tk) into *@out; with
 * @next, also its binding and its envelope (a copy, free()).
 */
static int kp_roll_opened(struct kp *k, const struct vms_guardian *signer,
			  const uint8_t key_id[16], uint64_t version, const uint8_t tk[32],
			  uint8_t **out, size_t *outlen, struct vms_kp_rolled *next)
{
	_cleanup_(vms_x509_stack_freep) STACK_OF(X509) *recips = NULL;
	_cleanup_ossl_ uint8_t *env = NULL, *roll = NULL;
	unsigned char *enc = NULL;
	CMS_SignerInfo *si;
	int envlen, rolllen, n, r;

	if (!version || version > (uint64_t)KP_MAX_TK_VERSION ||
	    version <= k->owner_tk_version)
		return -EINVAL;
	if (!signer || !signer->sign_key || !signer->sign_cert)
		return -ENOKEY;
	recips = kp_recipient_certs(k);
	if (!recips)
		return -ENOMEM;
	if (!sk_X509_num(recips))
		return -EINVAL;
	r = kp_build_envelope(recips, tk, &env, &envlen);
	if (r)
		return r;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(k->sd), 0);
	r = roll_sign(k, si, signer, key_id, version, env, envlen, &roll, &rolllen);
	if (r)
		return r;
	r = roll_attach(si, roll, rolllen);
	if (r)
		return r;
	if (next) {
		r = rolled_info(k, signer, key_id, version, env, envlen, &next->info);
		if (r)
			return r;
		next->env = malloc((size_t)envlen);
		if (!next->env)
			return -ENOMEM;
		memcpy(next->env, env, (size_t)envlen);
		next->env_len = (size_t)envlen;
	}
	n = i2d_CMS_ContentInfo(k->sd, &enc);
	if (n <= 0)
		return -ENOMEM;
	if ((size_t)n > VMS_KP_MAX_LEN) {	/* it would not be read back */
		OPENSSL_free(enc);
		return -E2BIG;
	}
	*out = malloc((size_t)n);
	if (*out)
		memcpy(*out, enc, (size_t)n);
	OPENSSL_free(enc);
	*outlen = (size_t)n;
	return *out ? 0 : -ENOMEM;
}

int vms_kp_roll(const uint8_t *der, size_t len, const struct vms_guardian *signer,
		const uint8_t key_id[16], uint64_t version, const uint8_t tk[32],
		uint8_t **out, size_t *outlen)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	int r;

	*out = NULL;
	r = kp_open(der, len, &k);
	if (r)
		return r;
	return kp_roll_opened(&k, signer, key_id, version, tk, out, outlen, NULL);
}

int vms_kp_unwrap_roll_ex(const uint8_t *der, size_t len,
			  const struct vms_guardian *const *gs, size_t n,
			  const struct vms_guardian *signer, const uint8_t key_id[16],
			  const uint8_t tk_next[32], struct vms_kp_info *info, uint8_t tk[32],
			  uint8_t **out, size_t *outlen, int trusted,
			  struct vms_kp_rolled *next)
{
	_cleanup_(kp_free) struct kp k = { 0 };
	_cleanup_(vms_key32_wipe) struct vms_key32 cur;
	int r;

	*out = NULL;
	if (next)
		memset(next, 0, sizeof(*next));
	r = trusted ? kp_open_trusted(der, len, &k) : kp_open(der, len, &k);
	if (r)
		return r;
	*info = k.info;
	r = kp_unwrap_current(&k, gs, n, cur.b);
	if (r)
		return r;
	r = kp_roll_opened(&k, signer, key_id, k.info.tk_version + 1, tk_next, out, outlen,
			   next);
	if (!r)
		memcpy(tk, cur.b, 32);
	else if (next) {
		free(next->env);
		next->env = NULL;
	}
	return r;
}

int vms_kp_unwrap_roll(const uint8_t *der, size_t len,
		       const struct vms_guardian *const *gs, size_t n,
		       const struct vms_guardian *signer, const uint8_t key_id[16],
		       const uint8_t tk_next[32], struct vms_kp_info *info, uint8_t tk[32],
		       uint8_t **out, size_t *outlen)
{
	return vms_kp_unwrap_roll_ex(der, len, gs, n, signer, key_id, tk_next, info, tk, out,
				     outlen, 0, NULL);
}
