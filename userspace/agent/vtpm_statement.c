// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_statement.c - the vTPM statement with every release of a VM whose
 * vTPM runs in the enclave (issue 21, Documentation/vtpm-in-enclave.md
 * §2, agent.md §3): the worker names the file it keeps the enclave's
 * statement in ("vtpm_statement_path" in its release request); the
 * agent reads it afresh for that release and for every renewal of the
 * VM's key, so HGS's generation is never older than one key lifetime.
 *
 * The agent reads on a peer's behalf, so only a file the peer could read
 * itself: a regular file (no symlink followed) owned by the peer's uid
 * (or root), at most VMS_AGENT_STATEMENT_MAX bytes. The agent does not
 * check the statement (it has no platform key): KPS does, and refuses a
 * bad one. A statement that cannot be read is left out (logged): KPS
 * then releases with the generation it holds, never a lower one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "vms_b64.h"

#define VMS_AGENT_STATEMENT_MAX	1024	/* framing, body, signature */

int agent_statement_read(const char *path, uid_t uid, char **b64)
{
	uint8_t buf[VMS_AGENT_STATEMENT_MAX];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	*b64 = NULL;
	if (path[0] != '/')
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_uid != uid && st.st_uid != 0)
		r = -EPERM;
	else if (st.st_size < 3 || st.st_size > VMS_AGENT_STATEMENT_MAX)
		r = -EMSGSIZE;
	if (!r) {
		n = read(fd, buf, sizeof(buf));
		if (n != st.st_size)
			r = n < 0 ? -errno : -EIO;
	}
	close(fd);
	if (!r) {
		*b64 = vms_b64_encode(buf, (size_t)st.st_size);
		if (!*b64)
			r = -ENOMEM;
	}
	return r;
}

int agent_statement_add(json_t *req, const struct agent_request *rq, uid_t uid)
{
	char *b64;
	int r;

	if (!rq->statement_path[0])
		return 0;
	r = agent_statement_read(rq->statement_path, uid, &b64);
	if (r) {
		log_warn("vtpm_statement", "vm=%s path=%s error=\"%s\" msg=\"released without the vTPM statement: HGS keeps the generation it holds\"",
			 rq->vm_id, rq->statement_path, strerror(-r));
		return 0;
	}
	r = json_object_set_new(req, "vtpm_statement", json_string(b64)) ? -ENOMEM : 0;
	free(b64);
	return r;
}
