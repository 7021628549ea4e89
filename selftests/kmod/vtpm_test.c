// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_test - VMSHIELD_IOC_VTPM (issue 21) against the real module.
 *
 *  - every placement: the argument checks answer before anything else
 *    (EINVAL for an unknown op, a flag, a reserved or unused field;
 *    EMSGSIZE, ENOSPC), with the argument not written back;
 *  - placement kernel: a valid call is EOPNOTSUPP;
 *  - placement hypervisor (selftests/vm/run --placement hypervisor): the
 *    VM's vTPM runs in vmshield-enclaved on the outer machine. A new vTPM
 *    whose first state is stored and confirmed, INIT, TPM2_Startup,
 *    GetRandom, PCR_Extend/PCR_Read, NV_DefineSpace/NV_Write/NV_Read; the
 *    vTPM destroyed and re-created from the stored sealed state, its NV
 *    intact; the state file never holds the NV tag, and UNSEAL under the
 *    VM's key cannot open it; abuse (no vTPM, a second vTPM, an oversized
 *    command, nothing to confirm, a rollback, a command while a state
 *    waits, a revoked key) refused with the documented errno; a state to
 *    store that cannot be copied out (the output buffer unmapped past
 *    the first 4 KiB the module probes): EFAULT, the vTPM stopped, and
 *    re-created from the stored state with nothing acknowledged lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <openssl/sha.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

static bool hyp(void)
{
	const char *p = getenv("VMS_PLACEMENT");

	return p && !strcmp(p, "hypervisor");
}

static uint8_t out[VMSHIELD_VTPM_OUT_MIN];

static const uint8_t startup_clear[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0
};
static const uint8_t get_random8[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8
};
static const uint8_t pw[] = { 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0 };
static const char nv_tag[32] = "vtpm-test-tenant-NV-tag-5c1e8a2";

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* NV_DefineSpace (op 0), NV_Write (1) of nv_tag, NV_Read (2) at 0x01500018 */
static size_t nv_cmd(uint8_t *c, int op)
{
	static const uint8_t pub[] = {
		0, 0, 0, 14, 0x01, 0x50, 0, 0x18, 0, 0x0b, 0, 6, 0, 6, 0, 0, 0, 32,
	};
	size_t n = 10;

	c[0] = 0x80;
	c[1] = 0x02;
	put32(c + 6, op == 0 ? 0x12a : op == 1 ? 0x137 : 0x14e);
	put32(c + n, 0x40000001);
	n += 4;
	if (op) {
		put32(c + n, 0x01500018);
		n += 4;
	}
	memcpy(c + n, pw, sizeof(pw));
	n += sizeof(pw);
	if (op == 0) {
		memcpy(c + n, pub, sizeof(pub));
		n += sizeof(pub);
	} else {
		c[n++] = 0;
		c[n++] = 32;
		if (op == 1) {
			memcpy(c + n, nv_tag, 32);
			n += 32;
		}
		c[n++] = 0;
		c[n++] = 0;
	}
	put32(c + 2, (uint32_t)n);
	return n;
}

static size_t pcr_extend(uint8_t *c, const uint8_t d[32])
{
	size_t n = 10;

	c[0] = 0x80;
	c[1] = 0x02;
	put32(c + 6, 0x182);
	put32(c + n, 16);
	memcpy(c + n + 4, pw, sizeof(pw));
	n += 4 + sizeof(pw);
	put32(c + n, 1);
	c[n + 4] = 0;
	c[n + 5] = 0x0b;
	memcpy(c + n + 6, d, 32);
	n += 38;
	put32(c + 2, (uint32_t)n);
	return n;
}

static size_t pcr_read(uint8_t *c)
{
	static const uint8_t cmd[] = {
		0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e,
		0, 0, 0, 1, 0, 0x0b, 3, 0, 0, 1,	/* sha256: PCR 16 */
	};

	memcpy(c, cmd, sizeof(cmd));
	return sizeof(cmd);
}

FIXTURE(vt) {
	int fd;
	struct vmshield_info info;
	struct vt_vm vm;
	long serial;
	char path[64];
	uint8_t *disk;		/* the sealed state "on disk" */
	size_t disk_len;
	uint64_t generation;
};

FIXTURE_SETUP(vt)
{
	struct vt_release rel;

	self->fd = vt_open_dev();
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	/* encryption-supported: any caller with keyring access may use it */
	ASSERT_EQ(0, vt_vm_new(&self->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600));
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL, 0, &rel));
	self->serial = vt_add(self->vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	ASSERT_GT(self->serial, 0) TH_LOG("add_key: %s", strerror((int)-self->serial));
	self->disk = malloc(VMSHIELD_VTPM_OUT_MIN);
	ASSERT_NE(NULL, self->disk);
	self->disk_len = 0;
	self->generation = 0;
}

