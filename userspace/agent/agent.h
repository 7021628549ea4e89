/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent.h - hgs-agent, the guarded host's helper: what its parts share.
 *
 *   config.c    hgs-agent.conf (key = value, strict, line numbers)
 *   hostkey.c   the host key: --init, --export-key, load at start
 *   identity.c  TPM mode: the EK for registration (`hgs-agent identity`)
 *   hgs_link.c  talking to HGS: primary then fallback URLs, backoff with
 *               jitter inside a deadline, per-URL reachability
 *   attest.c    the health certificate: attest, cache, renew; one
 *               attestation at a time
 *   release.c   key release for a worker: KPS, load into the module, hand
 *               the key to the peer's uid
 *   request.c   the socket protocol: parse a request line, build answers
 *   server.c    the Unix socket: peer checks, a thread per connection
 *   status.c    what `hgs-agent status` shows (daemon and client side)
 *   lifecycle.c the stop flag, interruptible sleeps, the monotonic clock
 *   log.c       structured log lines on stderr
 *   main.c      command line, start and stop
 *
 * Documentation/agent.md is the reference.
 */
#ifndef HGS_AGENT_H
#define HGS_AGENT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <keyutils.h>
#include <openssl/evp.h>

#include "vms_agent_client.h"
#include "vms_compiler.h"
#include "vms_hgs_cert.h"
#include "vms_slog.h"

#define AGENT_PATH_MAX		1024
#define AGENT_URL_MAX		512
#define AGENT_MAX_URLS		8
#define AGENT_SOCKET_PATH_MAX	108	/* sun_path */
#define AGENT_DEFAULT_CONF	"/etc/vmshield/hgs-agent.conf"
#define AGENT_DEFAULT_STATE	"/var/lib/hgs-agent"
#define AGENT_HOST_KEY_FILE	"host.key"
#define AGENT_HOST_PUB_FILE	"host.pub.pem"
#define AGENT_CERT_FILE		"health.pem"
#define AGENT_KP_MAX		(64u << 10)	/* largest KP accepted */
#define AGENT_LINE_MAX		(128u << 10)	/* largest request line */
/*
 * Idle keep-alive HTTPS connections kept per HGS URL. A boot storm runs
 * dozens of releases at once; with fewer kept, most of them paid a new TLS
 * handshake each (the boot-storm bench: 12.9 VMs/s with 8 kept and 32
 * workers, against 28.9 with 8 workers).
 */
#define AGENT_POOL_MAX		32

/* ---- configuration ---- */
struct agent_config {
	char host_name[VMS_HOST_NAME_MAX + 1];
	char urls[AGENT_MAX_URLS][AGENT_URL_MAX];	/* [0] is hgs_url */
	unsigned int n_urls;
	char ca_file[AGENT_PATH_MAX];
	char state_dir[AGENT_PATH_MAX];
	char socket_path[AGENT_SOCKET_PATH_MAX];
	char socket_group[64];		/* "" = root only (mode 0600) */
	unsigned int renew_interval_s;
	unsigned int renew_jitter_s;
	unsigned int renew_fraction_pct;	/* of the certificate's lifetime */
	unsigned int cert_min_remaining_s;	/* use a cached cert only above */
	unsigned int retry_initial_ms;
	unsigned int retry_max_ms;
	unsigned int request_deadline_s;
	unsigned int attempt_timeout_s;		/* one HTTPS call */
	unsigned int max_clients;		/* connections served at once */
	unsigned int revocation_poll_s;		/* revocation.c; 0 = never ask */
	unsigned int primary_retry_s;		/* hgs_link.c: a dead primary's first back-off */
	int attestation_mode;			/* AGENT_MODE_* */
	char tpm_tcti[256];			/* tpm2-tss TCTI */
	char bios_log[AGENT_PATH_MAX];		/* TPM mode: boot event log */
	char ima_log[AGENT_PATH_MAX];		/* TPM mode: IMA list */
	uint8_t kps_pk[32];			/* kps_public_key, if set: pinned */
	int kps_pk_set;
};

#define AGENT_MODE_HOST_KEY	0
#define AGENT_MODE_TPM		1
const char *agent_mode_name(int mode);

void agent_config_defaults(struct agent_config *c);
/*
 * Parse @path over the defaults. On error writes "path:line: message" into
 * @err and returns -EINVAL (-errno when the file cannot be read); @c is
 * then unchanged.
 */
