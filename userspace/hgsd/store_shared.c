// SPDX-License-Identifier: GPL-2.0
/*
 * store_shared.c - what the hgsd nodes of a cluster share through the
 * store (Documentation/hgs-cluster.md), the same on SQLite (one node)
 * and PostgreSQL (N nodes):
 *   - secrets made once by the first node that needs them (the nonce
 *     MAC key), so a nonce issued by node A is checked by node B;
 *   - spent nonces, each inserted once: a second spend anywhere is a
 *     replay; kept until the nonce would have expired anyway;
 *   - TPM challenges, taken (deleted and returned in one statement) by
 *     the attest call on whichever node it reaches: single use;
 *   - the change feed's sequence number (bumped by every admin change).
 * Times here are wall-clock milliseconds (nodes keep NTP time). Spends
 * and challenges go through the store's quick connection: committed
 * before the answer, as durable as events (a crash of the database
 * machine may lose the last few; then a nonce of the last few seconds
 * could be replayed within its TTL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store.h"
#include "store_db.h"
#include "vms_cleanup.h"
#include "vms_hex.h"

/* Expired rows are deleted every this many spends or challenges. */
#define SWEEP_EVERY	64

static void int_text(long long v, char out[24])
{
	snprintf(out, 24, "%lld", v);
}

int store_shared_secret(struct store *st, const char *name, uint8_t out[32])
{
	const char *const q[] = { name, NULL };
	char hex[65];
	uint8_t fresh[32];
	const char *const ins[] = { name, hex, NULL };
	struct db *db;
	json_t *row = NULL;
	int r;

	if (RAND_priv_bytes(fresh, sizeof(fresh)) != 1)
		return -EIO;
	vms_hex_encode(fresh, sizeof(fresh), hex);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	db = store_lock(st);
	/* the first node's value stays: every node reads the same one */
	r = store_db_run(db, "INSERT INTO shared_secrets(name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
			 ins);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (r >= 0)
		r = store_db_row(db, "SELECT value FROM shared_secrets WHERE name = ?", q, &row);
	store_unlock(st);
	if (r < 0)
		return r;
	{
		const char *v = json_string_value(json_object_get(row, "value"));

		r = v && !vms_hex_decode_exact(v, out, 32) ? 0 : -EIO;
		if (v)
			OPENSSL_cleanse((char *)v, strlen(v));
	}
	json_decref(row);
	return r;
}

int store_nonce_spend(struct store *st, const uint8_t session[16], long long expires_ms)
{
	static unsigned int spends;
	char hex[33], exp[24], now[24];
	const char *const ins[] = { hex, exp, NULL };
	const char *const sweep[] = { now, NULL };
	struct db *db;
	int r;

	vms_hex_encode(session, 16, hex);
	int_text(expires_ms, exp);
	db = store_lock_quick(st);
	r = store_db_run(db, "INSERT INTO spent_nonces(session, expires) VALUES (?, ?) ON CONFLICT DO NOTHING",
			 ins);
	if (r >= 0 && !(__atomic_add_fetch(&spends, 1, __ATOMIC_RELAXED) % SWEEP_EVERY)) {
		int_text((long long)time(NULL) * 1000, now);
		store_db_run(db, "DELETE FROM spent_nonces WHERE expires < ?", sweep);
	}
	store_unlock_quick(st);
	if (r < 0) {
		store_note_failure(st, r);
		return r;
	}
	return r == 1 ? 0 : -EEXIST;
}

long long store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under a write transaction: make room for @host's new challenge. */
static int challenge_room(struct db *db, const char *host, unsigned int per_host,
			  unsigned int max)
{
	char now[24];
	const char *const at[] = { now, NULL };
	const char *const h[] = { host, NULL };
	json_t *row = NULL;
	long long n;
	int r;

	int_text(store_now_ms(), now);
	r = store_db_run(db, "DELETE FROM tpm_challenges WHERE expires < ?", at);
	if (r < 0)
		return r;
	r = store_db_row(db, "SELECT COUNT(*) AS n FROM tpm_challenges WHERE host = ?", h, &row);
	if (r)
		return r;
	n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	if (n >= per_host) {	/* the host's oldest goes */
		r = store_db_run(db, "DELETE FROM tpm_challenges WHERE session IN\n"
				 "  (SELECT session FROM tpm_challenges WHERE host = ? ORDER BY created, session LIMIT 1)",
				 h);
		if (r < 0)
			return r;
	}
	r = store_db_row(db, "SELECT COUNT(*) AS n FROM tpm_challenges", NULL, &row);
	if (r)
		return r;
	n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n >= max ? -EBUSY : 0;
}

int store_challenge_put(struct store *st, const struct store_challenge *c,
			unsigned int per_host, unsigned int max)
{
	char session[33], created[24], expires[24], mask[24];
	const char *const ins[] = { session, c->host, c->ek_fpr, c->ak_hex, c->secret_hex, mask,
				    created, expires, NULL };
	struct db *db;
	int r;

	vms_hex_encode(c->session, 16, session);
	int_text(store_now_ms(), created);
	int_text(c->expires_ms, expires);
	int_text(c->pcr_mask, mask);
	db = store_lock_quick(st);
	r = store_db_begin(db);
	if (!r) {
		r = challenge_room(db, c->host, per_host, max);
		if (!r)
			r = store_db_run(db, "INSERT INTO tpm_challenges(session, host, ek_fpr, ak, secret, pcr_mask, created, expires)\n"
					 "VALUES (?,?,?,?,?,?,?,?)", ins) == 1 ? 0 : -EIO;
		r = store_db_end(db, r);
	}
	store_unlock_quick(st);
	store_note_failure(st, r);
	return r;
}

