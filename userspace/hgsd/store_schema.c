// SPDX-License-Identifier: GPL-2.0
/*
 * store_schema.c - the store's schema, as migrations per backend
 * (store_db.h): step i takes version i to i + 1, the same numbers for
 * SQLite and PostgreSQL, each step in one transaction (store.c).
 * A new step is added to both lists at once (a static assertion
 * checks that they are as long).
 */
#include "store_db.h"
#include "vms_compiler.h"

/* SQLite: the version is PRAGMA user_version. */
const char *const store_migrations_sqlite[] = {
	/* 0 -> 1 */
	"CREATE TABLE hosts (\n"
	"  name TEXT PRIMARY KEY, key_alg TEXT NOT NULL, public_key TEXT NOT NULL,\n"
	"  key_fpr TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  added_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);\n"
	"CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL);\n"
	"CREATE TABLE workers (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  added_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);\n"
	"CREATE TABLE guardians (\n"
	"  name TEXT PRIMARY KEY, certificates TEXT NOT NULL,\n"
	"  is_primary INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE TABLE audit (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,\n"
	"  who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,\n"
	"  result TEXT NOT NULL);\n"
	"CREATE TABLE events (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,\n"
	"  kind TEXT NOT NULL, host TEXT NOT NULL, result TEXT NOT NULL,\n"
	"  detail TEXT NOT NULL);\n"
	"CREATE INDEX events_kind ON events(kind, id);\n"
	"INSERT INTO settings VALUES ('min_isolation_level', 'kernel-open', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('require_module_sig', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('revocation_cutoff', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('worker_policy_version', '0', strftime('%s','now'));\n",
	/* 1 -> 2: admin certificates, worker policy history */
	"CREATE TABLE admin_certs (\n"
	"  fpr TEXT PRIMARY KEY, subject TEXT NOT NULL,\n"
	"  state TEXT NOT NULL CHECK (state IN ('seen', 'allowed', 'revoked')),\n"
	"  first_seen INTEGER, last_seen INTEGER, updated_at INTEGER NOT NULL);\n"
	"CREATE TABLE worker_history (\n"
	"  version INTEGER PRIMARY KEY, at INTEGER NOT NULL, who TEXT NOT NULL,\n"
	"  change TEXT NOT NULL, digests TEXT NOT NULL);\n"
	"INSERT INTO worker_history SELECT CAST(s.value AS INTEGER), strftime('%s','now'),\n"
	"  'migration', 'baseline',\n"
	"  COALESCE((SELECT group_concat(digest, ',') FROM\n"
	"    (SELECT digest FROM workers WHERE enabled = 1 ORDER BY id)), '')\n"
	"  FROM settings s WHERE s.name = 'worker_policy_version';\n"
	"INSERT INTO settings VALUES ('admin_cert_allow_list', '0', strftime('%s','now'));\n",
	/*
	 * 2 -> 3: TPM mode. A host may be registered by its EK (the Name's
	 * SHA-256 as its fingerprint) besides or instead of a host key
	 * (public_key '' then); boot baselines, versioned per name; the
	 * approved module digests and the runtime allowlist; each host's
	 * last TPM clock and counters; the TPM policy settings.
	 */
	"ALTER TABLE hosts ADD COLUMN ek_public TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE hosts ADD COLUMN ek_fpr TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE hosts ADD COLUMN hardware_class TEXT NOT NULL DEFAULT '';\n"
	"CREATE TABLE baselines (\n"
	"  name TEXT NOT NULL, version INTEGER NOT NULL, hardware_class TEXT NOT NULL,\n"
	"  enabled INTEGER NOT NULL DEFAULT 1, body TEXT NOT NULL, sha256 TEXT NOT NULL,\n"
	"  added_at INTEGER NOT NULL, PRIMARY KEY (name, version));\n"
	"CREATE TABLE tpm_digests (\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('module', 'allow')), digest TEXT NOT NULL,\n"
	"  description TEXT NOT NULL, added_at INTEGER NOT NULL, PRIMARY KEY (kind, digest));\n"
	"CREATE TABLE tpm_clock (\n"
	"  host TEXT PRIMARY KEY, clock INTEGER NOT NULL, reset_count INTEGER NOT NULL,\n"
	"  restart_count INTEGER NOT NULL, updated_at INTEGER NOT NULL);\n"
	"INSERT INTO settings VALUES ('tpm_pcrs', '0-7,10', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_check_module_digest', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_runtime_allowlist', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_require_ima_appraisal', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_require_secure_boot', '0', strftime('%s','now'));\n",
	/*
	 * 3 -> 4: the approved IMA signing keys (tpm_require_ima_appraisal):
	 * each one's certificate (DER, hex), its SHA-256 as the key, the
	 * keyid the kernel names it by (the SKID's last 4 bytes).
	 */
	"CREATE TABLE ima_keys (\n"
	"  fpr TEXT PRIMARY KEY, keyid TEXT NOT NULL, key_type TEXT NOT NULL,\n"
	"  subject TEXT NOT NULL, description TEXT NOT NULL, cert TEXT NOT NULL,\n"
	"  added_at INTEGER NOT NULL);\n",
	/* 4 -> 5: certify the module's report at load (tpm_report_at_load) */
	"INSERT INTO settings VALUES ('tpm_report_at_load', '0', strftime('%s','now'));\n",
	/* 5 -> 6: IMA violations fail the runtime policies unless allowed */
	"INSERT INTO settings VALUES ('tpm_allow_ima_violations', '0', strftime('%s','now'));\n",
	/*
	 * 6 -> 7: the hypervisor placement. Registered enclave platforms
	 * (none at first: every hypervisor claim is refused until an admin
	 * registers one), keyed by platform id = SHA-256 of the platform
	 * key's DER SPKI; programs: approved enclave program digests, a
	 * comma list ('' = any). platform_types: which platform types a
	 * hypervisor claim may rest on.
	 */
	"CREATE TABLE platforms (\n"
	"  platform_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"
	"  type TEXT NOT NULL CHECK (type IN ('emulated', 'sev-snp', 'nitro')),\n"
	"  public_key TEXT NOT NULL, programs TEXT NOT NULL DEFAULT '',\n"
	"  enabled INTEGER NOT NULL DEFAULT 1, added_at INTEGER NOT NULL,\n"
	"  updated_at INTEGER NOT NULL);\n"
	"INSERT INTO settings VALUES ('platform_types', 'emulated,sev-snp,nitro', strftime('%s','now'));\n",
	/*
	 * 7 -> 8: what the nodes of a cluster share (store_shared.c): secrets
	 * made by the first node that needs them (the nonce MAC key), spent
	 * nonces until they expire, TPM challenges between the challenge and
	 * the attest call, and the change feed's sequence number (every admin
	 * change bumps it; every node reloads its snapshot when it moves).
	 */
	"CREATE TABLE shared_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE spent_nonces (session TEXT PRIMARY KEY, expires INTEGER NOT NULL);\n"
	"CREATE INDEX spent_nonces_expires ON spent_nonces(expires);\n"
	"CREATE TABLE tpm_challenges (\n"
	"  session TEXT PRIMARY KEY, host TEXT NOT NULL, ek_fpr TEXT NOT NULL,\n"
	"  ak TEXT NOT NULL, secret TEXT NOT NULL, pcr_mask INTEGER NOT NULL,\n"
	"  created INTEGER NOT NULL, expires INTEGER NOT NULL);\n"
	"CREATE INDEX tpm_challenges_host ON tpm_challenges(host, created);\n"
	"INSERT INTO settings VALUES ('change_seq', '0', strftime('%s','now'));\n",
	/*
	 * 8 -> 9: roles and a tamper-evident audit. Admin certificates carry
	 * a role (admin: everything; reviewer: read only); every audit row
	 * names the node that wrote it and carries the previous row's hash
	 * and its own (lib/hgs/audit_chain.c). Rows from before have none:
	 * the chain starts at the first row that has one.
	 */
	"ALTER TABLE admin_certs ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'\n"
	"  CHECK (role IN ('admin', 'reviewer'));\n"
	"ALTER TABLE audit ADD COLUMN node TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';\n",
	/*
	 * 9 -> 10 (issue 18): the release lifetime per KP policy, in seconds,
	 * shared by every node (hgs-cluster.md section 3a): shielded VMs 1 h,
	 * encryption-supported 8 h (the health certificate's).
	 */
	"INSERT INTO settings VALUES ('release_lifetime_shielded_s', '3600', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('release_lifetime_encryption_supported_s', '28800', strftime('%s','now'));\n",
	/*
	 * 10 -> 11, the TK roll (issue 20, store_vm.c): each VM's acknowledged TK
	 * version and its one pending roll; every roll, at most one
	 * confirmed per version.
	 */
	"CREATE TABLE vm_keys (\n"
	"  vm_id TEXT PRIMARY KEY, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  pending_version BIGINT NOT NULL DEFAULT 0, pending_key_id TEXT NOT NULL DEFAULT '',\n"
	"  host TEXT NOT NULL, released_at BIGINT NOT NULL, confirmed_at BIGINT NOT NULL DEFAULT 0,\n"
	"  releases BIGINT NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE vm_key_rolls (\n"
	"  vm_id TEXT NOT NULL, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  host TEXT NOT NULL, rolled_at BIGINT NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0,\n"
	"  confirmed_at BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (vm_id, version, key_id));\n"
	"CREATE UNIQUE INDEX vm_key_rolls_confirmed ON vm_key_rolls(vm_id, version)\n"
	"  WHERE confirmed = 1;\n",
	/*
	 * 11 -> 12 (issue 16): a report of the certified key at a lower level
	 * earlier in the IMA list is refused unless allowed (only for evidence
	 * from a module older than the fix; never in production); the
	 * report's host facts may be required (lockdown at load, Yama 3).
	 */
	"INSERT INTO settings VALUES ('tpm_allow_key_level_history', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_require_locked_at_load', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_require_ptrace_scope3', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_require_no_crash_kernel', '0', strftime('%s','now'));\n",
	/*
	 * 12 -> 13 (issue 16, locked; the lead renumbers): policies read from
	 * the measured boot: lockdown on the measured kernel command line, and
	 * the approved IMA policy files (none: not checked).
	 */
	"INSERT INTO settings VALUES ('tpm_require_lockdown_cmdline', '0', strftime('%s','now'));\n"
	"INSERT INTO settings VALUES ('tpm_ima_policy_digests', 'none', strftime('%s','now'));\n",
	/*
	 * 13 -> 14, live migration (issue 20, store_vm.c; the lead
	 * renumbers): every migration KPS released, from which host to
	 * which, the version it made pending there, and when the
	 * destination confirmed it and the source said it was done.
	 */
	"CREATE TABLE vm_migrations (\n"
	"  vm_id TEXT NOT NULL, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  from_host TEXT NOT NULL, to_host TEXT NOT NULL, started_at BIGINT NOT NULL,\n"
	"  confirmed_at BIGINT NOT NULL DEFAULT 0, migrated_at BIGINT NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (vm_id, version, key_id));\n",
	/*
	 * 14 -> 15, the vTPM generation (issue 21, store_vm_vtpm.c; the lead
	 * renumbers): per VM the highest confirmed vTPM state generation a
	 * platform-signed statement proved, the enclave boot and host it
	 * came from and when; raised only upward, in the release's
	 * transaction, and put into every release as its floor. A table of
	 * its own, not vm_keys: a vm_keys row means "HGS rolled this VM" and
	 * pins its key id, and a VM with its vTPM in the enclave is not
	 * rolled (decision in vtpm-in-enclave.md §2).
	 */
	"CREATE TABLE vm_vtpm (\n"
	"  vm_id TEXT PRIMARY KEY, generation BIGINT NOT NULL, boot_id TEXT NOT NULL,\n"
	"  host TEXT NOT NULL, updated_at BIGINT NOT NULL);\n",
};

