/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_vm.h - each VM's transport-key version as HGS holds it
 * (store_vm.c; issue 20, Documentation/migration.md "The TK roll"):
 * the acknowledged version and key id, and at most one rolled version
 * waiting for the host's confirmation. Same on both backends; in a
 * cluster, in the shared database.
 *
 * Included by kps.c (release and confirmation), kps_migrate.c, admin.c (vm status) and
 * the tests' invariant check.
 */
#ifndef HGSD_STORE_VM_H
#define HGSD_STORE_VM_H

#include <stdint.h>

#include <jansson.h>

struct store;

struct store_vm_key {
	uint64_t version;		/* acknowledged: the one the VM's state is under */
	uint8_t key_id[16];
	uint64_t pending_version;	/* rolled, not yet confirmed; 0: none */
	uint8_t pending_key_id[16];
	char host[65];			/* the host of the last release */
	long long released_at;		/* Unix seconds */
	long long confirmed_at;
	long long releases;
};

/* @vm_id (UUID text): 0, -ENOENT (never rolled: version 0, the owner's KP), -errno. */
int store_vm_get(struct store *st, const char *vm_id, struct store_vm_key *out);

/*
 * A plain release (no roll) of a shielded KP (migration.md §1.3b): for a
 * VM HGS holds a version of, served only as a renewal from the host that
 * holds the VM's live release.
 */
struct store_vm_plain {
	int renewal;		/* the request says "renewal": true */
	long window_s;		/* the longest lifetime a release of it had */
};

/*
 * A release for @vm_id of the KP at version @kp_version with key id
 * @kp_key_id, to @host; with @roll, the next version @next_key_id is
 * recorded as pending. One transaction with the release's event row
 * (@detail): the version moves exactly when the release is recorded.
 *   - @kp_version is the acknowledged version (key id equal): released;
 *     a roll replaces any earlier pending one (never confirmed: the host
 *     lost it before it re-sealed);
 *   - @kp_version is the pending version (key id equal): the host
 *     re-sealed under it and did not confirm; showing the rolled KP
 *     confirms it now (it becomes the acknowledged version);
 *   - anything else: -ESTALE (superseded).
 * With @plain (a shielded KP, no @roll) and a row for @vm_id: -ENOKEY
 * unless @plain says renewal, @host is the host of the last release (or
 * the source of a migration in flight) and that release is less than
 * @plain->window_s old (nothing changed then).
 * A VM HGS never rolled is at version 0 with the owner's key id; a
 * release without @roll of version 0 writes nothing.
 * In *@new_version the version the release makes pending (roll) or 0.
 * -EAGAIN: another node changed the row meanwhile (the caller refuses).
 */
int store_vm_release(struct store *st, const char *vm_id, uint64_t kp_version,
		     const uint8_t kp_key_id[16], int roll, const uint8_t next_key_id[16],
		     const char *host, const char *detail, const struct store_vm_plain *plain,
		     uint64_t *new_version);

/*
 * The same with the vTPM generation of issue 21 (store_vm_vtpm.h) in the
 * same transaction (and @plain, store_vm_release's rule): -ERANGE a statement below the stored generation,
 * -EAGAIN the floor is older than the stored one; nothing changed then.
 */
struct store_vtpm;
int store_vm_release_vtpm(struct store *st, const char *vm_id, uint64_t kp_version,
			  const uint8_t kp_key_id[16], int roll, const uint8_t next_key_id[16],
			  const char *host, const char *detail, const struct store_vtpm *vtpm,
			  const struct store_vm_plain *plain, uint64_t *new_version);

/*
 * The host confirms it re-sealed the VM's state under the pending
 * version @version (key id @key_id): it becomes the acknowledged one and
 * the previous version is released no more. 0; 1 if it was confirmed
 * already (nothing changed); -ESTALE not the pending or current version;
 * -EPERM another host than the one the roll was released to; -ENOENT no
 * such VM.
 */
int store_vm_confirm(struct store *st, const char *vm_id, uint64_t version,
		     const uint8_t key_id[16], const char *host);

/*
 * Live migration (Documentation/migration.md §2): the destination @dst
 * gets the VM's current version and the next one. In one durable
 * transaction: the KP (@kp_version, @kp_key_id) is the acknowledged
 * version, no roll is pending, @src is the host of the VM's last release;
 * then the next version @next_key_id is pending at @dst (a roll row, the
 * migration row from @src, the release event @detail). 0 with
 * *@new_version; -ESTALE the KP is superseded; -EBUSY a roll or migration
 * is pending; -EXDEV @src is not the host of the last release (or the VM
 * was never released); -ELOOP @src is @dst; -EAGAIN another node changed
 * the row. The destination confirms with store_vm_confirm() (or by
 * showing the rolled KP at a release); a roll release of the
 * acknowledged KP (a start, on the source or elsewhere) replaces a
 * migration not yet confirmed, as it replaces a roll.
 */
int store_vm_migrate(struct store *st, const char *vm_id, uint64_t kp_version,
		     const uint8_t kp_key_id[16], const uint8_t next_key_id[16],
		     const char *src, const char *dst, const char *detail,
		     uint64_t *new_version);

/*
 * The source @src says it let @vm_id go (its key revoked): the newest
 * migration from @src is marked completed (audit). 0, 1 already marked,
 * -EINPROGRESS the destination has not confirmed yet, -ENOENT no
 * migration from @src (or a later start replaced it); the migration's
 * version in *@version.
 */
int store_vm_migrated(struct store *st, const char *vm_id, const char *src, uint64_t *version);

/*
 * HGS's view of one VM, as JSON (shieldctl vm status), with its newest
 * migration ("migration": null if none), or NULL (-ENOENT in *@r).
 */
json_t *store_vm_status(struct store *st, const char *vm_id, int *r);

/*
 * For the cluster tests (no version incremented twice): the number of
 * VMs whose acknowledged version is not exactly the count of confirmed
 * rolls 1..version, each confirmed once. 0 or -errno.
 */
int store_vm_violations(struct store *st, long *bad);

#endif /* HGSD_STORE_VM_H */
