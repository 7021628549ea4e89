/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kps.h - the key protection service's handlers (kps.c): POST
 * /v1/kps/release and GET /v1/metadata, with the verified-certificate
 * cache behind the release; live migration's (kps_migrate.c).
 *
 * Included by routes.c (the handlers), main.c (the cache's life),
 * kps.c and kps_migrate.c.
 */
#ifndef HGSD_KPS_H
#define HGSD_KPS_H

#include "keyproc.h"
#include "kps_vtpm_generation.h"
#include "request.h"
#include "vms_hex.h"
#include "vms_hgs_cert.h"

int kps_init(struct hgsd *h);
void kps_free(void);
void handle_release(struct hgsd *h, struct request *rq, struct answer *a);
/* POST /v1/kps/confirm: the host re-sealed under the rolled TK (issue 20). */
void handle_confirm(struct hgsd *h, struct request *rq, struct answer *a);
/* GET /v1/admin/vms/status/VM_ID: HGS's view of a VM's key (admin.c routes it). */
void handle_vm_status(struct hgsd *h, struct request *rq, struct answer *a);
void handle_metadata(struct hgsd *h, struct request *rq, struct answer *a);

/*
 * Live migration (kps_migrate.c, Documentation/migration.md §2):
 * POST /v1/kps/migrate (the destination) and /v1/kps/migrated (the
 * source); the destination confirms with /v1/kps/confirm.
 */
void handle_migrate(struct hgsd *h, struct request *rq, struct answer *a);
void handle_migrated(struct hgsd *h, struct request *rq, struct answer *a);

/* What a checked release made (kps.c), for kps_migrate.c too. */
struct release_out {
	struct keyproc_release_rep rep;
	struct vms_health_cert_info cert;
	unsigned int lifetime, worker_version, n_digests;
	uint8_t *rolled;	/* the rolled KP (roll only; malloc) */
	size_t rolled_len;
	int renewal;		/* "renewal": true (never a roll) */
	int force_roll;		/* set by the caller: roll whatever the body says */
	struct kps_vtpm vt;	/* issue 21: the statement and the floor */
};

/* The certificate, KP and policy checks and the wrap; nothing recorded. */
enum vms_hgs_reason kps_release_checked(struct hgsd *h, struct request *rq, struct answer *a,
					struct release_out *out);
/*
 * A host's request about one of its VMs: its health certificate checked
 * as for a release (signer, validity, host), its vm_id (text in @vm).
 * 0, or -1 with the answer set.
 */
int kps_host_vm_req(struct hgsd *h, struct request *rq, struct answer *a,
		    struct vms_health_cert_info *info, char vm[VMS_UUID_STR_LEN]);
/* kps_public_key (hex), and a roll's answer members; NULL on failure. */
json_t *kps_key_json(void);
json_t *kps_roll_json(const struct release_out *out, uint64_t next_version);

#endif /* HGSD_KPS_H */
