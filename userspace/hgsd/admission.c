// SPDX-License-Identifier: GPL-2.0
/*
 * admission.c - an over-limit source waits instead of being answered
 * (issue 17 item 1).
 *
 * Answering a request that is only refused (503 Busy) costs hgsd about
 * as much as answering a nonce: the TLS record is read and decrypted,
 * the request parsed, an answer built and encrypted. A flood held at its
 * rate limit that way still took a fifth of hgsd's one service thread.
 * Here such a request is parked: its connection is suspended (its next
 * requests stay unread in the kernel's socket buffers: TCP back-pressure
 * on the sender) and resumed when its token is due; it is then served.
 * While it waits it costs one slot in a fixed table, and the source can
 * hold at most max_connections_per_ip of them.
 *
 * One thread sleeps until the earliest due time and resumes what is due.
 * Everything happens under one lock, the libmicrohttpd calls too, so a
 * drain (before a daemon stops) never races a resume or a new suspend.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "admission.h"

struct waiting {
	struct MHD_Connection *conn;
	uint64_t due_ns;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct waiting *w;
	unsigned int n, cap;
	int draining, stop, running;
	unsigned long deferred, refused;
	pthread_t thread;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Under the lock: resume every connection due by @now (all: UINT64_MAX). */
static void resume_due(uint64_t now)
{
	unsigned int i = 0;

	while (i < q.n) {
		if (q.w[i].due_ns > now) {
			i++;
			continue;
		}
		MHD_resume_connection(q.w[i].conn);
		q.w[i] = q.w[--q.n];
	}
}

/* Under the lock: the earliest due time, UINT64_MAX if none waits. */
static uint64_t next_due(void)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < q.n; i++)
		if (q.w[i].due_ns < t)
			t = q.w[i].due_ns;
	return t;
}

static void *resumer(void *arg)
{
	struct timespec ts;
	uint64_t due;

	(void)arg;
	pthread_mutex_lock(&q.lock);
	while (!q.stop) {
		due = next_due();
		if (due == UINT64_MAX) {
			pthread_cond_wait(&q.cond, &q.lock);
		} else if (due > now_ns()) {
			ts.tv_sec = (time_t)(due / 1000000000ull);
			ts.tv_nsec = (long)(due % 1000000000ull);
			pthread_cond_timedwait(&q.cond, &q.lock, &ts);
		}
		resume_due(now_ns());
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

int admission_start(unsigned int slots)
{
	pthread_condattr_t ca;
	int r;

	q.w = calloc(slots, sizeof(*q.w));
	if (!q.w)
		return -ENOMEM;
	q.cap = slots;
	q.n = 0;
	q.stop = q.draining = 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q.cond, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&q.thread, NULL, resumer, NULL);
	if (r) {
		pthread_cond_destroy(&q.cond);
		free(q.w);
		q.w = NULL;
		return -r;
	}
	q.running = 1;
	return 0;
}

void admission_stop(void)
{
	if (!q.running)
		return;
	pthread_mutex_lock(&q.lock);
	q.stop = 1;
	resume_due(UINT64_MAX);
	pthread_cond_signal(&q.cond);
	pthread_mutex_unlock(&q.lock);
	pthread_join(q.thread, NULL);
	pthread_cond_destroy(&q.cond);
	free(q.w);
	q.w = NULL;
	q.cap = 0;
	q.running = 0;
}

int admission_defer(struct MHD_Connection *conn, uint64_t wait_ns)
{
	int r = 0;

	pthread_mutex_lock(&q.lock);
	if (!q.running || q.stop || q.draining || q.n == q.cap) {
		q.refused++;
		r = -EBUSY;
	} else {
		MHD_suspend_connection(conn);
		q.w[q.n].conn = conn;
		q.w[q.n].due_ns = now_ns() + wait_ns;
		q.n++;
		q.deferred++;
		pthread_cond_signal(&q.cond);	/* it may be the earliest */
	}
	pthread_mutex_unlock(&q.lock);
	return r;
}

void admission_drain(void)
{
	pthread_mutex_lock(&q.lock);
	q.draining = 1;
	resume_due(UINT64_MAX);
	pthread_mutex_unlock(&q.lock);
}

void admission_undrain(void)
{
	pthread_mutex_lock(&q.lock);
	q.draining = 0;
	pthread_mutex_unlock(&q.lock);
}

void admission_counts(unsigned long *deferred, unsigned long *refused)
{
	pthread_mutex_lock(&q.lock);
	*deferred = q.deferred;
	*refused = q.refused;
	pthread_mutex_unlock(&q.lock);
}
