// SPDX-License-Identifier: GPL-2.0
/*
 * keys_test - the "vmshield" key type and VMSHIELD_IOC_SEAL/UNSEAL on an
 * unlocked (kernel-open) guarded host, with encryption-supported keys.
 *
 * The test plays KPS: it builds key releases with the format core
 * (vms_kr_build) to the enclave public key GET_INFO reports, adds them with
 * add_key(2), and checks every documented errno of add_key, SEAL and
 * UNSEAL, each time also checking that nothing changed (argument and
 * output buffer untouched, no key added, the key still works). Blobs are
 * cross-checked against the userspace implementation (OpenSSL) in both
 * directions. Runs before lockdown_test (it needs lockdown "none").
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define MIB (1u << 20)
#define LIFETIME 3600

FIXTURE(keys) {
	int fd;
	struct vmshield_info info;
	key_serial_t ring;
	struct vt_vm vm;
	struct vt_release rel;
	key_serial_t key;
};

FIXTURE_SETUP(keys)
{
	long r;

	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", VMSHIELD_DEV,
				      strerror(errno));
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	r = vt_new_ring("vmshield-keys-test");
	ASSERT_GT(r, 0) TH_LOG("new keyring: %s", strerror((int)-r));
	self->ring = (key_serial_t)r;
	vt_vm_new(&self->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL,
				      0, &self->rel));
	r = vt_add(self->vm.desc, &self->rel, self->ring);
	ASSERT_GT(r, 0) TH_LOG("add_key vmshield %s: %s", self->vm.desc,
			       strerror((int)-r));
	self->key = (key_serial_t)r;
}

FIXTURE_TEARDOWN(keys)
{
	if (self->ring > 0)
		keyctl_clear(self->ring);
	close(self->fd);
}

/* A struct for a raw ioctl, so a test can compare it before and after. */
static struct vmshield_seal mkarg(key_serial_t serial, const void *in,
				  uint64_t inlen, void *out, uint64_t outlen)
{
	struct vmshield_seal a;

	memset(&a, 0, sizeof(a));
	a.key_serial = serial;
	a.in_ptr = (uintptr_t)in;
	a.in_len = inlen;
	a.out_ptr = (uintptr_t)out;
	a.out_len = outlen;
	return a;
}

static bool all_byte(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* Seal @len pattern bytes with @key and unseal them again: 0 or -errno. */
static int round_trip(int fd, key_serial_t key, size_t len)
{
	uint8_t *pt = malloc(len + 1), *blob = malloc(len + 96), *back;
	size_t outlen = len + 96, backlen = len;
	uint64_t gen = 0;
	int ret;

	back = malloc(len + 1);
	if (!pt || !blob || !back)
		return -ENOMEM;
	vt_fill_pattern(pt, len, (unsigned int)len);
	ret = vt_seal(fd, key, 42, pt, len, blob, &outlen);
	if (!ret)
		ret = vt_unseal(fd, key, blob, outlen, back, &backlen, &gen);
	if (!ret && (backlen != len || gen != 42 || memcmp(pt, back, len)))
		ret = -EBADE;
	free(pt);
	free(blob);
	free(back);
	return ret;
}

/* Number of keys linked in @ring. */
static int ring_count(key_serial_t ring)
{
	long n = keyctl_read(ring, NULL, 0);

	return n < 0 ? -errno : (int)(n / sizeof(key_serial_t));
}

static const size_t sizes[] = { 0, 1, 15, 16, 17, 4095, 4096, 4097,
				65536, MIB - 1, MIB };

/* Random sizes in [0, 1 MiB], plus the fixed ones. */
static size_t size_at(unsigned int i)
{
	uint32_t r;

	if (i < ARRAY_SIZE(sizes))
		return sizes[i];
	vt_random(&r, sizeof(r));
	return r % (MIB + 1);
}
#define N_SIZES (ARRAY_SIZE(sizes) + 6)

TEST(crypto_selftest_ran_at_load)
{
	struct vmshield_info info;
	char *log = vt_dmesg();
	int fd;

	ASSERT_NE(NULL, log) TH_LOG("klogctl: %s", strerror(errno));
	EXPECT_NE(NULL, strstr(log, "vmshield: crypto self-test: pass"))
		TH_LOG("dmesg has no 'vmshield: crypto self-test: pass'");
	EXPECT_EQ(NULL, strstr(log, "vmshield: crypto self-test failed"));
	free(log);
	fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vms_get_info(fd, &info));
	EXPECT_TRUE(info.facts & VMSHIELD_FACT_SELFTEST_OK);
	close(fd);
}

