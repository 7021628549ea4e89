// SPDX-License-Identifier: GPL-2.0
/*
 * server.c - the local socket workers talk to. Mode 0660 root:socket_group
 * (0600 root-only without a group); every connection's peer is checked
 * with SO_PEERCRED/SO_PEERGROUPS: uid 0, or a member of socket_group.
 * Others get one Failed answer (PeerNotAllowed) and are logged.
 *
 * One request per connection, a detached thread per connection, at most
 * max_clients at once (more get AgentBusy at once rather than queueing
 * behind a deadline). No lock is held across a network call here.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

#define READ_TIMEOUT_S	30
#define MAX_GROUPS	256

struct conn {
	struct agent *a;
	int fd;
	struct ucred cred;
};

static int resolve_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long x;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res) {
		*gid = res->gr_gid;
		return 0;
	}
	errno = 0;
	x = strtoul(name, &end, 10);
	if (!*end && !errno && x < (gid_t)-1) {
		*gid = (gid_t)x;
		return 0;
	}
	return -ENOENT;
}

static int mkdir_parent(const char *path)
{
	char dir[AGENT_SOCKET_PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int server_open(struct agent *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = a->cfg.socket_path;
	struct stat st;
	mode_t old_mask;
	int fd, r;

	a->socket_gid = 0;
	if (a->cfg.socket_group[0] && resolve_group(a->cfg.socket_group, &a->socket_gid)) {
		log_err("socket", "error=\"no such group '%s' (socket_group)\"",
			a->cfg.socket_group);
		return -ENOENT;
	}
	r = mkdir_parent(path);
	if (r) {
		log_err("socket", "path=\"%s\" error=\"cannot create its directory: %s\"",
			path, strerror(-r));
		return r;
	}
	/* a socket left by a previous run; never remove anything else */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("socket", "path=\"%s\" error=\"exists and is not a socket\"",
				path);
			return -EEXIST;
		}
		unlink(path);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old_mask = umask(0177);	/* no moment with a wider mode */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r || chmod(path, a->cfg.socket_group[0] ? 0660 : 0600) ||
	    chown(path, 0, a->socket_gid) || listen(fd, 256)) {
		r = -errno;
		log_err("socket", "path=\"%s\" error=\"%s\"", path, strerror(-r));
		close(fd);
		unlink(path);
		return r;
	}
	a->listen_fd = fd;
	log_info("listening", "socket=%s mode=%s group=%s", path,
		 a->cfg.socket_group[0] ? "0660" : "0600",
		 a->cfg.socket_group[0] ? a->cfg.socket_group : "-");
	return 0;
}

void server_close(struct agent *a)
{
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->cfg.socket_path);
	}
	a->listen_fd = -1;
}

/* uid 0, or socket_group as primary or supplementary group. */
static int peer_allowed(struct agent *a, int fd, const struct ucred *cred)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cred->uid == 0)
		return 1;
	if (!a->cfg.socket_group[0])
		return 0;
	if (cred->gid == a->socket_gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return 0;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == a->socket_gid)
			return 1;
	return 0;
}

static void send_line(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t len, off = 0;

	if (!s)
		return;
	len = strlen(s);
	s[len] = '\n';	/* the NUL becomes the line end */
	while (off <= len) {
		ssize_t n = send(fd, s + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(s);
}

/* One line, at most AGENT_LINE_MAX bytes; malloc'd, without the '\n'. */
static int read_line(int fd, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > AGENT_LINE_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		len += (size_t)n;
		buf[len] = 0;
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = 0;
			*out = buf;
			*outlen = (size_t)(nl - buf);
			return 0;
		}
	}
}

static json_t *fail_answer(const char *sub, int err, const char *msg)
{
	struct agent_fail f;

	agent_fail_set(&f, "agent", sub, err, "%s", msg);
	return agent_answer_fail(&f);
}