FIXTURE_TEARDOWN(vt)
{
	free(self->disk);
	close(self->fd);
}

static void arg_init(struct vmshield_vtpm *a, long serial, uint32_t op)
{
	memset(a, 0, sizeof(*a));
	a->key_serial = (int32_t)serial;
	a->op = op;
	a->out_ptr = (uintptr_t)out;
	a->out_len = sizeof(out);
}

/* One call; 0 or -errno. */
static int vtpm(int fd, struct vmshield_vtpm *a)
{
	return ioctl(fd, VMSHIELD_IOC_VTPM, a) ? -errno : 0;
}

/* A call whose STORE answer is kept and confirmed; *@a the final answer. */
static int vtpm_settled(struct __test_metadata *_metadata, int fd, long serial,
			uint8_t *disk, size_t *disk_len, uint64_t *gen,
			struct vmshield_vtpm *a)
{
	int r = vtpm(fd, a);

	if (r || !(a->out_flags & VMSHIELD_VTPM_STORE))
		return r;
	EXPECT_GT(a->generation, *gen);
	memcpy(disk, out, a->out_len);
	*disk_len = a->out_len;
	*gen = a->generation;
	arg_init(a, serial, VMSHIELD_VTPM_CONFIRM);
	a->generation = *gen;
	return vtpm(fd, a);
}

#define SETTLED(a) vtpm_settled(_metadata, self->fd, self->serial, self->disk, \
				&self->disk_len, &self->generation, (a))

/* A TPM command: its response code (the response in out[]), or -errno. */
static long tpm(struct __test_metadata *_metadata, struct _test_data_vt *self,
		const uint8_t *c, size_t len)
{
	struct vmshield_vtpm a;
	int r;

	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)c;
	a.in_len = len;
	r = SETTLED(&a);
	if (r)
		return r;
	if (a.out_len < 10 || get32(out + 2) != a.out_len)
		return -EPROTO;
	return get32(out + 6);
}

static void start(struct __test_metadata *_metadata, struct _test_data_vt *self,
		  bool from_disk)
{
	struct vmshield_vtpm a;

	arg_init(&a, self->serial, VMSHIELD_VTPM_CREATE);
	if (from_disk) {
		a.in_ptr = (uintptr_t)self->disk;
		a.in_len = self->disk_len;
	}
	ASSERT_EQ(0, SETTLED(&a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONTROL);
	a.ctrl = VMSHIELD_VTPM_CTRL_INIT;
	ASSERT_EQ(0, SETTLED(&a));
	ASSERT_EQ(0, a.result);
	ASSERT_EQ(0, tpm(_metadata, self, startup_clear, sizeof(startup_clear)));
}

TEST_F(vt, argument_checks_come_first)
{
	struct vmshield_vtpm a, copy;

	arg_init(&a, self->serial, 0);
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_STATEMENT + 1);
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_STATEMENT);
	a.generation = 1;	/* not a CONFIRM */
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	a.ctrl = VMSHIELD_VTPM_CTRL_INIT;	/* not a CONTROL */
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONTROL);
	a.ctrl = VMSHIELD_VTPM_CTRL_RESET_ESTABLISHED + 1;
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.generation = 1;			/* only CONFIRM takes one */
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)out;
	a.in_len = VMSHIELD_VTPM_MAX_CMD + 1;
	EXPECT_EQ(-EMSGSIZE, vtpm(self->fd, &a));
	a.in_len = 9;
	EXPECT_EQ(-EMSGSIZE, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	a.out_len = VMSHIELD_VTPM_OUT_MIN - 1;
	copy = a;
	EXPECT_EQ(-ENOSPC, vtpm(self->fd, &a));
	EXPECT_EQ(0, memcmp(&a, &copy, sizeof(a)));	/* not written back */
	/* well-formed: the placement decides */
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	EXPECT_EQ(hyp() ? -ENODEV : -EOPNOTSUPP, vtpm(self->fd, &a));
}