TEST_F(keys, describe_shows_binding_never_key_bytes)
{
	char desc[512], line[1024], want[256], idhex[33], tkhex[65];
	char buf[128];
	unsigned int failures;
	uint64_t seals;
	long n;

	/* keyctl describe: type;uid;gid;perm;description */
	n = keyctl_describe(self->key, desc, sizeof(desc));
	ASSERT_GT(n, 0);
	EXPECT_EQ(0, strncmp(desc, "vmshield;0;0;", 13)) TH_LOG("%s", desc);
	snprintf(want, sizeof(want), ";%s", self->vm.desc);
	EXPECT_EQ(0, strcmp(desc + strlen(desc) - strlen(want), want))
		TH_LOG("describe: %s", desc);

	/* /proc/keys: the type's describe */
	ASSERT_EQ(0, vt_proc_keys_line(self->key, line, sizeof(line)));
	vt_hex(self->vm.key_id, 16, idhex);
	snprintf(want, sizeof(want),
		 " vmshield  %s: encryption-supported key %s seals 0 unseal_failures 0 made_at kernel-open",
		 self->vm.desc, idhex);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("/proc/keys: %s\nwant: %s",
						    line, want);
	ASSERT_EQ(0, vt_key_counters(self->key, &seals, &failures));
	EXPECT_EQ(0, seals);
	EXPECT_EQ(0, failures);

	/* never the TK: not as hex, not as raw bytes (any 6-byte window) */
	vt_hex(self->vm.tk, 32, tkhex);
	EXPECT_FALSE(vt_mem_has_window(line, strlen(line), tkhex, 64, 12));
	EXPECT_FALSE(vt_mem_has_window(desc, strlen(desc), tkhex, 64, 12));
	EXPECT_FALSE(vt_mem_has_window(line, strlen(line), self->vm.tk, 32, 6));

	/* no read operation: EOPNOTSUPP, buffer untouched */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT_EQ(-1, keyctl_read(self->key, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(all_byte(buf, sizeof(buf), 0x5a));
	EXPECT_EQ(-1, keyctl_read(self->key, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* no Write: an update is refused before the type is asked */
	EXPECT_EQ(-1, keyctl_update(self->key, self->rel.blob, self->rel.len));
	EXPECT_EQ(EACCES, errno);
	/* even with every permission bit granted */
	ASSERT_EQ(0, keyctl_setperm(self->key, 0x3f3f3f3f));
	EXPECT_EQ(-1, keyctl_read(self->key, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(all_byte(buf, sizeof(buf), 0x5a));
	/* no update operation either (Write granted above) */
	EXPECT_EQ(-1, keyctl_update(self->key, self->rel.blob, self->rel.len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* and the key still works */
	EXPECT_EQ(0, round_trip(self->fd, self->key, 100));
}

TEST_F(keys, fresh_key_is_usable_by_its_possessor)
{
	char desc[256];
	unsigned int perm = 0;
	int n;

	/* Read ("may use") for the possessor, without any keyctl setperm */
	ASSERT_GT(keyctl_describe(self->key, desc, sizeof(desc)), 0);
	n = sscanf(desc, "vmshield;%*u;%*u;%x;", &perm);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0x3b010000, perm) TH_LOG("perm %08x", perm);
	EXPECT_TRUE(perm & KEY_POS_READ) TH_LOG("perm %08x", perm);
	EXPECT_FALSE(perm & KEY_USR_READ) TH_LOG("perm %08x", perm);
	EXPECT_FALSE(perm & KEY_OTH_ALL) TH_LOG("perm %08x", perm);
	EXPECT_EQ(0, round_trip(self->fd, self->key, 1000));
}

TEST_F(keys, adding_same_description_replaces_the_key)
{
	struct vt_vm vm2 = self->vm;
	struct vt_release rel2;
	uint8_t pt[64], blob[64 + 96], back[64];
	size_t outlen = sizeof(blob), backlen = sizeof(back);
	long k2;
	int i, ret = 0;

	/* a new release for the same VM: new TK and key id */
	vt_random(vm2.tk, sizeof(vm2.tk));
	vt_random(vm2.key_id, sizeof(vm2.key_id));
	ASSERT_EQ(0, vt_release_build(&vm2, self->info.enclave_pk, NULL, 0,
				      &rel2));
	vt_fill_pattern(pt, sizeof(pt), 7);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			     &outlen));

	k2 = vt_add(self->vm.desc, &rel2, self->ring);
	ASSERT_GT(k2, 0);
	EXPECT_NE(self->key, k2) TH_LOG("no update op: a new key is made");
	EXPECT_EQ(1, ring_count(self->ring));
	EXPECT_EQ(k2, keyctl_search(self->ring, "vmshield", self->vm.desc, 0));

	/* the old key was unlinked and (no other reference) destroyed */
	for (i = 0; i < 50; i++) {
		outlen = sizeof(blob);
		ret = vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			      &outlen);
		if (ret == -ENOKEY)
			break;
		usleep(100000);
	}
	EXPECT_EQ(-ENOKEY, ret);

	/* the new key seals; an old blob (other key id) is refused */
	EXPECT_EQ(0, round_trip(self->fd, (key_serial_t)k2, 64));
	outlen = sizeof(blob);
	ASSERT_EQ(0, vt_us_seal(&self->vm, 1, pt, sizeof(pt), blob, outlen));
	EXPECT_EQ(-EKEYREJECTED, vt_unseal(self->fd, (key_serial_t)k2, blob,
					   sizeof(blob), back, &backlen, NULL));
}

TEST_F_TIMEOUT(keys, seal_unseal_round_trip, 240)
{
	unsigned int i;

	for (i = 0; i < N_SIZES; i++) {
		size_t len = size_at(i);
		uint8_t *pt = malloc(len + 1), *blob = malloc(len + 96);
		uint8_t *back = malloc(len + 1);
		size_t outlen = len + 96, backlen = len;
		uint64_t gen = 0, seals0, seals1;
		unsigned int f;

		ASSERT_TRUE(pt && blob && back);
		vt_fill_pattern(pt, len, i);
		ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &f));
		ASSERT_EQ(0, vt_seal(self->fd, self->key, 1000 + i, pt, len,
				     blob, &outlen)) TH_LOG("seal %zu", len);
		ASSERT_EQ(len + 96, outlen);
		ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &f));
		EXPECT_EQ(seals0 + 1, seals1);
		/* the header says what it is (Documentation/formats.md) */
		EXPECT_EQ(0, memcmp(blob, "VMSS\0\1\0\0", 8));
		EXPECT_EQ(0, memcmp(blob + 8, self->vm.vm_id, 16));
		EXPECT_EQ(0, memcmp(blob + 24, self->vm.key_id, 16));
		EXPECT_EQ(1000 + i, vms_get_be64(blob + 40));
		EXPECT_EQ(len, vms_get_be64(blob + 72));
		/* ciphertext is not the plaintext */
		if (len >= 16)
			EXPECT_NE(0, memcmp(blob + 80, pt, 16));

		memset(back, 0, len + 1);
		ASSERT_EQ(0, vt_unseal(self->fd, self->key, blob, outlen,
				       back, &backlen, &gen))
			TH_LOG("unseal %zu", len);
		EXPECT_EQ(len, backlen);
		EXPECT_EQ(1000 + i, gen);
		EXPECT_EQ(0, memcmp(pt, back, len)) TH_LOG("size %zu", len);
		free(pt);
		free(blob);
		free(back);
	}
}

