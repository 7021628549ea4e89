// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpm_quote - TPM2_Quote verification on quotes a real TPM (the
 * rig's swtpm) produced (data/tpm/), and every refusal with its reason.
 */
#include "testutil.h"

#include <tss2/tss2_mu.h>

#include "tpm_data.h"
#include "vms_hgs_reason.h"
#include "vms_tpm_public.h"
#include "vms_tpm_quote.h"

/* Offsets in the captured 145-byte TPMS_ATTEST of a quote. */
#define OFF_EXTRA	44	/* extraData buffer */
#define OFF_CLOCK	76
#define OFF_RESET	84

struct qfix {
	struct vms_tpm_key ak;
	uint8_t *attest, *sig, *report;
	size_t alen, slen, rlen;
	uint8_t pcr[VMS_TPM_PCRS][32];
	uint8_t qd[32], nonce[32], pk[32];
};

static void load(struct qfix *f, const char *ak, const char *q)
{
	char name[64];
	uint8_t *pub, *nonce;
	size_t len, nlen;

	memset(f, 0, sizeof(*f));
	pub = t_tpm_read(ak, &len);
	assert_int_equal(HGS_PASSED, vms_tpm_ak_load(pub, len, &f->ak));
	free(pub);
	snprintf(name, sizeof(name), "%s.attest", q);
	f->attest = t_tpm_read(name, &f->alen);
	snprintf(name, sizeof(name), "%s.sig", q);
	f->sig = t_tpm_read(name, &f->slen);
	snprintf(name, sizeof(name), "%s.pcrs", q);
	if (!strcmp(q, "quote_rsa") || !strcmp(q, "quote_ecc"))
		t_tpm_quote_pcrs(name, f->pcr);
	f->report = t_tpm_read("report.txt", &f->rlen);
	nonce = t_tpm_read("nonce.bin", &nlen);
	assert_int_equal(32, nlen);
	memcpy(f->nonce, nonce, 32);
	free(nonce);
	/* the enclave key is the report's enclave_pk= */
	{
		const char *k = strstr((char *)f->report, "enclave_pk=");
		size_t i;

		assert_non_null(k);
		for (i = 0; i < 32; i++) {
			unsigned int b;

			assert_true(sscanf(k + 11 + 2 * i, "%2x", &b) == 1);
			f->pk[i] = (uint8_t)b;
		}
	}
	assert_int_equal(0, vms_tpm_qualifying_data(f->nonce, f->pk,
			 (char *)f->report, f->rlen, f->qd));
}

static void unload(struct qfix *f)
{
	vms_tpm_key_free(&f->ak);
	free(f->attest);
	free(f->sig);
	free(f->report);
}

static enum vms_hgs_reason verify(struct qfix *f, struct vms_tpm_clock *c)
{
	return vms_tpm_quote_verify(&f->ak, f->attest, f->alen, f->sig,
				    f->slen, f->qd, T_QUOTE_MASK, f->pcr, c);
}

static void qualifying_data_matches_capture(void **state)
{
	struct qfix f;
	uint8_t *qd;
	size_t len;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	qd = t_tpm_read("qualifying.bin", &len);
	assert_int_equal(32, len);
	/* the guest computed it in Python from the documented formula */
	assert_memory_equal(qd, f.qd, 32);
	free(qd);
	unload(&f);
}

static void rsa_quote_verifies(void **state)
{
	struct vms_tpm_clock c;
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	assert_int_equal(HGS_PASSED, verify(&f, &c));
	assert_true(c.clock > 0);
	unload(&f);
}

static void ecc_quote_verifies(void **state)
{
	struct vms_tpm_clock c;
	struct qfix f;

	(void)state;
	load(&f, "ak_ecc.pub", "quote_ecc");
	assert_int_equal(HGS_PASSED, verify(&f, &c));
	unload(&f);
}

static void ak_name_matches_tpm(void **state)
{
	struct qfix f;
	uint8_t *name;
	size_t len;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	name = t_tpm_read("ak_rsa.name", &len);
	assert_int_equal(VMS_TPM_NAME_LEN, len);
	assert_memory_equal(name, f.ak.name, len);
	free(name);
	unload(&f);
}

