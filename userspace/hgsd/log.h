/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - hgsd's structured log lines on stderr (log.c over
 * lib/util/slog.c):
 *   hgsd ts=2026-01-01T00:00:00Z level=info event=attest host=h1 ...
 * Included by every part of hgsd that logs. Callers never pass key
 * material; untrusted text goes through log_safe() first.
 */
#ifndef HGSD_LOG_H
#define HGSD_LOG_H

#include "vms_compiler.h"
#include "vms_slog.h"

void hlog(const char *level, const char *event, const char *fmt, ...)
	__printf(3, 4);
#define log_info(ev, ...)	hlog("info", ev, __VA_ARGS__)
#define log_warn(ev, ...)	hlog("warning", ev, __VA_ARGS__)
#define log_err(ev, ...)	hlog("error", ev, __VA_ARGS__)

/*
 * The error line of a step that failed, logged once where the context is
 * known; returns @err (a negative errno) for the caller to hand on:
 *	return log_errno(r, "keys", "step=\"reading the signer key\" path=%s", p);
 * writes ... level=error event=keys step="..." path=... error="<strerror>".
 */
int hlog_errno(int err, const char *event, const char *fmt, ...)
	__printf(3, 4);
#define log_errno(err, ev, ...)	hlog_errno(err, ev, __VA_ARGS__)

/* A bare key=value value (vms_log_safe(): no space, quote, '=' or '\\'). */
#define log_safe(s, buf, len)	vms_log_safe(s, buf, len)

#endif /* HGSD_LOG_H */
