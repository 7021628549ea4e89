/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_db.h - the store's database backends, for hgsd/store*.c only.
 *
 * store.c speaks SQL through one narrow interface, a backend's ops
 * table: SQLite (store_sqlite.c, one file, the embedded default) and
 * PostgreSQL (store_pg.c, libpq, for a cluster of hgsd nodes on one
 * database). Statements use '?' (or '?N') placeholders and text
 * arguments; a backend binds them its own way. Where the two dialects
 * differ, the caller picks the text by db_pg(). Both backends keep the
 * same schema version numbers (store_schema.c).
 */
#ifndef HGSD_STORE_DB_H
#define HGSD_STORE_DB_H

#include <stddef.h>

#include <jansson.h>

struct store;
struct db;

struct db_ops {
	const char *name;	/* "sqlite" or "postgresql", as in hgsd.conf */
	int pg;			/* the PostgreSQL dialect */
	/*
	 * Before anything starts: can the store be written? 0, or -EROFS /
	 * -ENOSPC / -ECONNREFUSED / -errno, what is wrong in @why (never a
	 * password).
	 */
	int (*preflight)(const char *target, char *why, size_t len);
	/* @durable: an acknowledged commit is on disk (admin changes). */
	int (*open)(const char *target, int durable, struct db **out);
	void (*close)(struct db *db);
	/* Statements without arguments (a migration step); 0 or -errno. */
	int (*exec)(struct db *db, const char *sql);
	/*
	 * One statement with text @args (NULL-terminated, may be NULL): its
	 * rows as a JSON array of objects into @rows (if not NULL; integer
	 * columns as integers), the rows it changed into @changes (if not
	 * NULL). 0 or -errno (-EROFS, -ENOSPC, -ECONNRESET, -EIO).
	 */
	int (*query)(struct db *db, const char *sql, const char *const *args,
		     json_t **rows, long *changes);
	/* A write transaction, serialised with every other writer. */
	int (*begin)(struct db *db);
	/* -1 if it cannot be read. */
	int (*schema_version)(struct db *db);
	/* Inside the migration's transaction. */
	int (*set_schema_version)(struct db *db, int v);
	/* A write that changes nothing, committed: 0 or -errno. */
	int (*probe_write)(struct db *db);
};

struct db {
	const struct db_ops *ops;
};

extern const struct db_ops store_sqlite_ops;
extern const struct db_ops store_pg_ops;

/*
 * The backend a store target names: "postgresql:CONNINFO" (or
 * "postgres:"), "sqlite:PATH", or a bare PATH (SQLite); the rest of the
 * target (after the scheme) in *@rest.
 */
const struct db_ops *store_backend(const char *target, const char **rest);

/* Schema migrations, by version: [i] takes version i to i + 1 (store_schema.c). */
extern const char *const store_migrations_sqlite[];
extern const char *const store_migrations_pg[];
extern const int store_schema_latest;

/* For store_lists.c: the store's dialect, and its rows and counts. */
int store_dialect_pg(struct store *st);
json_t *store_rows(struct store *st, const char *sql, long limit);
int store_count(struct store *st, const char *sql, long *out);

/*
 * For the other store*.c files: the admin connection under the store's
 * lock, one statement (rows changed, or -errno), the first row (-ENOENT
 * if none), a write transaction and its end (commit if @r is 0, else
 * roll back).
 */
struct db *store_lock(struct store *st);
void store_unlock(struct store *st);
/*
 * The connection for the shared state written on the request path
 * (nonce spends, TPM challenges): committed before the answer, as
 * durable as events (SQLite synchronous=NORMAL, PostgreSQL
 * synchronous_commit off), under its own lock.
 */
struct db *store_lock_quick(struct store *st);
/*
 * SQLite: every transaction committed on the quick connection before the
 * call is on disk when it returns 0 (one fsync of the WAL for all the
 * callers meanwhile: store_sync.c). -EOPNOTSUPP with PostgreSQL (its
 * durable commits group themselves), or the fsync's -errno.
 */
int store_sync_quick(struct store *st);
void store_unlock_quick(struct store *st);
int store_db_run(struct db *db, const char *sql, const char *const *args);
int store_db_row(struct db *db, const char *sql, const char *const *args, json_t **row);
int store_db_begin(struct db *db);
int store_db_end(struct db *db, int r);
/*
 * An admin change (store.c): a write transaction, @fn, the change feed
 * bumped, the audit row; a refusal (-EEXIST etc.) audited alone.
 */
int store_change(struct store *st, const char *who, const char *action,
		 const char *detail, int (*fn)(struct db *db, const void *arg), const void *arg);
/* A write of the shared state failed (-errno): the store's health says so. */
void store_note_failure(struct store *st, int r);

#endif /* HGSD_STORE_DB_H */
