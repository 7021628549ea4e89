// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgslib.c - the HGS protocol library: strict base64, isolation
 * report parsing, host-key attestation signatures, health certificates,
 * guardians and key protectors (create, unwrap, tamper, grant, revoke).
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <linux/vmshield.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include "keyrelease.h"
#include "vms_b64.h"
#include "vms_ecdsa.h"
#include "vms_cleanup_ssl.h"
#include "vms_enclave_report.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_hgs_reason.h"
#include "vms_kp.h"
#include "vms_oids.h"
#include "vms_x509.h"

static void test_b64(void **state)
{
	static const char *const bad[] = { "A", "AB=", "A===", "AB C", "AB\nC",
					   "ABC=D===", "AB==AB==", "AF==", "ABD=" };
	const uint8_t in[5] = { 0xfb, 0xff, 0x00, 0x01, 0x02 };
	uint8_t *out;
	size_t n, i, len;
	char *s;

	(void)state;
	for (len = 0; len <= 5; len++) {
		s = vms_b64_encode(in, len);
		assert_non_null(s);
		assert_int_equal(strlen(s), vms_b64_encoded_len(len));
		assert_int_equal(vms_b64_decode(s, strlen(s), 5, &out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		free(out);
		free(s);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(vms_b64_decode(bad[i], strlen(bad[i]), 100,
						&out, &n), -EINVAL);
	assert_int_equal(vms_b64_decode("AAAAAAAA", 8, 5, &out, &n), -EMSGSIZE);
}

/* The report itself is tested in test_report.c; here it is what is signed. */
static const char report_locked[] =
	"vmshield-report v2 placement=kernel level=kernel-locked lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=0101010101010101010101010101010101010101010101010101010101010101 kps_pk=none";

static void attest_roundtrip(EVP_PKEY *k)
{
	uint8_t nonce[32], pk[32], *sig;
	size_t siglen;

	t_random(nonce, sizeof(nonce));
	t_random(pk, sizeof(pk));
	assert_int_equal(vms_attest_sign(k, nonce, pk, report_locked,
					 strlen(report_locked), &sig, &siglen), 0);
	assert_int_equal(vms_attest_verify(k, nonce, pk, report_locked,
					   strlen(report_locked), sig, siglen), 0);
	nonce[0] ^= 1;
	assert_int_equal(vms_attest_verify(k, nonce, pk, report_locked,
					   strlen(report_locked), sig, siglen), -EBADMSG);
	nonce[0] ^= 1;
	pk[31] ^= 0x80;
	assert_int_equal(vms_attest_verify(k, nonce, pk, report_locked,
					   strlen(report_locked), sig, siglen), -EBADMSG);
	free(sig);
}

static void test_attest_sig(void **state)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ed = vms_pkey_gen_ed25519();
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ec = vms_pkey_gen_p256();
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

	(void)state;
	assert_true(vms_pkey_is_host_key_type(ed));
	assert_true(vms_pkey_is_host_key_type(ec));
	assert_false(vms_pkey_is_host_key_type(ec384));
	attest_roundtrip(ed);
	attest_roundtrip(ec);
}

/* The same signature with S := n - S (P-256's n): verifies in plain ECDSA. */
static void high_s_twin(const uint8_t *sig, size_t len, uint8_t **out, size_t *outlen)
{
	const unsigned char *p = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *r2, *s2 = BN_new();
	unsigned char *der = NULL;
	int dlen;

	assert_non_null(s);
	assert_non_null(grp);
	r2 = BN_dup(ECDSA_SIG_get0_r(s));
	assert_true(BN_sub(s2, EC_GROUP_get0_order(grp), ECDSA_SIG_get0_s(s)));
	assert_true(ECDSA_SIG_set0(s, r2, s2));
	dlen = i2d_ECDSA_SIG(s, &der);
	assert_true(dlen > 0);
	*out = malloc((size_t)dlen);
	memcpy(*out, der, (size_t)dlen);
	*outlen = (size_t)dlen;
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	EC_GROUP_free(grp);
}

/*
 * Issue 17 item 8: ECDSA host-key signatures have one form. 32 P-256
 * signatures (about half would have a high S unnormalised) all verify;
 * the high-S twin of each, valid plain ECDSA, is refused.
 */
static void test_attest_sig_low_s(void **state)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	uint8_t nonce[VMS_NONCE_LEN], pk[32], *sig, *twin;
	size_t slen, tlen;
	int i;

	(void)state;
	assert_non_null(k);
	t_random(nonce, sizeof(nonce));
	t_random(pk, sizeof(pk));
	for (i = 0; i < 32; i++) {
		assert_int_equal(vms_attest_sign(k, nonce, pk, report_locked,
						 strlen(report_locked), &sig, &slen), 0);
		assert_int_equal(vms_ecdsa_check_low_s(k, sig, slen), 0);
		assert_int_equal(vms_attest_verify(k, nonce, pk, report_locked,
						   strlen(report_locked), sig, slen), 0);
		high_s_twin(sig, slen, &twin, &tlen);
		assert_int_equal(vms_attest_verify(k, nonce, pk, report_locked,
						   strlen(report_locked), twin, tlen), -EBADMSG);
		free(twin);
		free(sig);
	}
}

static void test_health_cert(void **state)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *sk = vms_pkey_gen_p256();
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *sk2 = vms_pkey_gen_p256();
	_cleanup_(X509_freep) X509 *signer = NULL, *other = NULL, *c = NULL;
	struct vms_health_cert_info in = { 0 }, out;
	time_t now = time(NULL);

	(void)state;
	signer = vms_cert_self_signed(sk, "signer", 10, VMS_CERT_CA);
	other = vms_cert_self_signed(sk2, "signer", 10, VMS_CERT_CA);
	assert_non_null(signer);
	strcpy(in.host, "host01");
	strcpy(in.mode, VMS_HC_MODE_HOST_KEY);
	strcpy(in.binding, VMS_HC_BINDING_HOST_KEY);
	strcpy(in.policies, "registered-host,nonce-fresh");
	strcpy(in.facts, "lockdown=none");
	strcpy(in.host_key_fpr, "ab");
	in.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	t_random(in.enclave_pk, 32);
	in.issued = now;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 28800, 600, &c), 0);
	assert_int_equal(vms_health_cert_parse(c, &out), 0);
	assert_string_equal(out.host, "host01");
	assert_string_equal(out.mode, "host-key");
	assert_string_equal(out.policies, in.policies);
	assert_int_equal(out.level, VMSHIELD_ISOLATION_KERNEL_OPEN);
	assert_memory_equal(out.enclave_pk, in.enclave_pk, 32);
	assert_int_equal(out.issued, now);
	assert_int_equal(out.not_after, now + 28800 + 600);
	assert_int_equal(out.not_before, now - 600);
	assert_int_equal(vms_health_cert_verify(c, signer, now), 0);
	assert_int_equal(vms_health_cert_verify(c, other, now), -EKEYREJECTED);
	assert_int_equal(vms_health_cert_verify(c, signer, now + 28800 + 601), -EKEYEXPIRED);
	assert_int_equal(vms_health_cert_verify(c, signer, now - 601), -EKEYEXPIRED);
	/* A signer certificate is not a health certificate. */
	assert_int_equal(vms_health_cert_parse(signer, &out), -EINVAL);
	strcpy(in.host, "bad/name");
	X509_free(c);
	c = NULL;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 28800, 600, &c), -EINVAL);
	assert_null(c);
}

