/* SPDX-License-Identifier: GPL-2.0 */
/*
 * platform.h - the hypervisor placement on HGS's side (platform.c): the
 * registered enclave platforms (admin: add, enable, disable, remove) and
 * the check of an enclave report that host evidence carries.
 *
 * No platform is registered at first, so every hypervisor claim is
 * refused until an HGS admin registers one (`shieldctl hgs platform add`).
 * Included by admin.c (the routes), attest.c and attest_tpm.c (the
 * check) and platform.c.
 */
#ifndef HGSD_PLATFORM_H
#define HGSD_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "vms_enclave_report.h"

struct policy;
struct vms_health_cert_info;

/* "enclave_report": {"body": base64, "sig": base64}, decoded. */
struct enclave_evidence {
	int present;
	uint8_t *body, *sig;
	size_t body_len, sig_len;
};

void enclave_evidence_free(struct enclave_evidence *ev);
/*
 * Read the optional "enclave_report" field of @rq: 0 (absent: @ev->present
 * 0, or present and decoded), or -EINVAL with @a refused (InvalidRequest
 * naming the field).
 */
int enclave_evidence_parse(struct request *rq, struct answer *a, struct enclave_evidence *ev);

/*
 * Check @ev for this attestation: the platform it names is registered
 * (EnclavePlatformUnknown) and enabled (EnclavePlatformDisabled), this
 * build verifies its type (EnclavePlatformNotSupported), its signature
 * (EnclaveReportSignatureInvalid), the nonce (EnclaveReportNonceMismatch),
 * the enclave key the host's own evidence names (EnclaveKeyMismatch), an
 * approved program when the platform lists some
 * (EnclaveProgramNotApproved), the policy's platform types
 * (PlatformTypeNotAllowed). A malformed body: EnclaveReportMalformed.
 * On HGS_PASSED @out holds the verified facts and @pname the platform's
 * registered name.
 */
enum vms_hgs_reason enclave_check(struct hgsd *h, struct answer *a,
				  const struct enclave_evidence *ev,
				  const uint8_t nonce[VMS_ER_KEY_LEN],
				  const uint8_t enclave_pk[VMS_ER_KEY_LEN],
				  const struct policy *pol, struct vms_enclave_report *out,
				  char pname[65]);

/*
 * The isolation level a host earns with a verified enclave report: the
 * keys are out of its kernel, but the kernel still decides who may use
 * them (worker identity, DESIGN.md section 3), so `hypervisor` only when
 * the host's own facts are `kernel-locked`; else the host's own level.
 */
unsigned int enclave_level(unsigned int host_level);

/*
 * Fill @info's placement, level (enclave_level() of the host's level
 * already in @info->level), platform and the facts that name them for a
 * verified enclave report @er on platform @pname (the host's own facts,
 * @host_facts, kept after them).
 */
void enclave_cert_info(const struct vms_enclave_report *er, const char *pname,
		       const char *host_facts, struct vms_health_cert_info *info);

/* platform_types policy: "emulated,nitro" <-> mask of 1 << type; -EINVAL. */
int platform_types_parse(const char *s, unsigned int *mask);
void platform_types_format(unsigned int mask, char *buf, size_t len);

/* Admin: POST /v1/admin/platforms/{add,enable,disable,remove}. */
void handle_platform_add(struct hgsd *h, struct request *rq, struct answer *a);
void handle_platform_enable(struct hgsd *h, struct request *rq, struct answer *a);
void handle_platform_disable(struct hgsd *h, struct request *rq, struct answer *a);
void handle_platform_remove(struct hgsd *h, struct request *rq, struct answer *a);

#endif /* HGSD_PLATFORM_H */
