// SPDX-License-Identifier: GPL-2.0
/*
 * test_ima_sig - TPM mode's IMA appraisal policy against real signatures:
 * keys and certificates made with openssl, files signed with evmctl
 * (`ima_sign --sigfile`, exactly the security.ima value), IMA lists
 * built here record by record as the kernel writes them (KEY_CHECK
 * entries for the IMA keyring, ima-sig entries for files). The happy
 * path with RSA and ECDSA keys, and each refusal with its reason and the
 * detail an admin reads.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vms_compiler.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_ima_log.h"
#include "vms_ima_sig.h"
#include "vms_tpm_policy.h"

/* Keys: rsa and ec approved; rogue never; twin has rsa's keyid. */
enum { K_RSA, K_EC, K_ROGUE, K_TWIN, K_N };
static const char *const key_names[K_N] = { "rsa", "ec", "rogue", "twin" };

static char dir[64];
static uint8_t *der[K_N];
static size_t der_len[K_N];
static struct vms_ima_key key[K_N];

/* A signed file: its SHA-256 and evmctl's signature. */
struct signed_file {
	uint8_t digest[32];
	uint8_t sig[1024];
	size_t sig_len;
};

static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st)
		fail_msg("'%s' failed (%d); evmctl comes with ima-evm-utils (scripts/install-deps.sh)",
			 cmd, st);
}

static void read_file(const char *name, uint8_t **out, size_t *len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(0, vms_read_file(path, 1 << 20, out, len));
}

static int setup(void **state)
{
	static const char *const req[K_N] = {
		"-newkey rsa:2048",
		"-newkey ec -pkeyopt ec_paramgen_curve:P-256",
		"-newkey rsa:2048",
		/* another key whose SKID ends like rsa's: set below */
		"-newkey rsa:2048",
	};
	char name[32], extra[128];
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ima_sig.XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < K_N; i++) {
		extra[0] = 0;
		if (i == K_TWIN)
			snprintf(extra, sizeof(extra),
				 "-addext subjectKeyIdentifier=0102030405060708090a0b0c0d0e0f10%08x",
				 key[K_RSA].keyid);
		run("openssl req -x509 %s -nodes -keyout %s/%s.key -out %s/%s.pem -subj /CN=ima-%s -days 2 %s 2>/dev/null && openssl x509 -in %s/%s.pem -outform DER -out %s/%s.der",
		    req[i], dir, key_names[i], dir, key_names[i], key_names[i],
		    extra, dir, key_names[i], dir, key_names[i]);
		snprintf(name, sizeof(name), "%s.der", key_names[i]);
		read_file(name, &der[i], &der_len[i]);
		assert_int_equal(0, vms_ima_key_from_der(der[i], der_len[i],
							 &key[i]));
	}
	assert_int_equal(key[K_TWIN].keyid, key[K_RSA].keyid);
	assert_string_equal("RSA", key[K_RSA].type);
	assert_string_equal("EC", key[K_EC].type);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < K_N; i++) {
		vms_ima_key_free(&key[i]);
		free(der[i]);
	}
	run("rm -rf %s", dir);
	return 0;
}

/* Write @content to a file, sign it with evmctl using key @k. */
static void sign_file(int k, const char *content, const char *hashalgo,
		      struct signed_file *sf)
{
	static int n;
	char path[128], name[64];
	uint8_t *sig;
	size_t len;
	FILE *f;

	snprintf(name, sizeof(name), "file%d", n++);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	run("evmctl ima_sign --hashalgo %s --key %s/%s.key --sigfile %s >/dev/null 2>&1",
	    hashalgo, dir, key_names[k], path);
	strcat(name, ".sig");
	read_file(name, &sig, &len);
	assert_true(len <= sizeof(sf->sig));
	memcpy(sf->sig, sig, len);
	sf->sig_len = len;
	free(sig);
	EVP_Digest(content, strlen(content), sf->digest, NULL, EVP_sha256(),
		   NULL);
}

/* An IMA list, built record by record (little-endian, as on our hosts). */
struct list {
	uint8_t b[32768];
	size_t len;
};

