// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_cert.c - health certificates: issue, parse, verify.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vms_cleanup_ssl.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_oids.h"
#include "vms_x509.h"
#include "vms_enclave_report.h"
#include "vmshield.h"

enum {
	EXT_MODE, EXT_LEVEL, EXT_POLICIES, EXT_ISSUED, EXT_HOSTKEY,
	EXT_BINDING, EXT_FACTS, EXT_PLACEMENT, EXT_PLATFORM, N_EXT
};

static const char *const ext_oid[N_EXT] = {
	VMS_OID_HC_MODE, VMS_OID_HC_LEVEL, VMS_OID_HC_POLICIES,
	VMS_OID_HC_ISSUED, VMS_OID_HC_HOSTKEY, VMS_OID_HC_BINDING,
	VMS_OID_HC_FACTS, VMS_OID_HC_PLACEMENT, VMS_OID_HC_PLATFORM,
};
static const char *const ext_sn[N_EXT] = {
	"vmsAttestationMode", "vmsIsolationLevel", "vmsPoliciesPassed",
	"vmsIssuanceTime", "vmsHostKeyFingerprint", "vmsEnclaveKeyBinding",
	"vmsIsolationFacts", "vmsEnclavePlacement", "vmsEnclavePlatform",
};
static ASN1_OBJECT *ext_obj[N_EXT];
static pthread_once_t ext_once = PTHREAD_ONCE_INIT;

static void ext_init(void)
{
	int i;

	for (i = 0; i < N_EXT; i++) {
		/*
		 * Register names so `openssl x509 -text` in this process and
		 * our logs show them; other tools print the numeric OID.
		 */
		if (OBJ_txt2nid(ext_oid[i]) == NID_undef)
			OBJ_create(ext_oid[i], ext_sn[i], ext_sn[i]);
		ext_obj[i] = OBJ_txt2obj(ext_oid[i], 1);
	}
}

