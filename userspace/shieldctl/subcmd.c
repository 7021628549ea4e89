// SPDX-License-Identifier: GPL-2.0
/*
 * subcmd.c - what the hgs, guardian, kp and tpm families share: the
 * "--name value" option parser, and subcommand tables (struct
 * shieldctl_cmd), which give both the dispatch and the usage text.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "shieldctl.h"

int shieldctl_opts(const char *what, int argc, char **argv,
		   const struct shieldctl_opt *opts, const char **vals,
		   const char **pos, int npos)
{
	const char *eq;
	size_t nlen;
	int i, j, np = 0;

	for (i = 0; opts[i].name; i++)
		vals[i] = NULL;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2)) {
			if (np == npos)
				return shieldctl_usage_error(what, "unexpected argument '%s'", argv[i]);
			pos[np++] = argv[i];
			continue;
		}
		eq = strchr(argv[i], '=');	/* --name=value */
		nlen = eq ? (size_t)(eq - argv[i] - 2) : strlen(argv[i] + 2);
		for (j = 0; opts[j].name && (strlen(opts[j].name) != nlen ||
					     strncmp(opts[j].name, argv[i] + 2, nlen)); j++)
			;
		if (!opts[j].name)
			return shieldctl_usage_error(what, "unknown option '%s'; see 'shieldctl %s --help'",
					      argv[i], what);
		if (!opts[j].has_value) {
			if (eq)
				return shieldctl_usage_error(what, "option '%.*s' takes no value",
							     (int)(nlen + 2), argv[i]);
			vals[j] = "1";
			continue;
		}
		if (eq) {
			if (vals[j] && !opts[j].multi)
				return shieldctl_usage_error(what, "option '%.*s' given twice",
							     (int)(nlen + 2), argv[i]);
			vals[j] = eq + 1;
			continue;
		}
		if (i + 1 >= argc)
			return shieldctl_usage_error(what, "option '%s' needs a value", argv[i]);
		if (vals[j] && !opts[j].multi)
			return shieldctl_usage_error(what, "option '%s' given twice", argv[i]);
		vals[j] = argv[++i];
	}
	if (np < npos)
		return shieldctl_usage_error(what, "missing argument; see 'shieldctl %s --help'", what);
	return 0;
}

const char *shieldctl_multi_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, "--", 2) || strncmp(a + 2, name, len))
		return NULL;
	if (a[2 + len] == '=')
		return a + 3 + len;
	if (a[2 + len] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* 1 when @word is one of the '|' alternatives in @alts[0..@alts_len). */
static int word_in(const char *word, const char *alts, size_t alts_len)
{
	size_t wlen = strlen(word);
	const char *end = alts + alts_len;

	while (alts < end) {
		const char *bar = memchr(alts, '|', (size_t)(end - alts));
		size_t len = bar ? (size_t)(bar - alts) : (size_t)(end - alts);

		if (len == wlen && !memcmp(alts, word, len))
			return 1;
		alts += len + 1;
	}
	return 0;
}

/* The number of words of @name if they match @pos[0..@npos), else 0. */
static unsigned int name_matches(const char *name, const char *const *pos,
				 unsigned int npos)
{
	unsigned int k = 0;

	while (*name) {
		size_t len = strcspn(name, " ");

		if (k == npos || !word_in(pos[k], name, len))
			return 0;
		k++;
		name += len;
		name += strspn(name, " ");
	}
	return k;
}

const struct shieldctl_cmd *
shieldctl_cmd_find(const struct shieldctl_cmd *cmds, size_t n,
		   const char *family, const char *const *pos,
		   unsigned int npos, struct shieldctl_call *c,
		   char *what_buf, size_t what_len)
{
	size_t i, o;
	unsigned int k, w;

	for (i = 0; i < n; i++) {
		k = name_matches(cmds[i].name, pos, npos);
		if (!k || npos - k < cmds[i].min_args || npos - k > cmds[i].max_args)
			continue;
		o = (size_t)snprintf(what_buf, what_len, "%s", family);
		for (w = 0; w < k && o < what_len; w++)
			o += (size_t)snprintf(what_buf + o, what_len - o, " %s", pos[w]);
		memset(c, 0, sizeof(*c));
		c->cmd = &cmds[i];
		c->what = what_buf;
		c->words = pos;
		c->args = pos + k;
		c->nargs = npos - k;
		return &cmds[i];
	}
	return NULL;
}

/* @text, each '\n' followed by @indent spaces. */
static void put_indented(FILE *f, const char *text, int indent)
{
	for (; *text; text++) {
		fputc(*text, f);
		if (*text == '\n')
			fprintf(f, "%*s", indent, "");
	}
}

void shieldctl_usage_synopses(FILE *f, const char *family,
			      const struct shieldctl_cmd *cmds, size_t n)
{
	size_t i;
	int col;

	for (i = 0; i < n; i++) {
		col = fprintf(f, "%s shieldctl %s %s ", i ? "      " : "Usage:",
			      family, cmds[i].name);
		put_indented(f, cmds[i].args, col);
		fputc('\n', f);
	}
}

void shieldctl_usage_list(FILE *f, const struct shieldctl_cmd *cmds,
			  size_t n, int col, int with_args)
{
	const char *args;
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		args = with_args ? cmds[i].args : "";
		assert(!strchr(args, '\n'));
		len = fprintf(f, "  %s%s%s", cmds[i].name, *args ? " " : "", args);
		if (!*cmds[i].summary) {
			fputc('\n', f);
			continue;
		}
		if (len + 2 > col)
			fprintf(f, "\n%*s", col, "");
		else
			fprintf(f, "%*s", col - len, "");
		put_indented(f, cmds[i].summary, col);
		fputc('\n', f);
	}
}
