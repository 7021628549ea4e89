/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_agent_client.h - the VMM worker's side of hgs-agent's Unix socket
 * (Documentation/agent.md section 4). Link with libvmshield.a, jansson and
 * -lkeyutils.
 *
 *	key_serial_t key;
 *	struct vms_agent_answer ans;
 *	int r = vms_agent_release(NULL, "6f1c2a5e-...", kp, kp_len, &key, &ans);
 *	if (r)
 *		fprintf(stderr, "no key: %s (%s)\n", ans.message, ans.substatus);
 *
 * On success the agent has loaded the VM's key release into vmshield.ko,
 * made the caller's uid the key's owner with View/Read/Search/Link, and
 * the client has linked the key into the caller's session keyring: the
 * worker can SEAL and UNSEAL with @key at once and keeps the key if the
 * agent restarts.
 */
#ifndef VMS_AGENT_CLIENT_H
#define VMS_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#define VMS_AGENT_SOCKET	"/run/vmshield/agent.sock"

/* What the agent answered, success or not (strings are NUL-terminated). */
struct vms_agent_answer {
	char status[8];		/* "Passed" or "Failed" ("" if no answer) */
	char source[16];	/* Failed: "agent", "attestation", "kps", "module" */
	char substatus[64];	/* Failed: HGS's substatus or the agent's own */
	char message[512];	/* Failed: what to do; Passed: "" */
	char vm_id[37];
	char key_id[33];	/* Passed: the KP's key id, hex */
	char policy[24];	/* Passed: "shielded" / "encryption-supported" */
	uint32_t lifetime_s;	/* Passed: seconds the enclave serves the key */
};

/*
 * Ask the agent at @socket (NULL: VMS_AGENT_SOCKET) to release VM
 * @vm_uuid's key from the key protector @kp (@kp_len bytes of DER) and
 * load it. On 0, *@serial is the key (a "vmshield" key, description
 * "vm:<uuid>"). Otherwise -errno and, when the agent answered, @ans says
 * why:
 *   -EINVAL        bad arguments, or the agent refused the request's shape
 *   -ENOENT, -ECONNREFUSED  the agent is not running (start hgs-agent)
 *   -EACCES        the agent refused this process (not root, not in
 *                  socket_group), or HGS refused (see ans->substatus)
 *   -ETIMEDOUT     HGS did not answer within the agent's deadline
 *   -EKEYREJECTED, -ENOKEY, ...  vmshield.ko refused the release
 *   -EPROTO        the agent's answer was not understood
 * @ans may be NULL.
 */
int vms_agent_release(const char *socket, const char *vm_uuid,
		      const void *kp, size_t kp_len, key_serial_t *serial,
		      struct vms_agent_answer *ans);
/*
 * The same with a deadline in seconds (0: the agent's request_deadline_s;
 * the agent never waits longer than its own).
 */
int vms_agent_release_deadline(const char *socket, const char *vm_uuid,
			       const void *kp, size_t kp_len,
			       unsigned int deadline_s, key_serial_t *serial,
			       struct vms_agent_answer *ans);
/*
 * The same for a VM whose vTPM runs in the enclave (issue 21): the agent
 * sends the enclave's signed statement it reads from @statement_path
 * (absolute; a file of the caller's uid) with this release and with
 * every renewal of the key (Documentation/vtpm-in-enclave.md §2).
 * -EINVAL for a relative path or one over VMS_AGENT_STATEMENT_PATH_MAX.
 */
#define VMS_AGENT_STATEMENT_PATH_MAX	255
int vms_agent_release_vtpm(const char *socket, const char *vm_uuid,
			   const void *kp, size_t kp_len,
			   const char *statement_path, key_serial_t *serial,
			   struct vms_agent_answer *ans);

/*
 * The agent's status as JSON text (malloc'd, free() it): attestation,
 * certificate, HGS reachability, loaded keys. 0 or -errno as above.
 */
int vms_agent_status(const char *socket, char **json);

/*
 * One request line, one answer line (both JSON objects): the transport
 * the calls above use. *@answer is malloc'd. 0 or -errno.
 */
int vms_agent_call(const char *socket, const char *request, char **answer);

#endif /* VMS_AGENT_CLIENT_H */
