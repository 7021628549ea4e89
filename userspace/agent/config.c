// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - hgs-agent.conf: "key = value" lines, '#' comments, blank
 * lines. Unknown keys, repeated keys (but hgs_fallback_url), malformed
 * values and missing required keys are errors with the line number: a typo
 * must not silently change where keys come from. Documentation/agent.md
 * lists every key.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vms_hgs_tpm_client.h"
#include "vms_host_tpm.h"
#include "vms_fileio.h"

#define CONF_MAX	(64u << 10)

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, AGENT_DEFAULT_STATE);
	strcpy(c->socket_path, VMS_AGENT_SOCKET);
	c->renew_interval_s = 8 * 3600;
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

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned int *out)
{
	unsigned long x;
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = (unsigned int)x;
	return 0;
}

static int set_path(char *dst, size_t len, const char *v)
{
	if (v[0] != '/' || strlen(v) >= len)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
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
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_-.") == n ? 0 : -EINVAL;
}

/* Keys that may appear once; hgs_fallback_url may repeat. */
static const char *const keys[] = {
	"host_name", "hgs_url", "hgs_fallback_url", "hgs_ca_file", "state_dir",
	"socket", "socket_group", "renew_interval_s", "renew_jitter_s",
	"renew_fraction_pct", "cert_min_remaining_s", "retry_initial_ms",
	"retry_max_ms", "request_deadline_s", "attempt_timeout_s",
	"max_clients", "attestation_mode", "tpm_tcti", "tpm_event_log", "tpm_ima_log",
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int key_index(const char *k)
{
	unsigned int i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i], k))
			return (int)i;
	return -1;
}

/* 0, -EINVAL (bad value) with @why set. */
static int set_key(struct agent_config *c, unsigned int *n_fallback,
		   const char *k, const char *v, const char **why)
{
	int r;

#define UINT_KEY(name, field, min, max)					\
	if (!strcmp(k, name)) {						\
		*why = "must be a whole number from " #min " to " #max;	\
		return parse_uint(v, min, max, &c->field);		\
	}
	UINT_KEY("renew_interval_s", renew_interval_s, 60, 604800)
	UINT_KEY("renew_jitter_s", renew_jitter_s, 0, 86400)
	UINT_KEY("renew_fraction_pct", renew_fraction_pct, 10, 95)
	UINT_KEY("cert_min_remaining_s", cert_min_remaining_s, 1, 86400)
	UINT_KEY("retry_initial_ms", retry_initial_ms, 10, 600000)
	UINT_KEY("retry_max_ms", retry_max_ms, 10, 3600000)
	UINT_KEY("request_deadline_s", request_deadline_s, 1, 3600)
	UINT_KEY("attempt_timeout_s", attempt_timeout_s, 1, 600)
	UINT_KEY("max_clients", max_clients, 1, 4096)
#undef UINT_KEY
	if (!strcmp(k, "host_name")) {
		*why = "must be 1 to 64 of A-Z a-z 0-9 . _ - (as registered at HGS)";
		if (!vms_host_name_valid(v))
			return -EINVAL;
		strcpy(c->host_name, v);
		return 0;
	}
	if (!strcmp(k, "hgs_url")) {
		*why = "must be https://HOST[:PORT] (HTTPS only, no path)";
		if (!url_valid(v))
			return -EINVAL;
		strcpy(c->urls[0], v);
		return 0;
	}
	if (!strcmp(k, "hgs_fallback_url")) {
		*why = "must be a comma list of https://HOST[:PORT] (at most 7 "
		       "fallbacks in all)";
		r = add_urls(c, *n_fallback, v);
		if (r < 0)
			return r;
		*n_fallback += (unsigned int)r;
		c->n_urls = 1 + *n_fallback;
		return 0;
	}
	if (!strcmp(k, "hgs_ca_file")) {
		*why = "must be an absolute path";
		return set_path(c->ca_file, sizeof(c->ca_file), v);
	}
	if (!strcmp(k, "state_dir")) {
		*why = "must be an absolute path";
		return set_path(c->state_dir, sizeof(c->state_dir), v);
	}
	if (!strcmp(k, "socket")) {
		*why = "must be an absolute path shorter than 108 bytes";
		return set_path(c->socket_path, sizeof(c->socket_path), v);
	}
	if (!strcmp(k, "attestation_mode")) {
		*why = "must be host-key or tpm";
		if (!strcmp(v, "host-key"))
			c->attestation_mode = AGENT_MODE_HOST_KEY;
		else if (!strcmp(v, "tpm"))
			c->attestation_mode = AGENT_MODE_TPM;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "tpm_tcti")) {
		*why = "must be a tpm2-tss TCTI such as device:/dev/tpmrm0 or "
		       "swtpm:host=127.0.0.1,port=2321 (at most 255 characters)";
		if (!*v || strlen(v) >= sizeof(c->tpm_tcti) || strpbrk(v, " \t\"\\"))
			return -EINVAL;
		strcpy(c->tpm_tcti, v);
		return 0;
	}
	if (!strcmp(k, "tpm_event_log")) {
		*why = "must be an absolute path";
		return set_path(c->bios_log, sizeof(c->bios_log), v);
	}
	if (!strcmp(k, "tpm_ima_log")) {
		*why = "must be an absolute path";
		return set_path(c->ima_log, sizeof(c->ima_log), v);
	}
	if (!strcmp(k, "socket_group")) {
		*why = "must be a group name or number (empty: root only)";
		if (parse_group(v))
			return -EINVAL;
		strcpy(c->socket_group, v);
		return 0;
	}
	return -ENOENT;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int agent_config_parse(const char *text, const char *name,
		       struct agent_config *out, char *err, size_t errlen)
{
	struct agent_config c = *out;
	unsigned int lineno = 0, n_fallback = 0, seen[N_KEYS] = { 0 };
	const char *p = text, *why = "";
	char line[AGENT_PATH_MAX * 2], *k, *v, *eq;
	char safe[64];
	int r, idx;

