// SPDX-License-Identifier: GPL-2.0
/*
 * store_sqlite.c - the SQLite backend of the store (store_db.h): one
 * file in WAL mode, the embedded default for a single hgsd.
 *
 * A durable connection (admin changes) commits with synchronous=FULL,
 * the other (events) with NORMAL: a power cut may lose the last few
 * events, a process crash none. A write transaction is BEGIN IMMEDIATE,
 * which SQLite serialises across connections and processes. The
 * schema version is PRAGMA user_version. The preflight refuses a
 * read-only or full disk and makes the reserve (store.c) room for
 * taking a host out of service.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store_db.h"

#define RESERVE_BYTES	(1 << 20)
/* Free space hgsd wants at start, besides the reserve. */
#define MIN_FREE_BYTES	(1 << 20)

struct sqlite_db {
	struct db base;
	sqlite3 *h;
};

static sqlite3 *handle(struct db *db)
{
	return ((struct sqlite_db *)db)->h;
}

/* What the failing SQLite call on @h means, as an errno. */
static int sql_errno(sqlite3 *h)
{
	switch (sqlite3_errcode(h) & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int sq_exec(struct db *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(handle(db), sql, NULL, NULL, &err);

	if (rc != SQLITE_OK) {
		log_err("store", "sql_error=\"%s\"", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return sql_errno(handle(db));
	}
	return 0;
}

/* The current row of @s as a JSON object (column name -> value). */
static json_t *row_json(sqlite3_stmt *s)
{
	json_t *row = json_object();
	int i, n = sqlite3_column_count(s);

	for (i = 0; row && i < n; i++) {
		const char *name = sqlite3_column_name(s, i);

		switch (sqlite3_column_type(s, i)) {
		case SQLITE_INTEGER:
			json_object_set_new(row, name, json_integer(sqlite3_column_int64(s, i)));
			break;
		case SQLITE_NULL:
			json_object_set_new(row, name, json_null());
			break;
		default:
			json_object_set_new(row, name,
					    json_string((const char *)sqlite3_column_text(s, i)));
		}
	}
	return row;
}

static int sq_query(struct db *db, const char *sql, const char *const *args,
		    json_t **rows, long *changes)
{
	sqlite3 *h = handle(db);
	json_t *arr = NULL;
	sqlite3_stmt *s;
	int i, rc, r = 0;

	if (rows) {
		*rows = NULL;
		arr = json_array();
		if (!arr)
			return -ENOMEM;
	}
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
		log_err("store", "sql_error=\"%s\"", sqlite3_errmsg(h));
		json_decref(arr);
		return -EIO;
	}
	for (i = 0; args && args[i]; i++)
		sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (arr && json_array_append_new(arr, row_json(s))) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && rc != SQLITE_DONE) {
		log_err("store", "sql_error=\"%s\"", sqlite3_errmsg(h));
		r = sql_errno(h);
	}
	sqlite3_finalize(s);
	if (r) {
		json_decref(arr);
		return r;
	}
	if (changes)
		*changes = sqlite3_changes(h);
	if (rows)
		*rows = arr;
	return 0;
}

static int sq_begin(struct db *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_schema_version(struct db *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(handle(db), "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int sq_set_schema_version(struct db *db, int v)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return sq_exec(db, sql);
}

static void sq_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(handle(db));
	free(db);
}

static int sq_open(const char *path, int durable, struct db **out)
{
	struct sqlite_db *d = calloc(1, sizeof(*d));
	char sql[128];
	int rc, r;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->base.ops = &store_sqlite_ops;
	rc = sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_err("store", "path=%s error=\"%s\"", path, sqlite3_errstr(rc));
		r = d->h ? sql_errno(d->h) : -EIO;
		sq_close(&d->base);
		return r;
	}
	sqlite3_busy_timeout(d->h, 5000);
	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;",
		 durable ? "FULL" : "NORMAL");
	r = sq_exec(&d->base, sql);
	if (r) {
		sq_close(&d->base);
		return r;
	}
	*out = &d->base;
	return 0;
}

/* A write that changes nothing, committed, then checkpointed into the file. */
static int sq_probe_write(struct db *db)
{
	int v = sq_schema_version(db), r;

	if (sqlite3_db_readonly(handle(db), "main") == 1)
		return -EROFS;
	if (v < 0)
		return -EIO;
	r = sq_begin(db);
	if (r)
		return r;
	r = sq_set_schema_version(db, v);
	if (!r)
		r = sq_exec(db, "COMMIT");
	if (r) {
		sq_exec(db, "ROLLBACK");
		return r;
	}
	return sq_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* The reserve file, RESERVE_BYTES of real blocks; 0 or -errno. */
static int make_reserve(const char *path)
{
	static const char zero[65536];
	struct stat sb;
	size_t done;
	int fd, r = 0;

	if (stat(path, &sb) == 0 && sb.st_size >= RESERVE_BYTES)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (done = 0; done < RESERVE_BYTES && !r; done += sizeof(zero))
		if (write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero))
			r = errno ? -errno : -ENOSPC;
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r)
		unlink(path);
	return r;
}

static int sq_preflight(const char *path, char *why, size_t len)
{
	char reserve[4200];
	struct db *db = NULL;
	struct statvfs sv;
	int r;

	snprintf(reserve, sizeof(reserve), "%s.reserve", path);
	if ((statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY)) ||
	    (access(path, F_OK) == 0 && access(path, W_OK) < 0)) {
		snprintf(why, len, "the store %s cannot be written: it is read-only", path);
		return -EROFS;
	}
	r = make_reserve(reserve);
	if (r) {
		snprintf(why, len, "cannot make the store's %d-byte reserve %s: %s",
			 RESERVE_BYTES, reserve, strerror(-r));
		return r;
	}
	if (statvfs(reserve, &sv) == 0 && !(sv.f_flag & ST_RDONLY) &&
	    (unsigned long long)sv.f_bavail * sv.f_frsize < MIN_FREE_BYTES) {
		snprintf(why, len, "the disk is full: %llu KiB free where the store %s is, hgsd needs %d KiB besides its reserve",
			 (unsigned long long)sv.f_bavail * sv.f_frsize / 1024, path,
			 MIN_FREE_BYTES / 1024);
		return -ENOSPC;
	}
	r = sq_open(path, 1, &db);
	if (!r)
		r = sq_probe_write(db);
	sq_close(db);
	if (r)
		snprintf(why, len, "the store %s cannot be written: %s", path,
			 r == -EROFS ? "it is read-only" :
			 r == -ENOSPC ? "the disk is full" : strerror(-r));
	return r;
}

const struct db_ops store_sqlite_ops = {
	.name = "sqlite",
	.pg = 0,
	.preflight = sq_preflight,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.query = sq_query,
	.begin = sq_begin,
	.schema_version = sq_schema_version,
	.set_schema_version = sq_set_schema_version,
	.probe_write = sq_probe_write,
};
