// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - shieldctl: the tenant and admin CLI. Dispatches the first
 * argument to a command family; a new family is one line in the table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shieldctl.h"

static const struct shieldctl_family families[] = {
	{ "crypto", "key pairs, HPKE, key releases and sealed state (low level)",
	  shieldctl_crypto_main },
	{ "host", "what vmshield.ko on this host reports (isolation, enclave key)",
	  shieldctl_host_main },
	{ "hgs", "HGS administration: hosts, policy, worker digests, guardians, audit",
	  shieldctl_hgs_main },
	{ "guardian", "guardians: create, export, import an HGS's guardian",
	  shieldctl_guardian_main },
	{ "kp", "key protectors: create, grant, revoke, show",
	  shieldctl_kp_main },
	{ "diagnose", "check this guarded host and say what to fix", shieldctl_diagnose_main },
	{ "tpm", "this host's TPM for TPM-mode attestation: EK, AK, quote, activate",
	  shieldctl_tpm_main },
	{ "vm", "HGS's view of a shielded VM's transport key (version, last release)",
	  shieldctl_vm_main },
};

#define N_FAMILIES ARRAY_SIZE(families)

int shieldctl_fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "shieldctl %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

const char *shieldctl_write_strerror(int r)
{
	if (r == -EEXIST)
		return "the file exists; give another name (it is never replaced)";
	return strerror(-r);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: shieldctl COMMAND [ARGS...]\n\nCommands:\n");
	for (i = 0; i < N_FAMILIES; i++)
		fprintf(f, "  %-10s %s\n", families[i].name, families[i].summary);
	fprintf(f, "\nRun 'shieldctl COMMAND --help' for a command's help;\n"
		"'shieldctl --version' prints the version.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("shieldctl %s\n", VMS_VERSION);
		return 0;
	}
	for (i = 0; i < N_FAMILIES; i++)
		if (!strcmp(argv[1], families[i].name))
			return families[i].main(argc - 1, argv + 1);
	fprintf(stderr,
		"shieldctl: unknown command '%s'; run 'shieldctl --help' for the list\n",
		argv[1]);
	return 1;
}
