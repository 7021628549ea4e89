/* SPDX-License-Identifier: GPL-2.0 */
/*
 * host_status.h - POST /v1/host/status (host_status.c): is this health
 * certificate still honored? What an agent polls to learn that its host
 * was revoked (Documentation/hgs-protocol.md §7). Included by routes.c.
 */
#ifndef HGSD_HOST_STATUS_H
#define HGSD_HOST_STATUS_H

#include "request.h"

void handle_host_status(struct hgsd *h, struct request *rq, struct answer *a);

#endif /* HGSD_HOST_STATUS_H */
