// SPDX-License-Identifier: GPL-2.0
/*
 * accept_limit.c - new TLS connections per source (issue 17).
 *
 * A TLS handshake costs hgsd about a millisecond of CPU (an ECDHE and a
 * signature) before it has read a single request, so the limits by
 * request (ratelimit.c, admission.c) come too late for an anonymous
 * flood of new connections. libmicrohttpd calls accept_limit_check()
 * right after accept(); a source whose bucket is empty is closed there,
 * before any TLS byte is read or written, and costs hgsd one accept() and
 * one close(). The buckets are ratelimit.c's (a fixed table, keyed so
 * that clients cannot choose whom they collide with); the network
 * challenge_rate_exempt spares (the hosts') is spared here too, so a
 * site that lists its hosts there never refuses them a connection.
 * A source under its rate never notices: an hgs-agent opens a few
 * connections a minute and keeps them alive.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "accept_limit.h"
#include "config.h"
#include "metrics.h"
#include "ratelimit.h"

static struct ratelimit *buckets;

int accept_limit_start(const struct hgsd_config *c)
{
	int r;

	if (buckets)
		return 0;
	r = ratelimit_new(c->handshake_rate_per_source, c->handshake_burst_per_source,
			  &buckets);
	if (r)
		return r;
	ratelimit_exempt_ipv4(buckets, c->challenge_exempt_net, c->challenge_exempt_mask);
	return 0;
}

void accept_limit_stop(void)
{
	ratelimit_free(buckets);
	buckets = NULL;
}

/* @addr as ratelimit.c's 16-byte source: IPv4 mapped, an IPv6 client by its /64. */
static void source_of(const struct sockaddr *addr, socklen_t len, uint8_t src[16])
{
	memset(src, 0, 16);
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		src[10] = src[11] = 0xff;
		memcpy(src + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	} else if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(src, &((const struct sockaddr_in6 *)addr)->sin6_addr, 8);
	}
}

enum MHD_Result accept_limit_check(void *cls, const struct sockaddr *addr, socklen_t len)
{
	uint8_t src[16];

	(void)cls;
	if (!buckets || !addr)
		return MHD_YES;
	source_of(addr, len, src);
	if (!ratelimit_take(buckets, src))
		return MHD_YES;
	metrics_handshake_refused();
	return MHD_NO;
}
