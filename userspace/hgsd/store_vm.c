// SPDX-License-Identifier: GPL-2.0
/*
 * store_vm.c - each VM's transport-key version, held by HGS (issue 20;
 * the protocol: Documentation/migration.md "The TK roll"), the same on
 * SQLite and PostgreSQL:
 *   vm_keys       one row per VM HGS has rolled: the acknowledged version
 *                 and key id, at most one pending (rolled, unconfirmed)
 *                 version, the host and time of the last release;
 *   vm_key_rolls  every roll made, and whether the host confirmed it; at
 *                 most one confirmed roll per (VM, version) (a unique
 *                 index), so no version can be acknowledged twice.
 * Every change runs in one write transaction, which both backends
 * serialise with every other writer (SQLite BEGIN IMMEDIATE, PostgreSQL
 * the store's advisory lock), together with the release's event row: the
 * version moves exactly when the release is recorded, and a release
 * whose record failed was never served.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_db.h"
#include "store_vm.h"
#include "store_vm_vtpm.h"
#include "vms_hex.h"

struct vm_row {
	int found;
	uint64_t version, pending;
	uint8_t key_id[16], pending_key_id[16];
	char host[65];
	long long released_at;
};

static void u64_text(uint64_t v, char out[24])
{
	snprintf(out, 24, "%llu", (unsigned long long)v);
}

static uint64_t row_u64(json_t *row, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(row, name));

	return v > 0 ? (uint64_t)v : 0;
}

/* @row's hex column @name as 16 bytes; an empty one as zeros. */
static int row_id(json_t *row, const char *name, uint8_t out[16])
{
	const char *v = json_string_value(json_object_get(row, name));

	memset(out, 0, 16);
	if (!v)
		return -EIO;
	if (!*v)
		return 0;
	return vms_hex_decode_exact(v, out, 16) ? -EIO : 0;
}

/* Under the write transaction: @vm_id's row (found = 0 if none). */
static int vm_read(struct db *db, const char *vm_id, struct vm_row *out)
{
	const char *const q[] = { vm_id, NULL };
	json_t *row = NULL;
	const char *h;
	int r;

	memset(out, 0, sizeof(*out));
	r = store_db_row(db, "SELECT version, key_id, pending_version, pending_key_id, host,\n"
			 "  released_at FROM vm_keys WHERE vm_id = ?", q, &row);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	out->found = 1;
	out->version = row_u64(row, "version");
	out->pending = row_u64(row, "pending_version");
	out->released_at = (long long)row_u64(row, "released_at");
	h = json_string_value(json_object_get(row, "host"));
	snprintf(out->host, sizeof(out->host), "%s", h ? h : "");
	r = row_id(row, "key_id", out->key_id);
	if (!r)
		r = row_id(row, "pending_key_id", out->pending_key_id);
	json_decref(row);
	return r;
}

static int event_row(struct db *db, const char *host, const char *detail)
{
	char at[24];
	const char *const ins[] = { at, "release", host, "Passed", detail, NULL };

	snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
	return store_db_run(db, "INSERT INTO events(at, kind, host, result, detail) VALUES (?,?,?,?,?)",
			    ins) == 1 ? 0 : -EIO;
}

/* Mark roll (@vm_id, @version, @key) confirmed. */
static int roll_confirmed(struct db *db, const char *vm_id, uint64_t version,
			  const uint8_t key[16])
{
	char v[24], kid[33], now[24];
	const char *const a[] = { now, vm_id, v, kid, NULL };

	u64_text(version, v);
	vms_hex_encode(key, 16, kid);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	return store_db_run(db, "UPDATE vm_key_rolls SET confirmed = 1, confirmed_at = ?\n"
			    "WHERE vm_id = ? AND version = ? AND key_id = ?", a) == 1 ? 0 : -EIO;
}

/* Live migration's hooks into the roll (defined below, §2 of migration.md). */
static json_t *migration_json(struct db *db, const char *vm_id, json_t *vm);
static int migration_confirmed(struct db *db, const char *vm_id, uint64_t version,
			       const uint8_t key[16]);
static int migration_in_flight(struct db *db, const char *vm_id, uint64_t version,
			       const uint8_t key[16], char from[65]);