int agent_config_load(const char *path, struct agent_config *c, char *err,
		      size_t errlen);
/* The same from text (tests; @name stands for the path in errors). */
int agent_config_parse(const char *text, const char *name,
		       struct agent_config *c, char *err, size_t errlen);

/* ---- logging ---- */
void alog(const char *level, const char *event, const char *fmt, ...)
	__printf(3, 4);
#define log_info(ev, ...)	alog("info", ev, __VA_ARGS__)
#define log_warn(ev, ...)	alog("warning", ev, __VA_ARGS__)
#define log_err(ev, ...)	alog("error", ev, __VA_ARGS__)
/*
 * The error line of a step that failed, logged once where the context is
 * known; returns @err (a negative errno) for the caller to hand on:
 *	return log_errno(r, "cert_cache", "step=\"writing\" path=%s", path);
 * writes ... level=error event=cert_cache step=... error="<strerror>".
 */
int alog_errno(int err, const char *event, const char *fmt, ...)
	__printf(3, 4);
#define log_errno(err, ev, ...)	alog_errno(err, ev, __VA_ARGS__)
/*
 * Untrusted text made safe for a value in double quotes (error="..."):
 * vms_log_safe_quoted(), no quotes, backslashes or control characters.
 */
#define log_safe(s, buf, len)	vms_log_safe_quoted(s, buf, len)

/* ---- why something failed, for the answer and the log ---- */
struct agent_fail {
	char source[16];	/* "agent", "attestation", "kps", "module" */
	char substatus[64];	/* HGS's substatus, or the agent's own */
	char message[512];	/* what to do */
	int err;		/* negative errno for the client */
};
void agent_fail_set(struct agent_fail *f, const char *source,
		    const char *substatus, int err, const char *fmt, ...)
	__printf(5, 6);

/* ---- host key ---- */
int hostkey_init(const struct agent_config *c);
int hostkey_export(const struct agent_config *c);
int hostkey_load(const struct agent_config *c, EVP_PKEY **out);
/*
 * TPM mode: `hgs-agent identity`: the EK public (TPM2B_PUBLIC) to @out,
 * or its fingerprint and what to tell the HGS admin.
 */
int tpm_identity(const struct agent_config *c, const char *out);

/* ---- HGS ---- */
struct agent;
struct vms_hgs_client;

struct hgs_url_stat {
	time_t last_ok, last_fail;
	char last_error[256];
	unsigned long ok, failed;
	unsigned long opened;	/* HTTPS connections made (handshakes) */
	int down;		/* the last attempt failed */
};

/*
 * One exchange with one HGS. Returns 0 when HGS answered (the callback
 * looked at the answer), -EAGAIN to try the next URL (transport error,
 * Busy, 5xx) with a reason in @err, or another -errno to stop.
 */
typedef int (*hgs_exchange_fn)(struct vms_hgs_client *c, void *arg,
			       char *err, size_t errlen);

int hgs_link_init(struct agent *a);
void hgs_link_free(struct agent *a);
/*
 * Run @fn against the URL that answered last (the primary at first, and
 * again once its back-off after a failure is over), then the others in
 * order; when all fail,
 * back off (exponential, full jitter) and go round again until @deadline
 * (CLOCK_MONOTONIC seconds). 0, -ETIMEDOUT (last error in @err),
 * -ESHUTDOWN (stopping), or what @fn returned.
 */
int hgs_run(struct agent *a, double deadline, hgs_exchange_fn fn, void *arg,
	    char *err, size_t errlen);
json_t *hgs_link_status(struct agent *a);
/*
 * POST for an exchange: 0 with HGS's answer (4xx included), or -EAGAIN
 * (transport error, HTTP 5xx such as Busy) with the reason in @err.
 */
int hgs_post(struct vms_hgs_client *c, const char *path, json_t *req,
	     long *http, json_t **resp, char *err, size_t errlen);

/* ---- attestation ---- */
struct attest_state {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int running;			/* an attestation is in flight */
	unsigned long generation;	/* bumped after each attempt */
	char *cert_b64;			/* the cached health certificate */
	struct vms_health_cert_info info;
	time_t renew_at;
	time_t last_attempt, last_success;
	int last_ok;
	struct agent_fail last_fail;
	unsigned long attempts, failures;
};

int attest_init(struct agent *a);
void attest_free(struct agent *a);
/*
 * A health certificate good for the current enclave key and isolation
 * level with at least cert_min_remaining_s left: the cached one, or a new
 * attestation (@force: always a new one, or the result of one that started
 * after this call). *@b64 is malloc'd. 0 or -errno with @f filled.
 */
