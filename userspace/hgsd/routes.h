/* SPDX-License-Identifier: GPL-2.0 */
/*
 * routes.h - which path goes to which handler (routes.c): the public
 * routes table, the admin API under its prefix, and the body size each
 * route accepts.
 *
 * Included by http.c, routes.c and metrics.c (its route labels).
 */
#ifndef HGSD_ROUTES_H
#define HGSD_ROUTES_H

#include <stddef.h>

#include "request.h"

/* The public routes' paths, for metrics.c's labels: how many; the @i-th. */
size_t routes_count(void);
const char *routes_path(size_t i);
/* 1 if @url is the admin API's: http.c authorizes the peer first. */
int routes_is_admin(const char *url);
/* The largest body a request for @url may carry on this listener. */
size_t routes_body_limit(const struct hgsd *h, const char *url, int admin_listener);
/* 1 if @method @url is anonymous work that challenge_rate_per_source limits. */
int routes_rate_limited(const char *url, const char *method);
/*
 * Hand @rq to its handler, or answer UnknownEndpoint / MethodNotAllowed;
 * an admin path without rq->admin_ok is refused (AdminNotAuthorized).
 */
void routes_dispatch(struct hgsd *h, struct request *rq, struct answer *a);

#endif /* HGSD_ROUTES_H */
