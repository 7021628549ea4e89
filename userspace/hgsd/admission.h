/* SPDX-License-Identifier: GPL-2.0 */
/*
 * admission.h - requests that wait for their source's next token
 * (admission.c): the connection is suspended (libmicrohttpd reads
 * nothing more from it) and resumed when the token is due.
 *
 * Included by http.c only (it decides who waits, and drains the queue
 * before it stops a daemon).
 */
#ifndef HGSD_ADMISSION_H
#define HGSD_ADMISSION_H

#include <stdint.h>

#include <microhttpd.h>

/* Room for @slots waiting connections and the resumer thread; 0 or -errno. */
int admission_start(unsigned int slots);
void admission_stop(void);
/*
 * From the request handler: suspend @conn for @wait_ns; 0, or -EBUSY
 * (the queue is full, or draining) with @conn left as it was.
 */
int admission_defer(struct MHD_Connection *conn, uint64_t wait_ns);
/*
 * Before a daemon stops (libmicrohttpd must not stop with a suspended
 * connection): resume every waiting connection now, and refuse new
 * waits until admission_undrain().
 */
void admission_drain(void);
void admission_undrain(void);
/* Requests that waited, and requests refused for a full queue, so far. */
void admission_counts(unsigned long *deferred, unsigned long *refused);

#endif /* HGSD_ADMISSION_H */