struct release_arg {
	const char *vm_id, *host, *detail;
	uint64_t kp_version;
	const uint8_t *kp_key_id, *next_key_id;
	int roll;
	uint64_t *new_version;
	const struct store_vtpm *vtpm;	/* issue 21: NULL, none */
	const struct store_vm_plain *plain;
};

/* Write @vm_id's row as @now_v/@now_key with pending @pend/@pend_key. */
static int vm_write(struct db *db, const struct release_arg *a, const struct vm_row *old,
		    uint64_t now_v, const uint8_t now_key[16], uint64_t pend,
		    const uint8_t *pend_key, int confirmed)
{
	char v[24], p[24], ov[24], op[24], kid[33], pkid[33] = "", now[24];
	const char *const upd[] = { v, kid, p, pkid, a->host, now, now, a->vm_id, ov, op, NULL };
	const char *const ins[] = { a->vm_id, v, kid, p, pkid, a->host, now, now, NULL };
	int r;

	u64_text(now_v, v);
	u64_text(pend, p);
	u64_text(old->version, ov);
	u64_text(old->pending, op);
	vms_hex_encode(now_key, 16, kid);
	if (pend_key)
		vms_hex_encode(pend_key, 16, pkid);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	if (!old->found)
		r = store_db_run(db, "INSERT INTO vm_keys(vm_id, version, key_id, pending_version,\n"
				 "  pending_key_id, host, released_at, updated_at, releases, confirmed_at)\n"
				 "VALUES (?,?,?,?,?,?,?,?,1,0) ON CONFLICT DO NOTHING", ins);
	else if (confirmed)
		r = store_db_run(db, "UPDATE vm_keys SET version = ?, key_id = ?, pending_version = ?,\n"
				 "  pending_key_id = ?, host = ?, released_at = ?, confirmed_at = ?,\n"
				 "  releases = releases + 1, updated_at = released_at\n"
				 "WHERE vm_id = ? AND version = ? AND pending_version = ?", upd);
	else
		r = store_db_run(db, "UPDATE vm_keys SET version = ?, key_id = ?, pending_version = ?,\n"
				 "  pending_key_id = ?, host = ?, released_at = ?, updated_at = ?,\n"
				 "  releases = releases + 1\n"
				 "WHERE vm_id = ? AND version = ? AND pending_version = ?", upd);
	if (r < 0)
		return r;
	return r == 1 ? 0 : -EAGAIN;	/* another writer got there first */
}

static int roll_insert(struct db *db, const char *vm_id, uint64_t version,
		       const uint8_t key[16], const char *host)
{
	char v[24], kid[33], now[24];
	const char *const ins[] = { vm_id, v, kid, host, now, NULL };

	u64_text(version, v);
	vms_hex_encode(key, 16, kid);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	return store_db_run(db, "INSERT INTO vm_key_rolls(vm_id, version, key_id, host, rolled_at,\n"
			    "  confirmed, confirmed_at) VALUES (?,?,?,?,?,0,0)", ins) == 1 ? 0 : -EIO;
}

/*
 * A plain release (no roll) of a shielded KP of a VM HGS holds a version
 * of (migration.md §1.3b): only an agent's renewal of the key its host
 * holds, live: "renewal": true, from the host of the VM's last release
 * (or, while the VM migrates, the migration's source), before that
 * release's lifetime ran out. Anything else would let host root leave
 * out the roll and open again a state sealed under the current TK
 * (rollback within one version): -ENOKEY (TkRollRequired).
 */
static int plain_allowed(struct db *db, const struct release_arg *a, const struct vm_row *old,
			 int promote)
{
	char from[65] = "";
	int r;

	if (!a->plain->renewal)
		return -ENOKEY;
	if (strcmp(a->host, old->host)) {
		if (promote || !old->pending)
			return -ENOKEY;
		r = migration_in_flight(db, a->vm_id, old->pending, old->pending_key_id, from);
		if (r < 0)
			return r;
		if (!r || strcmp(a->host, from))
			return -ENOKEY;
	}
	if ((long long)time(NULL) >= old->released_at + a->plain->window_s)
		return -ENOKEY;	/* expired: the host holds no live key to renew */
	return 0;
}

