// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - structured log lines on stderr (the journal under systemd):
 *   hgs-agent ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One line per event, written with a single call so threads do not
 * interleave. Callers never pass key material, KPs or certificates.
 */
#include <stdarg.h>
#include <stdio.h>

#include "agent.h"

void alog(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vms_slogv("hgs-agent", level, event, fmt, ap);
	va_end(ap);
}

int alog_errno(int err, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vms_slog_errnov("hgs-agent", err, event, fmt, ap);
	va_end(ap);
	return err;
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
