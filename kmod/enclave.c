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
#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <crypto/curve25519.h>
#include <crypto/algapi.h>
#include "vmshield.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "compat.h"

/*
 * The enclave's identity, and what the kernel proved when it was made:
 * its level is the level the key has lived at, as the level never goes
 * down (lockdown and signature enforcement only rise) and a rise makes a
 * new identity (vms_enclave_identity()).
 */
struct vms_identity {
	u8 sk[CURVE25519_KEY_SIZE];
	u8 pk[CURVE25519_KEY_SIZE];
	struct vms_isolation iso;	/* at creation */
	u64 epoch;			/* 1 for the first identity of a load */
};

/*
 * What a released TK becomes inside the enclave. The TK itself is not
 * kept: vms_seal_key_init() keeps only the HKDF PRK derived from it.
 * A roll release (issue 20) makes one key of both TKs: @sk is the next
 * TK's, for SEAL and UNSEAL; @sk_prev the current TK's, for UNSEAL only
 * (the state sealed before the roll), chosen by the blob's key id.
 */
struct vms_vmkey {
	struct vms_seal_key sk;
	struct vms_seal_key sk_prev;	/* roll only; never seals */
	bool rolled;
	struct mutex seal_lock;	/* serialises seals (the seal counter) */
	u32 policy;
	u32 lifetime_s;
	u16 n_digests;
	u8 digests[VMS_KR_MAX_DIGESTS][VMS_KR_DIGEST_LEN];
	atomic_t unseal_failures;
	bool dead;		/* failed closed; set under seal_lock */
	bool expired;		/* lifetime over, PRK wiped; under seal_lock */
	/* public copies, never wiped before destroy: read without seal_lock */
	u8 vm_id[VMS_KR_ID_LEN];
	u8 key_id[VMS_KR_ID_LEN];
	u8 prev_key_id[VMS_KR_ID_LEN];	/* roll only: sk_prev's key id */
	u64 expires_ns;
	u8 opened[VMS_OPENED_LEN];	/* the release's digest (replay.c) */
	u8 challenge[VMS_KR_CHALLENGE_LEN];	/* used up at commit */
	u64 challenge_ns;
	u64 epoch;		/* of the identity that opened the release */
	u32 level;		/* that identity's level: the key's at creation */
	struct delayed_work expire_work;	/* wipes the PRK at expiry */
	bool expire_armed;	/* expire_work scheduled (at commit) */
};

static struct kmem_cache *vms_secret_cache;
static struct kmem_cache *vms_vmkey_cache;
atomic64_t vms_keys_created = ATOMIC64_INIT(0);
atomic64_t vms_keys_wiped = ATOMIC64_INIT(0);

/*
 * The current identity; replaced (never edited) when the level rises.
 * vms_epoch is the current identity's epoch, so that a key opened under
 * an earlier one can tell without the lock that it must not serve.
 */
static DECLARE_RWSEM(vms_identity_lock);
static struct vms_identity *vms_identity;
static atomic64_t vms_epoch = ATOMIC64_INIT(0);

static void vms_identity_free(struct vms_identity *id)
{
	if (!id)
		return;
	memzero_explicit(id, sizeof(*id));
	kmem_cache_free(vms_secret_cache, id);
}

/* A new X25519 identity made now, at @iso. */
static struct vms_identity *vms_identity_new(const struct vms_isolation *iso)
{
	struct vms_identity *id;
	int ret;

	/* Wait for the CRNG before generating a long-lived key. */
	ret = wait_for_random_bytes();
	if (ret)
		return ERR_PTR(ret);
	id = kmem_cache_zalloc(vms_secret_cache, GFP_KERNEL_ACCOUNT);
	if (!id)
		return ERR_PTR(-ENOMEM);
	curve25519_generate_secret(id->sk);
	if (!curve25519_generate_public(id->pk, id->sk)) {
		vms_identity_free(id);
		return ERR_PTR(-EKEYREJECTED);
	}
	id->iso = *iso;
	return id;
}

/**
 * vms_enclave_identity - the enclave's public key and the level it holds.
 * @pk: if not NULL, gets the current identity's public key.
 * @iso: if not NULL, gets what the kernel proved when it was made.
 *
 * A key is never certified above the lowest level it lived at. The
 * identity is made at first use (not at load, so a host that raises
 * lockdown right after loading the module never reports a key that lived
 * open), and whenever the kernel's level is found higher than the level
 * the current identity was made at, a new identity is made at the new
 * level and the old one is wiped: every VM key opened under it stops
 * serving (EKEYREVOKED), and releases made for it are refused (ENOKEY).
 * Every report and GET_INFO names an identity with the level it was made
 * at, never a level it reached later.
 *
 * Context: process context; sleeps. Return: 0 or a negative errno.
 */
