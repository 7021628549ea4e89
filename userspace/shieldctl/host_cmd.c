// SPDX-License-Identifier: GPL-2.0
/*
 * host_cmd.c - `shieldctl host ...`: what the guarded host's module
 * reports. `shieldctl host info` prints GET_INFO in a form for people
 * (default) or for scripts (--json).
 */
#include <stdio.h>
#include <string.h>

#include "shieldctl.h"
#include "vmshield.h"

static void host_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl host info [--json]\n\n"
		"Show what vmshield.ko on this host reports: UAPI version, enclave\n"
		"placement, isolation level, lockdown, signature enforcement, whether\n"
		"the crypto self-test passed and IMA recorded the report, and the\n"
		"enclave's public key (what HGS will certify). Needs root.\n");
}

static void print_fact(const char *name, int on)
{
	printf("  %-22s %s\n", name, on ? "yes" : "no");
}

static int host_info(int json)
{
	struct vmshield_info info;
	char pk[65];
	int fd, r;
	size_t i;

	fd = vms_dev_open();
	if (fd < 0)
		return shieldctl_fail("host info", "%s", vms_dev_op_strerror(VMS_OP_OPEN, fd));
	r = vms_dev_get_info(fd, &info);
	vms_dev_close(fd);
	if (r < 0)
		return shieldctl_fail("host info", "%s", vms_dev_op_strerror(VMS_OP_INFO, r));

	for (i = 0; i < sizeof(info.enclave_pk); i++)
		snprintf(pk + 2 * i, 3, "%02x", info.enclave_pk[i]);

	if (json) {
		printf("{\"uapi_version\":%u,\"placement\":\"%s\",\"isolation_level\":\"%s\",\"lockdown\":\"%s\",\"sig_enforced\":%s,\"module_sig_ok\":%s,\"selftest_ok\":%s,\"ima_measured\":%s,\"enclave_pk\":\"%s\",\"max_state_len\":%u}\n",
		       info.uapi_version, vms_placement_name(info.placement),
		       vms_isolation_name(info.isolation_level),
		       vms_lockdown_level_name(info.lockdown),
		       info.facts & VMSHIELD_FACT_SIG_ENFORCED ? "true" : "false",
		       info.facts & VMSHIELD_FACT_MODULE_SIG_OK ? "true" : "false",
		       info.facts & VMSHIELD_FACT_SELFTEST_OK ? "true" : "false",
		       info.facts & VMSHIELD_FACT_IMA_MEASURED ? "true" : "false",
		       pk, info.max_state_len);
		return 0;
	}
	printf("vmshield on this host:\n");
	printf("  %-22s %u\n", "uapi version", info.uapi_version);
	printf("  %-22s %s\n", "enclave placement", vms_placement_name(info.placement));
	printf("  %-22s %s\n", "isolation level", vms_isolation_name(info.isolation_level));
	printf("  %-22s %s\n", "lockdown", vms_lockdown_level_name(info.lockdown));
	print_fact("signatures enforced", info.facts & VMSHIELD_FACT_SIG_ENFORCED);
	print_fact("module signature ok", info.facts & VMSHIELD_FACT_MODULE_SIG_OK);
	print_fact("crypto self-test ok", info.facts & VMSHIELD_FACT_SELFTEST_OK);
	print_fact("report in IMA", info.facts & VMSHIELD_FACT_IMA_MEASURED);
	printf("  %-22s %s\n", "enclave public key", pk);
	printf("  %-22s %u bytes\n", "max vTPM state", info.max_state_len);
	if (info.isolation_level < VMSHIELD_ISOLATION_KERNEL_LOCKED)
		printf("\nnote: shielded VM keys need kernel-locked: raise lockdown to confidentiality and enforce module signatures (Documentation/admin-guide.md)\n");
	return 0;
}

int shieldctl_host_main(int argc, char **argv)
{
	if (argc < 2)
		return shieldctl_usage_exit("host", host_usage);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		host_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "info")) {
		if (argc == 2)
			return host_info(0);
		if (argc == 3 && !strcmp(argv[2], "--json"))
			return host_info(1);
		if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			host_usage(stdout);
			return 0;
		}
	}
	return shieldctl_usage_exit("host", host_usage);
}