static void attest_bit_flip_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.attest[OFF_CLOCK + 3] ^= 0x01;
	assert_int_equal(HGS_R_TPM_QUOTE_SIGNATURE_INVALID, verify(&f, NULL));
	f.attest[OFF_CLOCK + 3] ^= 0x01;
	f.attest[f.alen - 1] ^= 0x80;	/* pcrDigest */
	assert_int_equal(HGS_R_TPM_QUOTE_SIGNATURE_INVALID, verify(&f, NULL));
	unload(&f);
}

static void signature_bit_flip_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.sig[f.slen - 7] ^= 0x10;
	assert_int_equal(HGS_R_TPM_QUOTE_SIGNATURE_INVALID, verify(&f, NULL));
	unload(&f);
	load(&f, "ak_ecc.pub", "quote_ecc");
	f.sig[f.slen - 3] ^= 0x10;
	assert_int_equal(HGS_R_TPM_QUOTE_SIGNATURE_INVALID, verify(&f, NULL));
	unload(&f);
}

static void pcr_value_bit_flip_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.pcr[10][31] ^= 0x01;
	assert_int_equal(HGS_R_TPM_QUOTE_PCR_DIGEST_MISMATCH, verify(&f, NULL));
	f.pcr[10][31] ^= 0x01;
	f.pcr[4][0] ^= 0x80;
	assert_int_equal(HGS_R_TPM_QUOTE_PCR_DIGEST_MISMATCH, verify(&f, NULL));
	unload(&f);
}

static void wrong_magic_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.attest[0] = 0xfe;
	assert_int_equal(HGS_R_TPM_QUOTE_MAGIC_INVALID, verify(&f, NULL));
	unload(&f);
}

static void attest_type_not_quote_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.attest[5] = 0x17;	/* TPM_ST_ATTEST_CERTIFY */
	assert_int_equal(HGS_R_TPM_QUOTE_TYPE_INVALID, verify(&f, NULL));
	unload(&f);
}

static void pcr_selection_differs_refused(void **state)
{
	struct qfix f;

	(void)state;
	/* a real quote over 0-7 only, checked against a policy of 0-7,10 */
	load(&f, "ak_rsa.pub", "quote_rsa_no10");
	assert_int_equal(HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH,
			 verify(&f, NULL));
	unload(&f);
	/* the real 0-7,10 quote checked against a policy of 0-7 */
	load(&f, "ak_rsa.pub", "quote_rsa");
	assert_int_equal(HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH,
			 vms_tpm_quote_verify(&f.ak, f.attest, f.alen, f.sig,
					      f.slen, f.qd, 0xff, f.pcr, NULL));
	unload(&f);
}

static void sha1_bank_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa_sha1");
	assert_int_equal(HGS_R_TPM_QUOTE_PCR_BANK_UNSUPPORTED,
			 verify(&f, NULL));
	unload(&f);
}

static void quote_for_another_nonce_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	f.nonce[0] ^= 1;
	assert_int_equal(0, vms_tpm_qualifying_data(f.nonce, f.pk,
			 (char *)f.report, f.rlen, f.qd));
	assert_int_equal(HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH,
			 verify(&f, NULL));
	unload(&f);
}

static void qualifying_data_over_other_key_refused(void **state)
{
	struct qfix f;

	(void)state;
	load(&f, "ak_ecc.pub", "quote_ecc");
	f.pk[31] ^= 1;
	assert_int_equal(0, vms_tpm_qualifying_data(f.nonce, f.pk,
			 (char *)f.report, f.rlen, f.qd));
	assert_int_equal(HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH,
			 verify(&f, NULL));
	unload(&f);
}

static void replayed_quote_refused(void **state)
{
	struct vms_tpm_clock first, again;
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	assert_int_equal(HGS_PASSED, verify(&f, &first));
	assert_int_equal(HGS_PASSED, verify(&f, &again));
	assert_int_equal(HGS_R_TPM_QUOTE_REPLAYED,
			 vms_tpm_clock_check(&first, &again));
	unload(&f);
}