static int release_txn(struct db *db, const struct release_arg *a)
{
	struct vm_row old;
	uint64_t base;
	const uint8_t *base_key;
	int r, promote = 0;

	r = vm_read(db, a->vm_id, &old);
	if (r)
		return r;
	if (!old.found) {
		/* never rolled: the owner's KP, version 0, is the current one */
		old.version = 0;
		memcpy(old.key_id, a->kp_key_id, 16);
	}
	if (a->kp_version == old.version && !memcmp(a->kp_key_id, old.key_id, 16)) {
		base = old.version;
	} else if (old.pending && a->kp_version == old.pending &&
		   !memcmp(a->kp_key_id, old.pending_key_id, 16)) {
		/* the host holds the rolled KP: it re-sealed, so it is acknowledged */
		base = old.pending;
		promote = 1;
	} else {
		return -ESTALE;
	}
	if (!a->roll && a->plain && old.found) {
		r = plain_allowed(db, a, &old, promote);
		if (r)
			return r;
	}
	base_key = promote ? old.pending_key_id : old.key_id;
	if (promote) {
		r = roll_confirmed(db, a->vm_id, base, base_key);
		if (!r)
			r = migration_confirmed(db, a->vm_id, base, base_key);
		if (r)
			return r;
	}
	if (a->roll) {
		*a->new_version = base + 1;
		r = roll_insert(db, a->vm_id, base + 1, a->next_key_id, a->host);
		if (!r)
			r = vm_write(db, a, &old, base, base_key, base + 1, a->next_key_id, promote);
	} else if (old.found) {
		struct release_arg keep = *a;

		/*
		 * The source's renewal while its VM migrates: the pending
		 * version stays with the destination it was released to
		 */
		if (!promote && old.pending) {
			r = migration_in_flight(db, a->vm_id, old.pending, old.pending_key_id, NULL);
			if (r < 0)
				return r;
			if (r)
				keep.host = old.host;
		}
		r = vm_write(db, &keep, &old, base, base_key, promote ? 0 : old.pending,
			     promote ? NULL : old.pending_key_id, promote);
	}
	if (!r && a->vtpm)
		r = store_vm_vtpm_txn(db, a->vm_id, a->host, a->vtpm);
	if (r)
		return r;
	return event_row(db, a->host, a->detail);
}

int store_vm_release(struct store *st, const char *vm_id, uint64_t kp_version,
		     const uint8_t kp_key_id[16], int roll, const uint8_t next_key_id[16],
		     const char *host, const char *detail, const struct store_vm_plain *plain,
		     uint64_t *new_version)
{
	return store_vm_release_vtpm(st, vm_id, kp_version, kp_key_id, roll, next_key_id,
				     host, detail, NULL, plain, new_version);
}

int store_vm_release_vtpm(struct store *st, const char *vm_id, uint64_t kp_version,
			  const uint8_t kp_key_id[16], int roll, const uint8_t next_key_id[16],
			  const char *host, const char *detail, const struct store_vtpm *vtpm,
			  const struct store_vm_plain *plain, uint64_t *new_version)
{
	struct release_arg a = { vm_id, host, detail, kp_version, kp_key_id, next_key_id,
				 roll, new_version, vtpm, plain };
	struct db *db;
	int r, grouped;

	*new_version = 0;
	if (roll && !next_key_id)
		return -EINVAL;
	/*
	 * A roll is committed durably before the new TK is served (a roll
	 * HGS forgot would strand a VM re-sealed under it). A release without
	 * one (a renewal, a start of a KP already rolled) changes no version
	 * but by confirming the pending roll, which may be lost like a
	 * confirmation (the rolled KP confirms it again): the quick
	 * connection, as durable as the events (one fsync fewer per renewal
	 * on SQLite). Both are write transactions every writer serialises on.
	 * On SQLite the roll, too, commits on the quick connection and is
	 * then made durable by a group commit (store_sync_quick): concurrent
	 * starts share one fsync of the WAL, and none holds the write lock
	 * through it; nothing is served before that fsync returned. On
	 * PostgreSQL the durable connection, whose commits group themselves.
	 */
	grouped = roll && !store_dialect_pg(st);
	db = roll && !grouped ? store_lock(st) : store_lock_quick(st);
	r = store_db_begin(db);
	if (!r)
		r = store_db_end(db, release_txn(db, &a));
	if (roll && !grouped)
		store_unlock(st);
	else
		store_unlock_quick(st);
	if (!r && grouped)
		r = store_sync_quick(st);
	if (r)
		*new_version = 0;
	if (r && r != -ESTALE && r != -EAGAIN && r != -ERANGE)
		store_note_failure(st, r);
	return r;
}

