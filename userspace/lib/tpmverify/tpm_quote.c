// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_quote.c - TPM2_Quote verification and the qualifying data.
 * The order of the checks and what each proves: vms_tpm_quote.h.
 */
#include <errno.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "vms_cleanup_ssl.h"
#include "vms_tpm_quote.h"

VMS_DEFINE_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)

int vms_tpm_qualifying_data(const uint8_t nonce[32], const uint8_t pk[32],
			    const char *report, size_t rlen,
			    uint8_t out[VMS_QUOTE_QD_LEN])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, VMS_QUOTE_LABEL, sizeof(VMS_QUOTE_LABEL)) ||
	    !EVP_DigestUpdate(md, nonce, 32) ||
	    !EVP_DigestUpdate(md, pk, 32) ||
	    !EVP_DigestUpdate(md, report, rlen) ||
	    !EVP_DigestFinal_ex(md, out, NULL))
		return -ENOMEM;
	return 0;
}

/* r || s from the TPM to the DER ECDSA-Sig-Value OpenSSL verifies. */
static int ecdsa_der(const TPMS_SIGNATURE_ECC *e, uint8_t **der, int *dlen)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r, *ss;

	if (!s)
		return -ENOMEM;
	r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	ss = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	if (!r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		return -ENOMEM;
	}
	*der = NULL;
	*dlen = i2d_ECDSA_SIG(s, der);
	return *dlen > 0 ? 0 : -ENOMEM;
}

/* 0 verified, -EBADMSG not, -ENOTSUP scheme not the AK's, -ENOMEM. */
static int verify_sig(const struct vms_tpm_key *ak, const TPMT_SIGNATURE *s,
		      const uint8_t *msg, size_t mlen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	_cleanup_(vms_osslfreep) uint8_t *der = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const uint8_t *sb;
	size_t slen;
	int dlen, ok;

	if (ak->pub.type == TPM2_ALG_RSA && s->sigAlg == TPM2_ALG_RSASSA &&
	    s->signature.rsassa.hash == TPM2_ALG_SHA256) {
		sb = s->signature.rsassa.sig.buffer;
		slen = s->signature.rsassa.sig.size;
	} else if (ak->pub.type == TPM2_ALG_ECC &&
		   s->sigAlg == TPM2_ALG_ECDSA &&
		   s->signature.ecdsa.hash == TPM2_ALG_SHA256) {
		if (ecdsa_der(&s->signature.ecdsa, &der, &dlen))
			return -ENOMEM;
		sb = der;
		slen = (size_t)dlen;
	} else {
		return -ENOTSUP;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
					ak->pkey) <= 0)
		return -ENOMEM;
	if (ak->pub.type == TPM2_ALG_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		return -ENOMEM;
	ok = EVP_DigestVerify(md, sb, slen, msg, mlen);
	return ok == 1 ? 0 : -EBADMSG;
}

static int parse_sig(const uint8_t *sig, size_t slen, TPMT_SIGNATURE *s)
{
	size_t off = 0;

	memset(s, 0, sizeof(*s));
	if (!sig || slen > VMS_QUOTE_MAX_BYTES ||
	    Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, slen, &off, s) || off != slen)
		return -EBADMSG;
	return 0;
}

int vms_tpm_signature_verify(const struct vms_tpm_key *ak,
			     const uint8_t *msg, size_t mlen,
			     const uint8_t *sig, size_t slen)
{
	TPMT_SIGNATURE s;

	if (parse_sig(sig, slen, &s))
		return -EBADMSG;
	return verify_sig(ak, &s, msg, mlen);
}

/* The selection, as a mask, if it is one SHA-256 bank; else a reason. */
static enum vms_hgs_reason selection_mask(const TPML_PCR_SELECTION *sel,
					  uint32_t *mask)
{
	const TPMS_PCR_SELECTION *s;
	uint32_t i, m = 0;

	if (sel->count != 1)
		return sel->count ? HGS_R_TPM_QUOTE_PCR_BANK_UNSUPPORTED :
				    HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH;
	s = &sel->pcrSelections[0];
	if (s->hash != TPM2_ALG_SHA256)
		return HGS_R_TPM_QUOTE_PCR_BANK_UNSUPPORTED;
	for (i = 0; i < s->sizeofSelect; i++) {
		if (i >= 3) {
			if (s->pcrSelect[i])	/* PCRs beyond 23 */
				return HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH;
			continue;
		}
		m |= (uint32_t)s->pcrSelect[i] << (8 * i);
	}
	*mask = m;
	return HGS_PASSED;
}

