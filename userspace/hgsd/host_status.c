// SPDX-License-Identifier: GPL-2.0
/*
 * host_status.c - POST /v1/host/status {health_certificate}: whether HGS
 * still honors the certificate, by the checks a key release makes (its
 * signature and validity, the revocation cut-off, the host registered,
 * enabled and holding the key or EK the certificate names), without
 * releasing anything. An agent polls it (agent/revocation.c) and, when
 * told its host is revoked, revokes its keys in the module at once. It
 * needs no secret: the certificate is one the host was given; it
 * answers only about that certificate's host. Any node answers the same
 * (the snapshot follows the change feed).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hgsd.h"
#include "host_status.h"
#include "state.h"
#include "vms_cleanup_ssl.h"
#include "vms_hgs_cert.h"
#include "vms_x509.h"

static enum vms_hgs_reason honored(struct hgsd *h, const uint8_t *der, size_t len,
				   struct vms_health_cert_info *info)
{
	_cleanup_(X509_freep) X509 *c = NULL;
	struct host_entry host;
	struct policy pol;
	int r;

	if (vms_cert_from_der(der, len, &c))
		return HGS_R_CERT_MALFORMED;
	r = vms_health_cert_verify(c, h->signer_cert, time(NULL));
	if (r == -EKEYEXPIRED)
		return HGS_R_CERT_EXPIRED;
	if (r)
		return HGS_R_CERT_UNTRUSTED_SIGNER;
	if (vms_health_cert_parse(c, info))
		return HGS_R_CERT_MALFORMED;
	state_policy(h, &pol);
	if (pol.revocation_cutoff && info->issued < pol.revocation_cutoff)
		return HGS_R_CERT_REVOKED;
	if (state_host(h, info->host, &host))
		return HGS_R_HOST_NOT_REGISTERED;
	r = host.enabled ? (strcmp(!strcmp(info->mode, "tpm") ? host.ek_fpr : host.fpr,
				   info->host_key_fpr) ? 2 : 0) : 1;
	host_entry_release(&host);
	return r == 1 ? HGS_R_HOST_DISABLED : r == 2 ? HGS_R_HOST_KEY_CHANGED : HGS_PASSED;
}

void handle_host_status(struct hgsd *h, struct request *rq, struct answer *a)
{
	_cleanup_free_ uint8_t *der = NULL;
	struct vms_health_cert_info info = { 0 };
	enum vms_hgs_reason r;
	size_t len = 0;

	if (req_b64(rq, a, "health_certificate", 16384, &der, &len))
		return;
	r = honored(h, der, len, &info);
	if (r != HGS_PASSED) {
		answer_fail(a, r, NULL);
		return;
	}
	answer_ok(a, json_pack("{s:s, s:b, s:I}", "host", info.host, "honored", 1,
			       "not_after", (json_int_t)info.not_after));
}
