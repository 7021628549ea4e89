// SPDX-License-Identifier: GPL-2.0
/*
 * challenge.c - the enclave's table of release challenges (challenge.h).
 *
 * A linear scan of at most VMS_CHAL_MAX entries: small enough that a
 * lookup costs less than the X25519 the release needs anyway. Comparisons
 * are constant-time, so the time taken does not tell which entry (or how
 * much of one) matched.
 */
#include "challenge.h"

static int chal_aged(const struct vms_chal_entry *e, u64 now_ns)
{
	/* a clock that went back (never, on these clocks) also ages out */
	return now_ns < e->issued_ns ||
	       now_ns - e->issued_ns > VMS_CHAL_MAX_AGE_NS;
}

static void chal_drop(struct vms_chal_entry *e)
{
	memset(e, 0, sizeof(*e));
}

void vms_chal_reset(struct vms_chal_table *t)
{
	memset(t, 0, sizeof(*t));
}

int vms_chal_issue(struct vms_chal_table *t, u64 now_ns,
		   u8 out[VMS_CHAL_LEN])
{
	struct vms_chal_entry *slot = NULL;
	unsigned int i;
	int ret;

	for (i = 0; i < VMS_CHAL_MAX; i++) {
		if (t->e[i].live && chal_aged(&t->e[i], now_ns))
			chal_drop(&t->e[i]);
		if (!t->e[i].live && !slot)
			slot = &t->e[i];
	}
	if (!slot)
		return -EBUSY;
	ret = vms_prim_random(slot->c, VMS_CHAL_LEN);
	if (ret) {
		chal_drop(slot);
		return ret;
	}
	slot->issued_ns = now_ns;
	slot->live = 1;
	memcpy(out, slot->c, VMS_CHAL_LEN);
	return 0;
}

int vms_chal_check(struct vms_chal_table *t, u64 now_ns,
		   const u8 c[VMS_CHAL_LEN], u64 issued_ns, int consume)
{
	struct vms_chal_entry *hit = NULL;
	unsigned int i;

	for (i = 0; i < VMS_CHAL_MAX; i++)
		if (t->e[i].live && !vms_prim_memneq(t->e[i].c, c, VMS_CHAL_LEN))
			hit = &t->e[i];
	if (!hit || hit->issued_ns != issued_ns)
		return -ESTALE;
	if (chal_aged(hit, now_ns)) {
		chal_drop(hit);
		return -ETIME;
	}
	if (consume)
		chal_drop(hit);
	return 0;
}

unsigned int vms_chal_live(const struct vms_chal_table *t, u64 now_ns)
{
	unsigned int i, n = 0;

	for (i = 0; i < VMS_CHAL_MAX; i++)
		n += t->e[i].live && !chal_aged(&t->e[i], now_ns);
	return n;
}
