/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hgsd.h - the Host Guardian Service daemon: what its parts share.
 *
 *   main.c     command line: --init, -c (run), status
 *   config.c   hgsd.conf
 *   keys.c     service keys: create at --init, load (decrypt) at start
 *   keyproc.c  the key process (privilege separation) and its interface
 *   keyproc_confine.c  its no_new_privs + seccomp allow-list
 *   store.c    SQLite store: schema, migrations, hosts, policy, workers,
 *              guardians, audit, events
 *   state.c    the in-memory snapshot of hosts, policy and workers that
 *              request handlers read (reloaded after every admin change)
 *   nonce.c    attestation nonces (single use, TTL, bound to a session)
 *   http.c     libmicrohttpd: HTTPS listener, admin socket, request
 *              bodies, JSON answers, routing
 *   attest.c   POST /v1/attest/nonce, POST /v1/attest
 *   attest_tpm.c  TPM mode: POST /v1/attest/tpm/challenge, /v1/attest/tpm
 *   tpm_session.c the credential challenges between those two calls
 *   kps.c      POST /v1/kps/release
 *   admin.c    /v1/admin/... (admin socket only)
 *   log.c      structured log lines (key=value) on stderr
 */
#ifndef HGSD_H
#define HGSD_H

#include <pthread.h>
#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vms_compiler.h"
#include "vms_guardian.h"
#include "vms_hgs_cert.h"
#include "vms_kp.h"
#include "vms_hgs_reason.h"
#include "vms_ima_sig.h"
#include "keyrelease.h"
#include "vms_tpm_baseline.h"

#define HGSD_PATH_MAX	4096
#define HGSD_MAX_GUARDIANS 16
#define HGSD_MAX_ADMIN_UIDS 16

/* ---- configuration ---- */
struct hgsd_config {
	char state_dir[HGSD_PATH_MAX];
	char listen_address[64];
	unsigned int port;
	char port_file[HGSD_PATH_MAX];
	char admin_socket[HGSD_PATH_MAX];
	char admin_client_ca[HGSD_PATH_MAX];	/* "" = no admin over HTTPS */
	unsigned int admin_uids[HGSD_MAX_ADMIN_UIDS];
	unsigned int n_admin_uids;
	unsigned int threads;
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	unsigned int connection_timeout_s;
	size_t max_body_bytes;
	unsigned int max_nonces;
	unsigned int nonce_ttl_s;
	long cert_validity_s;
	long cert_margin_s;
	unsigned int release_lifetime_s;
	unsigned int cert_cache_entries;
	unsigned int kp_cache_entries;
	int log_requests;
	/* retention (store.c): 0 = no limit of that kind */
	unsigned int events_max_age_days;
	unsigned long events_max_rows;
	unsigned int audit_max_age_days;
	unsigned long audit_max_rows;
	unsigned int retention_interval_s;
	int keyproc_seccomp;		/* confine the key process (keyproc_confine.c) */
	char master_key_file[HGSD_PATH_MAX];
	char db_file[HGSD_PATH_MAX];
	/* TPM mode */
	char tpm_ek_roots[HGSD_PATH_MAX];	/* "" = EKs by registration only */
	size_t max_tpm_body_bytes;	/* /v1/attest/tpm: event log + IMA list */
};

void config_defaults(struct hgsd_config *c, const char *state_dir);
/* Parse @path; on error prints "path:line: message" and returns -EINVAL. */
int config_load(const char *path, struct hgsd_config *c);
int config_write_default(const char *path, const struct hgsd_config *c);

/* ---- logging ---- */
void hlog(const char *level, const char *event, const char *fmt, ...)
	__printf(3, 4);
#define log_info(ev, ...)	hlog("info", ev, __VA_ARGS__)
#define log_warn(ev, ...)	hlog("warning", ev, __VA_ARGS__)
#define log_err(ev, ...)	hlog("error", ev, __VA_ARGS__)
/* A value safe for a key=value line: no spaces/quotes/control chars. */
const char *log_safe(const char *s, char *buf, size_t len);

/* ---- store ---- */
struct store;

struct retention {
	unsigned int events_max_age_days;
	unsigned long events_max_rows;
	unsigned int audit_max_age_days;
	unsigned long audit_max_rows;
	unsigned int interval_s;	/* 0: never prune */
};
int store_open(const char *path, struct store **out);
void store_close(struct store *st);
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
 * "revoked") in @state.
 */
int store_admin_cert_seen(struct store *st, const char *fpr, const char *subject,
			  char *state, size_t len);
/* @state "allowed" or "revoked"; -EPERM: it is revoked (for good). */
int store_admin_cert_set(struct store *st, const char *fpr, const char *state,
			 const char *who);
/* Prune events and audit rows from now on, in the event writer thread. */
void store_set_retention(struct store *st, const struct retention *r);
int store_audit(struct store *st, const char *who, const char *action,
		const char *detail, const char *result);
void store_event(struct store *st, const char *kind, const char *host,
		 const char *substatus, const char *detail);