static void later_quote_passes_clock_check(void **state)
{
	struct vms_tpm_clock rsa, ecc;
	struct qfix f;

	(void)state;
	/* the guest took the RSA quote, then the ECC one */
	load(&f, "ak_rsa.pub", "quote_rsa");
	assert_int_equal(HGS_PASSED, verify(&f, &rsa));
	unload(&f);
	load(&f, "ak_ecc.pub", "quote_ecc");
	assert_int_equal(HGS_PASSED, verify(&f, &ecc));
	unload(&f);
	assert_true(ecc.clock > rsa.clock);
	assert_int_equal(HGS_PASSED, vms_tpm_clock_check(&rsa, &ecc));
	assert_int_equal(HGS_R_TPM_CLOCK_WENT_BACKWARDS,
			 vms_tpm_clock_check(&ecc, &rsa));
}

static void counters_going_backwards_refused(void **state)
{
	struct vms_tpm_clock prev = { 5000, 3, 1, 1 }, cur = prev;

	(void)state;
	cur.reset_count = 2;
	cur.clock = 9000;
	assert_int_equal(HGS_R_TPM_RESET_COUNT_WENT_BACKWARDS,
			 vms_tpm_clock_check(&prev, &cur));
	cur = prev;
	cur.restart_count = 0;
	cur.clock = 9000;
	assert_int_equal(HGS_R_TPM_RESTART_COUNT_WENT_BACKWARDS,
			 vms_tpm_clock_check(&prev, &cur));
	/* a reboot may restart the clock behind: not compared */
	cur = prev;
	cur.reset_count = 4;
	cur.restart_count = 0;
	cur.clock = 10;
	assert_int_equal(HGS_PASSED, vms_tpm_clock_check(&prev, &cur));
}

static void reset_counter_backwards_in_real_quote(void **state)
{
	struct vms_tpm_clock real, later;
	struct qfix f;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	assert_int_equal(HGS_PASSED, verify(&f, &real));
	unload(&f);
	/* a host seen after a reboot now presents the older boot's quote */
	later = real;
	later.reset_count = real.reset_count + 1;
	assert_int_equal(HGS_R_TPM_RESET_COUNT_WENT_BACKWARDS,
			 vms_tpm_clock_check(&later, &real));
}

static void malformed_refused(void **state)
{
	struct qfix f;
	uint8_t *longer;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	longer = t_malloc(f.alen + 1);
	memcpy(longer, f.attest, f.alen);
	longer[f.alen] = 0;
	assert_int_equal(HGS_R_TPM_QUOTE_MALFORMED,
			 vms_tpm_quote_verify(&f.ak, longer, f.alen + 1, f.sig,
					      f.slen, f.qd, T_QUOTE_MASK, f.pcr,
					      NULL));
	assert_int_equal(HGS_R_TPM_QUOTE_MALFORMED,
			 vms_tpm_quote_verify(&f.ak, f.attest, f.alen - 1,
					      f.sig, f.slen, f.qd, T_QUOTE_MASK,
					      f.pcr, NULL));
	assert_int_equal(HGS_R_TPM_QUOTE_MALFORMED,
			 vms_tpm_quote_verify(&f.ak, f.attest, f.alen, f.sig,
					      f.slen - 1, f.qd, T_QUOTE_MASK,
					      f.pcr, NULL));
	assert_int_equal(HGS_R_TPM_QUOTE_MALFORMED,
			 vms_tpm_quote_verify(&f.ak, f.attest, 3, f.sig,
					      f.slen, f.qd, T_QUOTE_MASK,
					      f.pcr, NULL));
	free(longer);
	unload(&f);
}

static void other_scheme_refused(void **state)
{
	struct qfix f, e;

	(void)state;
	load(&f, "ak_rsa.pub", "quote_rsa");
	/* sigAlg RSASSA (0x0014) -> RSAPSS (0x0016) */
	assert_int_equal(0x14, f.sig[1]);
	f.sig[1] = 0x16;
	assert_int_equal(HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED, verify(&f, NULL));
	f.sig[1] = 0x14;
	f.sig[3] = 0x04;	/* hash SHA-256 -> SHA-1 */
	assert_int_equal(HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED, verify(&f, NULL));
	f.sig[3] = 0x0b;
	/* an ECDSA signature offered for the RSA AK */
	load(&e, "ak_ecc.pub", "quote_ecc");
	assert_int_equal(HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED,
			 vms_tpm_quote_verify(&f.ak, e.attest, e.alen, e.sig,
					      e.slen, e.qd, T_QUOTE_MASK,
					      e.pcr, NULL));
	/* the right AK type but another TPM key: signature refused */
	assert_int_equal(HGS_R_TPM_QUOTE_SIGNATURE_INVALID,
			 vms_tpm_quote_verify(&e.ak, f.attest, f.alen, e.sig,
					      e.slen, f.qd, T_QUOTE_MASK,
					      f.pcr, NULL));
	unload(&e);
	unload(&f);
}

