// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - the HGS store, over a backend (store_db.h): SQLite (one file,
 * the default) or PostgreSQL (a cluster of hgsd nodes on one database).
 *
 * Two connections: "admin" (durable: an acknowledged admin change is on
 * disk) and "log" (attestation and release events; with SQLite a power
 * cut may lose the last few, a process crash loses none). Each is used
 * under its own mutex. The schema is versioned (store_schema.c) and
 * migrated forward on open, in one transaction per step; a newer schema
 * than this binary knows is refused.
 * Every admin change and its audit row commit in the same transaction.
 *
 * Fail closed (issue 17 item 4): an event that records something served
 * (a certificate issued, a key released) is written before it is served
 * (store_event_durable: the writer thread commits it now, with whatever
 * else is queued, and says whether it did); the last write's outcome is
 * the store's health (store_health, /v1/health). store_preflight()
 * refuses, before anything starts, a store that cannot be written (read
 * only, full, unreachable); with SQLite it makes the reserve: a file next
 * to the database deleted to make room when disabling or removing a host
 * fails, so that an admin can always take a host out of service.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_sync.h"

#include "keyrelease.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_db.h"
#include "vms_audit_chain.h"
#include "vms_compiler.h"

struct event;

/* A durable event's waiter: the writer thread says when and how it went. */
struct ev_wait {
	int done, err;
};

struct store {
	const struct db_ops *ops;
	struct db *db;		/* admin changes, reads */
	struct db *log;		/* events, written by the writer thread */
	struct db *quick;	/* nonce spends, TPM challenges: as durable as events */
	pthread_mutex_t lock, log_lock, quick_lock;
	pthread_cond_t log_cond;
	pthread_t writer;
	int writer_started, stopping;
	struct event *events;	/* queued, under log_lock */
	size_t n_events, cap_events;
	unsigned long dropped;
	struct retention ret;	/* under log_lock */
	struct timespec next_prune;
	pthread_cond_t done_cond;	/* durable events: a batch was written */
	int write_err;		/* the last event batch's outcome (atomic) */
	size_t n_durable;	/* durable events queued, under log_lock */
	char reserve[4200];	/* the reserve file ("" = none) */
	struct store_gsync gsync;	/* SQLite: group commit (store_sync_quick) */
	int gsync_on;
};

static void *event_writer(void *arg);
static void set_health(struct store *st, int r, size_t n);

void store_note_failure(struct store *st, int r)
{
	if (r && r != -EEXIST && r != -ENOENT && r != -EBUSY)
		set_health(st, r, 0);
}

const struct db_ops *store_backend(const char *target, const char **rest)
{
	static const struct {
		const char *prefix;
		const struct db_ops *ops;
	} schemes[] = {
		{ "postgresql:", &store_pg_ops },
		{ "postgres:", &store_pg_ops },
		{ "sqlite:", &store_sqlite_ops },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (!strncmp(target, schemes[i].prefix, n)) {
			*rest = target + n;
			return schemes[i].ops;
		}
	}
	*rest = target;
	return &store_sqlite_ops;
}

/*
 * Every statement store.c sends a backend passes through these three:
 * its time goes into /metrics by statement class (metrics.h).
 */
static int timed_query(struct db *db, const char *sql, const char *const *args,
		       json_t **rows, long *changes)
{
	double t0 = metrics_now();
	int r = db->ops->query(db, sql, args, rows, changes);

	metrics_store_statement(db->ops->name, sql, metrics_now() - t0, r);
	return r;
}

static int exec(struct db *db, const char *sql)
{
	double t0 = metrics_now();
	int r = db->ops->exec(db, sql);

	metrics_store_statement(db->ops->name, sql, metrics_now() - t0, r);
	return r;
}

static int db_begin(struct db *db)
{
	double t0 = metrics_now();
	int r = db->ops->begin(db);

	metrics_store_statement(db->ops->name, "BEGIN", metrics_now() - t0, r);
	return r;
}

static const char *const *migrations_of(const struct db_ops *ops)
{
	return ops->pg ? store_migrations_pg : store_migrations_sqlite;
}

/*
 * Schema @v to @v + 1, in one transaction; another node that migrated
 * meanwhile (a write transaction is serialised) leaves nothing to do.
 */
static int migrate_one(struct db *db, int v)
{
	int now;

	if (db_begin(db))
		return log_errno(-EIO, "store", "step=\"beginning the migration\" to=%d", v + 1);
	now = db->ops->schema_version(db);
	if (now > v) {
		exec(db, "ROLLBACK");
		return 0;
	}
	if (now != v || exec(db, migrations_of(db->ops)[v]) ||
	    db->ops->set_schema_version(db, v + 1) || exec(db, "COMMIT")) {
		exec(db, "ROLLBACK");
		return log_errno(-EIO, "store", "step=\"migrating the schema\" to=%d", v + 1);
	}
	log_info("store", "migrated_to=%d", v + 1);
	return 0;
}

static int migrate(struct db *db)
{
	int v = db->ops->schema_version(db), r;

	if (v < 0)
		return log_errno(-EIO, "store", "step=\"reading the schema version\"");
	if (v > store_schema_latest) {
		log_err("store", "schema_version=%d supported=%d msg=\"store is newer than this hgsd\"",
			v, store_schema_latest);
		return -EPROTONOSUPPORT;
	}
	for (; v < store_schema_latest; v++) {
		r = migrate_one(db, v);
		if (r)
			return r;
		v = db->ops->schema_version(db) - 1;
	}
	return 0;
}

int store_open(const char *target, struct store **out)
{
	_cleanup_(store_closep) struct store *st = calloc(1, sizeof(*st));
	const char *rest;
	int r;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->log_lock, NULL);
	pthread_mutex_init(&st->quick_lock, NULL);
	pthread_cond_init(&st->log_cond, NULL);
	pthread_cond_init(&st->done_cond, NULL);
	st->ops = store_backend(target, &rest);
	if (!st->ops->pg)
		snprintf(st->reserve, sizeof(st->reserve), "%s.reserve", rest);
	if (!st->ops->pg) {
		r = store_gsync_init(&st->gsync, rest);
		st->gsync_on = 1;
		if (r)
			return r;
	}
	r = st->ops->open(rest, 1, &st->db);
	if (r)
		return r;
	r = migrate(st->db);
	if (r)
		return r;
	r = st->ops->open(rest, 0, &st->log);
	if (!r)
		r = st->ops->open(rest, 0, &st->quick);
	if (r)
		return r;
	r = pthread_create(&st->writer, NULL, event_writer, st);
	if (r)
		return log_errno(-r, "store", "step=\"starting the event writer\"");
	st->writer_started = 1;
	*out = VMS_TAKE_PTR(st);
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->writer_started) {
		pthread_mutex_lock(&st->log_lock);
		st->stopping = 1;
		pthread_cond_signal(&st->log_cond);
		pthread_mutex_unlock(&st->log_lock);
		pthread_join(st->writer, NULL);	/* flushes what is queued */
	}
	pthread_cond_destroy(&st->log_cond);
	pthread_cond_destroy(&st->done_cond);
	free(st->events);
	if (st->db)
		st->ops->close(st->db);
	if (st->log)
		st->ops->close(st->log);
	if (st->quick)
		st->ops->close(st->quick);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->log_lock);
	pthread_mutex_destroy(&st->quick_lock);
	if (st->gsync_on)
		store_gsync_destroy(&st->gsync);
	free(st);
}

int store_preflight(const char *target, char *why, size_t len)
{
	const char *rest;
	const struct db_ops *ops = store_backend(target, &rest);

	return ops->preflight(rest, why, len);
}

