// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox_abuse_test - root in the guarded host writes into the enclave
 * mailbox directly (placement hypervisor; the rig's --placement
 * hypervisor, lockdown none): BAR 2 of the ivshmem-plain device, mapped
 * through sysfs resource2. The kernel refuses that mapping while
 * vmshield.ko has the BAR claimed (CONFIG_IO_STRICT_DEVMEM, Debian's
 * default), so root unbinds the device first; the tests run in order:
 *
 *  - unbound: the module fails every call closed (EHOSTDOWN) and does not
 *    take the device back (a mailbox that appears after load is refused);
 *  - oversized lengths (req_len past the request area, 4 GiB - 1; a frame
 *    whose payload length field is past what follows): never answered
 *    with success;
 *  - garbage frames, and well-formed headers of every type with a torn
 *    request id, the response bit or an unknown handle: each answered
 *    with an error;
 *  - races: a writer scribbling over the doorbell, the length and the
 *    request area while another rings valid PINGs: the enclave answers or
 *    refuses each, and answers every PING once the scribbling stops;
 *  - the module reloaded (rmmod, insmod: it binds the device again) finds
 *    the same enclave (same key: it never died or restarted) serving: a
 *    release loads, state seals and unseals, ENCLAVE_REPORT answers.
 * The rig fails the run on any oops or WARN in dmesg.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define MB_SIZE		(4u << 20)
#define MB_CTRL		4096u
#define MB_AREA		((MB_SIZE - MB_CTRL) / 2)
#define OFF_REQ_SEQ	64
#define OFF_REQ_LEN	72
#define OFF_RESP_SEQ	128
#define OFF_RESP_LEN	136
#define STATE_LEN	4096
#define PK_FILE		"/run/mailbox_abuse_test.pk"
#define DRIVER		"/sys/bus/pci/drivers/vmshield-mailbox"

static bool hyp(void)
{
	const char *p = getenv("VMS_PLACEMENT");

	return p && !strcmp(p, "hypervisor");
}

