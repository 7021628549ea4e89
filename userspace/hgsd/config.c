// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - hgsd.conf: "key = value" lines, '#' comments, blank lines.
 * Unknown keys and malformed values are errors (a typo must not silently
 * weaken a setting). Documentation/hgs-admin-guide.md lists every key;
 * lib/util/conf_parse.c reads the lines. A key given twice: the last one holds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "keyrelease.h"
#include "vms_compiler.h"
#include "vms_conf_parse.h"
#include "vms_fileio.h"

void config_defaults(struct hgsd_config *c, const char *dir)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", dir);
	strcpy(c->listen_address, "127.0.0.1");
	c->port = 8443;
	snprintf(c->port_file, sizeof(c->port_file), "%s/hgsd.port", dir);
	snprintf(c->admin_socket, sizeof(c->admin_socket), "%s/admin.sock", dir);
	c->admin_uids[0] = 0;
	c->n_admin_uids = 1;
	if (gethostname(c->node_name, sizeof(c->node_name) - 1) || !c->node_name[0])
		strcpy(c->node_name, "hgsd");
	c->threads = 2;
	c->max_connections = 512;
	c->max_connections_per_ip = 256;
	c->connection_timeout_s = 15;
	c->header_timeout_s = 10;
	c->body_timeout_s = 60;
	c->max_body_bytes = 65536;
	c->max_admin_body_bytes = 32 << 20;
	c->max_inflight_body_bytes = 64 << 20;
	c->max_nonces = 100000;
	c->nonce_ttl_s = 60;
	c->challenge_rate_per_source = 20;
	c->challenge_burst_per_source = 100;
	c->handshake_rate_per_source = 20;
	c->handshake_burst_per_source = 100;
	c->cert_validity_s = 8 * 3600;
	c->cert_margin_s = 600;
	c->release_lifetime_s = 8 * 3600;
	c->cert_cache_entries = 1024;
	c->kp_cache_entries = 4096;
	c->log_requests = 1;
	c->events_max_age_days = 90;
	c->events_max_rows = 1000000;
	c->audit_max_age_days = 730;
	c->audit_max_rows = 1000000;
	c->retention_interval_s = 3600;
	c->keyproc_seccomp = 1;
	c->change_poll_ms = 200;
	c->max_tpm_body_bytes = 4 << 20;
	snprintf(c->master_key_file, sizeof(c->master_key_file),
		 "%s/keys/master.key", dir);
	snprintf(c->db_file, sizeof(c->db_file), "%s/hgsd.db", dir);
}

