/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_standin.h - vmshield.ko's VMSHIELD_IOC_VTPM without the module,
 * for tests and the benchmark: each call becomes the channel frame the
 * module would send, answered by a real vmshield-enclaved core (handler,
 * key table, vTPM manager and its vTPM processes) in this process, for
 * one VM key loaded from a release of @tk.
 */
#ifndef VMS_TESTS_VTPM_STANDIN_H
#define VMS_TESTS_VTPM_STANDIN_H

#include <stdint.h>

#include "vtpm_remote.h"

/*
 * Start the enclave core (the vTPM spawner first: call it before libtpms
 * runs in this process) and load a key for @vm_id/@key_id under @tk.
 * 0 or -errno.
 */
int vtpm_standin_start(const uint8_t vm_id[16], const uint8_t key_id[16],
		       const uint8_t tk[32]);
/* The same with a roll release: @tk (@key_id) and @tk_next (@next_id). */
int vtpm_standin_start_roll(const uint8_t vm_id[16], const uint8_t key_id[16],
			    const uint8_t tk[32], const uint8_t next_id[16],
			    const uint8_t tk_next[32]);
/* vtpm_remote's call: the module's ioctl, minus the key checks. */
int vtpm_standin_call(struct vtpm_remote *r, struct vmshield_vtpm *arg);
/* A channel PING through the same path (the channel's own cost). */
int vtpm_standin_ping(void);
void vtpm_standin_stop(void);

#endif /* VMS_TESTS_VTPM_STANDIN_H */
