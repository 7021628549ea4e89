// SPDX-License-Identifier: GPL-2.0
/*
 * test_enclave_report.c - the enclave report (lib/hgs/enclave_report.c):
 * the strict parse of its body (every field, order, length, hex case,
 * size bound, extra bytes), the emulated platform's verifier (right key,
 * another key, another platform id, a changed byte, high-S, non-DER,
 * trailing bytes), and the platforms this build names but does not verify;
 * the vTPM statement (lib/hgs/vtpm_statement.c, issue 21) likewise.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#include <linux/vmshield.h>

#include "enclave_testreport.h"
#include "vms_cleanup_ssl.h"
#include "vms_enclave_report.h"
#include "vms_hex.h"
#include "vms_vtpm_statement.h"
#include "vms_x509.h"

static EVP_PKEY *plat, *other;

static int setup(void **state)
{
	(void)state;
	plat = vms_pkey_gen_p256();
	other = vms_pkey_gen_p256();
	return plat && other ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(plat);
	EVP_PKEY_free(other);
	return 0;
}

/* A report's parse result: @want, and a zeroed @out when refused. */
static void parse_expect(const char *body, size_t len, int want)
{
	struct vms_enclave_report r;

	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(vms_enclave_report_parse((const uint8_t *)body, len, &r), want);
	if (want)
		assert_true(t_all(&r, sizeof(r), 0));
}

static void test_parse_roundtrip(void **state)
{
	struct vms_enclave_report in, out;
	char body[VMS_ER_BODY_MAX + 1];
	size_t n;

	(void)state;
	t_er_facts(plat, &in);
	n = t_er_body(&in, body, sizeof(body));
	assert_int_equal(vms_enclave_report_parse((uint8_t *)body, n, &out), 0);
	assert_int_equal(out.platform, VMS_PLATFORM_EMULATED);
	assert_int_equal(out.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_memory_equal(out.platform_id, in.platform_id, 32);
	assert_memory_equal(out.nonce, in.nonce, 32);
	assert_memory_equal(out.enclave_key, in.enclave_key, 32);
	assert_memory_equal(out.program, in.program, 32);
	assert_memory_equal(out.boot_id, in.boot_id, 16);
	assert_false(out.kps_set);
	/* the KPS key the enclave accepts, when one was named */
	in.kps_set = 1;
	t_random(in.kps_key, sizeof(in.kps_key));
	in.kps_key[0] |= 1;
	n = t_er_body(&in, body, sizeof(body));
	assert_non_null(strstr(body, "\nkps_key="));
	assert_int_equal(vms_enclave_report_parse((uint8_t *)body, n, &out), 0);
	assert_true(out.kps_set);
	assert_memory_equal(out.kps_key, in.kps_key, 32);
}

/* Edit the body: replace the first @from with @to; the new length. */
static size_t edit(char *body, size_t cap, const char *from, const char *to)
{
	char tmp[2 * VMS_ER_BODY_MAX];
	char *at = strstr(body, from);

	assert_non_null(at);
	assert_true(strlen(body) - strlen(from) + strlen(to) < cap);
	snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
	strcpy(body, tmp);
	return strlen(body);
}

static void test_parse_malformed(void **state)
{
	static const struct {
		const char *from, *to;
		int err;
	} cases[] = {
		{ "vmshield-enclave-report v2\n", "vmshield-enclave-report v1\n", -EPROTONOSUPPORT },
		{ "vmshield-enclave-report v2\n", "vmshield-enclave-report v10\n", -EPROTONOSUPPORT },
		{ "vmshield-enclave-report v2\n", "vmshield-enclave-report v2\x20\n", -EINVAL },
		{ "vmshield-enclave-report v2\n", "vmshield-report v2\n", -EILSEQ },
		{ "vmshield-enclave-report v2\n", "VMSHIELD-enclave-report v2\n", -EILSEQ },
		{ "kps_key=none\n", "", -EINVAL },			/* v2 without its last line */
		{ "kps_key=none\n", "kps_key=None\n", -EINVAL },
		{ "kps_key=none\n", "kps_key=\n", -EINVAL },
		{ "kps_key=none\n", "kps_key=0000000000000000000000000000000000000000000000000000000000000000\n", -EINVAL },
		{ "platform=emulated\n", "platform=Emulated\n", -EINVAL },
		{ "platform=emulated\n", "platform=tdx\n", -EINVAL },
		{ "platform=emulated\n", "platform=none\n", -EINVAL },
		{ "platform=emulated\n", "platform=emulated\x20\n", -EINVAL },
		{ "platform=emulated\n", "platform = emulated\n", -EINVAL },
		{ "placement=hypervisor\n", "placement=kernel\n", -EINVAL },
		{ "placement=hypervisor\n", "placement=hypervisor\r\n", -EILSEQ },
		{ "placement=hypervisor\n", "", -EINVAL },		/* missing */
		{ "boot_id=", "x=1\nboot_id=", -EINVAL },		/* unknown field */
		{ "program=", "platform=emulated\nprogram=", -EINVAL },	/* repeated */
		{ "nonce=", "NONCE=", -EINVAL },
	};
	struct vms_enclave_report in;
	char body[2 * VMS_ER_BODY_MAX];
	size_t n, i;

	(void)state;
	t_er_facts(plat, &in);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		t_er_body(&in, body, sizeof(body));
		n = edit(body, sizeof(body), cases[i].from, cases[i].to);
		parse_expect(body, n, cases[i].err);
	}
}

