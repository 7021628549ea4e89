// SPDX-License-Identifier: GPL-2.0
/*
 * platform.c - the hypervisor placement on HGS's side.
 *
 * Admin: register, enable, disable and remove enclave platforms (a type,
 * a name, the platform's public key, optionally the approved enclave
 * program digests). Attestation: check the enclave report host evidence
 * carries against the registered platform, with the verifier of its type
 * (lib/hgs/enclave_report.c), and against this attestation's nonce and
 * the enclave key the host's own evidence names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vmshield.h>
#include <openssl/crypto.h>

#include "hgsd.h"
#include "log.h"
#include "attest.h"
#include "platform.h"
#include "store.h"
#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_cert.h"
#include "vms_x509.h"

#define PLATFORM_PEM_MAX 1024

/* ---- the evidence field ------------------------------------------------------- */

void enclave_evidence_free(struct enclave_evidence *ev)
{
	free(ev->body);
	free(ev->sig);
	ev->body = ev->sig = NULL;
}

static int evidence_b64(json_t *o, struct answer *a, const char *field, size_t max,
			uint8_t **out, size_t *outlen)
{
	json_t *v = json_object_get(o, field);
	const char *s = json_string_value(v);

	if (!json_is_string(v)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field 'enclave_report.%s' must be a string",
			     field);
		return -EINVAL;
	}
	if (json_string_length(v) > vms_b64_encoded_len(max)) {
		answer_failf(a, HGS_R_INVALID_REQUEST,
			     "field 'enclave_report.%s' is too large (at most %zu bytes once decoded)",
			     field, max);
		return -EINVAL;
	}
	if (vms_b64_decode(s, json_string_length(v), max, out, outlen) || !*outlen) {
		answer_failf(a, HGS_R_INVALID_REQUEST,
			     "field 'enclave_report.%s' is not valid base64 (RFC 4648, padded) of 1 to %zu bytes",
			     field, max);
		return -EINVAL;
	}
	return 0;
}

int enclave_evidence_parse(struct request *rq, struct answer *a, struct enclave_evidence *ev)
{
	json_t *o = rq->body ? json_object_get(rq->body, "enclave_report") : NULL;

	memset(ev, 0, sizeof(*ev));
	if (!o)
		return 0;
	if (!json_is_object(o) || json_object_size(o) != 2) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'enclave_report' must be an object {\"body\": base64, \"sig\": base64} and nothing else");
		return -EINVAL;
	}
	if (evidence_b64(o, a, "body", VMS_ER_BODY_MAX, &ev->body, &ev->body_len) ||
	    evidence_b64(o, a, "sig", VMS_ER_SIG_MAX, &ev->sig, &ev->sig_len)) {
		enclave_evidence_free(ev);
		return -EINVAL;
	}
	ev->present = 1;
	return 0;
}

/* ---- the policy's platform types ------------------------------------------------ */

int platform_types_parse(const char *s, unsigned int *mask)
{
	char buf[64], *save = NULL, *tok;
	int t;

	*mask = 0;
	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		t = vms_platform_from_name(tok);
		if (t < 0 || (*mask & (1u << t))) {
			*mask = 0;
			return -EINVAL;
		}
		*mask |= 1u << t;
	}
	return 0;
}

void platform_types_format(unsigned int mask, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int t;

	buf[0] = 0;
	for (t = VMS_PLATFORM_EMULATED; t < VMS_PLATFORM__MAX; t++)
		if (mask & (1u << t))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
					      n ? "," : "", vms_platform_name(t));
}

/* ---- the check ---------------------------------------------------------------- */

/* @digest is in the comma list @programs ('' = any program). */
static int program_approved(const char *programs, const uint8_t digest[VMS_ER_KEY_LEN])
{
	char hex[2 * VMS_ER_KEY_LEN + 1];
	const char *p = programs;

	if (!*programs)
		return 1;
	vms_hex_encode(digest, VMS_ER_KEY_LEN, hex);
	for (; *p; p += p[64] == ',' ? 65 : 64) {
		if (strlen(p) < 64)
			return 0;
		if (!memcmp(p, hex, 64))
			return 1;
		if (p[64] != ',' && p[64])
			return 0;
	}
	return 0;
}