TEST_F_TIMEOUT(keys, largest_state_round_trips, 240)
{
	size_t max = self->info.max_state_len;
	uint8_t *pt, *blob;
	size_t outlen = max + 96, backlen = max;
	uint64_t gen = 0;

	ASSERT_EQ(VMSHIELD_MAX_STATE_LEN, max);
	pt = malloc(max);
	blob = malloc(max + 96);
	ASSERT_TRUE(pt && blob);
	vt_fill_pattern(pt, max, 3);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 9, pt, max, blob, &outlen));
	ASSERT_EQ(max + 96, outlen);
	memset(pt, 0, max);
	ASSERT_EQ(0, vt_unseal(self->fd, self->key, blob, outlen, pt,
			       &backlen, &gen));
	EXPECT_EQ(max, backlen);
	EXPECT_EQ(9, gen);
	/* compare by regenerating the pattern into the blob buffer */
	vt_fill_pattern(blob, max, 3);
	EXPECT_EQ(0, memcmp(pt, blob, max));
	free(pt);
	free(blob);
}

TEST_F_TIMEOUT(keys, userspace_sealed_blobs_unseal_in_kernel, 240)
{
	unsigned int i;

	for (i = 0; i < N_SIZES; i++) {
		size_t len = size_at(i);
		uint8_t *pt = malloc(len + 1), *blob = malloc(len + 96);
		uint8_t *back = malloc(len + 1);
		size_t backlen = len;
		uint64_t gen = 0;

		ASSERT_TRUE(pt && blob && back);
		vt_fill_pattern(pt, len, 100 + i);
		ASSERT_EQ(0, vt_us_seal(&self->vm, 77 + i, pt, len, blob,
					len + 96));
		ASSERT_EQ(0, vt_unseal(self->fd, self->key, blob, len + 96,
				       back, &backlen, &gen))
			TH_LOG("kernel unseal of a %zu-byte userspace blob", len);
		EXPECT_EQ(len, backlen);
		EXPECT_EQ(77 + i, gen);
		EXPECT_EQ(0, memcmp(pt, back, len));
		free(pt);
		free(blob);
		free(back);
	}
}

TEST_F_TIMEOUT(keys, kernel_sealed_blobs_unseal_in_userspace, 240)
{
	unsigned int i;

	for (i = 0; i < N_SIZES; i++) {
		size_t len = size_at(i);
		uint8_t *pt = malloc(len + 1), *blob = malloc(len + 96);
		uint8_t *back = malloc(len + 1);
		size_t outlen = len + 96;
		uint64_t gen = 0;

		ASSERT_TRUE(pt && blob && back);
		vt_fill_pattern(pt, len, 200 + i);
		ASSERT_EQ(0, vt_seal(self->fd, self->key, 5 + i, pt, len, blob,
				     &outlen));
		ASSERT_EQ(0, vt_us_unseal(&self->vm, blob, outlen, back, len,
					  &gen))
			TH_LOG("userspace unseal of a %zu-byte kernel blob", len);
		EXPECT_EQ(5 + i, gen);
		EXPECT_EQ(0, memcmp(pt, back, len));
		free(pt);
		free(blob);
		free(back);
	}
}

TEST_F(keys, enospc_reports_size_and_writes_nothing)
{
	uint8_t pt[300], blob[300 + 96], out[400];
	struct vmshield_seal a, copy;
	uint64_t seals0, seals1;
	unsigned int f;
	size_t outlen = sizeof(blob);
	uint64_t try[] = { 0, 1, 300 + 95 };
	unsigned int i;

	vt_fill_pattern(pt, sizeof(pt), 1);
	ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &f));
	for (i = 0; i < 3; i++) {
		memset(out, 0xa5, sizeof(out));
		a = mkarg(self->key, pt, sizeof(pt), out, try[i]);
		a.generation = 17;
		copy = a;
		EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_SEAL, &a));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(300 + 96, a.out_len);
		a.out_len = copy.out_len;	/* the only field written */
		EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
	/* no nonce was spent */
	ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &f));
	EXPECT_EQ(seals0, seals1);

	/* UNSEAL: needs the payload length */
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 3, pt, sizeof(pt), blob,
			     &outlen));
	for (i = 0; i < 2; i++) {
		memset(out, 0xa5, sizeof(out));
		a = mkarg(self->key, blob, sizeof(blob), out, i ? 299 : 0);
		copy = a;
		EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_UNSEAL, &a));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(300, a.out_len);
		a.out_len = copy.out_len;
		EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
	/* with the size it asked for, it works */
	a = mkarg(self->key, blob, sizeof(blob), out, 300);
	ASSERT_EQ(0, ioctl(self->fd, VMSHIELD_IOC_UNSEAL, &a));
	EXPECT_EQ(0, memcmp(out, pt, sizeof(pt)));
	EXPECT_EQ(3, a.generation);
}

