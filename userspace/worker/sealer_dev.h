/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sealer_dev.h - the worker's sealer: vmshield.ko under the VM's key.
 */
#ifndef VMS_WORKER_SEALER_DEV_H
#define VMS_WORKER_SEALER_DEV_H

#include <keyutils.h>

#include "persist.h"
#include "vmshield.h"

struct dev_sealer {
	struct sealer ops;	/* must be first */
	int fd;			/* /dev/vmshield */
	key_serial_t key;	/* the VM's vmshield key */
	char desc[VMS_KEY_DESC_LEN];	/* its "vm:<uuid>"; "" if unknown */
};

/*
 * Fill @s for @fd and @key (nothing is opened here). When the key expires
 * the sealer takes hgs-agent's renewal of it from the user keyring
 * (vms_dev_key_current) and goes on: a running VM outlives its release.
 */
void dev_sealer_init(struct dev_sealer *s, int fd, key_serial_t key);

#endif /* VMS_WORKER_SEALER_DEV_H */