static void put(uint8_t *b, size_t *o, const void *p, size_t n)
{
	uint32_t u = (uint32_t)n;

	memcpy(b + *o, &u, 4);
	if (n)	/* an empty field may come as NULL: memcpy wants a pointer */
		memcpy(b + *o + 4, p, n);
	*o += 4 + n;
}

/*
 * One record: template @tmpl (ima-ng, ima-buf, ima-sig), d-ng
 * "@algo:" NUL @digest, n-ng @name, then @third (buf or sig) unless
 * ima-ng.
 */
static void add(struct list *l, const char *tmpl, const char *algo,
		const uint8_t *digest, size_t dlen, const char *name,
		const void *third, size_t tlen)
{
	uint8_t data[4096], dng[80];
	size_t n = 0, alen = strlen(algo), o = l->len;
	uint32_t pcr = VMS_IMA_PCR;

	memcpy(dng, algo, alen);
	dng[alen] = ':';
	dng[alen + 1] = 0;
	memcpy(dng + alen + 2, digest, dlen);
	put(data, &n, dng, alen + 2 + dlen);
	put(data, &n, name, strlen(name) + 1);
	if (strcmp(tmpl, "ima-ng"))
		put(data, &n, third, tlen);
	assert_true(o + 32 + strlen(tmpl) + n <= sizeof(l->b));
	memcpy(l->b + o, &pcr, 4);
	EVP_Digest(data, n, l->b + o + 4, NULL, EVP_sha1(), NULL);
	o += 24;
	{
		uint32_t u = (uint32_t)strlen(tmpl);

		memcpy(l->b + o, &u, 4);
		memcpy(l->b + o + 4, tmpl, u);
		o += 4 + u;
	}
	put(l->b, &o, data, n);
	l->len = o;
}

/* A KEY_CHECK entry: key @k loaded into @keyring. */
static void add_key(struct list *l, int k, const char *keyring)
{
	uint8_t d[32];

	EVP_Digest(der[k], der_len[k], d, NULL, EVP_sha256(), NULL);
	add(l, "ima-buf", "sha256", d, 32, keyring, der[k], der_len[k]);
}

static void add_file(struct list *l, const char *name,
		     const struct signed_file *sf)
{
	add(l, "ima-sig", "sha256", sf->digest, 32, name, sf->sig,
	    sf->sig_len);
}

/* The start every host's list has: boot_aggregate (not a file). */
static void add_boot(struct list *l)
{
	uint8_t z[32] = { 0 };

	l->len = 0;
	add(l, "ima-sig", "sha256", z, 32, "boot_aggregate", NULL, 0);
}

/* Evaluate the appraisal policy with the keys @approved (a K_N mask). */
static enum vms_hgs_reason evaluate(const struct list *l, unsigned int approved,
				    size_t drop_last, char *detail)
{
	struct vms_isolation_report r = { .lockdown = 2 };
	struct vms_tpm_policy p = { .require_ima_appraisal = 1 };
	struct vms_ima_key set[K_N];
	struct vms_ima_log log;
	enum vms_hgs_reason ret;
	size_t n = 0;
	int i;

	for (i = 0; i < K_N; i++)
		if (approved & 1u << i)
			set[n++] = key[i];
	p.ima_keys = set;
	p.n_ima_keys = n;
	assert_int_equal(0, vms_ima_log_parse(l->b, l->len, &log));
	assert_true(log.n > drop_last);
	ret = vms_tpm_policy_evaluate(&p, &r, &log, log.n - drop_last, NULL,
				      detail);
	vms_ima_log_free(&log);
	return ret;
}

#define APPROVED (1u << K_RSA | 1u << K_EC)

static void evmctl_signatures_verify(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a, b, c;
	struct list l;

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	sign_file(K_EC, "qemu binary\n", "sha256", &b);
	sign_file(K_RSA, "vmshield.ko\n", "sha256", &c);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_key(&l, K_EC, ".ima");	/* a trusted IMA keyring's name */
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	add_file(&l, "/usr/bin/qemu-system-x86_64", &b);
	add_file(&l, "/lib/modules/6.1.0/extra/vmshield.ko", &c);
	assert_int_equal(HGS_PASSED, evaluate(&l, APPROVED, 0, detail));
	/* another approved key with the same keyid is tried and skipped */
	add_boot(&l);
	add_key(&l, K_TWIN, "_ima");
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_PASSED,
			 evaluate(&l, 1u << K_TWIN | 1u << K_RSA, 0, detail));
}

