// SPDX-License-Identifier: GPL-2.0
/*
 * roll_test - a TK roll release (release flag bit 0, issue 20) in
 * vmshield.ko on a kernel-open guarded host.
 *
 * The test plays KPS: it builds roll releases with the format core
 * (vms_kr_build_roll) carrying the VM's current TK and the next one. The
 * module must make one key of it: SEAL under the next TK only, UNSEAL of
 * state under the next TK or, by the blob's key id, under the current
 * one, and nothing else; a bad roll release leaves no key behind. Sealed
 * blobs are cross-checked with the userspace implementation (OpenSSL).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define LIFETIME 3600
#define STATE 4096

/* A roll release of @cur (current TK) and @next (next TK, its key id). */
static int roll_build(const struct vt_vm *cur, const struct vt_vm *next,
		      const uint8_t enclave_pk[32], uint8_t *blob,
		      size_t *len)
{
	struct vms_kr_binding b = {
		.flags = VMS_KR_FLAG_ROLL,
		.policy = cur->policy,
		.lifetime_s = cur->lifetime_s,
		.issued_at = (uint64_t)time(NULL),
	};
	int ret;

	memcpy(b.vm_id, cur->vm_id, sizeof(b.vm_id));
	memcpy(b.key_id, cur->key_id, sizeof(b.key_id));
	memcpy(b.next_key_id, next->key_id, sizeof(b.next_key_id));
	ret = vt_challenge(vt_kps_sk, b.challenge, &b.challenge_ns);
	if (ret)
		return ret;
	*len = vms_kr_roll_size(0);
	return vms_kr_build_roll(&b, enclave_pk, vt_kps_sk, cur->tk, next->tk,
				 blob, VMS_KR_ROLL_MAX_LEN);
}

static int ring_count(key_serial_t ring)
{
	long n = keyctl_read(ring, NULL, 0);

	return n < 0 ? -errno : (int)(n / sizeof(key_serial_t));
}

FIXTURE(roll) {
	int fd;
	struct vmshield_info info;
	key_serial_t ring;
	struct vt_vm cur, next, older;
	uint8_t pt[STATE];
	uint8_t old_state[STATE + 96];	/* sealed under cur before the roll */
	uint8_t older_state[STATE + 96];	/* under a version before cur */
};

FIXTURE_SETUP(roll)
{
	long r;

	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", VMSHIELD_DEV,
				      strerror(errno));
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	r = vt_new_ring("vmshield-roll-test");
	ASSERT_GT(r, 0) TH_LOG("new keyring: %s", strerror((int)-r));
	self->ring = (key_serial_t)r;
	vt_vm_new(&self->cur, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	/* the same VM at the next and at an older version: new TK, key id */
	self->next = self->cur;
	vt_random(self->next.tk, sizeof(self->next.tk));
	vt_random(self->next.key_id, sizeof(self->next.key_id));
	self->older = self->cur;
	vt_random(self->older.tk, sizeof(self->older.tk));
	vt_random(self->older.key_id, sizeof(self->older.key_id));
	vt_random(self->pt, sizeof(self->pt));
	ASSERT_EQ(0, vt_us_seal(&self->cur, 5, self->pt, STATE,
				self->old_state, sizeof(self->old_state)));
	ASSERT_EQ(0, vt_us_seal(&self->older, 4, self->pt, STATE,
				self->older_state, sizeof(self->older_state)));
}

FIXTURE_TEARDOWN(roll)
{
	if (self->ring > 0)
		keyctl_clear(self->ring);
	close(self->fd);
}

TEST_F_TIMEOUT(roll, rolled_key_opens_old_state_and_seals_under_next, 120)
{
	uint8_t blob[VMS_KR_ROLL_MAX_LEN], fresh[STATE + 96], back[STATE];
	char line[1024], want[160], cur_hex[33], next_hex[33];
	size_t len, n, m;
	uint64_t gen = 0;
	long key;

	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	key = vt_add_raw(self->cur.desc, blob, len, self->ring);
	ASSERT_GT(key, 0) TH_LOG("add_key roll release: %s",
				 strerror((int)-key));

	/* /proc/keys names the next key id and where it rolled from */
	ASSERT_EQ(0, vt_proc_keys_line((key_serial_t)key, line, sizeof(line)));
	vt_hex(self->cur.key_id, 16, cur_hex);
	vt_hex(self->next.key_id, 16, next_hex);
	snprintf(want, sizeof(want), "key %s seals 0", next_hex);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " rolled_from %s", cur_hex);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);

	/* the state sealed before the roll opens, with its generation */
	m = sizeof(back);
	ASSERT_EQ(0, vt_unseal(self->fd, (key_serial_t)key, self->old_state,
			       sizeof(self->old_state), back, &m, &gen));
	ASSERT_EQ(STATE, m);
	EXPECT_EQ(5, gen);
	EXPECT_EQ(0, memcmp(back, self->pt, STATE));

	/* re-sealed: under the next TK, never the current one */
	n = sizeof(fresh);
	ASSERT_EQ(0, vt_seal(self->fd, (key_serial_t)key, 6, back, STATE,
			     fresh, &n));
	ASSERT_EQ(sizeof(fresh), n);
	EXPECT_EQ(0, memcmp(fresh + 24, self->next.key_id, 16));
	memset(back, 0, sizeof(back));
	EXPECT_EQ(0, vt_us_unseal(&self->next, fresh, n, back, sizeof(back),
				  &gen));
	EXPECT_EQ(6, gen);
	EXPECT_EQ(0, memcmp(back, self->pt, STATE));
	EXPECT_NE(0, vt_us_unseal(&self->cur, fresh, n, back, sizeof(back),
				  &gen));
	/* and the module opens what it sealed */
	m = sizeof(back);
	EXPECT_EQ(0, vt_unseal(self->fd, (key_serial_t)key, fresh, n, back,
			       &m, &gen));
	EXPECT_EQ(0, memcmp(back, self->pt, STATE));
}

