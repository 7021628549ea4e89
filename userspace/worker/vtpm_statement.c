// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_statement.c - the signed generation statement next to the vTPM's
 * state file (vtpm_statement.h).
 *
 * Called after every CONFIRM and after a CREATE from the stored state.
 * A statement that cannot be had or written does not stop the VM: it
 * only leaves HGS's freshness record where it was (the release's floor
 * then stays lower, never wrong), while stopping would turn a full disk
 * into a VM outage. The previous statement stays in place (atomic
 * rename), older but still true, and the failure is logged once per run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vms_fileio.h"
#include "vtpm_remote.h"
#include "vtpm_statement.h"

int vtpm_statement_path(const char *state_path, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.statement", state_path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vtpm_statement_abs_path(const char *state_path, char *out, size_t len)
{
	char cwd[4096];
	int n;

	if (state_path[0] == '/')
		return vtpm_statement_path(state_path, out, len);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	n = snprintf(out, len, "%s/%s.statement", cwd, state_path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vtpm_statement_save(struct vtpm_remote *r)
{
	struct vmshield_vtpm a;
	char path[4096];
	int e;

	e = vtpm_statement_path(r->path, path, sizeof(path));
	/* the module takes no smaller buffer; r->out may hold QEMU's answer */
	if (!e && !r->stmt_out) {
		r->stmt_out = malloc(VMSHIELD_VTPM_OUT_MIN);
		if (!r->stmt_out)
			e = -ENOMEM;
	}
	if (!e) {
		memset(&a, 0, sizeof(a));
		a.key_serial = r->key;
		a.op = VMSHIELD_VTPM_STATEMENT;
		a.out_ptr = (uintptr_t)r->stmt_out;
		a.out_len = VMSHIELD_VTPM_OUT_MIN;
		e = r->call(r, &a);
	}
	if (!e)
		e = vms_write_file_atomic(path, r->stmt_out, a.out_len, 0644, 0);	/* public: signed ids */
	if (!e) {
		r->statement_generation = a.generation;
		return 0;
	}
	if (!r->statement_failed)
		fprintf(stderr, "worker: no vTPM statement for HGS at %s (%s): HGS's generation for this VM stays where it was\n",
			path, strerror(-e));
	r->statement_failed = 1;
	return e;
}

void vtpm_statement_free(struct vtpm_remote *r)
{
	free(r->stmt_out);	/* a signed statement: public */
	r->stmt_out = NULL;
}
