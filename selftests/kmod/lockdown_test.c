// SPDX-License-Identifier: GPL-2.0
/*
 * lockdown_test - raising lockdown to confidentiality at run time changes
 * what the module reports, closes /proc/kcore, and is measured into IMA.
 * Lockdown only goes up, so the rig runs this test last.
 */
#include <errno.h>
#include <unistd.h>
#include "common.h"
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

TEST(confidentiality_changes_report_and_closes_kcore)
{
	struct vmshield_info before, after;
	int fd, ima_before, ima_after;

	fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vms_get_info(fd, &before));
	ASSERT_EQ(VMSHIELD_LOCKDOWN_NONE, before.lockdown)
		TH_LOG("lockdown already raised: run this test on a fresh guest");
	ASSERT_EQ(VMSHIELD_ISOLATION_KERNEL_OPEN, before.isolation_level);
	EXPECT_EQ(0, read_kcore_byte());
	ima_before = vms_ima_count("vmshield-report");

	ASSERT_EQ(0, raise_lockdown("confidentiality"));

	ASSERT_EQ(0, vms_get_info(fd, &after));
	EXPECT_EQ(VMSHIELD_LOCKDOWN_CONFIDENTIALITY, after.lockdown);
	EXPECT_EQ(VMSHIELD_ISOLATION_KERNEL_LOCKED, after.isolation_level);
	EXPECT_TRUE(after.facts & VMSHIELD_FACT_SIG_ENFORCED);
	/* the enclave identity does not change with the level */
	EXPECT_EQ(0, memcmp(before.enclave_pk, after.enclave_pk, 32));
	EXPECT_EQ(-EPERM, read_kcore_byte());
	if (ima_before >= 0) {
		ima_after = vms_ima_count("vmshield-report");
		EXPECT_EQ(ima_before + 1, ima_after)
			TH_LOG("a changed report must be measured again");
	}
	/* the level never goes down */
	EXPECT_NE(0, raise_lockdown("none"));
	close(fd);
}

TEST_HARNESS_MAIN
