// SPDX-License-Identifier: GPL-2.0
/*
 * hypervisor_test - the enclave placement as the rig booted it
 * (selftests/vm/run --placement kernel|hypervisor; VMS_PLACEMENT says
 * which), and the decisive secrecy test of issue 15.
 *
 *  - GET_INFO names the placement the rig set up (hypervisor: level
 *    hypervisor, the 1 MiB cap);
 *  - a release loads, state seals and unseals through the enclave, and the
 *    blob opens in userspace with the TK (the enclave really used it);
 *  - ENCLAVE_REPORT: a signed report naming the nonce and the enclave key
 *    (hypervisor), EOPNOTSUPP (kernel);
 *  - kcore_scan: at lockdown none, root reads all of RAM through
 *    /proc/kcore and searches for the TK, the per-VM seal key (the HKDF
 *    PRK the enclave derives from it) and the enclave's X25519 secret key
 *    (32 bytes next to an occurrence of the public key whose X25519
 *    product is that public key). Placement kernel is the positive
 *    control: the PRK and the secret key must be found. Placement
 *    hypervisor: none of them may be;
 *  - module_memory_walk: the same search by kernel code, as root's own
 *    module would do it (selftests/kmod/memwalk: the direct map over every
 *    RAM range page by page, and every vmalloc() area), with the same
 *    positive control; the walker refuses bad parameters;
 *  - enclave faults (hypervisor, through the rig's VMS_ENCLAVE_CTL lever):
 *    hung (SIGSTOP) or killed, every call fails closed with EHOSTDOWN and
 *    returns; resumed, it works again; restarted, old keys answer
 *    EKEYREVOKED and GET_INFO names the new key.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define STATE_LEN 4096

static bool hyp(void)
{
	const char *p = getenv("VMS_PLACEMENT");

	return p && !strcmp(p, "hypervisor");
}

FIXTURE(hv) {
	int fd;
	struct vmshield_info info;
	struct vt_vm vm;
	long serial;
};

FIXTURE_SETUP(hv)
{
	struct vt_release rel;

	self->fd = vt_open_dev();
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	ASSERT_EQ(0, vt_vm_new(&self->vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600));
	ASSERT_EQ(0, vt_release_build(&self->vm, self->info.enclave_pk, NULL, 0, &rel));
	self->serial = vt_add(self->vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	ASSERT_GT(self->serial, 0) TH_LOG("add_key: %s", strerror((int)-self->serial));
}

FIXTURE_TEARDOWN(hv)
{
	close(self->fd);
}

static int seal_unseal(int fd, long serial, const struct vt_vm *vm)
{
	static uint8_t pt[STATE_LEN], blob[STATE_LEN + 96], back[STATE_LEN];
	size_t n = sizeof(blob), m = sizeof(back);
	uint64_t gen = 0;
	int r;

	vt_random(pt, sizeof(pt));
	r = vt_seal(fd, (key_serial_t)serial, 5, pt, sizeof(pt), blob, &n);
	if (r)
		return r;
	r = vt_unseal(fd, (key_serial_t)serial, blob, n, back, &m, &gen);
	if (r)
		return r;
	if (m != sizeof(pt) || memcmp(back, pt, m) || gen != 5)
		return -EBADE;
	m = sizeof(back);
	if (vm && vt_us_unseal(vm, blob, n, back, m, &gen))
		return -EBADF;
	return 0;
}

TEST_F(hv, placement_is_what_the_rig_set_up)
{
	if (hyp()) {
		EXPECT_EQ(VMSHIELD_PLACEMENT_HYPERVISOR, self->info.placement);
		EXPECT_EQ(VMSHIELD_ISOLATION_HYPERVISOR, self->info.isolation_level);
		EXPECT_EQ(1U << 20, self->info.max_state_len);
	} else {
		EXPECT_EQ(VMSHIELD_PLACEMENT_KERNEL, self->info.placement);
	}
	EXPECT_FALSE(vms_all_zero(self->info.enclave_pk, 32));
}

TEST_F(hv, state_seals_and_unseals_through_the_enclave)
{
	EXPECT_EQ(0, seal_unseal(self->fd, self->serial, &self->vm));
}

TEST_F(hv, enclave_report)
{
	struct vmshield_enclave_report r;
	char hex[65], line[80];

	memset(&r, 0, sizeof(r));
	vt_random(r.nonce, sizeof(r.nonce));
	if (!hyp()) {
		EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_ENCLAVE_REPORT, &r));
		EXPECT_EQ(EOPNOTSUPP, errno);
		return;
	}
	ASSERT_EQ(0, ioctl(self->fd, VMSHIELD_IOC_ENCLAVE_REPORT, &r)) TH_LOG("%s", strerror(errno));
	ASSERT_LE(r.body_len, sizeof(r.body));
	ASSERT_GE(r.sig_len, 8);
	r.body[r.body_len - 1] = 0;	/* the last "\n" */
	EXPECT_EQ(0, strncmp((char *)r.body, "vmshield-enclave-report v2\nplatform=emulated\n", 45));
	/* the KPS key the enclave accepts, or none yet (formats.md §6) */
	EXPECT_NE(NULL, strstr((char *)r.body, "\nkps_key="));
	vt_hex(r.nonce, 32, hex);
	snprintf(line, sizeof(line), "\nnonce=%s\n", hex);
	EXPECT_NE(NULL, strstr((char *)r.body, line));
	vt_hex(self->info.enclave_pk, 32, hex);
	snprintf(line, sizeof(line), "\nenclave_key=%s\n", hex);
	EXPECT_NE(NULL, strstr((char *)r.body, line));
	EXPECT_NE(NULL, strstr((char *)r.body, "\nplacement=hypervisor\n"));
	/* reserved fields are checked */
	r.reserved0 = 1;
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_ENCLAVE_REPORT, &r));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * What the scan looks for, never in the clear in this process: the first
 * byte of each secret and the rest XORed with a random mask. A child
 * process made the secrets and exited; with init_on_free=1 its pages are
 * zeroed when freed, so what the scan finds is live memory.
 */
