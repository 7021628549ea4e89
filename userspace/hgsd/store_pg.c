// SPDX-License-Identifier: GPL-2.0
/*
 * store_pg.c - the PostgreSQL backend of the store (store_db.h), over
 * libpq, for N hgsd nodes sharing one database
 * (Documentation/hgs-cluster.md).
 *
 * The target is libpq's connection string (key=value words or a
 * postgresql:// URI); it may carry a password, so it is never logged
 * (use passfile= or ~/.pgpass). Defaults put first, so the target
 * overrides them: connect_timeout 5 s and TCP keepalives, so a node
 * notices a dead database within seconds rather than at the kernel's
 * TCP timeout.
 *
 * A lost connection is reset at the next statement, so a node recovers
 * by itself when the database returns; meanwhile every statement fails
 * (-ECONNRESET) and the store fails closed like a full SQLite disk.
 * A write transaction takes one advisory lock for the whole database, so
 * admin changes from every node are serialised like SQLite's BEGIN
 * IMMEDIATE (they are rare; events do not take it). The schema version
 * is the one row of hgsd_schema.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "store_db.h"
#include "vms_compiler.h"

/* pg_advisory_xact_lock's key for write transactions: "hgsd". */
#define WRITE_LOCK	"1751610212"

/* Type OIDs of the integer columns (pg_type.h: int8, int2, int4). */
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23

/* a bulk insert's (store.c: 256 rows of 4) in one statement of at most MAX_SQL */
#define MAX_ARGS	1024
#define MAX_SQL		16384

struct pg_db {
	struct db base;
	PGconn *c;
	int down;	/* the connection was lost: said once, until it is back */
	int durable;	/* commits wait for the WAL flush (admin changes) */
};

static PGconn *conn(struct db *db)
{
	return ((struct pg_db *)db)->c;
}

/* Notices (CREATE ... IF NOT EXISTS and the like) are not errors. */
static void drop_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The first line of libpq's message: no newline inside a log value. */
static void first_line(const char *msg, char *out, size_t len)
{
	size_t n = strcspn(msg ? msg : "", "\n\"");

	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), msg ? msg : "");
}

/* A failed result's SQLSTATE as an errno. */
static int state_errno(const char *state)
{
	if (!state)
		return -ECONNRESET;	/* no server answer: the connection */
	if (!strcmp(state, "25006"))	/* read_only_sql_transaction */
		return -EROFS;
	if (!strcmp(state, "53100"))	/* disk_full */
		return -ENOSPC;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
		return -ECONNRESET;	/* connection exception, shutdown */
	if (!strcmp(state, "23505"))	/* unique_violation */
		return -EEXIST;
	return -EIO;
}

/* Reset a lost connection; 0 once it is usable. */
static int ensure_conn(struct pg_db *d)
{
	char msg[200];

	if (PQstatus(d->c) == CONNECTION_OK)
		return 0;
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK) {
		if (!d->down) {
			first_line(PQerrorMessage(d->c), msg, sizeof(msg));
			log_err("store", "backend=postgresql error=\"%s\" msg=\"the database cannot be reached: refusing what needs it until it can\"",
				msg);
		}
		d->down = 1;
		return -ECONNRESET;
	}
	if (d->down)
		log_info("store", "backend=postgresql msg=\"the database is reachable again\"");
	d->down = 0;
	PQclear(PQexec(d->c, d->durable ? "SET client_min_messages = warning" :
			"SET client_min_messages = warning; SET synchronous_commit = off"));
	return 0;
}

/* @res's outcome: 0, or -errno logged with its SQLSTATE. */
static int result_errno(struct pg_db *d, PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state;
	char msg[200];
	int r;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	r = state_errno(state);
	if (r == -ECONNRESET && PQstatus(d->c) != CONNECTION_OK) {
		if (!d->down)
			log_err("store", "backend=postgresql msg=\"the connection to the database was lost: refusing what needs it until it is back\"");
		d->down = 1;
		return r;
	}
	if (r != -EEXIST) {
		first_line(res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
			   PQerrorMessage(d->c), msg, sizeof(msg));
		log_err("store", "backend=postgresql sqlstate=%s sql_error=\"%s\"",
			state ? state : "-", msg);
	}
	return r;
}

static int pg_exec(struct db *db, const char *sql)
{
	struct pg_db *d = (struct pg_db *)db;
	PGresult *res;
	int r = ensure_conn(d);

	if (r)
		return r;
	res = PQexec(d->c, sql);
	r = result_errno(d, res);
	PQclear(res);
	return r;
}

/*
 * '?' placeholders as $1, $2, ... ('?N' as $N), outside string literals;
 * -E2BIG if @out is too small.
 */
static int placeholders(const char *sql, char *out, size_t len)
{
	size_t o = 0;
	int n = 0, quoted = 0;

	for (; *sql; sql++) {
		char num[16];
		size_t k;

		if (*sql == '\'')
			quoted = !quoted;
		if (*sql != '?' || quoted) {
			if (o + 1 >= len)
				return -E2BIG;
			out[o++] = *sql;
			continue;
		}
		if (sql[1] >= '1' && sql[1] <= '9')
			snprintf(num, sizeof(num), "$");	/* ?N: its digits follow */
		else
			snprintf(num, sizeof(num), "$%d", ++n);
		k = strlen(num);
		if (o + k >= len)
			return -E2BIG;
		memcpy(out + o, num, k);
		o += k;
	}
	out[o] = 0;
	return 0;
}

