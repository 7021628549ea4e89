// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_spawn.c - the spawner of vTPM processes and the messages between
 * the enclave and them (vtpm_child.h).
 *
 * libtpms holds one TPM per process, so each VM's vTPM is a process. It
 * is forked from the spawner, itself forked from vmshield-enclaved before
 * the enclave made its identity or read any key: a vTPM process starts
 * with no secret in its memory, and the enclave's own secrets never enter
 * a process that parses TPM commands. The spawner only forks: one byte
 * in, a new socketpair's end (SCM_RIGHTS) and the child's pid out.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vtpm_child.h"

/*
 * One message in one sendmsg (so the peer wakes once), continued where a
 * short write stopped; MSG_NOSIGNAL: a dead peer is -EPIPE, not SIGPIPE.
 */
int vms_vc_write(int fd, const void *a, size_t alen, const void *b,
		 size_t blen, const void *c, size_t clen)
{
	uint32_t n = (uint32_t)(alen + blen + clen);
	struct iovec iov[4] = {
		{ .iov_base = &n, .iov_len = sizeof(n) },
		{ .iov_base = (void *)a, .iov_len = alen },
		{ .iov_base = (void *)b, .iov_len = blen },
		{ .iov_base = (void *)c, .iov_len = clen },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 4 };

	if (alen + blen + clen > VMS_VC_MAX_MSG)
		return -EMSGSIZE;
	while (msg.msg_iovlen) {
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		while (msg.msg_iovlen && (size_t)w >= msg.msg_iov->iov_len) {
			w -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (uint8_t *)msg.msg_iov->iov_base + w;
			msg.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read @n bytes; -EPIPE at EOF, -ETIMEDOUT when nothing came in time. */
static int vms_vc_full_read(int fd, int timeout_ms, uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (n) {
		ssize_t got;
		int pr = timeout_ms < 0 ? 1 : poll(&pfd, 1, timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return -ETIMEDOUT;
		if (pr < 0)
			return -errno;
		got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPIPE;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int vms_vc_read(int fd, int timeout_ms, uint8_t **buf, size_t *len)
{
	uint32_t n;
	uint8_t *p;
	int r;

	*buf = NULL;
	*len = 0;
	r = vms_vc_full_read(fd, timeout_ms, (uint8_t *)&n, sizeof(n));
	if (r)
		return r;
	if (n > VMS_VC_MAX_MSG)
		return -EMSGSIZE;
	p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	r = vms_vc_full_read(fd, timeout_ms, p, n);
	if (r) {
		explicit_bzero(p, n);
		free(p);
		return r;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* One fork: the new process serves its end; the other goes to the enclave. */
static void vms_spawner_fork(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	pid_t pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		pid = -errno;
		goto answer;
	}
	pid = fork();
	if (pid == 0) {
		close(fd);
		close(sv[0]);
		vms_vtpm_child_main(sv[1]);
	}
	if (pid < 0)
		pid = -errno;
	close(sv[1]);
answer:
	iov.iov_base = &pid;
	iov.iov_len = sizeof(pid);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (pid > 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
	}
	sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (pid > 0)
		close(sv[0]);
}

static _Noreturn void vms_spawner_main(int fd)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	uint8_t req;

	/* children are reaped by the kernel; the spawner dies with the enclave */
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* OpenSSL's one-time setup here, so no vTPM process needs a file */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	RAND_bytes(&req, 1);
	for (;;) {
		ssize_t n = read(fd, &req, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		vms_spawner_fork(fd);
	}
}

int vms_vtpm_spawner_start(int *fd, pid_t *pid)
{
	int sv[2];
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (p == 0) {
		close(sv[0]);
		vms_spawner_main(sv[1]);
	}
	close(sv[1]);
	*fd = sv[0];
	*pid = p;
	return 0;
}

int vms_vtpm_spawn(int spawner_fd, int *fd, pid_t *pid)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	uint8_t one = 1;
	pid_t p = 0;
	ssize_t n;

	if (send(spawner_fd, &one, 1, MSG_NOSIGNAL) != 1)
		return -EPIPE;
	iov.iov_base = &p;
	iov.iov_len = sizeof(p);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(spawner_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(p))
		return -EPIPE;
	if (p <= 0)
		return p < 0 ? p : -EPIPE;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPIPE;
	memcpy(fd, CMSG_DATA(cm), sizeof(int));
	*pid = p;
	return 0;
}
