// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - shieldctl: the tenant and admin CLI. Dispatches the first
 * argument to a command family; a new family is one line in the table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "shieldctl.h"
#include "vms_cleanup_json.h"

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

/* --json anywhere on the command line: errors are JSON too. */
static int json_errors;
/* The status a usage or reachability failure asked for (else 1). */
static int exit_status;

/*
 * Say why @what failed: "shieldctl WHAT: message", or with --json one
 * line {"status":"Failed","command":...,"exit":N,"error":...}, on stderr.
 */
static int report(int status, const char *what, const char *fmt, va_list ap)
{
	_cleanup_(vms_json_decrefp) json_t *o = NULL;
	_cleanup_(vms_freep) char *s = NULL;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!exit_status)
		exit_status = status;
	if (json_errors) {
		o = json_pack("{s:s, s:s, s:i, s:s}", "status", "Failed", "command", what,
			      "exit", status, "error", msg);
		s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	}
	if (s)
		fprintf(stderr, "%s\n", s);
	else
		fprintf(stderr, "shieldctl %s: %s\n", what, msg);
	return status;
}

int shieldctl_fail(const char *what, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(VMS_EXIT_FAILED, what, fmt, ap);
	va_end(ap);
	return r;
}

int shieldctl_usage_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(VMS_EXIT_USAGE, what, fmt, ap);
	va_end(ap);
	return r;
}

int shieldctl_unreachable(const char *what, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(VMS_EXIT_UNREACHABLE, what, fmt, ap);
	va_end(ap);
	return r;
}

int shieldctl_usage_exit(const char *what, void (*usage_fn)(FILE *f))
{
	if (json_errors)
		return shieldctl_usage_error(what, "usage: see 'shieldctl %s --help'", what);
	usage_fn(stderr);
	exit_status = VMS_EXIT_USAGE;
	return VMS_EXIT_USAGE;
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
	int j, r;

	for (j = 1; j < argc; j++)
		if (!strcmp(argv[j], "--json"))
			json_errors = 1;
	if (argc < 2)
		return shieldctl_usage_exit("", usage);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("shieldctl %s\n", VMS_VERSION);
		return 0;
	}
	for (i = 0; i < N_FAMILIES; i++) {
		if (strcmp(argv[1], families[i].name))
			continue;
		r = families[i].main(argc - 1, argv + 1);
		/* a family returns 1 for any failure; what was reported decides */
		return r && exit_status ? exit_status : r;
	}
	return shieldctl_usage_error(argv[1], "unknown command; run 'shieldctl --help' for the list");
}