/* Rows of a query as a JSON array of objects (column name -> value). */
json_t *store_query(struct store *st, const char *sql, long limit);
int store_count(struct store *st, const char *sql, long *out);

/* ---- in-memory state (snapshot) ---- */
#define HGSD_EK_MAX	640	/* a marshalled TPM2B_PUBLIC */

struct host_entry {
	char name[65];
	char alg[16];
	char fpr[65];		/* host key; "" when registered by EK only */
	int enabled;
	EVP_PKEY *key;		/* NULL when registered by EK only */
	/* TPM mode: the registered EK (ek_len 0: none) */
	uint8_t ek[HGSD_EK_MAX];
	size_t ek_len;
	char ek_fpr[65];
	char hw_class[65];
};

struct policy {
	unsigned int min_isolation_level;	/* VMSHIELD_ISOLATION_* */
	int require_module_sig;
	time_t revocation_cutoff;		/* 0 = none */
	unsigned int worker_policy_version;
	int admin_cert_allow_list;		/* only allowed admin certificates */
	unsigned int n_digests;
	uint8_t digests[VMS_KR_MAX_DIGESTS][32];
};

struct hgs_guardian {
	struct vms_guardian g;
	int primary;
};

struct hgsd {
	struct hgsd_config cfg;
	struct store *st;
	/* service keys, read-only after start */
	EVP_PKEY *signer_key;
	X509 *signer_cert;
	char *tls_key_pem;	/* only until the HTTPS daemon has it */
	size_t tls_key_len;
	char *tls_cert_pem;
	char *admin_ca_pem;	/* trust for admin client certificates */
	struct hgs_guardian guardians[HGSD_MAX_GUARDIANS];
	unsigned int n_guardians;
	const struct vms_guardian *guardian_ptrs[HGSD_MAX_GUARDIANS];
	/* snapshot */
	pthread_rwlock_t lock;
	struct host_entry *hosts;
	size_t n_hosts;
	struct policy pol;
	/* TPM-mode policy, baselines, digests (refcounted, swapped on reload) */
	struct tpm_state *tpm;
	X509_STORE *ek_roots;		/* tpm_ek_roots; NULL = none */
	pthread_mutex_t tpm_clock_lock;
	/* nonces */
	struct nonce_table *nonces;
	struct tpm_sessions *tpm_sessions;
	/* counters */
	unsigned long attest_ok, attest_fail, release_ok, release_fail;
	time_t started;
};

int state_reload(struct hgsd *h);
void state_free(struct hgsd *h);
/* Copy of the host's entry (key referenced); -ENOENT if unknown. */
int state_host(struct hgsd *h, const char *name, struct host_entry *out);
void host_entry_release(struct host_entry *e);
void state_policy(struct hgsd *h, struct policy *out);

/* TPM mode's part of the snapshot: read-only once built, shared. */
struct tpm_state {
	int refs;
	uint32_t pcr_mask;
	int check_module_digest, runtime_allowlist, require_ima_appraisal,
	    require_secure_boot, report_at_load, allow_ima_violations;
	uint8_t (*module_digests)[32];
	size_t n_module_digests;
	uint8_t (*allowlist)[32];
	size_t n_allowlist;
	struct vms_baseline *baselines;	/* the latest version of each name */
	size_t n_baselines;
	struct vms_ima_key *ima_keys;	/* approved IMA signing keys */
	size_t n_ima_keys;
};
struct tpm_state *state_tpm_get(struct hgsd *h);
void state_tpm_put(struct tpm_state *t);
/* "0-7,10" <-> mask; -EINVAL unless 0-7 and 10 are in and all are < 24. */
int tpm_pcrs_parse(const char *s, uint32_t *mask);
void tpm_pcrs_format(uint32_t mask, char *buf, size_t len);

/* ---- keys ---- */
/*
 * @tls_san: subjectAltName of the HTTPS certificate (NULL: localhost and
 * 127.0.0.1).
 */
int keys_init(const char *dir, struct hgsd_config *cfg, const char *tls_san);
/* Key process: decrypt everything. */
int keys_load(struct hgsd *h);
/*
 * Key process: a new guardian, held in memory and written encrypted;
 * its public PEM in *pem.
 */
int keys_new_guardian_held(struct hgsd *h, const char *name, char **pem);
/* Network process: signer certificate and public guardians only. */
int keys_load_public(struct hgsd *h);
/* Network process: append a public guardian (after the store has it). */
int keys_add_public_guardian(struct hgsd *h, const char *pem);
void keys_free(struct hgsd *h);

/* ---- key process (keyproc.c) ---- */
struct keyproc_release_req {
	uint8_t vm_id[16];
	uint8_t enclave_pk[32];
	uint32_t level;			/* the certificate's */
	uint32_t attest_mode;		/* the certificate's: VMS_KP_ATTEST_* */
	uint32_t lifetime_s;
	uint32_t n_digests;
	uint8_t digests[VMS_KR_MAX_DIGESTS][32];
};