TEST_F(vt, kernel_placement_has_no_vtpm)
{
	struct vmshield_vtpm a;

	if (hyp())
		SKIP(return, "placement hypervisor");
	arg_init(&a, self->serial, VMSHIELD_VTPM_CREATE);
	EXPECT_EQ(-EOPNOTSUPP, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	EXPECT_EQ(-EOPNOTSUPP, vtpm(self->fd, &a));
}

TEST_F(vt, tpm_commands_in_the_enclave)
{
	uint8_t c[128], d[32], zd[64] = { 0 }, pcr[32], r1[8];
	struct vmshield_vtpm a;
	size_t n;
	uint64_t g;

	if (!hyp())
		SKIP(return, "placement kernel");
	start(_metadata, self, false);
	EXPECT_GE(self->generation, 1);
	/* GetRandom, twice different */
	ASSERT_EQ(0, tpm(_metadata, self, get_random8, sizeof(get_random8)));
	memcpy(r1, out + 12, 8);
	ASSERT_EQ(0, tpm(_metadata, self, get_random8, sizeof(get_random8)));
	EXPECT_NE(0, memcmp(r1, out + 12, 8));
	/* PCR_Extend(16) then PCR_Read = SHA-256(zeros || d) */
	vt_random(d, sizeof(d));
	ASSERT_EQ(0, tpm(_metadata, self, c, pcr_extend(c, d)));
	ASSERT_EQ(0, tpm(_metadata, self, c, pcr_read(c)));
	memcpy(zd + 32, d, 32);
	SHA256(zd, sizeof(zd), pcr);
	EXPECT_EQ(0, memcmp(out + 30, pcr, 32));
	/* NV: each change stored before it is answered */
	g = self->generation;
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 0)));
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 1)));
	EXPECT_GE(self->generation, g + 2);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 2)));
	EXPECT_EQ(0, memcmp(out + 16, nv_tag, 32));
	/* only sealed state left the enclave, under a key UNSEAL does not use */
	EXPECT_FALSE(vt_mem_has_window(self->disk, self->disk_len, nv_tag, 32, 8));
	n = VMSHIELD_VTPM_OUT_MIN;
	EXPECT_EQ(-EBADMSG, vt_unseal(self->fd, (key_serial_t)self->serial,
				      self->disk, self->disk_len, out, &n, &g));
	/* destroyed and re-created from the stored state: the NV is there */
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	ASSERT_EQ(0, vtpm(self->fd, &a));
	start(_metadata, self, true);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 2)));
	EXPECT_EQ(0, memcmp(out + 16, nv_tag, 32));
}

/*
 * STATEMENT: the last confirmed generation, signed by the platform (the
 * signature is checked by test_enclave_vtpm; here the module's path).
 */
TEST_F(vt, generation_statement)
{
	struct vmshield_vtpm a;
	char want[64];
	uint8_t c[128];
	size_t body;

	if (!hyp()) {
		arg_init(&a, self->serial, VMSHIELD_VTPM_STATEMENT);
		EXPECT_EQ(-EOPNOTSUPP, vtpm(self->fd, &a));
		return;
	}
	arg_init(&a, self->serial, VMSHIELD_VTPM_STATEMENT);
	EXPECT_EQ(-ENODEV, vtpm(self->fd, &a));
	start(_metadata, self, false);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 0)));
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 1)));
	arg_init(&a, self->serial, VMSHIELD_VTPM_STATEMENT);
	ASSERT_EQ(0, vtpm(self->fd, &a));
	EXPECT_EQ(self->generation, a.generation);
	EXPECT_EQ(0, a.out_flags);
	ASSERT_GT(a.out_len, 2);
	body = (size_t)out[0] << 8 | out[1];
	ASSERT_LT(body + 2 + 8, a.out_len);
	EXPECT_EQ(0, memcmp(out + 2, "vmshield-vtpm-statement v1\n", 27));
	snprintf(want, sizeof(want), "\ngeneration=%llu\n",
		 (unsigned long long)self->generation);
	EXPECT_NE(NULL, memmem(out + 2, body, want, strlen(want)));
}

/*
 * The release's floor (flag bit 2, issue 21) through the real module to
 * the enclave: a second key of the VM (a new record, as after an enclave
 * restart) carrying the stored generation refuses the older state
 * (ESTALE) and opens the stored one; a key without a floor opens the
 * older state (the control: the floor refused it, nothing else).
 */
TEST_F(vt, release_floor_refuses_older_state)
{
	struct vt_release rel;
	struct vmshield_vtpm a;
	uint8_t c[128], *old;
	size_t old_len;
	long floored, plain;

	if (!hyp())
		SKIP(return, "placement kernel");
	start(_metadata, self, false);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 0)));
	old = malloc(self->disk_len);
	ASSERT_NE(NULL, old);
	memcpy(old, self->disk, self->disk_len);
	old_len = self->disk_len;
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 1)));
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	ASSERT_EQ(0, vtpm(self->fd, &a));

	ASSERT_EQ(0, vt_release_build_floor(&self->vm, self->info.enclave_pk,
					    self->generation, &rel));
	floored = vt_add(self->vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	ASSERT_GT(floored, 0) TH_LOG("add_key (floor): %s", strerror((int)-floored));
	arg_init(&a, floored, VMSHIELD_VTPM_CREATE);
	a.in_ptr = (uintptr_t)old;
	a.in_len = old_len;
	EXPECT_EQ(-ESTALE, vtpm(self->fd, &a));
	arg_init(&a, floored, VMSHIELD_VTPM_CREATE);
	a.in_ptr = (uintptr_t)self->disk;
	a.in_len = self->disk_len;
	EXPECT_EQ(0, vtpm(self->fd, &a));
	arg_init(&a, floored, VMSHIELD_VTPM_DESTROY);
	EXPECT_EQ(0, vtpm(self->fd, &a));

	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL, 0, &rel));
	plain = vt_add(self->vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	ASSERT_GT(plain, 0);
	arg_init(&a, plain, VMSHIELD_VTPM_CREATE);
	a.in_ptr = (uintptr_t)old;
	a.in_len = old_len;
	EXPECT_EQ(0, vtpm(self->fd, &a));
	arg_init(&a, plain, VMSHIELD_VTPM_DESTROY);
	EXPECT_EQ(0, vtpm(self->fd, &a));
	free(old);
}

