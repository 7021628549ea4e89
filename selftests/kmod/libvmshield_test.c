// SPDX-License-Identifier: GPL-2.0
/*
 * libvmshield_test - libvmshield (userspace/lib/device/vmshield.h) against the
 * real module, as a VMM worker uses it: load a key release as a vmshield
 * key, seal state, write it atomically, read it back, unseal, compare; and
 * the errors the library returns, each mapped to its message.
 *
 * Runs on an unlocked (kernel-open) host with encryption-supported keys,
 * right after keys_test and before lockdown_test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common.h"
#include "vmstest.h"
#include "vmshield.h"
#include "vms_fileio.h"
#include "kselftest_harness.h"

#define LIFETIME 3600

FIXTURE(lib) {
	int fd;
	struct vmshield_info info;
	key_serial_t ring;
	struct vt_vm vm;
	struct vt_release rel;
	key_serial_t key;
	char dir[64];
	char path[96];
};

FIXTURE_SETUP(lib)
{
	long r;

	self->fd = vms_dev_open();
	ASSERT_GE(self->fd, 0) TH_LOG("%s",
		vms_dev_op_strerror(VMS_OP_OPEN, self->fd));
	ASSERT_EQ(0, vms_dev_get_info(self->fd, &self->info));
	r = vt_new_ring("vmshield-lib-test");
	ASSERT_GT(r, 0) TH_LOG("new keyring: %s", strerror((int)-r));
	self->ring = (key_serial_t)r;
	vt_vm_new(&self->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL,
				      0, &self->rel));
	self->key = vms_dev_key_load(self->vm.vm_id, self->rel.blob,
				     self->rel.len, self->ring);
	ASSERT_GT(self->key, 0) TH_LOG("%s", vms_dev_op_strerror(
		VMS_OP_KEY_LOAD, self->key));
	snprintf(self->dir, sizeof(self->dir), "/tmp/vms-libtest-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir)) TH_LOG("mkdtemp: %s",
						   strerror(errno));
	snprintf(self->path, sizeof(self->path), "%s/vm.sealed", self->dir);
}

FIXTURE_TEARDOWN(lib)
{
	unlink(self->path);
	rmdir(self->dir);
	if (self->ring > 0)
		keyctl_clear(self->ring);
	vms_dev_close(self->fd);
}

/* The key is in the ring under the library's description. */
TEST_F(lib, loaded_key_has_the_library_description)
{
	char want[VMS_KEY_DESC_LEN], buf[256];

	ASSERT_EQ(0, vms_dev_key_desc(self->vm.vm_id, want, sizeof(want)));
	EXPECT_STREQ(self->vm.desc, want);
	ASSERT_GT(keyctl_describe(self->key, buf, sizeof(buf)), 0);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("describe: %s", buf);
	EXPECT_EQ(0, strncmp(buf, "vmshield;", 9));
}

/* load release -> seal -> atomic write -> read back -> unseal -> compare */
TEST_F_TIMEOUT(lib, seal_write_read_unseal_round_trip, 120)
{
	static const size_t sizes[] = { 1, 4096, 100000, 1u << 20 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t len = sizes[i], blen, olen, flen;
		uint8_t *st = malloc(len), *blob, *out, *file;
		uint64_t gen = 0;

		ASSERT_NE(NULL, st);
		vt_fill_pattern(st, len, (unsigned int)len);
		/* In memory: output sized by the library. */
		ASSERT_EQ(0, vms_dev_seal(self->fd, self->key, 10 + i, st, len,
					  &blob, &blen));
		EXPECT_EQ(len + VMSHIELD_SEAL_OVERHEAD, blen);
		ASSERT_EQ(0, vms_dev_write_sealed(self->path, blob, blen));
		/* The file holds exactly the blob. */
		ASSERT_EQ(0, vms_read_file(self->path, 64u << 20, &file,
					   &flen));
		ASSERT_EQ(blen, flen);
		EXPECT_EQ(0, memcmp(blob, file, blen));
		free(file);
		vms_dev_free(blob, blen);
		ASSERT_EQ(0, vms_dev_unseal_file(self->fd, self->key,
						 self->path, &out, &olen,
						 &gen));
		ASSERT_EQ(len, olen);
		EXPECT_EQ(10 + i, gen);
		EXPECT_EQ(0, memcmp(st, out, len));
		vms_dev_free(out, olen);

		/* The one-call path: seal straight to the file. */
		ASSERT_EQ(0, vms_dev_seal_to_file(self->fd, self->key, 99, st,
						  len, self->path));
		ASSERT_EQ(0, vms_dev_unseal_file(self->fd, self->key,
						 self->path, &out, &olen,
						 &gen));
		ASSERT_EQ(len, olen);
		EXPECT_EQ(99, gen);
		EXPECT_EQ(0, memcmp(st, out, len));
		vms_dev_free(out, olen);
		free(st);
	}
}

