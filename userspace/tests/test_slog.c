// SPDX-License-Identifier: GPL-2.0
/*
 * test_slog.c - the structured log lines every daemon writes
 * (lib/util/slog.c): untrusted text made safe as a bare or a quoted value
 * (control characters, quotes, backslashes, '=', bytes above 0x7e, long
 * strings cut to the buffer), and the error line that names a failed
 * step and hands its error code on.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "vms_slog.h"

static void test_bare_value(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(vms_log_safe("host-1.example", buf, sizeof(buf)),
			    "host-1.example");
	/* nothing that could end the value or forge another field */
	assert_string_equal(vms_log_safe("a b=c\"d\\e", buf, sizeof(buf)),
			    "a_b_c_d_e");
	assert_string_equal(vms_log_safe("x\ny\rz\t\x1b[0m\x7f", buf, sizeof(buf)),
			    "x_y_z__[0m_");
	assert_string_equal(vms_log_safe("caf\xc3\xa9", buf, sizeof(buf)), "caf__");
	assert_string_equal(vms_log_safe(" level=error event=forged", buf,
					 sizeof(buf)),
			    "_level_error_event_forged");
}

static void test_quoted_value(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(vms_log_safe_quoted("cannot open /dev/x: No such file",
						buf, sizeof(buf)),
			    "cannot open /dev/x: No such file");
	/* the value cannot close its quotes or escape them */
	assert_string_equal(vms_log_safe_quoted("a\" level=error \\\"", buf,
						sizeof(buf)),
			    "a_ level=error __");
	assert_string_equal(vms_log_safe_quoted("l1\nl2\x01\xff", buf, sizeof(buf)),
			    "l1_l2__");
}

static void test_empty_and_null(void **state)
{
	char buf[8] = "unset";

	(void)state;
	assert_string_equal(vms_log_safe(NULL, buf, sizeof(buf)), "-");
	assert_string_equal(vms_log_safe("", buf, sizeof(buf)), "-");
	assert_string_equal(vms_log_safe_quoted(NULL, buf, sizeof(buf)), "-");
	assert_string_equal(vms_log_safe_quoted("", buf, sizeof(buf)), "-");
	/* no room for a byte: "-", and nothing written past the buffer */
	buf[1] = 'K';
	assert_string_equal(vms_log_safe("abc", buf, 1), "-");
	assert_int_equal(buf[1], 'K');
	assert_string_equal(vms_log_safe("abc", buf, 0), "-");
}

static void test_truncation(void **state)
{
	char big[5000], buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = i % 7 ? 'a' : '"';
	big[sizeof(big) - 1] = 0;
	assert_ptr_equal(vms_log_safe(big, buf, sizeof(buf)), buf);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf, "_aaaaaa_aaaaaa_");
	assert_ptr_equal(vms_log_safe_quoted(big, buf, sizeof(buf)), buf);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_null(strchr(buf, '"'));
	/* exactly full */
	assert_string_equal(vms_log_safe("123456789012345", buf, sizeof(buf)),
			    "123456789012345");
	assert_string_equal(vms_log_safe("1234567890123456", buf, sizeof(buf)),
			    "123456789012345");
}

/* Call vms_slog_errnov() with stderr captured; the line into @out. */
static int __printf(4, 5) errno_line(char *out, size_t len, int err,
				     const char *fmt, ...)
{
	FILE *f = tmpfile();
	int saved = dup(2), r;
	va_list ap;
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), 2) >= 0);
	va_start(ap, fmt);
	r = vms_slog_errnov("prog", err, "ev", fmt, ap);
	va_end(ap);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
	return r;
}

static void test_errno_line(void **state)
{
	char line[4096], want[128], big[2000];

	(void)state;
	assert_int_equal(errno_line(line, sizeof(line), -ENOENT,
				    "step=\"reading the key\" path=%s", "/k"), -ENOENT);
	assert_true(!strncmp(line, "prog ts=", 8));
	snprintf(want, sizeof(want),
		 " level=error event=ev step=\"reading the key\" path=/k error=\"%s\"\n",
		 strerror(ENOENT));
	assert_non_null(strstr(line, want));
	/* a positive code is read as its negation, and handed back as it came */
	assert_int_equal(errno_line(line, sizeof(line), EACCES, "step=x"), EACCES);
	snprintf(want, sizeof(want), "step=x error=\"%s\"\n", strerror(EACCES));
	assert_non_null(strstr(line, want));
	/* a step too long for the line is cut; the error is never lost */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(errno_line(line, sizeof(line), -EIO, "step=%s", big), -EIO);
	snprintf(want, sizeof(want), "z error=\"%s\"\n", strerror(EIO));
	assert_non_null(strstr(line, want));
	assert_true(strlen(line) <= 1024);
	assert_int_equal(strchr(line, '\n') - line, strlen(line) - 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_value),
		cmocka_unit_test(test_quoted_value),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_errno_line),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("slog", tests, NULL, NULL);
}
