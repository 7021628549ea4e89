/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kps.h - the key protection service's handlers (kps.c): POST
 * /v1/kps/release and GET /v1/metadata, with the verified-certificate
 * cache behind the release.
 *
 * Included by routes.c (the handlers), main.c (the cache's life) and
 * kps.c.
 */
#ifndef HGSD_KPS_H
#define HGSD_KPS_H

#include "request.h"

int kps_init(struct hgsd *h);
void kps_free(void);
void handle_release(struct hgsd *h, struct request *rq, struct answer *a);
/* POST /v1/kps/confirm: the host re-sealed under the rolled TK (issue 20). */
void handle_confirm(struct hgsd *h, struct request *rq, struct answer *a);
/* GET /v1/admin/vms/status/VM_ID: HGS's view of a VM's key (admin.c routes it). */
void handle_vm_status(struct hgsd *h, struct request *rq, struct answer *a);
void handle_metadata(struct hgsd *h, struct request *rq, struct answer *a);

#endif /* HGSD_KPS_H */
