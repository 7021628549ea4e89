// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpm_swtpm - the TPM-mode checks against a live TPM: a swtpm
 * (libtpms) started by this test on 127.0.0.1, driven with tpm2-tools.
 * Our MakeCredential blob must activate (TPM2_ActivateCredential) for an
 * AK in that TPM, for RSA and ECC EKs, and must not for another name,
 * another EK or a tampered blob; fresh quotes verify; a genuine
 * TPM-signed attestation that is not a quote is refused as such; the EK
 * certificates swtpm_setup made under a local CA chain to its root.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "swtpm_fixture.h"
#include "tpm_data.h"
#include "vms_tpm_credential.h"
#include "vms_tpm_ekcert.h"
#include "vms_tpm_public.h"
#include "vms_tpm_quote.h"

/* mkdtemp() fills in the XXXXXX: not const */
static char dir[] = { "/tmp/vms-swtpm-XXXXXX" };
static struct t_swtpm swtpm = { .pid = -1 };

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir) || chdir(dir))
		return -1;
	/* EK certificates from a local CA (swtpm_localca) made here */
	if (t_swtpm_start(&swtpm, dir, dir))
		return -1;
	/* EKs (RSA and ECC, default templates) and an RSA AK under the RSA EK */
	/* no resource manager: flush transient objects after each step */
	/* swtpm's ECC EK certificate is for its P-384 EK: RSA only here */
	if (t_run("tpm2_nvread 0x1c00002 -o ekcert_rsa.der") ||
	    t_run("tpm2_createek -c ek.ctx -G rsa -u ek.pub") ||
	    t_run("tpm2_flushcontext -t") ||
	    t_run("tpm2_createek -c ek_ecc.ctx -G ecc -u ek_ecc.pub") ||
	    t_run("tpm2_flushcontext -t") ||
	    t_run("tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name") ||
	    t_run("tpm2_flushcontext -t")) {
		fprintf(stderr, "# tpm2-tools failed: see %s/tools.log\n", dir);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	t_swtpm_stop(&swtpm);
	/* VMS_TPM_KEEP=1 keeps the TPM state and tools.log for a look */
	if (chdir("/") == 0 && !getenv("VMS_TPM_KEEP"))
		t_run("rm -rf %s", dir);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b;
	FILE *f = fopen(path, "rb");
	long sz;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	b = t_malloc((size_t)sz + 1);
	assert_int_equal((size_t)sz, fread(b, 1, (size_t)sz, f));
	fclose(f);
	*len = (size_t)sz;
	return b;
}

static void load_key(const char *path, struct vms_tpm_key *k, int ak)
{
	size_t len;
	uint8_t *b = slurp(path, &len);

	if (ak)
		assert_int_equal(HGS_PASSED, vms_tpm_ak_load(b, len, k));
	else
		assert_int_equal(0, vms_tpm_key_load(b, len, k));
	free(b);
}

/* tpm2-tools' credential file: 0xBADCC0DE, version 1, ID object, secret. */
static void write_cred(const char *path, const uint8_t *id, size_t idl,
		       const uint8_t *es, size_t esl)
{
	static const uint8_t hdr[8] = { 0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1 };
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(1, fwrite(hdr, sizeof(hdr), 1, f));
	assert_int_equal(1, fwrite(id, idl, 1, f));
	assert_int_equal(1, fwrite(es, esl, 1, f));
	assert_int_equal(0, fclose(f));
}

/* The host's side: activate with the EK in @ek_ctx; 0 on success. */
static int activate(const char *ek_ctx)
{
	int rc;

	unlink("act.out");
	if (t_run("tpm2_startauthsession --policy-session -S session.ctx") ||
	    t_run("tpm2_policysecret -S session.ctx -c e"))
		return -1;
	rc = t_run("tpm2_activatecredential -c ak.ctx -C %s -i cred.out -o act.out -P session:session.ctx",
		 ek_ctx);
	t_run("tpm2_flushcontext session.ctx");
	t_run("tpm2_flushcontext -t");
	return rc;
}

