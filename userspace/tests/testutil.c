// SPDX-License-Identifier: GPL-2.0
/*
 * testutil.c - shared test helpers: fixed ids, running tools, and the
 * stack scanner behind the "secrets are wiped" tests.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <openssl/rand.h>

#include "testutil.h"

const u8 t_vm_id[16] = {
	0x6f, 0x1c, 0x2a, 0x5e, 0x93, 0x0d, 0x4b, 0x71,
	0x8a, 0x42, 0x0c, 0x5d, 0xe1, 0x77, 0x30, 0x9b,
};
const u8 t_key_id[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
const u8 t_other_id[16] = {
	0x6f, 0x1c, 0x2a, 0x5e, 0x93, 0x0d, 0x4b, 0x71,
	0x8a, 0x42, 0x0c, 0x5d, 0xe1, 0x77, 0x30, 0x9c,
};
const u8 t_low_order[32] = {
	0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae,
	0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
	0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd,
	0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
};
const u8 t_zero32[32];

extern char **environ;

int t_run(const char *fmt, ...)
{
	char cmd[16384], *argv[64], *save = NULL, *tok;
	posix_spawn_file_actions_t fa;
	va_list ap;
	int n = 0, st;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(cmd, " ", &save); tok && n < 63;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (!n)
		return 127;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "tools.log",
					 O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return 127;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) != pid)
		return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A cmocka glob from @f: as is with '*' or '?', else *@f* (static @buf). */
static const char *t_glob(const char *f, char *buf, size_t len)
{
	if (strpbrk(f, "*?"))
		snprintf(buf, len, "%s", f);
	else
		snprintf(buf, len, "*%s*", f);
	return buf;
}

void t_test_filter(int argc, char **argv)
{
	/* cmocka keeps the pointers: the globs are static */
	static char run[256], skip[256];
	const char *f = argc > 1 ? argv[1] : getenv("VMS_TEST_FILTER");
	const char *s = getenv("VMS_TEST_SKIP");

	if (argc > 2 || (f && f[0] == '-')) {
		fprintf(stderr, "usage: %s [TEST-NAME-GLOB]  (or VMS_TEST_FILTER=GLOB; VMS_TEST_SKIP=GLOB)\n",
			argv[0]);
		exit(2);
	}
	if (f && *f)
		cmocka_set_test_filter(t_glob(f, run, sizeof(run)));
	if (s && *s) {
		cmocka_set_skip_filter(t_glob(s, skip, sizeof(skip)));
		print_message("# not run here (VMS_TEST_SKIP): the tests matching %s\n",
			      skip);
	}
}

int t_write_text(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int t_all(const void *p, size_t len, u8 v)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

void *t_malloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	assert_non_null(p);
	return p;
}

void t_random(void *p, size_t len)
{
	assert_int_equal(RAND_bytes(p, (int)len), 1);
}

/* Keep the compiler from dropping stores to a buffer it thinks is dead. */
static inline void t_barrier(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

noinline void t_stack_clear(void)
{
	u8 buf[T_STACK_SCAN];

	memset(buf, 0, sizeof(buf));
	t_barrier(buf);
}

/*
 * The pad puts @op's frames well below the slots the scanner's own call
 * will reuse, so scanning cannot overwrite what it is looking for.
 */
noinline void t_stack_run(void (*op)(void))
{
	u8 pad[1024];

	memset(pad, 0, sizeof(pad));
	t_barrier(pad);
	op();
	t_barrier(pad);
}

/*
 * Reads the stack below @top (the caller's frame) directly: the bytes the
 * last call left there. Deliberately a plain byte loop with no calls.
 *
 * In a sanitized build (SAN=1) the test is skipped here, after the
 * operation under test has run (so it ran under ASan and UBSan): what an
 * instrumented build leaves on its stack says nothing about the code that
 * ships, whose frames are laid out without redzones and whose copies go
 * through glibc rather than the sanitizer's interceptors. Reading those
 * redzones would also be an ASan error of its own. The check runs on the
 * production build (make check-unit).
 */
noinline int t_stack_has(const u8 *top, const u8 *needle,
					  size_t n)
{
#ifdef VMS_SANITIZED
	print_message("# skipped: stack residue is checked on the production build only (SAN=1 lays frames out differently)\n");
	skip();
#endif
	const volatile u8 *lo = (const volatile u8 *)
		((uintptr_t)top - T_STACK_SCAN + 2048);
	const volatile u8 *p;
	size_t i;

	for (p = lo; p + n <= (const volatile u8 *)top; p++) {
		for (i = 0; i < n && p[i] == needle[i]; i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}
