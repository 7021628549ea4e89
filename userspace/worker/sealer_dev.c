// SPDX-License-Identifier: GPL-2.0
/*
 * sealer_dev.c - sealing through /dev/vmshield (see sealer_dev.h): the
 * TK never leaves the enclave; the worker holds a key serial.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealer_dev.h"
#include "vmshield.h"

/*
 * *@err from the module: if the key expired and the agent renewed it, take
 * the renewal (1: try again); else 0, with *@err -EKEYREVOKED when the
 * renewal came and was revoked since (the cause to report).
 */
static int follow_renewal(struct dev_sealer *d, int *err)
{
	key_serial_t next;

	if (*err != -EKEYEXPIRED || !d->desc[0])
		return 0;
	next = vms_dev_key_current(d->desc);
	if (next == -EKEYREVOKED)
		*err = next;
	if (next <= 0 || next == d->key)
		return 0;
	fprintf(stderr, "worker: key %d expired; taking its renewal, key %d\n", d->key, next);
	d->key = next;
	return 1;
}

static int dev_seal(struct sealer *s, uint64_t generation, const uint8_t *pt,
		    size_t len, uint8_t **blob, size_t *blob_len)
{
	struct dev_sealer *d = (struct dev_sealer *)s;
	int r;

	do
		r = vms_dev_seal(d->fd, d->key, generation, pt, len, blob, blob_len);
	while (follow_renewal(d, &r));
	return r;
}

static int dev_unseal(struct sealer *s, const uint8_t *blob, size_t len,
		      struct vms_secret *out, uint64_t *generation)
{
	struct dev_sealer *d = (struct dev_sealer *)s;
	uint8_t *state = NULL;
	size_t state_len = 0;
	int r;

	vms_secret_free(out);
	do
		r = vms_dev_unseal(d->fd, d->key, blob, len, &state, &state_len,
				   generation);
	while (follow_renewal(d, &r));
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

/* The key's "vm:<uuid>": the last field of "type;uid;gid;perm;description". */
static void key_desc_of(key_serial_t key, char *out, size_t len)
{
	char *d = NULL, *last;

	out[0] = 0;
	if (keyctl_describe_alloc(key, &d) < 0)
		return;
	last = strrchr(d, ';');
	if (last && !strncmp(last + 1, "vm:", 3))
		snprintf(out, len, "%s", last + 1);
	free(d);
}

void dev_sealer_init(struct dev_sealer *s, int fd, key_serial_t key)
{
	key_desc_of(key, s->desc, sizeof(s->desc));
	s->ops.seal = dev_seal;
	s->ops.unseal = dev_unseal;
	s->ops.strerror = dev_strerror;
	s->fd = fd;
	s->key = key;
}