struct needles {
	uint8_t mask[32];
	uint8_t tk0, prk0;
	uint8_t tkm[32], prkm[32];
	uint8_t pk[32];
	bool tk_found, prk_found, sk_found;
	unsigned int pk_hits;
};

static bool masked_at(const uint8_t *p, const uint8_t *end, uint8_t first,
		      const uint8_t *masked, const uint8_t *mask)
{
	const uint8_t *q;
	int i;

	for (q = p; (q = memchr(q, first, (size_t)(end - q))); q++) {
		if (end - q < 32)
			return false;
		for (i = 1; i < 32; i++)
			if ((q[i] ^ mask[i]) != masked[i])
				break;
		if (i == 32)
			return true;
	}
	return false;
}

static bool is_secret_of(const uint8_t cand[32], const uint8_t pk[32])
{
	uint8_t pub[32];
	size_t len = sizeof(pub);
	EVP_PKEY *k;
	bool ok;

	if (vms_all_zero(cand, 32))
		return false;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, cand, 32);
	if (!k)
		return false;
	ok = EVP_PKEY_get_raw_public_key(k, pub, &len) && !memcmp(pub, pk, 32);
	EVP_PKEY_free(k);
	return ok;
}

static void scan_chunk(struct needles *n, const uint8_t *p, size_t len, size_t lead)
{
	const uint8_t *q, *end = p + len;

	if (masked_at(p, end, n->tk0, n->tkm, n->mask))
		n->tk_found = true;
	if (masked_at(p, end, n->prk0, n->prkm, n->mask))
		n->prk_found = true;
	for (q = p + lead; (q = memmem(q, (size_t)(end - q), n->pk, 32)); q++) {
		const uint8_t *c;

		n->pk_hits++;
		/* the secret key within 256 bytes of the public one */
		for (c = q - lead; c <= q + 256 && c + 32 <= end; c += 8)
			if (c != q && is_secret_of(c, n->pk))
				n->sk_found = true;
	}
}