TEST_F(keys, unknown_flags_and_reserved_are_einval)
{
	uint8_t pt[64], blob[64 + 96], out[256];
	size_t outlen = sizeof(blob);
	struct vmshield_seal a, copy;
	unsigned long cmds[] = { VMSHIELD_IOC_SEAL, VMSHIELD_IOC_UNSEAL };
	uint64_t seals0, seals1;
	unsigned int f, c, v;

	vt_fill_pattern(pt, sizeof(pt), 2);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			     &outlen));
	ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &f));
	for (c = 0; c < 2; c++) {
		for (v = 0; v < 5; v++) {
			memset(out, 0xa5, sizeof(out));
			a = c ? mkarg(self->key, blob, sizeof(blob), out,
				      sizeof(out)) :
				mkarg(self->key, pt, sizeof(pt), out,
				      sizeof(out));
			switch (v) {
			case 0:
				a.flags = 1;
				break;
			case 1:
				a.flags = 0x80000000u;
				break;
			case 2:
				a.reserved[0] = 1;
				break;
			case 3:
				a.reserved[1] = ~0ULL;
				break;
			case 4:
				a.flags = ~0u;
				a.reserved[0] = 1;
				break;
			}
			copy = a;
			EXPECT_EQ(-1, ioctl(self->fd, cmds[c], &a));
			EXPECT_EQ(EINVAL, errno) TH_LOG("cmd %u variant %u", c, v);
			EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
			EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
		}
	}
	ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &f));
	EXPECT_EQ(seals0, seals1);
	EXPECT_EQ(0, round_trip(self->fd, self->key, 64));
}

TEST_F(keys, bad_pointers_are_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t pt[200], blob[200 + 96], out[400], *two, *none, *ro;
	size_t outlen = sizeof(blob);
	struct vmshield_seal a, copy;
	uint64_t seals0, seals1;
	unsigned int c, v, f;

	vt_fill_pattern(pt, sizeof(pt), 4);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			     &outlen));
	/* two pages, the second unmapped; one PROT_NONE; one read-only */
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + pg, pg));
	none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);

	/* the argument itself */
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_SEAL, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_UNSEAL, none));
	EXPECT_EQ(EFAULT, errno);
	a = mkarg(self->key, pt, sizeof(pt), out, sizeof(out));
	memcpy(two + pg - 16, &a, 16);	/* struct runs into the hole */
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_SEAL, two + pg - 16));
	EXPECT_EQ(EFAULT, errno);

	for (c = 0; c < 2; c++) {
		const uint8_t *in = c ? blob : pt;
		size_t inlen = c ? sizeof(blob) : sizeof(pt);
		unsigned long cmd = c ? VMSHIELD_IOC_UNSEAL : VMSHIELD_IOC_SEAL;

		/* input pointers: nothing may reach the output buffer */
		for (v = 0; v < 3; v++) {
			const void *bad = v == 0 ? NULL : v == 1 ?
					  (void *)none : (void *)(two + pg - 64);

			if (v == 2)	/* first 64 bytes readable, then a hole */
				memcpy(two + pg - 64, in, 64);
			memset(out, 0xa5, sizeof(out));
			a = mkarg(self->key, bad, inlen, out, sizeof(out));
			copy = a;
			EXPECT_EQ(-1, ioctl(self->fd, cmd, &a));
			EXPECT_EQ(EFAULT, errno) TH_LOG("cmd %u in %u", c, v);
			EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
			EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
		}
		/*
		 * output pointers: refused before any work, so the argument is
		 * not written back, the writable part of a partly mapped
		 * buffer is untouched and no nonce is spent
		 */
		for (v = 0; v < 4; v++) {
			void *bad = v == 0 ? NULL : v == 1 ? (void *)none :
				    v == 2 ? (void *)(two + pg - 64) :
				    (void *)ro;

			memset(two + pg - 64, 0xa5, 64);
			ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &f));
			a = mkarg(self->key, in, inlen, bad, sizeof(out));
			copy = a;
			EXPECT_EQ(-1, ioctl(self->fd, cmd, &a));
			EXPECT_EQ(EFAULT, errno) TH_LOG("cmd %u out %u", c, v);
			EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
			EXPECT_TRUE(all_byte(two + pg - 64, 64, 0xa5))
				TH_LOG("cmd %u out %u: partly written", c, v);
			ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &f));
			EXPECT_EQ(seals0, seals1) TH_LOG("cmd %u out %u", c, v);
		}
	}
	EXPECT_TRUE(all_byte(ro, pg, 0));
	/* the key is fine afterwards */
	EXPECT_EQ(0, round_trip(self->fd, self->key, 200));
	munmap(two, pg);
	munmap(none, pg);
	munmap(ro, pg);
}