static int is_alnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int vms_host_name_valid(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	/*
	 * A letter or digit first: such names become file names (guardians)
	 * and command arguments, where "-rf" reads as an option and
	 * ".hidden" hides.
	 */
	if (n == 0 || n > VMS_HOST_NAME_MAX || !is_alnum_ascii(name[0]))
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!is_alnum_ascii(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

static int add_der_ext(X509 *c, ASN1_OBJECT *obj, const uint8_t *der, int len)
{
	_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	int ok;

	if (!os || !ASN1_OCTET_STRING_set(os, der, len))
		return -ENOMEM;
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	if (!ext)
		return -ENOMEM;
	ok = X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

static int add_utf8_ext(X509 *c, int which, const char *s)
{
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
	unsigned char *der = NULL;
	int n, r;

	if (!u || !ASN1_STRING_set(u, s, (int)strlen(s))) {
		ASN1_UTF8STRING_free(u);
		return -ENOMEM;
	}
	n = i2d_ASN1_UTF8STRING(u, &der);
	ASN1_UTF8STRING_free(u);
	if (n <= 0)
		return -ENOMEM;
	r = add_der_ext(c, ext_obj[which], der, n);
	OPENSSL_free(der);
	return r;
}

static int add_time_ext(X509 *c, time_t t)
{
	ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, t);
	unsigned char *der = NULL;
	int n, r;

	if (!g)
		return -ENOMEM;
	n = i2d_ASN1_GENERALIZEDTIME(g, &der);
	ASN1_GENERALIZEDTIME_free(g);
	if (n <= 0)
		return -ENOMEM;
	r = add_der_ext(c, ext_obj[EXT_ISSUED], der, n);
	OPENSSL_free(der);
	return r;
}

/* 0 (unset) is the kernel placement, which has no platform. */
static unsigned int placement_of(const struct vms_health_cert_info *in)
{
	return in->placement ? in->placement : VMSHIELD_PLACEMENT_KERNEL;
}

/*
 * The hypervisor placement and a platform go together; the hypervisor
 * level needs them (the placement may come with a lower level: the host
 * kernel's own facts still decide who may use the keys).
 */
static int placement_check(const struct vms_health_cert_info *in)
{
	unsigned int pl = placement_of(in);

	if (pl != VMSHIELD_PLACEMENT_KERNEL && pl != VMSHIELD_PLACEMENT_HYPERVISOR)
		return -EINVAL;
	if (in->platform >= VMS_PLATFORM__MAX)
		return -EINVAL;
	if ((in->level == VMSHIELD_ISOLATION_HYPERVISOR && pl != VMSHIELD_PLACEMENT_HYPERVISOR) ||
	    (pl == VMSHIELD_PLACEMENT_HYPERVISOR) != (in->platform != VMS_PLATFORM_NONE))
		return -EINVAL;
	return 0;
}

int vms_health_cert_issue(EVP_PKEY *signer_key, X509 *signer_cert,
			  const struct vms_health_cert_info *in,
			  long validity_s, long margin_s, X509 **out)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	_cleanup_(X509_freep) X509 *c = X509_new();
	X509_NAME *name;
	int r = 0;

	pthread_once(&ext_once, ext_init);
	*out = NULL;
	if (!vms_host_name_valid(in->host) || validity_s <= 0 || margin_s < 0 ||
	    placement_check(in))
		return -EINVAL;
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, in->enclave_pk, 32);
	if (!c || !pk)
		return -ENOMEM;
	if (!X509_set_version(c, 2) || vms_cert_set_random_serial(c))
		return -ENOMEM;
	if (!ASN1_TIME_adj(X509_getm_notBefore(c), in->issued, 0, -margin_s) ||
	    !ASN1_TIME_adj(X509_getm_notAfter(c), in->issued, 0, validity_s + margin_s))
		return -ENOMEM;
	name = X509_get_subject_name(c);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"vmshield guarded host", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)in->host, -1, -1, 0) ||
	    !X509_set_issuer_name(c, X509_get_subject_name(signer_cert)) ||
	    !X509_set_pubkey(c, pk))
		return -ENOMEM;
	r |= vms_cert_add_ext(c, signer_cert, NID_basic_constraints, "critical,CA:FALSE");
	r |= vms_cert_add_ext(c, signer_cert, NID_key_usage, "critical,keyAgreement");
	r |= vms_cert_add_ext(c, signer_cert, NID_authority_key_identifier, "keyid:always");
	r |= add_utf8_ext(c, EXT_MODE, in->mode);
	r |= add_utf8_ext(c, EXT_LEVEL, vms_isolation_name(in->level));
	r |= add_utf8_ext(c, EXT_POLICIES, in->policies);
	r |= add_time_ext(c, in->issued);
	r |= add_utf8_ext(c, EXT_HOSTKEY, in->host_key_fpr);
	r |= add_utf8_ext(c, EXT_BINDING, in->binding);
	r |= add_utf8_ext(c, EXT_FACTS, in->facts);
	r |= add_utf8_ext(c, EXT_PLACEMENT, vms_placement_name(placement_of(in)));
	r |= add_utf8_ext(c, EXT_PLATFORM, vms_platform_name(in->platform));
	if (r)
		return -ENOMEM;
	if (!X509_sign(c, signer_key, EVP_sha256()))
		return -EIO;
	*out = VMS_TAKE_PTR(c);
	return 0;
}

/* The DER value of extension @which, or NULL. */
static ASN1_OCTET_STRING *ext_data(X509 *c, int which)
{
	int i = X509_get_ext_by_OBJ(c, ext_obj[which], -1);

	if (i < 0 || X509_get_ext_by_OBJ(c, ext_obj[which], i) >= 0)
		return NULL;	/* missing or duplicated */
	return X509_EXTENSION_get_data(X509_get_ext(c, i));
}

static int get_utf8(X509 *c, int which, char *out, size_t outlen)
{
	ASN1_OCTET_STRING *os = ext_data(c, which);
	const unsigned char *p;
	ASN1_UTF8STRING *u;
	int n, ok = 0;

	if (!os)
		return -EINVAL;
	p = ASN1_STRING_get0_data(os);
	u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));
	if (u && p == ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
		n = ASN1_STRING_length(u);
		if (n >= 0 && (size_t)n < outlen &&
		    !memchr(ASN1_STRING_get0_data(u), 0, (size_t)n)) {
			memcpy(out, ASN1_STRING_get0_data(u), (size_t)n);
			out[n] = 0;
			ok = 1;
		}
	}
	ASN1_UTF8STRING_free(u);
	return ok ? 0 : -EINVAL;
}

static int asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