static size_t vmalloc_ranges(char *out, size_t len);

enum { CHUNK = 1 << 20, LEAD = 512 };

/* Scan LEN bytes of /proc/kcore from file offset OFF; 0 or -EIO. */
static int scan_range(int fd, struct needles *n, uint8_t *buf, uint64_t off,
		      uint64_t len, uint64_t *bytes)
{
	uint64_t done;

	memset(buf, 0, LEAD);
	for (done = 0; done < len; done += CHUNK) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;
		ssize_t got = pread(fd, buf + LEAD, want, (off_t)(off + done));

		if (got <= 0)
			break;
		scan_chunk(n, buf, LEAD + (size_t)got, LEAD);
		*bytes += (uint64_t)got;
		memmove(buf, buf + (size_t)got, LEAD);
	}
	return 0;
}

/*
 * Scan segment PH, but of the modules window (the segment that holds
 * vmalloc() areas: about 1 GiB, almost all of it unmapped, which kcore
 * reads as zeros and TCG took seconds to copy and search) only the areas
 * vmalloc() made, as /proc/vmallocinfo lists them in V. A segment with
 * none (RAM, the kernel image) is scanned whole, as is every segment when
 * V is empty.
 */
static int scan_segment(int fd, struct needles *n, uint8_t *buf, const Elf64_Phdr *ph,
			const char *v, uint64_t *bytes)
{
	uint64_t lo = ph->p_vaddr, hi = ph->p_vaddr + ph->p_memsz;
	const char *p = v;
	bool any = false;

	while (p && *p) {
		unsigned long long a, b;
		char *e;

		a = strtoull(p, &e, 16);
		if (*e != '-')
			break;
		b = strtoull(e + 1, &e, 16);
		if (a >= lo && b <= hi && a < b) {
			any = true;
			scan_range(fd, n, buf, ph->p_offset + (a - lo), b - a, bytes);
		}
		p = *e == ',' ? e + 1 : NULL;
	}
	if (!any)
		scan_range(fd, n, buf, ph->p_offset, ph->p_memsz, bytes);
	return 0;
}

/* Read the RAM segments of /proc/kcore and scan them; 0 or -errno. */
static int scan_kcore(struct needles *n, uint64_t *bytes)
{
	enum { VLEN = 1 << 20 };
	uint8_t *buf = malloc(CHUNK + LEAD);
	char *v = calloc(1, VLEN);
	Elf64_Ehdr eh;
	int fd, i;

	*bytes = 0;
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0 || !buf || !v)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return -EIO;
	vmalloc_ranges(v, VLEN);
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof(ph))
			return -EIO;
		/*
		 * RAM (the direct map), the kernel image and the modules area;
		 * not the vmalloc and vmemmap windows (terabytes, and what
		 * vmalloc holds here is plaintext state in transit, never a key)
		 */
		if (ph.p_type != PT_LOAD || ph.p_memsz > (4ULL << 30))
			continue;
		scan_segment(fd, n, buf, &ph, v, bytes);
	}
	close(fd);
	free(buf);
	free(v);
	return 0;
}

struct child_out {
	long serial;
	uint8_t tk0, prk0;
	uint8_t tkm[32], prkm[32];
};

