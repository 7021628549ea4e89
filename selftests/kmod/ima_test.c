// SPDX-License-Identifier: GPL-2.0
/*
 * ima_test - the module's report in the kernel's IMA measurement list.
 *
 * HGS certifies an enclave key only if it finds the module's own IMA entry
 * naming it (DESIGN.md section 3). The entry is a critical-data record
 * "10 <template hash> ima-buf sha256:<digest> vmshield-report <hex>" whose
 * digest is SHA-256 of the one-line report text (core/report.c,
 * vms_report_format(), which the module calls). The rig's built-in critical_data policy records it with
 * the ima-buf template, which also carries the text itself as hex: the
 * test checks that it hashes to the digest. This test rebuilds that text from GET_INFO alone, as
 * HGS would from what the agent sends, and finds its digest in the list.
 * Runs on an unlocked host; locked_test checks the kernel-locked entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

FIXTURE(ima) {
	int fd;
	struct vmshield_info info;
};

FIXTURE_SETUP(ima)
{
	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	if (access("/sys/kernel/security/ima/ascii_runtime_measurements", R_OK))
		SKIP(return, "IMA measurement list not available");
}

FIXTURE_TEARDOWN(ima)
{
	close(self->fd);
}

TEST_F(ima, report_entry_matches_get_info)
{
	char text[VMS_REPORT_MAX], pk[65];
	uint8_t d[32];

	ASSERT_GT(vt_report_text(&self->info, text, sizeof(text)), 0);
	vt_hex(self->info.enclave_pk, 32, pk);
	EXPECT_NE(NULL, strstr(text, pk));
	vt_sha256(text, strlen(text), d);
	EXPECT_EQ(1, vt_ima_count_digest(d, "vmshield-report"))
		TH_LOG("no IMA entry in PCR 10 with the digest of: %s", text);
	EXPECT_TRUE(self->info.facts & VMSHIELD_FACT_IMA_MEASURED);
}

TEST_F(ima, latest_report_entry_is_the_current_report)
{
	char text[VMS_REPORT_MAX], line[2048], last[2048] = "";
	char hex[65], want[128], texthex[2 * VMS_REPORT_MAX + 1];
	int lines = 0, last_no = 0;
	uint8_t d[32];
	FILE *f;

	f = fopen("/sys/kernel/security/ima/ascii_runtime_measurements", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (strstr(line, " vmshield-report")) {
			strcpy(last, line);
			last_no = lines;
		}
	}
	fclose(f);
	ASSERT_NE(0, last[0]);
	ASSERT_GT(vt_report_text(&self->info, text, sizeof(text)), 0);
	vt_sha256(text, strlen(text), d);
	vt_hex(d, 32, hex);
	snprintf(want, sizeof(want), " sha256:%s vmshield-report", hex);
	EXPECT_NE(NULL, strstr(last, want)) TH_LOG("last entry: %s", last);
	EXPECT_EQ(0, strncmp(last, "10 ", 3));
	EXPECT_EQ(last_no, vt_ima_line_of(d, "vmshield-report"));
	/* ima-buf carries the report itself: it is exactly our text */
	if (strstr(last, " ima-buf ")) {
		vt_hex(text, strlen(text), texthex);
		EXPECT_NE(NULL, strstr(last, texthex)) TH_LOG("%s", last);
	}
}

TEST_F(ima, another_enclave_key_has_no_entry)
{
	struct vmshield_info forged = self->info;
	char text[VMS_REPORT_MAX];
	uint8_t d[32];

	/* the same report naming another key: HGS would find nothing */
	forged.enclave_pk[31] ^= 1;
	ASSERT_GT(vt_report_text(&forged, text, sizeof(text)), 0);
	vt_sha256(text, strlen(text), d);
	EXPECT_EQ(0, vt_ima_count_digest(d, "vmshield-report"));
	/* nor a report claiming a level (and its facts) the host does not have */
	forged = self->info;
	forged.isolation_level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	forged.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	forged.facts |= VMSHIELD_FACT_SIG_ENFORCED;
	ASSERT_GT(vt_report_text(&forged, text, sizeof(text)), 0);
	vt_sha256(text, strlen(text), d);
	EXPECT_EQ(0, vt_ima_count_digest(d, "vmshield-report"));
}

