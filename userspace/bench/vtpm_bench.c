// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_bench.c - TPM commands per second through the vTPM in the enclave
 * against the worker-local vTPM, in the same run, on this machine:
 *
 *  - enclave path: vmshield-worker serve --vtpm-in-enclave's code
 *    (vtpm_remote.c) over a stand-in for vmshield.ko
 *    (tests/vtpm_standin.c) that frames each call on the channel (a
 *    socketpair, the vsock transport's stand-in) to vmshield-enclaved's
 *    core serving it from a thread, which runs the command in the VM's
 *    vTPM process (libtpms) and, when the state changed, seals it; the
 *    worker writes the sealed state atomically (fsync) and confirms
 *    before it has the answer;
 *  - local path (the baseline): vmshield-worker serve's own code,
 *    libtpms in this process, a changed state sealed with the same format
 *    and written the same way before the answer.
 *
 * GetRandom(32) and PCR_Extend change no NV; NV_Write (32 bytes) does.
 *
 * With --device SERIAL (in a guarded host in placement hypervisor:
 * selftests/kmod/bench_vtpm.sh) both paths go through the real module:
 * the enclave path through VMSHIELD_IOC_VTPM and the mailbox to
 * vmshield-enclaved on the outer machine, the local path seals through
 * VMSHIELD_IOC_SEAL (the same mailbox) as a worker-local vTPM does there;
 * the baseline round trip is GET_INFO (the enclave's INFO). Not a test:
 * prints ratios enclave/local, asserts nothing about time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <libtpms/tpm_library.h>

#include "persist.h"
#include "sealer_dev.h"
#include "sealedstate.h"
#include "vmshield.h"
#include "vms_compiler.h"
#include "vtpm.h"
#include "vtpm_ctrl.h"
#include "vtpm_remote.h"
#include "vtpm_standin.h"

#define MIN_SECONDS	0.3
#define ROUNDS		3

static const uint8_t vm_id[16] = "vm-id-for-bench!";
static const uint8_t key_id[16] = "key-id-for-bench";
static const uint8_t tk[32] = "TK-for-the-vtpm-bench-only-here!";
static char dir[64], local_path[128], enclave_path[128];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "vtpm_bench: %s failed\n", what);
	exit(1);
}

/* --- the commands ----------------------------------------------------------- */

static const uint8_t get_random32[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 32
};
static const uint8_t pw[] = { 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0 };
static uint8_t pcr_extend[96], nv_define[96], nv_write[96];
static size_t pcr_extend_len, nv_define_len, nv_write_len;

static void build_commands(void)
{
	static const uint8_t pub[] = {
		0, 0, 0, 14, 0x01, 0x50, 0, 0x20, 0, 0x0b, 0, 0x06, 0, 0x06, 0, 0, 0, 32,
	};
	size_t n;

	/* PCR_Extend(16, sha256: 32 bytes) with the owner's empty password */
	n = 10;
	vms_put_be32(pcr_extend + n, 16);
	memcpy(pcr_extend + n + 4, pw, sizeof(pw));
	n += 4 + sizeof(pw);
	vms_put_be32(pcr_extend + n, 1);
	vms_put_be16(pcr_extend + n + 4, 0x000b);
	memset(pcr_extend + n + 6, 0x5a, 32);
	pcr_extend_len = n + 38;
	/* NV_DefineSpace(0x01500020, 32 bytes), NV_Write of 32 bytes */
	n = 10;
	vms_put_be32(nv_define + n, 0x40000001);
	memcpy(nv_define + n + 4, pw, sizeof(pw));
	n += 4 + sizeof(pw);
	memcpy(nv_define + n, pub, sizeof(pub));
	nv_define_len = n + sizeof(pub);
	n = 10;
	vms_put_be32(nv_write + n, 0x40000001);
	vms_put_be32(nv_write + n + 4, 0x01500020);
	memcpy(nv_write + n + 8, pw, sizeof(pw));
	n += 8 + sizeof(pw);
	vms_put_be16(nv_write + n, 32);
	n += 2 + 32 + 2;
	nv_write_len = n;
	for (n = 0; n < 3; n++) {
		uint8_t *c = n == 0 ? pcr_extend : n == 1 ? nv_define : nv_write;
		size_t l = n == 0 ? pcr_extend_len : n == 1 ? nv_define_len : nv_write_len;
		uint32_t cc = n == 0 ? 0x182 : n == 1 ? 0x12a : 0x137;

		c[0] = 0x80;
		c[1] = 0x02;
		vms_put_be32(c + 2, (uint32_t)l);
		vms_put_be32(c + 6, cc);
	}
}