struct confirm_arg {
	const char *vm_id, *host;
	uint64_t version;
	const uint8_t *key_id;
};

static int confirm_txn(struct db *db, const void *arg)
{
	const struct confirm_arg *a = arg;
	char v[24], kid[33], now[24];
	const char *const upd[] = { v, kid, now, now, a->vm_id, v, kid, NULL };
	struct vm_row old;
	int r;

	r = vm_read(db, a->vm_id, &old);
	if (r)
		return r;
	if (!old.found)
		return -ENOENT;
	if (a->version == old.version && !memcmp(a->key_id, old.key_id, 16))
		return 1;	/* confirmed already (or promoted by a release) */
	if (!old.pending || a->version != old.pending ||
	    memcmp(a->key_id, old.pending_key_id, 16))
		return -ESTALE;
	if (strcmp(a->host, old.host))
		return -EPERM;
	u64_text(a->version, v);
	vms_hex_encode(a->key_id, 16, kid);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	r = store_db_run(db, "UPDATE vm_keys SET version = ?, key_id = ?, pending_version = 0,\n"
			 "  pending_key_id = '', confirmed_at = ?, updated_at = ?\n"
			 "WHERE vm_id = ? AND pending_version = ? AND pending_key_id = ?", upd);
	if (r < 0)
		return r;
	if (r != 1)
		return -EAGAIN;
	r = roll_confirmed(db, a->vm_id, a->version, a->key_id);
	return r ? r : migration_confirmed(db, a->vm_id, a->version, a->key_id);
}

/*
 * @txn in one write transaction on the store's quick connection (as
 * durable as the events): its 1 (done already, nothing to change) rolls
 * back and is answered 1; its refusals (-ESTALE, -EPERM, -ENOENT,
 * -EINPROGRESS, -EAGAIN) are no store failure.
 */
static int quick_txn(struct store *st, int (*txn)(struct db *db, const void *arg),
		     const void *arg)
{
	struct db *db = store_lock_quick(st);
	int r, done;

	r = store_db_begin(db);
	if (!r) {
		done = txn(db, arg);
		r = store_db_end(db, done < 0 ? done : done == 1 ? -EALREADY : 0);
		if (r == -EALREADY)
			r = 1;
	}
	store_unlock_quick(st);
	if (r < 0 && r != -ESTALE && r != -EPERM && r != -ENOENT && r != -EINPROGRESS &&
	    r != -EAGAIN)
		store_note_failure(st, r);
	return r;
}

int store_vm_confirm(struct store *st, const char *vm_id, uint64_t version,
		     const uint8_t key_id[16], const char *host)
{
	struct confirm_arg a = { vm_id, host, version, key_id };

	/*
	 * The quick connection: a confirmation lost with the database
	 * machine costs nothing but time, since the rolled KP shown at the
	 * next start confirms the roll all the same; the roll itself
	 * (store_vm_release) is committed durably before the new TK is
	 * served.
	 */
	return quick_txn(st, confirm_txn, &a);
}

/* @vm's "migration": its newest live migration, or null. */
static void status_add_migration(struct db *db, const char *vm_id, json_t *vm)
{
	json_t *m = migration_json(db, vm_id, vm);

	json_object_set_new(vm, "migration", m ? m : json_null());
}