/* The child: make a VM key, load it, hand over only masked needles. */
static void make_key(int wfd, const uint8_t pk[32], const uint8_t mask[32])
{
	static const char salt[] = "vmshield sealed-state v1";
	struct child_out o;
	struct vt_release rel;
	struct vt_vm vm;
	uint8_t prk[32];
	unsigned int len = 32;
	int i;

	memset(&o, 0, sizeof(o));
	if (vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600) ||
	    vt_release_build(&vm, pk, NULL, 0, &rel))
		_exit(1);
	o.serial = vt_add(vm.desc, &rel, KEY_SPEC_SESSION_KEYRING);
	if (!HMAC(EVP_sha256(), salt, (int)strlen(salt), vm.tk, 32, prk, &len))
		_exit(1);
	o.tk0 = vm.tk[0];
	o.prk0 = prk[0];
	for (i = 0; i < 32; i++) {
		o.tkm[i] = vm.tk[i] ^ mask[i];
		o.prkm[i] = prk[i] ^ mask[i];
	}
	OPENSSL_cleanse(&vm, sizeof(vm));
	OPENSSL_cleanse(prk, sizeof(prk));
	_exit(write(wfd, &o, sizeof(o)) == sizeof(o) ? 0 : 1);
}

static bool freed_pages_zeroed(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "init_on_free=1") != NULL;
}

/*
 * A child makes a VM key, loads it into this session and hands over only
 * masked needles; the key is used once (its seal key derived). 0 or -errno.
 */
static int prepare_needles(int fd, const uint8_t pk[32], struct needles *n, long *serial)
{
	struct child_out o;
	int pfd[2], st, r = 0;
	pid_t pid;

	memset(n, 0, sizeof(*n));
	vt_random(n->mask, sizeof(n->mask));
	memcpy(n->pk, pk, 32);
	/* a session keyring the child inherits, so this process possesses its key */
	if (keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 1) < 0 || pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(pfd[0]);
		make_key(pfd[1], n->pk, n->mask);
	}
	close(pfd[1]);
	if (read(pfd[0], &o, sizeof(o)) != sizeof(o))
		r = -EIO;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || st)
		r = -ECHILD;
	if (r)
		return r;
	if (o.serial <= 0)
		return (int)o.serial ?: -ENOKEY;
	n->tk0 = o.tk0;
	n->prk0 = o.prk0;
	memcpy(n->tkm, o.tkm, 32);
	memcpy(n->prkm, o.prkm, 32);
	*serial = o.serial;
	/* the key is used: the seal key is derived and working */
	return seal_unseal(fd, o.serial, NULL);
}

/* about 1 GiB of /proc/kcore under TCG (RAM, the kernel image, the loaded modules) */
TEST_F_TIMEOUT(hv, kcore_scan, 300)
{
	struct needles n;
	uint64_t bytes;
	long serial;

	if (!freed_pages_zeroed())
		SKIP(return, "boot with init_on_free=1 (selftests/vm/run --append init_on_free=1)");
	ASSERT_EQ(0, prepare_needles(self->fd, self->info.enclave_pk, &n, &serial));

	ASSERT_EQ(0, scan_kcore(&n, &bytes)) TH_LOG("/proc/kcore: lockdown must be none");
	TH_LOG("scanned %llu MiB: tk %d, seal key %d, enclave secret key %d, public key seen %u times",
	       (unsigned long long)(bytes >> 20), n.tk_found, n.prk_found, n.sk_found, n.pk_hits);
	ASSERT_GT(bytes, 64ULL << 20);
	if (hyp()) {
		EXPECT_FALSE(n.tk_found);
		EXPECT_FALSE(n.prk_found);
		EXPECT_FALSE(n.sk_found);
	} else {
		/* the positive control: the scan does find what the kernel holds */
		EXPECT_TRUE(n.prk_found);
		EXPECT_TRUE(n.sk_found);
	}
}

/* "NAME:" + the first byte and the 31 masked bytes, in hex */
static int needle_param(char *out, size_t len, const char *name, uint8_t first,
			const uint8_t masked[32])
{
	char hex[65];
	uint8_t b[32];

	memcpy(b, masked, 32);
	b[0] = first;
	vt_hex(b, 32, hex);
	return snprintf(out, len, "%s:%s", name, hex);
}

