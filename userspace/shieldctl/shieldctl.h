/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shieldctl.h - what main.c dispatches to, and the helpers every command
 * family shares: error reporting and cleanup attributes.
 */
#ifndef SHIELDCTL_H
#define SHIELDCTL_H

#include <stdint.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "vms_cleanup.h"
#include "vms_compiler.h"

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
int shieldctl_guardian_main(int argc, char **argv);
int shieldctl_kp_main(int argc, char **argv);
int shieldctl_diagnose_main(int argc, char **argv);
int shieldctl_tpm_main(int argc, char **argv);

/*
 * The option parser of the hgs, guardian and kp families (hgs_cmd.c):
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

/* guardian_cmd.c: first line of a password file (NULL path: ""). */
int shieldctl_read_password(const char *path, char *out, size_t len);
/* guardian_cmd.c: a guardian-file error for people. */
const char *shieldctl_guardian_strerror(int r);

int shieldctl_opts(const char *what, int argc, char **argv,
		   const struct shieldctl_opt *opts, const char **vals,
		   const char **pos, int npos);

/*
 * Print "shieldctl WHAT: message" to stderr; returns 1, the exit code of
 * every failure. Never pass key material.
 */
int shieldctl_fail(const char *what, const char *fmt, ...)
	__printf(2, 3);

/* A heap secret wiped and freed when it goes out of scope. */
struct secret_buf {
	uint8_t *p;
	size_t len;
};

static inline void secret_buf_free(struct secret_buf *s)
{
	if (s->p)
		OPENSSL_clear_free(s->p, s->len ? s->len : 1);
	s->p = NULL;
	s->len = 0;
}

/* A 32-byte key on the stack, wiped when it goes out of scope. */
struct key32 {
	uint8_t b[32];
};

static inline void key32_wipe(struct key32 *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

#endif /* SHIELDCTL_H */
