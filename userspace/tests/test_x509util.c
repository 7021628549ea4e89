// SPDX-License-Identifier: GPL-2.0
/*
 * test_x509util.c - the crypto library's key and certificate plumbing:
 * vms_bio_take() and vms_bio_take_secret() (the one BIO-to-buffer helper),
 * the private-key and X25519 key files written and read through it, and
 * the extensions each kind of self-signed certificate carries.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/x509v3.h>

#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_keyfile.h"
#include "vms_x509.h"

static void test_bio_take_text(void **state)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());
	static const char pem[] = "-----BEGIN X-----\nAAAA\n-----END X-----\n";
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(bio);
	assert_int_equal(BIO_write(bio, pem, (int)strlen(pem)), (int)strlen(pem));
	assert_int_equal(vms_bio_take(bio, &out, &len), 0);
	assert_int_equal(len, strlen(pem));
	assert_memory_equal(out, pem, len);
	assert_int_equal(out[len], 0);		/* usable as a C string */
	assert_string_equal((char *)out, pem);
	assert_int_equal(BIO_pending(bio), 0);	/* taken, not copied */
	free(out);
}

static void test_bio_take_binary(void **state)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());
	static const uint8_t der[] = { 0x30, 0x00, 0x02, 0x01, 0x00, 0xff };
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(bio);
	assert_int_equal(BIO_write(bio, der, sizeof(der)), (int)sizeof(der));
	assert_int_equal(vms_bio_take(bio, &out, &len), 0);
	assert_int_equal(len, sizeof(der));	/* NULs inside are data */
	assert_memory_equal(out, der, sizeof(der));
	free(out);
}

static void test_bio_take_empty(void **state)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());
	uint8_t sentinel[1];
	struct vms_secret s = { sentinel, 7 };
	uint8_t *out = sentinel;
	size_t len = 7;

	(void)state;
	assert_non_null(bio);
	assert_int_equal(vms_bio_take(bio, &out, &len), -EIO);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_int_equal(vms_bio_take_secret(bio, &s), -EIO);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
}

/* Key material: the secure BIO's buffer is cleared as it is taken. */
static void test_bio_take_secret(void **state)
{
	_cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_secmem());
	struct vms_secret s = { 0 };
	uint8_t key[48];
	BUF_MEM *bm = NULL;

	(void)state;
	assert_non_null(bio);
	t_random(key, sizeof(key));
	key[0] |= 1;	/* not all zero, so the wipe check below can fail */
	assert_int_equal(BIO_write(bio, key, sizeof(key)), (int)sizeof(key));
	BIO_get_mem_ptr(bio, &bm);
	assert_non_null(bm);
	assert_memory_equal(bm->data, key, sizeof(key));
	assert_int_equal(vms_bio_take_secret(bio, &s), 0);
	assert_int_equal(s.len, sizeof(key));
	assert_memory_equal(s.p, key, sizeof(key));
	assert_true(t_all(bm->data, sizeof(key), 0));	/* the BIO's copy */
	vms_secret_free(&s);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	explicit_bzero(key, sizeof(key));
}

static void test_private_key_files(void **state)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *r = NULL;
	char dir[] = "/tmp/vms-x509util.XXXXXX", path[64], plain[64];
	char fk[VMS_FPR_HEX_LEN], fr[VMS_FPR_HEX_LEN];
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(k);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	snprintf(plain, sizeof(plain), "%s/plain.pem", dir);
	assert_int_equal(vms_pkey_write_private(path, k, "pw", 0), 0);
	assert_int_equal(vms_pkey_read_private(path, "pw", &r), 0);
	assert_int_equal(vms_pkey_fingerprint(k, fk), 0);
	assert_int_equal(vms_pkey_fingerprint(r, fr), 0);
	assert_string_equal(fk, fr);
	EVP_PKEY_free(r);
	assert_int_equal(vms_pkey_read_private(path, "wrong", &r), -EKEYREJECTED);
	assert_null(r);
	assert_int_equal(vms_pkey_write_private(path, k, NULL,
						VMS_WRITE_NOCLOBBER), -EEXIST);
	assert_int_equal(vms_pkey_write_private(plain, k, NULL, 0), 0);
	assert_int_equal(vms_pkey_read_private(plain, NULL, &r), 0);

	assert_int_equal(vms_pkey_private_pem(k, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	vms_wipe_free(pem, len);

	unlink(path);
	unlink(plain);
	rmdir(dir);
}

static void test_x25519_pem_files(void **state)
{
	char dir[] = "/tmp/vms-x509util.XXXXXX", sk_path[64], pk_path[64];
	uint8_t sk[32], pk[32], sk2[32], pk2[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sk_path, sizeof(sk_path), "%s/sk.pem", dir);
	snprintf(pk_path, sizeof(pk_path), "%s/pk.pem", dir);
	assert_int_equal(vms_x25519_keygen(sk, pk), 0);
	assert_int_equal(vms_x25519_write_private(sk_path, sk, VMS_KEY_PEM, 0), 0);
	assert_int_equal(vms_x25519_write_public(pk_path, pk, VMS_KEY_PEM, 0), 0);
	assert_int_equal(vms_x25519_load_private(sk_path, sk2), 0);
	assert_int_equal(vms_x25519_load_public(pk_path, pk2), 0);
	assert_memory_equal(sk, sk2, 32);
	assert_memory_equal(pk, pk2, 32);
	/* a public key file is not a private key, and the other way round */
	assert_int_equal(vms_x25519_load_private(pk_path, sk2), -EKEYREJECTED);
	assert_int_equal(vms_x25519_load_public(sk_path, pk2), -EKEYREJECTED);
	explicit_bzero(sk, sizeof(sk));
	explicit_bzero(sk2, sizeof(sk2));
	unlink(sk_path);
	unlink(pk_path);
	rmdir(dir);
}

/* Each kind of certificate carries its own key usage and constraints. */
static void test_cert_kinds(void **state)
{
	static const struct {
		enum vms_cert_kind kind;
		uint32_t ku;
		int ca;
	} kinds[] = {
		{ VMS_CERT_CA, KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE, 1 },
		{ VMS_CERT_ENCRYPTION, KU_KEY_AGREEMENT | KU_KEY_ENCIPHERMENT, 0 },
		{ VMS_CERT_SIGNING, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, 0 },
		{ VMS_CERT_TLS_SERVER, KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN, 0 },
	};
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	size_t i;

	(void)state;
	assert_non_null(k);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_(X509_freep) X509 *c =
			vms_cert_self_signed(k, "kind-test", 1, kinds[i].kind);
		int san = X509_get_ext_by_NID(c, NID_subject_alt_name, -1);

		assert_non_null(c);
		assert_int_equal(X509_get_key_usage(c), kinds[i].ku);
		assert_int_equal(!!X509_check_ca(c), kinds[i].ca);
		assert_int_equal(san >= 0, kinds[i].kind == VMS_CERT_TLS_SERVER);
	}
	assert_null(vms_cert_self_signed(k, "kind-test", 1, (enum vms_cert_kind)99));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bio_take_text),
		cmocka_unit_test(test_bio_take_binary),
		cmocka_unit_test(test_bio_take_empty),
		cmocka_unit_test(test_bio_take_secret),
		cmocka_unit_test(test_private_key_files),
		cmocka_unit_test(test_x25519_pem_files),
		cmocka_unit_test(test_cert_kinds),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("x509util", tests, NULL, NULL);
}
