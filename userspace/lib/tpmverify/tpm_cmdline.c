// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_cmdline.c - parameters of a measured kernel command line, split
 * and unquoted as the kernel does (kernel/params.c). See vms_tpm_cmdline.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vmshield.h>

#include "vms_tpm_cmdline.h"

#define CMDLINE_MAX	4096

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

static char *skip_spaces(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

/*
 * One word of @args, cut in place into @param and @val (NULL without
 * '='), quotes dropped as the kernel drops them; returns the rest.
 */
static char *next_word(char *args, char **param, char **val)
{
	size_t i, equals = 0;
	int in_quote = 0, quoted = 0;

	if (*args == '"') {
		args++;
		in_quote = 1;
		quoted = 1;
	}
	for (i = 0; args[i]; i++) {
		if (is_space(args[i]) && !in_quote)
			break;
		if (!equals && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	*val = NULL;
	if (equals) {
		args[equals] = 0;
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = 0;
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = 0;
	if (args[i]) {
		args[i] = 0;
		args += i + 1;
	} else {
		args += i;
	}
	return skip_spaces(args);
}

int vms_kcmdline_each(const char *line,
		      int (*fn)(const char *param, const char *val, void *ctx),
		      void *ctx)
{
	char *copy, *args, *param, *val;
	size_t len = strnlen(line, CMDLINE_MAX + 1);
	int first = 1, ret = 0;

	if (len > CMDLINE_MAX)
		return -E2BIG;
	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	args = skip_spaces(copy);
	while (*args && !ret) {
		args = next_word(args, &param, &val);
		if (first) {
			/* the kernel's path: BOOT_IMAGE=<it> to the kernel */
			first = 0;
			continue;
		}
		if (!val && !strcmp(param, "--"))
			break;
		ret = fn(param, val, ctx);
	}
	free(copy);
	return ret;
}

static int take_lockdown(const char *param, const char *val, void *ctx)
{
	int *level = ctx;

	if (strcmp(param, "lockdown") || !val)
		return 0;
	/* the kernel only ever raises the level: the highest one holds */
	if (!strcmp(val, "confidentiality"))
		*level = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	else if (!strcmp(val, "integrity") &&
		 *level < VMSHIELD_LOCKDOWN_INTEGRITY)
		*level = VMSHIELD_LOCKDOWN_INTEGRITY;
	return 0;
}

int vms_kcmdline_lockdown(const char *line)
{
	int level = VMSHIELD_LOCKDOWN_NONE;
	int ret = vms_kcmdline_each(line, take_lockdown, &level);

	return ret ? ret : level;
}

static int find_weak_appraise(const char *param, const char *val, void *ctx)
{
	char *bad = ctx;

	if (strcmp(param, "ima_appraise") ||
	    (val && !strncmp(val, "enforce", 7)))
		return 0;
	snprintf(bad, VMS_KCMDLINE_VALUE_MAX, "%s", val ? val : "");
	return 1;
}

int vms_kcmdline_ima_enforced(const char *line,
			      char bad[VMS_KCMDLINE_VALUE_MAX])
{
	int ret;

	bad[0] = 0;
	ret = vms_kcmdline_each(line, find_weak_appraise, bad);
	return ret < 0 ? ret : !ret;
}