static void make_cred(const struct vms_tpm_key *ek, const uint8_t *name,
		      const uint8_t secret[32], int tamper)
{
	uint8_t *id, *es;
	size_t idl, esl;

	assert_int_equal(0, vms_tpm_make_credential(ek, name, secret, 32, &id,
						    &idl, &es, &esl));
	if (tamper)
		id[idl - 1] ^= 0x01;	/* last byte of encIdentity */
	write_cred("cred.out", id, idl, es, esl);
	free(id);
	free(es);
}

static void check_activation(const struct vms_tpm_key *ek, const char *ekctx)
{
	struct vms_tpm_key ak;
	uint8_t secret[32], *got, *name;
	size_t glen, nlen;

	load_key("ak.pub", &ak, 1);
	name = slurp("ak.name", &nlen);
	assert_int_equal(VMS_TPM_NAME_LEN, nlen);
	/* our Name of the AK is the TPM's */
	assert_memory_equal(name, ak.name, nlen);
	assert_int_equal(1, RAND_bytes(secret, sizeof(secret)));
	make_cred(ek, ak.name, secret, 0);
	assert_int_equal(0, activate(ekctx));
	got = slurp("act.out", &glen);
	assert_int_equal(HGS_PASSED, vms_tpm_credential_check(secret, 32, got,
							      glen));
	free(got);
	free(name);
	vms_tpm_key_free(&ak);
}

static void credential_activates_rsa_ek(void **state)
{
	struct vms_tpm_key ek;

	(void)state;
	load_key("ek.pub", &ek, 0);
	assert_int_equal(TPM2_ALG_RSA, ek.pub.type);
	check_activation(&ek, "ek.ctx");
	vms_tpm_key_free(&ek);
}

static void credential_activates_ecc_ek(void **state)
{
	struct vms_tpm_key ek;

	(void)state;
	load_key("ek_ecc.pub", &ek, 0);
	assert_int_equal(TPM2_ALG_ECC, ek.pub.type);
	check_activation(&ek, "ek_ecc.ctx");
	vms_tpm_key_free(&ek);
}

static void other_name_not_activated(void **state)
{
	struct vms_tpm_key ek, ak;
	uint8_t secret[32], name[VMS_TPM_NAME_LEN], zero[32] = { 0 };

	(void)state;
	load_key("ek.pub", &ek, 0);
	load_key("ak.pub", &ak, 1);
	memcpy(name, ak.name, sizeof(name));
	name[5] ^= 1;	/* an AK that is not this one */
	assert_int_equal(1, RAND_bytes(secret, sizeof(secret)));
	make_cred(&ek, name, secret, 0);
	assert_int_not_equal(0, activate("ek.ctx"));
	assert_int_not_equal(0, access("act.out", F_OK));
	/* whatever the host sends instead is refused */
	assert_int_equal(HGS_R_TPM_AK_NOT_ACTIVATED,
			 vms_tpm_credential_check(secret, 32, zero, 32));
	assert_int_equal(HGS_R_TPM_AK_NOT_ACTIVATED,
			 vms_tpm_credential_check(secret, 32, secret, 31));
	vms_tpm_key_free(&ak);
	vms_tpm_key_free(&ek);
}

static void other_ek_not_activated(void **state)
{
	struct vms_tpm_key ek_ecc, ak;
	uint8_t secret[32];

	(void)state;
	/* made for the ECC EK, presented to the RSA EK */
	load_key("ek_ecc.pub", &ek_ecc, 0);
	load_key("ak.pub", &ak, 1);
	assert_int_equal(1, RAND_bytes(secret, sizeof(secret)));
	make_cred(&ek_ecc, ak.name, secret, 0);
	assert_int_not_equal(0, activate("ek.ctx"));
	vms_tpm_key_free(&ak);
	vms_tpm_key_free(&ek_ecc);
}

static void tampered_blob_not_activated(void **state)
{
	struct vms_tpm_key ek, ak;
	uint8_t secret[32];

	(void)state;
	load_key("ek.pub", &ek, 0);
	load_key("ak.pub", &ak, 1);
	assert_int_equal(1, RAND_bytes(secret, sizeof(secret)));
	make_cred(&ek, ak.name, secret, 1);
	assert_int_not_equal(0, activate("ek.ctx"));
	vms_tpm_key_free(&ak);
	vms_tpm_key_free(&ek);
}

