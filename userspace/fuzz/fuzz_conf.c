// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_conf - libFuzzer harness: the "key = value" configuration parser
 * (lib/util/conf_parse.c) behind hgsd.conf, hgs-agent.conf and the
 * worker's files. Every key and value handed to the setter is a
 * NUL-terminated string inside what was read; an error always says where.
 * Seeds: corpus/fuzz_conf/ (the shipped example configurations).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vms_conf_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t size, lines;
};

static int set(void *ctx, const char *key, const char *value, char *why)
{
	struct seen *s = ctx;

	if (strlen(key) > s->size || strlen(value) > s->size || !*key)
		abort();
	s->lines++;
	/* one key refused by value, one unknown: both error paths run */
	if (!strcmp(key, "bad")) {
		vms_conf_bad(why, "anything but this");
		return -EINVAL;
	}
	return strcmp(key, "unknown") ? 0 : -ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { .size = size };
	struct vms_conf_parser p = { .set = set, .ctx = &s, .doc = "fuzz" };
	char err[256], *text = malloc(size + 1);
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	err[0] = 0;
	r = vms_conf_parse(&p, text, "fuzz.conf", err, sizeof(err));
	if (r && r != -ENOMEM && strncmp(err, "fuzz.conf:", 10))
		abort();	/* an error names the file and line */
	free(text);
	return 0;
}
