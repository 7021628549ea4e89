/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_slog.h - one structured log line on stderr (the journal under
 * systemd), the format every vmshield daemon writes:
 *   PROG ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One fprintf per line, so lines from threads never interleave. Callers
 * never pass key material.
 */
#ifndef VMS_SLOG_H
#define VMS_SLOG_H

#include <stdarg.h>

void vms_slogv(const char *prog, const char *level, const char *event,
	       const char *fmt, va_list ap);

#endif /* VMS_SLOG_H */