/* @c without the extensions named in @oids (NULL-terminated), re-signed. */
static void drop_exts(X509 *c, EVP_PKEY *sk, const char *const *oids)
{
	for (; *oids; oids++) {
		ASN1_OBJECT *o = OBJ_txt2obj(*oids, 1);
		int i;

		i = X509_get_ext_by_OBJ(c, o, -1);
		assert_true(i >= 0);
		X509_EXTENSION_free(X509_delete_ext(c, i));
		ASN1_OBJECT_free(o);
	}
	assert_true(X509_sign(c, sk, EVP_sha256()) > 0);
}

/* Placement and platform: issued, read back, refused when they disagree. */
static void test_health_cert_placement(void **state)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *sk = vms_pkey_gen_p256();
	_cleanup_(X509_freep) X509 *signer = NULL;
	static const char *const both[] = { VMS_OID_HC_PLACEMENT, VMS_OID_HC_PLATFORM, NULL };
	static const char *const one[] = { VMS_OID_HC_PLATFORM, NULL };
	struct vms_health_cert_info in = { 0 }, out;
	X509 *c = NULL;

	(void)state;
	signer = vms_cert_self_signed(sk, "signer", 10, VMS_CERT_CA);
	assert_non_null(signer);
	strcpy(in.host, "hv01");
	strcpy(in.mode, VMS_HC_MODE_HOST_KEY);
	strcpy(in.binding, VMS_HC_BINDING_HOST_KEY);
	strcpy(in.policies, "p");
	strcpy(in.facts, "placement=hypervisor platform=emulated");
	strcpy(in.host_key_fpr, "ab");
	t_random(in.enclave_pk, 32);
	in.issued = time(NULL);
	in.level = VMSHIELD_ISOLATION_HYPERVISOR;
	in.placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	in.platform = VMS_PLATFORM_EMULATED;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), 0);
	assert_int_equal(vms_health_cert_parse(c, &out), 0);
	assert_int_equal(out.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_int_equal(out.platform, VMS_PLATFORM_EMULATED);
	assert_int_equal(out.level, VMSHIELD_ISOLATION_HYPERVISOR);
	/* without both extensions a hypervisor-level certificate is refused */
	drop_exts(c, sk, both);
	assert_int_equal(vms_health_cert_parse(c, &out), -EINVAL);
	X509_free(c);
	c = NULL;
	/* what does not go together is not issued */
	in.platform = VMS_PLATFORM_NONE;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), -EINVAL);
	in.platform = VMS_PLATFORM_EMULATED;
	in.placement = VMSHIELD_PLACEMENT_KERNEL;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), -EINVAL);
	in.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), -EINVAL);
	in.platform = VMS_PLATFORM__MAX;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), -EINVAL);
	in.placement = 7;
	in.platform = VMS_PLATFORM_NONE;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), -EINVAL);
	assert_null(c);
	/* the hypervisor placement on a host whose kernel is not locked */
	in.placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	in.platform = VMS_PLATFORM_EMULATED;
	in.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), 0);
	assert_int_equal(vms_health_cert_parse(c, &out), 0);
	assert_int_equal(out.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_int_equal(out.level, VMSHIELD_ISOLATION_KERNEL_OPEN);
	X509_free(c);
	c = NULL;
	in.platform = VMS_PLATFORM_NONE;
	/* kernel placement (0 = unset is kernel): read back as kernel, none */
	in.placement = 0;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), 0);
	assert_int_equal(vms_health_cert_parse(c, &out), 0);
	assert_int_equal(out.placement, VMSHIELD_PLACEMENT_KERNEL);
	assert_int_equal(out.platform, VMS_PLATFORM_NONE);
	/* one of the two alone is refused; neither (an older certificate) is kernel */
	drop_exts(c, sk, one);
	assert_int_equal(vms_health_cert_parse(c, &out), -EINVAL);
	X509_free(c);
	c = NULL;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 600, 60, &c), 0);
	drop_exts(c, sk, both);
	assert_int_equal(vms_health_cert_parse(c, &out), 0);
	assert_int_equal(out.placement, VMSHIELD_PLACEMENT_KERNEL);
	X509_free(c);
}

