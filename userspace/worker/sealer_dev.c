// SPDX-License-Identifier: GPL-2.0
/*
 * sealer_dev.c - sealing through /dev/vmshield (see sealer_dev.h): the
 * TK never leaves the enclave; the worker holds a key serial.
 */
#include "sealer_dev.h"
#include "vmshield.h"

static int dev_seal(struct sealer *s, uint64_t generation, const uint8_t *pt,
		    size_t len, uint8_t **blob, size_t *blob_len)
{
	struct dev_sealer *d = (struct dev_sealer *)s;

	return vms_dev_seal(d->fd, d->key, generation, pt, len, blob,
			    blob_len);
}

static int dev_unseal(struct sealer *s, const uint8_t *blob, size_t len,
		      struct vms_secret *out, uint64_t *generation)
{
	struct dev_sealer *d = (struct dev_sealer *)s;
	uint8_t *state = NULL;
	size_t state_len = 0;
	int r;

	vms_secret_free(out);
	r = vms_dev_unseal(d->fd, d->key, blob, len, &state, &state_len,
			   generation);
	if (r)
		return r;
	out->p = state;		/* malloc'ed: the wiping type frees it */
	out->len = state_len;
	return 0;
}

static const char *dev_strerror(struct sealer *s, int sealing, int err)
{
	(void)s;
	return vms_dev_op_strerror(sealing ? VMS_OP_SEAL : VMS_OP_UNSEAL, err);
}

void dev_sealer_init(struct dev_sealer *s, int fd, key_serial_t key)
{
	s->ops.seal = dev_seal;
	s->ops.unseal = dev_unseal;
	s->ops.strerror = dev_strerror;
	s->fd = fd;
	s->key = key;
}
