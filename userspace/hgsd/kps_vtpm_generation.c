// SPDX-License-Identifier: GPL-2.0
/*
 * kps_vtpm_generation.c - the release's vTPM statement and floor
 * (kps_vtpm_generation.h). Fails closed: a statement that does not
 * verify, or names another VM or key, refuses the release with nothing
 * changed; a request without one is released with HGS's floor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hgsd.h"
#include "kps_vtpm_generation.h"
#include "store.h"
#include "store_vm.h"
#include "vms_cleanup_ssl.h"
#include "vms_enclave_report.h"
#include "vms_hex.h"
#include "vms_vtpm_statement.h"
#include "vms_x509.h"

/* The enclave platform the certificate names (its facts), as 64 hex. */
static int cert_platform_id(const struct vms_health_cert_info *cert, char id[65])
{
	const char *p = strstr(cert->facts, " platform_id=");
	size_t n;

	if (!p)
		return -ENOENT;
	p += strlen(" platform_id=");
	n = strspn(p, "0123456789abcdef");
	if (n != 64)
		return -ENOENT;
	memcpy(id, p, 64);
	id[64] = 0;
	return 0;
}

static const char *statement_error(int r)
{
	switch (r) {
	case -EKEYREJECTED:
		return "the vtpm_statement names another enclave platform than the health certificate";
	case -EBADMSG:
		return "the vtpm_statement's signature does not verify with the platform's key";
	case -EPROTONOSUPPORT:
		return "the vtpm_statement names a platform type this HGS cannot verify";
	default:
		return "the vtpm_statement is malformed (Documentation/vtpm-in-enclave.md §3)";
	}
}

/* @blob verified against the platform @cert names; the refusal, or Passed. */
static enum vms_hgs_reason statement_verify(struct hgsd *h, struct answer *a,
					    const struct vms_health_cert_info *cert,
					    const uint8_t *blob, size_t len,
					    struct vms_vtpm_statement *s)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	struct store_platform p;
	char id[65];
	int r;

	if (cert_platform_id(cert, id)) {
		answer_fail(a, HGS_R_VTPM_STATEMENT_INVALID,
			    "a vtpm_statement came from a host whose health certificate names no enclave platform (placement kernel)");
		return a->reason;
	}
	r = store_platform_get(h->st, id, &p);
	if (r == -ENOENT || (!r && !p.enabled)) {
		answer_fail(a, HGS_R_VTPM_STATEMENT_INVALID,
			    "the enclave platform the health certificate names is no longer registered and enabled");
		return a->reason;
	}
	if (r || vms_pkey_from_pem(p.pem, strlen(p.pem), &k))
		return HGS_R_INTERNAL_ERROR;
	r = vms_vtpm_statement_verify(blob, len, k, s);
	if (r) {
		answer_fail(a, HGS_R_VTPM_STATEMENT_INVALID, statement_error(r));
		return a->reason;
	}
	return HGS_PASSED;
}

enum vms_hgs_reason kps_vtpm_check(struct hgsd *h, struct request *rq, struct answer *a,
				   const struct vms_health_cert_info *cert,
				   const uint8_t vm_id[16], const char *vm_str,
				   struct kps_vtpm *out)
{
	_cleanup_free_ uint8_t *blob = NULL;
	struct vms_vtpm_statement s;
	enum vms_hgs_reason rr;
	uint64_t stored;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (store_vm_vtpm_get(h->st, vm_str, &stored))
		return HGS_R_INTERNAL_ERROR;
	out->st.floor = stored;
	if (!rq->body || !json_object_get(rq->body, "vtpm_statement"))
		return HGS_PASSED;	/* none: HGS's own floor */
	if (req_b64(rq, a, "vtpm_statement", VMS_VS_MAX, &blob, &len))
		return a->reason;
	rr = statement_verify(h, a, cert, blob, len, &s);
	if (rr != HGS_PASSED)
		return rr;
	if (CRYPTO_memcmp(s.vm_id, vm_id, 16)) {
		answer_fail(a, HGS_R_VTPM_STATEMENT_MISMATCH,
			    "the vtpm_statement is for another VM than vm_id");
		return a->reason;
	}
	if (s.generation > INT64_MAX) {
		answer_fail(a, HGS_R_VTPM_STATEMENT_INVALID, "the vtpm_statement's generation is out of range");
		return a->reason;
	}
	if (s.generation < stored) {
		answer_failf(a, HGS_R_VTPM_GENERATION_STALE,
			     "the vtpm_statement says generation %llu; HGS holds %llu for this VM",
			     (unsigned long long)s.generation, (unsigned long long)stored);
		return a->reason;
	}
	out->st.statement = 1;
	out->st.generation = s.generation;
	memcpy(out->st.boot_id, s.boot_id, 16);
	memcpy(out->key_id, s.key_id, 16);
	if (s.generation > out->st.floor)
		out->st.floor = s.generation;
	return HGS_PASSED;
}

enum vms_hgs_reason kps_vtpm_key_check(struct hgsd *h, struct answer *a, const char *vm_str,
				       const uint8_t kp_key_id[16], const struct kps_vtpm *v)
{
	struct store_vm_key cur;

	if (!v->st.statement || !memcmp(v->key_id, kp_key_id, 16))
		return HGS_PASSED;
	/* a rolled key's vTPM seals under the next key id (pending or acknowledged) */
	if (!store_vm_get(h->st, vm_str, &cur) &&
	    (!memcmp(v->key_id, cur.key_id, 16) ||
	     (cur.pending_version && !memcmp(v->key_id, cur.pending_key_id, 16))))
		return HGS_PASSED;
	answer_fail(a, HGS_R_VTPM_STATEMENT_MISMATCH,
		    "the vtpm_statement is for another key than this key protector's (or one HGS holds for the VM)");
	return a->reason;
}
