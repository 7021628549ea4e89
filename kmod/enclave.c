// SPDX-License-Identifier: GPL-2.0
/*
 * enclave.c - the enclave in placement "kernel": its X25519 identity.
 *
 * The identity is generated inside the module at every load and never
 * leaves it: only the public half is reported. Secret material lives in
 * a slab cache created without a usercopy whitelist, so a copy_to_user()
 * that touched it by mistake would trip hardened usercopy instead of
 * leaking (CONFIG_HARDENED_USERCOPY is on in Debian's kernel).
 */
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/rwsem.h>
#include <linux/mutex.h>
#include <linux/timekeeping.h>
#include <crypto/curve25519.h>
#include <crypto/algapi.h>
#include "vmshield.h"
#include "keyrelease.h"
#include "sealedstate.h"

struct vms_identity {
	u8 sk[CURVE25519_KEY_SIZE];
	u8 pk[CURVE25519_KEY_SIZE];
};

/*
 * What a released TK becomes inside the enclave. The TK itself is not
 * kept: vms_seal_key_init() keeps only the HKDF PRK derived from it.
 */
struct vms_vmkey {
	struct vms_seal_key sk;
	struct mutex seal_lock;	/* serialises seals (the seal counter) */
	u32 policy;
	u32 lifetime_s;
	u16 n_digests;
	u8 digests[VMS_KR_MAX_DIGESTS][VMS_KR_DIGEST_LEN];
	atomic_t unseal_failures;
	bool dead;		/* failed closed; set under seal_lock */
	/* public copies, never wiped before destroy: read without seal_lock */
	u8 vm_id[VMS_KR_ID_LEN];
	u8 key_id[VMS_KR_ID_LEN];
	u64 expires_ns;
};

static struct kmem_cache *vms_secret_cache;
static struct kmem_cache *vms_vmkey_cache;
atomic64_t vms_keys_created = ATOMIC64_INIT(0);
atomic64_t vms_keys_wiped = ATOMIC64_INIT(0);

/* The identity is written once at init and read afterwards. */
static DECLARE_RWSEM(vms_identity_lock);
static struct vms_identity *vms_identity;

int vms_enclave_init(void)
{
	struct vms_identity *id;
	int ret;

	if (vms_remote_active())
		return vms_remote_init();	/* the enclave is elsewhere */
	/* usersize 0: no byte of these objects may be copied to userspace */
	vms_secret_cache = kmem_cache_create("vmshield_secrets",
					     sizeof(struct vms_identity), 0,
					     SLAB_HWCACHE_ALIGN, NULL);
	if (!vms_secret_cache)
		return -ENOMEM;
	vms_vmkey_cache = kmem_cache_create("vmshield_vmkeys",
					    sizeof(struct vms_vmkey), 0,
					    SLAB_HWCACHE_ALIGN, NULL);
	if (!vms_vmkey_cache) {
		ret = -ENOMEM;
		goto err_cache;
	}

	id = kmem_cache_zalloc(vms_secret_cache, GFP_KERNEL);
	if (!id) {
		ret = -ENOMEM;
		goto err_cache;
	}

	/* Wait for the CRNG before generating a long-lived key. */
	ret = wait_for_random_bytes();
	if (ret)
		goto err_id;
	curve25519_generate_secret(id->sk);
	if (!curve25519_generate_public(id->pk, id->sk)) {
		ret = -EKEYREJECTED;
		goto err_id;
	}

	down_write(&vms_identity_lock);
	vms_identity = id;
	up_write(&vms_identity_lock);
	return 0;

err_id:
	memzero_explicit(id, sizeof(*id));
	kmem_cache_free(vms_secret_cache, id);
err_cache:
	kmem_cache_destroy(vms_vmkey_cache);
	vms_vmkey_cache = NULL;
	kmem_cache_destroy(vms_secret_cache);
	vms_secret_cache = NULL;
	return ret;
}

