// SPDX-License-Identifier: GPL-2.0
/*
 * serve.c - the sockets and the loop of `vmshield-worker serve` (see
 * serve.h). One thread, poll(): a client that stalls mid-message is
 * answered (control: after the read deadline, with the error swtpm
 * gives) or dropped (a reply it does not read), so no client can hold
 * the worker. Every reply leaves only after what the command changed
 * was sealed (vtpm_ctrl.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <tss2/tss2_tpm2_types.h>

#include "serve.h"
#include "vms_compiler.h"

/* swtpm waits 500 ms for the rest of a control message; we wait longer. */
#define CTRL_DEADLINE_MS	1000
#define DATA_DRAIN_MAX		(1u << 20)	/* discard up to this, then close */
#define READ_CHUNK		4096
#define MAX_FDS			4		/* SCM_RIGHTS fds taken per read */

struct conn {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	int64_t deadline;	/* ctrl: answer a partial message then */
	size_t drain;		/* data: bytes of a refused command to skip */
	int passed_fd;		/* ctrl: an fd that came with the message */
};

struct server {
	const struct serve_opts *o;
	struct vtpm_srv *v;
	int ctrl_listen, data_listen;
	struct conn ctrl, data;
	int had_data;		/* a data channel was set up once */
	int done;		/* 1: stop (orderly); < 0: fail closed */
};

static volatile sig_atomic_t stop_signal;
/* the mask poll() runs with: SIGTERM and SIGINT only get through there */
static sigset_t poll_mask;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- options -------------------------------------------------------------- */

static int parse_num(const char *s, unsigned long max, unsigned long *out,
		     int base)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -EINVAL;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -EINVAL : 0;
}

/* One "key=value" of an endpoint; 0, or -EINVAL after printing. */
static int endpoint_kv(const char *opt, char *kv, struct serve_endpoint *ep)
{
	char *val = strchr(kv, '=');
	unsigned long n;

	if (!val)
		goto bad;
	*val++ = '\0';
	if (!strcmp(kv, "type")) {
		if (!strcmp(val, "unixio") && !strcmp(opt, "--ctrl"))
			ep->type = SERVE_EP_UNIX;
		else if (!strcmp(val, "tcp"))
			ep->type = SERVE_EP_TCP;
		else
			goto bad;
	} else if (!strcmp(kv, "path")) {
		if (!*val || strlen(val) >= sizeof(ep->path))
			goto bad;
		strcpy(ep->path, val);
	} else if (!strcmp(kv, "port")) {
		if (parse_num(val, 65535, &n, 10) || !n)
			goto bad;
		ep->port = (uint16_t)n;
	} else if (!strcmp(kv, "mode")) {
		if (parse_num(val, 0777, &n, 8))
			goto bad;
		ep->mode = (mode_t)n;
	} else if (!strcmp(kv, "uid") || !strcmp(kv, "gid")) {
		if (parse_num(val, 0x7fffffff, &n, 10))
			goto bad;
		if (kv[0] == 'u')
			ep->uid = (uid_t)n;
		else
			ep->gid = (gid_t)n;
	} else if (!strcmp(kv, "bindaddr")) {
		/* only the loopback: the vTPM is never on a network */
		if (strcmp(val, "127.0.0.1")) {
			fprintf(stderr, "worker: %s: bindaddr must be 127.0.0.1 (a vTPM is served to this machine only), got '%s'\n",
				opt, val);
			return -EINVAL;
		}
	} else {
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "worker: %s: cannot use '%s%s%s'\n", opt, kv,
		val ? "=" : "", val ? val : "");
	return -EINVAL;
}

static int parse_endpoint(const char *opt, const char *arg,
			  struct serve_endpoint *ep)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *kv, *save = NULL;
	int r;

	memset(ep, 0, sizeof(*ep));
	ep->mode = 0600;
	ep->uid = (uid_t)-1;
	ep->gid = (gid_t)-1;
	if (!copy)
		return -ENOMEM;
	for (kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		r = endpoint_kv(opt, kv, ep);
		if (r)
			return r;
	}
	if ((ep->type == SERVE_EP_UNIX && !ep->path[0]) ||
	    (ep->type == SERVE_EP_TCP && !ep->port) ||
	    ep->type == SERVE_EP_NONE) {
		fprintf(stderr, "worker: %s wants type=unixio,path=PATH or type=tcp,port=N, got '%s'\n",
			opt, arg);
		return -EINVAL;
	}
	return 0;
}

