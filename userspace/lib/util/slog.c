// SPDX-License-Identifier: GPL-2.0
/*
 * slog.c - structured log lines (vms_slog.h), shared by hgsd and hgs-agent:
 * the line itself, the error line that names a failed step, and the one
 * way untrusted text becomes a log value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vms_compiler.h"
#include "vms_slog.h"

/* syslog priorities, as journald reads them from a "<N>" line prefix */
static const struct {
	const char *name;
	int prio;
} levels[] = {
	{ "error", 3 }, { "warning", 4 }, { "notice", 5 }, { "info", 6 },
	{ "debug", 7 },
};

static int max_prio = 6;	/* info and more severe */
static int journal = -1;	/* stderr is the journal: not yet known */

static int level_prio(const char *level)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (!strcmp(levels[i].name, level))
			return levels[i].prio;
	return -1;
}

int vms_slog_set_level(const char *level)
{
	int prio = level_prio(level);

	if (prio < 0)
		return -EINVAL;
	max_prio = prio;
	return 0;
}

/*
 * systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connects a
 * service's stderr to; when stderr is still that stream, lines carry the
 * "<N>" priority prefix (systemd.exec(5), SyslogLevelPrefix=).
 */
static int stderr_is_journal(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (journal >= 0)
		return journal;
	js = getenv("JOURNAL_STREAM");
	journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		  !fstat(2, &st) && st.st_dev == dev && st.st_ino == ino;
	return journal;
}

/* "[<N>]PROG ts=... level=LEVEL event=EVENT " into @line; its length, or -1. */
static int line_head(char *line, size_t size, const char *prog,
		     const char *level, const char *event)
{
	char ts[32], prefix[16] = "";
	struct tm tm;
	time_t now = time(NULL);
	int n, prio = level_prio(level);

	if (stderr_is_journal())
		snprintf(prefix, sizeof(prefix), "<%d>", prio < 0 ? 6 : prio);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, size, "%s%s ts=%s level=%s event=%s ", prefix, prog,
		     ts, level, event);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* 1 when a line of @level is written (--log-level). */
static int wanted(const char *level)
{
	int prio = level_prio(level);

	return (prio < 0 ? 6 : prio) <= max_prio;
}

void vms_slogv(const char *prog, const char *level, const char *event,
	       const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (!wanted(level))
		return;
	n = line_head(line, sizeof(line), prog, level, event);
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
