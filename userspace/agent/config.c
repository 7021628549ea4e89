// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - hgs-agent.conf: "key = value" lines, '#' comments, blank
 * lines. Unknown keys, repeated keys (but hgs_fallback_url), malformed
 * values and missing required keys are errors with the line number: a typo
 * must not silently change where keys come from. Documentation/agent.md
 * lists every key; lib/util/conf_parse.c reads the lines.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "vms_compiler.h"
#include "vms_conf_parse.h"
#include "vms_hex.h"
#include "vms_hgs_tpm_client.h"
#include "vms_host_tpm.h"

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, AGENT_DEFAULT_STATE);
	strcpy(c->socket_path, VMS_AGENT_SOCKET);
	c->renew_interval_s = 8 * 3600;
	c->revocation_poll_s = 30;
	c->primary_retry_s = 30;
	c->renew_jitter_s = 600;
	c->renew_fraction_pct = 75;
	c->cert_min_remaining_s = 300;
	c->retry_initial_ms = 500;
	c->retry_max_ms = 15000;
	c->request_deadline_s = 120;
	c->attempt_timeout_s = 20;
	c->max_clients = 256;
	c->attestation_mode = AGENT_MODE_HOST_KEY;
	strcpy(c->tpm_tcti, VMS_HOST_TPM_DEFAULT_TCTI);
	strcpy(c->bios_log, VMS_BIOS_LOG_PATH);
	strcpy(c->ima_log, VMS_IMA_LOG_PATH);
}

const char *agent_mode_name(int mode)
{
	return mode == AGENT_MODE_TPM ? "tpm" : "host-key";
}

/* https://HOST[:PORT] with no path, query, userinfo or whitespace. */
static int url_valid(const char *v)
{
	const char *host = v + 8;

	if (strncmp(v, "https://", 8) || strlen(v) >= AGENT_URL_MAX || !*host)
		return 0;
	return strcspn(host, "/?#@ \t\"\\") == strlen(host);
}

static int add_urls(struct agent_config *c, unsigned int have, const char *v)
{
	char buf[AGENT_MAX_URLS * AGENT_URL_MAX], *save = NULL, *tok;
	unsigned int n = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		tok[strcspn(tok, " ")] = 0;
		/* slot 0 is the primary; fallbacks from slot 1 */
		if (!url_valid(tok) || 1 + have + n >= AGENT_MAX_URLS)
			return -EINVAL;
		strcpy(c->urls[1 + have + n], tok);
		n++;
	}
	if (!n)
		return -EINVAL;
	return (int)n;
}

static int parse_group(const char *v)
{
	size_t n = strlen(v);

	if (n >= 64)
		return -EINVAL;
	/* a name (as useradd allows) or a numeric gid */
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n ? 0 : -EINVAL;
}

/* Keys that may appear once; hgs_fallback_url may repeat. */
static const char *const keys[] = {
	"host_name", "hgs_url", "hgs_fallback_url", "hgs_ca_file", "state_dir",
	"socket", "socket_group", "renew_interval_s", "renew_jitter_s",
	"renew_fraction_pct", "cert_min_remaining_s", "retry_initial_ms",
	"retry_max_ms", "request_deadline_s", "attempt_timeout_s",
	"max_clients", "attestation_mode", "tpm_tcti", "tpm_event_log", "tpm_ima_log",
	"revocation_poll_s", "primary_retry_s",
	"kps_public_key",
};
#define N_KEYS ARRAY_SIZE(keys)

static int key_index(const char *k)
{
	unsigned int i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i], k))
			return (int)i;
	return -1;
}

/* What one parse has seen so far. */
struct agent_conf_parse {
	struct agent_config *c;
	unsigned int n_fallback;
	unsigned int seen[N_KEYS];
};

static int set_uint(unsigned int *field, const char *v, unsigned long min,
		    unsigned long max, char *why)
{
	unsigned long x;
	int r = vms_conf_uint(v, min, max, &x, why);

	if (r)
		return r;
	*field = (unsigned int)x;
	return 0;
}

/* The unsigned settings and their ranges. */
static const struct uint_key {
	const char *name;
	size_t off;
	unsigned long min, max;
} uint_keys[] = {
	{ "renew_interval_s", offsetof(struct agent_config, renew_interval_s), 60, 604800 },
	{ "renew_jitter_s", offsetof(struct agent_config, renew_jitter_s), 0, 86400 },
	{ "renew_fraction_pct", offsetof(struct agent_config, renew_fraction_pct), 10, 95 },
	{ "cert_min_remaining_s", offsetof(struct agent_config, cert_min_remaining_s), 1, 86400 },
	{ "retry_initial_ms", offsetof(struct agent_config, retry_initial_ms), 10, 600000 },
	{ "retry_max_ms", offsetof(struct agent_config, retry_max_ms), 10, 3600000 },
	{ "request_deadline_s", offsetof(struct agent_config, request_deadline_s), 1, 3600 },
	{ "attempt_timeout_s", offsetof(struct agent_config, attempt_timeout_s), 1, 600 },
	{ "max_clients", offsetof(struct agent_config, max_clients), 1, 4096 },
	{ "revocation_poll_s", offsetof(struct agent_config, revocation_poll_s), 0, 86400 },
	{ "primary_retry_s", offsetof(struct agent_config, primary_retry_s), 1, 3600 },
};

