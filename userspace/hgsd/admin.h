/* SPDX-License-Identifier: GPL-2.0 */
/*
 * admin.h - the admin API (admin.c): /v1/admin/..., its own routing
 * table. Only for a request http.c has authorized as an admin's
 * (rq->admin_ok).
 *
 * Included by routes.c and admin.c.
 */
#ifndef HGSD_ADMIN_H
#define HGSD_ADMIN_H

#include "request.h"

/* Every path of the admin API starts with this. */
#define ADMIN_PREFIX	"/v1/admin/"

void handle_admin(struct hgsd *h, struct request *rq, struct answer *a);

#endif /* HGSD_ADMIN_H */
