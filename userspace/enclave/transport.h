/* SPDX-License-Identifier: GPL-2.0 */
/*
 * transport.h - how request frames reach vmshield-enclaved and responses
 * leave it, behind one interface: the ivshmem mailbox (mailbox.c) and a
 * byte stream (stream.c: vsock, or a socketpair in the tests).
 * Documentation/enclave-protocol.md, "The mailbox transport" and "The
 * vsock transport".
 */
#ifndef VMS_ENCLAVE_TRANSPORT_H
#define VMS_ENCLAVE_TRANSPORT_H

#include <signal.h>

#include "enclave.h"

struct vms_transport {
	const char *name;
	/*
	 * Wait for the next request and copy it into @buf (@cap >=
	 * VMS_EP_MAX_FRAME). Returns 0 with *@len set (and, when the
	 * transport numbers requests, *@has_id and *@id), 1 when nothing
	 * came for a while (the caller checks its stop flag and calls again),
	 * or a negative errno when the transport is gone.
	 */
	int (*recv)(struct vms_transport *t, u8 *buf, size_t cap, size_t *len,
		    u64 *id, bool *has_id);
	/* Send the response to the request numbered @id. */
	int (*send)(struct vms_transport *t, const u8 *buf, size_t len, u64 id);
	/* Say the enclave is gone (mailbox state) and release everything. */
	void (*close)(struct vms_transport *t);
};

/* The mailbox on the ivshmem backing file @path (created if absent). */
int vms_mailbox_open(const char *path, struct vms_transport **out);
/*
 * How long the mailbox @t spins for the next request after an answer
 * before it sleeps (mailbox.c; default 200 us). Only the mailbox bench
 * changes it, to time the pick-up with and without the spin.
 */
void vms_mailbox_set_spin(struct vms_transport *t, u64 spin_ns);
/* A listening AF_VSOCK socket on @port (any CID). */
int vms_vsock_listen(unsigned int port, struct vms_transport **out);
/* One connected stream @fd (taken over): the tests' socketpair. */
int vms_stream_from_fd(int fd, struct vms_transport **out);

/*
 * vms_serve - answer requests from @t until *@stop is set or the
 * transport is gone. Returns 0 on a stop, else the transport's error.
 */
int vms_serve(struct vms_enclave *e, struct vms_transport *t,
	      volatile sig_atomic_t *stop);

#endif /* VMS_ENCLAVE_TRANSPORT_H */
