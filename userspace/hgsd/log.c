// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - structured log lines on stderr (log.h):
 *   hgsd ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One line per event, written with a single call so threads do not
 * interleave. Callers never pass key material.
 */
#include <stdarg.h>

#include "log.h"

void hlog(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vms_slogv("hgsd", level, event, fmt, ap);
	va_end(ap);
}

int hlog_errno(int err, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vms_slog_errnov("hgsd", err, event, fmt, ap);
	va_end(ap);
	return err;
}
