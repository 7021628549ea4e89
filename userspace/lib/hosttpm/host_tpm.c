// SPDX-License-Identifier: GPL-2.0
/*
 * host_tpm.c - EK, AK, credential activation and quotes over tpm2-tss ESAPI
 * (vms_host_tpm.h). The TPM structures are built and marshalled by
 * tpm2-tss; this file only chooses templates and the order of commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2_esys.h>
#include <tss2_mu.h>
#include <tss2_rc.h>
#include <tss2_tctildr.h>

#include "vms_host_tpm.h"

struct vms_host_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR ek;		/* ESYS_TR_NONE until needed */
	int ek_transient;	/* created by us: flush on close */
	ESYS_TR ak;
	char err[160];
};

/* PolicySecret(TPM_RH_ENDORSEMENT): the EK's policy in the TCG profile. */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

static int tpm_fail(struct vms_host_tpm *t, const char *what, TSS2_RC rc)
{
	snprintf(t->err, sizeof(t->err), "%s: 0x%08x (%s)", what, rc,
		 Tss2_RC_Decode(rc));
	return -EIO;
}

int vms_host_tpm_open(struct vms_host_tpm **out, const char *tcti)
{
	struct vms_host_tpm *t = calloc(1, sizeof(*t));
	TSS2_RC rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->ek = ESYS_TR_NONE;
	t->ak = ESYS_TR_NONE;
	rc = Tss2_TctiLdr_Initialize(tcti ? tcti : VMS_HOST_TPM_DEFAULT_TCTI,
				     &t->tcti);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		vms_host_tpm_close(t);
		return -ENODEV;
	}
	*out = t;
	return 0;
}

void vms_host_tpm_close(struct vms_host_tpm *t)
{
	if (!t)
		return;
	if (t->esys) {
		if (t->ak != ESYS_TR_NONE)
			Esys_FlushContext(t->esys, t->ak);
		if (t->ek != ESYS_TR_NONE && t->ek_transient)
			Esys_FlushContext(t->esys, t->ek);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

const char *vms_host_tpm_error(struct vms_host_tpm *t)
{
	return t ? t->err : "";
}

static int marshal_public(const TPM2B_PUBLIC *p, uint8_t **out, size_t *len)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(p, buf, sizeof(buf), &off))
		return -EINVAL;
	*out = malloc(off);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf, off);
	*len = off;
	return 0;
}

/* The TCG default EK template, RSA 2048 ("L-1"). */
static void ek_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_RSA;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_DECRYPT;
	p->publicArea.authPolicy.size = sizeof(ek_policy);
	memcpy(p->publicArea.authPolicy.buffer, ek_policy, sizeof(ek_policy));
	p->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.rsaDetail.keyBits = 2048;
	p->publicArea.unique.rsa.size = 256;	/* zeros */
}

/* The AK template: a restricted ECDSA P-256 / SHA-256 signing key. */
static void ak_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_SIGN_ENCRYPT;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg =
		TPM2_ALG_SHA256;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

static int create_primary(struct vms_host_tpm *t, const TPM2B_PUBLIC *tmpl,
			  ESYS_TR *out, const char *what)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TSS2_RC rc;

	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
				ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				&sens, tmpl, &outside, &none, out, NULL, NULL,
				NULL, NULL);
	return rc ? tpm_fail(t, what, rc) : 0;
}

static int ensure_ek(struct vms_host_tpm *t)
{
	TPM2B_PUBLIC tmpl;

	if (t->ek != ESYS_TR_NONE)
		return 0;
	if (!Esys_TR_FromTPMPublic(t->esys, VMS_HOST_TPM_EK_HANDLE,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &t->ek))
		return 0;
	t->ek = ESYS_TR_NONE;
	ek_template(&tmpl);
	if (create_primary(t, &tmpl, &t->ek, "CreatePrimary(EK)"))
		return -EIO;
	t->ek_transient = 1;
	return 0;
}

static int ensure_ak(struct vms_host_tpm *t)
{
	TPM2B_PUBLIC tmpl;

	if (t->ak != ESYS_TR_NONE)
		return 0;
	ak_template(&tmpl);
	return create_primary(t, &tmpl, &t->ak, "CreatePrimary(AK)");
}

