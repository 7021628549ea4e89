// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_tpm2b - libFuzzer harness: the TPM structure parsers HGS runs on
 * untrusted input. Each input is tried as a TPM2B_PUBLIC (EK and AK
 * load), as a TPMS_ATTEST (quote verify with the captured real
 * signature) and as a TPMT_SIGNATURE (quote verify of the captured real
 * quote), against the rig's real RSA and ECC AKs. Seeds: the captured
 * *.pub, *.attest and *.sig files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_data.h"
#include "vms_tpm_public.h"
#include "vms_tpm_quote.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct real {
	struct vms_tpm_key ak;
	uint8_t *attest, *sig;
	size_t alen, slen;
};

static struct real rsa, ecc;
static const uint8_t qd[VMS_QUOTE_QD_LEN];
static uint8_t pcr[VMS_TPM_PCRS][VMS_SHA256_LEN];

static void load(struct real *r, const char *ak, const char *q)
{
	char name[64];
	uint8_t *b;
	size_t len;

	b = fuzz_read(ak, &len);
	if (vms_tpm_ak_load(b, len, &r->ak) != HGS_PASSED)
		abort();
	free(b);
	snprintf(name, sizeof(name), "%s.attest", q);
	r->attest = fuzz_read(name, &r->alen);
	snprintf(name, sizeof(name), "%s.sig", q);
	r->sig = fuzz_read(name, &r->slen);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	load(&rsa, "ak_rsa.pub", "quote_rsa");
	load(&ecc, "ak_ecc.pub", "quote_ecc");
	return 0;
}

static void as_quote_parts(const struct real *r, const uint8_t *d, size_t n)
{
	struct vms_tpm_clock c;

	vms_tpm_quote_verify(&r->ak, d, n, r->sig, r->slen, qd, 0x4ff, pcr,
			     &c);
	vms_tpm_quote_verify(&r->ak, r->attest, r->alen, d, n, qd, 0x4ff, pcr,
			     &c);
	vms_tpm_signature_verify(&r->ak, r->attest, r->alen, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_tpm_key k;

	if (vms_tpm_key_load(data, size, &k) == 0) {
		if (!k.pkey)
			abort();
		vms_tpm_key_free(&k);
	} else if (k.pkey) {
		abort();	/* a refused key leaves nothing behind */
	}
	if (vms_tpm_ak_load(data, size, &k) == HGS_PASSED)
		vms_tpm_key_free(&k);
	as_quote_parts(&rsa, data, size);
	as_quote_parts(&ecc, data, size);
	return 0;
}
