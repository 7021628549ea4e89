// SPDX-License-Identifier: GPL-2.0
/*
 * store_lists.c - the store's read-only lists (store.h, enum store_list):
 * what the admin API shows, what the snapshot (state.c) and the keys
 * (keys.c, kps.c) are built from. Each list is one SELECT per SQL
 * dialect, kept here so that no SQL text lives outside hgsd/store*.c;
 * a dialect's text is given only where it differs from the common one.
 */
#include <errno.h>
#include <stdlib.h>

#include "store.h"
#include "store_db.h"
#include "vms_compiler.h"

struct list_sql {
	const char *common;	/* both dialects */
	const char *pg;		/* PostgreSQL, where it differs */
	long limit;		/* default LIMIT ? (0: none) */
};

static const struct list_sql lists[STORE_LIST_COUNT] = {
	[STORE_LIST_HOSTS] = {
		.common = "SELECT name, key_alg, key_fpr, ek_fpr, hardware_class, enabled, added_at, updated_at FROM hosts ORDER BY name" },
	[STORE_LIST_BASELINES] = {
		.common = "SELECT b.name, b.version, b.hardware_class, b.enabled, b.sha256, b.added_at,\n"
		"  b.version = (SELECT MAX(version) FROM baselines c WHERE c.name = b.name) AS in_use,\n"
		"  json_array_length(json_extract(b.body, '$.events')) AS events\n"
		"FROM baselines b ORDER BY b.name, b.version",
		.pg = "SELECT b.name, b.version, b.hardware_class, b.enabled, b.sha256, b.added_at,\n"
		"  CASE WHEN b.version = (SELECT MAX(version) FROM baselines c WHERE c.name = b.name) THEN 1 ELSE 0 END AS in_use,\n"
		"  json_array_length(b.body::json -> 'events') AS events\n"
		"FROM baselines b ORDER BY b.name, b.version" },
	[STORE_LIST_TPM_DIGESTS] = {
		.common = "SELECT kind, digest, description, added_at FROM tpm_digests ORDER BY kind, digest" },
	[STORE_LIST_IMA_KEYS] = {
		.common = "SELECT fpr AS sha256, keyid, key_type, subject, description, added_at FROM ima_keys ORDER BY added_at, fpr" },
	[STORE_LIST_PLATFORMS] = {
		.common = "SELECT name, type, platform_id, enabled, programs, added_at, updated_at FROM platforms ORDER BY name" },
	[STORE_LIST_WORKERS] = {
		.common = "SELECT id, digest, description, enabled, added_at, updated_at FROM workers ORDER BY id" },
	[STORE_LIST_GUARDIANS] = {
		.common = "SELECT name, is_primary, enabled, created_at, certificates FROM guardians ORDER BY name" },
	[STORE_LIST_ADMIN_CERTS] = {
		.common = "SELECT fpr AS sha256, subject, state, role, first_seen, last_seen, updated_at FROM admin_certs ORDER BY COALESCE(first_seen, updated_at), fpr" },
	[STORE_LIST_AUDIT] = {
		.common = "SELECT id, at, node, who, action, detail, result FROM audit ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
		.limit = 200 },
	[STORE_LIST_EVENTS] = {
		.common = "SELECT id, at, kind, host, result, detail FROM events ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
		.limit = 200 },
	[STORE_LIST_WORKER_HISTORY] = {
		.common = "SELECT version, at, who, change, digests FROM worker_history ORDER BY version DESC" },
	[STORE_LIST_RECENT_ATTESTATIONS] = {
		.common = "SELECT at, host, result, detail FROM events WHERE kind = 'attest' ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
		.limit = 10 },
	[STORE_LIST_RECENT_RELEASES] = {
		.common = "SELECT at, host, result, detail FROM events WHERE kind = 'release' ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
		.limit = 10 },
	[STORE_LIST_HOST_KEYS] = {
		.common = "SELECT name, key_alg, public_key, key_fpr, enabled, ek_public, ek_fpr, hardware_class FROM hosts ORDER BY name" },
	[STORE_LIST_ENABLED_WORKER_DIGESTS] = {
		.common = "SELECT digest FROM workers WHERE enabled = 1 ORDER BY id" },
	[STORE_LIST_TPM_MODULE_DIGESTS] = {
		.common = "SELECT digest FROM tpm_digests WHERE kind = 'module' ORDER BY digest" },
	[STORE_LIST_TPM_ALLOWLIST] = {
		.common = "SELECT digest FROM tpm_digests WHERE kind = 'allow' ORDER BY digest" },
	[STORE_LIST_BASELINES_IN_USE] = {
		.common = "SELECT b.name, b.enabled, b.body FROM baselines b\n"
		"WHERE b.version = (SELECT MAX(version) FROM baselines c WHERE c.name = b.name)\n"
		"ORDER BY b.name" },
	[STORE_LIST_IMA_KEY_CERTS] = {
		.common = "SELECT fpr, cert FROM ima_keys ORDER BY fpr" },
	[STORE_LIST_ENABLED_GUARDIANS] = {
		.common = "SELECT name, certificates, is_primary FROM guardians WHERE enabled = 1 ORDER BY is_primary DESC, name" },
	[STORE_LIST_DISABLED_GUARDIAN_CERTS] = {
		.common = "SELECT certificates FROM guardians WHERE enabled = 0" },
};

json_t *store_list(struct store *st, enum store_list which, long limit)
{
	const struct list_sql *l;
	const char *sql;

	if ((unsigned int)which >= STORE_LIST_COUNT)
		return NULL;
	l = &lists[which];
	sql = store_dialect_pg(st) && l->pg ? l->pg : l->common;
	return store_rows(st, sql, l->limit ? (limit > 0 ? limit : l->limit) : 0);
}

json_t *store_audit_since(struct store *st, long long since, long limit)
{
	char s[24], n[24];
	const char *const args[] = { s, n, NULL };
	json_t *rows = NULL;
	struct db *db;
	int r;

	if (limit < 1 || limit > 10000)
		return NULL;
	snprintf(s, sizeof(s), "%lld", since);
	snprintf(n, sizeof(n), "%ld", limit);
	db = store_lock(st);
	r = db->ops->query(db, "SELECT id, at, node, who, action, detail, result, prev_hash, hash\n"
			   "FROM audit WHERE id > CAST(? AS INTEGER) ORDER BY id LIMIT CAST(? AS INTEGER)",
			   args, &rows, NULL);
	store_unlock(st);
	return r ? NULL : rows;
}

int store_host_counts(struct store *st, long *registered, long *enabled)
{
	int r = store_count(st, "SELECT COUNT(*) FROM hosts", registered);

	return r ? r : store_count(st, "SELECT COUNT(*) FROM hosts WHERE enabled = 1", enabled);
}