/* The registered platform the body names: EnclavePlatform{Unknown,Disabled,NotSupported}. */
static enum vms_hgs_reason find_platform(struct hgsd *h, struct answer *a,
					 const struct vms_enclave_report *claim,
					 struct store_platform *p)
{
	char id[2 * VMS_ER_KEY_LEN + 1];
	const struct vms_platform_verifier *v;
	int r;

	vms_hex_encode(claim->platform_id, sizeof(claim->platform_id), id);
	r = store_platform_get(h->st, id, p);
	if (r == -ENOENT)
		return HGS_R_ENCLAVE_PLATFORM_UNKNOWN;
	if (r)
		return HGS_R_INTERNAL_ERROR;
	if (!p->enabled)
		return HGS_R_ENCLAVE_PLATFORM_DISABLED;
	if (vms_platform_from_name(p->type) != (int)claim->platform) {
		answer_failf(a, HGS_R_ENCLAVE_PLATFORM_UNKNOWN,
			     "the report names platform type %s; the platform with its platform_id is registered as %s",
			     vms_platform_name(claim->platform), p->type);
		return a->reason;
	}
	v = vms_platform_verifier_of(claim->platform);
	if (!v || !v->supported)
		return HGS_R_ENCLAVE_PLATFORM_NOT_SUPPORTED;
	return HGS_PASSED;
}

static enum vms_hgs_reason verify_signature(const struct enclave_evidence *ev,
					    const struct store_platform *p,
					    struct vms_enclave_report *out)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	struct vms_enclave_evidence e = { ev->body, ev->body_len, ev->sig, ev->sig_len };
	int r;

	if (vms_pkey_from_pem(p->pem, strlen(p->pem), &k))
		return HGS_R_INTERNAL_ERROR;
	r = vms_enclave_report_verify(&e, k, out);
	switch (r) {
	case 0:
		return HGS_PASSED;
	case -EBADMSG:
	case -EKEYREJECTED:
	case -EMSGSIZE:
		return HGS_R_ENCLAVE_REPORT_SIGNATURE_INVALID;
	case -EPROTONOSUPPORT:
		return HGS_R_ENCLAVE_PLATFORM_NOT_SUPPORTED;
	case -ENOMEM:
	case -EIO:
		return HGS_R_INTERNAL_ERROR;
	default:
		return HGS_R_ENCLAVE_REPORT_MALFORMED;
	}
}

/* What the verified report says against this attestation and the policy. */
static enum vms_hgs_reason check_facts(struct answer *a, const struct vms_enclave_report *er,
				       const struct store_platform *p,
				       const uint8_t nonce[VMS_ER_KEY_LEN],
				       const uint8_t enclave_pk[VMS_ER_KEY_LEN],
				       const struct policy *pol)
{
	enum vms_hgs_reason r;

	if (CRYPTO_memcmp(er->nonce, nonce, VMS_ER_KEY_LEN))
		return HGS_R_ENCLAVE_REPORT_NONCE_MISMATCH;
	if (CRYPTO_memcmp(er->enclave_key, enclave_pk, VMS_ER_KEY_LEN)) {
		answer_fail(a, HGS_R_ENCLAVE_KEY_MISMATCH,
			    "the enclave report names another enclave key than the host's own evidence");
		return a->reason;
	}
	if (!program_approved(p->programs, er->program))
		return HGS_R_ENCLAVE_PROGRAM_NOT_APPROVED;
	/* the KPS key the enclave itself says it accepts, under the platform's signature */
	r = kps_key_check(er->kps_set, er->kps_key);
	if (r == HGS_R_KPS_KEY_MISMATCH)
		answer_fail(a, r, "the enclave report names another KPS key than this HGS's");
	else if (r == HGS_R_KPS_KEY_NOT_NAMED)
		answer_fail(a, r, "the enclave report names no KPS key (kps_key=none)");
	if (r != HGS_PASSED)
		return r;
	if (!(pol->platform_types & (1u << er->platform))) {
		answer_failf(a, HGS_R_PLATFORM_TYPE_NOT_ALLOWED,
			     "platform type %s is not in the policy platform_types",
			     vms_platform_name(er->platform));
		return a->reason;
	}
	return HGS_PASSED;
}

