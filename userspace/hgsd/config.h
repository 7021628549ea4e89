/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - hgsd.conf: the settings, their defaults, reading and writing
 * the file (config.c; every key in Documentation/hgs-admin-guide.md).
 *
 * Included by hgsd.h (struct hgsd holds the settings), main.c and
 * config.c; the rest reads the settings through struct hgsd.
 */
#ifndef HGSD_CONFIG_H
#define HGSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define HGSD_PATH_MAX		4096
#define HGSD_MAX_ADMIN_UIDS	16

struct hgsd_config {
	char state_dir[HGSD_PATH_MAX];
	char listen_address[64];
	unsigned int port;
	char port_file[HGSD_PATH_MAX];
	char admin_socket[HGSD_PATH_MAX];
	char admin_client_ca[HGSD_PATH_MAX];	/* "" = no admin over HTTPS */
	unsigned int admin_uids[HGSD_MAX_ADMIN_UIDS];
	unsigned int n_admin_uids;
	/* uids with the reviewer role on the admin socket: read only */
	unsigned int reviewer_uids[HGSD_MAX_ADMIN_UIDS];
	unsigned int n_reviewer_uids;
	char node_name[65];		/* in audit rows; default the host name */
	unsigned int threads;
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	unsigned int connection_timeout_s;
	unsigned int header_timeout_s;	/* accept -> headers in (conn_guard.c) */
	unsigned int body_timeout_s;	/* headers -> body in */
	size_t max_body_bytes;
	size_t max_admin_body_bytes;	/* the admin socket's (bulk digest lists) */
	size_t max_inflight_body_bytes;	/* all bodies being collected */
	unsigned int max_nonces;
	unsigned int nonce_ttl_s;
	unsigned int challenge_rate_per_source;	/* per second; 0 = no limit */
	unsigned int challenge_burst_per_source;
	/* new TLS connections per second from one address (0 = no limit) */
	unsigned int handshake_rate_per_source;
	unsigned int handshake_burst_per_source;
	/* an IPv4 network whose clients the rate limit spares (mask 0: none) */
	uint32_t challenge_exempt_net, challenge_exempt_mask;
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
	unsigned int change_poll_ms;	/* change_feed.c: how often the store is read */
	char master_key_file[HGSD_PATH_MAX];
	char db_file[HGSD_PATH_MAX];
	/*
	 * store = sqlite (db_file, the default) or postgresql:CONNINFO
	 * (store_db.h); may hold a password: never logged.
	 */
	char store[1024];
	/* TPM mode */
	char tpm_ek_roots[HGSD_PATH_MAX];	/* "" = EKs by registration only */
	size_t max_tpm_body_bytes;	/* /v1/attest/tpm: event log + IMA list */
};

void config_defaults(struct hgsd_config *c, const char *state_dir);
/* Parse @path; on error prints "path:line: message" and returns -EINVAL. */
int config_load(const char *path, struct hgsd_config *c);
int config_write_default(const char *path, const struct hgsd_config *c);
/* What store_open() takes: the PostgreSQL target, else db_file. */
const char *config_store(const struct hgsd_config *c);
/* The store as a log may show it: db_file's path, or "postgresql". */
const char *config_store_shown(const struct hgsd_config *c);

#endif /* HGSD_CONFIG_H */
