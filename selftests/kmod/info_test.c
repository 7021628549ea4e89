// SPDX-License-Identifier: GPL-2.0
/*
 * info_test - VMSHIELD_IOC_GET_INFO: the report, and every documented
 * errno for bad input. Runs in the guarded-host rig with the module loaded
 * and lockdown not raised (lockdown_test raises it, and runs last).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include "common.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s (module loaded?)",
				      VMSHIELD_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, reports_version_placement_and_key)
{
	struct vmshield_info info;

	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	EXPECT_EQ(VMSHIELD_UAPI_VERSION, info.uapi_version);
	EXPECT_EQ(VMSHIELD_PLACEMENT_KERNEL, info.placement);
	EXPECT_FALSE(vms_all_zero(info.enclave_pk, sizeof(info.enclave_pk)));
	EXPECT_EQ(0, info.facts & ~VMSHIELD_FACTS_ALL);
	EXPECT_TRUE(info.facts & VMSHIELD_FACT_SELFTEST_OK);
	EXPECT_EQ(0, info.flags);
	/* the KPS key exactly when its fact says one was named */
	EXPECT_EQ(!(info.facts & VMSHIELD_FACT_KPS_SET),
		  vms_all_zero(info.kps_pk, sizeof(info.kps_pk)));
}

/* the host facts: lockdown at load (the rig loads at none), Yama's scope */
TEST_F(dev, reports_lockdown_at_load_and_ptrace_scope)
{
	struct vmshield_info info;
	FILE *f;
	int scope = -1;

	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	ASSERT_TRUE(info.facts & VMSHIELD_FACT_HOST_FACTS);
	EXPECT_EQ(VMSHIELD_LOCKDOWN_NONE, info.lockdown_at_load);
	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	if (f) {
		ASSERT_EQ(1, fscanf(f, "%d", &scope));
		fclose(f);
		EXPECT_EQ(scope, info.ptrace_scope);
	} else {
		EXPECT_EQ(VMSHIELD_PTRACE_SCOPE_UNKNOWN, info.ptrace_scope);
	}
}

TEST_F(dev, unlocked_host_reports_kernel_open)
{
	struct vmshield_info info;

	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	EXPECT_EQ(VMSHIELD_LOCKDOWN_NONE, info.lockdown);
	EXPECT_EQ(VMSHIELD_ISOLATION_KERNEL_OPEN, info.isolation_level);
	/* the rig loads an unsigned module without sig_enforce */
	EXPECT_FALSE(info.facts & VMSHIELD_FACT_SIG_ENFORCED);
	EXPECT_FALSE(info.facts & VMSHIELD_FACT_MODULE_SIG_OK);
}

TEST_F(dev, enclave_key_is_stable_within_a_load)
{
	struct vmshield_info a, b;

	ASSERT_EQ(0, vms_get_info(self->fd, &a));
	ASSERT_EQ(0, vms_get_info(self->fd, &b));
	EXPECT_EQ(0, memcmp(a.enclave_pk, b.enclave_pk, sizeof(a.enclave_pk)));
}

TEST_F(dev, ima_records_the_report)
{
	struct vmshield_info info;
	int n = vms_ima_count("vmshield-report");

	if (n < 0)
		SKIP(return, "IMA securityfs list not available");
	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	EXPECT_GE(n, 1);
	EXPECT_TRUE(info.facts & VMSHIELD_FACT_IMA_MEASURED);
}

TEST_F(dev, unknown_flag_is_einval)
{
	struct vmshield_info info = { .flags = 1 };
	struct vmshield_info copy;

	memcpy(&copy, &info, sizeof(info));
	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&copy, &info, sizeof(info))); /* not written */
}

TEST_F(dev, reserved_fields_must_be_zero)
{
	struct vmshield_info info = { .lockdown_at_load = 7 };

	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	memset(&info, 0, sizeof(info));
	info.ptrace_scope = 1;	/* out only: an input is refused */
	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	memset(&info, 0, sizeof(info));
	info.kps_pk[31] = 1;	/* out only: in, it must be zero */
	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, info.uapi_version);
}

TEST_F(dev, null_and_unmapped_pointers_are_efault)
{
	void *page;

	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, page));
	EXPECT_EQ(EFAULT, errno);
	munmap(page, 4096);
}

TEST_F(dev, partially_mapped_struct_is_efault)
{
	char *two;
	struct vmshield_info *info;

	/* struct straddles a readable page and an unmapped one */
	two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + 4096, 4096));
	info = (struct vmshield_info *)(two + 4096 - 16);
	memset(two + 4096 - 16, 0, 16);
	ASSERT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, info));
	EXPECT_EQ(EFAULT, errno);
	munmap(two, 4096);
}

TEST_F(dev, unknown_command_is_enotty)
{
	struct vmshield_info info = {};

	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(VMSHIELD_IOC_MAGIC, 0x7f,
					    struct vmshield_info), &info));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->fd, _IO('x', 1)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, wrong_size_is_enotty)
{
	char buf[sizeof(struct vmshield_info) + 8] = {};

	/* same number, other size: a different command as far as the ABI goes */
	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(VMSHIELD_IOC_MAGIC, 0x00,
					    char[sizeof(buf)]), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST(struct_layout_has_no_padding)
{
	EXPECT_EQ(96, sizeof(struct vmshield_info));
	EXPECT_EQ(24, __builtin_offsetof(struct vmshield_info, enclave_pk));
	EXPECT_EQ(64, __builtin_offsetof(struct vmshield_info, kps_pk));
}

TEST_HARNESS_MAIN
