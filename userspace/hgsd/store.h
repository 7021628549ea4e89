/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - the HGS store (store.c, store_lists.c): hosts, policy
 * settings, worker digests and their history, guardians, TPM-mode
 * baselines, digests, IMA keys and clocks, admin certificates, the audit
 * and the event log; schema migrations; retention. On SQLite (one file)
 * or PostgreSQL (a cluster of nodes): store_open()'s target picks it
 * (store_db.h); no SQL text outside hgsd/store*.c.
 *
 * Every admin change commits with its audit row. Included by main.c,
 * keys.c (the guardians at --init and at start), state.c (the snapshot
 * is read from here), the request handlers (admin.c, attest*.c, kps.c)
 * and http.c (admin certificates, refusals audited).
 */
#ifndef HGSD_STORE_H
#define HGSD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vms_cleanup.h"

struct store;

struct retention {
	unsigned int events_max_age_days;
	unsigned long events_max_rows;
	unsigned int audit_max_age_days;
	unsigned long audit_max_rows;
	unsigned int interval_s;	/* 0: never prune */
};

/*
 * Before anything starts: make the reserve (@path.reserve) and check that
 * the store can be written. 0, or -EROFS / -ENOSPC / -errno with what is
 * wrong in @why.
 */
int store_preflight(const char *target, char *why, size_t len);
/*
 * @target: a path (SQLite), "sqlite:PATH" or "postgresql:CONNINFO"
 * (libpq's key=value connection string).
 */
int store_open(const char *target, struct store **out);
/* The last event write's outcome: 0, or -ENOSPC / -EROFS / -EIO. */
int store_health(struct store *st);
void store_close(struct store *st);
VMS_DEFINE_CLEANUP(struct store, store_close)
int store_schema_version(struct store *st);

/*
 * Results of mutations: 0, or -EEXIST (same), -EKEYREJECTED (conflict),
 * -ENOENT (no such object), -EIO.
 */
int store_host_add(struct store *st, const char *name, const char *alg,
		   const char *pem, const char *fpr, const char *who);
int store_host_set_enabled(struct store *st, const char *name, int enabled,
			   const char *who);
/*
 * TPM mode: register @name's EK (hex of its TPM2B_PUBLIC; fingerprint =
 * SHA-256 of its TPMT_PUBLIC, the Name's digest); -EKEYREJECTED for
 * another EK than the registered one.
 */
int store_host_add_ek(struct store *st, const char *name, const char *ek_hex,
		      const char *ek_fpr, const char *hw_class, const char *who);
int store_baseline_add(struct store *st, const char *name, long version,
		       const char *hw_class, int enabled, const char *body,
		       const char *sha, const char *who);
int store_baseline_set_enabled(struct store *st, const char *name, int enabled,
			       const char *who);
/*
 * @kind "module" (approved vmshield.ko digests) or "allow" (runtime
 * allowlist); @digests lower-case hex.
 */
int store_tpm_digests_add(struct store *st, const char *kind,
			  const char *const *digests, const char *const *descs,
			  size_t n, const char *who);
int store_tpm_digest_remove(struct store *st, const char *kind, const char *digest,
			    const char *who);
/*
 * An approved IMA signing key (certificate DER as hex); -EALREADY if that
 * certificate is approved already (refused, audited as a duplicate).
 */
int store_ima_key_add(struct store *st, const char *fpr, const char *keyid,
		      const char *type, const char *subject, const char *desc,
		      const char *cert_hex, const char *who);
int store_ima_key_remove(struct store *st, const char *fpr, const char *who);
int store_tpm_clock_get(struct store *st, const char *host, uint64_t *clock,
			uint32_t *reset, uint32_t *restart);
int store_tpm_clock_put(struct store *st, const char *host, uint64_t clock,
			uint32_t reset, uint32_t restart);
int store_host_remove(struct store *st, const char *name, const char *who);
int store_setting_set(struct store *st, const char *name, const char *value,
		      const char *who);
int store_setting_get(struct store *st, const char *name, char *out, size_t len);
int store_worker_add(struct store *st, const char *digest, const char *desc,
		     const char *who);
