/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kps_vtpm_generation.h - the vTPM statement a release request carries
 * (issue 21, Documentation/vtpm-in-enclave.md §2, hgs-protocol.md):
 * verified with the platform key the host's certificate names, checked
 * against the request's VM and key, never below HGS's generation; its
 * generation (or HGS's, if higher) is the floor the release carries.
 *
 * Included by kps.h (struct release_out) and kps.c (the release handler).
 */
#ifndef HGSD_KPS_VTPM_GENERATION_H
#define HGSD_KPS_VTPM_GENERATION_H

#include <stdint.h>

#include "request.h"
#include "store_vm_vtpm.h"
#include "vms_hgs_cert.h"

struct kps_vtpm {
	struct store_vtpm st;	/* what the release's transaction records */
	uint8_t key_id[16];	/* the statement's (st.statement) */
};

/*
 * Before the key process: the optional "vtpm_statement" of @rq for
 * @vm_id (@vm_str, its text), on a host certified as @cert. Fills @out
 * (its floor: max(HGS's generation, the statement's)). HGS_PASSED, or
 * the refusal (the answer set): VtpmStatementInvalid, VtpmStatementMismatch,
 * VtpmGenerationStale, InvalidRequest.
 */
enum vms_hgs_reason kps_vtpm_check(struct hgsd *h, struct request *rq, struct answer *a,
				   const struct vms_health_cert_info *cert,
				   const uint8_t vm_id[16], const char *vm_str,
				   struct kps_vtpm *out);

/*
 * After the key process: the statement's key id is the released KP's
 * @kp_key_id or one HGS holds for the VM (acknowledged or pending),
 * else VtpmStatementMismatch.
 */
enum vms_hgs_reason kps_vtpm_key_check(struct hgsd *h, struct answer *a, const char *vm_str,
				       const uint8_t kp_key_id[16], const struct kps_vtpm *v);

#endif /* HGSD_KPS_VTPM_GENERATION_H */
