// SPDX-License-Identifier: GPL-2.0
/*
 * enclave_report.c - the enclave report: strict parse of its body, and the
 * per-platform verifiers (emulated in this build; SEV-SNP and Nitro
 * present and refusing). Format and rules: vms_enclave_report.h.
 */
#include <errno.h>
#include <string.h>

#include <linux/vmshield.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "vms_cleanup_ssl.h"
#include "vms_compiler.h"
#include "kv_body.h"
#include "vms_enclave_report.h"

/* ---- names ----------------------------------------------------------------- */

static const char *const platform_names[VMS_PLATFORM__MAX] = {
	[VMS_PLATFORM_NONE] = "none",
	[VMS_PLATFORM_EMULATED] = "emulated",
	[VMS_PLATFORM_SEV_SNP] = "sev-snp",
	[VMS_PLATFORM_NITRO] = "nitro",
};

const char *vms_platform_name(unsigned int type)
{
	return type < VMS_PLATFORM__MAX ? platform_names[type] : "unknown";
}

int vms_platform_from_name(const char *name)
{
	unsigned int i;

	for (i = VMS_PLATFORM_EMULATED; name && i < VMS_PLATFORM__MAX; i++)
		if (!strcmp(platform_names[i], name))
			return (int)i;
	return -EINVAL;
}

/* ---- the body ---------------------------------------------------------------- */

/* "kps_key=none\n", or a key that is not all zero. */
static int take_kps(struct kv_cursor *c, struct vms_enclave_report *r)
{
	struct kv_cursor peek = *c;
	uint8_t any = 0;
	size_t i;

	if (!kv_word(&peek, "kps_key", "none")) {
		*c = peek;
		return 0;
	}
	if (kv_hex(c, "kps_key", r->kps_key, sizeof(r->kps_key)))
		return -EINVAL;
	for (i = 0; i < sizeof(r->kps_key); i++)
		any |= r->kps_key[i];
	r->kps_set = 1;
	return any ? 0 : -EINVAL;
}

static int take_platform(struct kv_cursor *c, unsigned int *type)
{
	const char *v;
	size_t vlen;
	unsigned int i;

	if (kv_line(c, "platform", &v, &vlen))
		return -EINVAL;
	for (i = VMS_PLATFORM_EMULATED; i < VMS_PLATFORM__MAX; i++) {
		if (vlen == strlen(platform_names[i]) && !memcmp(v, platform_names[i], vlen)) {
			*type = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The first line: the magic, the version; -EILSEQ / -EPROTONOSUPPORT / -EINVAL. */
static int take_header(struct kv_cursor *c)
{
	static const char head[] = VMS_ER_MAGIC " v";
	size_t n = sizeof(head) - 1;
	const char *v;

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, head, n))
		return -EILSEQ;
	v = c->p + n;
	if (v == c->end || *v < '1' || *v > '9')
		return -EILSEQ;
	if (c->end - v >= 2 && v[0] == '0' + VMS_ER_VERSION && v[1] == '\n') {
		c->p = v + 2;
		return 0;
	}
	while (v < c->end && *v >= '0' && *v <= '9')
		v++;
	/* "v1\n", "v10\n": a version this build does not read */
	return v < c->end && *v == '\n' ? -EPROTONOSUPPORT : -EINVAL;
}

static int body_charset_ok(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != '\n' && (b[i] < 0x20 || b[i] > 0x7e))
			return 0;
	return 1;
}

static int parse_fields(struct kv_cursor *c, struct vms_enclave_report *r)
{
	int e = take_header(c);

	if (e)
		return e;
	if (take_platform(c, &r->platform) ||
	    kv_hex(c, "platform_id", r->platform_id, sizeof(r->platform_id)) ||
	    kv_word(c, "placement", "hypervisor") ||
	    kv_hex(c, "nonce", r->nonce, sizeof(r->nonce)) ||
	    kv_hex(c, "enclave_key", r->enclave_key, sizeof(r->enclave_key)) ||
	    kv_hex(c, "program", r->program, sizeof(r->program)) ||
	    kv_hex(c, "boot_id", r->boot_id, sizeof(r->boot_id)) ||
	    take_kps(c, r))
		return -EINVAL;
	if (c->p != c->end)
		return -EINVAL;
	r->placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	return 0;
}

int vms_enclave_report_parse(const uint8_t *body, size_t len, struct vms_enclave_report *out)
{
	struct kv_cursor c;
	int e;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!body)
		return -EINVAL;
	if (len == 0 || len > VMS_ER_BODY_MAX)
		return -EMSGSIZE;
	if (!body_charset_ok(body, len))
		return -EILSEQ;
	c.p = (const char *)body;
	c.end = c.p + len;
	e = parse_fields(&c, out);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

/* ---- keys ---------------------------------------------------------------------- */

int vms_platform_id_of(EVP_PKEY *k, uint8_t out[VMS_ER_KEY_LEN])
{
	_cleanup_ossl_ uint8_t *der = NULL;
	int n;

	if (!k)
		return -EINVAL;
	n = i2d_PUBKEY(k, &der);
	if (n <= 0)
		return -EINVAL;
	return EVP_Digest(der, (size_t)n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

static int is_p256(EVP_PKEY *k)
{
	char group[32];
	size_t glen = 0;

	if (!k || !EVP_PKEY_is_a(k, "EC"))
		return 0;
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
					   sizeof(group), &glen) != 1)
		return 0;
	return !strcmp(group, "prime256v1") || !strcmp(group, "P-256");
}

