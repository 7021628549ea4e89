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
 * The TCTI over TPMLIB_Process: a TSS2_TCTI_CONTEXT_COMMON_V2 whose
 * transmit runs the command in libtpms and whose receive hands back the
 * response. Allocated by vtpm_tcti_new(), released (wiped) by
 * Tss2_Tcti_Finalize() followed by free(), or by vtpm_tcti_free().
 */
TSS2_TCTI_CONTEXT *vtpm_tcti_new(void);
void vtpm_tcti_free(TSS2_TCTI_CONTEXT *tcti);

#endif /* VMS_WORKER_VTPM_H */