TEST_F(keys, input_over_cap_is_emsgsize)
{
	uint8_t out[128];
	struct vmshield_seal a, copy;
	uint64_t max = self->info.max_state_len;
	struct { unsigned long cmd; uint64_t len; } cases[] = {
		{ VMSHIELD_IOC_SEAL, max + 1 },
		{ VMSHIELD_IOC_SEAL, UINT64_MAX },
		{ VMSHIELD_IOC_UNSEAL, max + 96 + 1 },
		{ VMSHIELD_IOC_UNSEAL, UINT64_MAX },
		{ VMSHIELD_IOC_UNSEAL, 95 },	/* shorter than a header */
		{ VMSHIELD_IOC_UNSEAL, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(out, 0xa5, sizeof(out));
		/* the length is refused before the pointer is looked at */
		a = mkarg(self->key, (void *)16, cases[i].len, out,
			  sizeof(out));
		copy = a;
		EXPECT_EQ(-1, ioctl(self->fd, cases[i].cmd, &a));
		EXPECT_EQ(EMSGSIZE, errno) TH_LOG("case %u", i);
		EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
	EXPECT_EQ(0, round_trip(self->fd, self->key, 10));
}

TEST_F(keys, other_key_types_are_einval)
{
	uint8_t pt[16] = { 1 }, out[256];
	size_t outlen = sizeof(out);
	key_serial_t user;

	user = add_key("user", "vmshield-test-user", "secret", 6, self->ring);
	ASSERT_GT(user, 0);
	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(-EINVAL, vt_seal(self->fd, user, 1, pt, sizeof(pt), out,
				   &outlen));
	EXPECT_EQ(-EINVAL, vt_unseal(self->fd, user, out, 200, pt, &outlen,
				     NULL));
	/* a keyring is not a vmshield key either */
	EXPECT_EQ(-EINVAL, vt_seal(self->fd, self->ring, 1, pt, sizeof(pt),
				   out, &outlen));
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
}

TEST_F(keys, missing_serial_is_enokey)
{
	uint8_t pt[16] = { 1 }, out[256];
	size_t outlen;
	key_serial_t gone;
	key_serial_t serials[3];
	unsigned int i;

	gone = add_key("user", "vmshield-test-gone", "x", 1, self->ring);
	ASSERT_GT(gone, 0);
	ASSERT_EQ(0, keyctl_unlink(gone, self->ring));
	usleep(200000);
	serials[0] = gone;
	serials[1] = 0x7ffffff3;
	serials[2] = 0;
	for (i = 0; i < 3; i++) {
		memset(out, 0xa5, sizeof(out));
		outlen = sizeof(out);
		EXPECT_EQ(-ENOKEY, vt_seal(self->fd, serials[i], 1, pt,
					   sizeof(pt), out, &outlen))
			TH_LOG("serial %d", serials[i]);
		EXPECT_EQ(sizeof(out), outlen);
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
}

TEST_F(keys, revoked_key_is_ekeyrevoked_and_wiped)
{
	uint8_t pt[64], blob[64 + 96], out[128];
	size_t outlen = sizeof(blob), n;
	char line[1024];

	vt_fill_pattern(pt, sizeof(pt), 5);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 1, pt, sizeof(pt), blob,
			     &outlen));
	ASSERT_EQ(0, vt_proc_keys_line(self->key, line, sizeof(line)));
	EXPECT_EQ(NULL, strstr(line, "failed-closed"));

	ASSERT_EQ(0, keyctl_revoke(self->key));
	memset(out, 0xa5, sizeof(out));
	n = sizeof(out);
	EXPECT_EQ(-EKEYREVOKED, vt_seal(self->fd, self->key, 1, pt,
					sizeof(pt), out, &n));
	n = sizeof(out);
	EXPECT_EQ(-EKEYREVOKED, vt_unseal(self->fd, self->key, blob,
					  sizeof(blob), out, &n, NULL));
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	/* revocation wiped the enclave's key at once: failed closed */
	ASSERT_EQ(0, vt_proc_keys_line(self->key, line, sizeof(line)));
	EXPECT_EQ('R', line[10]) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " failed-closed")) TH_LOG("%s", line);
}

TEST_F(keys, release_for_another_enclave_is_enokey)
{
	uint8_t sk[32], pk[32];
	struct vt_vm vm;
	struct vt_release rel;

	vt_random(sk, sizeof(sk));
	ASSERT_EQ(0, vms_prim_x25519_base(pk, sk));
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, pk, NULL, 0, &rel));
	EXPECT_EQ(-ENOKEY, vt_add(vm.desc, &rel, self->ring));
	EXPECT_EQ(1, ring_count(self->ring));
	EXPECT_EQ(-1, keyctl_search(self->ring, "vmshield", vm.desc, 0));
	EXPECT_EQ(ENOKEY, errno);
	/* and the same release to us loads */
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	EXPECT_GT(vt_add(vm.desc, &rel, self->ring), 0);
}