static void ak_template_checked(void **state)
{
	struct vms_tpm_key k;
	TPM2B_PUBLIC p;
	uint8_t *pub, buf[sizeof(TPM2B_PUBLIC)];
	size_t len, off = 0;

	(void)state;
	/* the EK is a decryption key: never an AK */
	pub = t_tpm_read("ek_rsa.pub", &len);
	assert_int_equal(HGS_R_TPM_AK_INVALID, vms_tpm_ak_load(pub, len, &k));
	assert_int_equal(0, vms_tpm_key_load(pub, len, &k));
	vms_tpm_key_free(&k);
	free(pub);
	/* the real AK without restricted, or without fixedTPM */
	pub = t_tpm_read("ak_rsa.pub", &len);
	memset(&p, 0, sizeof(p));
	assert_int_equal(0, Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, len, &off, &p));
	p.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	off = 0;
	assert_int_equal(0, Tss2_MU_TPM2B_PUBLIC_Marshal(&p, buf, sizeof(buf),
							 &off));
	assert_int_equal(HGS_R_TPM_AK_INVALID, vms_tpm_ak_load(buf, off, &k));
	p.publicArea.objectAttributes |= TPMA_OBJECT_RESTRICTED;
	p.publicArea.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
	off = 0;
	assert_int_equal(0, Tss2_MU_TPM2B_PUBLIC_Marshal(&p, buf, sizeof(buf),
							 &off));
	assert_int_equal(HGS_R_TPM_AK_INVALID, vms_tpm_ak_load(buf, off, &k));
	/* trailing byte, truncation */
	assert_int_equal(HGS_R_TPM_AK_INVALID,
			 vms_tpm_ak_load(pub, len - 1, &k));
	free(pub);
}

static void tpm_reason_codes_distinct(void **state)
{
	int i, j;

	(void)state;
	/* every TPM-mode code: its own name, advice, and an HTTP status */
	for (i = HGS_R_TPM_EK_NOT_REGISTERED; i < HGS_R__MAX; i++) {
		const char *n = vms_hgs_reason_name(i);
		unsigned int h = vms_hgs_reason_http(i);

		assert_int_equal(i, vms_hgs_reason_from_name(n));
		assert_true(strlen(vms_hgs_reason_message(i)) > 20);
		assert_true(h == 400 || h == 403 || h == 409);
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, vms_hgs_reason_name(j));
	}
	/* appended: the codes before them keep their numbers */
	assert_int_equal(HGS_R_GUARDIAN_PROTECTED + 1, HGS_R_TPM_EK_NOT_REGISTERED);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tpm_reason_codes_distinct),
		cmocka_unit_test(qualifying_data_matches_capture),
		cmocka_unit_test(rsa_quote_verifies),
		cmocka_unit_test(ecc_quote_verifies),
		cmocka_unit_test(ak_name_matches_tpm),
		cmocka_unit_test(attest_bit_flip_refused),
		cmocka_unit_test(signature_bit_flip_refused),
		cmocka_unit_test(pcr_value_bit_flip_refused),
		cmocka_unit_test(wrong_magic_refused),
		cmocka_unit_test(attest_type_not_quote_refused),
		cmocka_unit_test(pcr_selection_differs_refused),
		cmocka_unit_test(sha1_bank_refused),
		cmocka_unit_test(quote_for_another_nonce_refused),
		cmocka_unit_test(qualifying_data_over_other_key_refused),
		cmocka_unit_test(replayed_quote_refused),
		cmocka_unit_test(later_quote_passes_clock_check),
		cmocka_unit_test(counters_going_backwards_refused),
		cmocka_unit_test(reset_counter_backwards_in_real_quote),
		cmocka_unit_test(malformed_refused),
		cmocka_unit_test(other_scheme_refused),
		cmocka_unit_test(ak_template_checked),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("tpm_quote", tests, NULL, NULL);
}
