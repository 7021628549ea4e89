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
 * Guardians follow too. One another node disabled (or removed) is
 * dropped here, from the key process and from what this node publishes,
 * so that no node releases under it any more. One another node added or
 * enabled is loaded here: from this node's key file if it has one, else
 * from the key file the adding node shared through the store (its
 * private keys encrypted under the master key every node holds), which
 * the key process loads only if its certificates are the ones the store
 * publishes. One that cannot be loaded (no key file shared, a bad one)
 * is logged and changes nothing here (hgs-cluster.md §3). Guardian
 * changes made on this node's admin API and this following are
 * serialised (change_feed_guardians_lock()), so a list read here is not
 * acted on after this node's own change overtook it.
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
#include "vms_cleanup.h"
#include "vms_cleanup_json.h"
#include "vms_hgs_cert.h"
#include "vms_slog.h"

static pthread_t feed;
static pthread_mutex_t feed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t feed_cond = PTHREAD_COND_INITIALIZER;
static int feed_running, feed_stop;
static pthread_mutex_t guardians_lock = PTHREAD_MUTEX_INITIALIZER;

void change_feed_guardians_lock(void)
{
	pthread_mutex_lock(&guardians_lock);
}

void change_feed_guardians_unlock(void)
{
	pthread_mutex_unlock(&guardians_lock);
}

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

/* Guardian @name's row in the store's list (@rows), or NULL. */
static json_t *row_of(json_t *rows, const char *name)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "name")) ?: "", name))
			return row;
	return NULL;
}

static int enabled_row(json_t *row)
{
	return row && json_integer_value(json_object_get(row, "enabled")) != 0;
}

/* 1 if this node holds guardian @name. */
static int held(struct hgsd *h, const char *name)
{
	unsigned int i;
	int found = 0;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians && !found; i++)
		found = !strcmp(h->guardians[i].g.name, name);
	pthread_rwlock_unlock(&h->lock);
	return found;
}

/* Drop every guardian this node holds that the store no longer enables. */
static void guardians_drop(struct hgsd *h, json_t *rows)
{
	char drop[HGSD_MAX_GUARDIANS][sizeof(h->guardians[0].g.name)];
	int removed[HGSD_MAX_GUARDIANS];
	char moved[HGSD_PATH_MAX];
	unsigned int i, n = 0;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++) {
		json_t *row = row_of(rows, h->guardians[i].g.name);

		if (enabled_row(row))
			continue;
		removed[n] = !row;
		snprintf(drop[n++], sizeof(drop[0]), "%s", h->guardians[i].g.name);
	}
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
		/* removed: its key file goes aside, as on the node that removed it */
		if (removed[i] && !keys_retire_guardian_file(h, drop[i], moved, sizeof(moved)))
			log_info("change-feed", "guardian=%s key_file=%s msg=\"removed from the store\"",
				 drop[i], moved);
	}
}

/*
 * Load guardian @name, enabled in the store with certificates @pem: from
 * this node's key file, else from the one the store shares (written
 * here first, removed again if the key process refuses it).
 */
static int guardian_take(struct hgsd *h, const char *name, const char *pem)
{
	_cleanup_free_ char *keyfile = NULL;
	const char *from = "this node's key file";
	int installed = 0, r;

	r = store_guardian_key_get(h->st, name, &keyfile);
	if (r && r != -ENOENT)
		return log_errno(r, "change-feed", "step=\"reading the guardian's shared key file\" guardian=%s msg=\"not loaded: the next change retries\"",
				 name);
	if (!keyfile) {
		_cleanup_free_ char *local = NULL;

		if (keys_guardian_file_read(h, name, &local) == -ENOENT)
			return log_errno(-ENOENT, "change-feed", "guardian=%s msg=\"enabled in the store, but no node shared its key file and this node has none: not loaded (copy keys/guardian-%s.pem here and enable it)\"",
					 name, name);
	} else {
		r = keys_guardian_file_install(h, name, keyfile);
		if (r && r != -EEXIST)
			return log_errno(r, "change-feed", "step=\"writing the guardian's shared key file\" guardian=%s msg=\"not loaded\"",
					 name);
		installed = !r;
		if (installed)
			from = "the key file the store shares";
	}
	r = keyproc_guardian_load(name, pem);
	if (r) {
		if (installed)
			keys_guardian_file_remove(h, name);
		return log_errno(r, "change-feed", "step=\"loading the guardian in the key process\" guardian=%s from=\"%s\" msg=\"not loaded\"",
				 name, from);
	}
	r = keys_add_public_guardian(h, pem);
	if (r) {
		keyproc_guardian_drop(name);
		return log_errno(r, "change-feed", "step=\"publishing the guardian\" guardian=%s msg=\"not loaded\"",
				 name);
	}
	log_info("change-feed", "guardian=%s from=\"%s\" msg=\"enabled in the store: loaded here\"",
		 name, from);
	return 0;
}

/* Load every guardian the store enables that this node does not hold. */
static void guardians_take(struct hgsd *h, json_t *rows)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *pem = json_string_value(json_object_get(row, "certificates"));

		if (!name || !enabled_row(row))
			continue;
		/* the name makes a path (keys/guardian-NAME.pem): the admin API's rule */
		if (!vms_host_name_valid(name)) {
			char safe[160];

			log_err("change-feed", "guardian=\"%s\" msg=\"enabled in the store under a name that is not valid: not loaded\"",
				vms_log_safe_quoted(name, safe, sizeof(safe)));
			continue;
		}
		if (held(h, name))
			continue;
		if (!pem || !pem[0]) {
			log_err("change-feed", "guardian=%s msg=\"enabled in the store without certificates: not loaded\"",
				name);
			continue;
		}
		guardian_take(h, name, pem);
	}
}

/* This node's guardians follow the store's: dropped, then loaded. */
static void guardians_follow(struct hgsd *h)
{
	_cleanup_json_ json_t *rows = NULL;

	change_feed_guardians_lock();
	rows = store_list(h->st, STORE_LIST_GUARDIANS, 0);
	if (rows) {	/* else the next change retries */
		guardians_drop(h, rows);
		guardians_take(h, rows);
	}
	change_feed_guardians_unlock();
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