void vms_enclave_exit(void)
{
	down_write(&vms_identity_lock);
	if (vms_identity) {
		memzero_explicit(vms_identity, sizeof(*vms_identity));
		kmem_cache_free(vms_secret_cache, vms_identity);
		vms_identity = NULL;
	}
	up_write(&vms_identity_lock);
	kmem_cache_destroy(vms_vmkey_cache);
	vms_vmkey_cache = NULL;
	kmem_cache_destroy(vms_secret_cache);
	vms_secret_cache = NULL;
}

void vms_enclave_public_key(u8 pk[32])
{
	if (vms_remote_active()) {
		vms_remote_public_key(pk);
		return;
	}
	down_read(&vms_identity_lock);
	if (vms_identity)
		memcpy(pk, vms_identity->pk, CURVE25519_KEY_SIZE);
	else
		memset(pk, 0, CURVE25519_KEY_SIZE);
	up_read(&vms_identity_lock);
}

/* The clock for key lifetimes: boot time, which root cannot set. */
static u64 vms_now_ns(void)
{
	return ktime_get_boottime_ns();
}

/**
 * vms_enclave_open_release - open a key-release blob addressed to us.
 * @blob: the blob as given to add_key() (kernel memory).
 * @len: its length.
 * @vm_id: the VM id the key's description names; the blob must bind it.
 * @out: on success, the new VM key.
 *
 * Context: process context; sleeps. Return: 0 or the errno of
 * core/keyrelease.h; -EKEYREJECTED for a shielded release on a host below
 * kernel-locked.
 */
int vms_enclave_open_release(const u8 *blob, size_t len, const u8 vm_id[16],
			     struct vms_vmkey **out)
{
	struct vms_kr_binding b;
	struct vms_isolation iso;
	struct vms_vmkey *key;
	u8 tk[VMS_TK_LEN];
	int ret;

	if (vms_remote_active())
		return vms_remote_open_release(blob, len, vm_id, out);
	key = kmem_cache_zalloc(vms_vmkey_cache, GFP_KERNEL);
	if (!key)
		return -ENOMEM;
	mutex_init(&key->seal_lock);

	down_read(&vms_identity_lock);
	if (vms_identity)
		ret = vms_kr_open(blob, len, vms_identity->sk, vms_identity->pk,
				  vm_id, NULL, &b, tk);
	else
		ret = -ENODEV;
	up_read(&vms_identity_lock);
	if (ret)
		goto err;

	vms_isolation_read(&iso);
	if (b.policy == VMS_KR_POLICY_SHIELDED &&
	    iso.level < VMSHIELD_ISOLATION_KERNEL_LOCKED) {
		ret = -EKEYREJECTED;
		goto err;
	}

	ret = vms_seal_key_init(&key->sk, tk, b.vm_id, b.key_id, b.lifetime_s,
				vms_now_ns());
	if (ret)
		goto err;
	key->policy = b.policy;
	key->lifetime_s = b.lifetime_s;
	memcpy(key->vm_id, b.vm_id, sizeof(key->vm_id));
	memcpy(key->key_id, b.key_id, sizeof(key->key_id));
	key->expires_ns = key->sk.expires_ns;
	key->n_digests = b.n_digests;
	memcpy(key->digests, b.digests, (size_t)b.n_digests * VMS_KR_DIGEST_LEN);
	memzero_explicit(tk, sizeof(tk));
	atomic64_inc(&vms_keys_created);
	*out = key;
	return 0;
err:
	memzero_explicit(tk, sizeof(tk));
	memzero_explicit(key, sizeof(*key));
	kmem_cache_free(vms_vmkey_cache, key);
	return ret;
}

/* Wipe and free; called by the key type's destroy and free_preparse. */
void vms_enclave_destroy(struct vms_vmkey *key)
{
	if (vms_remote_active()) {
		vms_remote_destroy(key);
		return;
	}
	if (!key)
		return;
	vms_seal_key_wipe(&key->sk);
	memzero_explicit(key, sizeof(*key));
	kmem_cache_free(vms_vmkey_cache, key);
	atomic64_inc(&vms_keys_wiped);
}

