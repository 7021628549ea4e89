// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - structured log lines on stderr (the journal under systemd):
 *   hgs-agent ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One line per event, written with a single call so threads do not
 * interleave. Callers never pass key material, KPs or certificates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "vms_slog.h"

void alog(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vms_slogv("hgs-agent", level, event, fmt, ap);
	va_end(ap);
}

const char *log_safe(const char *s, char *buf, size_t len)
{
	size_t i;

	if (!s)
		return "-";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
			  s[i] != '\\') ? s[i] : '_';
	buf[i] = 0;
	return i ? buf : "-";
}

void agent_fail_set(struct agent_fail *f, const char *source,
		    const char *substatus, int err, const char *fmt, ...)
{
	va_list ap;

	snprintf(f->source, sizeof(f->source), "%s", source);
	snprintf(f->substatus, sizeof(f->substatus), "%s", substatus);
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}
