// SPDX-License-Identifier: GPL-2.0
/*
 * keysrc.c - resolving the VM's key (see keysrc.h). A key of the wrong
 * type or for another VM is refused here, before the module is asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keysrc.h"
#include "roll.h"
#include "vms_agent_client.h"
#include "vms_fileio.h"
#include "vmshield.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Search the keyrings this process possesses, as request_key would. */
static key_serial_t search_own_keyrings(const char *desc)
{
	static const key_serial_t rings[] = {
		KEY_SPEC_THREAD_KEYRING, KEY_SPEC_PROCESS_KEYRING,
		KEY_SPEC_SESSION_KEYRING,
	};
	size_t i;
	long k;

	for (i = 0; i < ARRAY_SIZE(rings); i++) {
		k = keyctl_search(rings[i], "vmshield", desc, 0);
		if (k > 0)
			return (key_serial_t)k;
	}
	return -ENOKEY;
}

/* Is @serial a "vmshield" key described @want? 0, or -errno (printed). */
static int check_key(key_serial_t serial, const char *want)
{
	char *d = NULL, *type_end, *desc;
	int i, r = 0;

	if (keyctl_describe_alloc(serial, &d) < 0) {
		r = -errno;
		fprintf(stderr, "worker: key %d: %s\n", serial,
			vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		return r;
	}
	/* "type;uid;gid;perm;description" */
	type_end = strchr(d, ';');
	desc = d;
	for (i = 0; i < 4 && desc; i++) {
		desc = strchr(desc, ';');
		if (desc)
			desc++;
	}
	if (!type_end || !desc) {
		r = -EINVAL;
		fprintf(stderr, "worker: key %d: unreadable description\n",
			serial);
	} else if ((size_t)(type_end - d) != strlen("vmshield") ||
		   strncmp(d, "vmshield", type_end - d)) {
		r = -EINVAL;
		fprintf(stderr, "worker: key %d is of type '%.*s', not a vmshield key: pass the serial of the VM's key release\n",
			serial, (int)(type_end - d), d);
	} else if (strcmp(desc, want)) {
		r = -EKEYREJECTED;
		fprintf(stderr, "worker: key %d is '%s', not this VM's key '%s': refusing (nothing changed)\n",
			serial, desc, want);
	}
	free(d);
	return r;
}

/*
 * A failure to try again later: no agent answers at the socket (not
 * running, or hung past the client's wait), or the agent answered that
 * HGS did not (HgsUnreachable). A refusal is not one.
 */
static int agent_unreachable(int r, const struct vms_agent_answer *ans)
{
	if (ans->status[0])
		return !strcmp(ans->substatus, "HgsUnreachable");
	return r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT;
}

/*
 * Ask hgs-agent for the VM's key: it attests if it must, sends KPS its
 * health certificate and @kp_file, loads the released (still wrapped)
 * key into the module and gives it to us. The TK never passes through
 * here; what we hold is a key serial.
 */
static key_serial_t from_agent(const struct worker_key_source *src,
			       const char *uuid)
{
	struct vms_agent_answer ans;
	key_serial_t serial = 0;
	uint8_t *kp = NULL;
	size_t len = 0;
	int r;

	r = vms_read_file(src->kp_file, 64u << 10, &kp, &len);
	if (r) {
		fprintf(stderr, "worker: cannot read the key protector %s: %s\n",
			src->kp_file, strerror(-r));
		return r;
	}
	printf("worker: asking hgs-agent for VM %s's key (key protector %s, %zu bytes)\n",
	       uuid, src->kp_file, len);
	fflush(stdout);
	/* issue 21: the agent sends the enclave's statement with each release */
	r = src->vtpm_statement ?
	    vms_agent_release_vtpm(src->socket, uuid, kp, len, src->vtpm_statement,
				   &serial, &ans) :
	    vms_agent_release(src->socket, uuid, kp, len, &serial, &ans);
	free(kp);
	if (r && agent_unreachable(r, &ans)) {
		if (ans.status[0])
			fprintf(stderr, "worker: no key for VM %s: %s (%s %s): HGS could not be reached; nothing was changed, try again\n",
				uuid, ans.message, ans.source, ans.substatus);
		else
			fprintf(stderr, "worker: no key for VM %s: hgs-agent cannot be reached at %s (%s): start it (systemctl start hgs-agent) and try again; nothing was changed\n",
				uuid, src->socket ? src->socket : VMS_AGENT_SOCKET,
				strerror(-r));
		return -EHOSTUNREACH;
	}
	if (r) {
		if (ans.status[0])
			fprintf(stderr, "worker: no key for VM %s: %s (%s%s%s)\n",
				uuid, ans.message, ans.source,
				ans.substatus[0] ? " " : "", ans.substatus);
		else
			fprintf(stderr, "worker: no key for VM %s: hgs-agent at %s: %s (Documentation/agent.md)\n",
				uuid, src->socket ? src->socket : VMS_AGENT_SOCKET,
				strerror(-r));
		return r;
	}
	printf("worker: hgs-agent loaded VM %s's key into vmshield.ko: serial %d, policy %s, the enclave serves it for %u s\n",
	       uuid, serial, ans.policy, ans.lifetime_s);
	return serial;
}

key_serial_t worker_key_acquire(const struct worker_key_source *src,
				const uint8_t vm_id[16])
{
	char want[VMS_KEY_DESC_LEN], given[VMS_KEY_DESC_LEN];
	key_serial_t serial;
	int r;

	r = vms_dev_key_desc(vm_id, want, sizeof(want));
	if (r)
		return r;
	switch (src->kind) {
	case WORKER_KEY_SERIAL:
		serial = src->serial;
		break;
	case WORKER_KEY_DESC:
		/* accept either case of the UUID, as the library does */
		if (strncmp(src->desc, "vm:", 3) ||
		    vms_dev_key_desc_uuid(src->desc + 3, given, sizeof(given))) {
			fprintf(stderr, "worker: --key-desc wants vm:UUID, got '%s'\n",
				src->desc);
			return -EINVAL;
		}
		if (strcmp(given, want)) {
			fprintf(stderr, "worker: --key-desc %s names another VM than --vm (%s): refusing\n",
				given, want);
			return -EKEYREJECTED;
		}
		serial = search_own_keyrings(want);
		if (serial < 0) {
			fprintf(stderr, "worker: no vmshield key '%s' in this process's keyrings: load the VM's key release first (keyctl padd vmshield %s @s < RELEASE)\n",
				want, want);
			return serial;
		}
		break;
	case WORKER_KEY_AGENT:
		/* @want is "vm:<uuid>": the agent takes the bare UUID */
		serial = src->roll ? worker_roll_release(src->roll, want + 3) :
			 from_agent(src, want + 3);
		if (serial < 0)
			return serial;
		break;
	default:
		fprintf(stderr, "worker: no key given: pass --kp FILE (hgs-agent), --key SERIAL or --key-desc vm:UUID\n");
		return -EINVAL;
	}
	r = check_key(serial, want);
	return r ? r : serial;
}