static void bad_credential_input_refused(void **state)
{
	struct vms_tpm_key ek, ak;
	uint8_t secret[33] = { 1 }, *id = NULL, *es = NULL;
	size_t idl, esl;

	(void)state;
	load_key("ek.pub", &ek, 0);
	load_key("ak.pub", &ak, 1);
	assert_int_equal(-EINVAL, vms_tpm_make_credential(&ek, ak.name, secret,
			 33, &id, &idl, &es, &esl));
	assert_int_equal(-EINVAL, vms_tpm_make_credential(&ek, ak.name, secret,
			 0, &id, &idl, &es, &esl));
	/* an AK (a signing key) is not a key to make credentials to */
	assert_int_equal(-ENOTSUP, vms_tpm_make_credential(&ak, ak.name,
			 secret, 32, &id, &idl, &es, &esl));
	assert_null(id);
	assert_null(es);
	vms_tpm_key_free(&ak);
	vms_tpm_key_free(&ek);
}

/* A fresh quote from this TPM by the key in @ctx, with qualifying data @qd. */
static void quote_by(const char *ctx, const uint8_t qd[32], const char *out)
{
	char hex[65];
	int i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", qd[i]);
	assert_int_equal(0, t_run("tpm2_quote -c %s -l sha256:0,1,2,3,4,5,6,7,10 -q %s -g sha256 -F values -m %s.attest -s %s.sig -o %s.pcrs",
				ctx, hex, out, out, out));
	t_run("tpm2_flushcontext -t");
}

static void quote(const uint8_t qd[32], const char *out)
{
	quote_by("ak.ctx", qd, out);
}

/* The quote @q's qualifiedSigner judged against @ak and the RSA EK. */
static enum vms_hgs_reason signer_file(const struct vms_tpm_key *ak,
				       const struct vms_tpm_key *ek, const char *q)
{
	uint8_t signer[64], *a;
	enum vms_hgs_reason r;
	char path[64];
	size_t al, sl;

	snprintf(path, sizeof(path), "%s.attest", q);
	a = slurp(path, &al);
	assert_int_equal(0, vms_tpm_quote_signer(a, al, signer, sizeof(signer), &sl));
	r = vms_tpm_signer_check(ak, ek->name, signer, sl);
	free(a);
	return r;
}

static enum vms_hgs_reason verify_file(const struct vms_tpm_key *ak,
				       const char *q, const uint8_t qd[32],
				       struct vms_tpm_clock *c)
{
	static const unsigned int idx[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 10 };
	uint8_t pcr[VMS_TPM_PCRS][32], *a, *s, *v;
	enum vms_hgs_reason r;
	char path[64];
	size_t al, sl, vl, i;

	snprintf(path, sizeof(path), "%s.attest", q);
	a = slurp(path, &al);
	snprintf(path, sizeof(path), "%s.sig", q);
	s = slurp(path, &sl);
	snprintf(path, sizeof(path), "%s.pcrs", q);
	v = slurp(path, &vl);
	assert_int_equal(9 * 32, vl);
	memset(pcr, 0, sizeof(pcr));
	for (i = 0; i < 9; i++)
		memcpy(pcr[idx[i]], v + 32 * i, 32);
	r = vms_tpm_quote_verify(ak, a, al, s, sl, qd, T_QUOTE_MASK, pcr, c);
	free(a);
	free(s);
	free(v);
	return r;
}

