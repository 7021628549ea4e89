/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrate_gate.h - a shielded VM's state blobs leave only for an
 * announced TLS migration (Documentation/migration.md §2.4).
 *
 * QEMU asks for the vTPM's state blobs (CMD_GET_STATEBLOB) at the end of
 * a migration and for savevm, and the worker cannot see where they go.
 * `vmshield-migrate out` checks the migration (TLS credentials set,
 * destination named) before it starts QEMU's migration, and announces it
 * in FILE.migrate-out (FILE: the VM's sealed state). A gated worker seals
 * state blobs only while that announcement is there, is for this VM, says
 * TLS and has not expired; otherwise GET_STATEBLOB fails and QEMU aborts
 * the migration with the VM still running on the source.
 */
#ifndef VMS_WORKER_MIGRATE_GATE_H
#define VMS_WORKER_MIGRATE_GATE_H

#include <stdint.h>
#include <time.h>

/* the announcement's first word and version */
#define MIGRATE_GATE_MAGIC	"vmshield-migrate-out"
#define MIGRATE_GATE_VERSION	1
/* an announcement valid longer than this is refused (a stale one left) */
#define MIGRATE_GATE_MAX_S	3600
#define MIGRATE_GATE_SUFFIX	".migrate-out"

struct migrate_gate {
	const char *state;	/* the sealed-state file; NULL: no gate */
	uint8_t vm_id[16];
};

/*
 * Parse one announcement line: MAGIC VERSION vm=UUID transport=tls
 * dst=NAME expires=EPOCH. 0 when it allows @vm_id's blobs at @now, else
 * -EPERM with the reason in @why (static text, no secret).
 */
int migrate_gate_parse(const char *line, const uint8_t vm_id[16], time_t now,
		       const char **why);

/*
 * May the worker hand out a state blob now? 0 when @g has no state file
 * (not gated) or its announcement allows it; else -EPERM, printed:
 * "shielded VMs migrate only over TLS to an attested host" and why.
 */
int migrate_gate_check(const struct migrate_gate *g);

#endif /* VMS_WORKER_MIGRATE_GATE_H */