enum vms_hgs_reason enclave_check(struct hgsd *h, struct answer *a,
				  const struct enclave_evidence *ev,
				  const uint8_t nonce[VMS_ER_KEY_LEN],
				  const uint8_t enclave_pk[VMS_ER_KEY_LEN],
				  const struct policy *pol, struct vms_enclave_report *out,
				  char pname[65])
{
	struct vms_enclave_report claim;
	struct store_platform p;
	enum vms_hgs_reason r;

	memset(out, 0, sizeof(*out));
	pname[0] = 0;
	if (vms_enclave_report_parse(ev->body, ev->body_len, &claim))
		return HGS_R_ENCLAVE_REPORT_MALFORMED;
	r = find_platform(h, a, &claim, &p);
	if (r == HGS_PASSED)
		r = verify_signature(ev, &p, out);
	if (r == HGS_PASSED)
		r = check_facts(a, out, &p, nonce, enclave_pk, pol);
	if (r != HGS_PASSED) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	snprintf(pname, 65, "%s", p.name);
	return HGS_PASSED;
}

unsigned int enclave_level(unsigned int host_level)
{
	return host_level >= VMSHIELD_ISOLATION_KERNEL_LOCKED ? VMSHIELD_ISOLATION_HYPERVISOR :
	       host_level;
}

void enclave_cert_info(const struct vms_enclave_report *er, const char *pname,
		       const char *host_facts, struct vms_health_cert_info *info)
{
	char id[65], prog[65], boot[33];
	size_t n = strlen(info->policies);

	vms_hex_encode(er->platform_id, 32, id);
	vms_hex_encode(er->program, 32, prog);
	vms_hex_encode(er->boot_id, 16, boot);
	info->placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	info->level = enclave_level(info->level);
	info->platform = er->platform;
	snprintf(info->facts, sizeof(info->facts),
		 "placement=hypervisor platform=%s platform_name=%s platform_id=%s program=%s boot_id=%s %s",
		 vms_platform_name(er->platform), pname, id, prog, boot, host_facts);
	snprintf(info->policies + n, sizeof(info->policies) - n,
		 ",enclave-report,platform=%s", vms_platform_name(er->platform));
}

/* ---- admin ----------------------------------------------------------------------- */

static const char *platform_name_arg(struct request *rq, struct answer *a)
{
	const char *name = req_str(rq, a, "name", VMS_HOST_NAME_MAX);

	if (name && !vms_host_name_valid(name)) {
		answer_fail(a, HGS_R_INVALID_REQUEST, "field 'name' must match [A-Za-z0-9._-]{1,64}");
		return NULL;
	}
	return name;
}

/* {..., programs?: [64 hex, ...]} -> "d1,d2" (lower case, no repeats, at most 16). */
static int programs_arg(struct request *rq, struct answer *a, char *out, size_t len)
{
	json_t *arr = json_object_get(rq->body, "programs"), *v;
	uint8_t raw[32];
	char hex[65];
	size_t i, n = 0;

	out[0] = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > STORE_PLATFORM_MAX_PROGRAMS) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'programs' must be an array of at most 16 SHA-256 digests (64 hex digits)");
		return -EINVAL;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (!s || strlen(s) != 64 || vms_hex_decode_exact(s, raw, 32)) {
			answer_failf(a, HGS_R_INVALID_REQUEST,
				     "field 'programs' item %zu must be a SHA-256 digest (64 hex digits)", i);
			return -EINVAL;
		}
		vms_hex_encode(raw, 32, hex);
		if (out[0] && program_approved(out, raw)) {
			answer_failf(a, HGS_R_INVALID_REQUEST,
				     "field 'programs' item %zu repeats a digest", i);
			return -EINVAL;
		}
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", hex);
	}
	return 0;
}

