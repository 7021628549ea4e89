/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - hgsd's operations counters and their Prometheus text
 * exposition (metrics.c): requests by route and result, latency
 * histograms (attestation, key release, the store's probe, each store
 * statement by class), the
 * verified-certificate cache, and the state /v1/health reports (store,
 * key process, change feed).
 *
 * Counting is lock-free (atomics) and never fails; the labels come from
 * fixed tables, so no request can add a series (an unknown path counts
 * as route "other"). No host name, address or key is ever a label.
 *
 * Included by http.c (requests, GET /metrics), routes.c (health),
 * kps.c (the cache) and store.c (statement latency).
 */
#ifndef HGSD_METRICS_H
#define HGSD_METRICS_H

#include <stddef.h>

#include "vms_hgs_reason.h"

struct hgsd;

/* One answered request: its path, its result and how long it took. */
void metrics_request(const char *url, enum vms_hgs_reason result, double seconds);

/* A lookup in the verified-certificate cache (kps.c): 1 hit, 0 miss. */
void metrics_cert_cache(int hit);

/* A new connection closed before its handshake (accept_limit.c). */
void metrics_handshake_refused(void);

/*
 * One store statement (store.c, every statement it sends a backend):
 * @backend the backend's name ("sqlite", "postgresql"), @sql its text
 * (a constant of store*.c: classified by its verb and first table), how
 * long it took, and its result (0 or -errno).
 */
void metrics_store_statement(const char *backend, const char *sql, double seconds, int err);

/* CLOCK_MONOTONIC in seconds, for timing what metrics count. */
double metrics_now(void);

/*
 * What /v1/health checks, measured once: the store takes writes
 * (store_health()), the key process is running and answers, the change
 * feed's lag. Each probe's time goes into the store histogram.
 */
struct health {
	int store_err;		/* 0, or store_health()'s errno */
	int keyproc_err;	/* 0, -ESRCH (gone), -EAGAIN (stopped), or the call's errno */
	long long feed_lag;	/* store sequence - snapshot sequence; -1 unknown */
};

void health_probe(struct hgsd *h, struct health *hs);

/* Why @hs is unhealthy, for the 503's detail ("" when healthy). */
void health_why(const struct health *hs, char *buf, size_t len);

/*
 * The exposition text (format 0.0.4) into a malloc'ed NUL-terminated
 * *@text; 0 or -ENOMEM.
 */
int metrics_render(struct hgsd *h, char **text);

/* The Content-Type of metrics_render()'s text. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif /* HGSD_METRICS_H */