/* Each hex field: too short, too long, upper case, not hex. */
static void test_parse_hex_fields(void **state)
{
	static const char *const fields[] = { "platform_id=", "nonce=", "enclave_key=",
					      "program=", "boot_id=" };
	struct vms_enclave_report in;
	char body[2 * VMS_ER_BODY_MAX], from[80], to[80], *at;
	size_t n, i, vlen;

	(void)state;
	t_er_facts(plat, &in);
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		t_er_body(&in, body, sizeof(body));
		at = strstr(body, fields[i]);
		vlen = strcspn(at + strlen(fields[i]), "\n");
		snprintf(from, sizeof(from), "%.*s\n", (int)(strlen(fields[i]) + vlen), at);
		/* one digit short */
		snprintf(to, sizeof(to), "%.*s\n", (int)(strlen(fields[i]) + vlen - 1), at);
		n = edit(body, sizeof(body), from, to);
		parse_expect(body, n, -EINVAL);
		/* one digit more */
		t_er_body(&in, body, sizeof(body));
		snprintf(to, sizeof(to), "%.*s0\n", (int)(strlen(fields[i]) + vlen), at);
		n = edit(body, sizeof(body), from, to);
		parse_expect(body, n, -EINVAL);
		/* upper case */
		t_er_body(&in, body, sizeof(body));
		snprintf(to, sizeof(to), "%sA%.*s\n", fields[i], (int)vlen - 1,
			 strstr(body, fields[i]) + strlen(fields[i]) + 1);
		n = edit(body, sizeof(body), from, to);
		parse_expect(body, n, -EINVAL);
		/* not hex */
		t_er_body(&in, body, sizeof(body));
		snprintf(to, sizeof(to), "%sg%.*s\n", fields[i], (int)vlen - 1,
			 strstr(body, fields[i]) + strlen(fields[i]) + 1);
		n = edit(body, sizeof(body), from, to);
		parse_expect(body, n, -EINVAL);
	}
}

