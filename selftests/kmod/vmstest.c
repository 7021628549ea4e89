// SPDX-License-Identifier: GPL-2.0
/*
 * vmstest.c - see vmstest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "vmstest.h"

#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_SIZE_BUFFER	10

void vt_random(void *p, size_t len)
{
	if (RAND_bytes(p, (int)len) != 1)
		abort();
}

void vt_hex(const void *p, size_t len, char *out)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * len] = '\0';
}

int vt_fill_pattern(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	return 0;
}

uint64_t vt_boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vt_vm_new(struct vt_vm *vm, uint32_t policy, uint32_t lifetime_s)
{
	const uint8_t *u;

	memset(vm, 0, sizeof(*vm));
	vt_random(vm->tk, sizeof(vm->tk));
	vt_random(vm->vm_id, sizeof(vm->vm_id));
	vt_random(vm->key_id, sizeof(vm->key_id));
	vm->policy = policy;
	vm->lifetime_s = lifetime_s;
	u = vm->vm_id;
	snprintf(vm->desc, sizeof(vm->desc),
		 "vm:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

/* The tests' KPS key: what the enclave is told to accept, once per load. */
const uint8_t vt_kps_sk[32] = "vmshield-selftest-KPS-key-only!!";

int vt_challenge(const uint8_t kps_sk[32], uint8_t c[32], uint64_t *ns)
{
	struct vmshield_release_challenge a;
	int fd = vt_open_dev(), ret = 0;

	if (fd < 0)
		return fd;
	memset(&a, 0, sizeof(a));
	ret = vms_prim_x25519_base(a.kps_pk, kps_sk);
	if (!ret && ioctl(fd, VMSHIELD_IOC_RELEASE_CHALLENGE, &a))
		ret = -errno;
	close(fd);
	if (!ret) {
		memcpy(c, a.challenge, 32);
		*ns = a.challenge_ns;
	}
	return ret;
}

int vt_release_build_from(const struct vt_vm *vm, const uint8_t enclave_pk[32],
			  const uint8_t kps_sk[32], const uint8_t *digests,
			  unsigned int n, struct vt_release *rel)
{
	struct vms_kr_binding b = {
		.policy = vm->policy,
		.lifetime_s = vm->lifetime_s,
		.n_digests = (u16)n,
		.digests = digests,
		.issued_at = (uint64_t)time(NULL),
	};
	int ret;

	memcpy(b.vm_id, vm->vm_id, sizeof(b.vm_id));
	memcpy(b.key_id, vm->key_id, sizeof(b.key_id));
	rel->len = vms_kr_size(n);
	if (!rel->len)
		return -EINVAL;
	/* as the agent does: the enclave's challenge, naming the KPS key */
	ret = vt_challenge(vt_kps_sk, b.challenge, &b.challenge_ns);
	if (ret) {
		rel->len = 0;
		return ret;
	}
	ret = vms_kr_build(&b, enclave_pk, kps_sk, vm->tk, rel->blob,
			   sizeof(rel->blob));
	if (ret)
		rel->len = 0;
	return ret;
}

int vt_release_build_floor(const struct vt_vm *vm, const uint8_t enclave_pk[32],
			   uint64_t floor, struct vt_release *rel)
{
	struct vms_kr_binding b = {
		.flags = VMS_KR_F_VTPM_FLOOR,
		.policy = vm->policy,
		.lifetime_s = vm->lifetime_s,
		.issued_at = (uint64_t)time(NULL),
		.vtpm_floor = floor,
	};
	int ret;

	memcpy(b.vm_id, vm->vm_id, sizeof(b.vm_id));
	memcpy(b.key_id, vm->key_id, sizeof(b.key_id));
	rel->len = vms_kr_size_flags(0, b.flags);
	ret = vt_challenge(vt_kps_sk, b.challenge, &b.challenge_ns);
	if (!ret)
		ret = vms_kr_build(&b, enclave_pk, vt_kps_sk, vm->tk, rel->blob,
				   sizeof(rel->blob));
	if (ret)
		rel->len = 0;
	return ret;
}

