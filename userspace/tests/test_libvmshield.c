// SPDX-License-Identifier: GPL-2.0
/*
 * test_libvmshield.c - the parts of libvmshield's VM-key and seal API that
 * run without the module: key descriptions, argument checks (refused before
 * any system call), the atomic sealed-state file, and a message for every
 * errno Documentation/uapi.md lists for add_key, SEAL and UNSEAL. The calls
 * against the real module are tested by selftests/kmod/libvmshield_test.
 */
#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vmshield.h"
#include "vms_fileio.h"

static const uint8_t id[16] = {
	0x6f, 0x1c, 0x2a, 0x5e, 0x93, 0x0d, 0x4b, 0x71,
	0x8a, 0x42, 0x0c, 0x5d, 0xe1, 0x77, 0x30, 0x9b,
};
#define ID_DESC "vm:6f1c2a5e-930d-4b71-8a42-0c5de177309b"

static void test_desc_is_lower_case_canonical(void **state)
{
	char d[VMS_KEY_DESC_LEN];

	(void)state;
	assert_int_equal(0, vms_dev_key_desc(id, d, sizeof(d)));
	assert_string_equal(ID_DESC, d);
	assert_int_equal(strlen(d) + 1, VMS_KEY_DESC_LEN);
	memset(d, 0, sizeof(d));
	assert_int_equal(0, vms_dev_key_desc_uuid(
		"6F1C2A5E-930D-4B71-8A42-0C5DE177309B", d, sizeof(d)));
	assert_string_equal(ID_DESC, d);
	assert_int_equal(0, vms_dev_key_desc_uuid(ID_DESC + 3, d, sizeof(d)));
	assert_string_equal(ID_DESC, d);
}

