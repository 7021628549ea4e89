// SPDX-License-Identifier: GPL-2.0
/*
 * store_backup.c - backup and restore of the store, the same on both
 * backends (Documentation/hgs-cluster.md §5).
 *
 * A backup is every state table read in one read-only transaction (a
 * consistent snapshot while the nodes keep serving), as JSON with the
 * schema version; the audit log goes with it as a record, the events
 * (an operational log, possibly millions of rows) do not.
 *
 * A restore merges a backup into the store in one admin change and
 * never deletes. What it may never do, and how:
 *   - lower a counter: TPM clocks and counters, worker_policy_version,
 *     revocation_cutoff and the change feed take the larger of the two
 *     (the TK versions of issue 20 join this list: every version column
 *     is restored as the maximum; so do issue 21's vTPM generations);
 *   - resurrect a revoked host or certificate: a host the store does not
 *     hold comes back disabled (it may have been removed after the
 *     backup: an admin re-enables it after checking), a host the store
 *     holds keeps its state; an admin certificate revoked in either is
 *     revoked;
 *   - re-enable a used nonce: spends are only ever added, the nonce key
 *     and the TPM challenges are not restored (with no key in the store
 *     a new one is made, and every nonce issued before is unknown).
 * Every other row the store lacks is added; a row it holds stays as it
 * is (the store is newer than the backup).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_db.h"
#include "vms_compiler.h"

/* The tables a backup holds, each in a stable order. */
static const struct {
	const char *name, *order;
} tables[] = {
	{ "hosts", "name" },
	{ "settings", "name" },
	{ "workers", "id" },
	{ "worker_history", "version" },
	{ "guardians", "name" },
	{ "admin_certs", "fpr" },
	{ "baselines", "name, version" },
	{ "tpm_digests", "kind, digest" },
	{ "tpm_clock", "host" },
	{ "ima_keys", "fpr" },
	{ "platforms", "platform_id" },
	{ "spent_nonces", "session" },
	{ "audit", "id" },
	{ "vm_keys", "vm_id" },
	{ "vm_key_rolls", "vm_id, version, key_id" },
	{ "vm_migrations", "vm_id, version, key_id" },	/* live migration */
	{ "vm_vtpm", "vm_id" },				/* issue 21 */
};

json_t *store_backup(struct store *st)
{
	json_t *out = json_object(), *t = json_object();
	struct db *db;
	size_t i;
	int r;

	if (!out || !t || json_object_set_new(out, "tables", t)) {
		json_decref(out);
		return NULL;
	}
	db = store_lock(st);
	r = db->ops->exec(db, db->ops->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" :
			  "BEGIN");
	for (i = 0; !r && i < ARRAY_SIZE(tables); i++) {
		char sql[128];
		json_t *rows = NULL;

		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s", tables[i].name,
			 tables[i].order);
		r = db->ops->query(db, sql, NULL, &rows, NULL);
		if (!r)
			json_object_set_new(t, tables[i].name, rows);
	}
	if (!r)
		json_object_set_new(out, "schema_version",
				    json_integer(db->ops->schema_version(db)));
	db->ops->exec(db, r ? "ROLLBACK" : "COMMIT");
	store_unlock(st);
	if (r) {
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "format", json_string("vmshield-hgs-backup-1"));
	json_object_set_new(out, "backend", json_string(store_dialect_pg(st) ? "postgresql" :
							"sqlite"));
	return out;
}

/* @row's column @name as text ("" for NULL), into @buf. */
static const char *col(json_t *row, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(row, name);

	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
	return buf;
}

/*
 * INSERT one row of @table with @cols (comma list, as in the row) and
 * @conflict (what happens when the key exists): rows added or -errno.
 */
