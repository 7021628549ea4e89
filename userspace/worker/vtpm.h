/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm.h - the in-process TPM 2.0 (libtpms) of vmshield-worker, its
 * in-memory NVRAM, and the TCTI that lets tpm2-tss (ESAPI) talk to it.
 *
 * libtpms is one TPM per process (global state), so this is a singleton:
 * vtpm_start_*() once, vtpm_stop() at the end. Plaintext TPM state lives
 * only in memory buffers that are wiped when replaced or released; nothing
 * is ever written to a file.
 */
#ifndef VMS_WORKER_VTPM_H
#define VMS_WORKER_VTPM_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tcti.h>

#include "vms_cleanup.h"

/*
 * Manufacture a fresh TPM 2.0 (no state at all): TPMLIB_MainInit finds no
 * permanent state and creates one. 0 or -EIO (the message was printed).
 */
int vtpm_start_fresh(void);

/*
 * Start the TPM from a permanent state blob and, when @vol_len > 0, the
 * volatile state saved with it (TPMLIB_SetState before TPMLIB_MainInit).
 * 0, or -EBADMSG when libtpms refuses a blob, -EIO otherwise.
 */
int vtpm_start_from(const uint8_t *perm, size_t perm_len,
		    const uint8_t *vol, size_t vol_len);

/*
 * A copy of the running TPM's state of @type (TPMLIB_STATE_PERMANENT or
 * TPMLIB_STATE_VOLATILE) into @out (a wiping buffer). 0 or -EIO.
 */
int vtpm_get_state(int type, struct vms_secret *out);

/* TPMLIB_Terminate and wipe the NVRAM buffers. Safe to call twice. */
void vtpm_stop(void);

/*
 * Serving a VMM (vmshield-worker serve). The NVRAM buffers are the
 * plaintext mirror of the sealed state: the server fills them from the
 * unsealed state, libtpms loads them at vtpm_init() and replaces the
 * permanent one whenever its NV changes, and the server seals them.
 */
/*
 * Select libtpms' TPM 2.0 and register the callbacks (what
 * TPMLIB_SetBufferSize and TPMLIB_GetInfo need). 0 or -EIO (printed).
 */
int vtpm_prepare(void);
/* A copy of @len bytes as the NVRAM's state of TPMLIB_STATE_@type (0 clears). */
int vtpm_nv_put(int type, const uint8_t *p, size_t len);
/* The NVRAM's state of @type, or NULL when there is none. */
const struct vms_secret *vtpm_nv_get(int type);
/*
 * TPMLIB_MainInit from the NVRAM: the permanent state, and the volatile
 * state when there is one (the TPM then runs on as it was). 0 or -EIO.
 */
int vtpm_init(void);
/* TPMLIB_Terminate; the NVRAM stays (vtpm_stop() wipes it). */
void vtpm_terminate(void);
int vtpm_is_running(void);
/* 1 when libtpms stored its permanent state since the last call, then 0. */
int vtpm_nv_changed(void);
/* The locality libtpms sees for the next commands (0..4). */
void vtpm_set_locality(uint8_t locality);
/* TPMLIB_VolatileAll_Store into the NVRAM's volatile state. 0 or -errno. */
int vtpm_store_volatile(void);

/*
 * The TCTI over TPMLIB_Process: a TSS2_TCTI_CONTEXT_COMMON_V2 whose
 * transmit runs the command in libtpms and whose receive hands back the
 * response. Allocated by vtpm_tcti_new(), released (wiped) by
 * Tss2_Tcti_Finalize() followed by free(), or by vtpm_tcti_free().
 */
TSS2_TCTI_CONTEXT *vtpm_tcti_new(void);
void vtpm_tcti_free(TSS2_TCTI_CONTEXT *tcti);

#endif /* VMS_WORKER_VTPM_H */