int store_health(struct store *st)
{
	return __atomic_load_n(&st->write_err, __ATOMIC_RELAXED);
}

int store_dialect_pg(struct store *st)
{
	return st->ops->pg;
}

int store_schema_version(struct store *st)
{
	int v;

	pthread_mutex_lock(&st->lock);
	v = st->ops->schema_version(st->db);
	pthread_mutex_unlock(&st->lock);
	return v;
}

/* Run one statement; returns rows changed or -errno. */
static int run(struct db *db, const char *sql, const char *const *args)
{
	long n = 0;
	int r = timed_query(db, sql, args, NULL, &n);

	return r ? r : (int)n;
}

/* A column's value as text ("" for NULL). */
static void value_text(json_t *v, char *out, size_t len)
{
	if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else
		snprintf(out, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The first row of @sql (NULL if none: -ENOENT); 0 or -errno. */
static int query_row(struct db *db, const char *sql, const char *const *args, json_t **row)
{
	json_t *rows = NULL;
	int r = timed_query(db, sql, args, &rows, NULL);

	*row = NULL;
	if (r)
		return r;
	if (!json_array_size(rows)) {
		json_decref(rows);
		return -ENOENT;
	}
	*row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

/* The only column of the first row as text into @out; -ENOENT if no row. */
static int query_text(struct db *db, const char *sql, const char *const *args,
		      char *out, size_t len)
{
	json_t *row;
	int r = query_row(db, sql, args, &row);

	if (r)
		return r;
	value_text(json_object_iter_value(json_object_iter(row)), out, len);
	json_decref(row);
	return 0;
}

int store_db_run(struct db *db, const char *sql, const char *const *args)
{
	return run(db, sql, args);
}

int store_db_row(struct db *db, const char *sql, const char *const *args, json_t **row)
{
	return query_row(db, sql, args, row);
}

int store_db_begin(struct db *db)
{
	return db_begin(db);
}

int store_db_end(struct db *db, int r)
{
	if (!r)
		r = exec(db, "COMMIT");
	if (r)
		exec(db, "ROLLBACK");
	return r;
}

struct db *store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	return st->db;
}

void store_unlock(struct store *st)
{
	pthread_mutex_unlock(&st->lock);
}

struct db *store_lock_quick(struct store *st)
{
	pthread_mutex_lock(&st->quick_lock);
	return st->quick;
}

void store_unlock_quick(struct store *st)
{
	pthread_mutex_unlock(&st->quick_lock);
}

/* Column @name of @row as an integer (0 if absent or NULL). */
static long long col_int(json_t *row, const char *name)
{
	return json_integer_value(json_object_get(row, name));
}

static void now_text(char buf[24])
{
	snprintf(buf, 24, "%lld", (long long)time(NULL));
}

/* This node's name in the audit rows it writes (store_set_node()). */
static char node_name[65];

void store_set_node(struct store *st, const char *name)
{
	(void)st;
	snprintf(node_name, sizeof(node_name), "%s", name);
}

/*
 * An audit row, chained to the one before (vms_audit_chain.h). Inside a
 * write transaction, which every writer serialises on, so no two rows
 * ever claim the same predecessor.
 */
static int audit_row(struct db *db, const char *who, const char *action,
		     const char *detail, const char *result)
{
	char now[24], prev[VMS_AUDIT_HASH_HEX] = "", hash[VMS_AUDIT_HASH_HEX];
	const char *const args[] = { now, node_name, who, action, detail, result, prev, hash,
				     NULL };
	struct vms_audit_row row = { .node = node_name, .who = who, .action = action,
				     .detail = detail, .result = result, .prev_hash = prev };
	int r;

	row.at = (long long)time(NULL);
	snprintf(now, sizeof(now), "%lld", row.at);
	r = query_text(db, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", NULL, prev,
		       sizeof(prev));
	if (r && r != -ENOENT)
		return r;
	if (vms_audit_row_hash(&row, hash))
		return -EIO;
	return run(db, "INSERT INTO audit(at, node, who, action, detail, result, prev_hash, hash)\n"
		   "VALUES (?,?,?,?,?,?,?,?)", args) == 1 ? 0 : -EIO;
}

/*
 * A change: a write transaction (db_begin), @fn, the audit row, COMMIT. @fn returns 0 or
 * a negative errno; a refusal (-EEXIST etc.) is audited too, in its own
 * transaction, and nothing else changes.
 */
typedef int (*change_fn)(struct db *db, const void *arg);

static const char *result_name(int r)
{
	switch (r) {
	case 0: return "ok";
	case -EEXIST: return "unchanged";
	case -EKEYREJECTED: return "refused-conflict";
	case -ENOENT: return "refused-no-such-object";
	case -ENOSPC: return "refused-limit";
	case -EPERM: return "refused-protected";
	case -EBUSY: return "refused-still-enabled";
	case -EALREADY: return "refused-duplicate";
	default: return "error";
	}
}

/* A refusal is audited alone, in its own transaction. */
static void audit_refusal(struct db *db, const char *who, const char *action,
			  const char *detail, int r)
{
	if (db_begin(db))
		return;
	exec(db, audit_row(db, who, action, detail, result_name(r)) ? "ROLLBACK" : "COMMIT");
}

/* change(), under the store's lock. */
static int change_locked(struct db *db, const char *who, const char *action,
			 const char *detail, change_fn fn, const void *arg)
{
	int r;

	if (db_begin(db))
		return log_errno(-EIO, "store", "step=\"beginning the change\" action=%s", action);
	r = fn(db, arg);
	if (r) {
		exec(db, "ROLLBACK");
		audit_refusal(db, who, action, detail, r);
		return r;
	}
	/* the change feed: every node reloads its snapshot (change_feed.c) */
	if (run(db, "UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'change_seq'",
		NULL) != 1) {
		exec(db, "ROLLBACK");
		return log_errno(-EIO, "store", "step=\"bumping the change feed\" action=%s", action);
	}
	if (audit_row(db, who, action, detail, "ok") || exec(db, "COMMIT")) {
		exec(db, "ROLLBACK");
		return log_errno(-EIO, "store", "step=\"committing the change with its audit row\" action=%s",
				 action);
	}
	return 0;
}

static int change(struct store *st, const char *who, const char *action,
		  const char *detail, change_fn fn, const void *arg)
{
	int r;

	pthread_mutex_lock(&st->lock);
	r = change_locked(st->db, who, action, detail, fn, arg);
	pthread_mutex_unlock(&st->lock);
	return r;
}

int store_change(struct store *st, const char *who, const char *action,
		 const char *detail, int (*fn)(struct db *db, const void *arg), const void *arg)
{
	return change(st, who, action, detail, fn, arg);
}

int store_audit(struct store *st, const char *who, const char *action,
		const char *detail, const char *result)
{
	int r;

	pthread_mutex_lock(&st->lock);
	r = db_begin(st->db);
	if (!r)
		r = store_db_end(st->db, audit_row(st->db, who, action, detail, result));
	pthread_mutex_unlock(&st->lock);
	return r;
}

struct host_arg {
	const char *name, *alg, *pem, *fpr;
	int enabled;
};

static int host_add_fn(struct db *db, const void *p)
{
	const struct host_arg *h = p;
	const char *const args[] = { h->name, NULL };
	char fpr[80], now[24];
	int r;

	r = query_text(db, "SELECT key_fpr FROM hosts WHERE name = ?", args,
		       fpr, sizeof(fpr));
	if (r == 0 && !fpr[0]) {
		/* registered by its EK only so far: add the host key */
		const char *const upd[] = { h->alg, h->pem, h->fpr, now, h->name, NULL };

		now_text(now);
		return run(db, "UPDATE hosts SET key_alg = ?, public_key = ?, key_fpr = ?, updated_at = ? WHERE name = ?",
			   upd) == 1 ? 0 : -EIO;
	}
	if (r == 0)
		return strcmp(fpr, h->fpr) ? -EKEYREJECTED : -EEXIST;
	if (r != -ENOENT)
		return r;
	now_text(now);
	{
		const char *const ins[] = { h->name, h->alg, h->pem, h->fpr, now, now, NULL };

		return run(db, "INSERT INTO hosts(name, key_alg, public_key, key_fpr, enabled, added_at, updated_at) VALUES (?,?,?,?,1,?,?)",
			   ins) == 1 ? 0 : -EIO;
	}
}

int store_host_add(struct store *st, const char *name, const char *alg,
		   const char *pem, const char *fpr, const char *who)
{
	struct host_arg h = { name, alg, pem, fpr, 1 };
	char detail[200];

	snprintf(detail, sizeof(detail), "host=%s key_alg=%s key_fpr=%s", name, alg, fpr);
	return change(st, who, "host-add", detail, host_add_fn, &h);
}

struct host_ek_arg {
	const char *name, *ek_hex, *ek_fpr, *hw_class;
};

/*
 * Register @name's EK: a new host (no host key), or the EK of a host
 * registered by its host key. An EK another host holds (enabled or not)
 * is refused (-EADDRINUSE, TpmEkInUse): one TPM is one host. Another EK
 * than the registered one is refused (-EKEYREJECTED, TpmEkConflict); the
 * same one again is -EEXIST unless only the hardware class changes. All
 * of it inside change()'s one transaction.
 */
/* Is @h's EK registered for another host? 1, or 0 (a failed query: 1). */
static int ek_held_elsewhere(struct db *db, const struct host_ek_arg *h)
{
	const char *const args[] = { h->ek_fpr, h->name, NULL };
	char other[80];

	return query_text(db, "SELECT name FROM hosts WHERE ek_fpr = ? AND name != ?", args,
			  other, sizeof(other)) != -ENOENT;
}

static int host_ek_fn(struct db *db, const void *p)
{
	const struct host_ek_arg *h = p;
	const char *const args[] = { h->name, NULL };
	char fpr[80], cls[80], now[24];
	int r;

	now_text(now);
	r = query_text(db, "SELECT ek_fpr FROM hosts WHERE name = ?", args, fpr, sizeof(fpr));
	if (r && r != -ENOENT)
		return r;
	if (!r && fpr[0] && strcmp(fpr, h->ek_fpr))
		return -EKEYREJECTED;
	if (ek_held_elsewhere(db, h))
		return -EADDRINUSE;
	if (r == -ENOENT) {
		const char *const ins[] = { h->name, h->ek_hex, h->ek_fpr, h->hw_class, now, now, NULL };

		return run(db, "INSERT INTO hosts(name, key_alg, public_key, key_fpr, ek_public,\n"
			   "  ek_fpr, hardware_class, enabled, added_at, updated_at)\n"
			   "VALUES (?,'','','',?,?,?,1,?,?)", ins) == 1 ? 0 : -EIO;
	}
	r = query_text(db, "SELECT hardware_class FROM hosts WHERE name = ?", args, cls,
		       sizeof(cls));
	if (r)
		return r;
	if (fpr[0] && !strcmp(cls, h->hw_class))
		return -EEXIST;
	{
		const char *const upd[] = { h->ek_hex, h->ek_fpr, h->hw_class, now, h->name, NULL };

		return run(db, "UPDATE hosts SET ek_public = ?, ek_fpr = ?, hardware_class = ?, updated_at = ? WHERE name = ?",
			   upd) == 1 ? 0 : -EIO;
	}
}

int store_host_add_ek(struct store *st, const char *name, const char *ek_hex,
		      const char *ek_fpr, const char *hw_class, const char *who)
{
	struct host_ek_arg h = { name, ek_hex, ek_fpr, hw_class };
	char detail[200];

	snprintf(detail, sizeof(detail), "host=%s ek_fpr=%s hardware_class=%s", name, ek_fpr,
		 hw_class);
	return change(st, who, "host-add-ek", detail, host_ek_fn, &h);
}

struct baseline_arg {
	const char *name, *hw_class, *body, *sha;
	long version;
	int enabled;
};

/*
 * A (name, version) is written once: the same body again is -EEXIST,
 * another body -EKEYREJECTED (add a new version instead).
 */
static int baseline_add_fn(struct db *db, const void *p)
{
	const struct baseline_arg *b = p;
	char ver[24], now[24], sha[80];
	const char *const q[] = { b->name, ver, NULL };
	const char *const ins[] = { b->name, ver, b->hw_class, b->enabled ? "1" : "0", b->body,
			      b->sha, now, NULL };
	int r;

	snprintf(ver, sizeof(ver), "%ld", b->version);
	now_text(now);
	r = query_text(db, "SELECT sha256 FROM baselines WHERE name = ? AND version = ?", q,
		       sha, sizeof(sha));
	if (r == 0)	/* that name and version exist */
		return strcmp(sha, b->sha) ? -EKEYREJECTED : -EEXIST;
	if (r != -ENOENT)
		return r;
	return run(db, "INSERT INTO baselines(name, version, hardware_class, enabled, body, sha256, added_at) VALUES (?,?,?,?,?,?,?)",
		   ins) == 1 ? 0 : -EIO;
}

int store_baseline_add(struct store *st, const char *name, long version,
		       const char *hw_class, int enabled, const char *body,
		       const char *sha, const char *who)
{
	struct baseline_arg b = { name, hw_class, body, sha, version, enabled };
	char detail[240];

	snprintf(detail, sizeof(detail), "baseline=%s version=%ld hardware_class=%s sha256=%s",
		 name, version, hw_class, sha);
	return change(st, who, "baseline-add", detail, baseline_add_fn, &b);
}

static int baseline_enable_fn(struct db *db, const void *p)
{
	const struct baseline_arg *b = p;
	const char *const args[] = { b->enabled ? "1" : "0", b->name, NULL };
	int n = run(db, "UPDATE baselines SET enabled = ? WHERE name = ?", args);

	return n < 0 ? n : n > 0 ? 0 : -ENOENT;
}

int store_baseline_set_enabled(struct store *st, const char *name, int enabled,
			       const char *who)
{
	struct baseline_arg b = { name, NULL, NULL, NULL, 0, enabled };
	char detail[100];

	snprintf(detail, sizeof(detail), "baseline=%s", name);
	return change(st, who, enabled ? "baseline-enable" : "baseline-disable", detail,
		      baseline_enable_fn, &b);
}

struct digests_arg {
	const char *kind;
	const char *const *digests, *const *descs;
	size_t n;
};

/*
 * Rows per INSERT of a bulk add: one statement per row made 100 000
 * digests a minute's worth of round trips to PostgreSQL; 4 arguments a
 * row stay far below either backend's limit on parameters.
 */
#define DIGESTS_PER_INSERT	256

/* Add digests (lower-case hex) in one transaction; -EEXIST if all known. */
static int digests_add_fn(struct db *db, const void *p)
{
	static const char head[] = "INSERT INTO tpm_digests(kind, digest, description, added_at) VALUES ";
	static const char tail[] = " ON CONFLICT DO NOTHING";
	const struct digests_arg *d = p;
	const char *args[4 * DIGESTS_PER_INSERT + 1];
	char now[24], sql[sizeof(head) + 10 * DIGESTS_PER_INSERT + sizeof(tail)];
	size_t i, j, rows, added = 0, len;
	int n;

	now_text(now);
	for (i = 0; i < d->n; i += rows) {
		rows = d->n - i < DIGESTS_PER_INSERT ? d->n - i : DIGESTS_PER_INSERT;
		len = (size_t)snprintf(sql, sizeof(sql), "%s", head);
		for (j = 0; j < rows; j++) {
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(?,?,?,?)",
						j ? "," : "");
			args[4 * j] = d->kind;
			args[4 * j + 1] = d->digests[i + j];
			args[4 * j + 2] = d->descs[i + j];
			args[4 * j + 3] = now;
		}
		snprintf(sql + len, sizeof(sql) - len, "%s", tail);
		args[4 * rows] = NULL;
		n = run(db, sql, args);
		if (n < 0)
			return n;
		added += (size_t)n;
	}
	return added ? 0 : -EEXIST;
}

int store_tpm_digests_add(struct store *st, const char *kind,
			  const char *const *digests, const char *const *descs,
			  size_t n, const char *who)
{
	struct digests_arg d = { kind, digests, descs, n };
	char detail[120];

	snprintf(detail, sizeof(detail), "kind=%s count=%zu first=%.16s", kind, n,
		 n ? digests[0] : "-");
	return change(st, who, "tpm-digests-add", detail, digests_add_fn, &d);
}

static int digest_remove_fn(struct db *db, const void *p)
{
	const struct digests_arg *d = p;
	const char *const args[] = { d->kind, d->digests[0], NULL };
	int n = run(db, "DELETE FROM tpm_digests WHERE kind = ? AND digest = ?", args);

	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_tpm_digest_remove(struct store *st, const char *kind, const char *digest,
			    const char *who)
{
	const char *const one[] = { digest };
	struct digests_arg d = { kind, one, NULL, 1 };
	char detail[120];

	snprintf(detail, sizeof(detail), "kind=%s digest=%s", kind, digest);
	return change(st, who, "tpm-digest-remove", detail, digest_remove_fn, &d);
}

struct ima_key_arg {
	const char *fpr, *keyid, *type, *subject, *desc, *cert_hex;
};

static int ima_key_add_fn(struct db *db, const void *p)
{
	const struct ima_key_arg *k = p;
	char now[24], have[8];
	const char *const q[] = { k->fpr, NULL };
	const char *const ins[] = { k->fpr, k->keyid, k->type, k->subject, k->desc,
			      k->cert_hex, now, NULL };
	int r;

	r = query_text(db, "SELECT 1 FROM ima_keys WHERE fpr = ?", q, have, sizeof(have));
	if (r == 0)	/* approved already */
		return -EALREADY;
	if (r != -ENOENT)
		return r;
	now_text(now);
	return run(db, "INSERT INTO ima_keys(fpr, keyid, key_type, subject, description, cert, added_at) VALUES (?,?,?,?,?,?,?)",
		   ins) == 1 ? 0 : -EIO;
}

int store_ima_key_add(struct store *st, const char *fpr, const char *keyid,
		      const char *type, const char *subject, const char *desc,
		      const char *cert_hex, const char *who)
{
	struct ima_key_arg k = { fpr, keyid, type, subject, desc, cert_hex };
	char detail[160];

	snprintf(detail, sizeof(detail), "fpr=%s keyid=%s type=%s", fpr, keyid, type);
	return change(st, who, "ima-key-add", detail, ima_key_add_fn, &k);
}

static int ima_key_remove_fn(struct db *db, const void *p)
{
	const struct ima_key_arg *k = p;
	const char *const args[] = { k->fpr, NULL };
	int n = run(db, "DELETE FROM ima_keys WHERE fpr = ?", args);

	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_ima_key_remove(struct store *st, const char *fpr, const char *who)
{
	struct ima_key_arg k = { .fpr = fpr };
	char detail[100];

	snprintf(detail, sizeof(detail), "fpr=%s", fpr);
	return change(st, who, "ima-key-remove", detail, ima_key_remove_fn, &k);
}

/* The host's last TPM clock; -ENOENT before its first TPM attestation. */
int store_tpm_clock_get(struct store *st, const char *host, uint64_t *clock,
			uint32_t *reset, uint32_t *restart)
{
	const char *const args[] = { host, NULL };
	json_t *row;
	int r;

	pthread_mutex_lock(&st->lock);
	r = query_row(st->db, "SELECT clock, reset_count, restart_count FROM tpm_clock WHERE host = ?",
		      args, &row);
	pthread_mutex_unlock(&st->lock);
	if (r)
		return r;
	*clock = (uint64_t)col_int(row, "clock");
	*reset = (uint32_t)col_int(row, "reset_count");
	*restart = (uint32_t)col_int(row, "restart_count");
	json_decref(row);
	return 0;
}

int store_tpm_clock_put(struct store *st, const char *host, uint64_t clock,
			uint32_t reset, uint32_t restart)
{
	char c[24], rs[16], rt[16], now[24];
	const char *const args[] = { host, c, rs, rt, now, NULL };
	int r;

	snprintf(c, sizeof(c), "%lld", (long long)clock);
	snprintf(rs, sizeof(rs), "%u", reset);
	snprintf(rt, sizeof(rt), "%u", restart);
	now_text(now);
	pthread_mutex_lock(&st->lock);
	r = run(st->db, "INSERT INTO tpm_clock(host, clock, reset_count, restart_count, updated_at)\n"
		"VALUES (?, ?, ?, ?, ?) ON CONFLICT(host) DO UPDATE SET clock = excluded.clock,\n"
		"  reset_count = excluded.reset_count, restart_count = excluded.restart_count,\n"
		"  updated_at = excluded.updated_at", args);
	pthread_mutex_unlock(&st->lock);
	return r == 1 ? 0 : r < 0 ? r : -EIO;
}

static int host_enable_fn(struct db *db, const void *p)
{
	const struct host_arg *h = p;
	char now[24];
	const char *const args[] = { h->enabled ? "1" : "0", now, h->name, NULL };
	int n;

	now_text(now);
	n = run(db, "UPDATE hosts SET enabled = ?, updated_at = ? WHERE name = ?", args);
	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

/*
 * Taking a host out of service must not fail for want of space: when it
 * does fail to write, the reserve is deleted and it is tried once more.
 */
static int change_reserved(struct store *st, const char *who, const char *action,
			   const char *detail, change_fn fn, const void *arg)
{
	int r = change(st, who, action, detail, fn, arg);

	if (r != -EIO || !st->reserve[0] || unlink(st->reserve) < 0)
		return r;
	log_warn("store", "action=%s reserve=%s msg=\"the change could not be written: the reserve was deleted to make room; free space and restart hgsd to make it again\"",
		 action, st->reserve);
	return change(st, who, action, detail, fn, arg);
}

int store_host_set_enabled(struct store *st, const char *name, int enabled,
			   const char *who)
{
	struct host_arg h = { name, NULL, NULL, NULL, enabled };
	char detail[100];

	snprintf(detail, sizeof(detail), "host=%s", name);
	if (!enabled)
		return change_reserved(st, who, "host-disable", detail, host_enable_fn, &h);
	return change(st, who, "host-enable", detail, host_enable_fn, &h);
}

static int host_remove_fn(struct db *db, const void *p)
{
	const struct host_arg *h = p;
	const char *const args[] = { h->name, NULL };
	int n = run(db, "DELETE FROM hosts WHERE name = ?", args);

	if (n == 1 && run(db, "DELETE FROM tpm_clock WHERE host = ?", args) < 0)
		return -EIO;
	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_host_remove(struct store *st, const char *name, const char *who)
{
	struct host_arg h = { name, NULL, NULL, NULL, 0 };
	char detail[100];

	snprintf(detail, sizeof(detail), "host=%s", name);
	return change_reserved(st, who, "host-remove", detail, host_remove_fn, &h);
}

struct kv_arg {
	const char *a, *b;
	int flag;
	const char *who, *action;	/* worker changes: for their history row */
};

static int setting_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	char now[24];
	const char *const args[] = { kv->b, now, kv->a, NULL };
	int n;

	now_text(now);
	n = run(db, "UPDATE settings SET value = ?, updated_at = ? WHERE name = ?", args);
	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_setting_set(struct store *st, const char *name, const char *value,
		      const char *who)
{
	struct kv_arg kv = { name, value, 0, NULL, NULL };
	char detail[200];

	snprintf(detail, sizeof(detail), "%s=%s", name, value);
	return change(st, who, "policy-set", detail, setting_fn, &kv);
}

int store_setting_get(struct store *st, const char *name, char *out, size_t len)
{
	const char *const args[] = { name, NULL };
	int r;

	pthread_mutex_lock(&st->lock);
	r = query_text(st->db, "SELECT value FROM settings WHERE name = ?", args, out, len);
	pthread_mutex_unlock(&st->lock);
	return r;
}

/*
 * A worker change: the next worker_policy_version, and its history row
 * (the enabled digest set it stands for), in the change's transaction.
 */
static int bump_worker_version(struct db *db, const struct kv_arg *kv)
{
	char now[24], change_text[100];
	const char *const args[] = { now, NULL };
	const char *const hist[] = { now, kv->who, change_text, NULL };

	now_text(now);
	snprintf(change_text, sizeof(change_text), "%s %s", kv->action, kv->a);
	if (run(db, "UPDATE settings SET value = CAST(value AS INTEGER) + 1, updated_at = ? WHERE name = 'worker_policy_version'",
		args) != 1)
		return -EIO;
	return run(db, db->ops->pg ?
		   "INSERT INTO worker_history(version, at, who, change, digests)\n"
		   "SELECT CAST(value AS INTEGER), CAST(? AS BIGINT), ?, ?, COALESCE((SELECT string_agg(digest, ',' ORDER BY id)\n"
		   "  FROM workers WHERE enabled = 1), '')\n"
		   "FROM settings WHERE name = 'worker_policy_version'" :
		   "INSERT INTO worker_history(version, at, who, change, digests)\n"
		   "SELECT CAST(value AS INTEGER), ?, ?, ?, COALESCE((SELECT group_concat(digest, ',')\n"
		   "  FROM (SELECT digest FROM workers WHERE enabled = 1 ORDER BY id)), '')\n"
		   "FROM settings WHERE name = 'worker_policy_version'", hist) == 1 ? 0 : -EIO;
}

static int enabled_workers(struct db *db, long *n)
{
	char buf[24];
	int r = query_text(db, "SELECT COUNT(*) FROM workers WHERE enabled = 1", NULL,
			   buf, sizeof(buf));

	*n = r ? 0 : atol(buf);
	return r;
}

static int worker_add_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	const char *const q[] = { kv->a, NULL };
	char now[24], buf[8];
	const char *const args[] = { kv->a, kv->b, now, now, NULL };
	long n;
	int r;

	if (!query_text(db, "SELECT 1 FROM workers WHERE digest = ?", q, buf, sizeof(buf)))
		return -EEXIST;
	r = enabled_workers(db, &n);
	if (r)
		return r;
	if (n >= VMS_KR_MAX_DIGESTS)
		return -ENOSPC;
	now_text(now);
	if (run(db, "INSERT INTO workers(digest, description, enabled, added_at, updated_at) VALUES (?,?,1,?,?)",
		args) != 1)
		return -EIO;
	return bump_worker_version(db, kv);
}

int store_worker_add(struct store *st, const char *digest, const char *desc,
		     const char *who)
{
	struct kv_arg kv = { digest, desc, 0, who, "add" };
	char detail[200];

	snprintf(detail, sizeof(detail), "digest=%s", digest);
	return change(st, who, "worker-add", detail, worker_add_fn, &kv);
}

static int worker_enable_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	char now[24];
	const char *const args[] = { kv->flag ? "1" : "0", now, kv->a, kv->flag ? "0" : "1", NULL };
	long n;
	int r;

	if (kv->flag) {
		r = enabled_workers(db, &n);
		if (r)
			return r;
		if (n >= VMS_KR_MAX_DIGESTS)
			return -ENOSPC;
	}
	now_text(now);
	r = run(db, "UPDATE workers SET enabled = ?, updated_at = ? WHERE digest = ? AND enabled = ?",
		args);
	if (r < 0)
		return r;
	if (r == 0) {
		const char *const q[] = { kv->a, NULL };
		char buf[8];

		return query_text(db, "SELECT 1 FROM workers WHERE digest = ?", q,
				  buf, sizeof(buf)) ? -ENOENT : -EEXIST;
	}
	return bump_worker_version(db, kv);
}

int store_worker_set_enabled(struct store *st, const char *digest, int enabled,
			     const char *who)
{
	struct kv_arg kv = { digest, NULL, enabled, who, enabled ? "enable" : "disable" };
	char detail[200];

	snprintf(detail, sizeof(detail), "digest=%s", digest);
	return change(st, who, enabled ? "worker-enable" : "worker-disable", detail,
		      worker_enable_fn, &kv);
}

static int guardian_row(struct db *db, const char *name, int *primary, int *enabled);

static int guardian_add_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	char now[24];
	const char *const args[] = { kv->a, kv->b, kv->flag ? "1" : "0", now, NULL };

	now_text(now);
	return run(db, "INSERT INTO guardians(name, certificates, is_primary, enabled, created_at) VALUES (?,?,?,1,?)",
		   args) == 1 ? 0 : -EEXIST;
}

int store_guardian_add(struct store *st, const char *name, const char *pem,
		       int primary, const char *who)
{
	struct kv_arg kv = { name, pem, primary, NULL, NULL };
	char detail[120];

	snprintf(detail, sizeof(detail), "guardian=%s primary=%d", name, primary);
	return change(st, who, "guardian-add", detail, guardian_add_fn, &kv);
}

static int guardian_primary_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	const char *const args[] = { kv->a, NULL };
	int primary, enabled, r;

	r = guardian_row(db, kv->a, &primary, &enabled);
	if (r)
		return r;
	if (!enabled)
		return -EPERM;	/* a disabled guardian cannot be the one tenants import */

	if (run(db, "UPDATE guardians SET is_primary = 0", NULL) < 0)
		return -EIO;
	return run(db, "UPDATE guardians SET is_primary = 1 WHERE name = ?", args) == 1 ?
		0 : -ENOENT;
}

int store_guardian_set_primary(struct store *st, const char *name, const char *who)
{
	struct kv_arg kv = { name, NULL, 0, NULL, NULL };
	char detail[120];

	snprintf(detail, sizeof(detail), "guardian=%s", name);
	return change(st, who, "guardian-primary", detail, guardian_primary_fn, &kv);
}

/*
 * Guardians: disable (never the primary, never the last enabled one),
 * enable, remove (only a disabled one; never the primary). -EPERM for
 * the protected cases, -EBUSY to remove an enabled one.
 */
static int guardian_row(struct db *db, const char *name, int *primary, int *enabled)
{
	const char *const args[] = { name, NULL };
	json_t *row;
	int r = query_row(db, "SELECT is_primary, enabled FROM guardians WHERE name = ?", args,
			  &row);

	if (r)
		return r;
	*primary = col_int(row, "is_primary") == 1;
	*enabled = col_int(row, "enabled") == 1;
	json_decref(row);
	return 0;
}

static int guardian_enable_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	char buf[24];
	const char *const args[] = { kv->flag ? "1" : "0", kv->a, NULL };
	int primary, enabled, r;

	r = guardian_row(db, kv->a, &primary, &enabled);
	if (r)
		return r;
	if (enabled == kv->flag)
		return -EEXIST;
	if (!kv->flag) {
		if (primary)
			return -EPERM;
		r = query_text(db, "SELECT COUNT(*) FROM guardians WHERE enabled = 1", NULL,
			       buf, sizeof(buf));
		if (r)
			return r;
		if (atol(buf) <= 1)
			return -EPERM;
	}
	return run(db, "UPDATE guardians SET enabled = ? WHERE name = ?", args) == 1 ? 0 : -EIO;
}

