// SPDX-License-Identifier: GPL-2.0
/*
 * challenge.c - release challenges and the accepted KPS key (placement
 * kernel), and VMSHIELD_IOC_RELEASE_CHALLENGE for both placements.
 *
 * A key release (format v2) loads only for a challenge this enclave
 * identity issued and has not used, no older than VMS_CHAL_MAX_AGE_NS on
 * the boot clock (core/challenge.h), and only when made by the one KPS key
 * the identity accepts. That key is set by the first challenge request of
 * the identity and never changes for it; a new identity (a level rise, a
 * reload) forgets both the key and every pending challenge, so a release
 * captured for the old identity is useless.
 */
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include "vmshield.h"
#include "challenge.h"

static_assert(sizeof(struct vmshield_release_challenge) == 96);
static_assert(VMSHIELD_CHALLENGE_LEN == VMS_CHAL_LEN);

static DEFINE_MUTEX(vms_chal_lock);
static struct vms_chal_table vms_chal;
static u8 vms_kps_pk[VMSHIELD_X25519_LEN];
static u64 vms_chal_epoch;	/* the identity both belong to; 0: none */

/* Caller holds vms_chal_lock: forget what belonged to an old identity. */
static void vms_chal_follow(u64 epoch)
{
	if (vms_chal_epoch == epoch)
		return;
	vms_chal_reset(&vms_chal);
	memset(vms_kps_pk, 0, sizeof(vms_kps_pk));
	vms_chal_epoch = epoch;
}

/*
 * Set (first call of the identity) or confirm the KPS key, then issue a
 * challenge. 0, -EPERM (another key is already set) or -EBUSY.
 */
int vms_challenge_issue(u64 epoch, const u8 kps_pk[32], u8 out[32],
			u64 *issued_ns)
{
	static const u8 zero[VMSHIELD_X25519_LEN];
	u64 now;
	int ret;

	mutex_lock(&vms_chal_lock);
	/*
	 * Read under the lock: a time read before it could be older than a
	 * challenge another caller issued meanwhile, which would then look
	 * aged (issued in the future) and be dropped while still pending.
	 */
	now = ktime_get_boottime_ns();
	vms_chal_follow(epoch);
	if (!crypto_memneq(vms_kps_pk, zero, sizeof(zero)))
		memcpy(vms_kps_pk, kps_pk, sizeof(vms_kps_pk));
	if (crypto_memneq(vms_kps_pk, kps_pk, sizeof(vms_kps_pk)))
		ret = -EPERM;
	else
		ret = vms_chal_issue(&vms_chal, now, out);
	mutex_unlock(&vms_chal_lock);
	if (!ret)
		*issued_ns = now;
	return ret;
}

/* The KPS key identity @epoch accepts: 0, or -EPERM when none is set. */
int vms_challenge_kps(u64 epoch, u8 kps_pk[32])
{
	static const u8 zero[VMSHIELD_X25519_LEN];
	int ret = 0;

	mutex_lock(&vms_chal_lock);
	vms_chal_follow(epoch);
	if (!crypto_memneq(vms_kps_pk, zero, sizeof(zero)))
		ret = -EPERM;
	else
		memcpy(kps_pk, vms_kps_pk, sizeof(vms_kps_pk));
	mutex_unlock(&vms_chal_lock);
	return ret;
}

/*
 * Is (@c, @issued_ns) a pending challenge of identity @epoch? With
 * @consume it is used up. 0, -ESTALE or -ETIME.
 */
int vms_challenge_check(u64 epoch, const u8 c[32], u64 issued_ns,
			bool consume)
{
	int ret;

	mutex_lock(&vms_chal_lock);
	vms_chal_follow(epoch);
	ret = vms_chal_check(&vms_chal, ktime_get_boottime_ns(), c, issued_ns,
			     consume);
	mutex_unlock(&vms_chal_lock);
	return ret;
}

long vms_ioc_release_challenge(void __user *uarg)
{
	static const u8 zero[VMSHIELD_X25519_LEN];
	struct vmshield_release_challenge a;
	u64 epoch;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~VMSHIELD_CHALLENGE_FLAGS_ALL) || a.reserved0 ||
	    a.reserved[0] || a.reserved[1])
		return -EINVAL;
	if (!crypto_memneq(a.kps_pk, zero, sizeof(zero)))
		return -EINVAL;
	memset(a.challenge, 0, sizeof(a.challenge));
	a.challenge_ns = 0;
	if (vms_remote_active()) {
		ret = vms_remote_challenge(a.kps_pk, a.challenge,
					   &a.challenge_ns);
	} else {
		/* the identity at the current level, made now if need be */
		ret = vms_enclave_epoch(&epoch);
		if (!ret)
			ret = vms_challenge_issue(epoch, a.kps_pk, a.challenge,
						  &a.challenge_ns);
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}
