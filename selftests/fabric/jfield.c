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
 * "hgs.0.failures" (a number indexes an array), "." the whole document;
 * on an array, "*" goes on with every element ("keys.loaded_keys.*.vm_id")
 * and "[KEY=VALUE]" with every element whose KEY is VALUE (a string, or a
 * number's or a bool's JSON: "keys.loaded_keys[policy=shielded].serial").
 * Each value is printed on one line: a string raw with its newlines as
 * spaces (one line a field, as the tests read them), anything else as
 * compact JSON. A PATH ending in "?" prints an empty line when the field
 * is missing or null (under "*", for each element without it); any other missing field (or a filter no element
 * passes) is an error, exit 1, and nothing is printed. Bad JSON: exit 1;
 * usage: exit 2.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a key, or an index when the node is an array */
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

/* does element E pass the filter "KEY=VALUE" (F, LEN: inside the brackets) */
static bool passes(json_t *e, const char *f, size_t len)
{
	const char *eq = memchr(f, '=', len), *val;
	size_t vlen;
	json_t *v;
	char *txt;
	bool same;

	if (!eq || eq == f || !json_is_object(e))
		return false;
	v = step(e, f, eq - f);
	val = eq + 1;
	vlen = f + len - val;
	if (json_is_string(v))
		return json_string_length(v) == vlen &&
		       memcmp(json_string_value(v), val, vlen) == 0;
	if (!v || json_is_object(v) || json_is_array(v))
		return false;
	txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	same = txt && strlen(txt) == vlen && memcmp(txt, val, vlen) == 0;
	free(txt);
	return same;
}

static int print_value(FILE *out, json_t *v, bool opt);

/*
 * Print into OUT every value the path P..END names under NODE; -1 when
 * one is missing (the caller drops OUT). With OPT a missing field is an
 * empty line, so "checks.*.fix?" gives one line for every element.
 */
static int walk(json_t *node, const char *p, const char *end, FILE *out,
		bool opt)
{
	const char *c, *close;
	size_t i, hits = 0;
	json_t *e;

	while (p < end) {
		if (*p == '.' && ++p == end)
			return -1;	/* a trailing dot names nothing */
		if (*p == '*' || *p == '[') {
			if (!json_is_array(node))
				return -1;
			close = *p == '*' ? p : memchr(p, ']', end - p);
			if (!close)
				return -1;
			json_array_foreach(node, i, e) {
				if (*p == '[' && !passes(e, p + 1, close - p - 1))
					continue;
				if (walk(e, close + 1, end, out, opt))
					return -1;
				hits++;
			}
			return *p == '[' && !hits ? -1 : 0;
		}
		for (c = p; c < end && *c != '.' && *c != '[' && *c != '*'; c++)
			;
		node = step(node, p, c - p);
		if (!node && opt && c - p > 0)
			return fputc('\n', out) == EOF ? -1 : 0;
		if (!node)
			return -1;
		p = c;
	}
	return print_value(out, node, opt);
}

/* one value, one line; with OPT, null as an empty line */
static int print_value(FILE *out, json_t *v, bool opt)
{
	const char *s;
	char *txt;

	if (opt && json_is_null(v)) {
		fputc('\n', out);
		return 0;
	}
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

/* PATH's values, or with "?" an empty line, into OUT; -1 when missing */
static int field(json_t *root, const char *path, FILE *out)
{
	size_t len = strlen(path), blen;
	bool opt = len > 0 && path[len - 1] == '?';
	char *buf = NULL;
	FILE *one;
	int r;

	if (opt)
		len--;
	if (len == 0)
		return -1;
	if (path[0] == '.') {	/* a leading dot; "." alone: the document */
		path++;
		len--;
	}
	one = open_memstream(&buf, &blen);
	if (!one)
		return -1;
	r = walk(root, path, path + len, one, opt);
	if (fclose(one))
		r = -1;
	if (r == 0)
		fwrite(buf, 1, blen, out);
	else if (opt)
		fputc('\n', out);
	free(buf);
	return r == 0 || opt ? 0 : -1;
}

int main(int argc, char **argv)
{
	json_error_t err;
	char *buf = NULL;
	size_t blen;
	json_t *root;
	FILE *out;
	int i, rc = 0;

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
	/* all paths first: when one is missing nothing is printed */
	out = open_memstream(&buf, &blen);
	if (!out) {
		json_decref(root);
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if (field(root, argv[i], out)) {
			fprintf(stderr, "jfield: %s: no field %s\n",
				argv[1], argv[i]);
			rc = 1;
		}
	}
	if (fclose(out))
		rc = 1;
	if (rc == 0 && fwrite(buf, 1, blen, stdout) != blen)
		rc = 1;
	if (fflush(stdout) || ferror(stdout))
		rc = 1;
	free(buf);
	json_decref(root);
	return rc;
}
