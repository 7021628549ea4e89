/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ratelimit.h - per-source rate limits (ratelimit.c): a token bucket per
 * client address (an IPv6 client by its /64) in a fixed-size table, for
 * the anonymous requests that make the server work (nonces, TPM
 * challenges).
 *
 * Included by main.c (the table's life) and routes.c (which routes it
 * guards).
 */
#ifndef HGSD_RATELIMIT_H
#define HGSD_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* @rate per second, bursts of @burst; @rate 0: no limit. */
int ratelimit_new(unsigned int rate, unsigned int burst, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);
/* Take one token for @src (16 bytes, IPv4 mapped): 0, or -EBUSY when out. */
int ratelimit_take(struct ratelimit *rl, const uint8_t src[16]);

#endif /* HGSD_RATELIMIT_H */
