// SPDX-License-Identifier: GPL-2.0
/* log.c - vmshield-enclaved's structured log lines (vms_slog.h). */
#include <stdarg.h>

#include "enclave.h"
#include "vms_slog.h"

void vms_elog(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vms_slogv(VMS_ENCLAVE_PROG, level, event, fmt, ap);
	va_end(ap);
}
