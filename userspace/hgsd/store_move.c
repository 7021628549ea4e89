// SPDX-License-Identifier: GPL-2.0
/*
 * store_move.c - move a store to another backend (hgs-cluster.md §5a):
 * every state table read in one read transaction of the source (a
 * consistent snapshot), written into an empty target in one write
 * transaction, then counted again in the target. Nothing is merged or
 * changed on the way, so the rules of a restore hold trivially: every
 * TK version, TPM clock, counter, revocation and cut-off is the
 * source's, spent nonces and the nonce key move with it (a nonce spent
 * before the move stays spent), the audit keeps its ids and hashes (its
 * chain still verifies), ids of the identity tables are kept and their
 * sequences moved past them. TPM challenges (they live for nonce_ttl_s)
 * do not move. The service keys are files (keys/) and do not change: a
 * node pointed at the target serves the same guardians and KPS key.
 *
 * The source must be at this hgsd's schema (start it once on the
 * source to migrate it); the target is migrated to it and must hold no
 * HGS (no host, guardian, audit row, event, worker, admin certificate,
 * VM key or nonce). Stop every hgsd on the source first: what it writes
 * after the snapshot would not move.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_db.h"
#include "store_move.h"
#include "vms_cleanup.h"
#include "vms_cleanup_json.h"
#include "vms_compiler.h"

/* Every table that moves, each in a stable order; events in pages. */
static const struct {
	const char *name, *order;
	int identity;	/* its id column is an identity: move the sequence */
} tables[] = {
	{ "settings", "name", 0 },
	{ "hosts", "name", 0 },
	{ "workers", "id", 1 },
	{ "worker_history", "version", 0 },
	{ "guardians", "name", 0 },
	{ "admin_certs", "fpr", 0 },
	{ "baselines", "name, version", 0 },
	{ "tpm_digests", "kind, digest", 0 },
	{ "tpm_clock", "host", 0 },
	{ "ima_keys", "fpr", 0 },
	{ "platforms", "platform_id", 0 },
	{ "shared_secrets", "name", 0 },
	{ "spent_nonces", "session", 0 },
	{ "audit", "id", 1 },
	{ "vm_keys", "vm_id", 0 },
	{ "vm_key_rolls", "vm_id, version, key_id", 0 },
	{ "vm_migrations", "vm_id, version, key_id", 0 },
	{ "vm_vtpm", "vm_id", 0 },	/* the generation floor: lost, old state opens */
	{ "events", "id", 1 },
};

/* Tables whose rows mean "an HGS lives here" (the target must have none). */
static const char *const occupied[] = {
	"hosts", "guardians", "audit", "events", "workers", "admin_certs",
	"vm_keys", "spent_nonces", "shared_secrets",
};

#define PAGE	5000	/* rows read at a time from one table */

/* INSERT @row into @table on @db: every column that is not NULL. */
static int put_row(struct db *db, const char *table, json_t *row)
{
	_cleanup_free_ char *sql = NULL, *vals = NULL;
	_cleanup_free_ const char **args = NULL;
	char (*num)[24] = NULL;
	size_t n = json_object_size(row), k = 0, o = 0, vo = 0, cap;
	const char *col;
	json_t *v;
	int r;

	cap = 64 + strlen(table) + 40 * n;
	sql = malloc(cap);
	vals = malloc(4 * n + 4);
	args = calloc(n + 1, sizeof(*args));
	num = calloc(n + 1, sizeof(*num));
	if (!sql || !vals || !args || !num) {
		free(num);
		return -ENOMEM;
	}
	o = (size_t)snprintf(sql, cap, "INSERT INTO %s(", table);
	json_object_foreach(row, col, v) {
		if (json_is_null(v))
			continue;
		if (json_is_integer(v)) {
			snprintf(num[k], sizeof(num[k]), "%lld", (long long)json_integer_value(v));
			args[k] = num[k];
		} else if (json_is_string(v)) {
			args[k] = json_string_value(v);
		} else {
			free(num);
			return -EPROTO;	/* no other type is stored */
		}
		o += (size_t)snprintf(sql + o, cap - o, "%s%s", k ? "," : "", col);
		vo += (size_t)sprintf(vals + vo, "%s?", k ? "," : "");
		k++;
	}
	snprintf(sql + o, cap - o, ") VALUES (%s)", vals);
	r = store_db_run(db, sql, args);
	free(num);
	return r == 1 ? 0 : r < 0 ? r : -EIO;
}

/* COUNT(*) of @table on @db, or -1. */
static long long count_rows(struct db *db, const char *table)
{
	_cleanup_json_ json_t *rows = NULL;
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM %s", table);
	if (db->ops->query(db, sql, NULL, &rows, NULL))
		return -1;
	return json_integer_value(json_object_get(json_array_get(rows, 0), "n"));
}

/* Copy one table, a page at a time: rows copied or -errno. */
static long long copy_table(struct db *src, struct db *dst, size_t t, FILE *out)
{
	long long copied = 0;

	for (;;) {
		_cleanup_json_ json_t *rows = NULL;
		char sql[160], off[24];
		const char *const args[] = { off, NULL };
		json_t *row;
		size_t i;
		int r;

		snprintf(off, sizeof(off), "%lld", copied);
		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s LIMIT %d OFFSET CAST(? AS INTEGER)",
			 tables[t].name, tables[t].order, PAGE);
		r = src->ops->query(src, sql, args, &rows, NULL);
		if (r)
			return r;
		json_array_foreach(rows, i, row) {
			r = put_row(dst, tables[t].name, row);
			if (r)
				return r;
		}
		copied += (long long)json_array_size(rows);
		if (json_array_size(rows) < PAGE)
			return copied;
		fprintf(out, "hgsd --migrate-store: %s: %lld rows so far\n", tables[t].name, copied);
		fflush(out);
	}
}

