// SPDX-License-Identifier: GPL-2.0
/*
 * slog.c - structured log lines (vms_slog.h), shared by hgsd and hgs-agent:
 * the line itself, the error line that names a failed step, and the one
 * way untrusted text becomes a log value.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vms_slog.h"

/* "PROG ts=... level=LEVEL event=EVENT " into @line; its length, or -1. */
static int line_head(char *line, size_t size, const char *prog,
		     const char *level, const char *event)
{
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, size, "%s ts=%s level=%s event=%s ", prog, ts,
		     level, event);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

void vms_slogv(const char *prog, const char *level, const char *event,
	       const char *fmt, va_list ap)
{
	char line[1024];
	int n = line_head(line, sizeof(line), prog, level, event);

	if (n < 0)
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

int vms_slog_errnov(const char *prog, int err, const char *event,
		    const char *fmt, va_list ap)
{
	char line[1024], why[128];
	int e = err < 0 ? -err : err;
	int n = line_head(line, sizeof(line), prog, "error", event);
	size_t used, tail;

	if (n < 0)
		return err;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	vms_log_safe_quoted(strerror(e), why, sizeof(why));
	/* the error always fits: cut the step's fields short if need be */
	tail = strlen(why) + sizeof(" error=\"\"");
	used = strlen(line);
	if (used + tail > sizeof(line))
		used = sizeof(line) - tail;
	snprintf(line + used, sizeof(line) - used, " error=\"%s\"", why);
	fprintf(stderr, "%s\n", line);
	return err;
}

/* @s into @buf with every byte that @keep refuses replaced by '_'. */
static const char *log_value(const char *s, char *buf, size_t len,
			     int (*keep)(unsigned char c))
{
	size_t i;

	if (!s || !len)
		return "-";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = keep((unsigned char)s[i]) ? s[i] : '_';
	buf[i] = 0;
	return i ? buf : "-";
}

static int keep_bare(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

static int keep_quoted(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

const char *vms_log_safe(const char *s, char *buf, size_t len)
{
	return log_value(s, buf, len, keep_bare);
}

const char *vms_log_safe_quoted(const char *s, char *buf, size_t len)
{
	return log_value(s, buf, len, keep_quoted);
}