int store_guardian_set_enabled(struct store *st, const char *name, int enabled,
			       const char *who)
{
	struct kv_arg kv = { name, NULL, enabled, NULL, NULL };
	char detail[120];

	snprintf(detail, sizeof(detail), "guardian=%s", name);
	return change(st, who, enabled ? "guardian-enable" : "guardian-disable", detail,
		      guardian_enable_fn, &kv);
}

static int guardian_remove_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;
	const char *const args[] = { kv->a, NULL };
	int primary, enabled, r;

	r = guardian_row(db, kv->a, &primary, &enabled);
	if (r)
		return r;
	if (primary)
		return -EPERM;
	if (enabled)
		return -EBUSY;
	return run(db, "DELETE FROM guardians WHERE name = ?", args) == 1 ? 0 : -EIO;
}

int store_guardian_remove(struct store *st, const char *name, const char *who)
{
	struct kv_arg kv = { name, NULL, 0, NULL, NULL };
	char detail[120];

	snprintf(detail, sizeof(detail), "guardian=%s", name);
	return change(st, who, "guardian-remove", detail, guardian_remove_fn, &kv);
}

/*
 * Admin client certificates, by the SHA-256 of their DER: every one that
 * reaches the admin API over HTTPS is recorded ('seen'); an admin may
 * 'allow' (the allow list, enforced when admin_cert_allow_list = 1) or
 * 'revoke' one. A revoked certificate stays revoked.
 */
