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
 *
 * The accepted key is part of the isolation report (kps_pk=), which is
 * measured into IMA again once the key is set, so HGS sees which key the
 * enclave took (KpsKeyMismatch when it is not HGS's). In placement
 * hypervisor the enclave keeps the key; the module remembers the key the
 * enclave confirmed, for the enclave key it had then, to report it.
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
/* placement hypervisor: the KPS key the enclave with key @vms_remote_kps_of confirmed */
static u8 vms_remote_kps[VMSHIELD_X25519_LEN];
static u8 vms_remote_kps_of[VMSHIELD_X25519_LEN];

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

/* Placement hypervisor: remember the key the enclave (@enclave_pk) confirmed. */
static void vms_remote_kps_record(const u8 enclave_pk[32], const u8 kps_pk[32])
{
	mutex_lock(&vms_chal_lock);
	memcpy(vms_remote_kps_of, enclave_pk, sizeof(vms_remote_kps_of));
	memcpy(vms_remote_kps, kps_pk, sizeof(vms_remote_kps));
	mutex_unlock(&vms_chal_lock);
}

int vms_kps_current(u8 kps_pk[32])
{
	static const u8 zero[VMSHIELD_X25519_LEN];
	u8 pk[VMSHIELD_X25519_LEN];
	u64 epoch;
	int ret;

	if (!vms_remote_active()) {
		ret = vms_enclave_epoch(&epoch);
		if (!ret)
			ret = vms_challenge_kps(epoch, kps_pk);
		return ret ? -ENOKEY : 0;
	}
	/* a restarted enclave has a new key and has accepted no KPS key yet */
	vms_remote_public_key(pk);
	ret = -ENOKEY;
	mutex_lock(&vms_chal_lock);
	if (!crypto_memneq(vms_remote_kps_of, pk, sizeof(pk)) &&
	    crypto_memneq(vms_remote_kps, zero, sizeof(zero))) {
		memcpy(kps_pk, vms_remote_kps, sizeof(vms_remote_kps));
		ret = 0;
	}
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
		u8 epk[VMSHIELD_X25519_LEN];

		vms_remote_public_key(epk);
		ret = vms_remote_challenge(a.kps_pk, a.challenge,
					   &a.challenge_ns);
		/* the enclave took or confirmed this key for its identity */
		if (!ret)
			vms_remote_kps_record(epk, a.kps_pk);
	} else {
		/* the identity at the current level, made now if need be */
		ret = vms_enclave_epoch(&epoch);
		if (!ret)
			ret = vms_challenge_issue(epoch, a.kps_pk, a.challenge,
						  &a.challenge_ns);
	}
	if (ret)
		return ret;
	/* a key named for the first time changes the report: into IMA now */
	ret = vms_report_measure_if_changed();
	if (ret)
		pr_warn("report with the KPS key not measured (%d)\n", ret);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}