/* vms_conf_set_fn for hgs-agent.conf. */
static int set_key(void *ctx, const char *k, const char *v, char *why)
{
	struct agent_conf_parse *p = ctx;
	struct agent_config *c = p->c;
	int r, idx = key_index(k);
	size_t i;

	if (idx < 0)
		return -ENOENT;
	if (p->seen[idx]++ && strcmp(k, "hgs_fallback_url"))
		return -EEXIST;
	for (i = 0; i < ARRAY_SIZE(uint_keys); i++)
		if (!strcmp(k, uint_keys[i].name))
			return set_uint((unsigned int *)((char *)c + uint_keys[i].off),
					v, uint_keys[i].min, uint_keys[i].max, why);
	if (!strcmp(k, "host_name")) {
		if (!vms_host_name_valid(v))
			return vms_conf_bad(why, "must be 1 to 64 of A-Z a-z 0-9 . _ - (as registered at HGS)");
		strcpy(c->host_name, v);
		return 0;
	}
	if (!strcmp(k, "hgs_url")) {
		if (!url_valid(v))
			return vms_conf_bad(why, "must be https://HOST[:PORT] (HTTPS only, no path)");
		strcpy(c->urls[0], v);
		return 0;
	}
	if (!strcmp(k, "hgs_fallback_url")) {
		r = add_urls(c, p->n_fallback, v);
		if (r < 0)
			return vms_conf_bad(why, "must be a comma list of https://HOST[:PORT] (at most 7 fallbacks in all)");
		p->n_fallback += (unsigned int)r;
		c->n_urls = 1 + p->n_fallback;
		return 0;
	}
	if (!strcmp(k, "hgs_ca_file"))
		return vms_conf_path(c->ca_file, sizeof(c->ca_file), v, why);
	if (!strcmp(k, "state_dir"))
		return vms_conf_path(c->state_dir, sizeof(c->state_dir), v, why);
	if (!strcmp(k, "socket"))
		return vms_conf_path(c->socket_path, sizeof(c->socket_path), v,
				     why);
	if (!strcmp(k, "attestation_mode")) {
		if (!strcmp(v, "host-key"))
			c->attestation_mode = AGENT_MODE_HOST_KEY;
		else if (!strcmp(v, "tpm"))
			c->attestation_mode = AGENT_MODE_TPM;
		else
			return vms_conf_bad(why, "must be host-key or tpm");
		return 0;
	}
	if (!strcmp(k, "tpm_tcti")) {
		if (!*v || strlen(v) >= sizeof(c->tpm_tcti) || strpbrk(v, " \t\"\\"))
			return vms_conf_bad(why, "must be a tpm2-tss TCTI such as device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321 (at most 255 characters)");
		strcpy(c->tpm_tcti, v);
		return 0;
	}
	if (!strcmp(k, "tpm_event_log"))
		return vms_conf_path(c->bios_log, sizeof(c->bios_log), v, why);
	if (!strcmp(k, "tpm_ima_log"))
		return vms_conf_path(c->ima_log, sizeof(c->ima_log), v, why);
	if (!strcmp(k, "kps_public_key")) {
		if (vms_hex_decode_exact(v, c->kps_pk, sizeof(c->kps_pk)))
			return vms_conf_bad(why, "must be KPS's X25519 key as 64 hex digits (shieldctl hgs metadata, kps_public_key)");
		c->kps_pk_set = 1;
		return 0;
	}
	if (!strcmp(k, "socket_group")) {
		if (parse_group(v))
			return vms_conf_bad(why, "must be a group name or number (empty: root only)");
		strcpy(c->socket_group, v);
		return 0;
	}
	return -ENOENT;
}

static int fail(char *err, size_t errlen, const char *what, const char *name)
{
	snprintf(err, errlen, "%s: %s", name, what);
	return -EINVAL;
}

/* The keys a file must give, and settings that depend on each other. */
static int config_complete(struct agent_conf_parse *p, const char *name,
			   char *err, size_t errlen)
{
	struct agent_config *c = p->c;

	if (!c->host_name[0])
		return fail(err, errlen, "'host_name' is required (the name the HGS admin registers this host under)",
					 name);
	if (!c->urls[0][0])
		return fail(err, errlen, "'hgs_url' is required (https://HGS:PORT)", name);
	if (!c->ca_file[0])
		return fail(err, errlen, "'hgs_ca_file' is required: the CA (or HGS tls.pem) that HGS's HTTPS certificate must chain to; it is always verified",
					 name);
	if (c->retry_max_ms < c->retry_initial_ms)
		return fail(err, errlen, "retry_max_ms is below retry_initial_ms", name);
	c->n_urls = 1 + p->n_fallback;
	return 0;
}

/*
 * Parse @text, or the file @path when @text is NULL, into a copy of @out;
 * @out is written only when the whole file is good.
 */
static int config_read(const char *text, const char *path,
		       struct agent_config *out, char *err, size_t errlen)
{
	struct agent_config c = *out;
	struct agent_conf_parse p = { .c = &c };
	const struct vms_conf_parser parser = {
		.set = set_key, .ctx = &p, .doc = "Documentation/agent.md",
	};
	int r;

	c.n_urls = 0;
	c.urls[0][0] = 0;
	if (text)
		r = vms_conf_parse(&parser, text, path, err, errlen);
	else
		r = vms_conf_load(&parser, path, err, errlen);
	if (r)
		return r;
	r = config_complete(&p, path, err, errlen);
	if (r)
		return r;
	*out = c;
	return 0;
}

int agent_config_parse(const char *text, const char *name,
		       struct agent_config *out, char *err, size_t errlen)
{
	return config_read(text, name, out, err, errlen);
}

int agent_config_load(const char *path, struct agent_config *c, char *err,
		      size_t errlen)
{
	return config_read(NULL, path, c, err, errlen);
}