int serve_parse_ctrl(const char *arg, struct serve_endpoint *ep)
{
	return parse_endpoint("--ctrl", arg, ep);
}

int serve_parse_server(const char *arg, struct serve_endpoint *ep)
{
	return parse_endpoint("--server", arg, ep);
}

int serve_parse_flags(const char *arg, struct serve_opts *o)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *f, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (!strcmp(f, "not-need-init")) {
			o->not_need_init = 1;
		} else if (!strcmp(f, "startup-clear")) {
			o->not_need_init = 1;	/* implied, as in swtpm */
			o->startup_clear = 1;
		} else {
			fprintf(stderr, "worker: --flags: unknown flag '%s' (not-need-init, startup-clear)\n",
				f);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- sockets -------------------------------------------------------------- */

/* A socket file left by a worker that died: nobody answers on it. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;	/* somebody serves it */
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

/*
 * Bind to a temporary name next to the path and rename it into place
 * once it listens: a VMM that waits for the socket file never finds one
 * that refuses it.
 */
static int listen_unix(const struct serve_endpoint *ep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, tmp = sa;
	int fd, r;

	strcpy(sa.sun_path, ep->path);
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", ep->path,
		     (int)getpid()) >= (int)sizeof(tmp.sun_path)) {
		fprintf(stderr, "worker: %s: path too long\n", ep->path);
		return -ENAMETOOLONG;
	}
	r = remove_stale_socket(&sa);
	if (r) {
		fprintf(stderr, "worker: %s: %s\n", ep->path,
			r == -EADDRINUSE ? "another program serves this socket" :
			r == -EEXIST ? "exists and is not a socket" : strerror(-r));
		return r;
	}
	unlink(tmp.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0 ||
	    chmod(tmp.sun_path, ep->mode) < 0 ||
	    ((ep->uid != (uid_t)-1 || ep->gid != (gid_t)-1) &&
	     chown(tmp.sun_path, ep->uid, ep->gid) < 0) ||
	    listen(fd, 4) < 0 || rename(tmp.sun_path, sa.sun_path) < 0) {
		r = -errno;
		fprintf(stderr, "worker: cannot listen on %s: %s\n", ep->path,
			strerror(-r));
		unlink(tmp.sun_path);
		close(fd);
		return r;
	}
	return fd;
}

static int listen_tcp(const struct serve_endpoint *ep)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(ep->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, one = 1, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		r = -errno;
		fprintf(stderr, "worker: cannot listen on 127.0.0.1:%u: %s\n",
			ep->port, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

static int listen_on(const struct serve_endpoint *ep)
{
	return ep->type == SERVE_EP_UNIX ? listen_unix(ep) : listen_tcp(ep);
}

static void conn_reset(struct conn *c)
{
	if (c->buf)
		OPENSSL_cleanse(c->buf, c->len);	/* TPM commands: secrets */
	c->len = 0;
	c->deadline = 0;
	c->drain = 0;
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	c->passed_fd = -1;
}

static void conn_close(struct conn *c)
{
	conn_reset(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	OPENSSL_clear_free(c->buf, c->cap);
	c->buf = NULL;
	c->cap = 0;
}

static int conn_reserve(struct conn *c, size_t want)
{
	uint8_t *p;
	size_t cap = c->cap ? c->cap : READ_CHUNK;

	if (want <= c->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	p = OPENSSL_malloc(cap);	/* a copy, so the old one is wiped */
	if (!p)
		return -ENOMEM;
	if (c->len)
		memcpy(p, c->buf, c->len);
	OPENSSL_clear_free(c->buf, c->cap);
	c->buf = p;
	c->cap = cap;
	return 0;
}

/* Write all of @len bytes within the I/O timeout; -errno if not. */
static int write_all(int fd, const uint8_t *p, size_t len, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		poll(&pfd, 1, (int)(end - now_ms()));
	}
	return 0;
}

/* --- the control channel -------------------------------------------------- */

/* Keep the first fd of an SCM_RIGHTS message as c->passed_fd. */
static void take_fds(struct conn *c, struct msghdr *m)
{
	struct cmsghdr *cm;
	int fds[MAX_FDS];
	size_t i, n;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > MAX_FDS)
			n = MAX_FDS;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (c->passed_fd < 0)
				c->passed_fd = fds[i];
			else
				close(fds[i]);	/* more than one: not ours */
		}
	}
}