static void sysctl_write(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

/*
 * vmalloc areas from /proc/vmallocinfo for the walker: only those
 * vmalloc() made (not ioremap'ed device memory, not vmap'ed pages of
 * unknown kind), without the guard page. Appends ",START-END" items.
 */
static size_t vmalloc_ranges(char *out, size_t len)
{
	char line[512], was[8] = "";
	size_t used = 0;
	FILE *f;

	/* %pK: real addresses for root only at kptr_restrict 1, hashed at 0 */
	f = fopen("/proc/sys/kernel/kptr_restrict", "r+");
	if (!f)
		return 0;
	if (!fgets(was, sizeof(was), f) || fseek(f, 0, SEEK_SET) || fputs("1\n", f) < 0) {
		fclose(f);
		return 0;
	}
	fclose(f);
	f = fopen("/proc/vmallocinfo", "r");
	if (!f) {
		sysctl_write("/proc/sys/kernel/kptr_restrict", was);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pages;
		const char *p = strstr(line, " pages=");
		int w;

		if (!strstr(line, " vmalloc") || strstr(line, "ioremap") || !p ||
		    sscanf(line, "0x%llx-0x%llx", &start, &end) != 2 ||
		    sscanf(p, " pages=%llu", &pages) != 1 || !pages)
			continue;
		w = snprintf(out + used, len - used, "%s%llx-%llx", used ? "," : "",
			     start, start + pages * 4096);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	fclose(f);
	/* printed at read time, so put it back only now */
	sysctl_write("/proc/sys/kernel/kptr_restrict", was);
	return used;
}

struct walk_result {
	unsigned long tk, prk, sk, pk, pages, unreadable, vpages;
};

/* Load the walker with the needles, take its verdict, unload it. */
static int run_memwalk(const char *ko, const struct needles *n, struct walk_result *res)
{
	enum { PARAMS = 1 << 20 };
	char *params = malloc(PARAMS), hex[65], line[512] = "";
	size_t used;
	FILE *f;
	int fd, r = 0;

	if (!params)
		return -ENOMEM;
	vt_hex(n->mask, 32, hex);
	used = (size_t)snprintf(params, PARAMS, "mask=%s needles=", hex);
	used += (size_t)needle_param(params + used, PARAMS - used, "tk", n->tk0, n->tkm);
	used += (size_t)snprintf(params + used, PARAMS - used, ",");
	used += (size_t)needle_param(params + used, PARAMS - used, "prk", n->prk0, n->prkm);
	vt_hex(n->pk, 32, hex);
	used += (size_t)snprintf(params + used, PARAMS - used, " pk=%s vranges=", hex);
	if (!vmalloc_ranges(params + used, PARAMS - used))
		params[used - strlen(" vranges=")] = 0;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, params, 0))
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(params);
	if (r)
		return r;
	f = fopen("/sys/module/vms_memwalk/parameters/result", "r");
	if (!f || !fgets(line, sizeof(line), f))
		r = -EIO;
	if (f)
		fclose(f);
	if (syscall(SYS_delete_module, "vms_memwalk", O_NONBLOCK))
		r = r ?: -errno;
	if (!r && sscanf(line, "tk=%lu prk=%lu sk=%lu pk=%lu pages=%lu unreadable=%lu vpages=%lu",
			 &res->tk, &res->prk, &res->sk, &res->pk, &res->pages,
			 &res->unreadable, &res->vpages) != 7)
		r = -EBADMSG;
	return r;
}

/* The walker next to this program: the tree's build always has it. */
static int memwalk_path(char *out, size_t len, bool *in_tree)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	exe[n] = 0;
	*in_tree = strstr(exe, "/build/selftests/") != NULL;
	slash = strrchr(exe, '/');
	*slash = 0;
	if (strlen(exe) + sizeof("/vms_memwalk.ko") > len)
		return -ENAMETOOLONG;
	strcpy(out, exe);
	strcat(out, "/vms_memwalk.ko");
	return access(out, R_OK) ? -errno : 0;
}