static void unapproved_key_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX], hex[65], kid[16];
	struct signed_file a;
	uint8_t fpr[32];
	struct list l;

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_key(&l, K_ROGUE, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_KEY_NOT_APPROVED,
			 evaluate(&l, APPROVED, 0, detail));
	EVP_Digest(der[K_ROGUE], der_len[K_ROGUE], fpr, NULL, EVP_sha256(),
		   NULL);
	vms_hex_encode(fpr, 32, hex);
	snprintf(kid, sizeof(kid), "keyid %08x", key[K_ROGUE].keyid);
	assert_non_null(strstr(detail, "IMA entry 2: keyring _ima"));
	assert_non_null(strstr(detail, hex));
	assert_non_null(strstr(detail, kid));
	assert_string_equal("PolicyImaKeyNotApproved",
			    vms_hgs_reason_name(HGS_R_POLICY_IMA_KEY_NOT_APPROVED));
	/* a loaded key that is not even a certificate is named too */
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	{
		uint8_t junk[40], d[32];

		memset(junk, 0x30, sizeof(junk));
		EVP_Digest(junk, sizeof(junk), d, NULL, EVP_sha256(), NULL);
		add(&l, "ima-buf", "sha256", d, 32, ".ima", junk, sizeof(junk));
	}
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_KEY_NOT_APPROVED,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail, "not an X.509 certificate"));
	/* a key loaded after the quote is not evidence: ignored */
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	add_key(&l, K_ROGUE, "_ima");
	assert_int_equal(HGS_PASSED, evaluate(&l, APPROVED, 1, detail));
}

static void no_approved_key_loaded_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a;
	struct list l;

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	add_boot(&l);
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail,
		"no approved IMA key was loaded into the IMA keyring"));
	/* no approved key at all: fails closed, whatever the list shows */
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, 0, 0, detail));
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_KEY_NOT_APPROVED,
			 evaluate(&l, 0, 0, detail));
	/* a key loaded into another keyring is not an IMA key */
	add_boot(&l);
	{
		uint8_t d[32];

		EVP_Digest(der[K_RSA], der_len[K_RSA], d, NULL, EVP_sha256(),
			   NULL);
		add(&l, "ima-buf", "sha256", d, 32, ".builtin_trusted_keys",
		    der[K_RSA], der_len[K_RSA]);
	}
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail, "no approved IMA key was loaded"));
	/* keys but no measured file: nothing was shown appraised */
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail, "no measured files"));
}

static void unsigned_file_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a;
	struct list l;

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	add(&l, "ima-sig", "sha256", a.digest, 32, "/tmp/evil", NULL, 0);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_string_equal("IMA entry 3: /tmp/evil carries no IMA signature",
			    detail);
	/* ima-ng records no signature at all */
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add(&l, "ima-ng", "sha256", a.digest, 32, "/tmp/evil\x01", NULL, 0);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_string_equal("IMA entry 2: /tmp/evil? carries no IMA signature",
			    detail);
}

static void signer_not_loaded_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX], want[128];
	struct signed_file b;
	struct list l;

	(void)state;
	/* signed by an approved key the host never loaded */
	sign_file(K_EC, "qemu binary\n", "sha256", &b);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/bin/qemu-system-x86_64", &b);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	snprintf(want, sizeof(want),
		 "IMA entry 2: /usr/bin/qemu-system-x86_64 is signed by keyid %08x, which the list does not show loaded",
		 key[K_EC].keyid);
	assert_memory_equal(want, detail, strlen(want));
}