	c.n_urls = 0;
	c.urls[0][0] = 0;
	while (*p) {
		size_t n = strcspn(p, "\n");

		lineno++;
		if (n >= sizeof(line))
			return fail(err, errlen, "%s:%u: line too long", name, lineno);
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (p[n] == '\n');
		if (strlen(line) != n)
			return fail(err, errlen, "%s:%u: NUL byte in line", name, lineno);
		k = trim(line);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			return fail(err, errlen, "%s:%u: expected 'key = value'",
				    name, lineno);
		*eq = 0;
		v = trim(eq + 1);
		k = trim(k);
		idx = key_index(k);
		if (idx < 0)
			return fail(err, errlen, "%s:%u: unknown key '%s'", name,
				    lineno, log_safe(k, safe, sizeof(safe)));
		if (seen[idx]++ && strcmp(k, "hgs_fallback_url"))
			return fail(err, errlen, "%s:%u: '%s' given twice", name,
				    lineno, k);
		r = set_key(&c, &n_fallback, k, v, &why);
		if (r)
			return fail(err, errlen, "%s:%u: bad value for '%s': %s",
				    name, lineno, k, why);
	}
	if (!c.host_name[0])
		return fail(err, errlen, "%s: 'host_name' is required (the name "
			    "the HGS admin registers this host under)", name);
	if (!c.urls[0][0])
		return fail(err, errlen, "%s: 'hgs_url' is required "
			    "(https://HGS:PORT)", name);
	if (!c.ca_file[0])
		return fail(err, errlen, "%s: 'hgs_ca_file' is required: the CA "
			    "(or HGS tls.pem) that HGS's HTTPS certificate must "
			    "chain to; it is always verified", name);
	if (c.retry_max_ms < c.retry_initial_ms)
		return fail(err, errlen, "%s: retry_max_ms is below "
			    "retry_initial_ms", name);
	c.n_urls = 1 + n_fallback;
	*out = c;
	return 0;
}

int agent_config_load(const char *path, struct agent_config *c, char *err,
		      size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len;
	char *text;
	int r;

	r = vms_read_file(path, CONF_MAX, &buf, &len);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, r == -EFBIG ?
			 "file too large" : strerror(-r));
		return r;
	}
	text = realloc(buf, len + 1);
	if (!text) {
		free(buf);
		return -ENOMEM;
	}
	text[len] = 0;
	if (strlen(text) != len) {
		free(text);
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -EINVAL;
	}
	r = agent_config_parse(text, path, c, err, errlen);
	free(text);
	return r;
}