/* Row @i of @res as a JSON object; integer columns as integers. */
static json_t *row_json(PGresult *res, int i)
{
	json_t *row = json_object();
	int j, n = PQnfields(res);

	for (j = 0; row && j < n; j++) {
		const char *name = PQfname(res, j);
		Oid t = PQftype(res, j);

		if (PQgetisnull(res, i, j))
			json_object_set_new(row, name, json_null());
		else if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2)
			json_object_set_new(row, name,
					    json_integer(strtoll(PQgetvalue(res, i, j), NULL, 10)));
		else
			json_object_set_new(row, name, json_string(PQgetvalue(res, i, j)));
	}
	return row;
}

static int pg_query(struct db *db, const char *sql, const char *const *args,
		    json_t **rows, long *changes)
{
	struct pg_db *d = (struct pg_db *)db;
	char text[MAX_SQL];
	PGresult *res;
	json_t *arr = NULL;
	int i, n = 0, r;

	if (rows)
		*rows = NULL;
	while (args && args[n])
		n++;
	if (n > MAX_ARGS || placeholders(sql, text, sizeof(text))) {
		log_err("store", "backend=postgresql msg=\"statement too long or too many arguments\"");
		return -EIO;
	}
	r = ensure_conn(d);
	if (r)
		return r;
	res = PQexecParams(d->c, text, n, NULL, (const char *const *)args, NULL, NULL, 0);
	r = result_errno(d, res);
	if (!r && rows) {
		arr = json_array();
		for (i = 0; arr && i < PQntuples(res); i++)
			if (json_array_append_new(arr, row_json(res, i)))
				r = -ENOMEM;
		if (!arr)
			r = -ENOMEM;
	}
	if (!r && changes)
		*changes = atol(PQcmdTuples(res));
	PQclear(res);
	if (r) {
		json_decref(arr);
		return r;
	}
	if (rows)
		*rows = arr;
	return 0;
}

static int pg_begin(struct db *db)
{
	return pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")");
}

static int pg_schema_version(struct db *db)
{
	json_t *rows = NULL;
	int v = -1;

	if (!pg_query(db, "SELECT version FROM hgsd_schema", NULL, &rows, NULL) &&
	    json_array_size(rows) == 1)
		v = (int)json_integer_value(json_object_get(json_array_get(rows, 0), "version"));
	json_decref(rows);
	return v;
}

static int pg_set_schema_version(struct db *db, int v)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "UPDATE hgsd_schema SET version = %d", v);
	return pg_exec(db, sql);
}

static void pg_close(struct db *db)
{
	if (!db)
		return;
	PQfinish(conn(db));
	free(db);
}

/*
 * Connect, and make the version row once (under a session advisory lock:
 * nodes that start together make it once).
 */
static int pg_open(const char *target, int durable, struct db **out)
{
	static const char *const keys[] = {
		"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "application_name", "dbname", NULL
	};
	const char *vals[ARRAY_SIZE(keys)] = { "5", "1", "5", "2", "2", "hgsd", NULL, NULL };
	struct pg_db *d = calloc(1, sizeof(*d));
	char msg[200];
	int r;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->base.ops = &store_pg_ops;
	d->durable = durable;
	vals[6] = target;	/* dbname, expanded: the target's words override the defaults */
	d->c = PQconnectdbParams(keys, vals, 1);
	if (!d->c || PQstatus(d->c) != CONNECTION_OK) {
		first_line(d->c ? PQerrorMessage(d->c) : "out of memory", msg, sizeof(msg));
		log_err("store", "backend=postgresql step=\"connecting\" error=\"%s\"", msg);
		pg_close(&d->base);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(d->c, drop_notice, NULL);
	r = pg_exec(&d->base, "SET client_min_messages = warning;\n"
		    "SELECT pg_advisory_lock(" WRITE_LOCK ");\n"
		    "CREATE TABLE IF NOT EXISTS hgsd_schema (\n"
		    "  one INTEGER PRIMARY KEY CHECK (one = 1), version INTEGER NOT NULL);\n"
		    "INSERT INTO hgsd_schema VALUES (1, 0) ON CONFLICT DO NOTHING;\n"
		    "SELECT pg_advisory_unlock(" WRITE_LOCK ");");
	/*
	 * The events connection commits without waiting for the WAL flush,
	 * as SQLite's synchronous=NORMAL: a crash of the database machine may
	 * lose the last few events, a crash of hgsd none (each is committed
	 * before it is served). Admin changes wait for the flush.
	 */
	if (!r && !durable)
		r = pg_exec(&d->base, "SET synchronous_commit = off");
	if (r) {
		pg_close(&d->base);
		return r;
	}
	*out = &d->base;
	return 0;
}

/* A write that changes nothing, committed: refused by a read-only database. */
static int pg_probe_write(struct db *db)
{
	int r = pg_begin(db);

	if (!r)
		r = pg_exec(db, "UPDATE hgsd_schema SET version = version");
	if (!r)
		r = pg_exec(db, "COMMIT");
	if (r)
		pg_exec(db, "ROLLBACK");
	return r;
}

static int pg_preflight(const char *target, char *why, size_t len)
{
	struct db *db = NULL;
	int r = pg_open(target, 1, &db);

	if (!r)
		r = pg_probe_write(db);
	pg_close(db);
	if (r)
		snprintf(why, len, "the store (PostgreSQL) %s",
			 r == -ECONNREFUSED || r == -ECONNRESET ?
			 "cannot be reached: see the error above; check the database and the store line of hgsd.conf" :
			 r == -EROFS ? "cannot be written: the database is read-only (a standby, or default_transaction_read_only)" :
			 r == -ENOSPC ? "cannot be written: the database's disk is full" :
			 "cannot be written: see the error above");
	return r;
}

const struct db_ops store_pg_ops = {
	.name = "postgresql",
	.pg = 1,
	.preflight = pg_preflight,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.query = pg_query,
	.begin = pg_begin,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.probe_write = pg_probe_write,
};