static void tampered_signature_or_digest_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a, bad;
	struct list l;
	int k;

	(void)state;
	for (k = K_RSA; k <= K_EC; k++) {
		sign_file(k, "worker binary\n", "sha256", &a);
		/* one bit of the signature */
		bad = a;
		bad.sig[bad.sig_len - 5] ^= 0x10;
		add_boot(&l);
		add_key(&l, k, "_ima");
		add_file(&l, "/usr/lib/vmshield/worker", &bad);
		assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
				 evaluate(&l, APPROVED, 0, detail));
		assert_non_null(strstr(detail, "/usr/lib/vmshield/worker has a signature by keyid"));
		assert_non_null(strstr(detail, "that does not verify"));
		/* one bit of the file digest: another file's content */
		bad = a;
		bad.digest[7] ^= 0x01;
		add_boot(&l);
		add_key(&l, k, "_ima");
		add_file(&l, "/usr/lib/vmshield/worker", &bad);
		assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
				 evaluate(&l, APPROVED, 0, detail));
		assert_non_null(strstr(detail, "that does not verify"));
	}
}

static void malformed_signature_refused(void **state)
{
	static const struct { size_t off; uint8_t xor; } flips[] = {
		{ 0, 0x07 },	/* type 4: a digest, not a signature */
		{ 1, 0x03 },	/* version 1 */
		{ 8, 0x01 },	/* sig_size one more than the bytes */
		{ 7, 0x01 },	/* sig_size 256 bytes more */
	};
	char detail[VMS_POLICY_DETAIL_MAX];
	struct vms_ima_sig s;
	struct signed_file a, bad;
	struct list l;
	size_t i;

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	assert_int_equal(0, vms_ima_sig_parse(a.sig, a.sig_len, &s));
	assert_int_equal(key[K_RSA].keyid, s.keyid);
	assert_int_equal(a.sig_len - VMS_IMA_SIG_HDR_LEN, s.sig_len);
	for (i = 0; i < ARRAY_SIZE(flips); i++) {
		bad = a;
		bad.sig[flips[i].off] ^= flips[i].xor;
		assert_int_equal(-EBADMSG,
				 vms_ima_sig_parse(bad.sig, bad.sig_len, &s));
		add_boot(&l);
		add_key(&l, K_RSA, "_ima");
		add_file(&l, "/usr/lib/vmshield/worker", &bad);
		assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
				 evaluate(&l, APPROVED, 0, detail));
		assert_non_null(strstr(detail, "malformed signature"));
	}
	/* a trailing byte, a bare header, a truncated header */
	bad = a;
	bad.sig[bad.sig_len++] = 0;
	assert_int_equal(-EBADMSG, vms_ima_sig_parse(bad.sig, bad.sig_len, &s));
	assert_int_equal(-EBADMSG, vms_ima_sig_parse(a.sig, 9, &s));
	assert_int_equal(-EBADMSG, vms_ima_sig_parse(a.sig, 5, &s));
}

static void key_entry_digest_mismatch_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a;
	struct list l;
	uint8_t d[32];

	(void)state;
	sign_file(K_RSA, "worker binary\n", "sha256", &a);
	EVP_Digest(der[K_ROGUE], der_len[K_ROGUE], d, NULL, EVP_sha256(),
		   NULL);
	add_boot(&l);
	/* the digest of one key, the buffer of another */
	add(&l, "ima-buf", "sha256", d, 32, "_ima", der[K_RSA], der_len[K_RSA]);
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_IMA_LOG_MALFORMED,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail,
		"IMA entry 1: keyring _ima: the entry's digest is not the SHA-256"));
}

static void sha1_refused(void **state)
{
	char detail[VMS_POLICY_DETAIL_MAX];
	struct signed_file a;
	struct vms_ima_sig s;
	uint8_t d1[20];
	struct list l;

	(void)state;
	/* a sha1 signature (hash_algo 2) of a file measured with sha256 */
	sign_file(K_RSA, "worker binary\n", "sha1", &a);
	assert_int_equal(-ENOTSUP, vms_ima_sig_parse(a.sig, a.sig_len, &s));
	assert_int_equal(2, s.hash_algo);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add_file(&l, "/usr/lib/vmshield/worker", &a);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail, "is signed over sha1; only sha256 is accepted"));
	/* a file measured with sha1 (ima_hash=sha1) */
	EVP_Digest("worker binary\n", 14, d1, NULL, EVP_sha1(), NULL);
	add_boot(&l);
	add_key(&l, K_RSA, "_ima");
	add(&l, "ima-sig", "sha1", d1, 20, "/usr/lib/vmshield/worker", a.sig,
	    a.sig_len);
	assert_int_equal(HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN,
			 evaluate(&l, APPROVED, 0, detail));
	assert_non_null(strstr(detail, "is measured with sha1"));
}