static const uint8_t vm[16] = "VM-0123456789ab", kid[16] = "KEY-0123456789a";

struct kpfix {
	struct vms_guardian owner, hgs, other;
	uint8_t tk[32];
	uint8_t *kp;
	size_t len;
};

static int kp_setup(void **state)
{
	struct kpfix *f = t_malloc(sizeof(*f));

	memset(f, 0, sizeof(*f));
	assert_int_equal(vms_guardian_new("owner", 30, &f->owner), 0);
	assert_int_equal(vms_guardian_new("hgs", 30, &f->hgs), 0);
	assert_int_equal(vms_guardian_new("other", 30, &f->other), 0);
	t_random(f->tk, 32);
	assert_int_equal(vms_kp_create(&f->owner, &f->hgs.enc_cert, 1, vm, kid,
				       VMS_KR_POLICY_SHIELDED, f->tk, &f->kp,
				       &f->len), 0);
	*state = f;
	return 0;
}

static int kp_teardown(void **state)
{
	struct kpfix *f = *state;

	vms_guardian_free(&f->owner);
	vms_guardian_free(&f->hgs);
	vms_guardian_free(&f->other);
	free(f->kp);
	free(f);
	return 0;
}

static void test_kp_unwrap(void **state)
{
	struct kpfix *f = *state;
	struct vms_kp_info info;
	uint8_t tk[32];

	assert_int_equal(vms_kp_verify(f->kp, f->len, &info), 0);
	assert_memory_equal(info.vm_id, vm, 16);
	assert_memory_equal(info.key_id, kid, 16);
	assert_int_equal(info.policy, VMS_KR_POLICY_SHIELDED);
	assert_string_equal(info.owner, "owner");
	assert_int_equal(info.n_recipients, 2);
	assert_int_equal(vms_kp_unwrap(f->kp, f->len, &f->hgs, &info, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	assert_int_equal(vms_kp_unwrap(f->kp, f->len, &f->owner, &info, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	memset(tk, PATTERN, 32);
	assert_int_equal(vms_kp_unwrap(f->kp, f->len, &f->other, &info, tk), -ENOKEY);
	assert_true(t_all(tk, 32, PATTERN));
}

static void test_kp_envelope_halves(void **state)
{
	struct kpfix *f = *state;
	const struct vms_guardian *gs[2] = { &f->other, &f->hgs };
	struct vms_kp_info info;
	uint8_t *env, tk[32];
	size_t len;

	assert_int_equal(vms_kp_verify_envelope(f->kp, f->len, &info, &env, &len), 0);
	assert_int_equal(info.policy, VMS_KR_POLICY_SHIELDED);
	assert_int_equal(vms_kp_unwrap_envelope(env, len, gs, 2, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	assert_int_equal(vms_kp_unwrap_envelope(env, len, gs, 1, tk), -ENOKEY);
	assert_int_equal(vms_kp_unwrap_envelope(env, len / 2, gs, 2, tk), -EINVAL);
	free(env);
	/* a tampered KP yields no envelope */
	f->kp[f->len - 1] ^= 1;
	assert_int_equal(vms_kp_verify_envelope(f->kp, f->len, &info, &env, &len), -EBADMSG);
	assert_null(env);
	f->kp[f->len - 1] ^= 1;
}

/* One parse: verify, unwrap and hand back the envelope the halves use. */
static void test_kp_unwrap_any_env(void **state)
{
	struct kpfix *f = *state;
	const struct vms_guardian *gs[2] = { &f->other, &f->hgs };
	struct vms_kp_info info;
	uint8_t *env, *env2, tk[32];
	size_t len, len2;

	assert_int_equal(vms_kp_unwrap_any_env(f->kp, f->len, gs, 2, &info, tk, &env, &len), 0);
	assert_memory_equal(tk, f->tk, 32);
	assert_memory_equal(info.vm_id, vm, 16);
	/* the same bytes vms_kp_verify_envelope() gives, and they open alike */
	assert_int_equal(vms_kp_verify_envelope(f->kp, f->len, &info, &env2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(env, env2, len);
	memset(tk, PATTERN, 32);
	assert_int_equal(vms_kp_unwrap_envelope(env, len, gs, 2, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	free(env);
	free(env2);
	/* verified but not for these guardians: -ENOKEY, envelope still given */
	memset(tk, PATTERN, 32);
	assert_int_equal(vms_kp_unwrap_any_env(f->kp, f->len, gs, 1, &info, tk, &env, &len),
			 -ENOKEY);
	assert_non_null(env);
	assert_true(t_all(tk, 32, PATTERN));
	free(env);
	/* tampered: no envelope, no key */
	f->kp[f->len - 1] ^= 1;
	assert_int_equal(vms_kp_unwrap_any_env(f->kp, f->len, gs, 2, &info, tk, &env, &len),
			 -EBADMSG);
	assert_null(env);
	assert_true(t_all(tk, 32, PATTERN));
	f->kp[f->len - 1] ^= 1;
	/* truncated: malformed */
	assert_int_equal(vms_kp_unwrap_any_env(f->kp, f->len / 2, gs, 2, &info, tk, &env, &len),
			 -EINVAL);
	assert_null(env);
}

/*
 * The envelope is AuthEnvelopedData (AES-256-GCM) with the SHA-256 X9.63
 * KDF, and the owner's signature carries no SMIMECapabilities (which
 * would advertise des-cbc and rc2-40); a flipped bit in the GCM tag is
 * refused and writes nothing.
 */
static void test_kp_envelope_format(void **state)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *e = NULL;
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *sd = NULL;
	struct kpfix *f = *state;
	const struct vms_guardian *gs[1] = { &f->hgs };
	STACK_OF(CMS_RecipientInfo) *ris;
	CMS_RecipientInfo *ri;
	struct vms_kp_info info;
	X509_ALGOR *alg = NULL;
	const unsigned char *p;
	uint8_t *env, tk[32];
	size_t len;

	assert_int_equal(vms_kp_verify_envelope(f->kp, f->len, &info, &env, &len), 0);
	p = env;
	e = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	assert_non_null(e);
	assert_int_equal(OBJ_obj2nid(CMS_get0_type(e)), NID_id_smime_ct_authEnvelopedData);
	ris = CMS_get0_RecipientInfos(e);
	assert_int_equal(sk_CMS_RecipientInfo_num(ris), 2);
	ri = sk_CMS_RecipientInfo_value(ris, 0);
	assert_int_equal(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_AGREE);
	assert_int_equal(CMS_RecipientInfo_kari_get0_alg(ri, &alg, NULL), 1);
	assert_int_equal(OBJ_obj2nid(alg->algorithm), NID_dhSinglePass_stdDH_sha256kdf_scheme);
	/* no SMIMECapabilities among the owner's signed attributes */
	p = f->kp;
	sd = d2i_CMS_ContentInfo(NULL, &p, (long)f->len);
	assert_non_null(sd);
	assert_int_equal(CMS_signed_get_attr_by_NID(
		sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(sd), 0), NID_SMIMECapabilities, -1),
		-1);
	/* the tag is the envelope's last bytes: one bit flipped, nothing opens */
	env[len - 1] ^= 1;
	memset(tk, PATTERN, 32);
	assert_int_not_equal(vms_kp_unwrap_envelope(env, len, gs, 1, tk), 0);
	assert_true(t_all(tk, 32, PATTERN));
	env[len - 1] ^= 1;
	assert_int_equal(vms_kp_unwrap_envelope(env, len, gs, 1, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	free(env);
}

/*
 * data/kp/NAME next to the sources, found from the test binary's place
 * (build/tests/ or, sanitized, build/asan/tests/).
 */
static void kp_data(const char *name, char *out, size_t len)
{
	static const char *const up[] = { "../..", "../../.." };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t i;

	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	for (i = 0; i < ARRAY_SIZE(up); i++) {
		snprintf(out, len, "%s/%s/userspace/tests/data/kp/%s", exe, up[i], name);
		if (!access(out, F_OK))
			return;
	}
	fail_msg("data/kp/%s not found above %s", name, exe);
}

/*
 * A KP made before the AuthEnvelopedData change (EnvelopedData,
 * AES-256-CBC, SHA-1 KDF; data/kp/README.md) still verifies and opens:
 * no VM loses its key.
 */
static void test_kp_legacy_envelope_read(void **state)
{
	struct vms_guardian g = { 0 };
	struct vms_kp_info info;
	char path[PATH_MAX + 64];
	uint8_t *kp, *want, tk[32];
	size_t len, wlen;

	(void)state;
	kp_data("legacy-owner.guardian", path, sizeof(path));
	assert_int_equal(vms_guardian_read(path, NULL, &g), 0);
	kp_data("legacy.kp", path, sizeof(path));
	assert_int_equal(vms_read_file(path, 1 << 16, &kp, &len), 0);
	kp_data("legacy.tk", path, sizeof(path));
	assert_int_equal(vms_read_file(path, 32, &want, &wlen), 0);
	assert_int_equal(wlen, 32);
	assert_int_equal(vms_kp_unwrap(kp, len, &g, &info, tk), 0);
	assert_memory_equal(tk, want, 32);
	assert_int_equal(info.policy, VMS_KR_POLICY_SHIELDED);
	vms_guardian_free(&g);
	free(kp);
	free(want);
}

static void test_kp_tamper(void **state)
{
	struct kpfix *f = *state;
	struct vms_kp_info info;
	uint8_t *copy = t_malloc(f->len), tk[32];
	size_t i, step = f->len / 97 + 1;
	int r, bad = 0, malformed = 0;

	/* Flip a bit at many offsets: never a TK, never a crash. */
	for (i = 0; i < f->len; i += step) {
		memcpy(copy, f->kp, f->len);
		copy[i] ^= 0x04;
		memset(tk, PATTERN, 32);
		r = vms_kp_unwrap(copy, f->len, &f->hgs, &info, tk);
		if (r == 0) {
			/* only a harmless encoding change may pass */
			assert_memory_equal(tk, f->tk, 32);
			continue;
		}
		assert_true(t_all(tk, 32, PATTERN));
		bad += r == -EBADMSG;
		malformed += r == -EINVAL;
	}
	assert_true(bad > 0);
	assert_true(malformed > 0);
	/* Truncations are malformed. */
	for (i = 0; i < f->len; i += step)
		assert_int_equal(vms_kp_verify(f->kp, i, &info), -EINVAL);
	free(copy);
}

static void test_kp_grant_revoke(void **state)
{
	struct kpfix *f = *state;
	struct vms_kp_info info;
	uint8_t *g, *rv, *x, tk[32];
	size_t glen, rvlen, xlen;
	STACK_OF(X509) *sk;

	assert_int_equal(vms_kp_grant(f->kp, f->len, &f->owner, f->other.enc_cert, NULL,
				      &g, &glen), 0);
	assert_int_equal(vms_kp_unwrap(g, glen, &f->other, &info, tk), 0);
	assert_memory_equal(tk, f->tk, 32);
	assert_int_equal(info.n_recipients, 3);
	assert_int_equal(vms_kp_recipients(g, glen, &sk), 0);
	assert_int_equal(sk_X509_num(sk), 3);
	sk_X509_pop_free(sk, X509_free);
	/* Granting twice, or by someone who is not the owner, is refused. */
	assert_int_equal(vms_kp_grant(g, glen, &f->owner, f->other.enc_cert, NULL,
				      &x, &xlen), -EEXIST);
	assert_int_equal(vms_kp_grant(f->kp, f->len, &f->hgs, f->other.enc_cert, NULL,
				      &x, &xlen), -EPERM);
	assert_int_equal(vms_kp_revoke(g, glen, &f->owner, f->hgs.enc_cert, NULL,
				       &rv, &rvlen), 0);
	assert_int_equal(vms_kp_unwrap(rv, rvlen, &f->hgs, &info, tk), -ENOKEY);
	assert_int_equal(vms_kp_unwrap(rv, rvlen, &f->other, &info, tk), 0);
	assert_int_equal(vms_kp_revoke(rv, rvlen, &f->owner, f->owner.enc_cert, NULL,
				       &x, &xlen), -EINVAL);
	assert_int_equal(vms_kp_revoke(rv, rvlen, &f->owner, f->hgs.enc_cert, NULL,
				       &x, &xlen), -ENOENT);
	free(g);
	free(rv);
	{	/* grant keeps an optional minAttestation */
		struct vms_kp_info bind = { .policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED,
					    .min_attestation = VMS_KP_ATTEST_TPM };
		uint8_t *k1, *k2;
		size_t l1, l2;

		memcpy(bind.vm_id, vm, 16);
		memcpy(bind.key_id, kid, 16);
		assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), 0);
		assert_int_equal(vms_kp_grant(k1, l1, &f->owner, f->hgs.enc_cert, NULL, &k2, &l2), 0);
		assert_int_equal(vms_kp_verify(k2, l2, &info), 0);
		assert_int_equal(info.min_attestation, VMS_KP_ATTEST_TPM);
		assert_int_equal(vms_kp_verify(f->kp, f->len, &info), 0);
		assert_int_equal(info.min_attestation, VMS_KP_ATTEST_ANY);
		free(k1);
		free(k2);
	}
}

/*
 * Grant and revoke on a KP KPS rolled (formats.md §7): the owner names
 * the HGS guardian that rolled it; the new KP holds the roll's TK and key
 * id and, owner-signed, its version, so KPS releases it as that version;
 * the next roll goes above it. Each refusal writes nothing.
 */
static void test_kp_grant_revoke_rolled(void **state)
{
	struct kpfix *f = *state;
	struct vms_kp_info info;
	uint8_t tk1[32], tk2[32], tk[32], kid1[16], kid2[16];
	uint8_t *rolled, *g, *rv, *r2, *x = NULL;
	size_t rlen, glen, rvlen, r2len, xlen;

	t_random(tk1, 32);
	t_random(tk2, 32);
	t_random(kid1, 16);
	t_random(kid2, 16);
	assert_int_equal(vms_kp_roll(f->kp, f->len, &f->hgs, kid1, 3, tk1, &rolled, &rlen), 0);
	/* without a named roll signer, or with another one: refused */
	assert_int_equal(vms_kp_grant(rolled, rlen, &f->owner, f->other.enc_cert, NULL,
				      &x, &xlen), -EOPNOTSUPP);
	assert_null(x);
	assert_int_equal(vms_kp_grant(rolled, rlen, &f->owner, f->other.enc_cert,
				      f->other.sign_cert, &x, &xlen), -EACCES);
	assert_null(x);
	assert_int_equal(vms_kp_revoke(rolled, rlen, &f->owner, f->hgs.enc_cert,
				       f->owner.sign_cert, &x, &xlen), -EACCES);
	assert_null(x);
	/* not the owner: refused before the roll is looked at */
	assert_int_equal(vms_kp_grant(rolled, rlen, &f->hgs, f->other.enc_cert,
				      f->hgs.sign_cert, &x, &xlen), -EPERM);
	assert_null(x);

	/* the owner grants: the current TK, key id and version carry over */
	assert_int_equal(vms_kp_grant(rolled, rlen, &f->owner, f->other.enc_cert,
				      f->hgs.sign_cert, &g, &glen), 0);
	assert_int_equal(vms_kp_verify(g, glen, &info), 0);
	assert_int_equal(info.tk_version, 3);
	assert_memory_equal(info.key_id, kid1, 16);
	assert_string_equal(info.roll_signer_fpr, "");
	assert_int_equal(info.n_recipients, 3);
	assert_int_equal(vms_kp_unwrap(g, glen, &f->other, &info, tk), 0);
	assert_memory_equal(tk, tk1, 32);
	assert_int_equal(vms_kp_unwrap(g, glen, &f->hgs, &info, tk), 0);
	assert_memory_equal(tk, tk1, 32);

	/* KPS rolls the owner's new KP: above its version, to all three */
	assert_int_equal(vms_kp_roll(g, glen, &f->hgs, kid2, 3, tk2, &x, &xlen), -EINVAL);
	assert_null(x);
	assert_int_equal(vms_kp_roll(g, glen, &f->hgs, kid2, 4, tk2, &r2, &r2len), 0);
	assert_int_equal(vms_kp_unwrap(r2, r2len, &f->other, &info, tk), 0);
	assert_memory_equal(tk, tk2, 32);
	assert_int_equal(info.tk_version, 4);
	assert_memory_equal(info.key_id, kid2, 16);

	/* the owner revokes the HGS guardian from the rolled KP */
	assert_int_equal(vms_kp_revoke(r2, r2len, &f->owner, f->other.enc_cert,
				       f->hgs.sign_cert, &rv, &rvlen), 0);
	assert_int_equal(vms_kp_verify(rv, rvlen, &info), 0);
	assert_int_equal(info.tk_version, 4);
	assert_memory_equal(info.key_id, kid2, 16);
	assert_int_equal(info.n_recipients, 2);
	memset(tk, PATTERN, 32);
	assert_int_equal(vms_kp_unwrap(rv, rvlen, &f->other, &info, tk), -ENOKEY);
	assert_true(t_all(tk, 32, PATTERN));
	assert_int_equal(vms_kp_unwrap(rv, rvlen, &f->hgs, &info, tk), 0);
	assert_memory_equal(tk, tk2, 32);
	/* and a second change of a KP the owner re-signed keeps the version */
	assert_int_equal(vms_kp_grant(rv, rvlen, &f->owner, f->other.enc_cert, NULL,
				      &x, &xlen), 0);
	assert_int_equal(vms_kp_verify(x, xlen, &info), 0);
	assert_int_equal(info.tk_version, 4);
	assert_memory_equal(info.key_id, kid2, 16);
	free(x);
	free(rolled);
	free(g);
	free(r2);
	free(rv);
}

/* The optional placement and platformTypes attributes: kept, checked. */
static void test_kp_placement(void **state)
{
	struct kpfix *f = *state;
	struct vms_kp_info bind = { .policy = VMS_KR_POLICY_SHIELDED,
				    .min_placement = VMS_KP_PLACEMENT_HYPERVISOR,
				    .platform_mask = 1u << VMS_PLATFORM_SEV_SNP };
	struct vms_kp_info info;
	uint8_t *k1 = NULL, *k2 = NULL;
	size_t l1, l2;

	memcpy(bind.vm_id, vm, 16);
	memcpy(bind.key_id, kid, 16);
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), 0);
	assert_int_equal(vms_kp_grant(k1, l1, &f->owner, f->hgs.enc_cert, NULL, &k2, &l2), 0);
	assert_int_equal(vms_kp_verify(k2, l2, &info), 0);
	assert_int_equal(info.min_placement, VMS_KP_PLACEMENT_HYPERVISOR);
	assert_int_equal(info.platform_mask, 1u << VMS_PLATFORM_SEV_SNP);
	free(k1);
	free(k2);
	/* a KP without them requires nothing */
	assert_int_equal(vms_kp_verify(f->kp, f->len, &info), 0);
	assert_int_equal(info.min_placement, VMS_KP_PLACEMENT_ANY);
	assert_int_equal(info.platform_mask, 0);
	/* not written: a mask alone, an unknown bit, a placement not hypervisor */
	k1 = NULL;
	bind.min_placement = 0;
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), -EINVAL);
	bind.min_placement = VMS_KP_PLACEMENT_HYPERVISOR;
	bind.platform_mask = 1u;	/* "none" is not a platform */
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), -EINVAL);
	bind.platform_mask = 0;
	bind.min_placement = 1;
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), -EINVAL);
	assert_null(k1);

	/* vtpm-in-enclave: kept through grant; only with placement hypervisor */
	bind.min_placement = VMS_KP_PLACEMENT_HYPERVISOR;
	bind.vtpm = VMS_KP_VTPM_IN_ENCLAVE;
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), 0);
	assert_int_equal(vms_kp_grant(k1, l1, &f->owner, f->hgs.enc_cert, NULL, &k2, &l2), 0);
	assert_int_equal(vms_kp_verify(k2, l2, &info), 0);
	assert_int_equal(info.vtpm, VMS_KP_VTPM_IN_ENCLAVE);
	assert_int_equal(info.min_placement, VMS_KP_PLACEMENT_HYPERVISOR);
	free(k1);
	free(k2);
	k1 = NULL;
	bind.min_placement = 0;
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), -EINVAL);
	bind.min_placement = VMS_KP_PLACEMENT_HYPERVISOR;
	bind.vtpm = 2;
	assert_int_equal(vms_kp_create_ex(&f->owner, NULL, 0, &bind, f->tk, &k1, &l1), -EINVAL);
	assert_null(k1);
}