int store_guardian_pem(struct store *st, const char *name, char **pem, int *enabled)
{
	const char *const args[] = { name, NULL };
	json_t *row;
	int r;

	*pem = NULL;
	pthread_mutex_lock(&st->lock);
	r = query_row(st->db, "SELECT certificates, enabled FROM guardians WHERE name = ?", args,
		      &row);
	pthread_mutex_unlock(&st->lock);
	if (r)
		return r;
	*enabled = (int)col_int(row, "enabled");
	*pem = json_string_value(json_object_get(row, "certificates")) ?
	       strdup(json_string_value(json_object_get(row, "certificates"))) : NULL;
	json_decref(row);
	return *pem ? 0 : -ENOMEM;
}

int store_admin_cert_seen(struct store *st, const char *fpr, const char *subject,
			  char *state, size_t len, char *role, size_t role_len)
{
	char now[24];
	const char *const ins[] = { fpr, subject, now, now, now, NULL };
	const char *const q[] = { fpr, NULL };
	int r;

	now_text(now);
	pthread_mutex_lock(&st->lock);
	r = run(st->db, "INSERT INTO admin_certs(fpr, subject, state, first_seen, last_seen, updated_at)\n"
		"VALUES (?,?,'seen',?,?,?) ON CONFLICT(fpr) DO UPDATE SET\n"
		"  last_seen = excluded.last_seen,\n"
		"  first_seen = COALESCE(admin_certs.first_seen, excluded.first_seen),\n"
		"  subject = CASE WHEN admin_certs.subject = '' THEN excluded.subject\n"
		"  ELSE admin_certs.subject END", ins);	/* qualified: PostgreSQL needs it */
	if (r >= 0)
		r = query_text(st->db, "SELECT state FROM admin_certs WHERE fpr = ?", q, state, len);
	if (r >= 0)
		r = query_text(st->db, "SELECT role FROM admin_certs WHERE fpr = ?", q, role,
			       role_len);
	pthread_mutex_unlock(&st->lock);
	return r < 0 ? r : 0;
}