int vt_release_build(const struct vt_vm *vm, const uint8_t enclave_pk[32],
		     const uint8_t *digests, unsigned int n,
		     struct vt_release *rel)
{
	return vt_release_build_from(vm, enclave_pk, vt_kps_sk, digests, n,
				     rel);
}

long vt_add_raw(const char *desc, const void *blob, size_t len,
		key_serial_t ring)
{
	key_serial_t s = add_key("vmshield", desc, blob, len, ring);

	return s < 0 ? -errno : s;
}

long vt_add(const char *desc, const struct vt_release *rel, key_serial_t ring)
{
	return vt_add_raw(desc, rel->blob, rel->len, ring);
}

int vt_open_dev(void)
{
	int fd = open("/dev/vmshield", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vt_enclave_pk(int fd, uint8_t pk[32])
{
	struct vmshield_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, VMSHIELD_IOC_GET_INFO, &info))
		return -errno;
	memcpy(pk, info.enclave_pk, 32);
	return 0;
}

int vt_seal(int fd, key_serial_t serial, uint64_t generation,
	    const void *in, size_t inlen, void *out, size_t *outlen)
{
	struct vmshield_seal a = {
		.key_serial = serial,
		.generation = generation,
		.in_ptr = (uintptr_t)in,
		.in_len = inlen,
		.out_ptr = (uintptr_t)out,
		.out_len = *outlen,
	};
	int ret = ioctl(fd, VMSHIELD_IOC_SEAL, &a) ? -errno : 0;

	if (!ret || ret == -ENOSPC)
		*outlen = a.out_len;
	return ret;
}

int vt_unseal(int fd, key_serial_t serial, const void *in, size_t inlen,
	      void *out, size_t *outlen, uint64_t *generation)
{
	struct vmshield_seal a = {
		.key_serial = serial,
		.in_ptr = (uintptr_t)in,
		.in_len = inlen,
		.out_ptr = (uintptr_t)out,
		.out_len = *outlen,
	};
	int ret = ioctl(fd, VMSHIELD_IOC_UNSEAL, &a) ? -errno : 0;

	if (!ret || ret == -ENOSPC)
		*outlen = a.out_len;
	if (!ret && generation)
		*generation = a.generation;
	return ret;
}

static int vt_seal_key(const struct vt_vm *vm, struct vms_seal_key *k)
{
	/* lifetime 0: no expiry (userspace tools only) */
	return vms_seal_key_init(k, vm->tk, vm->vm_id, vm->key_id, 0, 0);
}

int vt_us_seal(const struct vt_vm *vm, uint64_t generation,
	       const void *pt, size_t ptlen, void *out, size_t outlen)
{
	struct vms_seal_key k;
	int ret = vt_seal_key(vm, &k);

	if (!ret)
		ret = vms_ss_seal(&k, 0, generation, pt, ptlen, out, outlen);
	vms_seal_key_wipe(&k);
	return ret;
}

int vt_us_unseal(const struct vt_vm *vm, const void *blob, size_t len,
		 void *out, size_t outlen, uint64_t *generation)
{
	struct vms_seal_key k;
	int ret = vt_seal_key(vm, &k);

	if (!ret)
		ret = vms_ss_unseal(&k, 0, blob, len, out, outlen, generation);
	vms_seal_key_wipe(&k);
	return ret;
}

long vt_new_ring(const char *name)
{
	key_serial_t s = add_key("keyring", name, NULL, 0,
				 KEY_SPEC_PROCESS_KEYRING);

	return s < 0 ? -errno : s;
}

int vt_proc_keys_line(key_serial_t serial, char *line, size_t size)
{
	FILE *f = fopen("/proc/keys", "r");
	char want[16];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%08x ", (unsigned int)serial);
	while (fgets(line, (int)size, f)) {
		if (!strncmp(line, want, 9)) {
			line[strcspn(line, "\n")] = '\0';
			ret = 0;
			break;
		}
	}
	fclose(f);
	if (ret)
		line[0] = '\0';
	return ret;
}

