// SPDX-License-Identifier: GPL-2.0
/*
 * conf_parse.c - the "key = value" configuration file reader hgsd and
 * hgs-agent share (vms_conf_parse.h), and its strict number and path
 * value checks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vms_compiler.h"
#include "vms_conf_parse.h"
#include "vms_fileio.h"

#define CONF_FILE_MAX	(64u << 10)
#define KEY_SHOWN_MAX	48

static int conf_fail(char *err, size_t errlen, const char *fmt, ...)
	__printf(3, 4);
static int conf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vms_conf_bad(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, VMS_CONF_WHY_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* An unknown key came from the file: show it printable and short. */
static const char *shown_key(const char *k, char buf[KEY_SHOWN_MAX])
{
	size_t i;

	for (i = 0; k[i] && i + 1 < KEY_SHOWN_MAX; i++)
		buf[i] = (k[i] >= 0x20 && k[i] < 0x7f) ? k[i] : '_';
	buf[i] = 0;
	return buf;
}

static int parse_line(const struct vms_conf_parser *p, char *line,
		      const char *name, unsigned int lineno, char *err,
		      size_t errlen)
{
	char why[VMS_CONF_WHY_MAX] = "", shown[KEY_SHOWN_MAX];
	char *k = trim(line), *v, *eq;
	int r;

	if (!*k || *k == '#')
		return 0;
	eq = strchr(k, '=');
	if (!eq)
		return conf_fail(err, errlen,
				 "%s:%u: expected 'key = value' (or a '#' comment)",
				 name, lineno);
	*eq = 0;
	v = trim(eq + 1);
	k = trim(k);
	if (!*k)	/* found by fuzz_conf: "= value" reached the setter */
		return conf_fail(err, errlen, "%s:%u: no key before '='", name, lineno);
	r = p->set(p->ctx, k, v, why);
	if (r == -ENOENT)
		return conf_fail(err, errlen,
				 "%s:%u: unknown key '%s' (%s lists every key)",
				 name, lineno, shown_key(k, shown), p->doc);
	if (r == -EEXIST)
		return conf_fail(err, errlen,
				 "%s:%u: '%s' given twice (keep one)",
				 name, lineno, shown_key(k, shown));
	if (r)
		return conf_fail(err, errlen, "%s:%u: bad value for '%s': %s",
				 name, lineno, k, why[0] ? why : "see the docs");
	return 0;
}

int vms_conf_parse(const struct vms_conf_parser *p, const char *text,
		   const char *name, char *err, size_t errlen)
{
	char *copy = strdup(text), *line, *next;
	unsigned int lineno = 0;
	int r = 0;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	for (line = copy; !r && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else if (!*line)
			break;	/* the file ended with a newline */
		r = parse_line(p, line, name, ++lineno, err, errlen);
	}
	free(copy);
	return r;
}

int vms_conf_load(const struct vms_conf_parser *p, const char *path,
		  char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len;
	char *text;
	int r;

	r = vms_read_file(path, CONF_FILE_MAX, &buf, &len);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, r == -EFBIG ?
			 "file too large (at most 64 KiB)" : strerror(-r));
		return r;
	}
	text = realloc(buf, len + 1);
	if (!text) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	text[len] = 0;
	if (strlen(text) != len) {
		free(text);
		return conf_fail(err, errlen,
				 "%s: contains a NUL byte (a config file is text)",
				 path);
	}
	r = vms_conf_parse(p, text, path, err, errlen);
	free(text);
	return r;
}

int vms_conf_uint(const char *v, unsigned long min, unsigned long max,
		  unsigned long *out, char *why)
{
	unsigned long x;
	char *end;

	/* strtoul alone would skip spaces and take a sign */
	if (*v >= '0' && *v <= '9') {
		errno = 0;
		x = strtoul(v, &end, 10);
		if (!errno && !*end && x >= min && x <= max) {
			*out = x;
			return 0;
		}
	}
	return vms_conf_bad(why,
			    "must be a whole number from %lu to %lu, digits only (no sign, space or unit)",
			    min, max);
}

int vms_conf_path(char *dst, size_t size, const char *v, char *why)
{
	if (v[0] != '/' || strlen(v) >= size)
		return vms_conf_bad(why,
				    "must be an absolute path shorter than %zu bytes",
				    size);
	strcpy(dst, v);
	return 0;
}