static int put_row(struct db *db, const char *table, const char *cols, json_t *row,
		   const char *conflict)
{
	char sql[1024], buf[16][256], names[256], *save = NULL, *c;
	const char *args[17] = { NULL };
	size_t o = 0, n = 0;

	snprintf(names, sizeof(names), "%s", cols);
	o = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s(%s) VALUES (", table, cols);
	for (c = strtok_r(names, ",", &save); c && n < 16; c = strtok_r(NULL, ",", &save), n++) {
		json_t *v = json_object_get(row, c);

		if (json_is_string(v) && strlen(json_string_value(v)) >= sizeof(buf[n]))
			args[n] = json_string_value(v);	/* long text (PEM, baselines) */
		else
			args[n] = col(row, c, buf[n], sizeof(buf[n]));
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s?", n ? "," : "");
	}
	snprintf(sql + o, sizeof(sql) - o, ") %s", conflict);
	return store_db_run(db, sql, args);
}

struct restore_arg {
	json_t *tables;
	long added;
};

/* Each table's rule (see the top of this file). */
static const struct {
	const char *table, *cols, *conflict_sqlite, *conflict_pg;
} rules[] = {
	{ "hosts", "name,key_alg,public_key,key_fpr,ek_public,ek_fpr,hardware_class,enabled,added_at,updated_at",
	  "ON CONFLICT DO NOTHING", NULL },
	{ "workers", "digest,description,enabled,added_at,updated_at", "ON CONFLICT DO NOTHING", NULL },
	{ "worker_history", "version,at,who,change,digests", "ON CONFLICT DO NOTHING", NULL },
	{ "guardians", "name,certificates,is_primary,enabled,created_at",
	  "ON CONFLICT DO NOTHING", NULL },
	{ "admin_certs", "fpr,subject,state,role,first_seen,last_seen,updated_at",
	  "ON CONFLICT(fpr) DO UPDATE SET state = 'revoked' WHERE excluded.state = 'revoked'",
	  NULL },
	{ "baselines", "name,version,hardware_class,enabled,body,sha256,added_at",
	  "ON CONFLICT DO NOTHING", NULL },
	{ "tpm_digests", "kind,digest,description,added_at", "ON CONFLICT DO NOTHING", NULL },
	{ "tpm_clock", "host,clock,reset_count,restart_count,updated_at",
	  "ON CONFLICT(host) DO UPDATE SET clock = MAX(clock, excluded.clock),\n"
	  "  reset_count = MAX(reset_count, excluded.reset_count),\n"
	  "  restart_count = MAX(restart_count, excluded.restart_count)",
	  "ON CONFLICT(host) DO UPDATE SET clock = GREATEST(tpm_clock.clock, excluded.clock),\n"
	  "  reset_count = GREATEST(tpm_clock.reset_count, excluded.reset_count),\n"
	  "  restart_count = GREATEST(tpm_clock.restart_count, excluded.restart_count)" },
	{ "ima_keys", "fpr,keyid,key_type,subject,description,cert,added_at",
	  "ON CONFLICT DO NOTHING", NULL },
	{ "platforms", "platform_id,name,type,public_key,programs,enabled,added_at,updated_at",
	  "ON CONFLICT DO NOTHING", NULL },
	{ "spent_nonces", "session,expires", "ON CONFLICT DO NOTHING", NULL },
	/*
	 * TK versions (issue 20): the higher version wins, with its key ids
	 * and pending roll; an equal or lower one changes nothing.
	 */
	{ "vm_keys", "vm_id,version,key_id,pending_version,pending_key_id,host,released_at,confirmed_at,releases,updated_at",
	  "ON CONFLICT(vm_id) DO UPDATE SET version = excluded.version, key_id = excluded.key_id,\n"
	  "  pending_version = excluded.pending_version, pending_key_id = excluded.pending_key_id\n"
	  "  WHERE excluded.version > vm_keys.version", NULL },
	{ "vm_key_rolls", "vm_id,version,key_id,host,rolled_at,confirmed,confirmed_at",
	  "ON CONFLICT DO NOTHING", NULL },
	/* live migrations: a record, only ever added */
	{ "vm_migrations", "vm_id,version,key_id,from_host,to_host,started_at,confirmed_at,migrated_at",
	  "ON CONFLICT DO NOTHING", NULL },
	/* vTPM generations (issue 21): a freshness floor, only ever raised */
	{ "vm_vtpm", "vm_id,generation,boot_id,host,updated_at",
	  "ON CONFLICT(vm_id) DO UPDATE SET generation = excluded.generation,\n"
	  "  boot_id = excluded.boot_id, host = excluded.host, updated_at = excluded.updated_at\n"
	  "  WHERE excluded.generation > vm_vtpm.generation", NULL },
};

/* Settings that only go up: the larger of the store's and the backup's. */
static const char *const monotonic[] = {
	"worker_policy_version", "revocation_cutoff", "change_seq",
};

static int restore_settings(struct db *db, json_t *rows, long *added)
{
	json_t *row;
	size_t i, k;
	int r;

	json_array_foreach(rows, i, row) {
		char name[64], value[256];
		const char *const ins[] = { col(row, "name", name, sizeof(name)),
					    col(row, "value", value, sizeof(value)), NULL };
		int mono = 0;

		for (k = 0; k < ARRAY_SIZE(monotonic); k++)
			mono |= !strcmp(name, monotonic[k]);
		if (mono)
			r = store_db_run(db, "UPDATE settings SET value = ?2 WHERE name = ?1\n"
					 "  AND CAST(value AS BIGINT) < CAST(?2 AS BIGINT)", ins);
		else
			r = store_db_run(db, "INSERT INTO settings(name, value, updated_at)\n"
					 "VALUES (?, ?, 0) ON CONFLICT DO NOTHING", ins);
		if (r < 0)
			return r;
		*added += r;
	}
	return 0;
}

static int restore_fn(struct db *db, const void *p)
{
	const struct restore_arg *a = p;
	long *added = (long *)&a->added;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		json_t *rows = json_object_get(a->tables, rules[i].table), *row;
		const char *conflict = db->ops->pg && rules[i].conflict_pg ?
				       rules[i].conflict_pg : rules[i].conflict_sqlite;
		size_t k;

		json_array_foreach(rows, k, row) {
			json_t *copy = json_deep_copy(row);

			if (!copy)
				return -ENOMEM;
			/* a host the store lacks comes back disabled */
			if (!strcmp(rules[i].table, "hosts"))
				json_object_set_new(copy, "enabled", json_integer(0));
			r = put_row(db, rules[i].table, rules[i].cols, copy, conflict);
			json_decref(copy);
			if (r < 0)
				return r;
			*added += r;
		}
	}
	return restore_settings(db, json_object_get(a->tables, "settings"), added);
}

int store_restore(struct store *st, json_t *backup, const char *who, long *added)
{
	struct restore_arg a = { json_object_get(backup, "tables"), 0 };
	json_t *v = json_object_get(backup, "schema_version");
	const char *format = json_string_value(json_object_get(backup, "format"));
	char detail[160];
	int r;

	*added = 0;
	if (!json_is_object(a.tables) || !json_is_integer(v) || !format ||
	    strcmp(format, "vmshield-hgs-backup-1"))
		return -EINVAL;
	if (json_integer_value(v) > store_schema_version(st))
		return -EPROTONOSUPPORT;
	snprintf(detail, sizeof(detail), "schema=%lld",
		 (long long)json_integer_value(v));
	r = store_change(st, who, "restore", detail, restore_fn, &a);
	*added = a.added;
	return r;
}