int vms_enclave_identity(u8 pk[32], struct vms_isolation *iso)
{
	struct vms_identity *id, *old = NULL;
	struct vms_isolation now;

	vms_isolation_read(&now);
	if (vms_remote_active()) {
		/* the key lives in the enclave, out of this kernel's reach */
		if (pk)
			vms_remote_public_key(pk);
		if (iso)
			*iso = now;
		return 0;
	}
	down_read(&vms_identity_lock);
	id = vms_identity;
	if (id && id->iso.level >= now.level) {
		if (pk)
			memcpy(pk, id->pk, CURVE25519_KEY_SIZE);
		if (iso)
			*iso = id->iso;
		up_read(&vms_identity_lock);
		return 0;
	}
	up_read(&vms_identity_lock);

	id = vms_identity_new(&now);
	if (IS_ERR(id))
		return PTR_ERR(id);
	down_write(&vms_identity_lock);
	if (!vms_identity || vms_identity->iso.level < now.level) {
		old = vms_identity;
		id->epoch = atomic64_inc_return(&vms_epoch);
		vms_identity = id;
		if (old)
			pr_info("level rose to %u: new enclave identity, keys of the old one dropped\n",
				now.level);
	} else {
		old = id;	/* a racing caller made one at this level */
	}
	if (pk)
		memcpy(pk, vms_identity->pk, CURVE25519_KEY_SIZE);
	if (iso)
		*iso = vms_identity->iso;
	up_write(&vms_identity_lock);
	vms_identity_free(old);
	return 0;
}

/*
 * vms_enclave_epoch - the current identity's epoch (made now if need be):
 * what the release challenges and the accepted KPS key belong to.
 */
int vms_enclave_epoch(u64 *epoch)
{
	int ret = vms_enclave_identity(NULL, NULL);

	if (ret)
		return ret;
	down_read(&vms_identity_lock);
	*epoch = vms_identity ? vms_identity->epoch : 0;
	up_read(&vms_identity_lock);
	return *epoch ? 0 : -ENODEV;
}

int vms_enclave_init(void)
{
	int ret;

	if (vms_remote_active())
		return vms_remote_init();	/* the enclave is elsewhere */
	/*
	 * usersize 0: no byte of these objects may be copied to userspace.
	 * VMS_SLAB_NO_MERGE (compat.h): never shared with another cache.
	 */
	vms_secret_cache = kmem_cache_create("vmshield_secrets",
					     sizeof(struct vms_identity), 0,
					     SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT |
					     VMS_SLAB_NO_MERGE, NULL);
	if (!vms_secret_cache)
		return -ENOMEM;
	vms_vmkey_cache = kmem_cache_create("vmshield_vmkeys",
					    sizeof(struct vms_vmkey), 0,
					    SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT |
					    VMS_SLAB_NO_MERGE, NULL);
	if (!vms_vmkey_cache) {
		ret = -ENOMEM;
		goto err_cache;
	}
	return 0;

err_cache:
	kmem_cache_destroy(vms_secret_cache);
	vms_secret_cache = NULL;
	return ret;
}

void vms_enclave_exit(void)
{
	down_write(&vms_identity_lock);
	vms_identity_free(vms_identity);
	vms_identity = NULL;
	up_write(&vms_identity_lock);
	kmem_cache_destroy(vms_vmkey_cache);
	vms_vmkey_cache = NULL;
	kmem_cache_destroy(vms_secret_cache);
	vms_secret_cache = NULL;
}

static void vms_enclave_expire_work(struct work_struct *work);

/* The clock for key lifetimes: boot time, which root cannot set. */
static u64 vms_now_ns(void)
{
	return ktime_get_boottime_ns();
}

/* Wipe what the key holds of both TKs (the roll's previous one too). */
static void vms_vmkey_wipe(struct vms_vmkey *key)
{
	vms_seal_key_wipe(&key->sk);
	vms_seal_key_wipe(&key->sk_prev);
}

