/* SPDX-License-Identifier: GPL-2.0 */
/*
 * challenge.h - the enclave's release challenges: what makes a key
 * release (keyrelease.h v2) load once, only into the enclave that asked
 * for it, and only soon after it asked.
 *
 * The enclave issues a 32-byte random challenge and remembers it with
 * the time on its own clock (a clock the host cannot set: boot time in
 * the kernel, CLOCK_BOOTTIME in vmshield-enclaved). KPS puts both in the
 * release. The enclave accepts a release only for a challenge in this
 * table, not yet consumed, issued at the time the release names and no
 * more than VMS_CHAL_MAX_AGE_NS ago; accepting consumes it.
 *
 * The table is bounded (VMS_CHAL_MAX entries, no allocation): when every
 * entry is live, issuing fails (-EBUSY) until one is consumed or ages
 * out; it never evicts a pending challenge. The caller serialises calls.
 *
 * Errors: -EBUSY (table full of live challenges), -ESTALE (not issued by
 * this table, already consumed, or issued at another time than the release
 * says), -ETIME (issued too long ago: dropped), primitive errors (issue).
 */
#ifndef VMS_CHALLENGE_H
#define VMS_CHALLENGE_H

#include "vms_prim.h"

#define VMS_CHAL_LEN		32
#define VMS_CHAL_MAX		64
#define VMS_CHAL_MAX_AGE_NS	(300ULL * 1000000000ULL)	/* 5 min */

struct vms_chal_entry {
	u8 c[VMS_CHAL_LEN];
	u64 issued_ns;
	u8 live;
};

struct vms_chal_table {
	struct vms_chal_entry e[VMS_CHAL_MAX];
};

/* Forget every challenge (a new enclave identity voids them all). */
void vms_chal_reset(struct vms_chal_table *t);

/* Issue a fresh challenge at @now_ns: 0 or -EBUSY / a primitive error. */
int vms_chal_issue(struct vms_chal_table *t, u64 now_ns,
		   u8 out[VMS_CHAL_LEN]);

/*
 * May a release for (@c, @issued_ns) still be accepted at @now_ns? With
 * @consume, an accepted challenge is used up. 0, -ESTALE or -ETIME.
 */
int vms_chal_check(struct vms_chal_table *t, u64 now_ns,
		   const u8 c[VMS_CHAL_LEN], u64 issued_ns, int consume);

/* Live (issued, unused, young enough at @now_ns) challenges. */
unsigned int vms_chal_live(const struct vms_chal_table *t, u64 now_ns);

#endif /* VMS_CHALLENGE_H */