int attest_get_cert(struct agent *a, int force, double deadline, char **b64,
		    struct agent_fail *f);
/* The renewal thread's body. */
void *attest_renew_thread(void *arg);
json_t *attest_status(struct agent *a);

/* ---- loaded keys ---- */
struct loaded_key {
	key_serial_t serial;
	char vm_id[37];
	char key_id[33];
	char policy[24];
	uid_t uid;
	time_t expires;
	/* renewal (release.c): the KP it was released for, when to renew */
	uint8_t *kp;		/* malloc'd, freed with the entry */
	size_t kp_len;
	time_t renew_at;
	int superseded;		/* a newer key of this VM replaced it */
	/*
	 * The TK roll (confirm.c): the version and key id this key rolled
	 * to, until the worker's confirmation is passed on; 0 when none.
	 */
	uint64_t pending_version;
	char pending_key_id[33];
	/* issue 21: the vTPM statement file renewals send (vtpm_statement.c) */
	char statement_path[VMS_AGENT_STATEMENT_PATH_MAX + 1];
};

/* ---- requests (socket protocol) ---- */
enum agent_op {
	AGENT_OP_RELEASE = 1,
	AGENT_OP_STATUS,
	AGENT_OP_ATTEST,
	AGENT_OP_CONFIRM,	/* a TK roll re-sealed: confirm it to KPS */
	AGENT_OP_MIGRATE_IN,	/* live migration, the destination (migrate.c) */
	AGENT_OP_MIGRATED,	/* live migration, the source lets the VM go */
};

struct agent_request {
	enum agent_op op;
	char vm_id[37];			/* lower case */
	uint8_t *kp;			/* DER, malloc'd */
	size_t kp_len;
	unsigned int deadline_s;	/* 0 = the configured one */
	int renewal;			/* the renewal thread's: never rolls the TK */
	int roll;			/* release: roll the TK (issue 20) */
	uint64_t tk_version;		/* confirm: the rolled version */
	char key_id[33];		/* confirm: its key id, lower-case hex */
	char source_host[65];		/* migrate-in: the host the VM runs on */
	/* issue 21: the worker's vTPM statement file, read at each release */
	char statement_path[VMS_AGENT_STATEMENT_PATH_MAX + 1];
};

/*
 * Parse one request line. 0, or -EINVAL with a message in @err (no
 * request data in it beyond a field name). agent_request_free() after.
 */
int agent_request_parse(const char *line, size_t len, struct agent_request *rq,
			char *err, size_t errlen);
void agent_request_free(struct agent_request *rq);
json_t *agent_answer_fail(const struct agent_fail *f);

/* ---- key release ---- */
/*
 * vtpm_statement.c (issue 21): @path, a regular file owned by @uid or
 * root, at most 1024 bytes, as base64 (malloc'd); 0 or -errno.
 */
int agent_statement_read(const char *path, uid_t uid, char **b64);
/*
 * "vtpm_statement" into @req from @rq's file, if any, which must be the
 * peer @uid's (unreadable: left out, logged). 0 or -ENOMEM.
 */
int agent_statement_add(json_t *req, const struct agent_request *rq, uid_t uid);
int release_init(struct agent *a);
void release_free(struct agent *a);
json_t *release_for_peer(struct agent *a, const struct agent_request *rq,
			 uid_t uid, gid_t gid);
/*
 * confirm.c: pass a worker's "re-sealed under the rolled TK" on to KPS
 * (POST /v1/kps/confirm), for a roll this agent released to that peer.
 */
json_t *release_confirm_for_peer(struct agent *a,
				 const struct agent_request *rq, uid_t uid);
json_t *release_status(struct agent *a);
/*
 * migrate.c, live migration (Documentation/migration.md §2): the
 * destination's migrate-in (a roll release from KPS's migrate endpoint,
 * loaded like a start's), and the source's migrated (the VM's keys
 * revoked in the module, then KPS told).
 */
json_t *migrate_in_for_peer(struct agent *a, const struct agent_request *rq,
			    uid_t uid, gid_t gid);
json_t *migrated_for_peer(struct agent *a, const struct agent_request *rq,
			  uid_t uid);