/* The type and key of a new platform; NULL (and @a refused) if unfit. */
static EVP_PKEY *platform_key_arg(struct hgsd *h, struct request *rq, struct answer *a,
				  int *type)
{
	const char *tname = req_str(rq, a, "type", 16), *pem;
	const struct vms_platform_verifier *v;
	EVP_PKEY *k = NULL;

	if (!tname)
		return NULL;
	*type = vms_platform_from_name(tname);
	v = *type < 0 ? NULL : vms_platform_verifier_of((unsigned int)*type);
	if (!v) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'type' must be emulated, sev-snp or nitro");
		return NULL;
	}
	if (!v->supported) {
		store_audit(h->st, rq->who, "platform-add", tname, "refused-not-supported");
		answer_failf(a, HGS_R_ENCLAVE_PLATFORM_NOT_SUPPORTED,
			     "platform type %s has no verifier in this build (Documentation/formats.md says what it would check)",
			     tname);
		return NULL;
	}
	pem = req_str(rq, a, "public_key", PLATFORM_PEM_MAX);
	if (!pem)
		return NULL;
	if (vms_pkey_from_pem(pem, strlen(pem), &k) || !vms_platform_key_ok((unsigned int)*type, k)) {
		EVP_PKEY_free(k);
		store_audit(h->st, rq->who, "platform-add", tname, "refused-key-type");
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'public_key' must be an ECDSA P-256 public key in PEM (SubjectPublicKeyInfo) for an emulated platform");
		return NULL;
	}
	return k;
}

/* {type, name, public_key (SPKI PEM), programs?} */
void handle_platform_add(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	_cleanup_free_ char *pem = NULL;
	char progs[STORE_PLATFORM_PROGRAMS_MAX], id[65];
	uint8_t raw[32];
	const char *name;
	int type = -1, r;

	name = platform_name_arg(rq, a);
	if (!name || programs_arg(rq, a, progs, sizeof(progs)))
		return;
	k = platform_key_arg(h, rq, a, &type);
	if (!k)
		return;
	if (vms_platform_id_of(k, raw) || vms_pkey_to_pem(k, &pem)) {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
		return;
	}
	vms_hex_encode(raw, 32, id);
	r = store_platform_add(h->st, id, name, vms_platform_name((unsigned int)type), pem, progs,
			       rq->who);
	if (r == 0 || r == -EEXIST) {
		answer_ok(a, json_pack("{s:s, s:s, s:s, s:b, s:I}", "name", name, "type",
				       vms_platform_name((unsigned int)type), "platform_id", id,
				       "unchanged", r == -EEXIST,
				       "programs", (json_int_t)(progs[0] ? 1 + (strlen(progs) - 64) / 65 : 0)));
	} else if (r == -EKEYREJECTED || r == -EADDRINUSE) {
		answer_fail(a, HGS_R_PLATFORM_CONFLICT,
			    r == -EKEYREJECTED ? "a platform of this name is registered with another key" :
			    "this key is registered as another platform (`shieldctl hgs platform list`)");
	} else {
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);
	}
	log_info("admin", "who=\"%s\" action=platform-add platform=%s type=%s platform_id=%s result=%s",
		 rq->who, name, vms_platform_name((unsigned int)type), id,
		 vms_hgs_reason_name(a->reason));
}

static void platform_change(struct hgsd *h, struct request *rq, struct answer *a,
			    const char *action, int enable)
{
	const char *name = platform_name_arg(rq, a);
	int r;

	if (!name)
		return;
	if (!strcmp(action, "platform-remove"))
		r = store_platform_remove(h->st, name, rq->who);
	else
		r = store_platform_set_enabled(h->st, name, enable, rq->who);
	if (r == 0)
		answer_ok(a, json_pack("{s:s}", "name", name));
	else
		answer_fail(a, r == -ENOENT ? HGS_R_NO_SUCH_OBJECT : HGS_R_INTERNAL_ERROR,
			    r == -ENOENT ? "no platform of that name (`shieldctl hgs platform list`)" :
			    NULL);
	log_info("admin", "who=\"%s\" action=%s platform=%s result=%s", rq->who, action, name,
		 vms_hgs_reason_name(a->reason));
}

void handle_platform_enable(struct hgsd *h, struct request *rq, struct answer *a)
{
	platform_change(h, rq, a, "platform-enable", 1);
}

void handle_platform_disable(struct hgsd *h, struct request *rq, struct answer *a)
{
	platform_change(h, rq, a, "platform-disable", 0);
}

void handle_platform_remove(struct hgsd *h, struct request *rq, struct answer *a)
{
	platform_change(h, rq, a, "platform-remove", 0);
}