static void test_guardian_files(void **state)
{
	char dir[] = "/tmp/vms-guardian.XXXXXX", path[64], pub[64];
	struct vms_guardian g, r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/g", dir);
	snprintf(pub, sizeof(pub), "%s/g.pub", dir);
	assert_int_equal(vms_guardian_new("tenant-a", 30, &g), 0);
	assert_int_equal(vms_guardian_write(path, &g, 1, "pw", 0), 0);
	assert_int_equal(vms_guardian_write(pub, &g, 0, NULL, 0), 0);
	assert_int_equal(vms_guardian_read(path, "pw", &r), 0);
	assert_string_equal(r.name, "tenant-a");
	assert_non_null(r.enc_key);
	assert_non_null(r.sign_key);
	assert_int_equal(X509_cmp(r.enc_cert, g.enc_cert), 0);
	vms_guardian_free(&r);
	assert_int_equal(vms_guardian_read(path, "wrong", &r), -EKEYREJECTED);
	assert_int_equal(vms_guardian_read(pub, NULL, &r), 0);
	assert_null(r.enc_key);
	vms_guardian_free(&r);
	vms_guardian_free(&g);
	unlink(path);
	unlink(pub);
	rmdir(dir);
}

static void test_reasons(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < HGS_R__MAX; i++) {
		assert_int_equal(vms_hgs_reason_from_name(vms_hgs_reason_name(i)), i);
		assert_true(vms_hgs_reason_http(i) >= 200);
		assert_non_null(vms_hgs_reason_message(i));
	}
	assert_int_equal(vms_hgs_reason_from_name("Nope"), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_attest_sig),
		cmocka_unit_test(test_attest_sig_low_s),
		cmocka_unit_test(test_health_cert),
		cmocka_unit_test_setup_teardown(test_kp_unwrap, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_envelope_halves, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_unwrap_any_env, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_tamper, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_envelope_format, kp_setup, kp_teardown),
		cmocka_unit_test(test_kp_legacy_envelope_read),
		cmocka_unit_test_setup_teardown(test_kp_grant_revoke, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_grant_revoke_rolled, kp_setup, kp_teardown),
		cmocka_unit_test_setup_teardown(test_kp_placement, kp_setup, kp_teardown),
		cmocka_unit_test(test_health_cert_placement),
		cmocka_unit_test(test_guardian_files),
		cmocka_unit_test(test_reasons),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgslib", tests, NULL, NULL);
}