/* Copy @row's text column @name into @out and wipe it in the row. */
static int take_text(json_t *row, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(row, name));
	size_t n = v ? strlen(v) : 0;

	if (!v || n >= len)
		return -EIO;
	memcpy(out, v, n + 1);
	OPENSSL_cleanse((char *)v, n);
	return 0;
}

int store_challenge_take(struct store *st, const uint8_t session[16],
			 struct store_challenge *out)
{
	char hex[33];
	const char *const q[] = { hex, NULL };
	struct db *db;
	json_t *row = NULL;
	int r;

	vms_hex_encode(session, 16, hex);
	db = store_lock_quick(st);
	/* one statement: of two nodes taking it at once, one gets it */
	r = store_db_row(db, "DELETE FROM tpm_challenges WHERE session = ?\n"
			 "RETURNING host, ek_fpr, ak, secret, pcr_mask, expires", q, &row);
	/* gone: a replay if its nonce was spent (the answer at another node) */
	if (r == -ENOENT && store_db_row(db, "SELECT session FROM spent_nonces WHERE session = ?",
					 q, &row) == 0) {
		json_decref(row);
		row = NULL;
		r = -EALREADY;
	}
	store_unlock_quick(st);
	if (r) {
		if (r != -ENOENT && r != -EALREADY)
			store_note_failure(st, r);
		return r;
	}
	memcpy(out->session, session, 16);
	out->pcr_mask = (unsigned int)json_integer_value(json_object_get(row, "pcr_mask"));
	out->expires_ms = json_integer_value(json_object_get(row, "expires"));
	r = take_text(row, "secret", out->secret_hex, sizeof(out->secret_hex));
	if (!r)
		r = take_text(row, "host", out->host, sizeof(out->host));
	if (!r)
		r = take_text(row, "ek_fpr", out->ek_fpr, sizeof(out->ek_fpr));
	if (!r)
		r = take_text(row, "ak", out->ak_hex, sizeof(out->ak_hex));
	json_decref(row);
	if (r)
		OPENSSL_cleanse(out, sizeof(*out));
	else if (out->expires_ms < store_now_ms())
		r = -ENOENT;	/* taken all the same: expired */
	return r;
}

int store_change_seq(struct store *st, long long *seq)
{
	char buf[24];
	int r = store_setting_get(st, "change_seq", buf, sizeof(buf));

	if (!r)
		*seq = atoll(buf);
	return r;
}

/*
 * A guardian's key file (its certificates and its private keys,
 * encrypted under the master key every node holds), shared so that the
 * other nodes can load a guardian added or enabled on one node
 * (change_feed.c). A row of shared_secrets named "guardian-key:NAME":
 * no schema step, and neither backups nor the admin lists read that
 * table.
 */
static int guardian_key_row(const char *name, char out[96])
{
	int n = snprintf(out, 96, "guardian-key:%s", name);

	return n < 0 || n >= 96 ? -ENAMETOOLONG : 0;
}

int store_guardian_key_put(struct store *st, const char *name, const char *keyfile)
{
	_cleanup_free_ char *there = NULL;
	char row_name[96];
	const char *const ins[] = { row_name, keyfile, NULL };
	struct db *db;
	int r = guardian_key_row(name, row_name);

	if (r)
		return r;
	db = store_lock(st);
	/* the first value stays: another one under that name is refused */
	r = store_db_run(db, "INSERT INTO shared_secrets(name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
			 ins);
	store_unlock(st);
	if (r < 0)
		return r;
	r = store_guardian_key_get(st, name, &there);
	if (r)
		return r;
	return strcmp(there, keyfile) ? -EEXIST : 0;
}

int store_guardian_key_get(struct store *st, const char *name, char **keyfile)
{
	char row_name[96];
	const char *const q[] = { row_name, NULL };
	const char *v;
	struct db *db;
	json_t *row = NULL;
	int r = guardian_key_row(name, row_name);

	*keyfile = NULL;
	if (r)
		return r;
	db = store_lock(st);
	r = store_db_row(db, "SELECT value FROM shared_secrets WHERE name = ?", q, &row);
	store_unlock(st);
	if (r < 0)
		return r;
	v = json_string_value(json_object_get(row, "value"));
	*keyfile = v ? strdup(v) : NULL;
	r = v ? (*keyfile ? 0 : -ENOMEM) : -EIO;
	json_decref(row);
	return r;
}

int store_guardian_key_drop(struct store *st, const char *name, const char *keyfile)
{
	char row_name[96];
	const char *const one[] = { row_name, keyfile, NULL };
	const char *const any[] = { row_name, NULL };
	struct db *db;
	int r = guardian_key_row(name, row_name);

	if (r)
		return r;
	db = store_lock(st);
	r = keyfile ? store_db_run(db, "DELETE FROM shared_secrets WHERE name = ? AND value = ?", one) :
		store_db_run(db, "DELETE FROM shared_secrets WHERE name = ?", any);
	store_unlock(st);
	return r < 0 ? r : 0;
}