/* Fail closed: wipe the derived key; every later use gets -EKEYREVOKED. */
void vms_enclave_kill(struct vms_vmkey *key)
{
	if (vms_remote_active()) {
		vms_remote_kill(key);
		return;
	}
	mutex_lock(&key->seal_lock);
	vms_seal_key_wipe(&key->sk);
	WRITE_ONCE(key->dead, true);
	mutex_unlock(&key->seal_lock);
}

/*
 * Lockless, so it may run in atomic context: the key type's describe calls
 * it for /proc/keys under key_serial_lock (a spinlock) and RCU, where
 * taking seal_lock could sleep. The ids, policy and expiry never change
 * after open; seals and dead are single words, read once (a racing seal
 * shows the count before or after it).
 */
void vms_enclave_key_info(struct vms_vmkey *key, struct vms_vmkey_info *info)
{
	if (vms_remote_active()) {
		vms_remote_key_info(key, info);
		return;
	}
	memset(info, 0, sizeof(*info));
	memcpy(info->vm_id, key->vm_id, sizeof(info->vm_id));
	memcpy(info->key_id, key->key_id, sizeof(info->key_id));
	info->expires_ns = key->expires_ns;
	info->seals = READ_ONCE(key->sk.seals);
	info->dead = READ_ONCE(key->dead);
	info->policy = key->policy;
	info->lifetime_s = key->lifetime_s;
	info->unseal_failures = atomic_read(&key->unseal_failures);
}

bool vms_enclave_key_digest_approved(struct vms_vmkey *key, const u8 d[32])
{
	bool found = false;
	unsigned int i;

	if (vms_remote_active())
		return vms_remote_key_digest_approved(key, d);
	/* no early exit: the time taken does not say which entry matched */
	for (i = 0; i < key->n_digests; i++)
		found |= !crypto_memneq(key->digests[i], d, VMS_KR_DIGEST_LEN);
	return found;
}

/**
 * vms_enclave_seal - seal plaintext under a VM key.
 * @key: the VM key.
 * @generation: recorded in the blob's header.
 * @pt: plaintext.
 * @ptlen: its length.
 * @out: output, vms_ss_size(@ptlen) bytes.
 * @outlen: size of @out.
 *
 * An internal error (not a caller error) kills the key: we do not know
 * what state the primitive left behind, so we fail closed.
 *
 * Context: process context; sleeps. Return: 0 or a negative errno.
 */
int vms_enclave_seal(struct vms_vmkey *key, u64 generation,
		     const u8 *pt, size_t ptlen, u8 *out, size_t outlen)
{
	int ret;

	if (vms_remote_active())
		return vms_remote_seal(key, generation, pt, ptlen, out, outlen);
	mutex_lock(&key->seal_lock);
	if (key->dead) {
		ret = -EKEYREVOKED;
		goto out;
	}
	ret = vms_ss_seal(&key->sk, vms_now_ns(), generation, pt, ptlen,
			  out, outlen);
	if (ret && ret != -EKEYEXPIRED && ret != -EDQUOT && ret != -ENOSPC &&
	    ret != -EMSGSIZE) {
		vms_seal_key_wipe(&key->sk);
		WRITE_ONCE(key->dead, true);
		pr_warn("key failed closed after seal error %d\n", ret);
	}
out:
	mutex_unlock(&key->seal_lock);
	return ret;
}

int vms_enclave_unseal(struct vms_vmkey *key, const u8 *blob, size_t len,
		       u8 *out, size_t outlen, u64 *generation)
{
	int ret;

	if (vms_remote_active())
		return vms_remote_unseal(key, blob, len, out, outlen, generation);
	/* one lock for every use: a kill never races a use of the PRK */
	mutex_lock(&key->seal_lock);
	if (key->dead)
		ret = -EKEYREVOKED;
	else
		ret = vms_ss_unseal(&key->sk, vms_now_ns(), blob, len, out,
				    outlen, generation);
	mutex_unlock(&key->seal_lock);
	if (ret == -EBADMSG) {
		int n = atomic_inc_return(&key->unseal_failures);

		pr_warn_ratelimited("unseal authentication failure #%d on key %16phN\n",
				    n, key->key_id);
	}
	return ret;
}