json_t *store_vm_status(struct store *st, const char *vm_id, int *r)
{
	const char *const q[] = { vm_id, NULL };
	json_t *row = NULL;
	struct db *db;

	db = store_lock(st);
	*r = store_db_row(db, "SELECT vm_id, version, key_id, pending_version, pending_key_id,\n"
			  "  host, released_at, confirmed_at, releases,\n"
			  "  (SELECT generation FROM vm_vtpm v WHERE v.vm_id = k.vm_id) AS vtpm_generation,\n"
			  "  (SELECT COUNT(*) FROM vm_key_rolls r WHERE r.vm_id = k.vm_id) AS rolls,\n"
			  "  (SELECT COUNT(*) FROM vm_key_rolls r WHERE r.vm_id = k.vm_id\n"
			  "   AND r.confirmed = 1) AS confirmed_rolls\n"
			  "FROM vm_keys k WHERE vm_id = ?", q, &row);
	/*
	 * Never rolled (version 0, no vm_keys row) but HGS holds its vTPM
	 * generation (issue 21): that much, key and releases unknown here.
	 */
	if (*r == -ENOENT)
		*r = store_db_row(db, "SELECT vm_id, 0 AS version, NULL AS key_id,\n"
				  "  0 AS pending_version, NULL AS pending_key_id, host,\n"
				  "  generation AS vtpm_generation, 0 AS rolls, 0 AS confirmed_rolls\n"
				  "FROM vm_vtpm WHERE vm_id = ?", q, &row);
	if (!*r)
		status_add_migration(db, vm_id, row);
	store_unlock(st);
	return *r ? NULL : row;
}

int store_vm_get(struct store *st, const char *vm_id, struct store_vm_key *out)
{
	const char *const q[] = { vm_id, NULL };
	json_t *row = NULL;
	struct db *db;
	const char *h;
	int r;

	memset(out, 0, sizeof(*out));
	db = store_lock(st);
	r = store_db_row(db, "SELECT version, key_id, pending_version, pending_key_id, host,\n"
			 "  released_at, confirmed_at, releases FROM vm_keys WHERE vm_id = ?", q, &row);
	store_unlock(st);
	if (r)
		return r;
	out->version = row_u64(row, "version");
	out->pending_version = row_u64(row, "pending_version");
	out->released_at = (long long)row_u64(row, "released_at");
	out->confirmed_at = (long long)row_u64(row, "confirmed_at");
	out->releases = (long long)row_u64(row, "releases");
	h = json_string_value(json_object_get(row, "host"));
	snprintf(out->host, sizeof(out->host), "%s", h ? h : "");
	r = row_id(row, "key_id", out->key_id);
	if (!r)
		r = row_id(row, "pending_key_id", out->pending_key_id);
	json_decref(row);
	return r;
}

int store_vm_violations(struct store *st, long *bad)
{
	return store_count(st, "SELECT COUNT(*) AS n FROM vm_keys k WHERE\n"
			   "  k.version <> (SELECT COUNT(*) FROM vm_key_rolls r WHERE r.vm_id = k.vm_id\n"
			   "                AND r.confirmed = 1 AND r.version >= 1 AND r.version <= k.version)\n"
			   "  OR EXISTS (SELECT 1 FROM vm_key_rolls r WHERE r.vm_id = k.vm_id\n"
			   "             AND r.confirmed = 1 AND r.version > k.version)", bad);
}

/*
 * ---- Live migration (Documentation/migration.md §2) ----
 * vm_migrations: one row per migration KPS released, keyed like the roll
 * it made (VM, version, key id). In flight while its version is the VM's
 * pending one and unconfirmed; confirmed when the destination confirms
 * the version (or shows its KP at a release); replaced when a start
 * rolled past it; completed when the source said it let the VM go.
 */

static void now_text(char out[24])
{
	snprintf(out, 24, "%lld", (long long)time(NULL));
}

static int migration_confirmed(struct db *db, const char *vm_id, uint64_t version,
			       const uint8_t key[16])
{
	char v[24], kid[33], now[24];
	const char *const a[] = { now, vm_id, v, kid, NULL };

	u64_text(version, v);
	vms_hex_encode(key, 16, kid);
	now_text(now);
	/* a roll that was no migration has no row: nothing to mark */
	return store_db_run(db, "UPDATE vm_migrations SET confirmed_at = ?\n"
			    "WHERE vm_id = ? AND version = ? AND key_id = ? AND confirmed_at = 0",
			    a) < 0 ? -EIO : 0;
}

/*
 * 1 if (@vm_id, @version, @key) is a migration not yet confirmed (its
 * source host in @from, unless NULL), 0 if not.
 */