TEST_F(keys, description_of_another_vm_is_ekeyrejected)
{
	struct vt_vm other;

	vt_vm_new(&other, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	/* VM A's release under VM B's name */
	EXPECT_EQ(-EKEYREJECTED, vt_add(other.desc, &self->rel, self->ring));
	EXPECT_EQ(1, ring_count(self->ring));
	EXPECT_EQ(-1, keyctl_search(self->ring, "vmshield", other.desc, 0));
	EXPECT_EQ(0, round_trip(self->fd, self->key, 32));
}

TEST_F(keys, tampered_release_is_refused_with_its_errno)
{
	static const uint8_t digests[2][32] = { { 1, 2, 3 }, { 4, 5, 6 } };
	struct vt_vm vm;
	struct vt_release good, bad;
	struct {
		size_t off;
		uint8_t bit;
		int err;
		const char *what;
	} flips[] = {
		{ 0, 0x01, EILSEQ, "magic" },
		{ 5, 0x02, EPROTONOSUPPORT, "version" },
		{ 7, 0x08, EINVAL, "flags (an unknown bit)" },
		/* bit 2 announces the vTPM floor: 8 bytes short of one */
		{ 7, 0x04, EMSGSIZE, "flags (the vTPM floor bit)" },
		/* bit 0 makes it a roll release, 64 bytes short of one */
		{ 7, 0x01, EMSGSIZE, "flags (the roll bit)" },
		{ 8, 0x80, EKEYREJECTED, "vm_id (description)" },
		{ 30, 0x10, EBADMSG, "key_id" },
		{ 43, 0x01, EINVAL, "policy 1 -> 0" },
		{ 43, 0x02, EINVAL, "policy 1 -> 3" },
		{ 44, 0x80, EINVAL, "lifetime too long" },
		{ 47, 0x01, EINVAL, "lifetime +1 s (expiry no longer agrees)" },
		{ 49, 0x04, EMSGSIZE, "n_digests 2 -> 6" },
		{ 49, 0x80, EINVAL, "n_digests over 64" },
		{ 51, 0x01, EINVAL, "reserved" },
		{ 60, 0x04, ENOKEY, "enclave_pk" },
		{ 84, 0x01, EBADMSG, "enc" },
		{ 100, 0x40, EBADMSG, "enc (middle)" },
		{ 116, 0x01, EPERM, "kps_pk (another sender)" },
		{ 150, 0x20, ESTALE, "challenge (never issued)" },
		{ 183, 0x01, EINVAL, "challenge_ns" },
		{ 190, 0x01, EINVAL, "not_after_ns" },
		{ 199, 0x01, EBADMSG, "issued_at" },
		{ 204, 0x01, EBADMSG, "first digest" },
		{ 204 + 63, 0x80, EBADMSG, "second digest" },
		{ 204 + 64, 0x01, EBADMSG, "ct" },
		{ 204 + 64 + 40, 0x08, EBADMSG, "tag" },
		{ 204 + 64 + 47, 0x80, EBADMSG, "tag (last byte)" },
	};
	size_t lens[] = { 0, 1, 203, 204, 251, 252 + 64 - 1, 252 + 64 + 1,
			  VMS_KR_MAX_LEN + 1, 4096 };
	uint8_t big[4096] = { 0 };
	unsigned int i;
	long r;

	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk,
				      &digests[0][0], 2, &good));
	ASSERT_EQ(252 + 64, good.len);

	for (i = 0; i < ARRAY_SIZE(flips); i++) {
		bad = good;
		bad.blob[flips[i].off] ^= flips[i].bit;
		r = vt_add(vm.desc, &bad, self->ring);
		EXPECT_EQ(-flips[i].err, r) TH_LOG("%s: got %s", flips[i].what,
						   strerror((int)-r));
	}
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		memcpy(big, good.blob, good.len);
		r = vt_add_raw(vm.desc, lens[i] ? big : NULL, lens[i],
			       self->ring);
		EXPECT_EQ(-EMSGSIZE, r) TH_LOG("length %zu: got %s", lens[i],
					       strerror((int)-r));
	}
	/* nothing was added by any of them */
	EXPECT_EQ(1, ring_count(self->ring));
	EXPECT_EQ(-1, keyctl_search(self->ring, "vmshield", vm.desc, 0));
	/* the untampered release loads, and works */
	r = vt_add(vm.desc, &good, self->ring);
	ASSERT_GT(r, 0);
	EXPECT_EQ(0, round_trip(self->fd, (key_serial_t)r, 50));
}

TEST_F(keys, bad_description_is_einval)
{
	static const char *const bad[] = {
		"vm:nope", "vm:", "", "nope", "VM:",
		"xx:0f8fad5b-d9cb-469f-a165-70867728950e",
		"vm:0f8fad5b-d9cb-469f-a165-70867728950",
		"vm:0f8fad5b-d9cb-469f-a165-70867728950e0",
		"vm:0f8fad5bd9cb-469f-a165-70867728950e0",
		"vm:0f8fad5b-d9cb-469f-a165-70867728950g",
		"vm: 0f8fad5b-d9cb-469f-a165-70867728950",
	};
	char upper[48];
	unsigned int i;
	long r;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = vt_add(bad[i], &self->rel, self->ring);
		EXPECT_EQ(-EINVAL, r) TH_LOG("'%s': %s", bad[i],
					     strerror((int)-r));
	}
	/* upper-case hex is refused: one VM, one description */
	for (i = 0; self->vm.desc[i]; i++)
		upper[i] = i < 3 ? self->vm.desc[i] :
			   (char)toupper((unsigned char)self->vm.desc[i]);
	upper[i] = '\0';
	r = vt_add(upper, &self->rel, self->ring);
	EXPECT_EQ(-EINVAL, r) TH_LOG("%s: %s", upper, strerror((int)-r));
	EXPECT_EQ(1, ring_count(self->ring));
	/* and the canonical one still loads (a new release: one opens once) */
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL,
				      0, &self->rel));
	r = vt_add(self->vm.desc, &self->rel, self->ring);
	EXPECT_GT(r, 0) TH_LOG("%s: %s", self->vm.desc, strerror((int)-r));
}

