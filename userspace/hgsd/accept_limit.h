/* SPDX-License-Identifier: GPL-2.0 */
/*
 * accept_limit.h - new connections per source, refused before their TLS
 * handshake when the source's token bucket is empty (accept_limit.c).
 *
 * Included by http.c only (libmicrohttpd's accept policy callback); the
 * refusals are counted in metrics.c (hgsd_connections_refused_total).
 */
#ifndef HGSD_ACCEPT_LIMIT_H
#define HGSD_ACCEPT_LIMIT_H

#include <sys/socket.h>

#include <microhttpd.h>

struct hgsd_config;

/* The buckets, from handshake_rate_per_source and _burst; 0 or -errno. */
int accept_limit_start(const struct hgsd_config *c);
void accept_limit_stop(void);
/*
 * MHD's accept policy callback (@cls unused): MHD_YES to go on to the
 * handshake, MHD_NO to close the new connection at once.
 */
enum MHD_Result accept_limit_check(void *cls, const struct sockaddr *addr, socklen_t len);

#endif /* HGSD_ACCEPT_LIMIT_H */
