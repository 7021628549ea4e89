// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - the isolation report (core/report.c): the exact v2 line,
 * round trips of every valid report, every malformed report refused with
 * its errno and nothing half-parsed, the writer refusing what the parser
 * would, and the name tables.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#include <linux/vmshield.h>

#include "report.h"
/* Also libvmshield's declarations of the names: they must agree. */
#include "vmshield.h"

#define PK01 "0101010101010101010101010101010101010101010101010101010101010101"

static const char locked[] =
	"vmshield-report v2 placement=kernel level=kernel-locked lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none";
static const char open_none[] =
	"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none";
static const char hyp_locked[] =
	"vmshield-report v2 placement=hypervisor level=kernel-locked lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none";
static const char hyp_open[] =
	"vmshield-report v2 placement=hypervisor level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none";

static void report_locked(struct vms_isolation_report *r)
{
	memset(r, 0, sizeof(*r));
	r->placement = VMSHIELD_PLACEMENT_KERNEL;
	r->level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	r->lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	r->sig_enforced = true;
	r->module_sig_ok = true;
	memset(r->enclave_pk, 1, sizeof(r->enclave_pk));
}

/* Parse @text; expect @err and, on error, a zeroed report. */
static void expect_parse(const char *text, size_t len, int err)
{
	struct vms_isolation_report r;
	int got;

	memset(&r, PATTERN, sizeof(r));
	got = vms_report_parse(text, len, &r);
	if (got != err)
		fail_msg("parse of \"%.*s\": %d, want %d", (int)len, text, got,
			 err);
	if (err)
		assert_true(t_all(&r, sizeof(r), 0));
}

static void expect_refused(const char *text, int err)
{
	expect_parse(text, strlen(text), err);
}

/* ---- the exact line ---------------------------------------------------- */

static void test_writes_the_v2_line(void **state)
{
	struct vms_isolation_report r;
	char buf[VMS_REPORT_MAX];

	(void)state;
	report_locked(&r);
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(locked));
	assert_string_equal(buf, locked);

	memset(&r, 0, sizeof(r));
	r.placement = VMSHIELD_PLACEMENT_KERNEL;
	r.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	memset(r.enclave_pk, 1, sizeof(r.enclave_pk));
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(open_none));
	assert_string_equal(buf, open_none);
}

static void test_parses_the_v2_line(void **state)
{
	struct vms_isolation_report r, want;

	(void)state;
	assert_int_equal(vms_report_parse(locked, strlen(locked), &r), 0);
	report_locked(&want);
	assert_memory_equal(&r, &want, sizeof(r));
}

/* The longest v2 report (a KPS key named) fits VMS_REPORT_MAX with its NUL. */
static void test_longest_fits(void **state)
{
	struct vms_isolation_report r;
	char buf[VMS_REPORT_MAX];

	(void)state;
	report_locked(&r);
	r.placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	r.kps_set = true;
	memset(r.kps_pk, 0xab, sizeof(r.kps_pk));
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), 263);
	assert_true(263 < VMS_REPORT_MAX);
	/* exactly enough room, and one byte less */
	assert_int_equal(vms_report_format(&r, buf, 264), 263);
	assert_int_equal(vms_report_format(&r, buf, 263), -ENOSPC);
	/* with the longest host facts block (issue 16): 332 */
	r.has_host_facts = true;
	r.lockdown_at_load = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	r.ptrace_scope = VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), 332);
	assert_true(332 < VMS_REPORT_MAX);
}

static void expect_not_written(const struct vms_isolation_report *r, int err);

#define PKAB "abababababababababababababababababababababababababababababababab"

/*
 * kps_pk: the KPS key the enclave accepts, or none; one spelling each.
 * A named key round-trips; "none" with a key, a key that is all zero,
 * upper-case or short hex, an empty or missing field: refused.
 */