static void fresh_quotes_verify_and_clock_advances(void **state)
{
	struct vms_tpm_clock c1, c2;
	struct vms_tpm_key ak;
	uint8_t qd1[32], qd2[32];

	(void)state;
	load_key("ak.pub", &ak, 1);
	assert_int_equal(1, RAND_bytes(qd1, 32));
	assert_int_equal(1, RAND_bytes(qd2, 32));
	quote(qd1, "q1");
	usleep(20 * 1000);
	quote(qd2, "q2");
	assert_int_equal(HGS_PASSED, verify_file(&ak, "q1", qd1, &c1));
	assert_int_equal(HGS_PASSED, verify_file(&ak, "q2", qd2, &c2));
	assert_int_equal(HGS_PASSED, vms_tpm_clock_check(&c1, &c2));
	assert_int_equal(HGS_R_TPM_QUOTE_REPLAYED,
			 vms_tpm_clock_check(&c2, &c2));
	assert_int_equal(HGS_R_TPM_CLOCK_WENT_BACKWARDS,
			 vms_tpm_clock_check(&c2, &c1));
	/* q1 presented for q2's nonce */
	assert_int_equal(HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH,
			 verify_file(&ak, "q1", qd2, NULL));
	vms_tpm_key_free(&ak);
}

static void certify_attestation_is_not_a_quote(void **state)
{
	struct vms_tpm_key ak;
	uint8_t qd[32] = { 0 }, pcr[VMS_TPM_PCRS][32] = { { 0 } };
	uint8_t *a, *s;
	size_t al, sl;

	(void)state;
	load_key("ak.pub", &ak, 1);
	/* TPM2_Certify of the AK by itself: TPM-generated, AK-signed */
	assert_int_equal(0, t_run("tpm2_certify -c ak.ctx -C ak.ctx -g sha256 -o cert.attest -s cert.sig"));
	t_run("tpm2_flushcontext -t");
	a = slurp("cert.attest", &al);
	s = slurp("cert.sig", &sl);
	assert_int_equal(0, vms_tpm_signature_verify(&ak, a, al, s, sl));
	assert_int_equal(HGS_R_TPM_QUOTE_TYPE_INVALID,
			 vms_tpm_quote_verify(&ak, a, al, s, sl, qd,
					      T_QUOTE_MASK, pcr, NULL));
	free(a);
	free(s);
	vms_tpm_key_free(&ak);
}

/*
 * Issue 22 item 1: an AK outside the endorsement hierarchy sees its TPM's
 * resetCount and restartCount obfuscated, so counter rollback hides
 * behind it. A child of the EK passes; a restricted signing key made in
 * the owner hierarchy of the same TPM signs a quote that verifies as a
 * quote, and is refused as a signer; its counters are not the TPM's.
 */
static void ak_outside_endorsement_hierarchy_refused(void **state)
{
	struct vms_tpm_clock c_ek, c_owner;
	struct vms_tpm_key ak, owner, ek, ek_ecc;
	uint8_t qd[32];

	(void)state;
	load_key("ak.pub", &ak, 1);
	load_key("ek.pub", &ek, 0);
	load_key("ek_ecc.pub", &ek_ecc, 0);
	assert_int_equal(0, t_run("tpm2_createprimary -C o -G rsa2048:rsassa-sha256:null -g sha256 -a fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign -c owner_ak.ctx"));
	assert_int_equal(0, t_run("tpm2_readpublic -c owner_ak.ctx -o owner_ak.pub"));
	load_key("owner_ak.pub", &owner, 1);

	assert_int_equal(1, RAND_bytes(qd, 32));
	quote(qd, "qek");
	quote_by("owner_ak.ctx", qd, "qowner");
	t_run("tpm2_flushcontext -t");
	assert_int_equal(HGS_PASSED, verify_file(&ak, "qek", qd, &c_ek));
	assert_int_equal(HGS_PASSED, verify_file(&owner, "qowner", qd, &c_owner));
	/* the attacker's view: the owner AK's counters are not the TPM's */
	assert_true(c_owner.reset_count != c_ek.reset_count ||
		    c_owner.restart_count != c_ek.restart_count);

	assert_int_equal(HGS_PASSED, signer_file(&ak, &ek, "qek"));
	assert_int_equal(HGS_R_TPM_AK_HIERARCHY, signer_file(&owner, &ek, "qowner"));
	/* the EK child judged against another EK: not its hierarchy */
	assert_int_equal(HGS_R_TPM_AK_HIERARCHY, signer_file(&ak, &ek_ecc, "qek"));
	/* the owner quote claimed for the EK child's key */
	assert_int_equal(HGS_R_TPM_AK_HIERARCHY, signer_file(&ak, &ek, "qowner"));
	vms_tpm_key_free(&ak);
	vms_tpm_key_free(&owner);
	vms_tpm_key_free(&ek);
	vms_tpm_key_free(&ek_ecc);
}

