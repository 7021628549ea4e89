// SPDX-License-Identifier: GPL-2.0
/*
 * agent_client.c - the worker's side of hgs-agent's socket: one JSON
 * request line out, one JSON answer line back (Documentation/agent.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <keyutils.h>

#include "vms_agent_client.h"
#include "vms_b64.h"
#include "vms_hex.h"

#define ANSWER_MAX	(1u << 20)
/*
 * The agent bounds every request by its own deadline; this only guards
 * against an agent that hangs.
 */
#define CLIENT_WAIT_S	900

static int connect_agent(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CLIENT_WAIT_S };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vms_agent_call(const char *socket_path, const char *request, char **answer)
{
	size_t len = 0, cap = 4096;
	char *buf;
	int fd, r;

	*answer = NULL;
	if (!request || strchr(request, '\n'))
		return -EINVAL;
	fd = connect_agent(socket_path ? socket_path : VMS_AGENT_SOCKET);
	if (fd < 0)
		return fd;
	r = write_all(fd, request, strlen(request));
	if (!r)
		r = write_all(fd, "\n", 1);
	/*
	 * a refused peer is answered at once and the agent hangs up, maybe
	 * before we finished writing: the answer is still there to read
	 */
	if (r == -EPIPE || r == -ECONNRESET)
		r = 0;
	buf = malloc(cap);
	if (!buf)
		r = -ENOMEM;
	while (!r) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= ANSWER_MAX) {
				r = -EPROTO;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0) {
			/* the agent hung up without an answer: it refused us */
			r = len ? -EPROTO : -ECONNRESET;
			break;
		}
		len += (size_t)n;
		if (memchr(buf + len - n, '\n', (size_t)n))
			break;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*(char *)memchr(buf, '\n', len) = 0;
	*answer = buf;
	return 0;
}

static void copy_str(json_t *o, const char *key, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", s ? s : "");
}

/* The errno of a Failed answer: the agent says it; EACCES if it does not. */
static int answer_errno(json_t *o)
{
	json_int_t e = json_integer_value(json_object_get(o, "errno"));

	return e > 0 && e < 4096 ? -(int)e : -EACCES;
}

static int agent_release(const char *socket_path, const char *vm_uuid,
			 const void *kp, size_t kp_len, unsigned int deadline_s,
			 const char *statement_path, key_serial_t *serial,
			 struct vms_agent_answer *ans)
{
	struct vms_agent_answer local;
	char *kp64 = NULL, *line = NULL, *answer = NULL;
	uint8_t id[16];
	json_t *req = NULL, *o = NULL;
	json_int_t key;
	int r;

	if (!ans)
		ans = &local;
	memset(ans, 0, sizeof(*ans));
	if (serial)
		*serial = 0;
	if (!vm_uuid || vms_uuid_parse(vm_uuid, id) || !kp || !kp_len ||
	    !serial)
		return -EINVAL;
	kp64 = vms_b64_encode(kp, kp_len);
	if (!kp64)
		return -ENOMEM;
	req = json_pack("{s:s, s:s, s:s}", "op", "release", "vm_id", vm_uuid,
			"key_protector", kp64);
	if (req && deadline_s)
		json_object_set_new(req, "deadline_s", json_integer(deadline_s));
	if (req && statement_path &&
	    json_object_set_new(req, "vtpm_statement_path", json_string(statement_path))) {
		json_decref(req);
		req = NULL;
	}
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	free(kp64);
	if (!line)
		return -ENOMEM;
	r = vms_agent_call(socket_path, line, &answer);
	free(line);
	if (r)
		return r;
	o = json_loads(answer, 0, NULL);
	free(answer);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EPROTO;
	}
	copy_str(o, "status", ans->status, sizeof(ans->status));
	copy_str(o, "source", ans->source, sizeof(ans->source));
	copy_str(o, "substatus", ans->substatus, sizeof(ans->substatus));
	copy_str(o, "message", ans->message, sizeof(ans->message));
	copy_str(o, "vm_id", ans->vm_id, sizeof(ans->vm_id));
	copy_str(o, "key_id", ans->key_id, sizeof(ans->key_id));
	copy_str(o, "policy", ans->policy, sizeof(ans->policy));
	ans->lifetime_s = (uint32_t)json_integer_value(json_object_get(o, "lifetime_s"));
	key = json_integer_value(json_object_get(o, "key_serial"));
	if (strcmp(ans->status, "Passed")) {
		r = strcmp(ans->status, "Failed") ? -EPROTO : answer_errno(o);
		json_decref(o);
		return r;
	}
	json_decref(o);
	if (key <= 0 || key > INT32_MAX)
		return -EPROTO;
	/* Possess the key: it then outlives the agent's own keyring. */
	if (keyctl_link((key_serial_t)key, KEY_SPEC_SESSION_KEYRING) < 0) {
		r = -errno;
		snprintf(ans->message, sizeof(ans->message),
			 "the key was loaded but linking it into this process's session keyring failed (%s)",
			 strerror(-r));
		return r;
	}
	*serial = (key_serial_t)key;
	return 0;
}

int vms_agent_release_deadline(const char *socket_path, const char *vm_uuid,
			       const void *kp, size_t kp_len,
			       unsigned int deadline_s, key_serial_t *serial,
			       struct vms_agent_answer *ans)
{
	return agent_release(socket_path, vm_uuid, kp, kp_len, deadline_s, NULL,
			     serial, ans);
}

int vms_agent_release_vtpm(const char *socket_path, const char *vm_uuid,
			   const void *kp, size_t kp_len,
			   const char *statement_path, key_serial_t *serial,
			   struct vms_agent_answer *ans)
{
	if (!statement_path || statement_path[0] != '/' ||
	    strlen(statement_path) > VMS_AGENT_STATEMENT_PATH_MAX) {
		if (ans)
			memset(ans, 0, sizeof(*ans));
		if (serial)
			*serial = 0;
		return -EINVAL;
	}
	return agent_release(socket_path, vm_uuid, kp, kp_len, 0, statement_path,
			     serial, ans);
}

int vms_agent_release(const char *socket_path, const char *vm_uuid,
		      const void *kp, size_t kp_len, key_serial_t *serial,
		      struct vms_agent_answer *ans)
{
	return vms_agent_release_deadline(socket_path, vm_uuid, kp, kp_len, 0,
					  serial, ans);
}

int vms_agent_status(const char *socket_path, char **json)
{
	return vms_agent_call(socket_path, "{\"op\":\"status\"}", json);
}
