// SPDX-License-Identifier: GPL-2.0
/*
 * stream.c - frames back to back on a byte stream: AF_VSOCK for a sibling
 * VM (one connection at a time), or one connected socket (the tests'
 * socketpair stand-in). A header that cannot be a frame ends the
 * connection (the stream has lost its framing); the payload is read only
 * after its length was checked against the bound.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "transport.h"

#define VMS_STREAM_IDLE_MS	200

struct vms_stream {
	struct vms_transport t;
	int listen_fd;		/* -1: a single connection */
	int fd;			/* the connection, -1 between two */
};

/* Wait for @fd to be readable; 1 when it is, 0 on the idle timeout. */
static int vms_wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, VMS_STREAM_IDLE_MS);

	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r > 0;
}

/* Read exactly @len bytes; -ECONNRESET at the end of the stream. */
static int vms_read_full(int fd, u8 *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void vms_stream_drop(struct vms_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int vms_stream_recv(struct vms_transport *t, u8 *buf, size_t cap,
			   size_t *len, u64 *id, bool *has_id)
{
	struct vms_stream *s = (struct vms_stream *)t;
	size_t flen;
	int r;

	*has_id = false;
	*id = 0;
	if (s->fd < 0) {
		if (s->listen_fd < 0)
			return -ECONNRESET;
		r = vms_wait_readable(s->listen_fd);
		if (r <= 0)
			return r ? r : 1;
		s->fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s->fd < 0)
			return 1;
		vms_elog("info", "connect", "transport=%s", t->name);
	}
	r = vms_wait_readable(s->fd);
	if (r < 0)
		goto drop;
	if (!r)
		return 1;
	r = vms_read_full(s->fd, buf, VMS_EP_HDR_LEN);
	if (!r) {
		r = vms_ep_frame_len(buf, &flen);
		if (r) {
			vms_elog("warning", "refuse", "transport=%s error=%d framing lost",
				 t->name, -r);
			goto drop;
		}
	}
	if (!r && flen > cap)
		r = -EMSGSIZE;
	if (!r)
		r = vms_read_full(s->fd, buf + VMS_EP_HDR_LEN,
				  flen - VMS_EP_HDR_LEN);
	if (r)
		goto drop;
	*len = flen;
	return 0;
drop:
	vms_stream_drop(s);
	/* a listener waits for the next connection; a single stream is over */
	return s->listen_fd >= 0 ? 1 : r;
}

static int vms_stream_send(struct vms_transport *t, const u8 *buf,
			   size_t len, u64 id)
{
	struct vms_stream *s = (struct vms_stream *)t;

	(void)id;
	while (len && s->fd >= 0) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vms_stream_drop(s);
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (len && s->listen_fd < 0)
		return -ECONNRESET;
	return 0;
}

static void vms_stream_close(struct vms_transport *t)
{
	struct vms_stream *s = (struct vms_stream *)t;

	vms_stream_drop(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
}

static struct vms_stream *vms_stream_new(const char *name)
{
	struct vms_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->t.name = name;
	s->t.recv = vms_stream_recv;
	s->t.send = vms_stream_send;
	s->t.close = vms_stream_close;
	s->listen_fd = -1;
	s->fd = -1;
	return s;
}

int vms_stream_from_fd(int fd, struct vms_transport **out)
{
	struct vms_stream *s = vms_stream_new("stream");

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	*out = &s->t;
	return 0;
}

int vms_vsock_listen(unsigned int port, struct vms_transport **out)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	struct vms_stream *s;
	int fd, r;

	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 1)) {
		r = -errno;
		close(fd);
		return r;
	}
	s = vms_stream_new("vsock");
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->listen_fd = fd;
	*out = &s->t;
	return 0;
}