/**
 * vms_enclave_open_release - open a key-release blob addressed to us.
 * @blob: the blob as given to add_key() (kernel memory).
 * @len: its length.
 * @vm_id: the VM id the key's description names; the blob must bind it.
 * @out: on success, the new VM key.
 *
 * Everything that can be decided without the enclave's secret is decided
 * first, in the order Documentation/uapi.md gives: the blob's structure,
 * that it is addressed to us, that it names the KPS key this identity
 * accepts, the VM id, the policy against the isolation level, that this
 * load has not opened it before, that its challenge is pending, and that
 * it has not expired. Only then is the TK decrypted (HPKE auth mode:
 * only KPS could have made it), so a refusal never depends on (or reveals
 * anything about) the ciphertext.
 *
 * A roll release (VMS_KR_FLAG_ROLL) passes the same checks and becomes
 * one key holding both TKs, the current one for UNSEAL only
 * (Documentation/uapi.md, "A rolled key").
 *
 * Context: process context; sleeps. Return: 0 or the errno of
 * core/keyrelease.h; -EPERM for another KPS key (or none set yet);
 * -EKEYREJECTED for a shielded release on a host below kernel-locked;
 * -EALREADY for a release already opened during this load; -ENOSPC when
 * the memory of opened releases is full; -ESTALE / -ETIME for a challenge
 * that is not pending / too old; -EKEYEXPIRED for a release whose expiry
 * has passed.
 */
int vms_enclave_open_release(const u8 *blob, size_t len, const u8 vm_id[16],
			     struct vms_vmkey **out)
{
	struct vms_kr_binding b;
	struct vms_kr_view v;
	struct vms_isolation iso;
	struct vms_vmkey *key;
	u8 kps_pk[CURVE25519_KEY_SIZE];
	u8 tk[VMS_TK_LEN];
	u8 tk_next[VMS_TK_LEN];
	u64 epoch = 0;
	u16 roll = vms_kr_roll_flag(blob, len);
	int ret;

	if (vms_remote_active())
		return vms_remote_open_release(blob, len, vm_id, out);
	ret = roll ? vms_kr_parse_roll(blob, len, &b, &v) :
		     vms_kr_parse(blob, len, &b, &v);
	if (ret)
		return ret;
	/* its KP wants the vTPM in an enclave: this placement has none */
	if (b.flags & VMS_KR_F_VTPM_IN_ENCLAVE)
		return -EOPNOTSUPP;
	/* the identity at the current level, made now if the level rose */
	ret = vms_enclave_identity(NULL, &iso);
	if (ret)
		return ret;
	down_read(&vms_identity_lock);
	if (!vms_identity)
		ret = -ENODEV;
	else if (crypto_memneq(v.enclave_pk, vms_identity->pk,
			       CURVE25519_KEY_SIZE))
		ret = -ENOKEY;
	else
		epoch = vms_identity->epoch;
	up_read(&vms_identity_lock);
	if (ret)
		return ret;
	ret = vms_challenge_kps(epoch, kps_pk);
	if (!ret && crypto_memneq(v.kps_pk, kps_pk, sizeof(kps_pk)))
		ret = -EPERM;
	if (ret)
		return ret;
	if (memcmp(b.vm_id, vm_id, VMS_KR_ID_LEN))
		return -EKEYREJECTED;
	if (b.policy == VMS_KR_POLICY_SHIELDED &&
	    iso.level < VMSHIELD_ISOLATION_KERNEL_LOCKED)
		return -EKEYREJECTED;

	key = kmem_cache_zalloc(vms_vmkey_cache, GFP_KERNEL_ACCOUNT);
	if (!key)
		return -ENOMEM;
	mutex_init(&key->seal_lock);
	INIT_DELAYED_WORK(&key->expire_work, vms_enclave_expire_work);
	/* a release this load opened before: EALREADY, whatever else holds */
	vms_opened_digest(blob, len, key->opened);
	ret = vms_opened_check(key->opened);
	if (ret)
		goto err;
	ret = vms_challenge_check(epoch, b.challenge, b.challenge_ns, false);
	if (ret)
		goto err;
	if (vms_now_ns() >= b.not_after_ns) {
		ret = -EKEYEXPIRED;
		goto err;
	}

	down_read(&vms_identity_lock);
	if (vms_identity && vms_identity->epoch == epoch) {
		ret = roll ?
		      vms_kr_open_roll(blob, len, vms_identity->sk,
				       vms_identity->pk, kps_pk, vm_id, &b, tk,
				       tk_next) :
		      vms_kr_open(blob, len, vms_identity->sk, vms_identity->pk,
				  kps_pk, vm_id, NULL, &b, tk);
		key->epoch = vms_identity->epoch;
		key->level = vms_identity->iso.level;
	} else {
		ret = -ENOKEY;	/* the identity changed meanwhile */
	}
	up_read(&vms_identity_lock);
	if (ret)
		goto err;

