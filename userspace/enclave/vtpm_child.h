/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtpm_child.h - the vTPM processes of vmshield-enclaved: the spawner
 * (forked before the enclave holds any secret) and, forked from it, one
 * libtpms process per VM. The enclave talks to each vTPM process over
 * its own socketpair with length-prefixed messages:
 *
 *   request   4 length n | 4 op | 4 arg | n - 8 bytes of data
 *   answer    4 length n | 4 result | 4 flags | 4 response length r |
 *             r bytes of response | n - 12 - r bytes of state
 *
 * (host byte order: both ends are the same program). The state is the
 * worker's container (worker/tpm_state.h), present when @flags has
 * VMS_VC_F_CHANGED. A vTPM process holds its VM's plaintext TPM state and
 * nothing else: no key, no other VM's state, no file.
 */
#ifndef VMS_ENCLAVE_VTPM_CHILD_H
#define VMS_ENCLAVE_VTPM_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ops: 1..7 are VMS_VTPM_CTRL_* (enclave_proto.h); then these */
#define VMS_VC_START	0x100	/* data: a state container, or none */
#define VMS_VC_COMMAND	0x101	/* data: a TPM command */
#define VMS_VC_STATE	0x102	/* answer the state as it is now */

#define VMS_VC_F_CHANGED	0x1	/* the answer carries the new state */

#define VMS_VC_HDR	12
/* The largest message: a state container and a response. */
#define VMS_VC_MAX_MSG	((1u << 20) + 8192)

/*
 * vms_vtpm_spawner_start - fork the spawner. Call it before the enclave
 * makes or receives any secret: every vTPM process is a copy of the
 * spawner, so it holds none. *@fd is the enclave's end, *@pid the
 * spawner's pid. 0 or a negative errno.
 */
int vms_vtpm_spawner_start(int *fd, pid_t *pid);

/*
 * vms_vtpm_spawn - ask the spawner for a new vTPM process: *@fd is the
 * enclave's end of its socketpair, *@pid its pid. 0 or a negative errno
 * (-EPIPE: the spawner is gone).
 */
int vms_vtpm_spawn(int spawner_fd, int *fd, pid_t *pid);

/* The vTPM process's life: confine, then serve @fd until EOF. */
_Noreturn void vms_vtpm_child_main(int fd);

/* Read or write one whole message (a length prefix, then its bytes). */
int vms_vc_write(int fd, const void *a, size_t alen, const void *b,
		 size_t blen, const void *c, size_t clen);
/* *@buf (malloc'ed, @*len bytes) or a negative errno; EOF is -EPIPE. */
int vms_vc_read(int fd, int timeout_ms, uint8_t **buf, size_t *len);

#endif /* VMS_ENCLAVE_VTPM_CHILD_H */
