/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_host_status.h - what POST /v1/host/status reads about the keys a
 * host says it holds (store_host_status.c): the TK rolls HGS released to
 * that host for those VMs, with each VM's acknowledged version, and the
 * guardians' state. Included by host_status.c only.
 */
#ifndef HGSD_STORE_HOST_STATUS_H
#define HGSD_STORE_HOST_STATUS_H

#include <stddef.h>

#include <jansson.h>

struct store;

/* The most VMs one call may name (the placeholders of one statement). */
#define STORE_HOST_STATUS_MAX_VMS	256

/*
 * The rolls released to @host for the @n VMs @vm_ids (lower-case UUIDs):
 * rows {vm_id, key_id, version, acked}, acked being the VM's acknowledged
 * version now. NULL on a store error (or @n out of range).
 */
json_t *store_host_rolls(struct store *st, const char *host,
			 const char *const *vm_ids, size_t n);

#endif /* HGSD_STORE_HOST_STATUS_H */