	/* the lifetime runs from the challenge, on this same clock */
	if (roll) {
		ret = vms_seal_key_init(&key->sk, tk_next, b.vm_id,
					b.next_key_id, b.lifetime_s,
					b.challenge_ns);
		if (!ret)
			ret = vms_seal_key_init(&key->sk_prev, tk, b.vm_id,
						b.key_id, b.lifetime_s,
						b.challenge_ns);
		key->rolled = true;
		memcpy(key->key_id, b.next_key_id, sizeof(key->key_id));
		memcpy(key->prev_key_id, b.key_id, sizeof(key->prev_key_id));
	} else {
		ret = vms_seal_key_init(&key->sk, tk, b.vm_id, b.key_id,
					b.lifetime_s, b.challenge_ns);
		memcpy(key->key_id, b.key_id, sizeof(key->key_id));
	}
	if (ret)
		goto err;
	key->policy = b.policy;
	key->lifetime_s = b.lifetime_s;
	memcpy(key->vm_id, b.vm_id, sizeof(key->vm_id));
	key->expires_ns = key->sk.expires_ns;
	key->n_digests = b.n_digests;
	memcpy(key->digests, b.digests, (size_t)b.n_digests * VMS_KR_DIGEST_LEN);
	memcpy(key->challenge, b.challenge, sizeof(key->challenge));
	key->challenge_ns = b.challenge_ns;
	memzero_explicit(tk, sizeof(tk));
	memzero_explicit(tk_next, sizeof(tk_next));
	atomic64_inc(&vms_keys_created);
	*out = key;
	return 0;
err:
	memzero_explicit(tk, sizeof(tk));
	memzero_explicit(tk_next, sizeof(tk_next));
	vms_vmkey_wipe(key);
	memzero_explicit(key, sizeof(*key));
	kmem_cache_free(vms_vmkey_cache, key);
	return ret;
}

static int vms_enclave_expire_if_due(struct vms_vmkey *key);

/*
 * The key's lifetime is over: wipe its PRK now, not at its next use nor
 * at the keyring's garbage collection (on the wall clock, which root can
 * set back). Jiffies stop during a suspend while the boot clock runs on,
 * so this may fire late, never early for the boot clock; the check at
 * every use (vms_enclave_expire_if_due()) stays the authority, and a
 * work that finds the key not yet due waits for the rest.
 */
static void vms_enclave_expire_work(struct work_struct *work)
{
	struct vms_vmkey *key = container_of(to_delayed_work(work),
					     struct vms_vmkey, expire_work);
	u64 now;

	mutex_lock(&key->seal_lock);
	now = vms_now_ns();
	if (!key->dead && !key->expired && now < key->expires_ns)
		schedule_delayed_work(&key->expire_work,
				      nsecs_to_jiffies(key->expires_ns - now) + 1);
	else
		vms_enclave_expire_if_due(key);
	mutex_unlock(&key->seal_lock);
}

static void vms_enclave_arm_expiry(struct vms_vmkey *key)
{
	u64 now = vms_now_ns();
	u64 left = key->expires_ns > now ? key->expires_ns - now : 0;

	schedule_delayed_work(&key->expire_work, nsecs_to_jiffies(left) + 1);
	key->expire_armed = true;
}

/*
 * The key is about to be instantiated (every keyring check passed): use
 * up its challenge and record its release as opened. Done here, not when
 * the release was opened, so a release the keyring then refused (quota,
 * permission) can be added again while its challenge is pending, and
 * under the table's lock, so of two racing adds of one release only one
 * becomes a key. Return: 0, -ESTALE, -ETIME, -EALREADY or -ENOSPC.
 */
int vms_enclave_commit(struct vms_vmkey *key)
{
	int ret;

	if (vms_remote_active())
		return vms_remote_commit(key);
	ret = vms_challenge_check(key->epoch, key->challenge,
				  key->challenge_ns, true);
	if (ret)
		return ret;
	ret = vms_opened_record(key->opened);
	if (!ret)
		vms_enclave_arm_expiry(key);
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
	if (key->expire_armed)
		cancel_delayed_work_sync(&key->expire_work);
	vms_vmkey_wipe(key);
	memzero_explicit(key, sizeof(*key));
	kmem_cache_free(vms_vmkey_cache, key);
	atomic64_inc(&vms_keys_wiped);
}

