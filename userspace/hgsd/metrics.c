// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - hgsd's operations counters, the health probe, and their
 * Prometheus text exposition (metrics.h). Counters are plain atomics in
 * fixed tables: a scrape reads them without stopping a request, and no
 * request, however strange its path, can add a series. Latencies go
 * into fixed-bucket histograms (seconds, as Prometheus names them).
 *
 * Store statements are timed by class: the statement's verb and the
 * first table it names, read from the SQL text (always a constant of
 * store*.c, never a request's text), so the classes are the store's
 * own statements and a fixed table bounds them.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "hgsd.h"
#include "keyproc.h"
#include "metrics.h"
#include "routes.h"
#include "store.h"

#ifndef VMS_VERSION
#define VMS_VERSION	"unknown"	/* a build without it: the fuzz harness */
#endif

/* Bucket bounds in seconds: 1 ms (a cached release) to 10 s (a slow TPM log). */
static const double bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
/*
 * A store statement: 100 us (a SQLite read from the page cache) to 5 s
 * (a commit behind a slow disk or a far PostgreSQL).
 */
static const double store_bounds[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5,
};

#define MAX_BOUNDS	15

struct histogram {
	unsigned long counts[MAX_BOUNDS + 1];	/* the last: above every bound */
	unsigned long long sum_ns;
	const double *le;	/* NULL: bounds[] */
	size_t n;
};

#define HISTOGRAM_OF(b)	{ .le = (b), .n = ARRAY_SIZE(b) }

/* The route labels: every public route, then these, then "other". */
#define MAX_LABELS	40
static const char *const extra_labels[] = { ADMIN_PREFIX, "/metrics" };

static unsigned long requests[MAX_LABELS][HGS_R__MAX];
static struct histogram attest_hkey = HISTOGRAM_OF(bounds),
	attest_tpm = HISTOGRAM_OF(bounds), release = HISTOGRAM_OF(bounds),
	store_probe = HISTOGRAM_OF(bounds);
static unsigned long cache_hits, cache_misses;
static unsigned long handshakes_refused;

static size_t n_labels(void)
{
	size_t n = routes_count() + ARRAY_SIZE(extra_labels) + 1;

	return n < MAX_LABELS ? n : MAX_LABELS;
}

static const char *label_name(size_t i)
{
	size_t n = routes_count();

	if (i < n)
		return routes_path(i);
	if (i - n < ARRAY_SIZE(extra_labels))
		return extra_labels[i - n];
	return "other";
}

/* The label of @url: its route, the admin API as one, or "other". */
static size_t label_of(const char *url)
{
	size_t i, n = routes_count();

	if (routes_is_admin(url))
		return n;
	if (!strcmp(url, "/metrics"))
		return n + 1;
	for (i = 0; i < n && i < MAX_LABELS; i++)
		if (!strcmp(url, routes_path(i)))
			return i;
	return n_labels() - 1;
}

static void observe(struct histogram *hg, double seconds)
{
	size_t i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < hg->n && seconds > hg->le[i]; i++)
		;
	__atomic_fetch_add(&hg->counts[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&hg->sum_ns, (unsigned long long)(seconds * 1e9), __ATOMIC_RELAXED);
}

void metrics_request(const char *url, enum vms_hgs_reason result, double seconds)
{
	size_t l = label_of(url);

	if ((unsigned int)result >= HGS_R__MAX)
		result = HGS_R_INTERNAL_ERROR;
	__atomic_fetch_add(&requests[l][result], 1, __ATOMIC_RELAXED);
	if (!strcmp(url, "/v1/attest"))
		observe(&attest_hkey, seconds);
	else if (!strcmp(url, "/v1/attest/tpm"))
		observe(&attest_tpm, seconds);
	else if (!strcmp(url, "/v1/kps/release"))
		observe(&release, seconds);
}

void metrics_cert_cache(int hit)
{
	__atomic_fetch_add(hit ? &cache_hits : &cache_misses, 1, __ATOMIC_RELAXED);
}

void metrics_handshake_refused(void)
{
	__atomic_fetch_add(&handshakes_refused, 1, __ATOMIC_RELAXED);
}

double metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- store statements, by class ---- */

static const char *const stmt_ops[] = {
	"select", "insert", "update", "delete", "begin", "commit", "rollback",
};

#define STMT_TABLE_MAX	32
/* More classes than the store has statements; the last slot takes any excess. */
#define MAX_STMT_CLASSES	96

struct stmt_class {
	char op[12];			/* a stmt_ops[] name or "other" */
	char table[STMT_TABLE_MAX];	/* the first table named, "-" for none */
	struct histogram hg;
	unsigned long errors;
};

static struct stmt_class stmt_classes[MAX_STMT_CLASSES];
static size_t n_stmt_classes;		/* published with release */
static const char *stmt_backend = "";	/* the store's backend, as hgsd.conf names it */
static pthread_mutex_t stmt_lock = PTHREAD_MUTEX_INITIALIZER;

/* The word at @p (letters, digits, '_') into @out, lowercased; its end. */
static const char *sql_word(const char *p, char *out, size_t len)
{
	size_t n = 0;

	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p && (isalnum((unsigned char)*p) || *p == '_')) {
		if (n + 1 < len)
			out[n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	out[n] = 0;
	return p;
}

/* The word after the first whole word @kw (lowercase) in @sql, or "". */
static void word_after(const char *sql, const char *kw, char *out, size_t len)
{
	char w[STMT_TABLE_MAX];
	const char *p = sql;

	out[0] = 0;
	while (*p) {
		p = sql_word(p, w, sizeof(w));
		if (!strcmp(w, kw)) {
			sql_word(p, out, len);
			return;
		}
		if (!w[0])
			p++;	/* punctuation, a quote, a placeholder */
	}
}

/* @sql's class: its verb (op) and the first table it names. */
static void stmt_classify(const char *sql, char *op, size_t oplen, char *table, size_t tlen)
{
	char verb[16];
	size_t i;

	sql_word(sql, verb, sizeof(verb));
	snprintf(op, oplen, "other");
	for (i = 0; i < ARRAY_SIZE(stmt_ops); i++)
		if (!strcmp(verb, stmt_ops[i]))
			snprintf(op, oplen, "%s", stmt_ops[i]);
	if (!strcmp(verb, "select") || !strcmp(verb, "delete"))
		word_after(sql, "from", table, tlen);
	else if (!strcmp(verb, "insert"))
		word_after(sql, "into", table, tlen);
	else if (!strcmp(verb, "update"))
		sql_word(sql + strlen("update"), table, tlen);
	else
		table[0] = 0;
	if (!table[0])
		snprintf(table, tlen, "-");
}

static struct stmt_class *stmt_class_of(const char *sql)
{
	char op[12], table[STMT_TABLE_MAX];
	struct stmt_class *c;
	size_t i, n;

	stmt_classify(sql, op, sizeof(op), table, sizeof(table));
	pthread_mutex_lock(&stmt_lock);
	n = n_stmt_classes;
	for (i = 0; i < n; i++)
		if (!strcmp(stmt_classes[i].op, op) && !strcmp(stmt_classes[i].table, table))
			break;
	if (i == n && n == MAX_STMT_CLASSES)
		i = n - 1;	/* full: the last class takes the rest */
	c = &stmt_classes[i];
	if (i == n) {
		snprintf(c->op, sizeof(c->op), "%s", op);
		snprintf(c->table, sizeof(c->table), "%s", table);
		c->hg.le = store_bounds;
		c->hg.n = ARRAY_SIZE(store_bounds);
		__atomic_store_n(&n_stmt_classes, n + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&stmt_lock);
	return c;
}

void metrics_store_statement(const char *backend, const char *sql, double seconds, int err)
{
	struct stmt_class *c = stmt_class_of(sql);

	/* one store per hgsd: always the same name */
	__atomic_store_n(&stmt_backend, backend, __ATOMIC_RELAXED);
	observe(&c->hg, seconds);
	if (err)
		__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
}

void health_probe(struct hgsd *h, struct health *hs)
{
	long long seq = 0;
	double t0 = metrics_now();
	int r;

	hs->store_err = store_health(h->st);
	r = store_change_seq(h->st, &seq);	/* a real round trip to the store */
	observe(&store_probe, metrics_now() - t0);
	if (r && !hs->store_err)
		hs->store_err = r;
	hs->feed_lag = r ? -1 : seq - __atomic_load_n(&h->snapshot_seq, __ATOMIC_ACQUIRE);
	if (hs->feed_lag < -1)
		hs->feed_lag = 0;	/* a snapshot read after the probe's sequence */
	hs->keyproc_err = keyproc_ping();
}

static const char *store_why(int r)
{
	switch (r) {
	case -ENOSPC:
		return "the disk is full";
	case -EROFS:
		return "read-only";
	case -ECONNRESET:
	case -ECONNREFUSED:
	case -ENOTCONN:
		return "the database cannot be reached";
	default:
		return "write error";
	}
}

void health_why(const struct health *hs, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	if (hs->store_err)
		o += (size_t)snprintf(buf, len, "store failing: %s", store_why(hs->store_err));
	if (hs->keyproc_err && o < len)
		snprintf(buf + o, len - o, "%skey process %s", o ? "; " : "",
			 hs->keyproc_err == -ESRCH ? "gone" :
			 hs->keyproc_err == -EAGAIN ? "stopped (not running)" : "not answering");
	if (buf[0] && strlen(buf) + 1 < len)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 "; certificates and key releases are refused");
}

/* ---- the exposition ---- */

static void put_histogram(FILE *f, const char *name, const char *labels,
			  const struct histogram *hg)
{
	unsigned long cum = 0;
	size_t i;

	for (i = 0; i <= hg->n; i++) {
		cum += __atomic_load_n(&hg->counts[i], __ATOMIC_RELAXED);
		if (i < hg->n)
			fprintf(f, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels,
				*labels ? "," : "", hg->le[i], cum);
		else
			fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels,
				*labels ? "," : "", cum);
	}
	fprintf(f, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "",
		(double)__atomic_load_n(&hg->sum_ns, __ATOMIC_RELAXED) / 1e9);
	fprintf(f, "%s_count%s%s%s %lu\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", cum);
}

static void put_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_requests(FILE *f)
{
	unsigned long v;
	size_t l, r;

	put_head(f, "hgsd_requests_total", "counter",
		 "Requests answered, by route (the admin API as one) and result (Passed or the substatus).");
	for (l = 0; l < n_labels(); l++) {
		for (r = 0; r < HGS_R__MAX; r++) {
			v = __atomic_load_n(&requests[l][r], __ATOMIC_RELAXED);
			/* every route's Passed series exists from the start */
			if (v || r == HGS_PASSED)
				fprintf(f, "hgsd_requests_total{route=\"%s\",result=\"%s\"} %lu\n",
					label_name(l),
					r == HGS_PASSED ? "Passed" :
					vms_hgs_reason_name((enum vms_hgs_reason)r), v);
		}
	}
}

static void put_latencies(FILE *f)
{
	put_head(f, "hgsd_attest_duration_seconds", "histogram",
		 "Time to answer an attestation (evidence in, certificate or refusal out), by mode.");
	put_histogram(f, "hgsd_attest_duration_seconds", "mode=\"host-key\"", &attest_hkey);
	put_histogram(f, "hgsd_attest_duration_seconds", "mode=\"tpm\"", &attest_tpm);
	put_head(f, "hgsd_release_duration_seconds", "histogram",
		 "Time to answer a key release (POST /v1/kps/release).");
	put_histogram(f, "hgsd_release_duration_seconds", "", &release);
	put_head(f, "hgsd_store_probe_duration_seconds", "histogram",
		 "Round trip of the store's health probe (each /v1/health and /metrics).");
	put_histogram(f, "hgsd_store_probe_duration_seconds", "", &store_probe);
}

/* Only the classes the store has run so far: each one's histogram and errors. */
static void put_store_statements(FILE *f)
{
	size_t i, n = __atomic_load_n(&n_stmt_classes, __ATOMIC_ACQUIRE);
	char labels[128];

	put_head(f, "hgsd_store_statement_duration_seconds", "histogram",
		 "Time of one store statement, by backend, verb (op) and the first table it names.");
	for (i = 0; i < n; i++) {
		snprintf(labels, sizeof(labels), "backend=\"%.16s\",op=\"%.11s\",table=\"%.31s\"",
			 __atomic_load_n(&stmt_backend, __ATOMIC_RELAXED),
			 stmt_classes[i].op, stmt_classes[i].table);
		put_histogram(f, "hgsd_store_statement_duration_seconds", labels,
			      &stmt_classes[i].hg);
	}
	put_head(f, "hgsd_store_statement_errors_total", "counter",
		 "Store statements that failed, by backend, verb (op) and table.");
	for (i = 0; i < n; i++)
		fprintf(f, "hgsd_store_statement_errors_total{backend=\"%s\",op=\"%s\",table=\"%s\"} %lu\n",
			__atomic_load_n(&stmt_backend, __ATOMIC_RELAXED),
			stmt_classes[i].op, stmt_classes[i].table,
			__atomic_load_n(&stmt_classes[i].errors, __ATOMIC_RELAXED));
}

static void put_state(FILE *f, struct hgsd *h, const struct health *hs)
{
	put_head(f, "hgsd_cert_cache_lookups_total", "counter",
		 "Lookups in the verified health certificate cache, by result.");
	fprintf(f, "hgsd_cert_cache_lookups_total{result=\"hit\"} %lu\n",
		__atomic_load_n(&cache_hits, __ATOMIC_RELAXED));
	fprintf(f, "hgsd_cert_cache_lookups_total{result=\"miss\"} %lu\n",
		__atomic_load_n(&cache_misses, __ATOMIC_RELAXED));
	put_head(f, "hgsd_connections_refused_total", "counter",
		 "New connections closed before their TLS handshake, by reason.");
	fprintf(f, "hgsd_connections_refused_total{reason=\"handshake_rate\"} %lu\n",
		__atomic_load_n(&handshakes_refused, __ATOMIC_RELAXED));
	put_head(f, "hgsd_store_up", "gauge", "1 when the store answers and takes writes.");
	fprintf(f, "hgsd_store_up %d\n", !hs->store_err);
	put_head(f, "hgsd_key_process_up", "gauge",
		 "1 when the key process (the service keys) is running and answers.");
	fprintf(f, "hgsd_key_process_up %d\n", !hs->keyproc_err);
	put_head(f, "hgsd_change_feed_lag", "gauge",
		 "Store changes not yet in this node's snapshot (-1: the store cannot say).");
	fprintf(f, "hgsd_change_feed_lag %lld\n", hs->feed_lag);
	put_head(f, "hgsd_hosts", "gauge", "Registered hosts in the snapshot.");
	pthread_rwlock_rdlock(&h->lock);
	fprintf(f, "hgsd_hosts %zu\n", h->n_hosts);
	pthread_rwlock_unlock(&h->lock);
	put_head(f, "hgsd_start_time_seconds", "gauge", "When hgsd started (Unix time).");
	fprintf(f, "hgsd_start_time_seconds %lld\n", (long long)h->started);
	put_head(f, "hgsd_build_info", "gauge", "hgsd's version.");
	fprintf(f, "hgsd_build_info{version=\"%s\"} 1\n", VMS_VERSION);
}

int metrics_render(struct hgsd *h, char **text)
{
	struct health hs;
	size_t len = 0;
	FILE *f;

	*text = NULL;
	health_probe(h, &hs);
	f = open_memstream(text, &len);
	if (!f)
		return -ENOMEM;
	put_requests(f);
	put_latencies(f);
	put_store_statements(f);
	put_state(f, h, &hs);
	if (fclose(f) || !*text) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
