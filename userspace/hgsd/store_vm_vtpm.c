// SPDX-License-Identifier: GPL-2.0
/*
 * store_vm_vtpm.c - the vTPM generation HGS holds per VM, table vm_vtpm
 * (store_vm_vtpm.h), the same on SQLite and PostgreSQL. Only upward, and
 * only in the release's transaction: the record moves exactly when a
 * release carrying the floor is recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_db.h"
#include "store_vm_vtpm.h"
#include "vms_hex.h"

static uint64_t col_u64(json_t *row, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(row, name));

	return v > 0 ? (uint64_t)v : 0;
}

/* @vm_id's generation under @db (0: none). */
static int vtpm_read(struct db *db, const char *vm_id, uint64_t *gen, int *found)
{
	const char *const q[] = { vm_id, NULL };
	json_t *row = NULL;
	int r;

	*gen = 0;
	*found = 0;
	r = store_db_row(db, "SELECT generation FROM vm_vtpm WHERE vm_id = ?", q, &row);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	*found = 1;
	*gen = col_u64(row, "generation");
	json_decref(row);
	return 0;
}

int store_vm_vtpm_get(struct store *st, const char *vm_id, uint64_t *gen)
{
	struct db *db;
	int r, found;

	db = store_lock(st);
	r = vtpm_read(db, vm_id, gen, &found);
	store_unlock(st);
	return r;
}

int store_vm_vtpm_txn(struct db *db, const char *vm_id, const char *host,
		      const struct store_vtpm *v)
{
	char g[24], old[24], boot[33], now[24];
	const char *const upd[] = { g, boot, host, now, vm_id, old, NULL };
	const char *const ins[] = { vm_id, g, boot, host, now, NULL };
	uint64_t stored;
	int r, found;

	r = vtpm_read(db, vm_id, &stored, &found);
	if (r)
		return r;
	if (v->statement && v->generation < stored)
		return -ERANGE;		/* old state presented: a rollback */
	if (stored > v->floor)
		return -EAGAIN;		/* raised meanwhile: the floor is old */
	if (!v->statement || (found && v->generation == stored))
		return 0;
	snprintf(g, sizeof(g), "%llu", (unsigned long long)v->generation);
	snprintf(old, sizeof(old), "%llu", (unsigned long long)stored);
	vms_hex_encode(v->boot_id, 16, boot);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	if (!found)
		r = store_db_run(db, "INSERT INTO vm_vtpm(vm_id, generation, boot_id, host,\n"
				 "  updated_at) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING", ins);
	else
		r = store_db_run(db, "UPDATE vm_vtpm SET generation = ?, boot_id = ?, host = ?,\n"
				 "  updated_at = ? WHERE vm_id = ? AND generation = ?", upd);
	if (r < 0)
		return r;
	return r == 1 ? 0 : -EAGAIN;	/* another writer got there first */
}
