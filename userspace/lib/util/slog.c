// SPDX-License-Identifier: GPL-2.0
/*
 * slog.c - structured log lines (vms_slog.h), shared by hgsd and hgs-agent.
 */
#include <stdio.h>
#include <time.h>

#include "vms_slog.h"

void vms_slogv(const char *prog, const char *level, const char *event,
	       const char *fmt, va_list ap)
{
	char line[1024], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s ts=%s level=%s event=%s ", prog,
		     ts, level, event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}
