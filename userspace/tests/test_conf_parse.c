// SPDX-License-Identifier: GPL-2.0
/*
 * test_conf_parse.c - the "key = value" reader hgsd and hgs-agent share
 * (lib/util/conf_parse.c): line numbers, comments, blanks and CRLF; every
 * malformed line refused with "FILE:LINE: what is wrong"; numbers strict
 * (no sign, space, unit); files with a NUL byte or too large refused.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "vms_conf_parse.h"

/* A setter over two keys: "n" (0..100, once) and "path". */
struct t_conf {
	unsigned long n;
	char path[16];
	unsigned int calls, seen_n;
};

static int t_set(void *ctx, const char *k, const char *v, char *why)
{
	struct t_conf *t = ctx;

	t->calls++;
	if (!strcmp(k, "n")) {
		if (t->seen_n++)
			return -EEXIST;
		return vms_conf_uint(v, 0, 100, &t->n, why);
	}
	if (!strcmp(k, "path"))
		return vms_conf_path(t->path, sizeof(t->path), v, why);
	return -ENOENT;
}

static int t_parse(const char *text, struct t_conf *t, char *err, size_t len)
{
	const struct vms_conf_parser p = {
		.set = t_set, .ctx = t, .doc = "the test",
	};

	memset(t, 0, sizeof(*t));
	err[0] = 0;
	return vms_conf_parse(&p, text, "t.conf", err, len);
}

static void test_lines(void **state)
{
	struct t_conf t;
	char err[256];

	(void)state;
	assert_int_equal(t_parse("# c\n\n  n =  42 \t\r\npath=/a/b", &t, err,
				 sizeof(err)), 0);
	assert_int_equal(t.n, 42);
	assert_string_equal(t.path, "/a/b");
	assert_int_equal(t.calls, 2);
	assert_int_equal(t_parse("", &t, err, sizeof(err)), 0);
	assert_int_equal(t.calls, 0);
	/* an empty value reaches the setter as "" */
	assert_int_equal(t_parse("path =\n", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.conf:1: bad value for 'path': must be an absolute path shorter than 16 bytes"));
}

/* Each bad file: its message, and nothing after the bad line applied. */
static void test_bad_lines(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "n = 1\nno equals\npath = /x\n",
		  "t.conf:2: expected 'key = value' (or a '#' comment)" },
		{ "\n\nbogus = 1\npath = /x\n",
		  "t.conf:3: unknown key 'bogus' (the test lists every key)" },
		{ "b\x01g = 1\npath = /x\n", "t.conf:1: unknown key 'b_g'" },
		{ "n = 1\nn = 2\npath = /x\n", "t.conf:2: 'n' given twice (keep one)" },
		{ " = 1\npath = /x\n", "t.conf:1: no key before '='" },	/* fuzz_conf */
		{ "n = 101\npath = /x\n", "t.conf:1: bad value for 'n': must be a whole number from 0 to 100, digits only (no sign, space or unit)" },
		{ "path = rel\r\npath = /x\n", "t.conf:1: bad value for 'path'" },
		{ "path = /0123456789abcdef\npath = /x\n", "t.conf:1: bad value for 'path'" },
	};
	struct t_conf t;
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (t_parse(bad[i].text, &t, err, sizeof(err)) != -EINVAL)
			fail_msg("case %u was accepted", i);
		if (!strstr(err, bad[i].want))
			fail_msg("case %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_string_equal(t.path, "");
	}
}

/* strtoul alone would take most of these. */
static void test_uint_strict(void **state)
{
	static const char *const bad[] = {
		"", " 5", "\v5", "\f5", "+5", "-5", "5 ", "5s", "5.0", "0x10",
		"1e2", "101", "99999999999999999999999", "5\t",
	};
	static const char *const good[] = { "0", "5", "007", "100" };
	static const unsigned long good_val[] = { 0, 5, 7, 100 };
	char why[VMS_CONF_WHY_MAX];
	unsigned long x;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		x = 12345;
		why[0] = 0;
		if (vms_conf_uint(bad[i], 0, 100, &x, why) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(x, 12345);
		assert_non_null(strstr(why, "digits only (no sign, space or unit)"));
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(vms_conf_uint(good[i], 0, 100, &x, why), 0);
		assert_int_equal(x, good_val[i]);
	}
	assert_int_equal(vms_conf_uint("4", 5, 9, &x, why), -EINVAL);
	assert_non_null(strstr(why, "from 5 to 9"));
}

static void test_load(void **state)
{
	char path[] = "/tmp/vms-conf.XXXXXX", err[256];
	struct t_conf t;
	const struct vms_conf_parser p = {
		.set = t_set, .ctx = &t, .doc = "the test",
	};
	char *big;
	FILE *f;
	int fd;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(vms_conf_load(&p, "/nonexistent/x.conf", err,
				       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.conf: "));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "n = 3\n", 6), 6);
	close(fd);
	assert_int_equal(vms_conf_load(&p, path, err, sizeof(err)), 0);
	assert_int_equal(t.n, 3);

	memset(&t, 0, sizeof(t));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite("n = 3\n\0path = /x\n", 1, 17, f), 17);
	fclose(f);
	assert_int_equal(vms_conf_load(&p, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "contains a NUL byte"));
	assert_int_equal(t.calls, 0);

	big = malloc((64 << 10) + 1);
	assert_non_null(big);
	memset(big, '#', (64 << 10) + 1);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, (64 << 10) + 1, f), (64 << 10) + 1);
	fclose(f);
	free(big);
	assert_int_equal(vms_conf_load(&p, path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "file too large (at most 64 KiB)"));
	unlink(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_uint_strict),
		cmocka_unit_test(test_load),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("conf_parse", tests, NULL, NULL);
}