TEST_F_TIMEOUT(roll, state_of_any_other_version_fails_closed, 120)
{
	uint8_t blob[VMS_KR_ROLL_MAX_LEN], back[STATE], forged[STATE + 96];
	struct vt_vm cur_other_tk = self->cur;
	unsigned int failures = 0;
	uint64_t seals, gen;
	size_t len, m;
	long key;

	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	key = vt_add_raw(self->cur.desc, blob, len, self->ring);
	ASSERT_GT(key, 0);

	/* an older version's state: its key id is neither of the key's */
	memset(back, 0x5a, sizeof(back));
	m = sizeof(back);
	EXPECT_EQ(-EKEYREJECTED,
		  vt_unseal(self->fd, (key_serial_t)key, self->older_state,
			    sizeof(self->older_state), back, &m, &gen));
	/* the current key id under another TK (a forgery): EBADMSG, counted */
	vt_random(cur_other_tk.tk, sizeof(cur_other_tk.tk));
	ASSERT_EQ(0, vt_us_seal(&cur_other_tk, 5, self->pt, STATE, forged,
				sizeof(forged)));
	m = sizeof(back);
	EXPECT_EQ(-EBADMSG, vt_unseal(self->fd, (key_serial_t)key, forged,
				      sizeof(forged), back, &m, &gen));
	ASSERT_EQ(0, vt_key_counters((key_serial_t)key, &seals, &failures));
	EXPECT_EQ(1, failures);
	EXPECT_EQ(0, seals);
	/* the key still opens the real state afterwards */
	m = sizeof(back);
	EXPECT_EQ(0, vt_unseal(self->fd, (key_serial_t)key, self->old_state,
			       sizeof(self->old_state), back, &m, &gen));
	/* revoked: neither TK opens anything */
	ASSERT_EQ(0, keyctl_revoke((key_serial_t)key));
	m = sizeof(back);
	EXPECT_NE(0, vt_unseal(self->fd, (key_serial_t)key, self->old_state,
			       sizeof(self->old_state), back, &m, &gen));
}

TEST_F_TIMEOUT(roll, bad_roll_releases_leave_no_key, 120)
{
	uint8_t blob[VMS_KR_ROLL_MAX_LEN], other_pk[32], other_sk[32];
	size_t len;
	long key;

	/* the next TK's seal tampered: nothing of either TK is kept */
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	blob[len - 1] ^= 1;
	EXPECT_EQ(-EBADMSG, vt_add_raw(self->cur.desc, blob, len, self->ring));
	/* the current TK's seal tampered */
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	blob[len - 1 - VMS_KR_CT_LEN] ^= 1;
	EXPECT_EQ(-EBADMSG, vt_add_raw(self->cur.desc, blob, len, self->ring));
	/* the next key id changed (it is in the aad) */
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	blob[len - 2 * VMS_KR_CT_LEN - 1] ^= 1;
	EXPECT_EQ(-EBADMSG, vt_add_raw(self->cur.desc, blob, len, self->ring));
	/* cut to a plain release's size, the roll flag still set */
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	EXPECT_EQ(-EMSGSIZE, vt_add_raw(self->cur.desc, blob,
					len - VMS_KR_ROLL_EXTRA, self->ring));
	/* another VM's description */
	EXPECT_EQ(-EKEYREJECTED,
		  vt_add_raw("vm:00000000-0000-4000-8000-000000000001", blob,
			     len, self->ring));
	/* released to another enclave */
	vt_random(other_sk, sizeof(other_sk));
	ASSERT_EQ(0, vms_prim_x25519_base(other_pk, other_sk));
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, other_pk, blob, &len));
	EXPECT_EQ(-ENOKEY, vt_add_raw(self->cur.desc, blob, len, self->ring));
	EXPECT_EQ(0, ring_count(self->ring));

	/* a good one becomes a key once; the same release again: EALREADY */
	ASSERT_EQ(0, roll_build(&self->cur, &self->next, self->info.enclave_pk,
				blob, &len));
	key = vt_add_raw(self->cur.desc, blob, len, self->ring);
	ASSERT_GT(key, 0);
	EXPECT_EQ(-EALREADY, vt_add_raw(self->cur.desc, blob, len, self->ring));
	EXPECT_EQ(1, ring_count(self->ring));
}

TEST_HARNESS_MAIN