/* Fields swapped, trailing bytes, no last newline, a NUL, size bounds. */
static void test_parse_order_and_bounds(void **state)
{
	struct vms_enclave_report in;
	char body[2 * VMS_ER_BODY_MAX], big[VMS_ER_BODY_MAX + 2];
	char *a, *b, line_a[100], line_b[100];
	size_t n;

	(void)state;
	t_er_facts(plat, &in);
	/* nonce and enclave_key swapped */
	n = t_er_body(&in, body, sizeof(body));
	a = strstr(body, "nonce=");
	b = strstr(body, "enclave_key=");
	snprintf(line_a, sizeof(line_a), "%.*s", (int)(strchr(a, '\n') - a + 1), a);
	snprintf(line_b, sizeof(line_b), "%.*s", (int)(strchr(b, '\n') - b + 1), b);
	edit(body, sizeof(body), line_b, "@@\n");
	edit(body, sizeof(body), line_a, line_b);
	n = edit(body, sizeof(body), "@@\n", line_a);
	parse_expect(body, n, -EINVAL);
	/* bytes after the last line, or an extra empty line */
	n = t_er_body(&in, body, sizeof(body));
	strcat(body, "extra=1\n");
	parse_expect(body, n + 8, -EINVAL);
	n = t_er_body(&in, body, sizeof(body));
	parse_expect(body, n + 1, -EILSEQ);	/* the NUL counted in */
	strcat(body, "\n");
	parse_expect(body, n + 1, -EINVAL);
	/* the last newline missing */
	n = t_er_body(&in, body, sizeof(body));
	parse_expect(body, n - 1, -EINVAL);
	/* a truncated body at every length */
	for (; n > 0; n--)
		parse_expect(body, n - 1, n - 1 == 0 ? -EMSGSIZE :
			     (n - 1 < strlen("vmshield-enclave-report v2") ? -EILSEQ : -EINVAL));
	/* empty, over the bound, NULL */
	parse_expect("", 0, -EMSGSIZE);
	memset(big, 'a', sizeof(big));
	parse_expect(big, VMS_ER_BODY_MAX + 1, -EMSGSIZE);
	assert_int_equal(vms_enclave_report_parse(NULL, 10, &in), -EINVAL);
	assert_int_equal(vms_enclave_report_parse((uint8_t *)"x", 1, NULL), -EINVAL);
}

/* Evidence of @in signed by @k (high-S when asked). */
struct ev {
	char body[VMS_ER_BODY_MAX + 1];
	uint8_t sig[VMS_ER_SIG_MAX + 8];
	struct vms_enclave_evidence e;
};

static void ev_make(struct ev *v, const struct vms_enclave_report *in, EVP_PKEY *k, int high_s)
{
	v->e.body_len = t_er_body(in, v->body, sizeof(v->body));
	v->e.body = (uint8_t *)v->body;
	v->e.sig_len = t_er_sign(k, v->body, v->e.body_len, high_s, v->sig);
	v->e.sig = v->sig;
}

static void verify_expect(const struct ev *v, EVP_PKEY *k, int want)
{
	struct vms_enclave_report out;

	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(vms_enclave_report_verify(&v->e, k, &out), want);
	if (want)
		assert_true(t_all(&out, sizeof(out), 0));
}

static void test_verify_emulated(void **state)
{
	struct vms_enclave_report in, out;
	struct ev v;
	int i;

	(void)state;
	/* many signatures, so that both halves of s come up before the fix-up */
	for (i = 0; i < 8; i++) {
		t_er_facts(plat, &in);
		ev_make(&v, &in, plat, 0);
		assert_int_equal(vms_enclave_report_verify(&v.e, plat, &out), 0);
		assert_memory_equal(out.nonce, in.nonce, 32);
		assert_memory_equal(out.enclave_key, in.enclave_key, 32);
		assert_memory_equal(out.program, in.program, 32);
		assert_int_equal(out.platform, VMS_PLATFORM_EMULATED);
	}
}

static void test_verify_forged(void **state)
{
	struct vms_enclave_report in;
	EVP_PKEY *ed = vms_pkey_gen_ed25519();
	struct ev v;
	size_t i;

	(void)state;
	assert_non_null(ed);
	t_er_facts(plat, &in);
	/* signed by another key, naming the registered platform */
	ev_make(&v, &in, other, 0);
	verify_expect(&v, plat, -EBADMSG);
	/* a correct signature, checked against another registered key: its id differs */
	ev_make(&v, &in, plat, 0);
	verify_expect(&v, other, -EKEYREJECTED);
	/* signed by another key that names itself: not the registered platform */
	t_er_facts(other, &in);
	ev_make(&v, &in, other, 0);
	verify_expect(&v, plat, -EKEYREJECTED);
	/* a platform key of the wrong kind */
	verify_expect(&v, ed, -EKEYREJECTED);
	EVP_PKEY_free(ed);
	/* any byte of the body changed (kept parseable: a hex digit of the nonce) */
	t_er_facts(plat, &in);
	ev_make(&v, &in, plat, 0);
	v.body[strstr(v.body, "nonce=") - v.body + 6] ^= 0x01;	/* '0'<->'1', 'a'<->'`' */
	verify_expect(&v, plat, vms_enclave_report_parse(v.e.body, v.e.body_len,
							 &in) ? -EINVAL : -EBADMSG);
	/* every bit of the signature */
	t_er_facts(plat, &in);
	ev_make(&v, &in, plat, 0);
	for (i = 0; i < v.e.sig_len * 8; i++) {
		v.sig[i / 8] ^= 1u << (i % 8);
		verify_expect(&v, plat, -EBADMSG);
		v.sig[i / 8] ^= 1u << (i % 8);
	}
	verify_expect(&v, plat, 0);
}