/* The library's blob is the same format the userspace core opens. */
TEST_F(lib, library_blob_opens_with_the_vms_tk)
{
	uint8_t st[512], back[512], *blob;
	size_t blen;
	uint64_t gen = 0;

	vt_fill_pattern(st, sizeof(st), 7);
	ASSERT_EQ(0, vms_dev_seal(self->fd, self->key, 5, st, sizeof(st),
				  &blob, &blen));
	ASSERT_EQ(0, vt_us_unseal(&self->vm, blob, blen, back, sizeof(back),
				  &gen));
	EXPECT_EQ(5, gen);
	EXPECT_EQ(0, memcmp(st, back, sizeof(st)));
	vms_dev_free(blob, blen);
}

#define EXPECT_MSG(op, err, word) do { \
	const char *_m = vms_dev_op_strerror(op, err); \
	EXPECT_NE(NULL, strstr(_m, word)) TH_LOG("message: %s", _m); \
} while (0)

TEST_F(lib, key_load_errors_are_mapped)
{
	struct vt_vm other;
	struct vt_release rel;
	uint8_t pk[32];
	key_serial_t r;

	/* The release names another VM than the id given. */
	vt_vm_new(&other, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	r = vms_dev_key_load(other.vm_id, self->rel.blob, self->rel.len,
			     self->ring);
	EXPECT_EQ(-EKEYREJECTED, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "another VM");
	/* Truncated. */
	r = vms_dev_key_load(self->vm.vm_id, self->rel.blob,
			     self->rel.len - 1, self->ring);
	EXPECT_EQ(-EMSGSIZE, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "wrong size");
	/* Not a release. */
	memset(rel.blob, 0x5a, self->rel.len);
	r = vms_dev_key_load(self->vm.vm_id, rel.blob, self->rel.len,
			     self->ring);
	EXPECT_EQ(-EILSEQ, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "not a key release");
	/* Released to another enclave. */
	vt_random(pk, sizeof(pk));
	ASSERT_EQ(0, vt_release_build(&self->vm, pk, NULL, 0, &rel));
	r = vms_dev_key_load(self->vm.vm_id, rel.blob, rel.len, self->ring);
	EXPECT_EQ(-ENOKEY, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "another enclave");
	/* Tampered (a fresh release: the fixture's challenge is used up). */
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL,
				      0, &rel));
	rel.blob[rel.len - 1] ^= 1;
	r = vms_dev_key_load(self->vm.vm_id, rel.blob, rel.len, self->ring);
	EXPECT_EQ(-EBADMSG, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "authentication");
	/* Not a keyring (a vmshield key has no Write: checked first). */
	r = vms_dev_key_load(self->vm.vm_id, self->rel.blob, self->rel.len,
			     self->key);
	EXPECT_EQ(-EACCES, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "no Write permission");
}

TEST_F(lib, shielded_release_on_open_host_is_mapped)
{
	struct vt_vm sh;
	struct vt_release rel;
	uint8_t digest[32];
	key_serial_t r;

	if (self->info.isolation_level != VMSHIELD_ISOLATION_KERNEL_OPEN)
		SKIP(return, "host is not kernel-open");
	vt_vm_new(&sh, VMS_KR_POLICY_SHIELDED, LIFETIME);
	vt_random(digest, sizeof(digest));
	ASSERT_EQ(0, vt_release_build(&sh, self->info.enclave_pk, digest, 1,
				      &rel));
	r = vms_dev_key_load(sh.vm_id, rel.blob, rel.len, self->ring);
	EXPECT_EQ(-EKEYREJECTED, r);
	EXPECT_MSG(VMS_OP_KEY_LOAD, r, "kernel-locked");
}