TEST_F(ima, unchanged_report_is_not_measured_again)
{
	struct vmshield_info info;
	int before, after, i;

	before = vms_ima_count("vmshield-report");
	ASSERT_GE(before, 1);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, vms_get_info(self->fd, &info));
	after = vms_ima_count("vmshield-report");
	EXPECT_EQ(before, after);
	EXPECT_EQ(0, memcmp(info.enclave_pk, self->info.enclave_pk, 32));
}

/* The digest of the report GET_INFO gives now is the list's last report entry. */
static void last_entry_is(struct __test_metadata *_metadata,
			  const struct vmshield_info *info)
{
	char text[VMS_REPORT_MAX];
	uint8_t d[32];
	int last = 0, n = 0;
	char line[2048];
	FILE *f;

	ASSERT_GT(vt_report_text(info, text, sizeof(text)), 0);
	vt_sha256(text, strlen(text), d);
	f = fopen("/sys/kernel/security/ima/ascii_runtime_measurements", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (++n && strstr(line, " vmshield-report"))
			last = n;
	fclose(f);
	EXPECT_EQ(last, vt_ima_line_of(d, "vmshield-report"))
		TH_LOG("the last report entry is not: %s", text);
}

/*
 * Issue 17 item 5: the KPS key the enclave accepts is in the report.
 * Whoever names a key first (here the tests' key, as root could name its
 * own), the report says kps_pk=<that key>, the module measures it into
 * IMA at once (HGS in TPM mode sees it as the last report entry and
 * refuses a key that is not its own: KpsKeyMismatch), and GET_INFO gives
 * the same key. A second key is refused (EPERM) and changes nothing:
 * neither the key, nor the report, nor the list. Run first in a boot, the
 * report said kps_pk=none before.
 */
TEST_F(ima, kps_key_named_is_reported_and_measured)
{
	uint8_t want[32], other_sk[32], c[32];
	struct vmshield_info info, again;
	char text[VMS_REPORT_MAX], hex[65], field[80];
	int before, after;
	uint64_t ns;

	ASSERT_EQ(0, vms_prim_x25519_base(want, vt_kps_sk));
	before = vms_ima_count("vmshield-report");
	if (!(self->info.facts & VMSHIELD_FACT_KPS_SET)) {
		EXPECT_TRUE(vms_all_zero(self->info.kps_pk, 32));
		ASSERT_GT(vt_report_text(&self->info, text, sizeof(text)), 0);
		EXPECT_NE(NULL, strstr(text, " kps_pk=none")) TH_LOG("%s", text);
		last_entry_is(_metadata, &self->info);
	}
	ASSERT_EQ(0, vt_challenge(vt_kps_sk, c, &ns));
	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	ASSERT_TRUE(info.facts & VMSHIELD_FACT_KPS_SET);
	EXPECT_EQ(0, memcmp(info.kps_pk, want, 32));
	ASSERT_GT(vt_report_text(&info, text, sizeof(text)), 0);
	vt_hex(want, 32, hex);
	snprintf(field, sizeof(field), " kps_pk=%s", hex);
	EXPECT_NE(NULL, strstr(text, field)) TH_LOG("%s", text);
	last_entry_is(_metadata, &info);
	after = vms_ima_count("vmshield-report");
	if (!(self->info.facts & VMSHIELD_FACT_KPS_SET))
		EXPECT_EQ(before + 1, after);	/* measured once, when named */

	/* another key: refused, and nothing changes */
	memcpy(other_sk, vt_kps_sk, 32);
	other_sk[0] ^= 0x55;
	EXPECT_EQ(-EPERM, vt_challenge(other_sk, c, &ns));
	ASSERT_EQ(0, vms_get_info(self->fd, &again));
	EXPECT_EQ(0, memcmp(again.kps_pk, want, 32));
	EXPECT_EQ(after, vms_ima_count("vmshield-report"));
	last_entry_is(_metadata, &again);
}

TEST_HARNESS_MAIN