static int get_issued(X509 *c, time_t *out)
{
	ASN1_OCTET_STRING *os = ext_data(c, EXT_ISSUED);
	const unsigned char *p;
	ASN1_GENERALIZEDTIME *g;
	int r = -EINVAL;

	if (!os)
		return -EINVAL;
	p = ASN1_STRING_get0_data(os);
	g = d2i_ASN1_GENERALIZEDTIME(NULL, &p, ASN1_STRING_length(os));
	if (g && p == ASN1_STRING_get0_data(os) + ASN1_STRING_length(os))
		r = asn1_time_to_time_t(g, out);
	ASN1_GENERALIZEDTIME_free(g);
	return r;
}

/*
 * Placement and platform: both or neither (a certificate issued before
 * they existed is kernel placement, no platform). The hypervisor
 * placement and a platform go together; the hypervisor level needs them.
 */
static int get_placement(X509 *c, struct vms_health_cert_info *out)
{
	int has_pl = X509_get_ext_by_OBJ(c, ext_obj[EXT_PLACEMENT], -1) >= 0;
	int has_pf = X509_get_ext_by_OBJ(c, ext_obj[EXT_PLATFORM], -1) >= 0;
	char pl[32], pf[32];
	int x, y;

	if (!has_pl && !has_pf) {
		out->placement = VMSHIELD_PLACEMENT_KERNEL;
		out->platform = VMS_PLATFORM_NONE;
		return out->level == VMSHIELD_ISOLATION_HYPERVISOR ? -EINVAL : 0;
	}
	if (get_utf8(c, EXT_PLACEMENT, pl, sizeof(pl)) ||
	    get_utf8(c, EXT_PLATFORM, pf, sizeof(pf)))
		return -EINVAL;
	x = vms_placement_from_name(pl);
	y = strcmp(pf, "none") ? vms_platform_from_name(pf) : VMS_PLATFORM_NONE;
	if (x < 0 || y < 0)
		return -EINVAL;
	out->placement = (unsigned int)x;
	out->platform = (unsigned int)y;
	if ((out->level == VMSHIELD_ISOLATION_HYPERVISOR &&
	     out->placement != VMSHIELD_PLACEMENT_HYPERVISOR) ||
	    (out->placement == VMSHIELD_PLACEMENT_HYPERVISOR) != (y != VMS_PLATFORM_NONE))
		return -EINVAL;
	return 0;
}

int vms_health_cert_parse(X509 *c, struct vms_health_cert_info *out)
{
	EVP_PKEY *pk;
	char level[32];
	size_t len = 32;
	int x;

	pthread_once(&ext_once, ext_init);
	memset(out, 0, sizeof(*out));
	pk = X509_get0_pubkey(c);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_X25519 ||
	    EVP_PKEY_get_raw_public_key(pk, out->enclave_pk, &len) != 1 || len != 32)
		goto bad;
	if (vms_cert_subject_cn(c, out->host, sizeof(out->host)) ||
	    !vms_host_name_valid(out->host))
		goto bad;
	if (get_utf8(c, EXT_MODE, out->mode, sizeof(out->mode)) ||
	    get_utf8(c, EXT_LEVEL, level, sizeof(level)) ||
	    get_utf8(c, EXT_POLICIES, out->policies, sizeof(out->policies)) ||
	    get_utf8(c, EXT_HOSTKEY, out->host_key_fpr, sizeof(out->host_key_fpr)) ||
	    get_utf8(c, EXT_BINDING, out->binding, sizeof(out->binding)) ||
	    get_utf8(c, EXT_FACTS, out->facts, sizeof(out->facts)) ||
	    get_issued(c, &out->issued))
		goto bad;
	x = vms_isolation_from_name(level);
	if (x < 0)
		goto bad;
	out->level = (unsigned int)x;
	if (get_placement(c, out))
		goto bad;
	if (asn1_time_to_time_t(X509_get0_notBefore(c), &out->not_before) ||
	    asn1_time_to_time_t(X509_get0_notAfter(c), &out->not_after))
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int vms_health_cert_verify(X509 *c, X509 *signer_cert, time_t now)
{
	EVP_PKEY *spk = X509_get0_pubkey(signer_cert);

	if (!spk || X509_NAME_cmp(X509_get_issuer_name(c),
				  X509_get_subject_name(signer_cert)))
		return -EKEYREJECTED;
	if (X509_verify(c, spk) != 1)
		return -EKEYREJECTED;
	/* X509_cmp_time() answers 0 on error: only -1 / 1 mean valid. */
	if (X509_cmp_time(X509_get0_notBefore(c), &now) != -1 ||
	    X509_cmp_time(X509_get0_notAfter(c), &now) != 1)
		return -EKEYEXPIRED;
	return 0;
}