/* The ivshmem-plain device (1af4:1110): its name into @bdf, or -ENOENT. */
static int find_dev(char *bdf, size_t size)
{
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/pci/devices");
	char f[512], id[16];
	int found = -ENOENT;

	if (!dir)
		return -errno;
	while (found && (d = readdir(dir))) {
		FILE *v;

		if (d->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/vendor", d->d_name);
		v = fopen(f, "r");
		if (!v)
			continue;
		if (fgets(id, sizeof(id), v) && !strncmp(id, "0x1af4", 6)) {
			fclose(v);
			snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/device", d->d_name);
			v = fopen(f, "r");
			if (v && fgets(id, sizeof(id), v) && !strncmp(id, "0x1110", 6)) {
				snprintf(bdf, size, "%s", d->d_name);
				found = 0;
			}
		}
		if (v)
			fclose(v);
	}
	closedir(dir);
	return found;
}

static volatile uint8_t *map_bar(void)
{
	char bdf[256], path[512];
	void *p;
	int fd;

	if (find_dev(bdf, sizeof(bdf)))
		return NULL;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, MB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static uint64_t rd64(volatile uint8_t *mb, unsigned int off)
{
	return *(volatile uint64_t *)(mb + off);
}

static void wr64(volatile uint8_t *mb, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(mb + off) = v;
}

static void wr32(volatile uint8_t *mb, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(mb + off) = v;
}

static void put_be(volatile uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* A frame header at the request area: VMEP v1, @type, @id, status 0, @plen. */
static void put_header(volatile uint8_t *mb, uint16_t type, uint64_t id, uint32_t plen)
{
	volatile uint8_t *f = mb + MB_CTRL;

	f[0] = 'V';
	f[1] = 'M';
	f[2] = 'E';
	f[3] = 'P';
	put_be(f + 4, 1, 2);
	put_be(f + 6, type, 2);
	put_be(f + 8, id, 8);
	put_be(f + 16, 0, 4);
	put_be(f + 20, plen, 4);
}

/*
 * Ring the doorbell with @seq (far from the module's numbers) and wait up
 * to @ms for the enclave: 2 when it answered success, 1 when it answered
 * with an error response, 0 when it did not answer.
 */
static int ring_wait(volatile uint8_t *mb, uint64_t seq, unsigned int ms)
{
	volatile uint8_t *r = mb + MB_CTRL + MB_AREA;
	unsigned int i;

	__sync_synchronize();
	wr64(mb, OFF_REQ_SEQ, seq);
	for (i = 0; i < ms / 10; i++) {
		if (rd64(mb, OFF_RESP_SEQ) == seq) {
			__sync_synchronize();
			/* status (bytes 16..19) of the response frame */
			if (r[0] == 'V' && (r[16] | r[17] | r[18] | r[19]) == 0)
				return 2;
			return 1;
		}
		usleep(10000);
	}
	return 0;
}

static int ring(volatile uint8_t *mb, uint64_t seq)
{
	return ring_wait(mb, seq, 2000);
}

/* A valid PING, waiting up to @ms: 2 when the enclave answered it with success. */
static int ping_wait(volatile uint8_t *mb, uint64_t seq, unsigned int ms)
{
	put_header(mb, 1, seq, 0);
	wr32(mb, OFF_REQ_LEN, 24);
	return ring_wait(mb, seq, ms);
}

static int ping(volatile uint8_t *mb, uint64_t seq)
{
	return ping_wait(mb, seq, 2000);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int seal_unseal(int fd, long serial)
{
	static uint8_t pt[STATE_LEN], blob[STATE_LEN + 96], back[STATE_LEN];
	size_t n = sizeof(blob), m = sizeof(back);
	uint64_t gen = 0;
	int r;

	vt_random(pt, sizeof(pt));
	r = vt_seal(fd, (key_serial_t)serial, 3, pt, sizeof(pt), blob, &n);
	if (!r)
		r = vt_unseal(fd, (key_serial_t)serial, blob, n, back, &m, &gen);
	if (!r && (m != sizeof(pt) || memcmp(back, pt, m) || gen != 3))
		r = -EBADE;
	return r;
}

/* A new release for the enclave key @pk, loaded: its serial, or -errno. */
static long load_new_key(const uint8_t pk[32])
{
	struct vt_release rel;
	struct vt_vm vm;

	if (vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600) ||
	    vt_release_build(&vm, pk, NULL, 0, &rel))
		return -EIO;
	return vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
}

/* Where the doorbell is now, plus a gap no module numbering reaches. */
static uint64_t far_seq(volatile uint8_t *mb)
{
	return rd64(mb, OFF_REQ_SEQ) + (1ull << 40);
}

TEST(unbound_module_fails_closed)
{
	struct vmshield_info info;
	char bdf[256];
	long serial;
	FILE *f;
	int fd;

	if (!hyp())
		SKIP(return, "placement kernel: no mailbox");
	fd = vt_open_dev();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vms_get_info(fd, &info));
	ASSERT_EQ(VMSHIELD_PLACEMENT_HYPERVISOR, info.placement);
	f = fopen(PK_FILE, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fwrite(info.enclave_pk, 32, 1, f));
	fclose(f);
	serial = load_new_key(info.enclave_pk);
	ASSERT_GT(serial, 0);
	ASSERT_EQ(0, seal_unseal(fd, serial));
	/* bound, the BAR cannot be mapped (the module claims it) */
	EXPECT_EQ(NULL, map_bar());
	ASSERT_EQ(0, find_dev(bdf, sizeof(bdf)));
	ASSERT_EQ(0, write_file(DRIVER "/unbind", bdf));
	EXPECT_EQ(-EHOSTDOWN, seal_unseal(fd, serial));
	EXPECT_EQ(-1, ioctl(fd, VMSHIELD_IOC_GET_INFO, &(struct vmshield_info){ 0 }));
	EXPECT_EQ(EHOSTDOWN, errno);
	/* and it does not take the device back while loaded */
	EXPECT_NE(0, write_file(DRIVER "/bind", bdf));
	EXPECT_EQ(-EHOSTDOWN, seal_unseal(fd, serial));
	close(fd);
}

TEST(oversized_lengths_are_refused)
{
	static const uint32_t lens[] = {
		MB_AREA + 1, MB_AREA + 4096, 0x7fffffffu, 0xffffffffu,
	};
	volatile uint8_t *mb;
	unsigned int i;
	uint64_t seq;
	int r;

	if (!hyp())
		SKIP(return, "placement kernel: no mailbox");
	mb = map_bar();
	ASSERT_NE(NULL, mb) TH_LOG("cannot map the ivshmem BAR 2 (is the device unbound?)");
	seq = far_seq(mb);
	/* req_len past the request area: never a success */
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		put_header(mb, 1, seq, 0);
		wr32(mb, OFF_REQ_LEN, lens[i]);
		r = ring(mb, seq);
		EXPECT_NE(2, r) TH_LOG("req_len %#x answered with success", lens[i]);
		TH_LOG("req_len %#x: %s", lens[i], r ? "error response" : "no answer");
		seq++;
	}
	/* a frame whose payload length field says more than follows */
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		put_header(mb, 5, seq, lens[i]);
		wr32(mb, OFF_REQ_LEN, 24 + 16);
		EXPECT_EQ(1, ring(mb, seq)) TH_LOG("payload length %#x", lens[i]);
		seq++;
	}
	EXPECT_EQ(2, ping(mb, seq));
	munmap((void *)mb, MB_SIZE);
}

