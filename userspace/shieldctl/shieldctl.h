/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shieldctl.h - what main.c dispatches to, and what the command families
 * share: error reporting, the option parser and subcommand tables.
 */
#ifndef SHIELDCTL_H
#define SHIELDCTL_H

#include <stddef.h>
#include <stdio.h>

#include "vms_cleanup.h"
#include "vms_compiler.h"
#include "vms_exit.h"

/*
 * A command family: `shieldctl NAME ...` runs main(argc, argv) with
 * argv[0] = NAME. Returns the process exit code.
 */
struct shieldctl_family {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

int shieldctl_crypto_main(int argc, char **argv);
int shieldctl_host_main(int argc, char **argv);
int shieldctl_hgs_main(int argc, char **argv);
int shieldctl_vm_main(int argc, char **argv);
int shieldctl_guardian_main(int argc, char **argv);
int shieldctl_kp_main(int argc, char **argv);
int shieldctl_diagnose_main(int argc, char **argv);
int shieldctl_tpm_main(int argc, char **argv);

/*
 * The option parser of the hgs, guardian, kp and tpm families (subcmd.c):
 * "--name value" / "--flag" options from @opts (NULL-terminated), the
 * rest positional (exactly @npos of them, into @pos). @vals[i] is the
 * value of opts[i] (the last one for a multi option; NULL if absent).
 * Returns 0, or 1 after printing what is wrong.
 */
struct shieldctl_opt {
	const char *name;
	int has_value;
	int multi;
};

int shieldctl_opts(const char *what, int argc, char **argv,
		   const struct shieldctl_opt *opts, const char **vals,
		   const char **pos, int npos);

/*
 * A repeatable option's value at argv[*@i]: "--@name VALUE" (then *@i
 * moves to the value) or "--@name=VALUE"; NULL if argv[*@i] is not it.
 * For the options shieldctl_opts() keeps only the last of.
 */
const char *shieldctl_multi_value(int argc, char **argv, int *i, const char *name);

struct shieldctl_call;

/*
 * One subcommand of a family. A family's table of these is both its
 * dispatch and its usage text, so the two cannot drift apart.
 *
 * @name is the words that select it, each a '|' list of the words it
 * accepts ("show", "grant|revoke", "host disable|enable|remove"); it is
 * chosen when the command line's first positional words match them and
 * @min_args to @max_args positional words follow. @args is the synopsis
 * printed after the name ('\n' continues it on the next line), @summary
 * what it does (one line per '\n'; may be empty). @run returns the exit
 * code and prints its own failure (shieldctl_fail).
 */
struct shieldctl_cmd {
	const char *name;
	const char *args;
	const char *summary;
	unsigned int min_args, max_args;
	int (*run)(const struct shieldctl_call *c);
};

/* What a subcommand runs with. */
struct shieldctl_call {
	const struct shieldctl_cmd *cmd;
	const char *what;		/* "kp grant": every message's prefix */
	const char *const *words;	/* the words that chose @cmd */
	const char *const *args;	/* the positional words after them */
	unsigned int nargs;
	const char *const *v;		/* option values, by the family's enum */
	const void *family;		/* the family's own state, or NULL */
};

/*
 * The first of @cmds whose name matches the positional words @pos[0..
 * @npos) and whose argument count fits; fills @c (@what points into
 * @what_buf: "@family WORDS..."). NULL if none does.
 */
const struct shieldctl_cmd *
shieldctl_cmd_find(const struct shieldctl_cmd *cmds, size_t n,
		   const char *family, const char *const *pos,
		   unsigned int npos, struct shieldctl_call *c,
		   char *what_buf, size_t what_len);

/*
 * Usage text from a table:
 *   synopses: "Usage: shieldctl FAMILY NAME ARGS", then "       ..." for
 *             each further command;
 *   list:     "  NAME ARGS" (@with_args; else "  NAME") with the summary
 *             at column @col, on the next line when the left part leaves
 *             less than two spaces before it.
 */
void shieldctl_usage_synopses(FILE *f, const char *family,
			      const struct shieldctl_cmd *cmds, size_t n);
void shieldctl_usage_list(FILE *f, const struct shieldctl_cmd *cmds,
			  size_t n, int col, int with_args);

/* guardian_cmd.c: a guardian-file error for people. */
const char *shieldctl_guardian_strerror(int r);

/*
 * guardian_cmd.c: the first line of a password file, NUL-terminated, into
 * @pw (wipe it with vms_secret_free; a NULL @path leaves pw->p NULL).
 * -EINVAL for an empty first line or a file over 255 bytes.
 */
int shieldctl_read_password(const char *path, struct vms_secret *pw);

/*
 * Print "shieldctl WHAT: message" to stderr (with --json anywhere on the
 * command line, one JSON object instead: status, command, exit, error);
 * returns 1, the exit code of every failure. Never pass key material.
 */
int shieldctl_fail(const char *what, const char *fmt, ...)
	__printf(2, 3);
/*
 * The same for a usage error (returns 2: an unknown option, a missing
 * argument) and for a service that cannot be reached (returns 3: hgsd,
 * HGS, hgs-agent). shieldctl exits with the first status reported, so a
 * caller may still return 1 (vms_exit.h has the table).
 */
int shieldctl_usage_error(const char *what, const char *fmt, ...)
	__printf(2, 3);
int shieldctl_unreachable(const char *what, const char *fmt, ...)
	__printf(2, 3);
/* A family's usage on stderr (with --json: a JSON error) for bad words; returns 2. */
int shieldctl_usage_exit(const char *what, void (*usage_fn)(FILE *f));

/* Why a write that never replaces a file (VMS_WRITE_NOCLOBBER) failed. */
const char *shieldctl_write_strerror(int r);

#endif /* SHIELDCTL_H */