static int migration_in_flight(struct db *db, const char *vm_id, uint64_t version,
			       const uint8_t key[16], char from[65])
{
	char v[24], kid[33];
	const char *const q[] = { vm_id, v, kid, NULL };
	json_t *row = NULL;
	const char *h;
	int r;

	u64_text(version, v);
	vms_hex_encode(key, 16, kid);
	r = store_db_row(db, "SELECT from_host FROM vm_migrations\n"
			 "WHERE vm_id = ? AND version = ? AND key_id = ? AND confirmed_at = 0", q, &row);
	if (!r && from) {
		h = json_string_value(json_object_get(row, "from_host"));
		snprintf(from, 65, "%s", h ? h : "");
	}
	json_decref(row);
	return r == -ENOENT ? 0 : r ? r : 1;
}

/*
 * The host of a never-rolled VM's last release: its newest release event
 * (a VM HGS never rolled has no vm_keys row). -ENOENT if none.
 */
static int last_release_host(struct db *db, const char *vm_id, char host[65])
{
	char like[64];
	const char *const q[] = { like, NULL };
	json_t *row = NULL;
	const char *h;
	int r;

	snprintf(like, sizeof(like), "vm_id=%s %%", vm_id);
	r = store_db_row(db, "SELECT host FROM events WHERE kind = 'release' AND result = 'Passed'\n"
			 "  AND detail LIKE ? ORDER BY id DESC LIMIT 1", q, &row);
	if (r)
		return r;
	h = json_string_value(json_object_get(row, "host"));
	snprintf(host, 65, "%s", h ? h : "");
	json_decref(row);
	return 0;
}

struct migrate_arg {
	const char *vm_id, *src, *dst, *detail;
	uint64_t kp_version;
	const uint8_t *kp_key_id, *next_key_id;
	uint64_t *new_version;
};

static int migration_insert(struct db *db, const struct migrate_arg *a, uint64_t version)
{
	char v[24], kid[33], now[24];
	const char *const ins[] = { a->vm_id, v, kid, a->src, a->dst, now, NULL };

	u64_text(version, v);
	vms_hex_encode(a->next_key_id, 16, kid);
	now_text(now);
	return store_db_run(db, "INSERT INTO vm_migrations(vm_id, version, key_id, from_host,\n"
			    "  to_host, started_at) VALUES (?,?,?,?,?,?)", ins) == 1 ? 0 : -EIO;
}

static int migrate_txn(struct db *db, const struct migrate_arg *a)
{
	struct release_arg ra = { .vm_id = a->vm_id, .host = a->dst };
	struct vm_row old;
	uint64_t next;
	int r;

	r = vm_read(db, a->vm_id, &old);
	if (r)
		return r;
	if (!old.found) {
		old.version = 0;
		memcpy(old.key_id, a->kp_key_id, 16);
		r = last_release_host(db, a->vm_id, old.host);
		if (r == -ENOENT)
			return -EXDEV;	/* never released: it runs nowhere */
		if (r)
			return r;
	}
	if (old.pending) {
		/* a start's roll or another migration waits for its confirmation */
		if ((a->kp_version == old.version && !memcmp(a->kp_key_id, old.key_id, 16)) ||
		    (a->kp_version == old.pending && !memcmp(a->kp_key_id, old.pending_key_id, 16)))
			return -EBUSY;
		return -ESTALE;
	}
	if (a->kp_version != old.version || memcmp(a->kp_key_id, old.key_id, 16))
		return -ESTALE;
	if (strcmp(old.host, a->src))
		return -EXDEV;
	next = old.version + 1;
	r = roll_insert(db, a->vm_id, next, a->next_key_id, a->dst);
	if (!r)
		r = vm_write(db, &ra, &old, old.version, old.key_id, next, a->next_key_id, 0);
	if (!r)
		r = migration_insert(db, a, next);
	if (!r)
		r = event_row(db, a->dst, a->detail);
	if (!r)
		*a->new_version = next;
	return r;
}