TEST_F(keys, shielded_release_is_ekeyrejected_on_kernel_open_host)
{
	uint8_t digest[32];
	struct vt_vm vm;
	struct vt_release rel;

	if (self->info.isolation_level != VMSHIELD_ISOLATION_KERNEL_OPEN)
		SKIP(return, "host is not kernel-open");
	ASSERT_EQ(0, vt_sha256_file("/proc/self/exe", digest));
	vt_vm_new(&vm, VMS_KR_POLICY_SHIELDED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, digest, 1,
				      &rel));
	EXPECT_EQ(-EKEYREJECTED, vt_add(vm.desc, &rel, self->ring));
	EXPECT_EQ(1, ring_count(self->ring));
	/* an encryption-supported key of the same VM is fine */
	vm.policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED;
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0,
				      &rel));
	EXPECT_GT(vt_add(vm.desc, &rel, self->ring), 0);
}

TEST_F(keys, blob_of_another_vm_or_key_is_ekeyrejected)
{
	struct vt_vm other = self->vm;
	uint8_t pt[100], blob[196], out[200];
	uint64_t seals0, seals1;
	unsigned int f0, f1, i;
	size_t n;

	vt_fill_pattern(pt, sizeof(pt), 6);
	ASSERT_EQ(0, vt_key_counters(self->key, &seals0, &f0));
	for (i = 0; i < 2; i++) {
		/* 0: VM B (own TK, VM id, key id); 1: same VM, other key id */
		if (i == 0)
			vt_vm_new(&other, VMS_KR_POLICY_ENCRYPTION_SUPPORTED,
				  LIFETIME);
		else
			vt_random(other.key_id, sizeof(other.key_id));
		ASSERT_EQ(0, vt_us_seal(&other, 1, pt, sizeof(pt), blob,
					sizeof(blob)));
		memset(out, 0xa5, sizeof(out));
		n = sizeof(out);
		EXPECT_EQ(-EKEYREJECTED, vt_unseal(self->fd, self->key, blob,
						   sizeof(blob), out, &n, NULL));
		EXPECT_EQ(sizeof(out), n);
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
	/* a refusal by id is not an authentication failure */
	ASSERT_EQ(0, vt_key_counters(self->key, &seals1, &f1));
	EXPECT_EQ(f0, f1);
	EXPECT_EQ(seals0, seals1);
}

TEST_F(keys, same_vm_and_key_id_but_other_tk_is_ebadmsg)
{
	struct vt_vm forged = self->vm;
	uint8_t pt[100], blob[196], out[200];
	unsigned int f0, f1;
	uint64_t s;
	size_t n = sizeof(out);

	vt_random(forged.tk, sizeof(forged.tk));
	vt_fill_pattern(pt, sizeof(pt), 8);
	ASSERT_EQ(0, vt_us_seal(&forged, 1, pt, sizeof(pt), blob,
				sizeof(blob)));
	ASSERT_EQ(0, vt_key_counters(self->key, &s, &f0));
	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(-EBADMSG, vt_unseal(self->fd, self->key, blob, sizeof(blob),
				      out, &n, NULL));
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	ASSERT_EQ(0, vt_key_counters(self->key, &s, &f1));
	EXPECT_EQ(f0 + 1, f1);
}

TEST_F(keys, tampered_blob_is_refused_and_counted)
{
	uint8_t pt[1000], blob[1096], bad[1100], out[1100];
	struct {
		size_t off;
		uint8_t bit;
		int err;
		const char *what;
	} flips[] = {
		{ 0, 0x01, EILSEQ, "magic" },
		{ 5, 0x04, EPROTONOSUPPORT, "version" },
		{ 6, 0x80, EINVAL, "flags" },
		{ 8, 0x01, EKEYREJECTED, "vm_id" },
		{ 39, 0x01, EKEYREJECTED, "key_id" },
		{ 47, 0x01, EBADMSG, "generation" },
		{ 48, 0x01, EBADMSG, "nonce (salt)" },
		{ 71, 0x80, EBADMSG, "nonce (iv)" },
		{ 79, 0x01, EMSGSIZE, "payload length" },
		{ 80, 0x01, EBADMSG, "ciphertext first byte" },
		{ 600, 0x10, EBADMSG, "ciphertext middle" },
		{ 1079, 0x80, EBADMSG, "ciphertext last byte" },
		{ 1080, 0x01, EBADMSG, "tag" },
		{ 1095, 0x80, EBADMSG, "tag last byte" },
	};
	struct vmshield_seal a, copy;
	unsigned int i, f0, f, ebadmsg = 0;
	size_t outlen = sizeof(blob), n;
	uint64_t s, gen;

	vt_fill_pattern(pt, sizeof(pt), 9);
	ASSERT_EQ(0, vt_seal(self->fd, self->key, 12, pt, sizeof(pt), blob,
			     &outlen));
	ASSERT_EQ(0, vt_key_counters(self->key, &s, &f0));
	for (i = 0; i < ARRAY_SIZE(flips); i++) {
		memcpy(bad, blob, sizeof(blob));
		bad[flips[i].off] ^= flips[i].bit;
		memset(out, 0xa5, sizeof(out));
		a = mkarg(self->key, bad, sizeof(blob), out, sizeof(out));
		copy = a;
		EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_UNSEAL, &a));
		EXPECT_EQ(flips[i].err, errno) TH_LOG("%s: got %s",
						      flips[i].what,
						      strerror(errno));
		EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5))
			TH_LOG("%s: output written", flips[i].what);
		if (flips[i].err == EBADMSG)
			ebadmsg++;
		ASSERT_EQ(0, vt_key_counters(self->key, &s, &f));
		EXPECT_EQ(f0 + ebadmsg, f) TH_LOG("after %s", flips[i].what);
	}
	/* truncated and trailing bytes */
	memcpy(bad, blob, sizeof(blob));
	bad[sizeof(blob)] = 0;
	for (i = 0; i < 4; i++) {
		size_t lens[] = { sizeof(blob) - 1, sizeof(blob) + 1, 96, 100 };

		memset(out, 0xa5, sizeof(out));
		n = sizeof(out);
		EXPECT_EQ(-EMSGSIZE, vt_unseal(self->fd, self->key, bad,
					       lens[i], out, &n, NULL))
			TH_LOG("length %zu", lens[i]);
		EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
	}
	ASSERT_EQ(0, vt_key_counters(self->key, &s, &f));
	EXPECT_EQ(f0 + ebadmsg, f);
	/* the key did not fail closed: the good blob still opens */
	n = sizeof(out);
	ASSERT_EQ(0, vt_unseal(self->fd, self->key, blob, sizeof(blob), out,
			       &n, &gen));
	EXPECT_EQ(sizeof(pt), n);
	EXPECT_EQ(12, gen);
	EXPECT_EQ(0, memcmp(out, pt, sizeof(pt)));
}

