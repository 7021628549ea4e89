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
#include <crypto/curve25519.h>
#include "vmshield.h"

struct vms_identity {
	u8 sk[CURVE25519_KEY_SIZE];
	u8 pk[CURVE25519_KEY_SIZE];
};

static struct kmem_cache *vms_secret_cache;

/* The identity is written once at init and read afterwards. */
static DECLARE_RWSEM(vms_identity_lock);
static struct vms_identity *vms_identity;

int vms_enclave_init(void)
{
	struct vms_identity *id;
	int ret;

	/* usersize 0: no byte of these objects may be copied to userspace */
	vms_secret_cache = kmem_cache_create("vmshield_secrets",
					     sizeof(struct vms_identity), 0,
					     SLAB_HWCACHE_ALIGN, NULL);
	if (!vms_secret_cache)
		return -ENOMEM;

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
	kmem_cache_destroy(vms_secret_cache);
	vms_secret_cache = NULL;
}

void vms_enclave_public_key(u8 pk[32])
{
	down_read(&vms_identity_lock);
	if (vms_identity)
		memcpy(pk, vms_identity->pk, CURVE25519_KEY_SIZE);
	else
		memset(pk, 0, CURVE25519_KEY_SIZE);
	up_read(&vms_identity_lock);
}