static int read_public(struct vms_host_tpm *t, ESYS_TR h, uint8_t **pub,
		       size_t *len, uint8_t *name, size_t *name_len)
{
	TPM2B_PUBLIC *p = NULL;
	TPM2B_NAME *n = NULL;
	TSS2_RC rc;
	int r;

	rc = Esys_ReadPublic(t->esys, h, ESYS_TR_NONE, ESYS_TR_NONE,
			     ESYS_TR_NONE, &p, &n, NULL);
	if (rc)
		return tpm_fail(t, "ReadPublic", rc);
	r = marshal_public(p, pub, len);
	if (!r && name) {
		if (n->size > 34) {
			free(*pub);
			*pub = NULL;
			r = -EINVAL;
		} else {
			memcpy(name, n->name, n->size);
			*name_len = n->size;
		}
	}
	Esys_Free(p);
	Esys_Free(n);
	return r;
}

int vms_host_tpm_ek_public(struct vms_host_tpm *t, uint8_t **pub,
			   size_t *len)
{
	int r = ensure_ek(t);

	return r ? r : read_public(t, t->ek, pub, len, NULL, NULL);
}

int vms_host_tpm_ak_public(struct vms_host_tpm *t, uint8_t **pub,
			   size_t *len, uint8_t name[34], size_t *name_len)
{
	int r = ensure_ak(t);

	return r ? r : read_public(t, t->ak, pub, len, name, name_len);
}

int vms_host_tpm_activate(struct vms_host_tpm *t, const uint8_t *id_object,
			  size_t id_len, const uint8_t *secret,
			  size_t secret_len, uint8_t *cred, size_t *cred_len)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_ID_OBJECT idobj = { 0 };
	TPM2B_ENCRYPTED_SECRET sec = { 0 };
	TPM2B_DIGEST *out = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	size_t off = 0;
	TSS2_RC rc;
	int r;

	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(id_object, id_len, &off, &idobj) ||
	    off != id_len)
		return -EINVAL;
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret, secret_len, &off,
						     &sec) || off != secret_len)
		return -EINVAL;
	r = ensure_ek(t);
	if (r)
		return r;
	r = ensure_ak(t);
	if (r)
		return r;
	/* the EK is used only through its policy: PolicySecret(endorsement) */
	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
				   &session);
	if (rc)
		return tpm_fail(t, "StartAuthSession", rc);
	rc = Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, session,
			       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       NULL, NULL, NULL, 0, NULL, NULL);
	if (rc) {
		r = tpm_fail(t, "PolicySecret", rc);
		goto out;
	}
	/*
	 * Without continueSession the TPM ends the session with the command
	 * that succeeds; ESYS starts sessions with it set, and a long-lived
	 * agent on a TPM without a resource manager would otherwise run out
	 * of session slots (TPM_RC_SESSION_MEMORY).
	 */
	rc = Esys_TRSess_SetAttributes(t->esys, session, 0,
				       TPMA_SESSION_CONTINUESESSION);
	if (rc) {
		r = tpm_fail(t, "TRSess_SetAttributes", rc);
		goto out;
	}
	rc = Esys_ActivateCredential(t->esys, t->ak, t->ek, ESYS_TR_PASSWORD,
				     session, ESYS_TR_NONE, &idobj, &sec, &out);
	if (!rc)
		session = ESYS_TR_NONE;	/* ended with its use */
	if (rc) {
		r = tpm_fail(t, "ActivateCredential", rc);
		goto out;
	}
	if (out->size > *cred_len) {
		r = -ENOSPC;
	} else {
		memcpy(cred, out->buffer, out->size);
		*cred_len = out->size;
	}
out:
	if (out) {
		memset(out, 0, sizeof(*out));	/* the credential is a secret */
		Esys_Free(out);
	}
	if (session != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, session);
	return r;
}

static void select_sha256(TPML_PCR_SELECTION *s, uint32_t mask)
{
	memset(s, 0, sizeof(*s));
	s->count = 1;
	s->pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->pcrSelections[0].sizeofSelect = 3;
	s->pcrSelections[0].pcrSelect[0] = mask & 0xff;
	s->pcrSelections[0].pcrSelect[1] = (mask >> 8) & 0xff;
	s->pcrSelections[0].pcrSelect[2] = (mask >> 16) & 0xff;
}

