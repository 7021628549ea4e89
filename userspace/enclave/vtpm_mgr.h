/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_mgr.h - the vTPMs vmshield-enclaved runs for its VMs
 * (Documentation/vtpm-in-enclave.md): one vTPM process per VM key, its
 * state sealed inside the enclave under a key derived from that VM's
 * seal key, only sealed blobs handed out, a changed state's answer held
 * until the host confirms it stored the blob, the generation tracked.
 */
#ifndef VMS_ENCLAVE_VTPM_MGR_H
#define VMS_ENCLAVE_VTPM_MGR_H

#include <sys/types.h>

#include "enclave.h"

#define VMS_VTPM_MAX		64	/* vTPM records (one per VM key) */
#define VMS_VTPM_TIMEOUT_MS	30000	/* a vTPM process answers in this */
/* The vTPM-state key: HKDF-Expand(the VM's seal-key prk, this, 32). */
#define VMS_VTPM_KEY_LABEL	"vmshield vtpm-in-enclave v1"

/*
 * vms_vtpm_mgr_start - the manager and its spawner (vtpm_child.h): call
 * it before the enclave holds any secret. 0 or a negative errno.
 */
int vms_vtpm_mgr_start(struct vms_vtpm_mgr **out);
/* Stop every vTPM and the spawner, wipe everything; NULL is fine. */
void vms_vtpm_mgr_stop(struct vms_vtpm_mgr *m);

/*
 * vms_vtpm_request - answer one decoded vTPM request (types
 * VMS_EP_VTPM_FIRST..LAST) into @a; data it points to is in *@scratch
 * (malloc'ed, *@scratch_len bytes; the caller wipes and frees it).
 * 0 or a negative errno, each in vtpm-in-enclave.md.
 */
int vms_vtpm_request(struct vms_enclave *e, const struct vms_ep_msg *q,
		     struct vms_ep_msg *a, u8 **scratch, size_t *scratch_len);

/* Give @e its vTPMs: @m, and the request hook the handler calls. */
void vms_vtpm_attach(struct vms_enclave *e, struct vms_vtpm_mgr *m);

/* The pid of the vTPM process of @handle (tests), or 0. */
pid_t vms_vtpm_pid(const struct vms_vtpm_mgr *m, u64 handle);

#endif /* VMS_ENCLAVE_VTPM_MGR_H */
