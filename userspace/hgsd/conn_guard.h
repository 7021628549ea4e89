/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conn_guard.h - the public listener's connections against slow clients
 * (conn_guard.c): a deadline to complete the request headers, one to
 * complete the body, and admission at the connection budget that evicts
 * the oldest connection still sending headers rather than refuse a new
 * one.
 *
 * Included by http.c only (it wires the callbacks into libmicrohttpd).
 */
#ifndef HGSD_CONN_GUARD_H
#define HGSD_CONN_GUARD_H

#include <microhttpd.h>

struct hgsd;

/*
 * libmicrohttpd's limit for the public listener: the budget
 * (max_connections) plus room to accept, then evict.
 */
unsigned int conn_guard_mhd_limit(const struct hgsd *h);
/* Start the reaper thread; 0 or -errno. */
int conn_guard_start(struct hgsd *h);
void conn_guard_stop(void);
/* MHD_OPTION_NOTIFY_CONNECTION: track a connection from accept to close. */
void conn_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);
/* The headers of a request are in: its body's deadline starts. */
void conn_guard_headers_done(struct MHD_Connection *conn);
/* A request was answered: the next one's header deadline starts. */
void conn_guard_request_done(struct MHD_Connection *conn);
/* Connections closed for a deadline and by admission so far. */
void conn_guard_counts(unsigned long *timed_out, unsigned long *evicted);

#endif /* HGSD_CONN_GUARD_H */