static int pcr_digest(uint32_t mask,
		      const uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN],
		      uint8_t out[32])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int i;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		return -ENOMEM;
	for (i = 0; i < VMS_TPM_PCRS; i++)
		if ((mask & (1u << i)) &&
		    !EVP_DigestUpdate(md, pcr[i], VMS_SHA256_LEN))
			return -ENOMEM;
	return EVP_DigestFinal_ex(md, out, NULL) ? 0 : -ENOMEM;
}

enum vms_hgs_reason
vms_tpm_quote_verify(const struct vms_tpm_key *ak,
		     const uint8_t *attest, size_t alen,
		     const uint8_t *sig, size_t slen,
		     const uint8_t qd[VMS_QUOTE_QD_LEN], uint32_t mask,
		     const uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN],
		     struct vms_tpm_clock *clk)
{
	const TPMS_QUOTE_INFO *q;
	enum vms_hgs_reason r;
	TPMT_SIGNATURE s;
	TPMS_ATTEST a;
	uint32_t got;
	uint8_t d[32];
	size_t off = 0;
	int ret;

	memset(&a, 0, sizeof(a));
	if (!ak || !ak->pkey || !attest || alen > VMS_QUOTE_MAX_BYTES)
		return HGS_R_TPM_QUOTE_MALFORMED;
	/* magic and type first, so that another structure says what it is */
	if (Tss2_MU_UINT32_Unmarshal(attest, alen, &off, &a.magic) ||
	    Tss2_MU_TPM2_ST_Unmarshal(attest, alen, &off, &a.type))
		return HGS_R_TPM_QUOTE_MALFORMED;
	if (a.magic != TPM2_GENERATED_VALUE)
		return HGS_R_TPM_QUOTE_MAGIC_INVALID;
	if (a.type != TPM2_ST_ATTEST_QUOTE)
		return HGS_R_TPM_QUOTE_TYPE_INVALID;
	off = 0;
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, alen, &off, &a) ||
	    off != alen || parse_sig(sig, slen, &s))
		return HGS_R_TPM_QUOTE_MALFORMED;
	ret = verify_sig(ak, &s, attest, alen);
	if (ret == -ENOTSUP)
		return HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED;
	if (ret == -ENOMEM)
		return HGS_R_INTERNAL_ERROR;
	if (ret)
		return HGS_R_TPM_QUOTE_SIGNATURE_INVALID;
	/* From here on the fields are the TPM's own. */
	if (a.extraData.size != VMS_QUOTE_QD_LEN ||
	    CRYPTO_memcmp(a.extraData.buffer, qd, VMS_QUOTE_QD_LEN))
		return HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH;
	q = &a.attested.quote;
	r = selection_mask(&q->pcrSelect, &got);
	if (r != HGS_PASSED)
		return r;
	if (got != mask)
		return HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH;
	if (pcr_digest(mask, pcr, d))
		return HGS_R_INTERNAL_ERROR;
	if (q->pcrDigest.size != 32 || memcmp(q->pcrDigest.buffer, d, 32))
		return HGS_R_TPM_QUOTE_PCR_DIGEST_MISMATCH;
	if (clk) {
		clk->clock = a.clockInfo.clock;
		clk->reset_count = a.clockInfo.resetCount;
		clk->restart_count = a.clockInfo.restartCount;
		clk->safe = a.clockInfo.safe == TPM2_YES;
	}
	return HGS_PASSED;
}

int vms_tpm_quote_signer(const uint8_t *attest, size_t alen, uint8_t *out,
			 size_t cap, size_t *olen)
{
	TPMS_ATTEST a;
	size_t off = 0;

	memset(&a, 0, sizeof(a));
	if (!attest || alen > VMS_QUOTE_MAX_BYTES ||
	    Tss2_MU_TPMS_ATTEST_Unmarshal(attest, alen, &off, &a) || off != alen ||
	    a.qualifiedSigner.size > cap)
		return -EBADMSG;
	memcpy(out, a.qualifiedSigner.name, a.qualifiedSigner.size);
	*olen = a.qualifiedSigner.size;
	return 0;
}

enum vms_hgs_reason vms_tpm_clock_check(const struct vms_tpm_clock *prev,
					const struct vms_tpm_clock *cur)
{
	if (!prev)
		return HGS_PASSED;
	if (cur->reset_count < prev->reset_count)
		return HGS_R_TPM_RESET_COUNT_WENT_BACKWARDS;
	if (cur->reset_count > prev->reset_count)
		return HGS_PASSED;
	if (cur->restart_count < prev->restart_count)
		return HGS_R_TPM_RESTART_COUNT_WENT_BACKWARDS;
	if (cur->restart_count > prev->restart_count)
		return HGS_PASSED;
	if (cur->clock < prev->clock)
		return HGS_R_TPM_CLOCK_WENT_BACKWARDS;
	if (cur->clock == prev->clock)
		return HGS_R_TPM_QUOTE_REPLAYED;
	return HGS_PASSED;
}
