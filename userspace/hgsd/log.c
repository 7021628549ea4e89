// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - structured log lines on stderr:
 *   hgsd ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One line per event, written with a single call so threads do not
 * interleave. Callers never pass key material.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hgsd.h"
#include "vms_slog.h"

void hlog(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vms_slogv("hgsd", level, event, fmt, ap);
	va_end(ap);
}

const char *log_safe(const char *s, char *buf, size_t len)
{
	size_t i;

	if (!s)
		return "-";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (s[i] > 0x20 && s[i] < 0x7f && s[i] != '"' &&
			  s[i] != '=') ? s[i] : '_';
	buf[i] = 0;
	return i ? buf : "-";
}