int store_vm_migrate(struct store *st, const char *vm_id, uint64_t kp_version,
		     const uint8_t kp_key_id[16], const uint8_t next_key_id[16],
		     const char *src, const char *dst, const char *detail,
		     uint64_t *new_version)
{
	struct migrate_arg a = { vm_id, src, dst, detail, kp_version, kp_key_id,
				 next_key_id, new_version };
	struct db *db;
	int r;

	*new_version = 0;
	if (!strcmp(src, dst))
		return -ELOOP;
	/* durable before the new TK is served, as a roll (store_vm_release) */
	db = store_lock(st);
	r = store_db_begin(db);
	if (!r)
		r = store_db_end(db, migrate_txn(db, &a));
	store_unlock(st);
	if (r)
		*new_version = 0;
	if (r && r != -ESTALE && r != -EAGAIN && r != -EBUSY && r != -EXDEV)
		store_note_failure(st, r);
	return r;
}

struct migrated_arg {
	const char *vm_id, *src;
	uint64_t *version;
};

static int migrated_txn(struct db *db, const void *arg)
{
	const struct migrated_arg *a = arg;
	const char *const q[] = { a->vm_id, a->src, NULL };
	char v[24], kid[33], now[24], detail[96];
	const char *const upd[] = { now, a->vm_id, v, kid, NULL };
	const char *const ev[] = { now, a->src, detail, NULL };
	json_t *row = NULL;
	uint8_t key[16];
	struct vm_row cur;
	uint64_t version;
	long long confirmed, migrated;
	int r;

	r = store_db_row(db, "SELECT version, key_id, confirmed_at, migrated_at FROM vm_migrations\n"
			 "WHERE vm_id = ? AND from_host = ? ORDER BY version DESC LIMIT 1", q, &row);
	if (r)
		return r;
	version = row_u64(row, "version");
	confirmed = (long long)row_u64(row, "confirmed_at");
	migrated = (long long)row_u64(row, "migrated_at");
	r = row_id(row, "key_id", key);
	json_decref(row);
	if (r)
		return r;
	*a->version = version;
	if (migrated)
		return 1;
	if (!confirmed) {
		r = vm_read(db, a->vm_id, &cur);
		if (r)
			return r;
		/* still the pending version: the destination has not confirmed */
		if (cur.pending == version && !memcmp(cur.pending_key_id, key, 16))
			return -EINPROGRESS;
		return -ENOENT;	/* a later start replaced it */
	}
	u64_text(version, v);
	vms_hex_encode(key, 16, kid);
	now_text(now);
	snprintf(detail, sizeof(detail), "vm_id=%s tk_version=%s", a->vm_id, v);
	r = store_db_run(db, "UPDATE vm_migrations SET migrated_at = ?\n"
			 "WHERE vm_id = ? AND version = ? AND key_id = ?", upd);
	if (r != 1)
		return r < 0 ? r : -EAGAIN;
	return store_db_run(db, "INSERT INTO events(at, kind, host, result, detail)\n"
			    "VALUES (?, 'migrated', ?, 'Passed', ?)", ev) == 1 ? 0 : -EIO;
}

int store_vm_migrated(struct store *st, const char *vm_id, const char *src, uint64_t *version)
{
	struct migrated_arg a = { vm_id, src, version };

	*version = 0;
	/* an audit record: the quick connection, as the confirmation */
	return quick_txn(st, migrated_txn, &a);
}

/*
 * The VM's newest migration as JSON (status): from, to, version, times
 * and its state: "pending", "confirmed", "completed" or "replaced". NULL
 * if it never migrated (or on error).
 */
static json_t *migration_json(struct db *db, const char *vm_id, json_t *vm)
{
	const char *const q[] = { vm_id, NULL };
	const char *pkid = json_string_value(json_object_get(vm, "pending_key_id"));
	const char *kid;
	json_t *row = NULL;
	const char *state;
	uint64_t version;

	if (store_db_row(db, "SELECT from_host, to_host, version, key_id, started_at,\n"
			 "  confirmed_at, migrated_at FROM vm_migrations WHERE vm_id = ?\n"
			 "ORDER BY version DESC LIMIT 1", q, &row))
		return NULL;
	version = row_u64(row, "version");
	kid = json_string_value(json_object_get(row, "key_id"));
	if (row_u64(row, "migrated_at"))
		state = "completed";
	else if (row_u64(row, "confirmed_at"))
		state = "confirmed";
	else if (row_u64(vm, "pending_version") == version && kid && pkid && !strcmp(kid, pkid))
		state = "pending";
	else
		state = "replaced";
	json_object_del(row, "key_id");
	json_object_set_new(row, "state", json_string(state));
	return row;
}