struct keyproc_release_rep {
	int32_t reason;			/* enum vms_hgs_reason */
	uint32_t blob_len;
	struct vms_kp_info info;
	uint8_t blob[VMS_KR_MAX_LEN];
};

int keyproc_start(struct hgsd *h);
void keyproc_stop(void);
pid_t keyproc_pid(void);
/* The key process exited: reap it and log why (a seccomp kill by name). */
void keyproc_report_exit(void);
int keyproc_issue(const struct vms_health_cert_info *in, long validity_s,
		  long margin_s, uint8_t **der, size_t *len);	/* OPENSSL_free */
enum vms_hgs_reason keyproc_release(const struct keyproc_release_req *rq,
				    const uint8_t *kp, size_t kplen,
				    struct keyproc_release_rep *rep);
int keyproc_add_guardian(const char *name, char **pem);
/*
 * Drop guardian @name from the key process (its keys wiped), or load it
 * again from its key file; -ENOENT if unknown.
 */
int keyproc_guardian_drop(const char *name);
int keyproc_guardian_load(const char *name, const char *pem);
/* Key process side, keys.c. */
int keys_guardian_drop(struct hgsd *h, const char *name);
int keys_guardian_load_held(struct hgsd *h, const char *name, const char *pem);
/*
 * Network side, keys.c: drop a public guardian / rename a removed
 * guardian's key file out of the way (keys/removed-NAME-TIME.pem).
 */
int keys_drop_public_guardian(struct hgsd *h, const char *name);
int keys_retire_guardian_file(struct hgsd *h, const char *name, char *out, size_t len);
/* Confine the key process once it is set up (keyproc_confine.c). */
int keyproc_confine(void);

/* ---- nonces ---- */
struct nonce_table;
int nonce_table_new(unsigned int max, unsigned int ttl_s, struct nonce_table **out);
void nonce_table_free(struct nonce_table *t);
/* Issue a nonce bound to @session; -EBUSY when the table is full. */
int nonce_issue(struct nonce_table *t, const uint8_t session[16],
		uint8_t nonce[32]);
/* Consume: HGS_PASSED or a NONCE_* reason. */
enum vms_hgs_reason nonce_consume(struct nonce_table *t,
				  const uint8_t session[16],
				  const uint8_t nonce[32]);

/* ---- TPM-mode challenges (tpm_session.c) ---- */
struct tpm_challenge {
	uint8_t session[16];
	char host[65];
	char ek_fpr[65];
	uint8_t ak[HGSD_EK_MAX];	/* the AK's TPM2B_PUBLIC */
	size_t ak_len;
	uint8_t secret[32];		/* the credential: wiped when done */
	uint32_t pcr_mask;
};
struct tpm_sessions;
int tpm_sessions_new(unsigned int max, unsigned int ttl_s, struct tpm_sessions **out);
void tpm_sessions_free(struct tpm_sessions *t);
/* -EBUSY when full. */
int tpm_sessions_put(struct tpm_sessions *t, const struct tpm_challenge *c);
/* Take (and forget) the challenge of @session; -ENOENT if unknown or expired. */
int tpm_sessions_take(struct tpm_sessions *t, const uint8_t session[16],
		      struct tpm_challenge *out);

/* ---- requests ---- */
struct request {
	const char *method;
	const char *url;
	json_t *body;		/* parsed POST body, or NULL */
	int admin;		/* arrived on the admin socket */
	char who[64];		/* admin: "uid=N pid=N" */
	unsigned int peer_uid;
};

/* A handler returns a JSON answer (status + fields) and its reason. */
struct answer {
	enum vms_hgs_reason reason;
	const char *detail;	/* optional extra for InvalidRequest etc. */
	json_t *json;		/* fields to add to the answer (may be NULL) */
};

void answer_fail(struct answer *a, enum vms_hgs_reason r, const char *detail);
void answer_ok(struct answer *a, json_t *fields);

/* Field helpers: on a bad field they fill @a (InvalidRequest) and fail. */
const char *req_str(struct request *rq, struct answer *a, const char *field,
		    size_t maxlen);
int req_b64(struct request *rq, struct answer *a, const char *field,
	    size_t max, uint8_t **out, size_t *outlen);
int req_hex(struct request *rq, struct answer *a, const char *field,
	    uint8_t *out, size_t len);

void handle_nonce(struct hgsd *h, struct request *rq, struct answer *a);
void handle_attest(struct hgsd *h, struct request *rq, struct answer *a);
void handle_tpm_challenge(struct hgsd *h, struct request *rq, struct answer *a);
void handle_tpm_attest(struct hgsd *h, struct request *rq, struct answer *a);
int tpm_roots_load(struct hgsd *h);
void handle_release(struct hgsd *h, struct request *rq, struct answer *a);
int kps_init(struct hgsd *h);
void kps_free(void);
void handle_metadata(struct hgsd *h, struct request *rq, struct answer *a);
void handle_admin(struct hgsd *h, struct request *rq, struct answer *a);

int http_start(struct hgsd *h);
void http_stop(struct hgsd *h);

#endif /* HGSD_H */