/*
 * PostgreSQL: the same tables, step for step; the version is the row of
 * hgsd_schema (store_pg.c). Times are BIGINT seconds, ids identities.
 */
#define PG_NOW "EXTRACT(EPOCH FROM now())::bigint"
const char *const store_migrations_pg[] = {
	/* 0 -> 1 */
	"CREATE TABLE hosts (\n"
	"  name TEXT PRIMARY KEY, key_alg TEXT NOT NULL, public_key TEXT NOT NULL,\n"
	"  key_fpr TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  added_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL,\n"
	"  updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE workers (\n"
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, digest TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  added_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE guardians (\n"
	"  name TEXT PRIMARY KEY, certificates TEXT NOT NULL,\n"
	"  is_primary INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  created_at BIGINT NOT NULL);\n"
	"CREATE TABLE audit (\n"
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL,\n"
	"  who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,\n"
	"  result TEXT NOT NULL);\n"
	"CREATE TABLE events (\n"
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL,\n"
	"  kind TEXT NOT NULL, host TEXT NOT NULL, result TEXT NOT NULL,\n"
	"  detail TEXT NOT NULL);\n"
	"CREATE INDEX events_kind ON events(kind, id);\n"
	"INSERT INTO settings VALUES ('min_isolation_level', 'kernel-open', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('require_module_sig', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('revocation_cutoff', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('worker_policy_version', '0', " PG_NOW ");\n",
	/* 1 -> 2 */
	"CREATE TABLE admin_certs (\n"
	"  fpr TEXT PRIMARY KEY, subject TEXT NOT NULL,\n"
	"  state TEXT NOT NULL CHECK (state IN ('seen', 'allowed', 'revoked')),\n"
	"  first_seen BIGINT, last_seen BIGINT, updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE worker_history (\n"
	"  version BIGINT PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL,\n"
	"  change TEXT NOT NULL, digests TEXT NOT NULL);\n"
	"INSERT INTO worker_history SELECT CAST(s.value AS BIGINT), " PG_NOW ",\n"
	"  'migration', 'baseline',\n"
	"  COALESCE((SELECT string_agg(digest, ',' ORDER BY id) FROM workers WHERE enabled = 1), '')\n"
	"  FROM settings s WHERE s.name = 'worker_policy_version';\n"
	"INSERT INTO settings VALUES ('admin_cert_allow_list', '0', " PG_NOW ");\n",
	/* 2 -> 3 */
	"ALTER TABLE hosts ADD COLUMN ek_public TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE hosts ADD COLUMN ek_fpr TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE hosts ADD COLUMN hardware_class TEXT NOT NULL DEFAULT '';\n"
	"CREATE TABLE baselines (\n"
	"  name TEXT NOT NULL, version BIGINT NOT NULL, hardware_class TEXT NOT NULL,\n"
	"  enabled INTEGER NOT NULL DEFAULT 1, body TEXT NOT NULL, sha256 TEXT NOT NULL,\n"
	"  added_at BIGINT NOT NULL, PRIMARY KEY (name, version));\n"
	"CREATE TABLE tpm_digests (\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('module', 'allow')), digest TEXT NOT NULL,\n"
	"  description TEXT NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (kind, digest));\n"
	"CREATE TABLE tpm_clock (\n"
	"  host TEXT PRIMARY KEY, clock BIGINT NOT NULL, reset_count BIGINT NOT NULL,\n"
	"  restart_count BIGINT NOT NULL, updated_at BIGINT NOT NULL);\n"
	"INSERT INTO settings VALUES ('tpm_pcrs', '0-7,10', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_check_module_digest', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_runtime_allowlist', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_require_ima_appraisal', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_require_secure_boot', '0', " PG_NOW ");\n",
	/* 3 -> 4 */
	"CREATE TABLE ima_keys (\n"
	"  fpr TEXT PRIMARY KEY, keyid TEXT NOT NULL, key_type TEXT NOT NULL,\n"
	"  subject TEXT NOT NULL, description TEXT NOT NULL, cert TEXT NOT NULL,\n"
	"  added_at BIGINT NOT NULL);\n",
	/* 4 -> 5 */
	"INSERT INTO settings VALUES ('tpm_report_at_load', '0', " PG_NOW ");\n",
	/* 5 -> 6 */
	"INSERT INTO settings VALUES ('tpm_allow_ima_violations', '0', " PG_NOW ");\n",
	/* 6 -> 7 */
	"CREATE TABLE platforms (\n"
	"  platform_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"
	"  type TEXT NOT NULL CHECK (type IN ('emulated', 'sev-snp', 'nitro')),\n"
	"  public_key TEXT NOT NULL, programs TEXT NOT NULL DEFAULT '',\n"
	"  enabled INTEGER NOT NULL DEFAULT 1, added_at BIGINT NOT NULL,\n"
	"  updated_at BIGINT NOT NULL);\n"
	"INSERT INTO settings VALUES ('platform_types', 'emulated,sev-snp,nitro', " PG_NOW ");\n",
	/* 7 -> 8 */
	"CREATE TABLE shared_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE spent_nonces (session TEXT PRIMARY KEY, expires BIGINT NOT NULL);\n"
	"CREATE INDEX spent_nonces_expires ON spent_nonces(expires);\n"
	"CREATE TABLE tpm_challenges (\n"
	"  session TEXT PRIMARY KEY, host TEXT NOT NULL, ek_fpr TEXT NOT NULL,\n"
	"  ak TEXT NOT NULL, secret TEXT NOT NULL, pcr_mask BIGINT NOT NULL,\n"
	"  created BIGINT NOT NULL, expires BIGINT NOT NULL);\n"
	"CREATE INDEX tpm_challenges_host ON tpm_challenges(host, created);\n"
	"INSERT INTO settings VALUES ('change_seq', '0', " PG_NOW ");\n",
	/* 8 -> 9 */
	"ALTER TABLE admin_certs ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'\n"
	"  CHECK (role IN ('admin', 'reviewer'));\n"
	"ALTER TABLE audit ADD COLUMN node TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';\n",
	/* 9 -> 10 */
	"INSERT INTO settings VALUES ('release_lifetime_shielded_s', '3600', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('release_lifetime_encryption_supported_s', '28800', " PG_NOW ");\n",
	/* 10 -> 11, the TK roll (issue 20): as in SQLite */
	"CREATE TABLE vm_keys (\n"
	"  vm_id TEXT PRIMARY KEY, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  pending_version BIGINT NOT NULL DEFAULT 0, pending_key_id TEXT NOT NULL DEFAULT '',\n"
	"  host TEXT NOT NULL, released_at BIGINT NOT NULL, confirmed_at BIGINT NOT NULL DEFAULT 0,\n"
	"  releases BIGINT NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL);\n"
	"CREATE TABLE vm_key_rolls (\n"
	"  vm_id TEXT NOT NULL, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  host TEXT NOT NULL, rolled_at BIGINT NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0,\n"
	"  confirmed_at BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (vm_id, version, key_id));\n"
	"CREATE UNIQUE INDEX vm_key_rolls_confirmed ON vm_key_rolls(vm_id, version)\n"
	"  WHERE confirmed = 1;\n",
	/* 11 -> 12 (issue 16): see the SQLite step */
	"INSERT INTO settings VALUES ('tpm_allow_key_level_history', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_require_locked_at_load', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_require_ptrace_scope3', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_require_no_crash_kernel', '0', " PG_NOW ");\n",
	/* 12 -> 13 (issue 16, locked): see the SQLite step */
	"INSERT INTO settings VALUES ('tpm_require_lockdown_cmdline', '0', " PG_NOW ");\n"
	"INSERT INTO settings VALUES ('tpm_ima_policy_digests', 'none', " PG_NOW ");\n",
	/* 13 -> 14, live migration (issue 20): as in SQLite */
	"CREATE TABLE vm_migrations (\n"
	"  vm_id TEXT NOT NULL, version BIGINT NOT NULL, key_id TEXT NOT NULL,\n"
	"  from_host TEXT NOT NULL, to_host TEXT NOT NULL, started_at BIGINT NOT NULL,\n"
	"  confirmed_at BIGINT NOT NULL DEFAULT 0, migrated_at BIGINT NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (vm_id, version, key_id));\n",
	/* 14 -> 15, the vTPM generation (issue 21): as in SQLite */
	"CREATE TABLE vm_vtpm (\n"
	"  vm_id TEXT PRIMARY KEY, generation BIGINT NOT NULL, boot_id TEXT NOT NULL,\n"
	"  host TEXT NOT NULL, updated_at BIGINT NOT NULL);\n",
};

const int store_schema_latest = (int)ARRAY_SIZE(store_migrations_sqlite);
_Static_assert(ARRAY_SIZE(store_migrations_sqlite) == ARRAY_SIZE(store_migrations_pg),
	       "both backends have every schema version");