/* A comma list of uids into @uids (@n of them); blanks after a comma are list layout. */
static int parse_uid_list(unsigned int *uids, unsigned int *n, const char *v)
{
	char buf[256], why[VMS_CONF_WHY_MAX], *save = NULL, *tok;
	unsigned long x;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t");
		if (*n == HGSD_MAX_ADMIN_UIDS ||
		    vms_conf_uint(tok, 0, UINT_MAX - 1, &x, why))
			return -EINVAL;
		uids[(*n)++] = (unsigned int)x;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_uids(struct hgsd_config *c, const char *v)
{
	return parse_uid_list(c->admin_uids, &c->n_admin_uids, v);
}

/* An absolute path, or empty for none. */
static int set_optional_path(char *dst, size_t size, const char *v, char *why)
{
	if (!*v) {
		dst[0] = 0;
		return 0;
	}
	if (vms_conf_path(dst, size, v, why))
		return vms_conf_bad(why, "must be an absolute path shorter than %zu bytes, or empty for none",
				    size);
	return 0;
}

/*
 * The numeric settings and their ranges. Their fields are unsigned int,
 * int, long, unsigned long or size_t; every value in range fits each.
 */
#define UINT_KEY(name, field, min, max)					\
	{ name, offsetof(struct hgsd_config, field),			\
	  sizeof(((struct hgsd_config *)0)->field), min, max }
static const struct uint_key {
	const char *name;
	size_t off, size;
	unsigned long min, max;
} uint_keys[] = {
	UINT_KEY("port", port, 0, 65535),
	UINT_KEY("threads", threads, 1, 64),
	UINT_KEY("max_connections", max_connections, 4, 65536),
	UINT_KEY("max_connections_per_ip", max_connections_per_ip, 1, 65536),
	UINT_KEY("connection_timeout_s", connection_timeout_s, 1, 3600),
	UINT_KEY("header_timeout_s", header_timeout_s, 1, 3600),
	UINT_KEY("body_timeout_s", body_timeout_s, 1, 3600),
	UINT_KEY("max_body_bytes", max_body_bytes, 1024, 16 << 20),
	UINT_KEY("max_admin_body_bytes", max_admin_body_bytes, 65536, 256 << 20),
	UINT_KEY("max_inflight_body_bytes", max_inflight_body_bytes, 1 << 20, 1UL << 34),
	UINT_KEY("max_nonces", max_nonces, 16, 10000000),
	UINT_KEY("nonce_ttl_s", nonce_ttl_s, 1, 3600),
	UINT_KEY("challenge_rate_per_source", challenge_rate_per_source, 0, 1000000),
	UINT_KEY("challenge_burst_per_source", challenge_burst_per_source, 1, 1000000),
	UINT_KEY("handshake_rate_per_source", handshake_rate_per_source, 0, 1000000),
	UINT_KEY("handshake_burst_per_source", handshake_burst_per_source, 1, 1000000),
	UINT_KEY("cert_validity_s", cert_validity_s, 60, 7 * 86400),
	UINT_KEY("cert_margin_s", cert_margin_s, 0, 86400),
	UINT_KEY("release_lifetime_s", release_lifetime_s, 1, VMS_KR_MAX_LIFETIME),
	UINT_KEY("cert_cache_entries", cert_cache_entries, 0, 1 << 20),
	UINT_KEY("kp_cache_entries", kp_cache_entries, 0, 1 << 20),
	UINT_KEY("log_requests", log_requests, 0, 1),
	UINT_KEY("events_max_age_days", events_max_age_days, 0, 36500),
	UINT_KEY("events_max_rows", events_max_rows, 0, 1000000000),
	UINT_KEY("audit_max_age_days", audit_max_age_days, 0, 36500),
	UINT_KEY("audit_max_rows", audit_max_rows, 0, 1000000000),
	UINT_KEY("retention_interval_s", retention_interval_s, 1, 86400),
	UINT_KEY("keyproc_seccomp", keyproc_seccomp, 0, 1),
	UINT_KEY("change_poll_ms", change_poll_ms, 20, 60000),
	UINT_KEY("max_tpm_body_bytes", max_tpm_body_bytes, 1024, 64 << 20),
};
#undef UINT_KEY

/* Set the numeric setting @u from @v; the field's width decides the store. */
static int set_uint_key(struct hgsd_config *c, const struct uint_key *u,
			const char *v, char *why)
{
	char *field = (char *)c + u->off;
	unsigned long x = 0;
	unsigned int y;
	int r;

	r = vms_conf_uint(v, u->min, u->max, &x, why);
	if (r)
		return r;
	if (u->size == sizeof(y)) {
		y = (unsigned int)x;
		memcpy(field, &y, sizeof(y));
	} else {
		memcpy(field, &x, sizeof(x));
	}
	return 0;
}

/* challenge_rate_exempt: "" or an IPv4 network A.B.C.D/N (host order). */
static int set_exempt(struct hgsd_config *c, const char *v, char *why)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(v, '/');
	struct in_addr in;
	unsigned long n;

	c->challenge_exempt_net = c->challenge_exempt_mask = 0;
	if (!*v)
		return 0;
	if (!slash || (size_t)(slash - v) >= sizeof(addr) || !slash[1] ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return vms_conf_bad(why, "must be empty or an IPv4 network such as 10.0.0.0/8");
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = 0;
	n = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || n < 1 || n > 32)
		return vms_conf_bad(why, "must be empty or an IPv4 network such as 10.0.0.0/8");
	c->challenge_exempt_mask = n == 32 ? 0xffffffffu : ~(0xffffffffu >> n);
	c->challenge_exempt_net = ntohl(in.s_addr) & c->challenge_exempt_mask;
	return 0;
}