static void test_kps_field(void **state)
{
	static const char named[] =
		"vmshield-report v2 placement=kernel level=kernel-locked lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=" PKAB;
	static const char *const bad[] = {
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=None",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=nonee",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none " PKAB,
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=" PK01 "00",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=ABababababababababababababababababababababababababababababababab",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=0000000000000000000000000000000000000000000000000000000000000000",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01,
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 kps_pk=none enclave_pk=" PK01,
	};
	struct vms_isolation_report r, want;
	char buf[VMS_REPORT_MAX];
	size_t i;

	(void)state;
	assert_int_equal(vms_report_parse(named, strlen(named), &r), 0);
	report_locked(&want);
	want.kps_set = true;
	memset(want.kps_pk, 0xab, sizeof(want.kps_pk));
	assert_memory_equal(&r, &want, sizeof(r));
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), (int)strlen(named));
	assert_string_equal(buf, named);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(bad[i], -EINVAL);
	/* the writer: a key without kps_set, or kps_set without a key */
	report_locked(&r);
	r.kps_pk[31] = 1;
	expect_not_written(&r, -EINVAL);
	report_locked(&r);
	r.kps_set = true;
	expect_not_written(&r, -EINVAL);
}

/* ---- round trips --------------------------------------------------------- */

/* Every valid report: formatted, parsed back equal, and canonical. */
static void test_round_trip_every_valid_report(void **state)
{
	static const u32 lockdowns[] = {
		VMSHIELD_LOCKDOWN_NONE, VMSHIELD_LOCKDOWN_INTEGRITY,
		VMSHIELD_LOCKDOWN_CONFIDENTIALITY,
	};
	static const u32 placements[] = {
		VMSHIELD_PLACEMENT_KERNEL, VMSHIELD_PLACEMENT_HYPERVISOR,
	};
	struct vms_isolation_report r, back;
	char buf[VMS_REPORT_MAX], again[VMS_REPORT_MAX];
	unsigned int i, sig, ok, n = 0;
	int len;

	(void)state;
	/* each placement with each lockdown level */
	for (i = 0; i < ARRAY_SIZE(placements) * ARRAY_SIZE(lockdowns); i++)
		for (sig = 0; sig < 2; sig++)
			for (ok = 0; ok < 2; ok++) {
				memset(&r, 0, sizeof(r));
				r.placement = placements[i / ARRAY_SIZE(lockdowns)];
				r.lockdown = lockdowns[i % ARRAY_SIZE(lockdowns)];
				r.sig_enforced = sig;
				r.module_sig_ok = ok;
				r.level = vms_isolation_level_of(r.lockdown, sig);
				t_random(r.enclave_pk, sizeof(r.enclave_pk));
				len = vms_report_format(&r, buf, sizeof(buf));
				assert_true(len > 0);
				assert_int_equal(vms_report_parse(buf, (size_t)len,
								  &back), 0);
				assert_memory_equal(&r, &back, sizeof(r));
				assert_int_equal(vms_report_format(&back, again,
								   sizeof(again)),
						 len);
				assert_string_equal(buf, again);
				n++;
			}
	assert_int_equal(n, 24);
}

/*
 * The parser accepts only canonical lines: change any one byte of a valid
 * report to any printable character, and either the parser refuses the
 * result (zeroing its output) or it writes back exactly that text (a hex
 * digit of the key, a 0/1 fact that keeps the rules).
 */
static void test_one_byte_changed(void **state)
{
	static const char subst[] = " =01aefgAFvkz-_.";
	struct vms_isolation_report r;
	char text[sizeof(locked)], back[VMS_REPORT_MAX];
	size_t pos, k, accepted = 0, refused = 0;
	int ret;

	(void)state;
	for (pos = 0; pos < strlen(locked); pos++)
		for (k = 0; k < strlen(subst); k++) {
			memcpy(text, locked, sizeof(locked));
			if (text[pos] == subst[k])
				continue;
			text[pos] = subst[k];
			memset(&r, PATTERN, sizeof(r));
			ret = vms_report_parse(text, strlen(text), &r);
			if (ret) {
				assert_true(t_all(&r, sizeof(r), 0));
				refused++;
				continue;
			}
			assert_int_equal(vms_report_format(&r, back, sizeof(back)),
					 (int)strlen(text));
			assert_string_equal(back, text);
			accepted++;
		}
	/* the key's digits change the key; almost everything else is refused */
	assert_true(accepted > 0 && refused > accepted);
}

