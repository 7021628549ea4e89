/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_statement.h - `serve --vtpm-in-enclave` keeps the enclave's signed
 * statement of the vTPM's last confirmed generation next to the state
 * file, for the agent to send with the VM's next key release (issue 21,
 * Documentation/vtpm-in-enclave.md §2 and §5).
 */
#ifndef VMS_WORKER_VTPM_STATEMENT_H
#define VMS_WORKER_VTPM_STATEMENT_H

#include <stddef.h>

struct vtpm_remote;

/* "<state file>.statement" into @out (@len bytes); 0 or -ENAMETOOLONG. */
int vtpm_statement_path(const char *state_path, char *out, size_t len);
/* The same, absolute (a relative @state_path from the current directory). */
int vtpm_statement_abs_path(const char *state_path, char *out, size_t len);

/*
 * Ask the enclave for the statement of @r's key (VMSHIELD_VTPM_STATEMENT)
 * and write it atomically (temporary file, fsync, rename) next to
 * @r->path. Never touches @r->out (it may hold an answer for QEMU).
 * 0 or -errno; the caller goes on either way (see the .c file).
 */
int vtpm_statement_save(struct vtpm_remote *r);

/* Free what vtpm_statement_save() keeps in @r. */
void vtpm_statement_free(struct vtpm_remote *r);

#endif /* VMS_WORKER_VTPM_STATEMENT_H */
