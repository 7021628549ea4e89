// SPDX-License-Identifier: GPL-2.0
/*
 * change_feed.c - reload the snapshot when another node (or this one)
 * changed the store (change_feed.h).
 *
 * Polling a version row rather than PostgreSQL's LISTEN/NOTIFY: the same
 * code for both backends, nothing lost when a connection drops (a
 * notification sent while a node was reconnecting would be), and the
 * bound is the poll interval, which the cluster test measures. A read
 * is one indexed row; at the default 200 ms that is 5 small reads a
 * second per node. A snapshot records the sequence it was read at
 * (state.c), so a change this node made, and reloaded for at once,
 * is not reloaded a second time. While the store cannot be read the last snapshot
 * stays (releases and attestations then fail closed at their durable
 * event, store.c) and the failure is logged once.
 *
 * Guardians follow too, in the direction that matters for security: a
 * guardian another node disabled (or removed) is dropped here, from the
 * key process and from what this node publishes, so that no node
 * releases under it any more. One enabled or added on another node is
 * not loaded here: its key file is that node's (hgs-cluster.md §3).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "change_feed.h"
#include "hgsd.h"
#include "keyproc.h"
#include "keys.h"
#include "log.h"
#include "state.h"
#include "store.h"
#include "vms_cleanup_json.h"

static pthread_t feed;
static pthread_mutex_t feed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t feed_cond = PTHREAD_COND_INITIALIZER;
static int feed_running, feed_stop;

/* Wait @ms or until stopped; 1 if stopped. */
static int wait_ms(unsigned int ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&feed_lock);
	if (!feed_stop)
		pthread_cond_timedwait(&feed_cond, &feed_lock, &ts);
	stop = feed_stop;
	pthread_mutex_unlock(&feed_lock);
	return stop;
}

/* 1 if the store lists guardian @name as enabled (@rows: its guardians). */
static int enabled_in(json_t *rows, const char *name)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "name")) ?: "", name))
			return json_integer_value(json_object_get(row, "enabled")) != 0;
	return 0;
}

/* Drop every guardian this node holds that the store no longer enables. */
static void guardians_follow(struct hgsd *h)
{
	_cleanup_json_ json_t *rows = store_list(h->st, STORE_LIST_GUARDIANS, 0);
	char drop[HGSD_MAX_GUARDIANS][sizeof(h->guardians[0].g.name)];
	unsigned int i, n = 0;

	if (!rows)
		return;	/* the next change retries */
	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++)
		if (!enabled_in(rows, h->guardians[i].g.name))
			snprintf(drop[n++], sizeof(drop[0]), "%s", h->guardians[i].g.name);
	pthread_rwlock_unlock(&h->lock);
	for (i = 0; i < n; i++) {
		int r = keyproc_guardian_drop(drop[i]);

		keys_drop_public_guardian(h, drop[i]);
		if (r && r != -ENOENT)
			log_err("change-feed", "guardian=%s error=\"%s\" msg=\"disabled in the store, but the key process still holds it: restart hgsd\"",
				drop[i], strerror(-r));
		else
			log_info("change-feed", "guardian=%s msg=\"disabled in the store: no longer used here\"",
				 drop[i]);
	}
}

static void *follow(void *arg)
{
	struct hgsd *h = arg;
	int failing = 0;

	while (!wait_ms(h->cfg.change_poll_ms)) {
		long long seq;
		int r = store_change_seq(h->st, &seq);

		if (r) {
			if (!failing)
				log_err("change-feed", "error=\"%s\" msg=\"cannot read the store's changes: keeping the last snapshot\"",
					strerror(-r));
			failing = 1;
			continue;
		}
		if (failing)
			log_info("change-feed", "msg=\"reading the store's changes again\"");
		failing = 0;
		/* reloaded already at or after it (an admin change on this node) */
		if (seq <= __atomic_load_n(&h->snapshot_seq, __ATOMIC_ACQUIRE))
			continue;
		/* reloaded as of at least seq: a change after the read is seen next time */
		r = state_reload(h);
		if (r) {
			log_err("change-feed", "seq=%lld error=\"%s\" msg=\"cannot reload the snapshot: will retry\"",
				seq, strerror(-r));
			continue;
		}
		guardians_follow(h);
		log_info("change-feed", "seq=%lld msg=\"snapshot reloaded\"", seq);
	}
	return NULL;
}

int change_feed_start(struct hgsd *h)
{
	int r = pthread_create(&feed, NULL, follow, h);

	if (r)
		return -r;
	feed_running = 1;
	return 0;
}

void change_feed_stop(void)
{
	if (!feed_running)
		return;
	pthread_mutex_lock(&feed_lock);
	feed_stop = 1;
	pthread_cond_signal(&feed_cond);
	pthread_mutex_unlock(&feed_lock);
	pthread_join(feed, NULL);
	feed_running = 0;
}
