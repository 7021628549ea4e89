/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_tpm_cmdline.h - the kernel command line a measuring boot loader
 * logged on PCR 8, read as the kernel reads it.
 *
 * GRUB (its tpm module) measures the line it passes to the kernel as an
 * EV_IPL event on PCR 8 whose data is "kernel_cmdline: " followed by the
 * line and a NUL, and whose digest is SHA-256 of the line alone; the line
 * starts with the kernel's path, which the kernel gets as BOOT_IMAGE=.
 * The event log parser (vms_tpm_eventlog.h) keeps that line; this file
 * reads parameters from it with the kernel's own rules (kernel/params.c):
 * words split at white space outside double quotes, one pair of quotes
 * around a word or a value dropped, and "--" ends the kernel's
 * parameters (what follows goes to init).
 */
#ifndef VMS_TPM_CMDLINE_H
#define VMS_TPM_CMDLINE_H

#include <stddef.h>

/*
 * Call @fn for every kernel parameter of @line after the first word (the
 * kernel's path), in order, with @val NULL for a word without '='; stop
 * at "--" or when @fn returns non-zero (returned). 0 at the end; -E2BIG
 * for a line over 4096 bytes, -ENOMEM.
 */
int vms_kcmdline_each(const char *line,
		      int (*fn)(const char *param, const char *val, void *ctx),
		      void *ctx);

/*
 * The lockdown level the kernel takes from @line: VMSHIELD_LOCKDOWN_* (the
 * highest lockdown=integrity|confidentiality; other values are ignored,
 * as the kernel ignores them), or a negative errno of vms_kcmdline_each().
 */
int vms_kcmdline_lockdown(const char *line);

#define VMS_KCMDLINE_VALUE_MAX	33

/*
 * IMA's appraisal mode as @line sets it: 1 if every ima_appraise= value
 * on it is "enforce" (or there is none: enforcing is the kernel's
 * default), 0 if one weakens it (off, log, fix, or anything else: the
 * kernel matches values by prefix, so only "enforce..." is believed);
 * @bad then holds the first such value, cut to 32 bytes ("" otherwise).
 * Negative errno of vms_kcmdline_each().
 */
int vms_kcmdline_ima_enforced(const char *line,
			      char bad[VMS_KCMDLINE_VALUE_MAX]);

#endif /* VMS_TPM_CMDLINE_H */
