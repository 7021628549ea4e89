// SPDX-License-Identifier: GPL-2.0
/*
 * worker_testseal.c - the unit tests' sealer (see worker_testseal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "worker_testseal.h"

static u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int t_seal(struct sealer *s, uint64_t generation, const uint8_t *pt,
		  size_t len, uint8_t **blob, size_t *blob_len)
{
	struct test_sealer *t = (struct test_sealer *)s;
	size_t n = vms_ss_size(len);
	int r;

	if (t->fail_after > 0 && t->seals >= t->fail_after)
		return -EIO;
	if (!n)
		return -EFBIG;
	*blob = malloc(n);
	if (!*blob)
		return -ENOMEM;
	r = vms_ss_seal(&t->key, boot_ns(), generation, pt, len, *blob, n);
	if (r) {
		free(*blob);
		*blob = NULL;
		return r;
	}
	t->seals++;
	*blob_len = n;
	return 0;
}

static int t_unseal(struct sealer *s, const uint8_t *blob, size_t len,
		    struct vms_secret *out, uint64_t *generation)
{
	struct test_sealer *t = (struct test_sealer *)s;
	uint8_t *p;
	int r;

	vms_secret_free(out);
	if (len < VMS_SS_OVERHEAD)
		return -EMSGSIZE;
	p = malloc(len - VMS_SS_OVERHEAD + 1);
	if (!p)
		return -ENOMEM;
	r = vms_ss_unseal(&t->key, boot_ns(), blob, len, p,
			  len - VMS_SS_OVERHEAD, generation);
	if (r) {
		free(p);
		return r;
	}
	out->p = p;
	out->len = len - VMS_SS_OVERHEAD;
	return 0;
}

static const char *t_strerror(struct sealer *s, int sealing, int err)
{
	(void)s;
	(void)sealing;
	return strerror(-err);
}

void test_sealer_init(struct test_sealer *s, const u8 vm_id[16],
		      const u8 tk[32])
{
	memset(s, 0, sizeof(*s));
	s->ops.seal = t_seal;
	s->ops.unseal = t_unseal;
	s->ops.strerror = t_strerror;
	assert_int_equal(0, vms_seal_key_init(&s->key, tk, vm_id, t_key_id,
					      0, boot_ns()));
}

void test_sealer_wipe(struct test_sealer *s)
{
	vms_seal_key_wipe(&s->key);
}