/* PostgreSQL: each identity's sequence past the ids moved. */
static int move_sequences(struct db *dst)
{
	size_t t;
	int r;

	for (t = 0; t < ARRAY_SIZE(tables); t++) {
		char sql[200];

		if (!tables[t].identity)
			continue;
		snprintf(sql, sizeof(sql),
			 "SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM %s",
			 tables[t].name, tables[t].name);
		r = dst->ops->query(dst, sql, NULL, NULL, NULL);
		if (r)
			return r;
	}
	return 0;
}

/* Everything into @dst inside its write transaction; per-table counts in @n. */
static int copy_all(struct db *src, struct db *dst, long long *n, FILE *out, char *why, size_t len)
{
	size_t t;
	int r;

	for (t = 0; t < ARRAY_SIZE(tables); t++) {
		char del[64];

		/* what the target's migrations put there gives way to the source's */
		snprintf(del, sizeof(del), "DELETE FROM %s", tables[t].name);
		r = store_db_run(dst, del, NULL);
		if (r < 0) {
			snprintf(why, len, "emptying table %s failed: %s", tables[t].name,
				 strerror(-r));
			return r;
		}
		n[t] = copy_table(src, dst, t, out);
		if (n[t] < 0) {
			snprintf(why, len, "copying table %s failed: %s", tables[t].name,
				 strerror((int)-n[t]));
			return (int)n[t];
		}
		fprintf(out, "hgsd --migrate-store: %s: %lld rows\n", tables[t].name, n[t]);
		fflush(out);
	}
	if (dst->ops->pg) {
		r = move_sequences(dst);
		if (r) {
			snprintf(why, len, "moving the identity sequences failed: %s", strerror(-r));
			return r;
		}
	}
	/* the same rows on both sides, or nothing is committed */
	for (t = 0; t < ARRAY_SIZE(tables); t++) {
		long long m = count_rows(dst, tables[t].name);

		if (m != n[t]) {
			snprintf(why, len, "table %s: %lld rows read, %lld in the target", tables[t].name,
				 n[t], m);
			return -EIO;
		}
	}
	return 0;
}

static int target_empty(struct db *dst, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(occupied); i++) {
		long long m = count_rows(dst, occupied[i]);

		if (m < 0) {
			snprintf(why, len, "the target cannot be read (table %s)", occupied[i]);
			return -EIO;
		}
		if (m) {
			snprintf(why, len, "the target is not empty: it holds %lld rows of %s (an HGS lives there); use a new database",
				 m, occupied[i]);
			return -ENOTEMPTY;
		}
	}
	return 0;
}

int store_move(const char *from, const char *to, FILE *out, char *why, size_t len)
{
	_cleanup_(store_closep) struct store *dst = NULL;
	const char *src_rest = NULL, *dst_rest = NULL;
	const struct db_ops *sops = store_backend(from, &src_rest);
	long long n[ARRAY_SIZE(tables)], total = 0;
	struct db *src = NULL, *ddb;
	size_t t;
	int r, v;

	store_backend(to, &dst_rest);
	if (!strcmp(from, to) || !strcmp(src_rest, dst_rest)) {
		snprintf(why, len, "the source and the target are the same store");
		return -EINVAL;
	}
	/* never create a source: an SQLite path must exist */
	r = !sops->pg && access(src_rest, R_OK) ? -errno : sops->open(src_rest, 0, &src);
	if (r) {
		snprintf(why, len, "the source store cannot be opened: %s", strerror(-r));
		return r;
	}
	v = sops->schema_version(src);
	if (v != store_schema_latest) {
		snprintf(why, len, v <= 0 ? "the source holds no HGS store (no schema version)" :
			 "the source's schema is version %d, this hgsd's %d: start this hgsd on the source once (it migrates it), then move it",
			 v, store_schema_latest);
		sops->close(src);
		return -EPROTO;
	}
	r = store_open(to, &dst);
	if (r) {
		snprintf(why, len, "the target store cannot be opened or migrated: %s", strerror(-r));
		sops->close(src);
		return r;
	}
	fprintf(out, "hgsd --migrate-store: source %s at schema %d, target %s migrated\n",
		sops->name, v, store_dialect_pg(dst) ? "postgresql" : "sqlite");
	ddb = store_lock(dst);
	r = target_empty(ddb, why, len);
	if (!r)
		r = sops->exec(src, sops->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" :
			       "BEGIN");
	if (!r) {
		r = store_db_begin(ddb);
		if (!r)
			r = store_db_end(ddb, copy_all(src, ddb, n, out, why, len));
		else
			snprintf(why, len, "the target's write transaction cannot begin");
		sops->exec(src, "COMMIT");
	} else if (!why[0]) {
		snprintf(why, len, "the source's read transaction cannot begin");
	}
	store_unlock(dst);
	sops->close(src);
	if (r) {
		if (!why[0])
			snprintf(why, len, "committing into the target failed: %s", strerror(-r));
		return r;
	}
	for (t = 0; t < ARRAY_SIZE(tables); t++)
		total += n[t];
	fprintf(out, "hgsd --migrate-store: done: %zu tables, %lld rows, counted again in the target\n",
		ARRAY_SIZE(tables), total);
	return 0;
}