/* Read what is there; 0, or -errno / -EPIPE (closed) to drop @c. */
static int ctrl_read(struct conn *c)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n;
	int r;

	r = conn_reserve(c, c->len + READ_CHUNK);
	if (r)
		return r;
	iov.iov_base = c->buf + c->len;
	iov.iov_len = c->cap - c->len;
	n = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	take_fds(c, &m);
	if (n == 0)
		return -EPIPE;
	if (!c->len)
		c->deadline = now_ms() + CTRL_DEADLINE_MS;
	c->len += (size_t)n;
	return 0;
}

static int reply(struct server *s, struct conn *c, const struct ctrl_reply *r)
{
	int ret = write_all(c->fd, r->head, r->head_len, s->o->io_timeout_ms);

	if (!ret && r->tail_len)
		ret = write_all(c->fd, r->tail, r->tail_len, s->o->io_timeout_ms);
	return ret;
}

/* The data channel's peer is gone (a VMM that died before we saw it). */
static int data_hung_up(const struct server *s)
{
	struct pollfd p = { .fd = s->data.fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* CMD_SET_DATAFD: the data channel, a socket passed with the message. */
static uint32_t set_datafd(struct server *s, struct conn *c)
{
	if (s->data.fd >= 0 && data_hung_up(s))
		conn_close(&s->data);
	if (s->data.fd >= 0)
		return TPM_IOERROR;	/* one data channel at a time */
	if (c->passed_fd < 0) {
		fprintf(stderr, "worker: CMD_SET_DATAFD without a file descriptor\n");
		return TPM_BAD_PARAMETER;
	}
	s->data.fd = c->passed_fd;
	c->passed_fd = -1;
	s->had_data = 1;
	printf("worker: CMD_SET_DATAFD: data channel set up\n");
	return 0;
}

/* Handle the message in c->buf (complete, or its deadline passed). */
static int ctrl_handle(struct server *s, struct conn *c)
{
	struct ctrl_req req;
	struct ctrl_reply r = { 0 };
	uint32_t res;
	int ret = 0;

	res = ctrl_parse(c->buf, c->len, &req);
	if (res) {
		if (res == TPM_BAD_ORDINAL)
			fprintf(stderr, "worker: unknown control command 0x%08x\n",
				req.cmd);
		else
			fprintf(stderr, "worker: %s: malformed (%zu bytes)\n",
				ctrl_cmd_name(req.cmd), c->len);
		r.head_len = ctrl_reply_res(r.head, res);
	} else if (req.cmd == CMD_SET_DATAFD) {
		r.head_len = ctrl_reply_res(r.head, set_datafd(s, c));
	} else {
		ret = s->o->remote ?
		      vtpm_remote_control(s->o->remote, &req, &r) :
		      vtpm_srv_control(s->v, &req, &r);
		if (ret && ret != -ESHUTDOWN) {
			s->done = ret;	/* not sealed: no answer (fail closed) */
			return ret;
		}
	}
	conn_reset(c);
	if (reply(s, c, &r))
		conn_close(c);
	if (ret == -ESHUTDOWN)
		s->done = 1;
	return 0;
}

static void ctrl_event(struct server *s, short revents)
{
	struct conn *c = &s->ctrl;
	size_t need;
	int r = 0;

	if (revents & (POLLIN | POLLHUP | POLLERR))
		r = ctrl_read(c);
	if (r) {
		if (r != -EPIPE)
			fprintf(stderr, "worker: control connection: %s\n",
				strerror(-r));
		conn_close(c);
		return;
	}
	if (!c->len)
		return;
	need = ctrl_need(c->buf, c->len);
	if (!need) {
		/* a declared length no message may have: answer and drop */
		struct ctrl_reply rep = { 0 };

		fprintf(stderr, "worker: %s: declared length over the limit: closing the control connection\n",
			ctrl_cmd_name(ctrl_get_be32(c->buf)));
		rep.head_len = ctrl_reply_res(rep.head, TPM_BAD_PARAMETER);
		reply(s, c, &rep);
		conn_close(c);
		return;
	}
	if (c->len >= need || now_ms() >= c->deadline)
		ctrl_handle(s, c);
}

/* --- the data channel ----------------------------------------------------- */

/* The largest TPM command: the enclave's bound, or libtpms' buffer. */
static uint32_t max_command(const struct server *s)
{
	return s->o->remote ? VMSHIELD_VTPM_MAX_CMD : vtpm_srv_max_command();
}

static void data_refuse(struct server *s, struct conn *c, uint32_t size)
{
	uint8_t err[10];
	size_t skip;

	vtpm_srv_error_response(err, TPM2_RC_COMMAND_SIZE);
	fprintf(stderr, "worker: data channel: a TPM command of %u bytes (at most %u): refused\n",
		size, max_command(s));
	if (write_all(c->fd, err, sizeof(err), s->o->io_timeout_ms) ||
	    size < 10 || size > DATA_DRAIN_MAX) {
		conn_close(c);	/* no way to find the next command */
		return;
	}
	/* skip the rest of the command, so the stream stays in step */
	skip = size < c->len ? size : c->len;
	c->drain = size - skip;
	memmove(c->buf, c->buf + skip, c->len - skip);
	c->len -= skip;
}

/* Run every complete command in the buffer. 0, or -errno (fail closed). */
static int data_commands(struct server *s, struct conn *c)
{
	const uint8_t *resp;
	size_t resp_len;
	uint32_t size;
	int r;

	while (c->fd >= 0 && c->len >= 10 && !s->done) {
		size = ctrl_get_be32(c->buf + 2);
		if (size < 10 || size > max_command(s)) {
			data_refuse(s, c, size);
			continue;
		}
		if (c->len < size)
			return 0;
		r = s->o->remote ?
		    vtpm_remote_command(s->o->remote, c->buf, size, &resp,
					&resp_len) :
		    vtpm_srv_command(s->v, c->buf, size, &resp, &resp_len);
		if (r) {
			s->done = r;	/* not sealed: no answer */
			return r;
		}
		r = write_all(c->fd, resp, resp_len, s->o->io_timeout_ms);
		if (s->o->remote)
			OPENSSL_cleanse(s->o->remote->resp, resp_len);
		else
			vtpm_srv_wipe_response(s->v);
		OPENSSL_cleanse(c->buf, size);
		memmove(c->buf, c->buf + size, c->len - size);
		c->len -= size;
		if (r)
			conn_close(c);
	}
	return 0;
}

static void data_closed(struct server *s)
{
	conn_close(&s->data);
	if (s->o->terminate && s->had_data) {
		printf("worker: the VMM closed the data channel: stopping (--terminate)\n");
		s->done = 1;
	}
}

static void data_event(struct server *s, short revents)
{
	struct conn *c = &s->data;
	uint8_t sink[READ_CHUNK];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (c->drain) {
		n = read(c->fd, sink, c->drain < sizeof(sink) ? c->drain :
			 sizeof(sink));
		if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
			data_closed(s);
		else if (n > 0)
			c->drain -= (size_t)n;
		return;
	}
	if (conn_reserve(c, c->len + READ_CHUNK)) {
		data_closed(s);
		return;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		data_closed(s);	/* a command cut short is dropped with it */
		return;
	}
	c->len += (size_t)n;
	data_commands(s, c);
}

/* --- the loop --------------------------------------------------------------- */

/*
 * Accept on @lfd into @c. A listening socket is only polled while it has
 * no client: a second client waits in the backlog until the first one
 * leaves, as with swtpm.
 */
static void accept_client(int lfd, struct conn *c)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		c->fd = fd;
}

static int poll_timeout(const struct server *s)
{
	int64_t left;

	if (s->ctrl.fd < 0 || !s->ctrl.len)
		return -1;
	left = s->ctrl.deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

static void serve_once(struct server *s)
{
	enum { P_CTRL_L, P_DATA_L, P_CTRL, P_DATA, P_N };
	struct timespec ts, *tsp = NULL;
	int timeout = poll_timeout(s);
	struct pollfd p[P_N] = {
		[P_CTRL_L] = { .fd = s->ctrl.fd < 0 ? s->ctrl_listen : -1,
			       .events = POLLIN },
		[P_DATA_L] = { .fd = s->data.fd < 0 ? s->data_listen : -1,
			       .events = POLLIN },
		[P_CTRL] = { .fd = s->ctrl.fd, .events = POLLIN },
		[P_DATA] = { .fd = s->data.fd, .events = POLLIN },
	};
	int n;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000;
		tsp = &ts;
	}
	n = ppoll(p, P_N, tsp, &poll_mask);
	if (n < 0)
		return;		/* EINTR: a signal; the caller looks */
	if (p[P_CTRL].fd >= 0 && (p[P_CTRL].revents || s->ctrl.len))
		ctrl_event(s, p[P_CTRL].revents);
	if (!s->done && p[P_DATA].fd >= 0 && p[P_DATA].revents &&
	    s->data.fd == p[P_DATA].fd)
		data_event(s, p[P_DATA].revents);
	if ((p[P_CTRL_L].revents & POLLIN) && s->ctrl.fd < 0)
		accept_client(s->ctrl_listen, &s->ctrl);
	if ((p[P_DATA_L].revents & POLLIN) && s->data.fd < 0) {
		accept_client(s->data_listen, &s->data);
		if (s->data.fd >= 0)
			s->had_data = 1;
	}
}

/*
 * SIGTERM and SIGINT are blocked except inside ppoll(), so a stop
 * request can never slip in between the check and the wait.
 */
static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t stop;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &poll_mask);
	sigdelset(&poll_mask, SIGTERM);
	sigdelset(&poll_mask, SIGINT);
}