static json_t *dispatch(struct conn *c, const char *line, size_t len)
{
	struct agent_request rq;
	struct agent_fail f = { 0 };
	char err[256];
	json_t *ans;
	char *b64;
	double t0;

	if (agent_request_parse(line, len, &rq, err, sizeof(err))) {
		log_warn("bad_request", "uid=%u pid=%d error=\"%s\"",
			 (unsigned int)c->cred.uid, (int)c->cred.pid, err);
		return fail_answer("InvalidRequest", -EINVAL, err);
	}
	t0 = agent_now();
	switch (rq.op) {
	case AGENT_OP_RELEASE:
		ans = release_for_peer(c->a, &rq, c->cred.uid, c->cred.gid);
		break;
	case AGENT_OP_CONFIRM:
		ans = release_confirm_for_peer(c->a, &rq, c->cred.uid);
		break;
	case AGENT_OP_MIGRATE_IN:
		ans = migrate_in_for_peer(c->a, &rq, c->cred.uid, c->cred.gid);
		break;
	case AGENT_OP_MIGRATED:
		ans = migrated_for_peer(c->a, &rq, c->cred.uid);
		break;
	case AGENT_OP_ATTEST:
		/* renewing on demand costs HGS work: root only */
		if (c->cred.uid != 0) {
			ans = fail_answer("PeerNotAllowed", -EACCES,
					  "only root may ask the agent to attest now");
			break;
		}
		if (attest_get_cert(c->a, 1, agent_now() + c->a->cfg.request_deadline_s,
				    &b64, &f)) {
			ans = agent_answer_fail(&f);
		} else {
			free(b64);
			ans = json_pack("{s:s}", "status", "Passed");
		}
		break;
	default:
		ans = status_build(c->a);
		break;
	}
	status_count_request(rq.op, ans && !strcmp(json_string_value(json_object_get(ans, "status")) ?
						    : "", "Passed"), agent_now() - t0);
	agent_request_free(&rq);
	return ans;
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { .tv_sec = READ_TIMEOUT_S };
	size_t len = 0;
	char *line = NULL;
	json_t *ans;
	int r;

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = read_line(c->fd, &line, &len);
	if (r == -EMSGSIZE)
		ans = fail_answer("InvalidRequest", -EMSGSIZE,
				  "request line too long");
	else if (r)
		ans = NULL;	/* the peer went away or sent nothing */
	else
		ans = dispatch(c, line, len);
	if (ans)
		send_line(c->fd, ans);
	json_decref(ans);
	free(line);
	close(c->fd);
	pthread_mutex_lock(&c->a->clients_lock);
	c->a->n_clients--;
	pthread_mutex_unlock(&c->a->clients_lock);
	free(c);
	return NULL;
}

static void refuse(struct agent *a, int fd, const char *sub, const char *msg)
{
	json_t *ans = fail_answer(sub, -EACCES, msg);

	(void)a;
	send_line(fd, ans);
	json_decref(ans);
	close(fd);
}

void *server_thread(void *arg)
{
	struct agent *a = arg;
	struct pollfd p = { .fd = a->listen_fd, .events = POLLIN };

	while (!agent_stopping(a)) {
		struct conn *c;
		socklen_t sl = sizeof(struct ucred);
		pthread_attr_t at;
		pthread_t t;
		int fd;

		if (poll(&p, 1, 500) <= 0)
			continue;
		fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl)) {
			free(c);
			close(fd);
			continue;
		}
		c->a = a;
		c->fd = fd;
		if (!peer_allowed(a, fd, &c->cred)) {
			log_warn("peer_refused", "uid=%u gid=%u pid=%d socket_group=%s",
				 (unsigned int)c->cred.uid, (unsigned int)c->cred.gid,
				 (int)c->cred.pid,
				 a->cfg.socket_group[0] ? a->cfg.socket_group : "-");
			refuse(a, fd, "PeerNotAllowed",
			       "this process may not use hgs-agent: only root and members of the agent's socket_group may (see Documentation/agent.md); run the VM worker as such");
			free(c);
			continue;
		}
		pthread_mutex_lock(&a->clients_lock);
		if (a->n_clients >= a->cfg.max_clients) {
			pthread_mutex_unlock(&a->clients_lock);
			log_warn("busy", "clients=%u max_clients=%u", a->n_clients,
				 a->cfg.max_clients);
			refuse(a, fd, "AgentBusy", "the agent is serving max_clients requests: retry shortly, or raise max_clients");
			free(c);
			continue;
		}
		a->n_clients++;
		pthread_mutex_unlock(&a->clients_lock);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, conn_thread, c)) {
			pthread_mutex_lock(&a->clients_lock);
			a->n_clients--;
			pthread_mutex_unlock(&a->clients_lock);
			refuse(a, fd, "AgentBusy", "the agent cannot start a thread: retry shortly");
			free(c);
		}
		pthread_attr_destroy(&at);
	}
	return NULL;
}