static int admin_cert_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;	/* a = fpr, b = new state */
	const char *const q[] = { kv->a, NULL };
	char now[24], cur[16];
	const char *const ins[] = { kv->a, kv->b, now, kv->b, now, NULL };
	int r;

	r = query_text(db, "SELECT state FROM admin_certs WHERE fpr = ?", q, cur, sizeof(cur));
	if (r && r != -ENOENT)
		return r;
	if (r == 0 && !strcmp(cur, kv->b))
		return -EEXIST;
	if (r == 0 && !strcmp(cur, "revoked"))
		return -EPERM;
	now_text(now);
	return run(db, "INSERT INTO admin_certs(fpr, subject, state, updated_at) VALUES (?,'',?,?) ON CONFLICT(fpr) DO UPDATE SET state = ?, updated_at = ?",
		   ins) == 1 ? 0 : -EIO;
}

static int admin_cert_role_fn(struct db *db, const void *p)
{
	const struct kv_arg *kv = p;	/* a = fpr, b = role */
	const char *const q[] = { kv->a, NULL };
	char now[24], cur[16];
	const char *const upd[] = { kv->b, now, kv->a, NULL };
	int r;

	r = query_text(db, "SELECT role FROM admin_certs WHERE fpr = ?", q, cur, sizeof(cur));
	if (r)
		return r;	/* -ENOENT: a certificate never seen */
	if (!strcmp(cur, kv->b))
		return -EEXIST;
	now_text(now);
	return run(db, "UPDATE admin_certs SET role = ?, updated_at = ? WHERE fpr = ?", upd) == 1 ?
		0 : -EIO;
}

