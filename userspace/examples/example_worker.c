// SPDX-License-Identifier: GPL-2.0
/*
 * example_worker.c - the libvmshield example of Documentation/libvmshield.md:
 * a VMM worker that powers a VM's state on and off through /dev/vmshield.
 *
 *   example-worker <vm-uuid> <release-file> <state-file>
 *
 * It makes itself non-dumpable, loads the VM's key release (as hgs-agent
 * would hand it over) into its session keyring, unseals <state-file> if it
 * exists (else starts from a fresh state), "runs" the VM (here: counts one
 * more boot in the state), seals the new state with the next generation
 * and writes it atomically, then revokes the key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "vmshield.h"
#include "vms_fileio.h"

#define MAX_RELEASE 4096

static int fail(const char *what, enum vms_op op, int err)
{
	fprintf(stderr, "example-worker: %s: %s\n", what,
		vms_dev_op_strerror(op, err));
	return 1;
}

int main(int argc, char **argv)
{
	uint8_t *release = NULL, *state = NULL;
	size_t release_len = 0, state_len = 0;
	uint64_t generation = 0, boots = 0;
	key_serial_t key;
	int fd, r, ret = 1;

	if (argc != 4) {
		fprintf(stderr,
			"usage: example-worker <vm-uuid> <release-file> <state-file>\n");
		return 2;
	}
	/* Shielded keys serve only non-dumpable workers (else EPERM). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		perror("example-worker: prctl(PR_SET_DUMPABLE)");
		return 1;
	}
	fd = vms_dev_open();
	if (fd < 0)
		return fail("open /dev/vmshield", VMS_OP_OPEN, fd);

	r = vms_read_file(argv[2], MAX_RELEASE, &release, &release_len);
	if (r) {
		fail(argv[2], VMS_OP_FILE, r);
		goto out_close;
	}
	key = vms_dev_key_load_uuid(argv[1], release, release_len,
				    KEY_SPEC_SESSION_KEYRING);
	free(release);
	if (key < 0) {
		fail("load the VM key", VMS_OP_KEY_LOAD, key);
		goto out_close;
	}

	r = vms_dev_unseal_file(fd, key, argv[3], &state, &state_len,
				&generation);
	if (r == -ENOENT) {
		/* A new VM: its first state. */
		state_len = sizeof(boots);
		state = calloc(1, state_len);
		if (!state)
			goto out_key;
		generation = 0;
	} else if (r) {
		fail("unseal the VM state", VMS_OP_UNSEAL, r);
		goto out_key;
	} else if (state_len != sizeof(boots)) {
		fprintf(stderr, "example-worker: %s: not this worker's state\n",
			argv[3]);
		goto out_state;
	}

	/* "Run" the VM: the state counts its boots. */
	memcpy(&boots, state, sizeof(boots));
	boots++;
	memcpy(state, &boots, sizeof(boots));
	printf("VM %s: boot %" PRIu64 " (state generation %" PRIu64 ")\n",
	       argv[1], boots, generation);

	/* Power off: seal the new state, replace the file atomically. */
	r = vms_dev_seal_to_file(fd, key, generation + 1, state, state_len,
				 argv[3]);
	if (r) {
		fail("seal the VM state", r == -ENOSPC || r == -EIO ||
		     r == -EROFS ? VMS_OP_FILE : VMS_OP_SEAL, r);
		goto out_state;
	}
	ret = 0;
out_state:
	vms_dev_free(state, state_len);
out_key:
	vms_dev_key_revoke(key);
out_close:
	vms_dev_close(fd);
	return ret;
}
