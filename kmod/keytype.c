// SPDX-License-Identifier: GPL-2.0
/*
 * keytype.c - the "vmshield" key type: a released transport key, as a
 * kernel key.
 *
 *   add_key("vmshield", "vm:<uuid>", release_blob, len, keyring)
 *
 * opens the key-release blob inside the enclave (preparse) and keeps only
 * what the enclave made of it. Keyrings give handles, permissions, quotas,
 * revocation, timeouts and keyctl visibility. There is no read and no
 * update operation: nobody gets the bytes back, and a key is replaced by
 * adding a new release, never edited.
 *
 * A roll release (VMS_KR_FLAG_ROLL, issue 20) is added the same way and
 * becomes one key: SEAL uses the next TK, UNSEAL the next TK or, for
 * state sealed before the roll, the current one (Documentation/uapi.md,
 * "A rolled key").
 */
#include <linux/key-type.h>
#include <linux/uuid.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>
#include <linux/math64.h>
#include "vmshield.h"
#include "keyrelease.h"

#define VMS_DESC_PREFIX "vm:"

/* "vm:" followed by a canonical UUID, e.g. vm:0f8fad5b-d9cb-469f-a165-70867728950e */
/*
 * Lower-case hex only: one VM must have one description, or "vm:ABC..."
 * and "vm:abc..." would be two keys for the same VM in one keyring.
 */
static int vms_desc_vm_id(const char *desc, u8 vm_id[16])
{
	char canon[UUID_STRING_LEN + 1];
	uuid_t u;

	if (!desc || strncmp(desc, VMS_DESC_PREFIX, 3) ||
	    strlen(desc) != 3 + UUID_STRING_LEN)
		return -EINVAL;
	if (uuid_parse(desc + 3, &u))
		return -EINVAL;
	snprintf(canon, sizeof(canon), "%pUb", &u);
	if (strcmp(canon, desc + 3))
		return -EINVAL;
	memcpy(vm_id, u.b, 16);
	return 0;
}

static int vms_key_vet_description(const char *desc)
{
	u8 vm_id[16];

	return vms_desc_vm_id(desc, vm_id);
}

static int vms_key_preparse(struct key_preparsed_payload *prep)
{
	struct vms_vmkey *vk;
	struct vms_vmkey_info info;
	u64 now, left;
	u8 vm_id[16];
	int ret;

	if (!prep->data || prep->datalen < VMS_KR_MIN_LEN ||
	    prep->datalen > VMS_KR_ROLL_MAX_LEN)
		return -EMSGSIZE;
	ret = vms_desc_vm_id(prep->orig_description, vm_id);
	if (ret)
		return ret;
	ret = vms_enclave_open_release(prep->data, prep->datalen, vm_id, &vk);
	if (ret)
		return ret;

	vms_enclave_key_info(vk, &info);
	prep->payload.data[0] = vk;
	prep->quotalen = 1024;	/* about the size of the enclave's object */
	/*
	 * Keyring expiry is wall-clock based; it lets keyctl show and garbage
	 * collection see the lifetime. The enclave's own check (boot-time
	 * clock) is what enforces it. The lifetime ran from the release's
	 * challenge (format v2), so what is left of it is what counts here,
	 * rounded up.
	 */
	now = ktime_get_boottime_ns();
	left = info.expires_ns > now ?
	       div_u64(info.expires_ns - now + NSEC_PER_SEC - 1, NSEC_PER_SEC) : 1;
	prep->expiry = ktime_get_real_seconds() + left;
	return 0;
}

static void vms_key_free_preparse(struct key_preparsed_payload *prep)
{
	vms_enclave_destroy(prep->payload.data[0]);
	prep->payload.data[0] = NULL;
}

static int vms_key_instantiate(struct key *key,
			       struct key_preparsed_payload *prep)
{
	int ret;

	/* a release becomes a key once per load (replay.c) */
	ret = vms_enclave_commit(prep->payload.data[0]);
	if (ret)
		return ret;
	/* take ownership so free_preparse does not wipe it */
	key->payload.data[0] = prep->payload.data[0];
	prep->payload.data[0] = NULL;
	/*
	 * add_key() grants the possessor Read only to types with a read
	 * operation, and SEAL/UNSEAL need Read ("may use"): grant it here, or
	 * a fresh key could not be used without keyctl setperm. The key is
	 * not linked anywhere yet, so nobody else can be changing its perm.
	 */
	key->perm |= KEY_POS_READ;
	return 0;
}

/* Revocation wipes at once; the object is freed by destroy later. */
static void vms_key_revoke(struct key *key)
{
	struct vms_vmkey *vk = key->payload.data[0];

	if (vk)
		vms_enclave_kill(vk);
}

static void vms_key_destroy(struct key *key)
{
	vms_enclave_destroy(key->payload.data[0]);
	key->payload.data[0] = NULL;
}

static void vms_key_describe(const struct key *key, struct seq_file *m)
{
	struct vms_vmkey *vk = key->payload.data[0];
	struct vms_vmkey_info info;

	seq_puts(m, key->description);
	if (!vk || !key_is_positive(key))
		return;
	vms_enclave_key_info(vk, &info);
	seq_printf(m, ": %s key %16phN seals %llu unseal_failures %u made_at %s%s%s%s",
		   info.policy == VMS_KR_POLICY_SHIELDED ? "shielded" :
		   "encryption-supported", info.key_id, info.seals,
		   info.unseal_failures,
		   info.level >= VMSHIELD_ISOLATION_KERNEL_LOCKED ?
		   "kernel-locked" : "kernel-open",
		   info.dead ? " failed-closed" : "",
		   info.stale && !info.dead ? " dropped" : "",
		   info.expired ? " expired-wiped" : "");
	if (info.rolled)
		seq_printf(m, " rolled_from %16phN", info.prev_key_id);
}

struct key_type vms_key_type = {
	.name = "vmshield",
	.vet_description = vms_key_vet_description,
	.preparse = vms_key_preparse,
	.free_preparse = vms_key_free_preparse,
	.instantiate = vms_key_instantiate,
	.revoke = vms_key_revoke,
	.destroy = vms_key_destroy,
	.describe = vms_key_describe,
	/* no .read, no .update: see the comment at the top */
};

int vms_keytype_init(void)
{
	return register_key_type(&vms_key_type);
}

void vms_keytype_exit(void)
{
	/* garbage-collects (and so wipes) every key of the type */
	unregister_key_type(&vms_key_type);
}
