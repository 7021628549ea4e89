// SPDX-License-Identifier: GPL-2.0
/*
 * jfield - print fields of one JSON document, for the fabric's guest-side
 * tests. Under TCG a jq 1.6 start costs the guest's one vCPU about a
 * second (it compiles its builtins at every start); the tests mostly read
 * plain fields, which this does in a plain C start.
 *
 *   jfield FILE|- PATH...
 *
 * PATH is dotted (a leading dot is allowed): "attestation.state",
 * "hgs.0.failures" (a number indexes an array), "." the whole document.
 * Each value is printed on one line: a string raw with its newlines as
 * spaces (one line a field, as the tests read them), anything else as
 * compact JSON. A PATH ending in "?" prints an empty line when the field
 * is missing or null; any other missing field is an error, exit 1, and
 * nothing is printed. Bad JSON or usage: exit 1 (2 for usage).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one component of a path: a key, or an index when the node is an array */
static json_t *step(json_t *node, const char *comp, size_t len)
{
	char key[256], *end;
	unsigned long idx;

	if (len == 0 || len >= sizeof(key))
		return NULL;
	memcpy(key, comp, len);
	key[len] = '\0';
	if (json_is_object(node))
		return json_object_get(node, key);
	if (!json_is_array(node) || key[0] < '0' || key[0] > '9')
		return NULL;
	errno = 0;
	idx = strtoul(key, &end, 10);
	if (errno || *end)
		return NULL;
	return json_array_get(node, idx);
}

/* the value at PATH (without its "?"), or NULL */
static json_t *lookup(json_t *root, const char *path, size_t plen)
{
	json_t *node = root;
	const char *p = path, *end = path + plen, *dot;

	if (p < end && *p == '.')
		p++;
	while (node && p < end) {
		dot = memchr(p, '.', end - p);
		if (!dot)
			dot = end;
		node = step(node, p, dot - p);
		p = dot + 1;
		if (dot + 1 == end)	/* a trailing dot names nothing */
			return NULL;
	}
	return node;
}

/* one value, one line */
static int print_value(FILE *out, json_t *v)
{
	const char *s;
	char *txt;

	if (json_is_string(v)) {
		for (s = json_string_value(v); *s; s++)
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
		fputc('\n', out);
		return 0;
	}
	txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
			    JSON_PRESERVE_ORDER);
	if (!txt)
		return -1;
	fprintf(out, "%s\n", txt);
	free(txt);
	return 0;
}

int main(int argc, char **argv)
{
	json_error_t err;
	json_t *root, **vals;
	size_t len;
	bool *opt;
	int i, n, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: jfield FILE|- PATH...\n");
		return 2;
	}
	if (strcmp(argv[1], "-") == 0)
		root = json_loadf(stdin, 0, &err);
	else
		root = json_load_file(argv[1], 0, &err);
	if (!root) {
		fprintf(stderr, "jfield: %s: bad JSON at line %d: %s\n",
			argv[1], err.line, err.text);
		return 1;
	}
	n = argc - 2;
	vals = calloc(n, sizeof(*vals));
	opt = calloc(n, sizeof(*opt));
	if (!vals || !opt) {
		fprintf(stderr, "jfield: out of memory\n");
		return 1;
	}
	/* all paths first: a missing one prints nothing at all */
	for (i = 0; i < n; i++) {
		const char *path = argv[i + 2];

		len = strlen(path);
		opt[i] = len > 0 && path[len - 1] == '?';
		if (opt[i])
			len--;
		vals[i] = len ? lookup(root, path, len) : NULL;
		if (!vals[i] && !opt[i]) {
			fprintf(stderr, "jfield: %s: no field %s\n",
				argv[1], path);
			rc = 1;
		}
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (opt[i] && (!vals[i] || json_is_null(vals[i])))
			fputc('\n', stdout);
		else if (print_value(stdout, vals[i]))
			rc = 1;
	}
	if (fflush(stdout) || ferror(stdout))
		rc = 1;
	free(vals);
	free(opt);
	json_decref(root);
	return rc;
}
