// SPDX-License-Identifier: GPL-2.0
/*
 * statefile.c - the sealed-state file (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "statefile.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vmshield.h"

/* "<dir>/.<base><suffix>" for @path. */
static int sibling(const char *path, const char *suffix, char *out,
		   size_t size)
{
	char d[PATH_MAX], b[PATH_MAX];

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d) ||
	    snprintf(b, sizeof(b), "%s", path) >= (int)sizeof(b))
		return -ENAMETOOLONG;
	if (snprintf(out, size, "%s/.%s%s", dirname(d), basename(b), suffix) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static void remove_stale_temporaries(const char *path)
{
	char pattern[PATH_MAX];
	glob_t g;
	size_t i;

	if (sibling(path, ".tmp-??????", pattern, sizeof(pattern)) ||
	    glob(pattern, GLOB_NOSORT, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++)
		if (!unlink(g.gl_pathv[i]))
			printf("worker: removed %s (a write interrupted by a crash; %s is intact)\n",
			       g.gl_pathv[i], path);
	globfree(&g);
}

int statefile_open(struct statefile *sf, const char *path)
{
	char lock[PATH_MAX];
	int r;

	memset(sf, 0, sizeof(*sf));
	sf->path = path;
	sf->lock_fd = -1;
	r = sibling(path, ".lock", lock, sizeof(lock));
	if (r) {
		fprintf(stderr, "worker: %s: path too long\n", path);
		return r;
	}
	sf->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			   0600);
	if (sf->lock_fd < 0) {
		r = -errno;
		fprintf(stderr, "worker: cannot create the lock file %s: %s (the state file's directory must be writable)\n",
			lock, strerror(-r));
		return r;
	}
	if (flock(sf->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		fprintf(stderr, "worker: %s is in use by another vmshield-worker (lock %s held): one worker per VM\n",
			path, lock);
		close(sf->lock_fd);
		sf->lock_fd = -1;
		return r;
	}
	remove_stale_temporaries(path);
	return 0;
}

void statefile_close(struct statefile *sf)
{
	free(sf->blob);	/* ciphertext: nothing to wipe */
	sf->blob = NULL;
	if (sf->lock_fd >= 0)
		close(sf->lock_fd);
	sf->lock_fd = -1;
}

int statefile_must_not_exist(struct statefile *sf)
{
	struct stat st;

	if (lstat(sf->path, &st) == 0) {
		fprintf(stderr, "worker: %s already exists: refusing to replace a VM's sealed state (move it away first if you really mean to provision a new vTPM)\n",
			sf->path);
		return -EEXIST;
	}
	return 0;
}

int statefile_check(struct statefile *sf, const uint8_t vm_id[16],
		    uint64_t min_generation)
{
	char want[VMS_UUID_STR_LEN], got[VMS_UUID_STR_LEN];
	int r;

	r = vms_read_file(sf->path, VMSHIELD_MAX_STATE_LEN +
			  VMSHIELD_SEAL_OVERHEAD + 1, &sf->blob, &sf->len);
	if (r == -ENOENT) {
		fprintf(stderr, "worker: %s does not exist: provision the VM's vTPM first (vmshield-worker provision)\n",
			sf->path);
		return r;
	}
	if (r) {
		fprintf(stderr, "worker: %s: %s\n", sf->path,
			vms_dev_op_strerror(VMS_OP_FILE, r));
		return r;
	}
	r = vms_ss_parse(sf->blob, sf->len, &sf->hdr);
	if (r) {
		fprintf(stderr, "worker: %s: %s\n", sf->path,
			vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		return r;
	}
	vms_uuid_format(vm_id, want);
	vms_uuid_format(sf->hdr.vm_id, got);
	if (memcmp(sf->hdr.vm_id, vm_id, sizeof(sf->hdr.vm_id))) {
		fprintf(stderr, "worker: %s holds the sealed state of VM %s, not of VM %s: refusing (nothing changed); give each VM its own state file\n",
			sf->path, got, want);
		return -EKEYREJECTED;
	}
	if (sf->hdr.generation < min_generation) {
		fprintf(stderr, "worker: %s is generation %" PRIu64 ", older than the %" PRIu64 " already recorded: refusing a rollback to superseded state (restore the newest copy)\n",
			sf->path, sf->hdr.generation, min_generation);
		return -ESTALE;
	}
	printf("worker: %s: sealed state of VM %s, generation %" PRIu64 "\n",
	       sf->path, got, sf->hdr.generation);
	return 0;
}

int statefile_unseal(struct statefile *sf, int fd, key_serial_t key,
		     struct vms_secret *out, uint64_t *generation)
{
	uint8_t *state = NULL;
	size_t len = 0;
	int r;

	vms_secret_free(out);
	r = vms_dev_unseal(fd, key, sf->blob, sf->len, &state, &len,
			   generation);
	if (r) {
		fprintf(stderr, "worker: unseal %s: %s\n", sf->path,
			vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		return r;
	}
	/* vms_dev_unseal's buffer is malloc'ed; hand it to the wiping type */
	out->p = state;
	out->len = len;
	printf("worker: unsealed state generation %" PRIu64 " (%zu bytes)\n",
	       *generation, len);
	return 0;
}

int statefile_peek(const char *path, struct vms_ss_header *hdr,
		   size_t *len, int *in_use)
{
	char lock[PATH_MAX];
	uint8_t *blob = NULL;
	int fd, r;

	*in_use = 0;
	r = sibling(path, ".lock", lock, sizeof(lock));
	if (r)
		return r;
	fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			*in_use = 1;
		close(fd);	/* drops a lock we may have taken */
	}
	r = vms_read_file(path, VMSHIELD_MAX_STATE_LEN +
			  VMSHIELD_SEAL_OVERHEAD + 1, &blob, len);
	if (r)
		return r;
	r = vms_ss_parse(blob, *len, hdr);
	free(blob);
	return r;
}
