/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_audit_chain.h - the HGS audit log's hash chain (audit_chain.c):
 * each audit row carries the hash of the row before it and its own hash
 * over that and its contents, so an edited, removed or reordered row
 * breaks the chain. hgsd computes it when it writes a row; `shieldctl
 * hgs audit verify` recomputes it (Documentation/hgs-protocol.md).
 */
#ifndef VMS_AUDIT_CHAIN_H
#define VMS_AUDIT_CHAIN_H

#define VMS_AUDIT_HASH_HEX	65	/* SHA-256 as lower-case hex, NUL */

struct vms_audit_row {
	long long at;
	const char *node, *who, *action, *detail, *result;
	const char *prev_hash;	/* "" for the first row of the chain */
};

/*
 * SHA-256 over "vmshield hgs audit v1", then prev_hash, at (decimal),
 * node, who, action, detail, result, each as a 4-byte big-endian length
 * and its bytes. 0, or -EINVAL / -EIO.
 */
int vms_audit_row_hash(const struct vms_audit_row *r, char out[VMS_AUDIT_HASH_HEX]);

#endif /* VMS_AUDIT_CHAIN_H */
