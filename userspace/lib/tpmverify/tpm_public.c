// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_public.c - TPM2B_PUBLIC to OpenSSL keys and Names; the AK template
 * check. See vms_tpm_public.h.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "vms_cleanup_ssl.h"
#include "vms_tpm_public.h"

VMS_DEFINE_CLEANUP(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
VMS_DEFINE_CLEANUP(OSSL_PARAM, OSSL_PARAM_free)
VMS_DEFINE_CLEANUP(BIGNUM, BN_free)

int vms_tpm_public_name(const TPMT_PUBLIC *pub, uint8_t name[VMS_TPM_NAME_LEN])
{
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;

	if (pub->nameAlg != TPM2_ALG_SHA256)
		return -ENOTSUP;
	if (Tss2_MU_TPMT_PUBLIC_Marshal(pub, buf, sizeof(buf), &off))
		return -EBADMSG;
	name[0] = TPM2_ALG_SHA256 >> 8;
	name[1] = TPM2_ALG_SHA256 & 0xff;
	if (!EVP_Digest(buf, off, name + 2, NULL, EVP_sha256(), NULL))
		return -ENOMEM;
	return 0;
}

int vms_tpm_qualified_name(const uint8_t *parent_qn, size_t plen,
			   const uint8_t name[VMS_TPM_NAME_LEN],
			   uint8_t out[VMS_TPM_NAME_LEN])
{
	uint8_t buf[2 * VMS_TPM_NAME_LEN];

	if ((plen != 4 && plen != VMS_TPM_NAME_LEN) ||
	    name[0] != (TPM2_ALG_SHA256 >> 8) || name[1] != (TPM2_ALG_SHA256 & 0xff))
		return -ENOTSUP;
	memcpy(buf, parent_qn, plen);
	memcpy(buf + plen, name, VMS_TPM_NAME_LEN);
	out[0] = name[0];
	out[1] = name[1];
	if (!EVP_Digest(buf, plen + VMS_TPM_NAME_LEN, out + 2, NULL,
			EVP_sha256(), NULL))
		return -ENOMEM;
	return 0;
}

enum vms_hgs_reason vms_tpm_signer_check(const struct vms_tpm_key *ak,
					 const uint8_t ek_name[VMS_TPM_NAME_LEN],
					 const uint8_t *signer, size_t slen)
{
	static const uint8_t rh_endorsement[4] = {
		VMS_TPM_RH_ENDORSEMENT >> 24, (VMS_TPM_RH_ENDORSEMENT >> 16) & 0xff,
		(VMS_TPM_RH_ENDORSEMENT >> 8) & 0xff, VMS_TPM_RH_ENDORSEMENT & 0xff,
	};
	uint8_t ek_qn[VMS_TPM_NAME_LEN], qn[VMS_TPM_NAME_LEN];

	if (!ak || !ek_name || !signer)
		return HGS_R_INTERNAL_ERROR;
	if (slen != VMS_TPM_NAME_LEN)
		return HGS_R_TPM_AK_HIERARCHY;
	/* an endorsement-hierarchy primary */
	if (vms_tpm_qualified_name(rh_endorsement, 4, ak->name, qn))
		return HGS_R_INTERNAL_ERROR;
	if (!memcmp(qn, signer, VMS_TPM_NAME_LEN))
		return HGS_PASSED;
	/* a child of the registered EK (itself an endorsement primary) */
	if (vms_tpm_qualified_name(rh_endorsement, 4, ek_name, ek_qn) ||
	    vms_tpm_qualified_name(ek_qn, VMS_TPM_NAME_LEN, ak->name, qn))
		return HGS_R_INTERNAL_ERROR;
	if (!memcmp(qn, signer, VMS_TPM_NAME_LEN))
		return HGS_PASSED;
	return HGS_R_TPM_AK_HIERARCHY;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		return NULL;
	return pkey;
}

static int rsa_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
	_cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
	const TPMS_RSA_PARMS *p = &pub->parameters.rsaDetail;
	uint32_t exp = p->exponent ? p->exponent : 65537;

	if (p->keyBits != 2048 || pub->unique.rsa.size != 256)
		return -ENOTSUP;
	n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (!n || !e || !bld || !BN_set_word(e, exp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		return -ENOMEM;
	*out = pkey_from_params("RSA", bld);
	return *out ? 0 : -EBADMSG;
}

static int ecc_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
	const TPMS_ECC_POINT *q = &pub->unique.ecc;
	uint8_t pt[65];

	if (pub->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
	    q->x.size != 32 || q->y.size != 32)
		return -ENOTSUP;
	pt[0] = 0x04;
	memcpy(pt + 1, q->x.buffer, 32);
	memcpy(pt + 33, q->y.buffer, 32);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      pt, sizeof(pt)))
		return -ENOMEM;
	/* fromdata checks that the point is on the curve */
	*out = pkey_from_params("EC", bld);
	return *out ? 0 : -EBADMSG;
}

void vms_tpm_key_free(struct vms_tpm_key *k)
{
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

int vms_tpm_key_load(const uint8_t *tpm2b, size_t len, struct vms_tpm_key *k)
{
	TPM2B_PUBLIC p;
	size_t off = 0;
	int ret;

	memset(k, 0, sizeof(*k));
	memset(&p, 0, sizeof(p));
	if (!tpm2b || Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b, len, &off, &p) ||
	    off != len)
		return -EBADMSG;
	k->pub = p.publicArea;
	switch (k->pub.type) {
	case TPM2_ALG_RSA:
		ret = rsa_pkey(&k->pub, &k->pkey);
		break;
	case TPM2_ALG_ECC:
		ret = ecc_pkey(&k->pub, &k->pkey);
		break;
	default:
		ret = -ENOTSUP;
	}
	if (!ret)
		ret = vms_tpm_public_name(&k->pub, k->name);
	if (ret)
		vms_tpm_key_free(k);
	return ret;
}

#define AK_MUST	(TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_RESTRICTED | \
		 TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		 TPMA_OBJECT_SENSITIVEDATAORIGIN)

static int ak_scheme_ok(const TPMT_PUBLIC *pub)
{
	if (pub->type == TPM2_ALG_RSA) {
		const TPMS_RSA_PARMS *r = &pub->parameters.rsaDetail;

		return r->symmetric.algorithm == TPM2_ALG_NULL &&
		       r->scheme.scheme == TPM2_ALG_RSASSA &&
		       r->scheme.details.rsassa.hashAlg == TPM2_ALG_SHA256;
	}
	if (pub->type == TPM2_ALG_ECC) {
		const TPMS_ECC_PARMS *e = &pub->parameters.eccDetail;

		return e->symmetric.algorithm == TPM2_ALG_NULL &&
		       e->scheme.scheme == TPM2_ALG_ECDSA &&
		       e->scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256 &&
		       e->kdf.scheme == TPM2_ALG_NULL;
	}
	return 0;
}

enum vms_hgs_reason vms_tpm_ak_load(const uint8_t *tpm2b, size_t len,
				    struct vms_tpm_key *ak)
{
	int ret = vms_tpm_key_load(tpm2b, len, ak);

	if (ret == -ENOMEM)
		return HGS_R_INTERNAL_ERROR;
	if (ret)
		return HGS_R_TPM_AK_INVALID;
	if ((ak->pub.objectAttributes & AK_MUST) != AK_MUST ||
	    (ak->pub.objectAttributes & TPMA_OBJECT_DECRYPT) ||
	    !ak_scheme_ok(&ak->pub)) {
		vms_tpm_key_free(ak);
		return HGS_R_TPM_AK_INVALID;
	}
	return HGS_PASSED;
}