static X509_STORE *store_of(const char *pem)
{
	X509_STORE *st = X509_STORE_new();

	assert_non_null(st);
	assert_int_equal(1, X509_STORE_load_file(st, pem));
	return st;
}

static STACK_OF(X509) *chain_of(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;
	FILE *f = fopen(pem, "r");

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_true(sk_X509_push(sk, x) > 0);
	return sk;
}

static void ek_certificate_chains_to_root(void **state)
{
	struct vms_tpm_key ek, ek_ecc;
	STACK_OF(X509) *inter = chain_of("ca/issuercert.pem");
	X509_STORE *roots = store_of("ca/swtpm-localca-rootca-cert.pem");
	uint8_t *rsa;
	size_t rl;

	(void)state;
	load_key("ek.pub", &ek, 0);
	load_key("ek_ecc.pub", &ek_ecc, 0);
	rsa = slurp("ekcert_rsa.der", &rl);
	assert_int_equal(HGS_PASSED,
			 vms_tpm_ek_cert_verify(rsa, rl, roots, inter, &ek));
	/* the RSA EK's certificate presented with the ECC EK */
	assert_int_equal(HGS_R_TPM_EK_CERT_INVALID,
			 vms_tpm_ek_cert_verify(rsa, rl, roots, inter, &ek_ecc));
	/* without the intermediate the chain does not reach the root */
	assert_int_equal(HGS_R_TPM_EK_NOT_REGISTERED,
			 vms_tpm_ek_cert_verify(rsa, rl, roots, NULL, &ek));
	/* a signature bit flipped */
	rsa[rl - 5] ^= 1;
	assert_int_equal(HGS_R_TPM_EK_NOT_REGISTERED,
			 vms_tpm_ek_cert_verify(rsa, rl, roots, inter, &ek));
	/* not DER, trailing bytes */
	assert_int_equal(HGS_R_TPM_EK_CERT_INVALID,
			 vms_tpm_ek_cert_verify(rsa, 10, roots, inter, &ek));
	free(rsa);
	X509_STORE_free(roots);
	sk_X509_pop_free(inter, X509_free);
	vms_tpm_key_free(&ek_ecc);
	vms_tpm_key_free(&ek);
}

static void ek_certificate_from_other_root_refused(void **state)
{
	X509_STORE *roots = store_of("ca/issuercert.pem");
	X509_STORE *other = X509_STORE_new();
	struct vms_tpm_key ek;
	uint8_t *rsa;
	size_t rl;

	(void)state;
	load_key("ek.pub", &ek, 0);
	rsa = slurp("ekcert_rsa.der", &rl);
	/* an empty trust store: no manufacturer root configured */
	assert_int_equal(HGS_R_TPM_EK_NOT_REGISTERED,
			 vms_tpm_ek_cert_verify(rsa, rl, other, NULL, &ek));
	/* the intermediate alone is not a root (it is not self-signed) */
	assert_int_equal(HGS_R_TPM_EK_NOT_REGISTERED,
			 vms_tpm_ek_cert_verify(rsa, rl, roots, NULL, &ek));
	free(rsa);
	X509_STORE_free(roots);
	X509_STORE_free(other);
	vms_tpm_key_free(&ek);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(credential_activates_rsa_ek),
		cmocka_unit_test(credential_activates_ecc_ek),
		cmocka_unit_test(other_name_not_activated),
		cmocka_unit_test(other_ek_not_activated),
		cmocka_unit_test(tampered_blob_not_activated),
		cmocka_unit_test(bad_credential_input_refused),
		cmocka_unit_test(fresh_quotes_verify_and_clock_advances),
		cmocka_unit_test(certify_attestation_is_not_a_quote),
		cmocka_unit_test(ak_outside_endorsement_hierarchy_refused),
		cmocka_unit_test(ek_certificate_chains_to_root),
		cmocka_unit_test(ek_certificate_from_other_root_refused),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("tpm_swtpm", tests, group_setup,
					   group_teardown);
}
