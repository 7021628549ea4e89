// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_link.c - the agent's way to HGS: the primary URL, then each
 * fallback; when every URL failed, an exponential backoff with full jitter
 * (a sleep drawn from [0, min(retry_max, initial * 2^round)]) so that 200
 * hosts coming back together do not hit HGS in lockstep; all inside the
 * request's deadline.
 *
 * Sticking to a live node: once the primary failed and another URL
 * answered, exchanges start at the URL that answered last, and the
 * primary is tried first again only after a back-off (primary_retry_s,
 * doubling with each failure in a row, at most 8 times that), so that a
 * dead primary does not cost every exchange a failed connection (about
 * 0.4 s through the rig's network). It is still tried when every other
 * URL fails. HTTPS servers are always verified against
 * hgs_ca_file (the client library sets VERIFYPEER/VERIFYHOST and nothing
 * here can turn them off).
 *
 * Connections are kept in a small idle pool per URL (keep-alive); one
 * curl handle is never used by two threads at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent.h"
#include "vms_hgs_client.h"

int hgs_link_init(struct agent *a)
{
	return -pthread_mutex_init(&a->link_lock, NULL);
}

void hgs_link_free(struct agent *a)
{
	unsigned int u, i;

	for (u = 0; u < AGENT_MAX_URLS; u++)
		for (i = 0; i < a->n_idle[u]; i++)
			vms_hgs_client_close(a->idle[u][i]);
	memset(a->n_idle, 0, sizeof(a->n_idle));
	pthread_mutex_destroy(&a->link_lock);
}

static int client_take(struct agent *a, unsigned int u,
		       struct vms_hgs_client **c)
{
	pthread_mutex_lock(&a->link_lock);
	if (a->n_idle[u]) {
		*c = a->idle[u][--a->n_idle[u]];
		pthread_mutex_unlock(&a->link_lock);
		return 0;
	}
	a->url_stat[u].opened++;
	pthread_mutex_unlock(&a->link_lock);
	return vms_hgs_client_open(c, a->cfg.urls[u], a->cfg.ca_file, NULL);
}

/*
 * Keep a handle that worked; close one that failed (its connection may
 * be half dead).
 */
static void client_give(struct agent *a, unsigned int u,
			struct vms_hgs_client *c, int ok)
{
	pthread_mutex_lock(&a->link_lock);
	if (ok && a->n_idle[u] < AGENT_POOL_MAX) {
		a->idle[u][a->n_idle[u]++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&a->link_lock);
	vms_hgs_client_close(c);
}

/*
 * Count every attempt; log only when a URL changes state (a storm of
 * retries must not flood the journal).
 */
static void note(struct agent *a, unsigned int u, int ok, const char *err)
{
	struct hgs_url_stat *s = &a->url_stat[u];
	int was_down, now_down;
	char safe[300];

	pthread_mutex_lock(&a->link_lock);
	was_down = s->down;
	s->down = !ok;
	if (ok) {
		s->last_ok = time(NULL);
		s->ok++;
	} else {
		s->last_fail = time(NULL);
		s->failed++;
		snprintf(s->last_error, sizeof(s->last_error), "%s", err);
	}
	now_down = !ok;
	pthread_mutex_unlock(&a->link_lock);
	if (now_down && !was_down)
		log_warn("hgs_unreachable", "url=%s error=\"%s\"", a->cfg.urls[u],
			 log_safe(err, safe, sizeof(safe)));
	else if (!now_down && was_down)
		log_info("hgs_reachable", "url=%s", a->cfg.urls[u]);
}

/* The most a dead primary's back-off grows to, in primary_retry_s. */
#define PRIMARY_RETRY_MAX_FACTOR	8

/* Where this exchange starts: the URL that answered last, or the primary. */
static unsigned int first_url(struct agent *a)
{
	unsigned int u;

	pthread_mutex_lock(&a->link_lock);
	u = a->preferred;
	if (u >= a->cfg.n_urls || agent_now() >= a->primary_retry_at)
		u = 0;
	pthread_mutex_unlock(&a->link_lock);
	return u;
}

/*
 * URL @u answered (@ok) or failed: the preferred URL follows the last
 * answer; a failure of the primary pushes its next first try back.
 */
static void prefer(struct agent *a, unsigned int u, int ok)
{
	unsigned int was;

	pthread_mutex_lock(&a->link_lock);
	was = a->preferred;
	if (ok) {
		a->preferred = u;
		if (!u) {
			a->primary_fails = 0;
			a->primary_retry_at = 0;
		}
	} else if (!u) {
		double wait = a->cfg.primary_retry_s;
		unsigned int i;

		a->primary_fails++;
		for (i = 1; i < a->primary_fails && wait < a->cfg.primary_retry_s *
		     (double)PRIMARY_RETRY_MAX_FACTOR; i++)
			wait *= 2;
		a->primary_retry_at = agent_now() + wait;
	}
	pthread_mutex_unlock(&a->link_lock);
	if (ok && u != was)
		log_info("hgs_preferred", "url=%s msg=\"exchanges start at this URL%s\"", a->cfg.urls[u],
			 u ? " until the primary's back-off is over" : "");
}

static double random_unit(void)
{
	uint32_t x = 0;

	if (getrandom(&x, sizeof(x), 0) != sizeof(x))
		x = (uint32_t)rand();
	return (double)x / 4294967296.0;
}

/* Full jitter: uniform in [0, cap], cap = min(max, initial * 2^round). */
static double backoff_s(const struct agent_config *c, unsigned int round)
{
	double cap = c->retry_initial_ms;

	while (round-- && cap < c->retry_max_ms)
		cap *= 2;
	if (cap > c->retry_max_ms)
		cap = c->retry_max_ms;
	return cap * random_unit() / 1000.0;
}

int hgs_run(struct agent *a, double deadline, hgs_exchange_fn fn, void *arg,
	    char *err, size_t errlen)
{
	unsigned int round, u;
	int r;

	snprintf(err, errlen, "no attempt was made before the deadline");
	for (round = 0;; round++) {
		unsigned int first = first_url(a), i;

		for (i = 0; i < a->cfg.n_urls; i++) {
			struct vms_hgs_client *c = NULL;
			double left = deadline - agent_now();
			long total_ms, connect_ms;

			u = (first + i) % a->cfg.n_urls;
			if (agent_stopping(a))
				return -ESHUTDOWN;
			if (left < 0.05)
				return -ETIMEDOUT;
			total_ms = (long)(left * 1000);
			if (total_ms > (long)a->cfg.attempt_timeout_s * 1000)
				total_ms = (long)a->cfg.attempt_timeout_s * 1000;
			connect_ms = total_ms < 5000 ? total_ms : 5000;
			r = client_take(a, u, &c);
			if (r) {
				snprintf(err, errlen, "%s: %s", a->cfg.urls[u],
					 strerror(-r));
				return r;
			}
			vms_hgs_client_set_timeout(c, connect_ms, total_ms);
			r = fn(c, arg, err, errlen);
			client_give(a, u, c, r == 0);
			if (r != -EAGAIN) {
				note(a, u, 1, NULL);
				prefer(a, u, 1);
				return r;
			}
			note(a, u, 0, err);
			prefer(a, u, 0);
		}
		{
			double s = backoff_s(&a->cfg, round);
			double left = deadline - agent_now();

			if (left <= 0.05)
				return -ETIMEDOUT;
			if (s > left - 0.05)
				s = left - 0.05;
			if (agent_sleep(a, s))
				return -ESHUTDOWN;
		}
	}
}

/* -EAGAIN for transport errors and answers that say "try later". */
int hgs_post(struct vms_hgs_client *c, const char *path, json_t *req,
		long *http, json_t **resp, char *err, size_t errlen)
{
	int r = vms_hgs_call(c, path, req, http, resp);

	if (r) {
		snprintf(err, errlen, "%s", vms_hgs_client_error(c));
		return -EAGAIN;
	}
	if (*http >= 500) {
		snprintf(err, errlen, "HTTP %ld %s", *http, vms_hgs_substatus(*resp));
		json_decref(*resp);
		*resp = NULL;
		return -EAGAIN;
	}
	return 0;
}

json_t *hgs_link_status(struct agent *a)
{
	json_t *arr = json_array();
	unsigned int u;

	pthread_mutex_lock(&a->link_lock);
	for (u = 0; u < a->cfg.n_urls; u++) {
		struct hgs_url_stat *s = &a->url_stat[u];
		const char *state = !s->last_ok && !s->last_fail ? "unknown" :
			s->down ? "unreachable" : "reachable";

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
			"url", a->cfg.urls[u], "role", u ? "fallback" : "primary",
			"preferred", u == (a->preferred < a->cfg.n_urls &&
					   agent_now() < a->primary_retry_at ? a->preferred : 0),
			"state", state, "last_success", (json_int_t)s->last_ok,
			"last_failure", (json_int_t)s->last_fail,
			"successes", (json_int_t)s->ok,
			"failures", (json_int_t)s->failed,
			"connections_opened", (json_int_t)s->opened,
			"last_error", s->last_error));
	}
	pthread_mutex_unlock(&a->link_lock);
	return arr;
}
