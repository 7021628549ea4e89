/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_remote.h - `serve --vtpm-in-enclave`: the VM's vTPM runs in
 * vmshield-enclaved (placement hypervisor), reached through
 * VMSHIELD_IOC_VTPM; the worker keeps speaking swtpm's protocol to QEMU
 * and forwards every TPM command and control command unchanged. The
 * worker never holds the vTPM's plaintext state: it stores the sealed
 * state the enclave hands out and confirms it, and only then is the
 * command's answer released (Documentation/vtpm-in-enclave.md).
 */
#ifndef VMS_WORKER_VTPM_REMOTE_H
#define VMS_WORKER_VTPM_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vmshield.h>

#include "vtpm_ctrl.h"

struct vtpm_remote {
	/* one VMSHIELD_IOC_VTPM: 0 or -errno (the module, or a test's stand-in) */
	int (*call)(struct vtpm_remote *r, struct vmshield_vtpm *arg);
	int fd;			/* /dev/vmshield */
	int32_t key;		/* the VM's vmshield key */
	const char *path;	/* the sealed vTPM state on disk */
	uint64_t generation;	/* of the state on disk */
	uint64_t stores;	/* sealed states written */
	uint64_t commands;
	uint8_t *out;		/* VMSHIELD_VTPM_OUT_MIN bytes */
	/* the last GET_STATEBLOB blob (sealed by the enclave), for offset > 0 */
	uint8_t *blob;
	size_t blob_len;
	int running;		/* CMD_INIT succeeded, no CMD_STOP since */
	/* shielded: blobs only for an announced TLS migration; NULL: none */
	const struct migrate_gate *gate;
	/*
	 * serve --incoming: no vTPM until SET_STATEBLOB brings the migrated
	 * state (not older than @incoming_floor, the state file's
	 * generation); CMD_INIT before that is refused; the CMD_INIT after
	 * it calls @incoming_done once (nonzero fails it).
	 */
	int incoming;
	int incoming_in;	/* a migrated state came in and was stored */
	uint64_t incoming_floor;
	int (*incoming_done)(void *ctx);
	void *incoming_ctx;
	uint8_t resp[VMSHIELD_VTPM_MAX_CMD];
	/* issue 21, vtpm_statement.c: the statement next to the state file */
	uint8_t *stmt_out;		/* VMSHIELD_VTPM_OUT_MIN bytes, or NULL */
	uint64_t statement_generation;	/* of the statement written last */
	int statement_failed;		/* logged once */
};

/*
 * Start the VM's vTPM in the enclave: from the sealed state in @blob
 * (@len bytes, as read from @r->path), or a new vTPM when @len is 0 (its
 * first state is stored at @r->path). @r->call, fd, key and path are set.
 * A state the enclave seals again (a rolled key: the next TK) is stored
 * and confirmed before this returns. With @r->incoming nothing starts.
 * 0 or -errno (printed).
 */
int vtpm_remote_start(struct vtpm_remote *r, const uint8_t *blob, size_t len);
/* Stop the vTPM in the enclave; wipe and free what @r holds. */
void vtpm_remote_stop(struct vtpm_remote *r);

/* The module's VMSHIELD_IOC_VTPM on @r->fd. */
int vtpm_remote_ioctl(struct vtpm_remote *r, struct vmshield_vtpm *arg);

/*
 * As vtpm_srv_control() and vtpm_srv_command(): a negative errno means a
 * changed state could not be stored, nothing may be answered (fail
 * closed); -ESHUTDOWN after CMD_SHUTDOWN with @rep filled.
 */
int vtpm_remote_control(struct vtpm_remote *r, const struct ctrl_req *req,
			struct ctrl_reply *rep);
int vtpm_remote_command(struct vtpm_remote *r, const uint8_t *cmd,
			size_t len, const uint8_t **resp, size_t *resp_len);
/* swtpm's --flags not-need-init[,startup-clear]. 0 or -errno. */
int vtpm_remote_start_now(struct vtpm_remote *r, int startup_clear);

#endif /* VMS_WORKER_VTPM_REMOTE_H */