/* store = sqlite | postgresql:CONNINFO (the value is not shown: a password). */
static int set_store(struct hgsd_config *c, const char *v, char *why)
{
	if (!strcmp(v, "sqlite")) {
		c->store[0] = 0;
		return 0;
	}
	if ((strncmp(v, "postgresql:", 11) || !v[11]) || strlen(v) >= sizeof(c->store))
		return vms_conf_bad(why, "must be sqlite (the file db_file) or postgresql:CONNINFO (libpq's connection string, up to %zu characters)",
				    sizeof(c->store) - 1);
	strcpy(c->store, v);
	return 0;
}

const char *config_store(const struct hgsd_config *c)
{
	return c->store[0] ? c->store : c->db_file;
}

const char *config_store_shown(const struct hgsd_config *c)
{
	return c->store[0] ? "postgresql" : c->db_file;
}

/* vms_conf_set_fn for hgsd.conf. */
static int set_key(void *ctx, const char *k, const char *v, char *why)
{
	struct hgsd_config *c = ctx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uint_keys); i++)
		if (!strcmp(k, uint_keys[i].name))
			return set_uint_key(c, &uint_keys[i], v, why);
	if (!strcmp(k, "listen_address")) {
		/* Only numeric IPv4 here; loopback is the default. */
		if (strlen(v) >= sizeof(c->listen_address) ||
		    strspn(v, "0123456789.") != strlen(v))
			return vms_conf_bad(why, "must be a numeric IPv4 address such as 127.0.0.1");
		strcpy(c->listen_address, v);
		return 0;
	}
	if (!strcmp(k, "challenge_rate_exempt"))
		return set_exempt(c, v, why);
	if (!strcmp(k, "state_dir"))
		return vms_conf_path(c->state_dir, sizeof(c->state_dir), v, why);
	if (!strcmp(k, "port_file"))
		return vms_conf_path(c->port_file, sizeof(c->port_file), v, why);
	if (!strcmp(k, "admin_socket"))	/* sun_path */
		return vms_conf_path(c->admin_socket, 108, v, why);
	if (!strcmp(k, "admin_client_ca"))
		return set_optional_path(c->admin_client_ca,
					 sizeof(c->admin_client_ca), v, why);
	if (!strcmp(k, "master_key_file"))
		return vms_conf_path(c->master_key_file,
				     sizeof(c->master_key_file), v, why);
	if (!strcmp(k, "db_file"))
		return vms_conf_path(c->db_file, sizeof(c->db_file), v, why);
	if (!strcmp(k, "store"))
		return set_store(c, v, why);
	if (!strcmp(k, "tpm_ek_roots"))
		return set_optional_path(c->tpm_ek_roots,
					 sizeof(c->tpm_ek_roots), v, why);
	if (!strcmp(k, "reviewer_uids")) {
		c->n_reviewer_uids = 0;
		if (*v && parse_uid_list(c->reviewer_uids, &c->n_reviewer_uids, v))
			return vms_conf_bad(why, "must be empty or a comma list of 1 to %d numeric uids, digits only",
					    HGSD_MAX_ADMIN_UIDS);
		return 0;
	}
	if (!strcmp(k, "node_name")) {
		if (!*v || strlen(v) >= sizeof(c->node_name) ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(v))
			return vms_conf_bad(why, "must be 1 to %zu letters, digits, '.', '-' or '_'",
					    sizeof(c->node_name) - 1);
		strcpy(c->node_name, v);
		return 0;
	}
	if (!strcmp(k, "admin_uids")) {
		if (parse_uids(c, v))
			return vms_conf_bad(why, "must be a comma list of 1 to %d numeric uids, digits only",
					    HGSD_MAX_ADMIN_UIDS);
		return 0;
	}
	return -ENOENT;
}

