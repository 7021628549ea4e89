/* SPDX-License-Identifier: GPL-2.0 */
/*
 * swtpm_fixture.h - a real TPM 2.0 for the tests: swtpm (libtpms)
 * provisioned by swtpm_setup with EKs and EK certificates from a local CA
 * made here, serving on 127.0.0.1 only.
 */
#ifndef VMS_SWTPM_FIXTURE_H
#define VMS_SWTPM_FIXTURE_H

#include <sys/types.h>

struct t_swtpm {
	pid_t pid;		/* -1 when not running */
	int port;		/* the TPM port; the control port is port + 1 */
	char tcti[128];		/* tpm2-tss TCTI for it */
};

/*
 * In @dir (absolute; the current directory, where tools.log goes): the
 * local CA under @dir/ca (its root: ca/swtpm-localca-rootca-cert.pem),
 * the TPM state in @state (an existing directory), swtpm started on a
 * free port pair and TPM2TOOLS_TCTI set to it. 0, or -1 with a line on
 * stderr saying what failed.
 */
int t_swtpm_start(struct t_swtpm *s, const char *dir, const char *state);
/* Stop it (SIGTERM) if it runs. */
void t_swtpm_stop(struct t_swtpm *s);

#endif /* VMS_SWTPM_FIXTURE_H */
