/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testutil.h - helpers shared by the unit tests (cmocka needs stdarg,
 * stddef, setjmp before its header; include this first).
 */
#ifndef VMS_TESTUTIL_H
#define VMS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vms_compiler.h"
#include "vms_port.h"

/* The kernel's name; glibc's <sys/cdefs.h> has the attribute. */
#ifndef noinline
#define noinline __attribute_noinline__
#endif

#define PATTERN 0xa5

/* Fixed ids used across the tests. */
extern const u8 t_vm_id[16];
extern const u8 t_key_id[16];
extern const u8 t_other_id[16];
/* The order-8 Curve25519 point from the brief, and the all-zero point. */
extern const u8 t_low_order[32];
extern const u8 t_zero32[32];

/* 1 when every byte of @p is @v. */
int t_all(const void *p, size_t len, u8 v);
/* malloc() that fails the test instead of returning NULL. */
void *t_malloc(size_t len);
void t_random(void *p, size_t len);

/*
 * Run a command given as a format (split at spaces, no quoting) with its
 * output appended to tools.log in the current directory; its exit status
 * (127: could not start, 128: killed).
 */
int t_run(const char *fmt, ...) __printf(1, 2);
/* Write @text to the file @name; 0 or -1. */
int t_write_text(const char *name, const char *text);

/*
 * Which tests of this binary run: main() calls t_test_filter(argc, argv)
 * before cmocka_run_group_tests*(). The one argument, or else the
 * environment's VMS_TEST_FILTER, is a cmocka glob ('*', '?') on the test
 * names; a name without '*' or '?' matches the tests that contain it
 * ("release" runs *release*). No argument and no variable: every test.
 * VMS_TEST_SKIP (same form) leaves the matching tests out, saying so in
 * a TAP comment (the sanitizer tier's subset).
 */
void t_test_filter(int argc, char **argv);

/*
 * Stack scanning, to show secrets do not outlive a call:
 *   const u8 *top = __builtin_frame_address(0);
 *   t_stack_clear();             zero the region below us
 *   t_stack_run(op);             run op with its frames inside the region
 *   t_stack_has(top, s, n)       1 when the bytes s[0..n) are in the region
 */
#define T_STACK_SCAN (256 * 1024)
void t_stack_clear(void);
void t_stack_run(void (*op)(void));
int t_stack_has(const u8 *top, const u8 *needle, size_t n);

#endif /* VMS_TESTUTIL_H */
