// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_gate.c - the TLS-only gate on a shielded VM's state blobs (see
 * migrate_gate.h and Documentation/migration.md §2.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate_gate.h"
#include "vms_hex.h"

#define LINE_MAX_LEN	512

/* The value of " key=" in @line, up to the next blank, into @out. */
static int field(const char *line, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = line;

	while ((p = strstr(p, key))) {
		if (p > line && p[-1] == ' ' && p[klen] == '=')
			break;
		p += klen;
	}
	if (!p)
		return -ENOENT;
	p += klen + 1;
	n = strcspn(p, "\n ");
	if (!n || n >= size)
		return -EINVAL;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int migrate_gate_parse(const char *line, const uint8_t vm_id[16], time_t now,
		       const char **why)
{
	char vm[64], transport[16], dst[256], exp[32], *end;
	uint8_t id[16];
	long long e;
	size_t mlen = strlen(MIGRATE_GATE_MAGIC);

	if (strncmp(line, MIGRATE_GATE_MAGIC " ", mlen + 1) ||
	    strtol(line + mlen + 1, &end, 10) != MIGRATE_GATE_VERSION ||
	    *end != ' ') {
		*why = "the migration announcement is not a vmshield-migrate-out v1 line";
		return -EPERM;
	}
	if (field(line, "vm", vm, sizeof(vm)) || vms_uuid_parse(vm, id) ||
	    memcmp(id, vm_id, sizeof(id))) {
		*why = "the migration announcement is for another VM";
		return -EPERM;
	}
	if (field(line, "transport", transport, sizeof(transport)) ||
	    strcmp(transport, "tls")) {
		*why = "the announced migration is not over TLS";
		return -EPERM;
	}
	if (field(line, "dst", dst, sizeof(dst))) {
		*why = "the announced migration names no destination host";
		return -EPERM;
	}
	if (field(line, "expires", exp, sizeof(exp))) {
		*why = "the migration announcement has no expiry";
		return -EPERM;
	}
	errno = 0;
	e = strtoll(exp, &end, 10);
	if (errno || *end || e <= (long long)now ||
	    e > (long long)now + MIGRATE_GATE_MAX_S) {
		*why = "the migration announcement has expired (or expires implausibly late)";
		return -EPERM;
	}
	return 0;
}

/*
 * Read the announcement: a regular file of the worker's own user that
 * nobody else can write (not a link someone points elsewhere).
 */
static int read_announcement(const char *path, char *buf, size_t size,
			     const char **why)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*why = errno == ENOENT ?
		       "no migration was announced (vmshield-migrate out announces a TLS migration to an attested host)" :
		       "the migration announcement cannot be opened";
		return -EPERM;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0022)) {
		close(fd);
		*why = "the migration announcement is not a file of the worker's user that only it can write";
		return -EPERM;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= size - 1) {
		*why = "the migration announcement is empty or too long";
		return -EPERM;
	}
	buf[n] = '\0';
	return 0;
}

int migrate_gate_check(const struct migrate_gate *g)
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	const char *why = NULL;
	int r;

	if (!g || !g->state)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s%s", g->state,
			     MIGRATE_GATE_SUFFIX) >= sizeof(path))
		return -ENAMETOOLONG;
	r = read_announcement(path, line, sizeof(line), &why);
	if (!r)
		r = migrate_gate_parse(line, g->vm_id, time(NULL), &why);
	if (r)
		fprintf(stderr, "worker: CMD_GET_STATEBLOB: refused: shielded VMs migrate only over TLS to an attested host: %s\n",
			why);
	return r;
}
