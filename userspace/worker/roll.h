/* SPDX-License-Identifier: GPL-2.0 */
/*
 * roll.h - the worker's side of the TK roll at a start
 * (Documentation/migration.md §1.2, Documentation/worker.md "The TK
 * roll"): settle a roll a crash interrupted, ask hgs-agent for a roll
 * release (the current TK and the next one in one key), keep the rolled
 * KP as "KP.new" until the state is re-sealed under the next TK, then put
 * it in place and have the agent confirm the roll to KPS.
 */
#ifndef VMS_WORKER_ROLL_H
#define VMS_WORKER_ROLL_H

#include <stdint.h>
#include <keyutils.h>

#include "sealedstate.h"

struct worker_roll {
	const char *kp_file;		/* the VM's KP; "<kp_file>.new" beside */
	const char *socket;		/* hgs-agent's; NULL for the default */
	/* serve --incoming: the migration's source host (migrate-in) */
	const char *migrate_from;
	char vm_uuid[37];
	uint64_t next_version;		/* what the roll answered */
	char next_key_id[33];		/* hex, as the agent confirms it */
	uint8_t next_key_id_bin[16];
	int released;			/* a roll release is loaded */
};

/*
 * Before the release: a "KP.new" left by a crash is the rolled KP of a
 * roll that was never confirmed. If @hdr (the state file's header) is
 * under its key id, the re-seal happened: it becomes the KP (KPS then
 * takes it as pending and confirms it); otherwise it is removed (the state
 * is still under the KP). 0 or -errno (printed).
 */
int worker_roll_settle(const char *kp_file, const struct vms_ss_header *hdr);

/*
 * Ask the agent for VM @uuid's key with the roll (with @wr->migrate_from:
 * the destination's migrate-in, a roll KPS releases to this host for a VM
 * running on that one, migration.md §2); write the rolled KP to
 * "KP.new" (atomically) before answering. The key serial (> 0, linked
 * into the session keyring) or -errno (printed).
 */
key_serial_t worker_roll_release(struct worker_roll *wr, const char *uuid);

/*
 * After the state was re-sealed under the next TK and written: "KP.new"
 * becomes the KP, then the agent confirms the roll to KPS. 0 or -errno
 * (printed): on a failed confirmation the state and the KP are already
 * the rolled ones, and the next start's release confirms it.
 */
int worker_roll_commit(struct worker_roll *wr);

/*
 * Crash-test hook: VMSHIELD_WORKER_ROLL_KILL=<step> makes the worker
 * SIGKILL itself at that step (after-release, after-reseal,
 * after-rename), so a test kills a real worker at a known point.
 */
void worker_roll_crash_point(const char *step);

#endif /* VMS_WORKER_ROLL_H */