static void test_desc_refuses_bad_input(void **state)
{
	char d[VMS_KEY_DESC_LEN];

	(void)state;
	assert_int_equal(-ENOSPC, vms_dev_key_desc(id, d, sizeof(d) - 1));
	assert_int_equal(-EINVAL, vms_dev_key_desc(NULL, d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc(id, NULL, 64));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(NULL, d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(ID_DESC, d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(
		"6f1c2a5e930d4b718a420c5de177309b", d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(
		"6f1c2a5e-930d-4b71-8a42-0c5de177309", d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(
		"6f1c2a5e-930d-4b71-8a42-0c5de177309g", d, sizeof(d)));
	assert_int_equal(-EINVAL, vms_dev_key_desc_uuid(
		"{6f1c2a5e-930d-4b71-8a42-0c5de17730}", d, sizeof(d)));
}

static void test_key_calls_check_arguments(void **state)
{
	uint8_t rel[164] = { 0 };

	(void)state;
	assert_int_equal(-EINVAL, vms_dev_key_load(id, NULL, 164,
						   KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_load(id, rel, 0,
						   KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_load(NULL, rel, sizeof(rel),
						   KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_load(id, rel, sizeof(rel), 0));
	assert_int_equal(-EINVAL, vms_dev_key_load_uuid("not-a-uuid", rel,
			 sizeof(rel), KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_load_uuid(NULL, rel, sizeof(rel),
			 KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_revoke(0));
	assert_int_equal(-EINVAL, vms_dev_key_revoke(-5));
	assert_int_equal(-EINVAL, vms_dev_key_unlink(0, KEY_SPEC_SESSION_KEYRING));
	assert_int_equal(-EINVAL, vms_dev_key_unlink(1234, 0));
}

static void test_seal_calls_check_arguments(void **state)
{
	uint8_t in[8] = { 1 }, *out = (uint8_t *)in;
	size_t outlen = 99;
	uint64_t gen = 7;

	(void)state;
	assert_int_equal(-EBADF, vms_dev_seal(-1, 5, 0, in, 8, &out, &outlen));
	assert_null(out);
	assert_int_equal(0, outlen);
	assert_int_equal(-EINVAL, vms_dev_seal(0, 0, 0, in, 8, &out, &outlen));
	assert_int_equal(-EINVAL, vms_dev_seal(0, -1, 0, in, 8, &out, &outlen));
	assert_int_equal(-EINVAL, vms_dev_seal(0, 5, 0, NULL, 8, &out, &outlen));
	assert_int_equal(-EINVAL, vms_dev_seal(0, 5, 0, in, 8, NULL, &outlen));
	assert_int_equal(-EINVAL, vms_dev_seal(0, 5, 0, in, 8, &out, NULL));
	assert_int_equal(-EMSGSIZE, vms_dev_seal(0, 5, 0, in,
			 VMSHIELD_MAX_STATE_LEN + 1, &out, &outlen));
	assert_int_equal(-EBADF, vms_dev_unseal(-1, 5, in, 8, &out, &outlen,
						&gen));
	assert_int_equal(-EINVAL, vms_dev_unseal(0, 0, in, 8, &out, &outlen,
						 &gen));
	assert_int_equal(-EINVAL, vms_dev_unseal(0, 5, NULL, 8, &out, &outlen,
						 &gen));
	assert_int_equal(-EMSGSIZE, vms_dev_unseal(0, 5, in,
			 VMSHIELD_MAX_STATE_LEN + VMSHIELD_SEAL_OVERHEAD + 1,
			 &out, &outlen, &gen));
	assert_int_equal(7, gen);
	assert_int_equal(-EINVAL, vms_dev_seal_to_file(0, 5, 0, in, 8, NULL));
	assert_int_equal(-EINVAL, vms_dev_seal_to_file(0, 5, 0, in, 8, ""));
	assert_int_equal(-EINVAL, vms_dev_unseal_file(0, 5, NULL, &out, &outlen,
						      NULL));
	assert_int_equal(-EBADF, vms_dev_unseal_file(-1, 5, "/nonexistent",
						     &out, &outlen, NULL));
	vms_dev_free(NULL, 0);
}

/* Not /dev/vmshield: the ioctl's own errno comes back, nothing is allocated. */
static void test_seal_on_other_device_is_enotty(void **state)
{
	uint8_t in[8] = { 1 }, *out = NULL;
	size_t outlen = 0;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(-ENOTTY, vms_dev_seal(fd, 5, 0, in, 8, &out, &outlen));
	assert_null(out);
	assert_int_equal(-ENOTTY, vms_dev_unseal(fd, 5, in, 8, &out, &outlen,
						 NULL));
	assert_null(out);
	/* A tiny blob still reaches the kernel (which says what is wrong). */
	assert_int_equal(-ENOTTY, vms_dev_unseal(fd, 5, in, 1, &out, &outlen,
						 NULL));
	close(fd);
}

static void test_sealed_file_is_written_atomically(void **state)
{
	char dir[] = "/tmp/vms-libtest-XXXXXX", path[64], tmpl[80];
	uint8_t a[100], b[300], *back, *out;
	size_t len, outlen;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm01.sealed", dir);
	memset(a, 0xa1, sizeof(a));
	memset(b, 0xb2, sizeof(b));
	assert_int_equal(0, vms_dev_write_sealed(path, a, sizeof(a)));
	assert_int_equal(0, stat(path, &st));
	assert_int_equal(0600, st.st_mode & 07777);
	assert_int_equal(0, vms_dev_write_sealed(path, b, sizeof(b)));
	assert_int_equal(0, vms_read_file(path, 1 << 20, &back, &len));
	assert_int_equal(sizeof(b), len);
	assert_memory_equal(b, back, len);
	free(back);
	assert_int_equal(-EINVAL, vms_dev_write_sealed(path, NULL, 5));
	assert_int_equal(-EINVAL, vms_dev_write_sealed(path, a, 0));
	assert_int_equal(-EINVAL, vms_dev_write_sealed(NULL, a, 5));
	/* The file is read before the device is touched: a missing file. */
	snprintf(tmpl, sizeof(tmpl), "%s/missing", dir);
	assert_int_equal(-ENOENT, vms_dev_unseal_file(0, 5, tmpl, &out,
						      &outlen, NULL));
	/* Only the target is left: no temporary files behind. */
	assert_int_equal(0, unlink(path));
	assert_int_equal(0, rmdir(dir));
}

/* A small text file cut to the buffer; a port file (hgsd's port_file): a port, or 0 for anything else. */
static void test_port_file_is_read_strictly(void **state)
{
	static const struct {
		const char *text;
		unsigned int port;
	} cases[] = {
		{ "8443\n", 8443 }, { "1", 1 }, { "65535\n", 65535 }, { "", 0 },
		{ "\n", 0 }, { "0\n", 0 }, { "65536\n", 0 }, { "-1\n", 0 },
		{ " 80\n", 0 }, { "80\t", 0 }, { "80\n\n", 0 }, { "8o\n", 0 },
		{ "99999999999999\n", 0 },
	};
	char dir[] = "/tmp/vms-libtest-XXXXXX", path[64], small[4] = "x";
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/port", dir);
	assert_int_equal(vms_read_port_file(path), 0);	/* not there yet */
	assert_int_equal(vms_read_text(path, small, sizeof(small)), -ENOENT);
	assert_string_equal(small, "");
	assert_int_equal(vms_write_file_atomic(path, "12345", 5, 0600, 0), 0);
	assert_int_equal(vms_read_text(path, small, sizeof(small)), 3);	/* cut, NUL-terminated */
	assert_string_equal(small, "123");
	assert_int_equal(vms_read_text(path, small, 0), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(vms_write_file_atomic(path, cases[i].text, strlen(cases[i].text),
						       0600, 0), 0);
		if (vms_read_port_file(path) != cases[i].port)
			fail_msg("port file \"%s\": got %u, want %u", cases[i].text,
				 vms_read_port_file(path), cases[i].port);
	}
	assert_int_equal(0, unlink(path));
	assert_int_equal(0, rmdir(dir));
}

struct doc_err {
	enum vms_op op;
	int err;
};

/* Every errno Documentation/uapi.md lists, per operation. */
static const struct doc_err documented[] = {
	{ VMS_OP_OPEN, ENOENT }, { VMS_OP_OPEN, EACCES },
	{ VMS_OP_OPEN, ENXIO }, { VMS_OP_OPEN, ENODEV },
	{ VMS_OP_INFO, EFAULT }, { VMS_OP_INFO, EINVAL },
	{ VMS_OP_INFO, ENOTTY }, { VMS_OP_INFO, EBADF },
	{ VMS_OP_KEY_LOAD, EMSGSIZE }, { VMS_OP_KEY_LOAD, EINVAL },
	{ VMS_OP_KEY_LOAD, EILSEQ }, { VMS_OP_KEY_LOAD, EPROTONOSUPPORT },
	{ VMS_OP_KEY_LOAD, ENOKEY }, { VMS_OP_KEY_LOAD, EKEYREJECTED },
	{ VMS_OP_KEY_LOAD, EBADMSG }, { VMS_OP_KEY_LOAD, ENOMEM },
	{ VMS_OP_KEY_LOAD, EACCES }, { VMS_OP_KEY_LOAD, EDQUOT },
	{ VMS_OP_KEY_LOAD, ENOTDIR }, { VMS_OP_KEY_LOAD, ENODEV },
	{ VMS_OP_KEY_DROP, ENOKEY }, { VMS_OP_KEY_DROP, EKEYREVOKED },
	{ VMS_OP_KEY_DROP, EACCES }, { VMS_OP_KEY_DROP, ENOENT },
	{ VMS_OP_SEAL, EFAULT }, { VMS_OP_SEAL, EINVAL },
	{ VMS_OP_SEAL, EMSGSIZE }, { VMS_OP_SEAL, ENOSPC },
	{ VMS_OP_SEAL, ENOKEY }, { VMS_OP_SEAL, EACCES },
	{ VMS_OP_SEAL, EPERM }, { VMS_OP_SEAL, EKEYREJECTED },
	{ VMS_OP_SEAL, EKEYEXPIRED }, { VMS_OP_SEAL, EKEYREVOKED },
	{ VMS_OP_SEAL, EDQUOT }, { VMS_OP_SEAL, ENOMEM },
	{ VMS_OP_SEAL, ENOTTY }, { VMS_OP_SEAL, EBADF },
	{ VMS_OP_UNSEAL, EFAULT }, { VMS_OP_UNSEAL, EINVAL },
	{ VMS_OP_UNSEAL, EMSGSIZE }, { VMS_OP_UNSEAL, ENOSPC },
	{ VMS_OP_UNSEAL, ENOKEY }, { VMS_OP_UNSEAL, EACCES },
	{ VMS_OP_UNSEAL, EPERM }, { VMS_OP_UNSEAL, EKEYREJECTED },
	{ VMS_OP_UNSEAL, EKEYEXPIRED }, { VMS_OP_UNSEAL, EKEYREVOKED },
	{ VMS_OP_UNSEAL, EDQUOT }, { VMS_OP_UNSEAL, ENOMEM },
	{ VMS_OP_UNSEAL, EILSEQ }, { VMS_OP_UNSEAL, EPROTONOSUPPORT },
	{ VMS_OP_UNSEAL, EBADMSG }, { VMS_OP_UNSEAL, ENOTTY },
	{ VMS_OP_FILE, ENOENT }, { VMS_OP_FILE, EACCES },
	{ VMS_OP_FILE, ENOSPC }, { VMS_OP_FILE, EROFS },
	{ VMS_OP_FILE, EMSGSIZE }, { VMS_OP_FILE, EIO },
};

/* The errnos the generic vms_dev_strerror() must explain. */
static const int any_errs[] = {
	ENOENT, ENXIO, ENODEV, EACCES, EPERM, EINVAL, EFAULT, ENOTTY, EBADF,
	EMSGSIZE, EILSEQ, EPROTONOSUPPORT, ENOKEY, EKEYREJECTED, EBADMSG,
	EKEYEXPIRED, EKEYREVOKED, EDQUOT, ENOSPC, ENOMEM, ENOTDIR,
};

static void check_msg(const char *m, int err)
{
	assert_non_null(m);
	/* Our own text, not libc's: it says what to do after a colon. */
	assert_string_not_equal(m, strerror(err));
	assert_non_null(strchr(m, ':'));
	assert_true(strlen(m) > 30);
}

static void test_every_documented_errno_has_a_message(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(documented); i++) {
		const char *m = vms_dev_op_strerror(documented[i].op,
						    -documented[i].err);

		check_msg(m, documented[i].err);
		/* Positive and negative errno give the same text. */
		assert_ptr_equal(m, vms_dev_op_strerror(documented[i].op,
							documented[i].err));
	}
	for (i = 0; i < ARRAY_SIZE(any_errs); i++)
		check_msg(vms_dev_strerror(-any_errs[i]), any_errs[i]);
}

static void test_messages_say_what_to_do(void **state)
{
	(void)state;
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -EPERM),
			       "prctl(PR_SET_DUMPABLE, 0)"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_UNSEAL, -EPERM),
			       "prctl(PR_SET_DUMPABLE, 0)"));
	assert_non_null(strstr(vms_dev_strerror(-EPERM),
			       "prctl(PR_SET_DUMPABLE, 0)"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_UNSEAL, -EACCES),
			       "not an approved worker"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_UNSEAL, -EACCES),
			       "IMA digest"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_UNSEAL, -EACCES),
			       "Read permission"));
	assert_non_null(strstr(vms_dev_strerror(-EACCES), "approved worker"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_OPEN, -EACCES),
			       "root"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_KEY_LOAD, -ENOKEY),
			       "another enclave"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -ENOKEY),
			       "load"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -EDQUOT),
			       "seal limit"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_KEY_LOAD, -EDQUOT),
			       "quota"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_UNSEAL, -EBADMSG),
			       "altered"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -EKEYREJECTED),
			       "kernel-locked"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -EKEYEXPIRED),
			       "released again"));
	assert_non_null(strstr(vms_dev_op_strerror(VMS_OP_SEAL, -EKEYREVOKED),
			       "revoked"));
	/* The shieldctl message for a missing module is unchanged. */
	assert_string_equal(vms_dev_strerror(-ENOENT),
		"/dev/vmshield does not exist: load the module (modprobe vmshield)");
	/* An errno no call documents falls back to libc's text. */
	assert_string_equal(vms_dev_op_strerror(VMS_OP_SEAL, -ETIMEDOUT),
			    strerror(ETIMEDOUT));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_file_is_read_strictly),
		cmocka_unit_test(test_desc_is_lower_case_canonical),
		cmocka_unit_test(test_desc_refuses_bad_input),
		cmocka_unit_test(test_key_calls_check_arguments),
		cmocka_unit_test(test_seal_calls_check_arguments),
		cmocka_unit_test(test_seal_on_other_device_is_enotty),
		cmocka_unit_test(test_sealed_file_is_written_atomically),
		cmocka_unit_test(test_every_documented_errno_has_a_message),
		cmocka_unit_test(test_messages_say_what_to_do),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("libvmshield", tests, NULL, NULL);
}