int vms_platform_key_ok(unsigned int type, EVP_PKEY *k)
{
	return type == VMS_PLATFORM_EMULATED && is_p256(k);
}

/* ---- the emulated platform's signature ----------------------------------------- */

VMS_DEFINE_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)
VMS_DEFINE_CLEANUP(BIGNUM, BN_free)
VMS_DEFINE_CLEANUP(EC_GROUP, EC_GROUP_free)

/*
 * Strict DER (re-encodes to the same bytes, nothing after it) and low-S:
 * a signature has exactly one accepted encoding, so a report cannot be
 * re-signed into a "different" valid one by flipping s to n - s.
 */
static int sig_canonical(const uint8_t *sig, size_t len)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *s = NULL;
	_cleanup_(EC_GROUP_freep) EC_GROUP *g = NULL;
	_cleanup_(BN_freep) BIGNUM *half = NULL;
	_cleanup_ossl_ uint8_t *again = NULL;
	const unsigned char *p = sig;
	const BIGNUM *r_bn, *s_bn;
	int n;

	s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (!s || (size_t)(p - sig) != len)
		return -EBADMSG;
	n = i2d_ECDSA_SIG(s, &again);
	if (n <= 0 || (size_t)n != len || memcmp(again, sig, len))
		return -EBADMSG;
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	half = BN_new();
	if (!g || !half || !BN_rshift1(half, EC_GROUP_get0_order(g)))
		return -EIO;
	ECDSA_SIG_get0(s, &r_bn, &s_bn);
	if (BN_is_zero(r_bn) || BN_is_zero(s_bn) || BN_is_negative(s_bn) ||
	    BN_cmp(s_bn, half) > 0)
		return -EBADMSG;
	return 0;
}

static int ecdsa_p256_verify(EVP_PKEY *k, const uint8_t *msg, size_t mlen,
			     const uint8_t *sig, size_t slen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) != 1)
		return -EIO;
	return EVP_DigestVerify(ctx, sig, slen, msg, mlen) == 1 ? 0 : -EBADMSG;
}

int vms_er_p256_verify(EVP_PKEY *key, const uint8_t *msg, size_t mlen,
		       const uint8_t *sig, size_t slen)
{
	int e;

	if (!is_p256(key))
		return -EKEYREJECTED;
	if (!sig || slen == 0 || slen > VMS_ER_SIG_MAX)
		return slen > VMS_ER_SIG_MAX ? -EMSGSIZE : -EBADMSG;
	e = sig_canonical(sig, slen);
	return e ? e : ecdsa_p256_verify(key, msg, mlen, sig, slen);
}

static int verify_emulated(const struct vms_enclave_evidence *ev, EVP_PKEY *key,
			   struct vms_enclave_report *out)
{
	uint8_t id[VMS_ER_KEY_LEN];
	int e;

	e = vms_enclave_report_parse(ev->body, ev->body_len, out);
	if (e)
		return e;
	if (out->platform != VMS_PLATFORM_EMULATED || !is_p256(key) ||
	    vms_platform_id_of(key, id) || CRYPTO_memcmp(id, out->platform_id, sizeof(id)))
		e = -EKEYREJECTED;
	else if (!ev->sig || ev->sig_len == 0 || ev->sig_len > VMS_ER_SIG_MAX)
		e = ev->sig_len > VMS_ER_SIG_MAX ? -EMSGSIZE : -EBADMSG;
	else
		e = sig_canonical(ev->sig, ev->sig_len);
	if (!e)
		e = ecdsa_p256_verify(key, ev->body, ev->body_len, ev->sig, ev->sig_len);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

/*
 * SEV-SNP and Nitro: in the table so that HGS names them and refuses them
 * clearly; what each would check is in Documentation/formats.md. Never a
 * partial check: a report of these platforms is refused whole.
 */
static int verify_not_in_build(const struct vms_enclave_evidence *ev, EVP_PKEY *key,
			       struct vms_enclave_report *out)
{
	(void)ev;
	(void)key;
	memset(out, 0, sizeof(*out));
	return -EPROTONOSUPPORT;
}

static const struct vms_platform_verifier verifiers[] = {
	{ VMS_PLATFORM_EMULATED, "emulated", 1, verify_emulated },
	{ VMS_PLATFORM_SEV_SNP, "sev-snp", 0, verify_not_in_build },
	{ VMS_PLATFORM_NITRO, "nitro", 0, verify_not_in_build },
};

const struct vms_platform_verifier *vms_platform_verifier_of(unsigned int type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verifiers); i++)
		if (verifiers[i].type == type)
			return &verifiers[i];
	return NULL;
}

int vms_enclave_report_verify(const struct vms_enclave_evidence *ev, EVP_PKEY *platform_key,
			      struct vms_enclave_report *out)
{
	const struct vms_platform_verifier *v;
	int e;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ev || !platform_key)
		return -EINVAL;
	e = vms_enclave_report_parse(ev->body, ev->body_len, out);
	if (e)
		return e;
	v = vms_platform_verifier_of(out->platform);
	memset(out, 0, sizeof(*out));
	if (!v)
		return -EINVAL;
	return v->verify(ev, platform_key, out);
}