/* NV_Write's data changes every time, so every write changes NV. */
static void next_nv_data(uint64_t i)
{
	vms_put_be64(nv_write + nv_write_len - 2 - 32, i);
}

/* --- the local path: vmshield-worker serve's code, a sealer in process ---- */

struct bench_sealer {
	struct sealer ops;
	struct vms_seal_key key;
};

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int b_seal(struct sealer *s, uint64_t generation, const uint8_t *pt,
		  size_t len, uint8_t **blob, size_t *blob_len)
{
	struct bench_sealer *b = (struct bench_sealer *)s;
	size_t n = vms_ss_size(len);
	int r;

	*blob = malloc(n);
	if (!*blob)
		return -ENOMEM;
	r = vms_ss_seal(&b->key, boot_ns(), generation, pt, len, *blob, n);
	if (r) {
		free(*blob);
		return r;
	}
	*blob_len = n;
	return 0;
}

static const char *b_strerror(struct sealer *s, int sealing, int err)
{
	(void)s;
	(void)sealing;
	return strerror(-err);
}

static struct bench_sealer sealer = { .ops = { .seal = b_seal, .strerror = b_strerror } };
static struct dev_sealer dev_sealer;	/* --device: SEAL through the module */
static struct persist local_persist = { .sealer = &sealer.ops };
static int dev_fd = -1;
static struct vtpm_srv local;

static void local_cmd(const uint8_t *c, size_t len)
{
	const uint8_t *resp;
	size_t rlen;

	if (vtpm_srv_command(&local, c, len, &resp, &rlen) || rlen < 10 ||
	    vms_get_be32(resp + 6))
		die("a local TPM command");
	vtpm_srv_wipe_response(&local);
}

static void local_start(void)
{
	local_persist.path = local_path;
	if (vms_seal_key_init(&sealer.key, tk, vm_id, key_id, 0, boot_ns()))
		die("the local seal key");
	vtpm_srv_init(&local, &local_persist, vm_id);
	if (vtpm_prepare() || vtpm_srv_start_now(&local, 1))
		die("the local vTPM");
	local_cmd(nv_define, nv_define_len);
}

/* --- the enclave path: serve --vtpm-in-enclave's code, a stand-in module -- */

static struct vtpm_remote remote = { .call = vtpm_standin_call, .fd = -1 };

static void enclave_cmd(const uint8_t *c, size_t len)
{
	const uint8_t *resp;
	size_t rlen;

	if (vtpm_remote_command(&remote, c, len, &resp, &rlen) || rlen < 10 ||
	    vms_get_be32(resp + 6))
		die("a TPM command in the enclave");
}

static void enclave_start(void)
{
	remote.path = enclave_path;
	if (vtpm_remote_start(&remote, NULL, 0) ||
	    vtpm_remote_start_now(&remote, 1))
		die("the vTPM in the enclave");
	enclave_cmd(nv_define, nv_define_len);
}

/* The channel alone: a PING through the same socketpair and thread. */
static void ping_cmd(const uint8_t *c, size_t len)
{
	(void)c;
	(void)len;
	if (vtpm_standin_ping())
		die("PING");
}

/* --device: the mailbox alone, GET_INFO (the enclave answers INFO). */
static void info_cmd(const uint8_t *c, size_t len)
{
	struct vmshield_info info = { 0 };

	(void)c;
	(void)len;
	if (ioctl(dev_fd, VMSHIELD_IOC_GET_INFO, &info))
		die("GET_INFO");
}