static void key_certificates_checked(void **state)
{
	struct vms_ima_key k;
	uint8_t *d, junk[8] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	size_t len;

	(void)state;
	assert_int_equal(-EBADMSG, vms_ima_key_from_der(junk, sizeof(junk), &k));
	assert_null(k.pkey);
	/* trailing bytes after the certificate */
	d = t_malloc(der_len[K_RSA] + 1);
	memcpy(d, der[K_RSA], der_len[K_RSA]);
	d[der_len[K_RSA]] = 0;
	assert_int_equal(-EBADMSG, vms_ima_key_from_der(d, der_len[K_RSA] + 1, &k));
	free(d);
	/* no subjectKeyIdentifier: the kernel could not name it */
	run("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/noskid.key -out %s/noskid.der -outform DER -subj /CN=noskid -days 2 -addext subjectKeyIdentifier=none 2>/dev/null",
	    dir, dir);
	read_file("noskid.der", &d, &len);
	assert_int_equal(-ENOKEY, vms_ima_key_from_der(d, len, &k));
	free(d);
	/* Ed25519: not a key type IMA signs with */
	run("openssl req -x509 -newkey ed25519 -nodes -keyout %s/ed.key -out %s/ed.der -outform DER -subj /CN=ed -days 2 2>/dev/null",
	    dir, dir);
	read_file("ed.der", &d, &len);
	assert_int_equal(-ENOTSUP, vms_ima_key_from_der(d, len, &k));
	assert_null(k.pkey);
	free(d);
}

/* Approval takes RSA >= 2048 and EC on P-256 or P-384 only. */
static void key_strength_checked(void **state)
{
	static const struct {
		const char *newkey, *why;	/* why: NULL if strong enough */
	} c[] = {
		{ "rsa:1024", "an RSA key of 1024 bits" },
		{ "rsa:3072", NULL },
		{ "ec -pkeyopt ec_paramgen_curve:P-192", "an EC key on prime192v1" },
		{ "ec -pkeyopt ec_paramgen_curve:secp256k1", "an EC key on secp256k1" },
		{ "ec -pkeyopt ec_paramgen_curve:P-384", NULL },
	};
	struct vms_ima_key k;
	char why[80];
	uint8_t *d;
	size_t i, len;

	(void)state;
	why[0] = 0;
	assert_int_equal(0, vms_ima_key_strong_enough(&key[K_RSA], why, sizeof(why)));
	assert_int_equal(0, vms_ima_key_strong_enough(&key[K_EC], why, sizeof(why)));
	assert_string_equal("", why);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		run("openssl req -x509 -newkey %s -nodes -keyout %s/k%zu.key -out %s/k%zu.der -outform DER -subj /CN=k -days 2 2>/dev/null",
		    c[i].newkey, dir, i, dir, i);
		snprintf(why, sizeof(why), "k%zu.der", i);
		read_file(why, &d, &len);
		assert_int_equal(0, vms_ima_key_from_der(d, len, &k));
		why[0] = 0;
		if (c[i].why) {
			assert_int_equal(-EKEYREJECTED,
					 vms_ima_key_strong_enough(&k, why, sizeof(why)));
			assert_string_equal(c[i].why, why);
		} else {
			assert_int_equal(0, vms_ima_key_strong_enough(&k, why, sizeof(why)));
		}
		vms_ima_key_free(&k);
		free(d);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evmctl_signatures_verify),
		cmocka_unit_test(unapproved_key_refused),
		cmocka_unit_test(no_approved_key_loaded_refused),
		cmocka_unit_test(unsigned_file_refused),
		cmocka_unit_test(signer_not_loaded_refused),
		cmocka_unit_test(tampered_signature_or_digest_refused),
		cmocka_unit_test(malformed_signature_refused),
		cmocka_unit_test(key_entry_digest_mismatch_refused),
		cmocka_unit_test(sha1_refused),
		cmocka_unit_test(key_certificates_checked),
		cmocka_unit_test(key_strength_checked),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, setup, teardown);
}