TEST(garbage_and_torn_frames_are_refused)
{
	static uint8_t junk[8192];
	volatile uint8_t *mb;
	unsigned int i, j;
	uint16_t type;
	uint64_t seq;

	if (!hyp())
		SKIP(return, "placement kernel: no mailbox");
	mb = map_bar();
	ASSERT_NE(NULL, mb);
	seq = far_seq(mb);
	/* random bytes of random lengths */
	for (i = 0; i < 20; i++) {
		uint32_t len;

		vt_random(&len, sizeof(len));
		len = 1 + len % sizeof(junk);
		vt_random(junk, len);
		for (j = 0; j < len; j++)
			mb[MB_CTRL + j] = junk[j];
		wr32(mb, OFF_REQ_LEN, len);
		EXPECT_EQ(1, ring(mb, seq)) TH_LOG("garbage frame %u (%u bytes)", i, len);
		seq++;
	}
	for (type = 0; type <= 9; type++) {
		/* a request id that is not the doorbell's: a torn frame */
		put_header(mb, type, seq + 7, 0);
		wr32(mb, OFF_REQ_LEN, 24);
		EXPECT_EQ(1, ring(mb, seq)) TH_LOG("torn id, type %u", type);
		seq++;
		/* the response bit on a request */
		put_header(mb, type | 0x8000, seq, 3);
		wr32(mb, OFF_REQ_LEN, 27);
		EXPECT_EQ(1, ring(mb, seq)) TH_LOG("response bit, type %u", type);
		seq++;
		/* 16 bytes of payload: a handle no key has, for the types that take one */
		put_header(mb, type, seq, 16);
		for (j = 0; j < 16; j++)
			mb[MB_CTRL + 24 + j] = 0xa5;
		wr32(mb, OFF_REQ_LEN, 24 + 16);
		EXPECT_EQ(1, ring(mb, seq)) TH_LOG("unknown handle, type %u", type);
		seq++;
	}
	EXPECT_EQ(2, ping(mb, seq));
	munmap((void *)mb, MB_SIZE);
}

/* A child scribbles over the doorbell, length and frame for @ms. */
static pid_t scribbler(volatile uint8_t *mb, uint64_t seq, unsigned int ms)
{
	pid_t pid = fork();
	uint64_t end;

	if (pid)
		return pid;
	end = vt_boot_ms() + ms;
	while (vt_boot_ms() < end) {
		uint32_t x;

		vt_random(&x, sizeof(x));
		switch (x % 4) {
		case 0:
			wr32(mb, OFF_REQ_LEN, x);
			break;
		case 1:
			mb[MB_CTRL + (x >> 8) % 64] = (uint8_t)x;
			break;
		case 2:
			wr64(mb, OFF_REQ_SEQ, seq++);
			break;
		default:
			wr64(mb, OFF_REQ_SEQ, rd64(mb, OFF_REQ_SEQ) + (x & 1));
			break;
		}
	}
	_exit(0);
}

TEST(races_between_writers)
{
	unsigned int n = 0, answered[3] = { 0 }, i;
	volatile uint8_t *mb;
	uint64_t seq, end;
	pid_t pid;
	int st;

	if (!hyp())
		SKIP(return, "placement kernel: no mailbox");
	mb = map_bar();
	ASSERT_NE(NULL, mb);
	seq = far_seq(mb);
	pid = scribbler(mb, seq + (1ull << 32), 4000);
	ASSERT_GT(pid, 0);
	end = vt_boot_ms() + 4000;
	while (vt_boot_ms() < end) {
		answered[ping_wait(mb, seq++, 100)]++;
		n++;
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("%u PINGs under the race: %u answered, %u refused, %u not answered",
	       n, answered[2], answered[1], answered[0]);
	EXPECT_GT(answered[1] + answered[2], 0);
	/* the race over: every PING answered */
	seq = far_seq(mb);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(2, ping(mb, seq + i));
	munmap((void *)mb, MB_SIZE);
}

TEST(reloaded_module_finds_the_same_enclave_serving)
{
	struct vmshield_enclave_report rep;
	const char *ko = getenv("VMSHIELD_MODULE");
	struct vmshield_info info;
	uint8_t pk[32];
	char cmd[512];
	long serial;
	FILE *f;
	int fd;

	if (!hyp())
		SKIP(return, "placement kernel: no mailbox");
	ASSERT_NE(NULL, ko);
	f = fopen(PK_FILE, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fread(pk, 32, 1, f));
	fclose(f);
	ASSERT_EQ(0, system("rmmod vmshield"));
	snprintf(cmd, sizeof(cmd), "insmod '%s'", ko);
	ASSERT_EQ(0, system(cmd));
	fd = vt_open_dev();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vms_get_info(fd, &info));
	EXPECT_EQ(VMSHIELD_PLACEMENT_HYPERVISOR, info.placement);
	EXPECT_EQ(0, memcmp(pk, info.enclave_pk, 32))
		TH_LOG("the enclave has another key: it died or restarted");
	serial = load_new_key(info.enclave_pk);
	ASSERT_GT(serial, 0);
	EXPECT_EQ(0, seal_unseal(fd, serial));
	memset(&rep, 0, sizeof(rep));
	vt_random(rep.nonce, sizeof(rep.nonce));
	EXPECT_EQ(0, ioctl(fd, VMSHIELD_IOC_ENCLAVE_REPORT, &rep));
	close(fd);
}

TEST_HARNESS_MAIN