int config_load(const char *path, struct hgsd_config *c)
{
	const struct vms_conf_parser parser = {
		.set = set_key, .ctx = c,
		.doc = "Documentation/hgs-admin-guide.md",
	};
	char err[512];
	int r;

	r = vms_conf_load(&parser, path, err, sizeof(err));
	if (r)
		fprintf(stderr, "hgsd: %s\n", err);
	return r;
}

int config_write_default(const char *path, const struct hgsd_config *c)
{
	char buf[8 * HGSD_PATH_MAX];
	int n;

	n = snprintf(buf, sizeof(buf),
		"# hgsd.conf - written by 'hgsd --init'. Every key is documented in\n"
		"# Documentation/hgs-admin-guide.md. 'key = value'; '#' starts a comment.\n"
		"state_dir = %s\n"
		"# The store: sqlite (the file db_file) or postgresql:CONNINFO for a\n"
		"# cluster of hgsd nodes (Documentation/hgs-cluster.md).\n"
		"store = %s\n"
		"db_file = %s\n"
		"master_key_file = %s\n"
		"# HTTPS (attestation, KPS). Loopback only unless you change it.\n"
		"listen_address = %s\n"
		"port = %u\n"
		"port_file = %s\n"
		"threads = %u\n"
		"max_connections = %u\n"
		"max_connections_per_ip = %u\n"
		"connection_timeout_s = %u\n"
		"max_body_bytes = %zu\n"
		"# Admin API: a Unix socket, root (and admin_uids) only.\n"
		"admin_socket = %s\n"
		"admin_uids = 0\n"
		"# Admin over HTTPS: a CA (PEM) whose client certificates are admins.\n"
		"# Empty: the admin socket is the only admin path.\n"
		"admin_client_ca =\n"
		"# Attestation and key release.\n"
		"max_nonces = %u\n"
		"nonce_ttl_s = %u\n"
		"# Nonces and TPM challenges per second from one address (0 = no\n"
		"# limit), in bursts of up to challenge_burst_per_source.\n"
		"challenge_rate_per_source = %u\n"
		"challenge_burst_per_source = %u\n"
		"cert_validity_s = %ld\n"
		"cert_margin_s = %ld\n"
		"release_lifetime_s = %u\n"
		"# Verified health certificates remembered (0 = verify every time).\n"
		"cert_cache_entries = %u\n"
		"# Verified key protectors remembered (signature only; 0 = off).\n"
		"kp_cache_entries = %u\n"
		"log_requests = %d\n"
		"# Retention of events and audit rows (0 = no limit of that kind);\n"
		"# pruning runs every retention_interval_s and is itself audited.\n"
		"events_max_age_days = %u\n"
		"events_max_rows = %lu\n"
		"audit_max_age_days = %u\n"
		"audit_max_rows = %lu\n"
		"retention_interval_s = %u\n"
		"# Confine the key process with a seccomp allow-list (1 = on).\n"
		"keyproc_seccomp = %d\n"
		"# TPM mode: requests carrying the boot event log and IMA list may\n"
		"# be this large; EK certificates chaining to these CAs (a PEM file\n"
		"# or a directory of them) are trusted for hosts without a registered EK.\n"
		"max_tpm_body_bytes = %zu\n"
		"tpm_ek_roots =\n",
		c->state_dir, c->store[0] ? c->store : "sqlite", c->db_file, c->master_key_file, c->listen_address,
		c->port, c->port_file, c->threads, c->max_connections,
		c->max_connections_per_ip, c->connection_timeout_s,
		c->max_body_bytes, c->admin_socket, c->max_nonces,
		c->nonce_ttl_s, c->challenge_rate_per_source,
		c->challenge_burst_per_source, c->cert_validity_s, c->cert_margin_s,
		c->release_lifetime_s, c->cert_cache_entries, c->kp_cache_entries,
		c->log_requests, c->events_max_age_days, c->events_max_rows,
		c->audit_max_age_days, c->audit_max_rows, c->retention_interval_s,
		c->keyproc_seccomp, c->max_tpm_body_bytes);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return vms_write_file_atomic(path, buf, (size_t)n, 0600, VMS_WRITE_NOCLOBBER);
}