int store_admin_cert_role(struct store *st, const char *fpr, const char *role,
			  const char *who)
{
	struct kv_arg kv = { fpr, role, 0, NULL, NULL };
	char detail[120];

	snprintf(detail, sizeof(detail), "sha256=%s role=%s", fpr, role);
	return change(st, who, "admin-cert-role", detail, admin_cert_role_fn, &kv);
}

int store_admin_cert_set(struct store *st, const char *fpr, const char *state,
			 const char *who)
{
	struct kv_arg kv = { fpr, state, 0, NULL, NULL };
	char detail[100];

	snprintf(detail, sizeof(detail), "sha256=%s", fpr);
	return change(st, who, !strcmp(state, "revoked") ? "admin-cert-revoke" :
		      "admin-cert-allow", detail, admin_cert_fn, &kv);
}

/*
 * Events (attestations, releases) are queued and written by a background
 * thread, up to EVENT_BATCH rows per transaction every EVENT_FLUSH_MS:
 * the request path never waits for SQLite. The queue is bounded; when it
 * is full, events are counted as dropped (and logged once per flush)
 * rather than blocking service. A kill -9 loses at most the last flush
 * interval of events; admin changes are written synchronously, never
 * queued.
 */
#define EVENT_QUEUE_MAX	16384
#define EVENT_FLUSH_MS	200

struct event {
	time_t at;
	char kind[8];
	char host[65];
	char result[48];
	char detail[320];	/* TPM mode: a baseline difference names two digests */
	struct ev_wait *w;	/* a durable event's waiter, or NULL */
};