TEST_F(vt, abuse_is_refused)
{
	uint8_t c[128], *old;
	size_t old_len;
	struct vmshield_vtpm a;
	uint64_t gen;

	if (!hyp())
		SKIP(return, "placement kernel");
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	EXPECT_EQ(-ENODEV, vtpm(self->fd, &a));
	start(_metadata, self, false);
	old = malloc(self->disk_len);
	ASSERT_NE(NULL, old);
	memcpy(old, self->disk, self->disk_len);
	old_len = self->disk_len;
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 0)));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CREATE);
	EXPECT_EQ(-EEXIST, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONFIRM);
	a.generation = self->generation;
	EXPECT_EQ(-EINVAL, vtpm(self->fd, &a));		/* nothing waits */
	/* a change: confirm the wrong generation, then try to run another */
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)c;
	a.in_len = nv_cmd(c, 1);
	ASSERT_EQ(0, vtpm(self->fd, &a));
	ASSERT_TRUE(a.out_flags & VMSHIELD_VTPM_STORE);
	gen = a.generation;
	memcpy(self->disk, out, a.out_len);
	self->disk_len = a.out_len;
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONFIRM);
	a.generation = gen + 1;
	EXPECT_EQ(-ESTALE, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	EXPECT_EQ(-EBUSY, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONFIRM);
	a.generation = gen;
	ASSERT_EQ(0, vtpm(self->fd, &a));
	EXPECT_EQ(0, get32(out + 6));
	self->generation = gen;
	/* a rollback to the first state is refused */
	arg_init(&a, self->serial, VMSHIELD_VTPM_DESTROY);
	ASSERT_EQ(0, vtpm(self->fd, &a));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CREATE);
	a.in_ptr = (uintptr_t)old;
	a.in_len = old_len;
	EXPECT_EQ(-ESTALE, vtpm(self->fd, &a));
	free(old);
	/* the key revoked: its vTPM is gone with it */
	start(_metadata, self, true);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 2)));
	EXPECT_EQ(0, memcmp(out + 16, nv_tag, 32));
	ASSERT_EQ(0, keyctl_revoke((key_serial_t)self->serial));
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	EXPECT_EQ(-EKEYREVOKED, vtpm(self->fd, &a));
}

TEST_F(vt, store_that_cannot_be_copied_out_loses_nothing)
{
	uint8_t c[128], *bad;
	struct vmshield_vtpm a;
	size_t page = 4096;

	if (!hyp())
		SKIP(return, "placement kernel");
	start(_metadata, self, false);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 0)));
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 1)));
	/*
	 * 4 KiB writable (what the module probes), then nothing; the state
	 * with the running TPM's volatile part (its PCR banks alone are about
	 * 4 KiB) cannot be copied out there
	 */
	bad = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, mprotect(bad + page, page, PROT_NONE));
	arg_init(&a, self->serial, VMSHIELD_VTPM_CONTROL);
	a.ctrl = VMSHIELD_VTPM_CTRL_STORE_VOLATILE;
	a.out_ptr = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, vtpm(self->fd, &a));
	munmap(bad, 2 * page);
	/* the vTPM was stopped rather than left waiting for a CONFIRM */
	arg_init(&a, self->serial, VMSHIELD_VTPM_COMMAND);
	a.in_ptr = (uintptr_t)get_random8;
	a.in_len = sizeof(get_random8);
	EXPECT_EQ(-ENODEV, vtpm(self->fd, &a));
	/* again from the stored state: every acknowledged change is there */
	start(_metadata, self, true);
	ASSERT_EQ(0, tpm(_metadata, self, c, nv_cmd(c, 2)));
	EXPECT_EQ(0, memcmp(out + 16, nv_tag, 32));
}

TEST_HARNESS_MAIN