static void test_verify_sig_encoding(void **state)
{
	struct vms_enclave_report in;
	struct ev v;

	(void)state;
	t_er_facts(plat, &in);
	/* high-S: valid for OpenSSL, refused here */
	ev_make(&v, &in, plat, 1);
	verify_expect(&v, plat, -EBADMSG);
	/* trailing byte after the DER */
	ev_make(&v, &in, plat, 0);
	v.sig[v.e.sig_len++] = 0;
	verify_expect(&v, plat, -EBADMSG);
	/* truncated, empty, absent, oversized */
	ev_make(&v, &in, plat, 0);
	v.e.sig_len--;
	verify_expect(&v, plat, -EBADMSG);
	v.e.sig_len = 0;
	verify_expect(&v, plat, -EBADMSG);
	v.e.sig = NULL;
	verify_expect(&v, plat, -EBADMSG);
	v.e.sig = v.sig;
	v.e.sig_len = VMS_ER_SIG_MAX + 1;
	verify_expect(&v, plat, -EMSGSIZE);
	/* non-minimal DER: the SEQUENCE length in long form */
	ev_make(&v, &in, plat, 0);
	memmove(v.sig + 3, v.sig + 2, v.e.sig_len - 2);
	v.sig[2] = v.sig[1];
	v.sig[1] = 0x81;
	v.e.sig_len++;
	verify_expect(&v, plat, -EBADMSG);
	/* a malformed body is refused before any signature is looked at */
	ev_make(&v, &in, plat, 0);
	v.e.body_len--;
	verify_expect(&v, plat, -EINVAL);
	assert_int_equal(vms_enclave_report_verify(NULL, plat, &in), -EINVAL);
	assert_int_equal(vms_enclave_report_verify(&v.e, NULL, &in), -EINVAL);
}

/* SEV-SNP and Nitro: named, never verified in this build. */
static void test_platforms_not_in_build(void **state)
{
	static const unsigned int types[] = { VMS_PLATFORM_SEV_SNP, VMS_PLATFORM_NITRO };
	const struct vms_platform_verifier *pv;
	struct vms_enclave_report in;
	struct ev v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		pv = vms_platform_verifier_of(types[i]);
		assert_non_null(pv);
		assert_int_equal(pv->supported, 0);
		assert_string_equal(pv->name, vms_platform_name(types[i]));
		assert_int_equal(vms_platform_from_name(pv->name), (int)types[i]);
		/* even a body signed correctly by the registered key is refused */
		t_er_facts(plat, &in);
		in.platform = types[i];
		ev_make(&v, &in, plat, 0);
		verify_expect(&v, plat, -EPROTONOSUPPORT);
		assert_int_equal(vms_platform_key_ok(types[i], plat), 0);
	}
	pv = vms_platform_verifier_of(VMS_PLATFORM_EMULATED);
	assert_non_null(pv);
	assert_int_equal(pv->supported, 1);
	assert_int_equal(vms_platform_key_ok(VMS_PLATFORM_EMULATED, plat), 1);
	assert_null(vms_platform_verifier_of(VMS_PLATFORM_NONE));
	assert_null(vms_platform_verifier_of(VMS_PLATFORM__MAX));
	assert_int_equal(vms_platform_from_name("none"), -EINVAL);
	assert_int_equal(vms_platform_from_name("Emulated"), -EINVAL);
	assert_int_equal(vms_platform_from_name(NULL), -EINVAL);
	assert_string_equal(vms_platform_name(99), "unknown");
}

/* ---- the vTPM statement (issue 21, lib/hgs/vtpm_statement.c) ---- */