/* --device SERIAL: both paths through /dev/vmshield with that key. */
static void use_device(const char *serial)
{
	char *end;
	long k = strtol(serial, &end, 10);

	if (*end || k <= 0)
		die("--device wants a key serial");
	dev_fd = open("/dev/vmshield", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("open /dev/vmshield");
	dev_sealer_init(&dev_sealer, dev_fd, (key_serial_t)k);
	local_persist.sealer = &dev_sealer.ops;
	remote.call = vtpm_remote_ioctl;
	remote.fd = dev_fd;
	remote.key = (int32_t)k;
}

/* --- the measurement ------------------------------------------------------ */

typedef void (*cmd_fn)(const uint8_t *c, size_t len);

/* Commands per second, the best of ROUNDS runs of >= MIN_SECONDS. */
static double rate(cmd_fn f, const uint8_t *c, size_t len, bool nv)
{
	double best = 0;
	uint64_t i = 0;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_s(), t;
		uint64_t n = 0;

		do {
			if (nv)
				next_nv_data(++i);
			f(nv ? nv_write : c, nv ? nv_write_len : len);
			n++;
			t = now_s() - t0;
		} while (t < MIN_SECONDS);
		if (n / t > best)
			best = n / t;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const uint8_t *cmd;
		size_t *len;
		size_t fixed;
		bool nv;
	} cmds[] = {
		{ "GetRandom(32)", get_random32, NULL, sizeof(get_random32), false },
		{ "PCR_Extend", pcr_extend, &pcr_extend_len, 0, false },
		{ "NV_Write(32)", NULL, NULL, 0, true },
	};
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--device"))
		use_device(argv[2]);
	else if (argc != 1)
		die("arguments (none, or --device KEY_SERIAL)");
	/* the spawner before libtpms runs in this process (vtpm_child.h) */
	if (dev_fd < 0 && vtpm_standin_start(vm_id, key_id, tk))
		die("the enclave");
	strcpy(dir, "/tmp/vms-vtpm-bench-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(local_path, sizeof(local_path), "%s/local.sealed", dir);
	snprintf(enclave_path, sizeof(enclave_path), "%s/enclave.sealed", dir);
	build_commands();
	local_start();
	enclave_start();
	printf("== vTPM: TPM commands per second, vmshield-worker's code both ways, same run: enclave path (%s + vTPM process; a changed state sealed, stored, confirmed) vs worker-local (libtpms in process; a changed state sealed%s, stored). QEMU's hop to the worker is in neither: the ratios are a lower bound\n",
	       dev_fd < 0 ? "channel" : "vmshield.ko, the mailbox",
	       dev_fd < 0 ? "" : " through the mailbox");
	if (dev_fd < 0)
		printf("bench: vtpm channel PING %9.0f/s (the channel's own round trip)\n",
		       rate(ping_cmd, NULL, 0, false));
	else
		printf("bench: vtpm mailbox GET_INFO %9.0f/s (the mailbox's own round trip)\n",
		       rate(info_cmd, NULL, 0, false));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		size_t len = cmds[i].len ? *cmds[i].len : cmds[i].fixed;
		double lr = rate(local_cmd, cmds[i].cmd, len, cmds[i].nv);
		double er = rate(enclave_cmd, cmds[i].cmd, len, cmds[i].nv);

		printf("bench: vtpm %-14s local %9.0f/s  enclave %9.0f/s  ratio %.2f\n",
		       cmds[i].name, lr, er, er / lr);
	}
	vtpm_remote_stop(&remote);
	if (dev_fd < 0)
		vtpm_standin_stop();
	else
		close(dev_fd);
	vtpm_srv_release(&local);
	vtpm_stop();
	vms_seal_key_wipe(&sealer.key);
	unlink(local_path);
	unlink(enclave_path);
	rmdir(dir);
	return 0;
}
