/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keysrc.h - where vmshield-worker gets the VM's key: the one function
 * that turns a key source (a serial, a keyring search, or hgs-agent)
 * into the serial of a "vmshield" key for this VM.
 */
#ifndef VMS_WORKER_KEYSRC_H
#define VMS_WORKER_KEYSRC_H

#include <stdint.h>
#include <keyutils.h>

struct worker_roll;

enum worker_key_kind {
	WORKER_KEY_NONE = 0,
	WORKER_KEY_SERIAL,	/* --key SERIAL */
	WORKER_KEY_DESC,	/* --key-desc vm:UUID, searched in our keyrings */
	WORKER_KEY_AGENT,	/* --kp FILE [--agent SOCKET]: hgs-agent releases it */
};

struct worker_key_source {
	enum worker_key_kind kind;
	key_serial_t serial;
	const char *desc;
	const char *kp_file;	/* WORKER_KEY_AGENT: the VM's key protector */
	const char *socket;	/* WORKER_KEY_AGENT: NULL for the default */
	struct worker_roll *roll;	/* WORKER_KEY_AGENT: roll the TK (roll.h) */
	/* WORKER_KEY_AGENT, --vtpm-in-enclave: the statement file (issue 21) */
	const char *vtpm_statement;
};

/*
 * Resolve @src to a key and check it is the "vmshield" key of @vm_id
 * (its description is "vm:<uuid>"). Prints what went wrong and what to do;
 * returns the serial (> 0) or a negative errno: -EHOSTUNREACH when
 * hgs-agent, or HGS through it, cannot be reached (try again later: exit
 * status 3, vms_exit.h).
 */
key_serial_t worker_key_acquire(const struct worker_key_source *src,
				const uint8_t vm_id[16]);

#endif /* VMS_WORKER_KEYSRC_H */
