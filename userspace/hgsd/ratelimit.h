/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ratelimit.h - per-source rate limits (ratelimit.c): a token bucket per
 * client address (an IPv6 client by its /64) in a fixed-size table, for
 * the anonymous requests that make the server work (nonces, TPM
 * challenges).
 *
 * Included by main.c (the table's life), routes.c (which routes it
 * guards) and http.c (admission: a request waits for its token).
 */
#ifndef HGSD_RATELIMIT_H
#define HGSD_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* @rate per second, bursts of @burst; @rate 0: no limit. */
int ratelimit_new(unsigned int rate, unsigned int burst, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);
/* Spare the IPv4 clients in @net/@mask (host order; @mask 0: none). */
void ratelimit_exempt_ipv4(struct ratelimit *rl, uint32_t net, uint32_t mask);
/* Take one token for @src (16 bytes, IPv4 mapped): 0, or -EBUSY when out. */
int ratelimit_take(struct ratelimit *rl, const uint8_t src[16]);
/*
 * Admission (http.c): take one token for @src now or on credit, up to
 * @max_wait_s of the refill in debt. 0 with the wait until the token is
 * due in *@wait_ns (0: at once), or -EBUSY (nothing taken) past that.
 */
int ratelimit_reserve(struct ratelimit *rl, const uint8_t src[16], double max_wait_s,
		      uint64_t *wait_ns);

#endif /* HGSD_RATELIMIT_H */