/*
 * Root with kernel code execution: a module (selftests/kmod/memwalk) walks
 * the direct map over every RAM range, page by page, and every vmalloc()
 * area, for the TK, the per-VM seal key and the enclave's secret key.
 * Placement kernel is its positive control; hypervisor: nothing found.
 */
TEST_F_TIMEOUT(hv, module_memory_walk, 300)
{
	struct walk_result res = { 0 };
	char ko[PATH_MAX];
	struct needles n;
	bool in_tree;
	long serial;
	int r;

	if (!freed_pages_zeroed())
		SKIP(return, "boot with init_on_free=1 (selftests/vm/run --append init_on_free=1)");
	r = memwalk_path(ko, sizeof(ko), &in_tree);
	if (r && !in_tree)
		SKIP(return, "vms_memwalk.ko is test-only and not installed");
	ASSERT_EQ(0, r) TH_LOG("%s: %s (make selftests builds it)", ko, strerror(-r));
	ASSERT_EQ(0, prepare_needles(self->fd, self->info.enclave_pk, &n, &serial));

	r = run_memwalk(ko, &n, &res);
	ASSERT_EQ(0, r) TH_LOG("vms_memwalk: %s (lockdown must be none)", strerror(-r));
	TH_LOG("walked %lu MiB of RAM (%lu pages unreadable) and %lu MiB of vmalloc: tk %lu, seal key %lu, enclave secret key %lu, public key seen %lu times",
	       res.pages >> 8, res.unreadable, res.vpages >> 8, res.tk, res.prk, res.sk, res.pk);
	ASSERT_GT(res.pages, 16384UL);
	ASSERT_GT(res.vpages, 0UL);
	/* the public key is not secret: it is in memory in either placement */
	EXPECT_GT(res.pk, 0UL);
	if (hyp()) {
		EXPECT_EQ(0UL, res.tk);
		EXPECT_EQ(0UL, res.prk);
		EXPECT_EQ(0UL, res.sk);
	} else {
		EXPECT_GT(res.prk, 0UL);
		EXPECT_GT(res.sk, 0UL);
	}
	/* the key is still there and still works */
	EXPECT_EQ(0, seal_unseal(self->fd, serial, NULL));
}

/* The walker refuses what it cannot parse, and stays out of the kernel. */
TEST(memwalk_bad_parameters)
{
	char z[65], bad[5][320];
	char ko[PATH_MAX];
	bool in_tree;
	size_t i;
	int fd;

	if (memwalk_path(ko, sizeof(ko), &in_tree)) {
		ASSERT_FALSE(in_tree) TH_LOG("%s missing (make selftests builds it)", ko);
		SKIP(return, "vms_memwalk.ko is test-only and not installed");
	}
	memset(z, '0', 64);
	z[64] = 0;
	/* none at all; short; not hex; a needle without a name; not vmalloc space */
	snprintf(bad[0], sizeof(bad[0]), "%s", "");
	snprintf(bad[1], sizeof(bad[1]), "mask=00 needles=tk:00");
	snprintf(bad[2], sizeof(bad[2]), "mask=zz%.62s needles=tk:%s", z, z);
	snprintf(bad[3], sizeof(bad[3]), "mask=%s needles=%s", z, z);
	snprintf(bad[4], sizeof(bad[4]), "mask=%s needles=tk:%s vranges=1000-2000", z, z);
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, syscall(SYS_finit_module, fd, bad[i], 0)) TH_LOG("%s", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", bad[i]);
		EXPECT_NE(0, access("/sys/module/vms_memwalk", F_OK));
	}
	close(fd);
}

