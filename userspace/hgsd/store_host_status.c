// SPDX-License-Identifier: GPL-2.0
/*
 * store_host_status.c - the store's side of POST /v1/host/status with
 * the keys a host holds (host_status.c): the TK rolls HGS released to
 * this host for the VMs it names, each with the VM's acknowledged
 * version, in one statement. Only rows whose roll was released to the
 * asking host are read, so a host learns nothing of a VM's versions
 * through this call that HGS did not release to it (a roll row names
 * the host that got the roll: store_vm.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_db.h"
#include "store_host_status.h"
#include "vms_cleanup.h"

/* followed by one placeholder per VM and ")" */
static const char head[] =
	"SELECT r.vm_id, r.key_id, r.version, k.version AS acked\n"
	"FROM vm_key_rolls r JOIN vm_keys k ON k.vm_id = r.vm_id\n"
	"WHERE r.host = ? AND r.vm_id IN (";

json_t *store_host_rolls(struct store *st, const char *host,
			 const char *const *vm_ids, size_t n)
{
	_cleanup_free_ char *sql = NULL;
	const char *args[STORE_HOST_STATUS_MAX_VMS + 2];
	json_t *rows = NULL;
	struct db *db;
	size_t i, len;
	int r;

	if (!n || n > STORE_HOST_STATUS_MAX_VMS)
		return NULL;
	len = sizeof(head) + 2 * n + 2;
	sql = malloc(len);
	if (!sql)
		return NULL;
	memcpy(sql, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	args[0] = host;
	for (i = 0; i < n; i++) {
		sql[len++] = i ? ',' : '?';
		if (i)
			sql[len++] = '?';
		args[i + 1] = vm_ids[i];
	}
	sql[len++] = ')';
	sql[len] = 0;
	args[n + 1] = NULL;
	db = store_lock(st);
	r = db->ops->query(db, sql, args, &rows, NULL);
	store_unlock(st);
	return r ? NULL : rows;
}