int vt_key_counters(key_serial_t serial, uint64_t *seals,
		    unsigned int *unseal_failures)
{
	char line[1024];
	const char *p;
	int ret = vt_proc_keys_line(serial, line, sizeof(line));

	if (ret)
		return ret;
	p = strstr(line, " seals ");
	if (!p || sscanf(p, " seals %" SCNu64 " unseal_failures %u", seals,
			 unseal_failures) != 2)
		return -EPROTO;
	return 0;
}

char *vt_dmesg(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

void vt_sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1)
		abort();
}

int vt_sha256_file(const char *path, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t buf[65536];
	unsigned int n = 32;
	ssize_t r;
	int fd, ret = 0;

	if (!ctx)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		EVP_MD_CTX_free(ctx);
		return -errno;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ret = -EIO;
	while (!ret && (r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0)
			ret = -errno;
		else if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			ret = -EIO;
	}
	if (!ret && EVP_DigestFinal_ex(ctx, out, &n) != 1)
		ret = -EIO;
	close(fd);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int vt_report_text(const struct vmshield_info *info, char *buf, size_t size)
{
	struct vms_isolation_report r;

	vms_report_from_info(info, &r);
	return vms_report_format(&r, buf, size);
}

/* Decode lower/upper-case hex; the byte count, or -1. */
static long vt_unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h), i;
	unsigned int v;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

/*
 * Walk the IMA list for PCR 10 entries with digest @d and event name
 * @name: how many there are, and the first one's line number. Critical
 * data is recorded with the ima-buf template ("10 <template hash> ima-buf
 * sha256:<digest> <name> <hex of the buffer>"; the built-in critical_data
 * policy asks for it) or, with a custom policy, ima-ng (no buffer). When
 * the buffer is there, it must hash to the digest too.
 */
static int vt_ima_scan(const uint8_t d[32], const char *name, int *first)
{
	FILE *f = fopen("/sys/kernel/security/ima/ascii_runtime_measurements",
			"r");
	char want[80], hex[65], line[2048];
	char pcr[8], th[130], tmpl[32], dig[90], ev[256], buf[1024];
	uint8_t raw[512], bd[32];
	int n = 0, no = 0, k;
	long bl;

	*first = -ENOENT;
	if (!f)
		return -errno;
	vt_hex(d, 32, hex);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	while (fgets(line, sizeof(line), f)) {
		no++;
		buf[0] = '\0';
		k = sscanf(line, "%7s %129s %31s %89s %255s %1023s", pcr, th,
			   tmpl, dig, ev, buf);
		if (k < 5 || strcmp(pcr, "10") || strcmp(dig, want) ||
		    strcmp(ev, name))
			continue;
		if (!strcmp(tmpl, "ima-buf")) {
			bl = vt_unhex(buf, raw, sizeof(raw));
			if (bl < 0)
				continue;
			vt_sha256(raw, (size_t)bl, bd);
			if (memcmp(bd, d, 32))
				continue;
		} else if (strcmp(tmpl, "ima-ng")) {
			continue;
		}
		if (!n)
			*first = no;
		n++;
	}
	fclose(f);
	return n;
}

int vt_ima_count_digest(const uint8_t d[32], const char *name)
{
	int first;

	return vt_ima_scan(d, name, &first);
}

int vt_ima_line_of(const uint8_t d[32], const char *name)
{
	int first, n = vt_ima_scan(d, name, &first);

	return n < 0 ? n : first;
}

bool vt_mem_has_window(const void *hay, size_t haylen,
		       const void *needle, size_t nlen, size_t win)
{
	const uint8_t *n = needle;
	size_t off;

	if (win > nlen)
		win = nlen;
	for (off = 0; off + win <= nlen; off++)
		if (memmem(hay, haylen, n + off, win))
			return true;
	return false;
}