/* Expiry, with the wall clock set back; the clock is restored after. */
FIXTURE(clock) {
	int fd;
	key_serial_t ring;
	struct timespec rt0;
	uint64_t boot0_ms;
	bool moved;
};

FIXTURE_SETUP(clock)
{
	self->fd = open(VMSHIELD_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	self->ring = (key_serial_t)vt_new_ring("vmshield-clock-test");
	ASSERT_GT(self->ring, 0);
}

FIXTURE_TEARDOWN(clock)
{
	if (self->moved) {
		struct timespec now = self->rt0;
		uint64_t d = vt_boot_ms() - self->boot0_ms;

		now.tv_sec += (time_t)(d / 1000);
		now.tv_nsec += (long)(d % 1000) * 1000000;
		if (now.tv_nsec >= 1000000000) {
			now.tv_sec++;
			now.tv_nsec -= 1000000000;
		}
		clock_settime(CLOCK_REALTIME, &now);
	}
	keyctl_clear(self->ring);
	close(self->fd);
}

TEST_F_TIMEOUT(clock, lifetime_is_on_boot_clock_not_wall_clock, 60)
{
	struct vmshield_info info;
	struct vt_vm vm;
	struct vt_release rel;
	struct timespec back;
	uint8_t pt[32] = { 1 }, blob[128], out[64];
	size_t n = sizeof(blob), m = sizeof(out);
	char desc[256], line[1024];
	uint64_t t0;
	long key;
	int i;

	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 2);
	ASSERT_EQ(0, vt_release_build(&vm, info.enclave_pk, NULL, 0, &rel));
	t0 = vt_boot_ms();
	key = vt_add(vm.desc, &rel, self->ring);
	ASSERT_GT(key, 0);
	ASSERT_EQ(0, vt_seal(self->fd, (key_serial_t)key, 1, pt, sizeof(pt),
			     blob, &n));
	ASSERT_LT(vt_boot_ms() - t0, 1500) TH_LOG("too slow to test a 2 s key");

	/* host root sets the wall clock back by an hour */
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &self->rt0));
	self->boot0_ms = vt_boot_ms();
	back = self->rt0;
	back.tv_sec -= 3600;
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &back));
	self->moved = true;

	while (vt_boot_ms() < t0 + 2300)
		usleep(50000);
	/*
	 * the module wiped the key when its lifetime ended, before any use
	 * and long before the keyring's garbage collection (issue 16)
	 */
	for (i = 0; i < 60; i++) {
		ASSERT_EQ(0, vt_proc_keys_line((key_serial_t)key, line,
					       sizeof(line)));
		if (strstr(line, " expired-wiped"))
			break;
		usleep(50000);
	}
	EXPECT_NE(NULL, strstr(line, " expired-wiped")) TH_LOG("%s", line);
	/* the keyring (wall clock) still thinks the key is valid ... */
	EXPECT_GT(keyctl_describe((key_serial_t)key, desc, sizeof(desc)), 0);
	/* ... and even a longer keyring timeout changes nothing */
	EXPECT_EQ(0, keyctl_set_timeout((key_serial_t)key, 3600));
	/* ... but the enclave (boot clock) does not serve it */
	n = sizeof(blob);
	EXPECT_EQ(-EKEYEXPIRED, vt_seal(self->fd, (key_serial_t)key, 2, pt,
					sizeof(pt), blob, &n));
	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(-EKEYEXPIRED, vt_unseal(self->fd, (key_serial_t)key, blob,
					  sizeof(pt) + 96, out, &m, NULL));
	EXPECT_TRUE(all_byte(out, sizeof(out), 0xa5));
}

TEST_HARNESS_MAIN