/*
 * A key opened under an identity that has since been replaced (the level
 * rose) is dropped: wiped and dead, as if revoked. Caller holds seal_lock.
 */
static void vms_enclave_drop_if_stale(struct vms_vmkey *key)
{
	if (key->dead || key->epoch == atomic64_read(&vms_epoch))
		return;
	vms_vmkey_wipe(key);
	WRITE_ONCE(key->dead, true);
}

/*
 * A key whose lifetime is over is wiped at its first use after that (on
 * the boot clock), not only when the keyring garbage-collects it on the
 * wall clock, which root can set back. -EKEYEXPIRED from then on.
 * Caller holds seal_lock.
 */
static int vms_enclave_expire_if_due(struct vms_vmkey *key)
{
	if (key->expired)
		return -EKEYEXPIRED;
	if (key->dead || vms_now_ns() < key->expires_ns)
		return 0;
	vms_vmkey_wipe(key);
	WRITE_ONCE(key->expired, true);
	return -EKEYEXPIRED;
}

/* Fail closed: wipe the derived key; every later use gets -EKEYREVOKED. */
void vms_enclave_kill(struct vms_vmkey *key)
{
	if (vms_remote_active()) {
		vms_remote_kill(key);
		return;
	}
	mutex_lock(&key->seal_lock);
	vms_vmkey_wipe(key);
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
	info->level = key->level;
	info->stale = key->epoch != atomic64_read(&vms_epoch);
	info->expired = READ_ONCE(key->expired);
	info->rolled = key->rolled;
	memcpy(info->prev_key_id, key->prev_key_id, sizeof(info->prev_key_id));
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
	vms_enclave_drop_if_stale(key);
	if (key->dead) {
		ret = -EKEYREVOKED;
		goto out;
	}
	ret = vms_enclave_expire_if_due(key);
	if (ret)
		goto out;
	ret = vms_ss_seal(&key->sk, vms_now_ns(), generation, pt, ptlen,
			  out, outlen);
	/*
	 * Which errors kill the key (Documentation/uapi.md, "SEAL errors
	 * that end a key"): out of memory (the primitives and the transform
	 * pool may allocate) is transient and leaves the key as it was, no
	 * nonce used; expiry, the seal limit and the caller's sizes are
	 * states or caller errors. Anything else the primitive did not
	 * foresee (an integrity or internal failure) kills the key.
	 */
	if (ret && ret != -EKEYEXPIRED && ret != -EDQUOT && ret != -ENOSPC &&
	    ret != -EMSGSIZE && ret != -ENOMEM) {
		vms_vmkey_wipe(key);
		WRITE_ONCE(key->dead, true);
		pr_warn("key failed closed after seal error %d\n", ret);
	}
out:
	mutex_unlock(&key->seal_lock);
	return ret;
}

/*
 * The seal key an UNSEAL uses: a rolled key's previous TK for a blob whose
 * header names its key id, else the key's own (whose checks then refuse
 * any other key id). Caller holds seal_lock.
 */
static const struct vms_seal_key *vms_unseal_key(struct vms_vmkey *key,
						 const u8 *blob, size_t len)
{
	struct vms_ss_header h;

	if (key->rolled && !vms_ss_parse(blob, len, &h) &&
	    !memcmp(h.key_id, key->prev_key_id, VMS_KR_ID_LEN))
		return &key->sk_prev;
	return &key->sk;
}

int vms_enclave_unseal(struct vms_vmkey *key, const u8 *blob, size_t len,
		       u8 *out, size_t outlen, u64 *generation)
{
	int ret;

	if (vms_remote_active())
		return vms_remote_unseal(key, blob, len, out, outlen, generation);
	/* one lock for every use: a kill never races a use of the PRK */
	mutex_lock(&key->seal_lock);
	vms_enclave_drop_if_stale(key);
	if (key->dead)
		ret = -EKEYREVOKED;
	else if (key->expired || vms_enclave_expire_if_due(key))
		ret = -EKEYEXPIRED;
	else
		ret = vms_ss_unseal(vms_unseal_key(key, blob, len),
				    vms_now_ns(), blob, len, out, outlen,
				    generation);
	mutex_unlock(&key->seal_lock);
	if (ret == -EBADMSG) {
		int n = atomic_inc_return(&key->unseal_failures);

		pr_warn_ratelimited("unseal authentication failure #%d on key %16phN\n",
				    n, key->key_id);
	}
	return ret;
}