/* Pull the rig's lever and wait for its acknowledgement. */
static int enclave_ctl(const char *word)
{
	const char *ctl = getenv("VMS_ENCLAVE_CTL");
	char ack[256], got[32] = "";
	int i, fd;

	snprintf(ack, sizeof(ack), "%s.ack", ctl);
	unlink(ack);
	fd = open(ctl, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, word, strlen(word)) != (ssize_t)strlen(word))
		return -EIO;
	close(fd);
	for (i = 0; i < 300; i++) {
		fd = open(ack, O_RDONLY);
		if (fd >= 0) {
			ssize_t r = read(fd, got, sizeof(got) - 1);

			close(fd);
			if (r > 0)
				return 0;
		}
		usleep(100000);
	}
	return -ETIMEDOUT;
}

TEST_F(hv, enclave_faults_fail_closed)
{
	struct vmshield_info info;
	uint8_t old_pk[32];

	if (!hyp())
		SKIP(return, "placement kernel");
	ASSERT_EQ(0, seal_unseal(self->fd, self->serial, NULL));
	/* hung: every call returns EHOSTDOWN (the bound), GET_INFO too */
	ASSERT_EQ(0, enclave_ctl("stop"));
	EXPECT_EQ(-EHOSTDOWN, seal_unseal(self->fd, self->serial, NULL));
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &(struct vmshield_info){ 0 }));
	EXPECT_EQ(EHOSTDOWN, errno);
	/* resumed: the same key works again (late answers were ignored) */
	ASSERT_EQ(0, enclave_ctl("cont"));
	EXPECT_EQ(0, seal_unseal(self->fd, self->serial, NULL));
	/* killed */
	ASSERT_EQ(0, enclave_ctl("kill"));
	EXPECT_EQ(-EHOSTDOWN, seal_unseal(self->fd, self->serial, NULL));
	/* restarted: a new enclave key; the old key is gone for good */
	memcpy(old_pk, self->info.enclave_pk, 32);
	ASSERT_EQ(0, enclave_ctl("restart"));
	ASSERT_EQ(0, vms_get_info(self->fd, &info));
	EXPECT_NE(0, memcmp(old_pk, info.enclave_pk, 32));
	EXPECT_EQ(-EKEYREVOKED, seal_unseal(self->fd, self->serial, NULL));
}

TEST_F(hv, garbage_answers_are_refused)
{
	struct vt_release rel;
	struct vt_vm vm;
	int i;

	if (!hyp())
		SKIP(return, "placement kernel");
	/* a release for the sane enclave's challenge, added to the garbage one */
	ASSERT_EQ(0, vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 600));
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0, &rel));
	ASSERT_EQ(0, enclave_ctl("garbage"));
	/* every kind of garbage, several times: refused, nothing used */
	for (i = 0; i < 10; i++) {
		int r = seal_unseal(self->fd, self->serial, NULL);

		EXPECT_TRUE(r == -EPROTO || r == -EHOSTDOWN) TH_LOG("seal: %d", r);
	}
	EXPECT_EQ(-1, ioctl(self->fd, VMSHIELD_IOC_GET_INFO, &(struct vmshield_info){ 0 }));
	EXPECT_TRUE(errno == EPROTO || errno == EHOSTDOWN);
	{
		uint8_t c[32];
		uint64_t ns;
		int r = vt_challenge(vt_kps_sk, c, &ns);

		EXPECT_TRUE(r == -EPROTO || r == -EHOSTDOWN) TH_LOG("challenge: %d", r);
	}
	for (i = 0; i < 5; i++) {
		long r = vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);

		EXPECT_TRUE(r == -EPROTO || r == -EHOSTDOWN) TH_LOG("add_key: %ld", r);
	}
	/* the real enclave back: a new key, working */
	ASSERT_EQ(0, enclave_ctl("sane"));
	ASSERT_EQ(0, vms_get_info(self->fd, &self->info));
	ASSERT_EQ(0, vt_release_build(&vm, self->info.enclave_pk, NULL, 0, &rel));
	self->serial = vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	ASSERT_GT(self->serial, 0);
	EXPECT_EQ(0, seal_unseal(self->fd, self->serial, &vm));
}

TEST_HARNESS_MAIN