/* One batch in one transaction: 0 or -errno (nothing of it written). */
static int write_batch(struct store *st, const struct event *batch, size_t n)
{
	char at[24];
	size_t i;
	int r;

	r = exec(st->log, "BEGIN");
	for (i = 0; i < n && !r; i++) {
		const char *const args[] = { at, batch[i].kind, batch[i].host, batch[i].result,
					     batch[i].detail, NULL };

		snprintf(at, sizeof(at), "%lld", (long long)batch[i].at);
		r = run(st->log, "INSERT INTO events(at, kind, host, result, detail) VALUES (?,?,?,?,?)",
			args);
		r = r == 1 ? 0 : r < 0 ? r : -EIO;
	}
	if (!r)
		r = exec(st->log, "COMMIT");
	if (r)
		exec(st->log, "ROLLBACK");
	return r;
}

/* The store's health after a write: logged when it changes. */
static void set_health(struct store *st, int r, size_t n)
{
	int prev = __atomic_exchange_n(&st->write_err, r, __ATOMIC_RELAXED);

	if (r && !prev)
		log_err("store", "events_lost=%zu error=\"%s\" msg=\"events cannot be written: certificates and releases are refused until they can\"",
			n, strerror(-r));
	else if (!r && prev)
		log_info("store", "msg=\"events are written again\"");
}

static void flush_events(struct store *st)
{
	struct event *batch;
	size_t n, i;
	unsigned long dropped;
	int r;

	pthread_mutex_lock(&st->log_lock);
	batch = st->events;
	n = st->n_events;
	dropped = st->dropped;
	st->events = NULL;
	st->n_events = 0;
	st->cap_events = 0;
	st->dropped = 0;
	st->n_durable = 0;
	pthread_mutex_unlock(&st->log_lock);
	if (dropped)
		log_warn("store", "events_dropped=%lu msg=\"event queue full\"", dropped);
	if (!n) {
		free(batch);
		return;
	}
	r = write_batch(st, batch, n);
	set_health(st, r, n);
	pthread_mutex_lock(&st->log_lock);
	for (i = 0; i < n; i++) {
		if (!batch[i].w)
			continue;
		batch[i].w->err = r;
		batch[i].w->done = 1;
	}
	pthread_cond_broadcast(&st->done_cond);
	pthread_mutex_unlock(&st->log_lock);
	free(batch);
}

/*
 * Retention: events and audit rows past max age or beyond max rows are
 * deleted by the writer thread, oldest first, PRUNE_CHUNK rows per
 * transaction (so an admin change never waits long for the write lock;
 * requests never wait for SQLite at all), each chunk committed with its
 * own audit row naming the table, the rule and the count.
 */
#define PRUNE_CHUNK	10000

static long prune_chunk(struct store *st, const char *table, const char *rule,
			const char *where_sql, long long arg)
{
	char sql[256], detail[128], arg_text[24];
	const char *const args[] = { arg_text, NULL };
	long n;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE %s ORDER BY id LIMIT %d)",
		 table, table, where_sql, PRUNE_CHUNK);
	snprintf(arg_text, sizeof(arg_text), "%lld", arg);
	if (db_begin(st->log))
		return -EIO;
	n = run(st->log, sql, args);
	if (n < 0) {
		exec(st->log, "ROLLBACK");
		return -EIO;
	}
	if (n > 0) {
		snprintf(detail, sizeof(detail), "table=%s rule=%s rows=%ld", table, rule, n);
		if (audit_row(st->log, "hgsd retention", "retention-prune", detail, "ok")) {
			exec(st->log, "ROLLBACK");
			return -EIO;
		}
	}
	if (exec(st->log, "COMMIT")) {
		exec(st->log, "ROLLBACK");
		return -EIO;
	}
	return n;
}

/* The id of the row with @n newer rows (-1: fewer rows; -EIO). */
static long long nth_newest_id(struct store *st, const char *table, unsigned long n)
{
	char sql[128], n_text[24];
	const char *const args[] = { n_text, NULL };
	json_t *row;
	long long id;
	int r;

	snprintf(sql, sizeof(sql), "SELECT id FROM %s ORDER BY id DESC LIMIT 1 OFFSET CAST(? AS INTEGER)",
		 table);
	snprintf(n_text, sizeof(n_text), "%lu", n);
	r = query_row(st->log, sql, args, &row);
	if (r == -ENOENT)
		return -1;
	if (r)
		return -EIO;
	id = col_int(row, "id");
	json_decref(row);
	return id;
}

/* Prune one table by both rules; returns rows deleted or -EIO. */
static long prune_table(struct store *st, const char *table, unsigned int max_age_days,
			unsigned long max_rows)
{
	long total = 0, n;
	char rule[48];

	if (max_age_days) {
		long long cut = (long long)time(NULL) - (long long)max_age_days * 86400;

		snprintf(rule, sizeof(rule), "max_age_days=%u", max_age_days);
		do {
			n = prune_chunk(st, table, rule, "at < ?", cut);
			total += n > 0 ? n : 0;
		} while (n == PRUNE_CHUNK);
		if (n < 0)
			return n;
	}
	if (max_rows) {
		/*
		 * The audit keeps room for the pruning's own row: otherwise a
		 * full audit table would lose one real row per pass.
		 */
		unsigned long keep = max_rows - (strcmp(table, "audit") ? 0 : 1);
		long long over, last;

		snprintf(rule, sizeof(rule), "max_rows=%lu", max_rows);
		over = nth_newest_id(st, table, max_rows);
		if (over == -EIO)
			return -EIO;
		if (over >= 0) {	/* more than max_rows rows */
			last = keep ? nth_newest_id(st, table, keep) : over;
			if (last == -EIO)
				return -EIO;
			if (!keep)	/* audit_max_rows = 1: only the pruning's row stays */
				last = 1LL << 62;
			do {
				n = prune_chunk(st, table, rule, "id <= ?", last);
				total += n > 0 ? n : 0;
			} while (n == PRUNE_CHUNK);
			if (n < 0)
				return n;
		}
	}
	return total;
}

static void prune(struct store *st)
{
	struct retention r;
	long ev, au;

	pthread_mutex_lock(&st->log_lock);
	r = st->ret;
	pthread_mutex_unlock(&st->log_lock);
	ev = prune_table(st, "events", r.events_max_age_days, r.events_max_rows);
	au = prune_table(st, "audit", r.audit_max_age_days, r.audit_max_rows);
	if (ev < 0 || au < 0)
		log_err("retention", "msg=\"pruning failed; will retry at the next interval\"");
	else if (ev || au)
		log_info("retention", "events_pruned=%ld audit_pruned=%ld", ev, au);
}

static int prune_due(struct store *st)
{
	struct timespec now;
	int due;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&st->log_lock);
	due = st->ret.interval_s &&
	      (now.tv_sec > st->next_prune.tv_sec ||
	       (now.tv_sec == st->next_prune.tv_sec && now.tv_nsec >= st->next_prune.tv_nsec));
	if (due) {
		st->next_prune = now;
		st->next_prune.tv_sec += st->ret.interval_s;
	}
	pthread_mutex_unlock(&st->log_lock);
	return due;
}

void store_set_retention(struct store *st, const struct retention *r)
{
	pthread_mutex_lock(&st->log_lock);
	st->ret = *r;
	clock_gettime(CLOCK_MONOTONIC, &st->next_prune);	/* first pass now */
	pthread_mutex_unlock(&st->log_lock);
}

