/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_conf_parse.h - the project's "key = value" configuration files
 * (hgsd.conf, hgs-agent.conf): one setting a line, '#' comments, blank
 * lines, spaces around the key and value ignored, CRLF accepted.
 *
 * The reader splits lines and reports errors as "FILE:LINE: what is wrong";
 * the daemon's setter decides what each key means and, when it refuses a
 * value, says what the value must be. Number and path values go through
 * the strict helpers below so both daemons refuse the same things.
 */
#ifndef VMS_CONF_PARSE_H
#define VMS_CONF_PARSE_H

#include <stddef.h>

#include "vms_compiler.h"

/* Room a setter has to say what a refused value must be. */
#define VMS_CONF_WHY_MAX	192

/*
 * Called for each "key = value" line, in file order. Returns 0; -ENOENT
 * for a key it does not know; -EEXIST for a key that may appear once and
 * did already; -EINVAL for a bad value, with @why saying what the value
 * must be (vms_conf_bad() fills it).
 */
typedef int (*vms_conf_set_fn)(void *ctx, const char *key, const char *value,
			       char *why);

struct vms_conf_parser {
	vms_conf_set_fn set;
	void *ctx;
	const char *doc;	/* where every key is documented */
};

/*
 * Parse @text (the contents of @name) line by line through @p->set. On an
 * error, @err holds "NAME:LINE: ..." and the result is -EINVAL (-ENOMEM
 * if out of memory); lines before it have been applied, so parse into a
 * copy and keep it only on success.
 */
int vms_conf_parse(const struct vms_conf_parser *p, const char *text,
		   const char *name, char *err, size_t errlen);

/*
 * Read @path (at most 64 KiB, no NUL bytes) and parse it. A read error is
 * returned as its negative errno with @err naming @path.
 */
int vms_conf_load(const struct vms_conf_parser *p, const char *path,
		  char *err, size_t errlen);

/* Fill @why (VMS_CONF_WHY_MAX bytes) from @fmt; returns -EINVAL. */
int vms_conf_bad(char *why, const char *fmt, ...)
	__printf(2, 3);

/*
 * A whole number from @min to @max: decimal digits only, so a sign, a
 * leading or trailing space, a unit or an empty value is -EINVAL, with
 * @why saying so. @out is written only on success.
 */
int vms_conf_uint(const char *v, unsigned long min, unsigned long max,
		  unsigned long *out, char *why);

/* An absolute path that fits @size bytes with its NUL, copied to @dst. */
int vms_conf_path(char *dst, size_t size, const char *v, char *why);

#endif /* VMS_CONF_PARSE_H */