TEST_F(lib, unseal_errors_are_mapped)
{
	struct vt_vm other;
	struct vt_release orel;
	uint8_t st[256], *blob, *out = NULL;
	size_t blen, olen;
	key_serial_t okey;
	int r;

	vt_fill_pattern(st, sizeof(st), 3);
	ASSERT_EQ(0, vms_dev_seal(self->fd, self->key, 1, st, sizeof(st),
				  &blob, &blen));
	/* Altered. */
	blob[blen - 1] ^= 1;
	r = vms_dev_unseal(self->fd, self->key, blob, blen, &out, &olen, NULL);
	EXPECT_EQ(-EBADMSG, r);
	EXPECT_EQ(NULL, out);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "altered");
	blob[blen - 1] ^= 1;
	/* Truncated. */
	r = vms_dev_unseal(self->fd, self->key, blob, blen - 1, &out, &olen,
			   NULL);
	EXPECT_EQ(-EMSGSIZE, r);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "truncated");
	/* Shorter than any blob: still the kernel's answer. */
	r = vms_dev_unseal(self->fd, self->key, blob, 10, &out, &olen, NULL);
	EXPECT_EQ(-EMSGSIZE, r);
	/* Not a sealed blob. */
	memset(st, 0, sizeof(st));
	r = vms_dev_unseal(self->fd, self->key, st, sizeof(st), &out, &olen,
			   NULL);
	EXPECT_EQ(-EILSEQ, r);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "not a sealed-state");
	/* VM01's state offered under VM02's key. */
	vt_vm_new(&other, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, LIFETIME);
	ASSERT_EQ(0, vt_release_build(&other, self->info.enclave_pk, NULL, 0,
				      &orel));
	okey = vms_dev_key_load(other.vm_id, orel.blob, orel.len, self->ring);
	ASSERT_GT(okey, 0);
	r = vms_dev_unseal(self->fd, okey, blob, blen, &out, &olen, NULL);
	EXPECT_EQ(-EKEYREJECTED, r);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "another VM");
	/* Not a vmshield key. */
	r = vms_dev_unseal(self->fd, self->ring, blob, blen, &out, &olen,
			   NULL);
	EXPECT_EQ(-EINVAL, r);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "not a vmshield key");
	/* Revoked through the library. */
	ASSERT_EQ(0, vms_dev_key_revoke(self->key));
	r = vms_dev_unseal(self->fd, self->key, blob, blen, &out, &olen, NULL);
	EXPECT_EQ(-EKEYREVOKED, r);
	EXPECT_MSG(VMS_OP_UNSEAL, r, "released again");
	r = vms_dev_seal(self->fd, self->key, 2, st, sizeof(st), &out, &olen);
	EXPECT_EQ(-EKEYREVOKED, r);
	EXPECT_EQ(NULL, out);
	EXPECT_MSG(VMS_OP_SEAL, r, "revoked");
	vms_dev_free(blob, blen);
}

TEST_F(lib, unlinked_key_is_enokey)
{
	uint8_t st[16] = { 1 }, *blob = NULL;
	size_t blen;
	int r;

	ASSERT_EQ(0, vms_dev_key_unlink(self->key, self->ring));
	r = vms_dev_seal(self->fd, self->key, 1, st, sizeof(st), &blob, &blen);
	/* Gone, or no longer possessed. */
	EXPECT_TRUE(r == -ENOKEY || r == -EACCES) TH_LOG("got %d", r);
	EXPECT_EQ(NULL, blob);
	EXPECT_MSG(VMS_OP_SEAL, r, "load");
	r = vms_dev_key_unlink(self->key, self->ring);
	EXPECT_TRUE(r == -ENOENT || r == -ENOKEY || r == -EACCES)
		TH_LOG("got %d", r);
}

TEST_F(lib, state_over_cap_is_emsgsize)
{
	uint8_t *blob = NULL;
	size_t blen;
	int r;

	r = vms_dev_seal(self->fd, self->key, 1, "x",
			 (size_t)self->info.max_state_len + 1, &blob, &blen);
	EXPECT_EQ(-EMSGSIZE, r);
	EXPECT_MSG(VMS_OP_SEAL, r, "larger than the module accepts");
}

TEST_HARNESS_MAIN