/* Read the SHA-256 PCRs of @mask in order; the TPM returns at most 8 a call. */
static int read_pcrs(struct vms_host_tpm *t, uint32_t mask, uint8_t *out)
{
	uint32_t left = mask;
	size_t n = 0;

	while (left) {
		TPML_PCR_SELECTION sel, *got = NULL;
		TPML_DIGEST *vals = NULL;
		uint32_t got_mask, counter, i;
		size_t k = 0;
		TSS2_RC rc;

		select_sha256(&sel, left);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, &sel, &counter, &got, &vals);
		if (rc)
			return tpm_fail(t, "PCR_Read", rc);
		got_mask = got->count ? got->pcrSelections[0].pcrSelect[0] |
			   got->pcrSelections[0].pcrSelect[1] << 8 |
			   (uint32_t)got->pcrSelections[0].pcrSelect[2] << 16 : 0;
		/* values come in PCR order; out is in PCR order over @mask */
		for (i = 0; i <= VMS_HOST_TPM_MAX_PCR; i++) {
			if (!(got_mask & (1u << i)))
				continue;
			if (k >= vals->count || vals->digests[k].size != 32 ||
			    !(left & (1u << i))) {
				Esys_Free(got);
				Esys_Free(vals);
				snprintf(t->err, sizeof(t->err),
					 "PCR_Read returned an unexpected selection");
				return -EIO;
			}
			n = (size_t)__builtin_popcount(mask & ((1u << i) - 1));
			memcpy(out + n * 32, vals->digests[k].buffer, 32);
			k++;
		}
		Esys_Free(got);
		Esys_Free(vals);
		if (!(got_mask & left))
			return -EIO;	/* no progress: the bank lacks a PCR */
		left &= ~got_mask;
	}
	return 0;
}

int vms_host_tpm_quote(struct vms_host_tpm *t, uint32_t pcr_mask,
		       const uint8_t *qualifying, size_t qlen,
		       uint8_t **attest, size_t *attest_len,
		       uint8_t **sig, size_t *sig_len,
		       uint8_t **pcrs, size_t *pcrs_len)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA q = { 0 };
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	uint8_t abuf[sizeof(TPM2B_ATTEST)], sbuf[sizeof(TPMT_SIGNATURE)];
	size_t aoff = 0, soff = 0, npcr;
	TSS2_RC rc;
	int r;

	*attest = *sig = *pcrs = NULL;
	if (!pcr_mask || pcr_mask >> (VMS_HOST_TPM_MAX_PCR + 1) ||
	    qlen > sizeof(q.buffer))
		return -EINVAL;
	r = ensure_ak(t);
	if (r)
		return r;
	q.size = (UINT16)qlen;
	memcpy(q.buffer, qualifying, qlen);
	select_sha256(&sel, pcr_mask);
	rc = Esys_Quote(t->esys, t->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &q, &scheme, &sel, &quoted, &signature);
	if (rc)
		return tpm_fail(t, "Quote", rc);
	if (Tss2_MU_TPM2B_ATTEST_Marshal(quoted, abuf, sizeof(abuf), &aoff) ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sbuf, sizeof(sbuf), &soff))
		r = -EINVAL;
	Esys_Free(quoted);
	Esys_Free(signature);
	if (r)
		return r;
	npcr = (size_t)__builtin_popcount(pcr_mask);
	*attest = malloc(aoff);
	*sig = malloc(soff);
	*pcrs = malloc(npcr * 32);
	if (!*attest || !*sig || !*pcrs) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(*attest, abuf, aoff);
	*attest_len = aoff;
	memcpy(*sig, sbuf, soff);
	*sig_len = soff;
	r = read_pcrs(t, pcr_mask, *pcrs);
	if (r)
		goto fail;
	*pcrs_len = npcr * 32;
	return 0;
fail:
	free(*attest);
	free(*sig);
	free(*pcrs);
	*attest = *sig = *pcrs = NULL;
	return r;
}