int store_worker_set_enabled(struct store *st, const char *digest, int enabled,
			     const char *who);
int store_guardian_add(struct store *st, const char *name, const char *pem,
		       int primary, const char *who);
int store_guardian_set_primary(struct store *st, const char *name,
			       const char *who);
/* -EPERM: the primary, or the last enabled one; -EBUSY: remove an enabled one. */
int store_guardian_set_enabled(struct store *st, const char *name, int enabled,
			       const char *who);
int store_guardian_remove(struct store *st, const char *name, const char *who);
/* A guardian's public PEM (free()) and whether it is enabled. */
int store_guardian_pem(struct store *st, const char *name, char **pem, int *enabled);
/*
 * Record an admin client certificate; its state ("seen", "allowed",
 * "revoked") in @state, its role ("admin", "reviewer") in @role.
 */
int store_admin_cert_seen(struct store *st, const char *fpr, const char *subject,
			  char *state, size_t len, char *role, size_t role_len);
/* @role "admin" or "reviewer"; -ENOENT for a certificate never seen. */
int store_admin_cert_role(struct store *st, const char *fpr, const char *role,
			  const char *who);
/* @state "allowed" or "revoked"; -EPERM: it is revoked (for good). */
int store_admin_cert_set(struct store *st, const char *fpr, const char *state,
			 const char *who);
/*
 * Enclave platforms (the hypervisor placement), keyed by platform id (64
 * hex: SHA-256 of the platform key's DER SPKI); @programs a comma list of
 * approved enclave program digests ('' = any). Add: 0; -EEXIST the same
 * again; the same name and key with another program list replaces it
 * (0); -EKEYREJECTED the name holds another key; -EADDRINUSE the key is
 * registered under another name.
 */
#define STORE_PLATFORM_MAX_PROGRAMS	16
#define STORE_PLATFORM_PROGRAMS_MAX	(STORE_PLATFORM_MAX_PROGRAMS * 65 + 1)
struct store_platform {
	char name[65];
	char type[16];
	char pem[1024];
	char programs[STORE_PLATFORM_PROGRAMS_MAX];
	int enabled;
};

int store_platform_add(struct store *st, const char *id, const char *name, const char *type,
		       const char *pem, const char *programs, const char *who);
int store_platform_set_enabled(struct store *st, const char *name, int enabled,
			       const char *who);
int store_platform_remove(struct store *st, const char *name, const char *who);
/* The platform registered with @id; -ENOENT if none. */
int store_platform_get(struct store *st, const char *id, struct store_platform *out);
/* Prune events and audit rows from now on, in the event writer thread. */
void store_set_retention(struct store *st, const struct retention *r);
/* The node name audit rows carry (node_name, default the host name). */
void store_set_node(struct store *st, const char *name);
/* An audit row, chained to the previous one (lib/hgs/vms_audit_chain.h). */
int store_audit(struct store *st, const char *who, const char *action,
		const char *detail, const char *result);
/*
 * Audit rows with an id above @since, oldest first, at most @limit
 * (1 - 10000), with their node and hashes: the chain, page by page.
 */
json_t *store_audit_since(struct store *st, long long since, long limit);
void store_event(struct store *st, const char *kind, const char *host,
		 const char *substatus, const char *detail);
/*
 * An event that records something about to be served, written before it
 * is: 0 once committed, else -errno (then do not serve it).
 */
int store_event_durable(struct store *st, const char *kind, const char *host,
			const char *substatus, const char *detail);
/* The detail of what is refused when store_event_durable() failed. */
#define STORE_NOT_RECORDED \
	"the audit record could not be written (the store is failing: see /v1/health); nothing was issued"
/*
 * The store's lists (store_lists.c), each a JSON array of objects (column
 * name -> value), or NULL if the store cannot be read. @limit: the most
 * rows for the lists that have a limit (audit, events, recent ones; 0:
 * their default), ignored by the others.
 */
