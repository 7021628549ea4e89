/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_slog.h - one structured log line on stderr (the journal under
 * systemd, with a "<N>" priority prefix), the format every vmshield
 * daemon writes:
 *   PROG ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * One fprintf per line, so lines from threads never interleave. Callers
 * never pass key material.
 *
 * Errors are logged once, where the context is known, naming the step
 * that failed, and the error code is handed on:
 *
 *	r = vms_read_file(path, ...);
 *	if (r < 0)
 *		return log_errno(r, "keys", "step=\"reading the master key\" path=%s", path);
 *
 * (log_errno is each daemon's wrapper of vms_slog_errnov().)
 */
#ifndef VMS_SLOG_H
#define VMS_SLOG_H

#include <stdarg.h>
#include <stddef.h>

void vms_slogv(const char *prog, const char *level, const char *event,
	       const char *fmt, va_list ap);

/*
 * Levels, most severe first: error, warning, notice, info (the default
 * threshold), debug. Lines less severe than the threshold @level sets
 * are not written (--log-level); -EINVAL for an unknown name. Error lines
 * are always at or above any threshold. When stderr is the journal
 * ($JOURNAL_STREAM names it), every line starts with its syslog priority,
 * "<3>" (error) .. "<7>" (debug), which journald takes as the priority.
 */
int vms_slog_set_level(const char *level);

/*
 * An error line: level=error, the fields @fmt gives (the step that failed
 * and its context), then error="<strerror>". @err is a negative errno (a
 * positive one is read as its negation); the line is written even when it
 * must be cut short. Returns @err, so a caller can return what it logs.
 */
int vms_slog_errnov(const char *prog, int err, const char *event,
		    const char *fmt, va_list ap);

/*
 * Untrusted text as a log value, copied into @buf (@len bytes, at least
 * 1) and cut at @len - 1 bytes; a NULL or empty @s gives "-".
 *
 * vms_log_safe(): a bare key=value value: every byte but printable ASCII
 * (0x21-0x7e) other than '"', '\\' and '=' becomes '_', so a value can
 * neither end its field nor forge another (no space, no '=').
 *
 * vms_log_safe_quoted(): a value written between double quotes
 * (error="..."): spaces are kept; '"', '\\' and every byte outside
 * 0x20-0x7e become '_', so the value cannot end its quotes.
 *
 * Both return @buf, or the constant "-".
 */
const char *vms_log_safe(const char *s, char *buf, size_t len);
const char *vms_log_safe_quoted(const char *s, char *buf, size_t len);

#endif /* VMS_SLOG_H */