static void *event_writer(void *arg)
{
	struct store *st = arg;
	struct timespec ts;
	int stop = 0;

	while (!stop) {
		pthread_mutex_lock(&st->log_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += EVENT_FLUSH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		/* a durable event queued meanwhile is written at once */
		if (!st->stopping && !st->n_durable)
			pthread_cond_timedwait(&st->log_cond, &st->log_lock, &ts);
		stop = st->stopping;
		pthread_mutex_unlock(&st->log_lock);
		flush_events(st);
		if (!stop && prune_due(st))
			prune(st);
	}
	return NULL;
}

/* Under log_lock: queue an event; -EBUSY (full) or -ENOMEM. */
static int queue_event(struct store *st, const char *kind, const char *host,
		       const char *result, const char *detail, struct ev_wait *w)
{
	struct event *e;

	if (st->n_events == EVENT_QUEUE_MAX)
		return -EBUSY;
	if (st->n_events == st->cap_events) {
		size_t cap = st->cap_events ? st->cap_events * 2 : 256;
		struct event *ne = realloc(st->events, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		st->events = ne;
		st->cap_events = cap;
	}
	e = &st->events[st->n_events++];
	e->at = time(NULL);
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->host, sizeof(e->host), "%s", host ? host : "-");
	snprintf(e->result, sizeof(e->result), "%s", result);
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
	e->w = w;
	return 0;
}

void store_event(struct store *st, const char *kind, const char *host,
		 const char *result, const char *detail)
{
	pthread_mutex_lock(&st->log_lock);
	if (queue_event(st, kind, host, result, detail, NULL))
		st->dropped++;
	pthread_mutex_unlock(&st->log_lock);
}

int store_event_durable(struct store *st, const char *kind, const char *host,
			const char *result, const char *detail)
{
	struct ev_wait w = { 0 };
	int r;

	pthread_mutex_lock(&st->log_lock);
	r = queue_event(st, kind, host, result, detail, &w);
	if (!r) {
		st->n_durable++;
		pthread_cond_signal(&st->log_cond);	/* the writer goes now */
		/* the writer always finishes a batch it took (even when stopping) */
		while (!w.done)
			pthread_cond_wait(&st->done_cond, &st->log_lock);
		r = w.err;
	}
	pthread_mutex_unlock(&st->log_lock);
	return r;
}

json_t *store_rows(struct store *st, const char *sql, long limit)
{
	char lim[24];
	const char *const args[] = { lim, NULL };
	json_t *rows = NULL;
	int r;

	snprintf(lim, sizeof(lim), "%ld", limit);
	pthread_mutex_lock(&st->lock);
	r = timed_query(st->db, sql, limit > 0 ? args : NULL, &rows, NULL);
	pthread_mutex_unlock(&st->lock);
	return r ? NULL : rows;
}

int store_count(struct store *st, const char *sql, long *out)
{
	char buf[32];
	int r;

	pthread_mutex_lock(&st->lock);
	r = query_text(st->db, sql, NULL, buf, sizeof(buf));
	pthread_mutex_unlock(&st->lock);
	*out = r ? 0 : atol(buf);
	return r;
}

/* ---- enclave platforms (the hypervisor placement) ------------------------- */

struct platform_arg {
	const char *id, *name, *type, *pem, *programs;
	int enabled;
};

/* A new platform row (its id and name known to be free). */
static int platform_insert(struct db *db, const struct platform_arg *a)
{
	char now[24];
	const char *const ins[] = { a->id, a->name, a->type, a->pem, a->programs, now, now, NULL };

	now_text(now);
	return run(db, "INSERT INTO platforms(platform_id, name, type, public_key, programs, enabled, added_at, updated_at) VALUES (?,?,?,?,?,1,?,?)",
		   ins) == 1 ? 0 : -EIO;
}

/* The same name and key again: the approved programs may change. */
static int platform_update_programs(struct db *db, const struct platform_arg *a)
{
	const char *const by_id[] = { a->id, NULL };
	char progs[STORE_PLATFORM_PROGRAMS_MAX], now[24];
	const char *const upd[] = { a->programs, now, a->id, NULL };
	int r;

	r = query_text(db, "SELECT programs FROM platforms WHERE platform_id = ?", by_id, progs,
		       sizeof(progs));
	if (r)
		return r;
	if (!strcmp(progs, a->programs))
		return -EEXIST;
	now_text(now);
	return run(db, "UPDATE platforms SET programs = ?, updated_at = ? WHERE platform_id = ?",
		   upd) == 1 ? 0 : -EIO;
}

static int platform_add_fn(struct db *db, const void *p)
{
	const struct platform_arg *a = p;
	const char *const by_name[] = { a->name, NULL };
	const char *const by_id[] = { a->id, NULL };
	char have[80];
	int r;

	r = query_text(db, "SELECT platform_id FROM platforms WHERE name = ?", by_name, have,
		       sizeof(have));
	if (r == 0)	/* the name is taken: by this key, or another */
		return strcmp(have, a->id) ? -EKEYREJECTED : platform_update_programs(db, a);
	if (r != -ENOENT)
		return r;
	r = query_text(db, "SELECT name FROM platforms WHERE platform_id = ?", by_id, have,
		       sizeof(have));
	if (r == 0)
		return -EADDRINUSE;	/* the key is registered under another name */
	return r == -ENOENT ? platform_insert(db, a) : r;
}

int store_platform_add(struct store *st, const char *id, const char *name, const char *type,
		       const char *pem, const char *programs, const char *who)
{
	struct platform_arg a = { id, name, type, pem, programs, 1 };
	char detail[200];

	snprintf(detail, sizeof(detail), "platform=%s type=%s platform_id=%s programs=%s", name,
		 type, id, programs[0] ? "listed" : "any");
	return change(st, who, "platform-add", detail, platform_add_fn, &a);
}

static int platform_enable_fn(struct db *db, const void *p)
{
	const struct platform_arg *a = p;
	char now[24];
	const char *const args[] = { a->enabled ? "1" : "0", now, a->name, NULL };
	int n;

	now_text(now);
	n = run(db, "UPDATE platforms SET enabled = ?, updated_at = ? WHERE name = ?", args);
	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_platform_set_enabled(struct store *st, const char *name, int enabled, const char *who)
{
	struct platform_arg a = { .name = name, .enabled = enabled };
	char detail[100];

	snprintf(detail, sizeof(detail), "platform=%s", name);
	return change(st, who, enabled ? "platform-enable" : "platform-disable", detail,
		      platform_enable_fn, &a);
}

static int platform_remove_fn(struct db *db, const void *p)
{
	const struct platform_arg *a = p;
	const char *const args[] = { a->name, NULL };
	int n = run(db, "DELETE FROM platforms WHERE name = ?", args);

	return n < 0 ? n : n == 1 ? 0 : -ENOENT;
}

int store_platform_remove(struct store *st, const char *name, const char *who)
{
	struct platform_arg a = { .name = name };
	char detail[100];

	snprintf(detail, sizeof(detail), "platform=%s", name);
	return change(st, who, "platform-remove", detail, platform_remove_fn, &a);
}

/* Text column @name of @row into @out ("" if NULL). */
static void column_text(json_t *row, const char *name, char *out, size_t len)
{
	value_text(json_object_get(row, name), out, len);
}

int store_platform_get(struct store *st, const char *id, struct store_platform *out)
{
	const char *const args[] = { id, NULL };
	json_t *row;
	int r;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->lock);
	r = query_row(st->db, "SELECT name, type, public_key, programs, enabled FROM platforms WHERE platform_id = ?",
		      args, &row);
	pthread_mutex_unlock(&st->lock);
	if (r)
		return r;
	column_text(row, "name", out->name, sizeof(out->name));
	column_text(row, "type", out->type, sizeof(out->type));
	column_text(row, "public_key", out->pem, sizeof(out->pem));
	column_text(row, "programs", out->programs, sizeof(out->programs));
	out->enabled = col_int(row, "enabled") == 1;
	json_decref(row);
	return 0;
}

int store_sync_quick(struct store *st)
{
	return st->gsync_on ? store_gsync_wait(&st->gsync) : -EOPNOTSUPP;
}