/* A statement with @gen (text) signed by @k, naming @named's platform id. */
static size_t vs_make(EVP_PKEY *k, EVP_PKEY *named, const char *gen, const char *tail,
		      int high_s, uint8_t *out)
{
	uint8_t pid[32];
	char hp[65];
	size_t n;

	assert_int_equal(vms_platform_id_of(named, pid), 0);
	vms_hex_encode(pid, 32, hp);
	n = (size_t)sprintf((char *)out + 2,
			    "vmshield-vtpm-statement v1\nplatform=emulated\nplatform_id=%s\n"
			    "enclave_key=%064d\nboot_id=%032d\nvm_id=%032x\nkey_id=%032d\n"
			    "generation=%s\n%s", hp, 1, 2, 0xab, 3, gen, tail);
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	return 2 + n + t_er_sign(k, out + 2, n, high_s, out + 2 + n);
}

static void vs_expect(const uint8_t *b, size_t len, EVP_PKEY *k, int want)
{
	struct vms_vtpm_statement st;

	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(vms_vtpm_statement_verify(b, len, k, &st), want);
	if (want) {
		static const struct vms_vtpm_statement zero;

		assert_memory_equal(&st, &zero, sizeof(st));	/* nothing kept */
	}
}

/*
 * The statement's strict parse and the platform's signature: one
 * encoding of every field, nothing after the last line, the generation
 * decimal without a leading zero and within 64 bits; another platform's
 * key, a changed byte, high-S and trailing bytes refused.
 */
static void test_vtpm_statement(void **state)
{
	static const char *const bad_gen[] = {
		"", "01", "-1", "+1", "1 ", "0x10", "18446744073709551616", "123456789012345678901",
	};
	struct vms_vtpm_statement st;
	uint8_t b[1100];
	size_t len, i;

	(void)state;
	len = vs_make(plat, plat, "18446744073709551615", "", 0, b);
	assert_int_equal(vms_vtpm_statement_verify(b, len, plat, &st), 0);
	assert_int_equal(st.generation, UINT64_MAX);
	assert_int_equal(st.platform, VMS_PLATFORM_EMULATED);
	assert_int_equal(st.vm_id[15], 0xab);
	len = vs_make(plat, plat, "0", "", 0, b);
	assert_int_equal(vms_vtpm_statement_verify(b, len, plat, &st), 0);
	assert_int_equal(st.generation, 0);
	for (i = 0; i < ARRAY_SIZE(bad_gen); i++) {
		len = vs_make(plat, plat, bad_gen[i], "", 0, b);
		vs_expect(b, len, plat, -EINVAL);
	}
	/* a line after the last one; upper-case hex */
	len = vs_make(plat, plat, "7", "extra=1\n", 0, b);
	vs_expect(b, len, plat, -EINVAL);
	len = vs_make(plat, plat, "7", "", 0, b);
	b[2 + strlen("vmshield-vtpm-statement v1\nplatform=emulated\nplatform_id=")] = 'A';
	vs_expect(b, len, plat, -EINVAL);
	/* signed by another key naming this platform, or naming its own */
	len = vs_make(other, plat, "7", "", 0, b);
	vs_expect(b, len, plat, -EBADMSG);
	len = vs_make(other, other, "7", "", 0, b);
	vs_expect(b, len, plat, -EKEYREJECTED);
	/* high-S, a changed digit, trailing bytes, framing */
	len = vs_make(plat, plat, "7", "", 1, b);
	vs_expect(b, len, plat, -EBADMSG);
	len = vs_make(plat, plat, "7", "", 0, b);
	b[2 + ((size_t)b[0] << 8 | b[1]) - 2] = '8';
	vs_expect(b, len, plat, -EBADMSG);
	len = vs_make(plat, plat, "7", "", 0, b);
	b[len] = 0;
	vs_expect(b, len + 1, plat, -EBADMSG);
	vs_expect(b, 2, plat, -EMSGSIZE);
	b[0] = 0xff;
	vs_expect(b, len, plat, -EMSGSIZE);
	vs_expect(b, 1025, plat, -EMSGSIZE);
	vs_expect(NULL, 0, plat, -EMSGSIZE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_hex_fields),
		cmocka_unit_test(test_parse_order_and_bounds),
		cmocka_unit_test(test_verify_emulated),
		cmocka_unit_test(test_verify_forged),
		cmocka_unit_test(test_verify_sig_encoding),
		cmocka_unit_test(test_platforms_not_in_build),
		cmocka_unit_test(test_vtpm_statement),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, setup, teardown);
}