enum store_list {
	STORE_LIST_HOSTS,		/* admin: hosts, without their keys */
	STORE_LIST_BASELINES,		/* admin: every version, in_use, events */
	STORE_LIST_TPM_DIGESTS,
	STORE_LIST_IMA_KEYS,
	STORE_LIST_PLATFORMS,
	STORE_LIST_WORKERS,
	STORE_LIST_GUARDIANS,
	STORE_LIST_ADMIN_CERTS,
	STORE_LIST_AUDIT,		/* newest first */
	STORE_LIST_EVENTS,		/* newest first */
	STORE_LIST_WORKER_HISTORY,	/* newest first */
	STORE_LIST_RECENT_ATTESTATIONS,
	STORE_LIST_RECENT_RELEASES,
	STORE_LIST_HOST_KEYS,		/* the snapshot: hosts with their keys */
	STORE_LIST_ENABLED_WORKER_DIGESTS,	/* in the order they were added */
	STORE_LIST_TPM_MODULE_DIGESTS,
	STORE_LIST_TPM_ALLOWLIST,
	STORE_LIST_BASELINES_IN_USE,	/* each name's latest version */
	STORE_LIST_IMA_KEY_CERTS,
	STORE_LIST_ENABLED_GUARDIANS,	/* the primary first */
	STORE_LIST_DISABLED_GUARDIAN_CERTS,
	STORE_LIST_COUNT
};

json_t *store_list(struct store *st, enum store_list which, long limit);
/* How many hosts are registered, and enabled; 0 or -errno. */
int store_host_counts(struct store *st, long *registered, long *enabled);

/*
 * What the nodes of a cluster share (store_shared.c): the same on both
 * backends. Times are wall-clock milliseconds (store_now_ms()).
 */
long long store_now_ms(void);
/* A 32-byte secret every node reads the same (made by the first to ask). */
int store_shared_secret(struct store *st, const char *name, uint8_t out[32]);
/*
 * Guardian @name's key file (certificates and encrypted private keys,
 * as in keys/guardian-NAME.pem) for the other nodes: put (-EEXIST if
 * another one is there), get (malloc; -ENOENT if none), drop (only
 * that value unless @keyfile is NULL). 0 or -errno.
 */
int store_guardian_key_put(struct store *st, const char *name, const char *keyfile);
int store_guardian_key_get(struct store *st, const char *name, char **keyfile);
int store_guardian_key_drop(struct store *st, const char *name, const char *keyfile);
/* Spend a nonce's session once: 0, -EEXIST (spent already, on any node), -errno. */
int store_nonce_spend(struct store *st, const uint8_t session[16], long long expires_ms);

/* A TPM challenge between the challenge call and the attest call. */
#define STORE_AK_HEX_MAX	(2 * 1024 + 1)
struct store_challenge {
	uint8_t session[16];
	char host[65];
	char ek_fpr[65];
	char ak_hex[STORE_AK_HEX_MAX];	/* the AK's TPM2B_PUBLIC */
	char secret_hex[65];		/* the credential: wiped when done */
	unsigned int pcr_mask;
	long long expires_ms;
};

/*
 * Keep @c; a host with @per_host challenges loses its oldest; -EBUSY
 * when @max are outstanding.
 */
int store_challenge_put(struct store *st, const struct store_challenge *c,
			unsigned int per_host, unsigned int max);
/*
 * Take (delete) @session's challenge: 0, -ENOENT if unknown or expired,
 * -EALREADY when it is gone because its nonce was spent (answered at
 * some node: a replay).
 */
int store_challenge_take(struct store *st, const uint8_t session[16],
			 struct store_challenge *out);
/*
 * Backup and restore (store_backup.c, which says the rules): the state
 * tables read in one consistent snapshot, as JSON; a restore merges one
 * in a single admin change and never lowers a counter, never brings
 * back a revoked host or certificate, never re-enables a spent nonce.
 * Restore: 0, -EINVAL (not a backup), -EPROTONOSUPPORT (a newer
 * schema), -errno; rows added in *@added.
 */
json_t *store_backup(struct store *st);
int store_restore(struct store *st, json_t *backup, const char *who, long *added);
/* The change feed: bumped by every admin change (change_feed.c watches it). */
int store_change_seq(struct store *st, long long *seq);

#endif /* HGSD_STORE_H */