static void test_every_truncation_refused(void **state)
{
	size_t len;

	(void)state;
	for (len = 0; len < strlen(locked); len++) {
		struct vms_isolation_report r;

		memset(&r, PATTERN, sizeof(r));
		assert_true(vms_report_parse(locked, len, &r) < 0);
		assert_true(t_all(&r, sizeof(r), 0));
	}
}

/* ---- malformed reports, each with its errno --------------------------------- */

static void test_not_a_report(void **state)
{
	(void)state;
	expect_refused("", -EILSEQ);
	expect_refused("vmshield-report", -EILSEQ);
	expect_refused("vmshield-report v", -EILSEQ);
	expect_refused("vmshield-report vx placement=kernel", -EILSEQ);
	expect_refused("vmshield-reporT v1 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01,
		       -EILSEQ);
	expect_refused(" vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		       -EILSEQ);
	expect_refused("hello world", -EILSEQ);
	expect_refused("vmshield-report v2x placement=kernel", -EILSEQ);
	expect_refused("vmshield-report v2placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		       -EILSEQ);
	expect_parse(NULL, 0, -EINVAL);
	assert_int_equal(vms_report_parse(locked, strlen(locked), NULL), -EINVAL);
}

static void test_other_version(void **state)
{
	(void)state;
	expect_refused("vmshield-report v3 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		       -EPROTONOSUPPORT);
	/* v1 had no kps_pk: refused, never read as "no KPS key" */
	expect_refused("vmshield-report v1 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01,
		       -EPROTONOSUPPORT);
	expect_refused("vmshield-report v1 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		       -EPROTONOSUPPORT);
	expect_refused("vmshield-report v0 placement=kernel", -EPROTONOSUPPORT);
	expect_refused("vmshield-report v20 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		       -EPROTONOSUPPORT);
	expect_refused("vmshield-report v01 placement=kernel", -EPROTONOSUPPORT);
}

static void test_bytes_outside_printable_ascii(void **state)
{
	static const char bytes[] = { '\0', '\t', '\n', '\r', 0x7f, (char)0x80,
				      (char)0xff };
	char text[sizeof(locked) + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++) {
		/* in place of a space, and appended */
		memcpy(text, locked, sizeof(locked));
		text[18] = bytes[i];
		expect_parse(text, strlen(locked), -EILSEQ);
		memcpy(text, locked, sizeof(locked));
		text[strlen(locked)] = bytes[i];
		expect_parse(text, strlen(locked) + 1, -EILSEQ);
	}
}

static void test_too_long(void **state)
{
	char text[VMS_REPORT_MAX + 8];

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, locked, strlen(locked));
	expect_parse(text, VMS_REPORT_MAX, -EMSGSIZE);
	expect_parse(text, sizeof(text), -EMSGSIZE);
	/* one byte under the cap is parsed, and refused for its trailing bytes */
	expect_parse(text, VMS_REPORT_MAX - 1, -EINVAL);
}

static void test_malformed_fields(void **state)
{
	static const char *const bad[] = {
		/* spacing */
		"vmshield-report v2  placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel  level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " ",
		/* order, missing, repeated, extra */
		"vmshield-report v2 level=kernel-open placement=kernel lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0",
		"vmshield-report v2 placement=kernel placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " extra=1",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 "00",
		/* keys and values */
		"vmshield-report v2 placement= level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement:kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 Placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=vm level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=Kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-opened lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=full sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=2 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=00 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=yes enclave_pk=" PK01 " kps_pk=none",
		/* the key: length, case, digits */
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=01010101",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 "0",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=010101010101010101010101010101010101010101010101010101010101010",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=0A01010101010101010101010101010101010101010101010101010101010101",
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=0g01010101010101010101010101010101010101010101010101010101010101",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(bad[i], -EINVAL);
}

/* Well formed, but the facts break a rule: refused, and never written. */
static void test_contradicting_facts(void **state)
{
	static const char *const bad[] = {
		/* kernel-locked without confidentiality or without sig_enforced */
		"vmshield-report v2 placement=kernel level=kernel-locked lockdown=integrity sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-locked lockdown=confidentiality sig_enforced=0 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=kernel level=kernel-locked lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		/* kernel-open although both hold */
		"vmshield-report v2 placement=kernel level=kernel-open lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none",
		/* the same rule in the hypervisor placement */
		"vmshield-report v2 placement=hypervisor level=kernel-locked lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=hypervisor level=kernel-open lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none",
		/* the level hypervisor is HGS's to give, never a report's */
		"vmshield-report v2 placement=kernel level=hypervisor lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01 " kps_pk=none",
		"vmshield-report v2 placement=hypervisor level=hypervisor lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01 " kps_pk=none",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(bad[i], -EINVAL);
}

/* ---- the writer refuses what the parser would, and writes nothing --------- */

static void expect_not_written(const struct vms_isolation_report *r, int err)
{
	char buf[VMS_REPORT_MAX];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(vms_report_format(r, buf, sizeof(buf)), err);
	assert_true(t_all(buf, sizeof(buf), 0));
}

static void test_writer_refuses(void **state)
{
	struct vms_isolation_report r;
	char buf[VMS_REPORT_MAX];
	size_t len;

	(void)state;
	report_locked(&r);
	r.placement = 0;
	expect_not_written(&r, -EINVAL);
	r.placement = 3;
	expect_not_written(&r, -EINVAL);
	report_locked(&r);
	r.placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	r.level = VMSHIELD_ISOLATION_HYPERVISOR;
	expect_not_written(&r, -EINVAL);

	report_locked(&r);
	r.sig_enforced = false;
	expect_not_written(&r, -EINVAL);
	report_locked(&r);
	r.level = VMSHIELD_ISOLATION_HYPERVISOR;
	expect_not_written(&r, -EINVAL);
	report_locked(&r);
	r.lockdown = 3;
	r.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	expect_not_written(&r, -EINVAL);
	expect_not_written(NULL, -EINVAL);

	/* every buffer too small: -ENOSPC and not a byte of the line */
	report_locked(&r);
	for (len = 1; len <= strlen(locked); len++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(vms_report_format(&r, buf, len), -ENOSPC);
		assert_true(t_all(buf, len, 0));
		assert_true(t_all(buf + len, sizeof(buf) - len, 'X'));
	}
	assert_int_equal(vms_report_format(&r, buf, 0), -ENOSPC);
	assert_int_equal(vms_report_format(&r, NULL, 64), -ENOSPC);
}

/* ---- from GET_INFO ------------------------------------------------------------ */

static void test_from_info(void **state)
{
	struct vmshield_info info;
	struct vms_isolation_report r;
	char buf[VMS_REPORT_MAX];

	(void)state;
	memset(&info, 0, sizeof(info));
	info.placement = VMSHIELD_PLACEMENT_KERNEL;
	info.isolation_level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	info.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	/* facts that are not the report's are ignored (host facts: below) */
	info.facts = VMSHIELD_FACTS_ALL & ~VMSHIELD_FACT_KPS_SET &
		     ~VMSHIELD_FACT_HOST_FACTS;
	memset(info.enclave_pk, 1, sizeof(info.enclave_pk));
	vms_report_from_info(&info, &r);
	assert_true(r.sig_enforced && r.module_sig_ok);
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(locked));
	assert_string_equal(buf, locked);
	/* the KPS key only with its fact: without it, a key there is not read */
	memset(info.kps_pk, 0xab, sizeof(info.kps_pk));
	vms_report_from_info(&info, &r);
	assert_false(r.kps_set);
	assert_true(t_all(r.kps_pk, sizeof(r.kps_pk), 0));
	info.facts |= VMSHIELD_FACT_KPS_SET;
	vms_report_from_info(&info, &r);
	assert_true(r.kps_set);
	assert_true(t_all(r.kps_pk, sizeof(r.kps_pk), 0xab));
	assert_true(vms_report_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " kps_pk=" PKAB));
	memset(info.kps_pk, 0, sizeof(info.kps_pk));

	info.facts = VMSHIELD_FACT_MODULE_SIG_OK;
	vms_report_from_info(&info, &r);
	assert_false(r.sig_enforced);
	assert_true(r.module_sig_ok);
	/* the module never says kernel-locked without sig_enforced */
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), -EINVAL);
}

/*
 * Placement hypervisor: GET_INFO's level is the enclave's ("hypervisor");
 * the report says placement=hypervisor with the host kernel's own level,
 * the same line the module measures into IMA.
 */
static void test_from_info_hypervisor(void **state)
{
	struct vmshield_info info;
	struct vms_isolation_report r, back;
	char buf[VMS_REPORT_MAX];

	(void)state;
	memset(&info, 0, sizeof(info));
	info.placement = VMSHIELD_PLACEMENT_HYPERVISOR;
	info.isolation_level = VMSHIELD_ISOLATION_HYPERVISOR;
	info.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	info.facts = VMSHIELD_FACTS_ALL & ~VMSHIELD_FACT_KPS_SET &
		     ~VMSHIELD_FACT_HOST_FACTS;
	memset(info.enclave_pk, 1, sizeof(info.enclave_pk));
	vms_report_from_info(&info, &r);
	assert_int_equal(r.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_int_equal(r.level, VMSHIELD_ISOLATION_KERNEL_LOCKED);
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(hyp_locked));
	assert_string_equal(buf, hyp_locked);
	assert_int_equal(vms_report_parse(buf, strlen(buf), &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));

	/* an open host kernel stays kernel-open in the report */
	info.lockdown = VMSHIELD_LOCKDOWN_NONE;
	info.facts = 0;
	vms_report_from_info(&info, &r);
	assert_int_equal(r.level, VMSHIELD_ISOLATION_KERNEL_OPEN);
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(hyp_open));
	assert_string_equal(buf, hyp_open);
}

/* ---- the tables ------------------------------------------------------------------- */

/*
 * The host facts block (lockdown at load, Yama's ptrace_scope): written
 * after the key when GET_INFO has it, read back, both fields or none.
 */
static const char locked_host[] =
	"vmshield-report v2 placement=kernel level=kernel-locked lockdown=confidentiality sig_enforced=1 module_sig_ok=1 enclave_pk=" PK01
	" kps_pk=none lockdown_at_load=none ptrace_scope=3 crash_kernel=0";

static void test_host_facts(void **state)
{
	struct vmshield_info info;
	struct vms_isolation_report r, back;
	char buf[VMS_REPORT_MAX], line[VMS_REPORT_MAX + 64];

	(void)state;
	memset(&info, 0, sizeof(info));
	info.placement = VMSHIELD_PLACEMENT_KERNEL;
	info.isolation_level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	info.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	info.facts = VMSHIELD_FACTS_ALL & ~VMSHIELD_FACT_CRASH_KERNEL &
		     ~VMSHIELD_FACT_KPS_SET;
	info.lockdown_at_load = VMSHIELD_LOCKDOWN_NONE;
	info.ptrace_scope = 3;
	memset(info.enclave_pk, 1, sizeof(info.enclave_pk));
	vms_report_from_info(&info, &r);
	assert_true(r.has_host_facts);
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)),
			 (int)strlen(locked_host));
	assert_string_equal(buf, locked_host);
	assert_int_equal(vms_report_parse(buf, strlen(buf), &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));

	/* unknown scope (no Yama) round-trips too */
	r.ptrace_scope = VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	assert_true(vms_report_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " ptrace_scope=unknown"));
	assert_int_equal(vms_report_parse(buf, strlen(buf), &back), 0);
	assert_int_equal(back.ptrace_scope, VMSHIELD_PTRACE_SCOPE_UNKNOWN);

	/* the writer refuses what the parser would: nothing written */
	r.ptrace_scope = 4;
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), -EINVAL);
	assert_true(t_all(buf, sizeof(buf), 0));
	r.ptrace_scope = 0;
	r.lockdown_at_load = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	r.lockdown = VMSHIELD_LOCKDOWN_INTEGRITY;	/* lockdown only rises */
	r.level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	assert_int_equal(vms_report_format(&r, buf, sizeof(buf)), -EINVAL);

	/* half a block, a bad value, or a field after it: refused, zeroed */
	snprintf(line, sizeof(line), "%s lockdown_at_load=none", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	assert_true(t_all(&back, sizeof(back), 0));
	snprintf(line, sizeof(line), "%s lockdown_at_load=none ptrace_scope=7 crash_kernel=0", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	snprintf(line, sizeof(line), "%s lockdown_at_load=open ptrace_scope=1 crash_kernel=0", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	snprintf(line, sizeof(line), "%s ptrace_scope=1 lockdown_at_load=none crash_kernel=0", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	snprintf(line, sizeof(line), "%s ptrace_scope=", locked_host);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	snprintf(line, sizeof(line), "%s lockdown_at_load=none ptrace_scope=1", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);
	snprintf(line, sizeof(line), "%s lockdown_at_load=none ptrace_scope=1 crash_kernel=2", locked);
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);

	/* a loaded crash kernel (kdump) is a fact of its own */
	info.facts |= VMSHIELD_FACT_CRASH_KERNEL;
	vms_report_from_info(&info, &r);
	assert_true(r.crash_kernel);
	assert_true(vms_report_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " crash_kernel=1"));
	assert_int_equal(vms_report_parse(buf, strlen(buf), &back), 0);
	assert_true(back.crash_kernel);
	/* locked at load, lower now: never */
	snprintf(line, sizeof(line),
		 "vmshield-report v2 placement=kernel level=kernel-open lockdown=none sig_enforced=0 module_sig_ok=0 enclave_pk=" PK01
		 " kps_pk=none lockdown_at_load=confidentiality ptrace_scope=0 crash_kernel=0");
	assert_int_equal(vms_report_parse(line, strlen(line), &back), -EINVAL);

	/* a module without the block: the line ends at kps_pk */
	info.facts &= ~VMSHIELD_FACT_HOST_FACTS;
	vms_report_from_info(&info, &r);
	assert_false(r.has_host_facts);
	assert_true(vms_report_format(&r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, locked);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vms_placement_name(VMSHIELD_PLACEMENT_KERNEL), "kernel");
	assert_string_equal(vms_placement_name(VMSHIELD_PLACEMENT_HYPERVISOR), "hypervisor");
	assert_string_equal(vms_placement_name(0), "unknown");
	assert_string_equal(vms_placement_name(3), "unknown");
	assert_string_equal(vms_isolation_name(VMSHIELD_ISOLATION_KERNEL_OPEN), "kernel-open");
	assert_string_equal(vms_isolation_name(VMSHIELD_ISOLATION_KERNEL_LOCKED), "kernel-locked");
	assert_string_equal(vms_isolation_name(VMSHIELD_ISOLATION_HYPERVISOR), "hypervisor");
	assert_string_equal(vms_isolation_name(0), "unknown");
	assert_string_equal(vms_isolation_name(4), "unknown");
	assert_string_equal(vms_lockdown_level_name(VMSHIELD_LOCKDOWN_NONE), "none");
	assert_string_equal(vms_lockdown_level_name(VMSHIELD_LOCKDOWN_INTEGRITY), "integrity");
	assert_string_equal(vms_lockdown_level_name(VMSHIELD_LOCKDOWN_CONFIDENTIALITY),
			    "confidentiality");
	assert_string_equal(vms_lockdown_level_name(3), "unknown");
	assert_string_equal(vms_lockdown_level_name(0xffffffffu), "unknown");
}

static void test_names_back_to_values(void **state)
{
	unsigned int v;

	(void)state;
	for (v = 0; v < 8; v++) {
		if (strcmp(vms_placement_name(v), "unknown"))
			assert_int_equal(vms_placement_from_name(vms_placement_name(v)), v);
		if (strcmp(vms_isolation_name(v), "unknown"))
			assert_int_equal(vms_isolation_from_name(vms_isolation_name(v)), v);
		if (strcmp(vms_lockdown_level_name(v), "unknown"))
			assert_int_equal(vms_lockdown_level_from_name(vms_lockdown_level_name(v)),
					 v);
	}
	assert_int_equal(vms_placement_from_name("unknown"), -EINVAL);
	assert_int_equal(vms_isolation_from_name("unknown"), -EINVAL);
	assert_int_equal(vms_isolation_from_name("Kernel-Locked"), -EINVAL);
	assert_int_equal(vms_isolation_from_name("kernel-locked "), -EINVAL);
	assert_int_equal(vms_isolation_from_name("kernel"), -EINVAL);
	assert_int_equal(vms_isolation_from_name(""), -EINVAL);
	assert_int_equal(vms_isolation_from_name(NULL), -EINVAL);
	assert_int_equal(vms_lockdown_level_from_name("confidential"), -EINVAL);
	assert_int_equal(vms_lockdown_level_from_name(NULL), -EINVAL);
	assert_int_equal(vms_placement_from_name(NULL), -EINVAL);
}

/* kernel-locked needs both facts (DESIGN.md section 3). */
static void test_level_of(void **state)
{
	(void)state;
	assert_int_equal(vms_isolation_level_of(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, true),
			 VMSHIELD_ISOLATION_KERNEL_LOCKED);
	assert_int_equal(vms_isolation_level_of(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, false),
			 VMSHIELD_ISOLATION_KERNEL_OPEN);
	assert_int_equal(vms_isolation_level_of(VMSHIELD_LOCKDOWN_INTEGRITY, true),
			 VMSHIELD_ISOLATION_KERNEL_OPEN);
	assert_int_equal(vms_isolation_level_of(VMSHIELD_LOCKDOWN_NONE, true),
			 VMSHIELD_ISOLATION_KERNEL_OPEN);
	assert_int_equal(vms_isolation_level_of(VMSHIELD_LOCKDOWN_NONE, false),
			 VMSHIELD_ISOLATION_KERNEL_OPEN);
}

/* libvmshield's declarations are the core's functions (the include above
 * would not compile if their types differed).
 */
static void test_libvmshield_names_are_the_core_ones(void **state)
{
	const char *(*f)(unsigned int) = vms_isolation_name;

	(void)state;
	assert_ptr_equal(f, vms_isolation_name);
	assert_string_equal(f(VMSHIELD_ISOLATION_KERNEL_LOCKED), "kernel-locked");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_the_v2_line),
		cmocka_unit_test(test_parses_the_v2_line),
		cmocka_unit_test(test_longest_fits),
		cmocka_unit_test(test_kps_field),
		cmocka_unit_test(test_round_trip_every_valid_report),
		cmocka_unit_test(test_one_byte_changed),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_not_a_report),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_bytes_outside_printable_ascii),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_contradicting_facts),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_from_info),
		cmocka_unit_test(test_from_info_hypervisor),
		cmocka_unit_test(test_host_facts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_back_to_values),
		cmocka_unit_test(test_level_of),
		cmocka_unit_test(test_libvmshield_names_are_the_core_ones),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