static int open_listeners(struct server *s)
{
	s->ctrl_listen = listen_on(&s->o->ctrl);
	if (s->ctrl_listen < 0)
		return s->ctrl_listen;
	if (s->o->data.type == SERVE_EP_NONE)
		return 0;
	s->data_listen = listen_on(&s->o->data);
	return s->data_listen < 0 ? s->data_listen : 0;
}

static void describe(const struct serve_opts *o)
{
	if (o->ctrl.type == SERVE_EP_UNIX)
		printf("worker: serving the vTPM: control channel %s", o->ctrl.path);
	else
		printf("worker: serving the vTPM: control channel 127.0.0.1:%u",
		       o->ctrl.port);
	if (o->data.type == SERVE_EP_TCP)
		printf(", data channel 127.0.0.1:%u\n", o->data.port);
	else
		printf(", data channel passed with CMD_SET_DATAFD\n");
}

static void close_all(struct server *s)
{
	conn_close(&s->ctrl);
	conn_close(&s->data);
	if (s->ctrl_listen >= 0)
		close(s->ctrl_listen);
	if (s->data_listen >= 0)
		close(s->data_listen);
	if (s->o->ctrl.type == SERVE_EP_UNIX)
		unlink(s->o->ctrl.path);
}

int serve_run(const struct serve_opts *o, struct vtpm_srv *v)
{
	struct server s = {
		.o = o, .v = v, .ctrl_listen = -1, .data_listen = -1,
		.ctrl = { .fd = -1, .passed_fd = -1 },
		.data = { .fd = -1, .passed_fd = -1 },
	};
	int r;

	install_signals();
	r = open_listeners(&s);
	if (!r && o->not_need_init)
		r = o->remote ? vtpm_remote_start_now(o->remote, o->startup_clear) :
		    vtpm_srv_start_now(v, o->startup_clear);
	if (r) {
		close_all(&s);
		return r;
	}
	describe(o);
	while (!s.done && !stop_signal)
		serve_once(&s);
	if (stop_signal)
		printf("worker: %s: stopping\n", strsignal(stop_signal));
	close_all(&s);
	if (s.done < 0) {
		fprintf(stderr, "worker: a change of the vTPM's state could not be sealed: stopped without answering it (the state file holds the last acknowledged state)\n");
		return s.done;
	}
	/* in the enclave every change was stored before it was answered */
	return o->remote ? 0 : vtpm_srv_flush(v, "(at exit)");
}
