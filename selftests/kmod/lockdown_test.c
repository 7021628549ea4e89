// SPDX-License-Identifier: GPL-2.0
/*
 * lockdown_test - raising lockdown to confidentiality at run time changes
 * what the module reports, closes /proc/kcore, and is measured into IMA.
 * Lockdown only goes up, so the rig runs this test after every test that
 * needs an unlocked host (see TESTS). It also shows that a shielded key
 * release is refused below confidentiality and loads once lockdown holds.
 *
 * A key is never reported above the lowest level it lived at (issue 16,
 * defect 1): the rise makes a new enclave identity, so the key that lived
 * at kernel-open is never the one reported kernel-locked; the keys opened
 * under the old identity are dropped (EKEYREVOKED, "made_at kernel-open
 * failed-closed" in /proc/keys) and releases made for it refused (ENOKEY).
 */
#include <errno.h>
#include <unistd.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define LOCKDOWN "/sys/kernel/security/lockdown"

static int read_kcore_byte(void)
{
	char c;
	int fd = open("/proc/kcore", O_RDONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = read(fd, &c, 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

static int raise_lockdown(const char *level)
{
	int fd = open(LOCKDOWN, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, level, strlen(level));
	close(fd);
	return n == (ssize_t)strlen(level) ? 0 : -errno;
}

/* SEAL then UNSEAL 100 bytes: 0 or the first -errno. */
static int round_trip(int fd, key_serial_t key)
{
	uint8_t pt[100], blob[196], back[100];
	size_t n = sizeof(blob), m = sizeof(back);
	int ret;

	vt_fill_pattern(pt, sizeof(pt), 1);
	ret = vt_seal(fd, key, 1, pt, sizeof(pt), blob, &n);
	if (!ret)
		ret = vt_unseal(fd, key, blob, n, back, &m, NULL);
	if (!ret && memcmp(pt, back, sizeof(pt)))
		ret = -EBADE;
	return ret;
}

TEST(confidentiality_changes_report_and_closes_kcore)
{
	struct vt_vm shielded, es;
	struct vt_release rel_sh, rel_es;
	uint8_t digest[32];
	long k_es, k_sh;
	struct vmshield_info before, after;
	int fd, ima_before, ima_after;
	char line[1024];

	fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vms_get_info(fd, &before));
	ASSERT_EQ(VMSHIELD_LOCKDOWN_NONE, before.lockdown)
		TH_LOG("lockdown already raised: run this test on a fresh guest");
	ASSERT_EQ(VMSHIELD_ISOLATION_KERNEL_OPEN, before.isolation_level);
	EXPECT_EQ(0, read_kcore_byte());
	ima_before = vms_ima_count("vmshield-report");

	/* below confidentiality: shielded refused, encryption-supported fine */
	ASSERT_GT(keyctl_join_session_keyring(NULL), 0);
	ASSERT_EQ(0, vt_sha256_file("/proc/self/exe", digest));
	vt_vm_new(&shielded, VMS_KR_POLICY_SHIELDED, 3600);
	ASSERT_EQ(0, vt_release_build(&shielded, before.enclave_pk, digest, 1,
				      &rel_sh));
	EXPECT_EQ(-EKEYREJECTED, vt_add(shielded.desc, &rel_sh,
					KEY_SPEC_SESSION_KEYRING));
	vt_vm_new(&es, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
	ASSERT_EQ(0, vt_release_build(&es, before.enclave_pk, NULL, 0, &rel_es));
	k_es = vt_add(es.desc, &rel_es, KEY_SPEC_SESSION_KEYRING);
	ASSERT_GT(k_es, 0);
	EXPECT_EQ(0, round_trip(fd, (key_serial_t)k_es));

	ASSERT_EQ(0, raise_lockdown("confidentiality"));

	ASSERT_EQ(0, vms_get_info(fd, &after));
	EXPECT_EQ(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, after.lockdown);
	EXPECT_EQ(VMSHIELD_ISOLATION_KERNEL_LOCKED, after.isolation_level);
	EXPECT_TRUE(after.facts & VMSHIELD_FACT_SIG_ENFORCED);
	/* a new enclave identity: the old key lived at kernel-open */
	EXPECT_NE(0, memcmp(before.enclave_pk, after.enclave_pk, 32));
	EXPECT_EQ(-EPERM, read_kcore_byte());
	if (ima_before >= 0) {
		ima_after = vms_ima_count("vmshield-report");
		EXPECT_EQ(ima_before + 1, ima_after)
			TH_LOG("a changed report must be measured again");
	}
	/* the level never goes down */
	EXPECT_NE(0, raise_lockdown("none"));

	/*
	 * the key opened under the old identity is dropped, and a release
	 * made for the old identity is refused ...
	 */
	EXPECT_EQ(-EKEYREVOKED, round_trip(fd, (key_serial_t)k_es));
	ASSERT_EQ(0, vt_proc_keys_line((key_serial_t)k_es, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "made_at kernel-open failed-closed"))
		TH_LOG("%s", line);
	EXPECT_EQ(-ENOKEY, vt_add(shielded.desc, &rel_sh,
				  KEY_SPEC_SESSION_KEYRING));
	/* ... and one made for the new identity loads, made kernel-locked */
	ASSERT_EQ(0, vt_release_build(&shielded, after.enclave_pk, digest, 1,
				      &rel_sh));
	k_sh = vt_add(shielded.desc, &rel_sh, KEY_SPEC_SESSION_KEYRING);
	EXPECT_GT(k_sh, 0) TH_LOG("shielded add_key: %s", strerror((int)-k_sh));
	if (k_sh > 0) {
		ASSERT_EQ(0, vt_proc_keys_line((key_serial_t)k_sh, line,
					       sizeof(line)));
		EXPECT_NE(NULL, strstr(line, "made_at kernel-locked"))
			TH_LOG("%s", line);
	}
	/* a dumpable caller is not a worker (locked_test covers the rest) */
	if (k_sh > 0)
		EXPECT_EQ(-EPERM, round_trip(fd, (key_serial_t)k_sh));
	keyctl_clear(KEY_SPEC_SESSION_KEYRING);
	close(fd);
}

TEST_HARNESS_MAIN