/*
 * Renewal before expiry: every key that is its VM's newest is released
 * again (a fresh enclave challenge, the same KP, the same peer uid) at
 * two thirds of its lifetime, and linked into the peer's user keyring so
 * its worker finds it (Documentation/agent.md section 3c). A refusal is
 * retried until the old key expires. The number renewed.
 */
int release_renew_due(struct agent *a);
/* The renewal thread's body: release_renew_due() every second. */
void *release_renew_thread(void *arg);
/* Forget every loaded key (already revoked or expired), under keys_lock. */
void release_forget_all_locked(struct agent *a);

/* ---- revocation (revocation.c) ---- */
/* Ask HGS whether this host is revoked; if so revoke every loaded key: 1. */
int revocation_check(struct agent *a);
/* The polls' counters for status: polls, host revocations, keys revoked by reason. */
json_t *revocation_status(void);
/* The polling thread's body (every revocation_poll_s; 0: returns at once). */
void *revocation_thread(void *arg);

/* ---- socket server ---- */
int server_open(struct agent *a);
void *server_thread(void *arg);
void server_close(struct agent *a);

/* ---- status ---- */
json_t *status_build(struct agent *a);
/* `hgs-agent status`: ask the daemon, print. Exit code (vms_exit.h). */
int status_command(const struct agent_config *c, const char *conf, int json);
/* `status --json`'s failure: one JSON object on stderr; returns @code. */
int status_json_error(int code, const char *msg);
/* One answered socket request: its op, whether it passed, its seconds. */
void status_count_request(enum agent_op op, int passed, double seconds);
/*
 * The counters as Prometheus text in hgs-agent.prom next to the socket
 * (for node_exporter's textfile collector), written atomically; removed
 * at stop.
 */
void metrics_file_write(struct agent *a);
void metrics_file_remove(struct agent *a);

/*
 * HGS's KPS key named to the enclave before attesting (kps_key.c).
 * What GET_INFO's report says of the key the enclave accepts, against
 * HGS's: named already, not named yet (name it now), or another one.
 */
enum kps_key_state {
	KPS_KEY_OURS,
	KPS_KEY_UNNAMED,
	KPS_KEY_OTHER,
};

enum kps_key_state kps_key_state_of(int set, const uint8_t named[32],
				    const uint8_t hgs[32]);
/* KPS's key from GET /v1/metadata's answer @md: 0, or -EPROTO. */
int kps_key_from_metadata(json_t *md, uint8_t pk[32]);
struct agent;
/*
 * Before an attestation: HGS's KPS key (kps_public_key, else HGS's
 * metadata over the verified HTTPS) named to the enclave if it has none
 * yet. 0 (*@named_other set if the enclave accepts another key: the
 * attestation will be refused, KpsKeyMismatch), or -errno with @f filled.
 */
int kps_key_name_first(struct agent *a, double deadline, int *named_other,
		       struct agent_fail *f);

/* ---- the daemon ---- */
struct agent {
	struct agent_config cfg;
	EVP_PKEY *host_key;
	char host_key_fpr[65];
	time_t started;

	/* stop: set once, with stop_cond broadcast */
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int stopping;

	/* hgs_link.c */
	pthread_mutex_t link_lock;
	struct hgs_url_stat url_stat[AGENT_MAX_URLS];
	struct vms_hgs_client *idle[AGENT_MAX_URLS][AGENT_POOL_MAX];
	unsigned int n_idle[AGENT_MAX_URLS];
	/*
	 * Where an exchange starts: the URL that answered last; the primary
	 * again once primary_retry_at (CLOCK_MONOTONIC) has passed, a back-off
	 * that doubles with each failure of the primary in a row.
	 */
	unsigned int preferred;
	unsigned int primary_fails;
	double primary_retry_at;

	struct attest_state att;

	/* release.c */
	pthread_mutex_t keys_lock;
	key_serial_t ring;
	struct loaded_key *keys;
	size_t n_keys, cap_keys;
	unsigned long releases_ok, releases_failed;

	/* server.c */
	int listen_fd;
	gid_t socket_gid;
	pthread_mutex_t clients_lock;
	unsigned int n_clients;
};

/* lifecycle.c */
void agent_lifecycle_init(struct agent *a);
void agent_request_stop(struct agent *a);
int agent_stopping(struct agent *a);
/* Sleep up to @seconds, waking early when stopping; 1 if stopping. */
int agent_sleep(struct agent *a, double seconds);
double agent_now(void);		/* CLOCK_MONOTONIC, seconds */

#endif /* HGS_AGENT_H */
