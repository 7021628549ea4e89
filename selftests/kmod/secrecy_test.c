// SPDX-License-Identifier: GPL-2.0
/*
 * secrecy_test - host root cannot read a transport key (TK) back.
 *
 * Three processes, so that what is scanned never held the TK:
 *   B (KPS)    builds a key release for a random TK, hands the release to
 *              the test, puts the TK into a pipe nobody reads yet, exits;
 *   W (worker) adds the release as a "vmshield" key, SEALs and UNSEALs
 *              with it, then waits; it also keeps a random canary;
 *   P (root)   the test: tries keyctl read/print/pipe (they fail), reads
 *              /proc/keys, keyctl describe/show/list and the kernel log,
 *              and snapshots every readable mapping of W through
 *              /proc/W/mem. Only then does it read the TK (and the canary)
 *              from the pipes and search every capture for any 8-byte
 *              window of the TK and of the seal-key PRK derived from it
 *              (raw, and as hex in the text captures).
 * The canary must be found in W's snapshot (the scan works), and W's
 * sealed blob must open in userspace with the TK from B (W really used
 * that TK).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

#define STATE_LEN 4096

struct worker_msg {
	key_serial_t serial;
	int status;		/* 0 or -errno of W's own SEAL/UNSEAL */
	uint8_t blob[STATE_LEN + 96];
};

static int read_full(int fd, void *p, size_t len)
{
	uint8_t *b = p;
	ssize_t n;

	while (len) {
		n = read(fd, b, len);
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t len)
{
	return write(fd, p, len) == (ssize_t)len ? 0 : -1;
}

/* Append everything @argv prints (stdout and stderr) to @buf. */
static int run_capture(char *const argv[], char **buf, size_t *len)
{
	int p[2], st;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0) {
		*buf = realloc(*buf, *len + (size_t)n + 1);
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Every readable mapping of @pid, concatenated. */
static uint8_t *snapshot(pid_t pid, size_t *len, size_t *regions)
{
	char path[64], line[512], perms[8];
	unsigned long a, b;
	uint8_t *buf = NULL;
	FILE *maps;
	int mem;

	*len = 0;
	*regions = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY);
	if (!maps || mem < 0)
		return NULL;
	while (fgets(line, sizeof(line), maps)) {
		ssize_t n;

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") ||
		    strstr(line, "[vsyscall]"))
			continue;
		buf = realloc(buf, *len + (b - a));
		if (!buf)
			break;
		n = pread(mem, buf + *len, b - a, (off_t)a);
		if (n > 0) {
			*len += (size_t)n;
			(*regions)++;
		}
	}
	fclose(maps);
	close(mem);
	return buf;
}

/* B: play KPS. Writes the release to @rel_fd and the TK to @tk_fd. */
static void kps_child(int rel_fd, int tk_fd)
{
	struct vt_release rel;
	struct vt_vm vm;
	uint8_t pk[32];
	int fd = vt_open_dev();

	if (fd < 0 || vt_enclave_pk(fd, pk))
		_exit(1);
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
	if (vt_release_build(&vm, pk, NULL, 0, &rel))
		_exit(2);
	if (write_full(rel_fd, &rel, sizeof(rel)) ||
	    write_full(rel_fd, vm.desc, sizeof(vm.desc)) ||
	    write_full(tk_fd, &vm, sizeof(vm)))
		_exit(3);
	OPENSSL_cleanse(&vm, sizeof(vm));
	_exit(0);
}

/* W: the VM worker. */
static void worker_child(const struct vt_release *rel, const char *desc,
			 int canary_fd, int ready_fd, int go_fd)
{
	static struct worker_msg msg;
	uint8_t *pt = malloc(STATE_LEN), *back = malloc(STATE_LEN);
	volatile uint8_t *canary = malloc(32);
	size_t n = sizeof(msg.blob), m = STATE_LEN;
	long serial;
	char c;
	int fd;

	if (!pt || !back || !canary)
		_exit(1);
	vt_random((void *)canary, 32);
	if (write_full(canary_fd, (const void *)canary, 32))
		_exit(1);
	fd = vt_open_dev();
	serial = vt_add(desc, rel, KEY_SPEC_SESSION_KEYRING);
	msg.serial = (key_serial_t)serial;
	msg.status = fd < 0 ? fd : serial < 0 ? (int)serial : 0;
	vt_fill_pattern(pt, STATE_LEN, 99);
	if (!msg.status)
		msg.status = vt_seal(fd, msg.serial, 3, pt, STATE_LEN, msg.blob,
				     &n);
	if (!msg.status)
		msg.status = vt_unseal(fd, msg.serial, msg.blob, n, back, &m,
				       NULL);
	if (!msg.status && memcmp(pt, back, STATE_LEN))
		msg.status = -EBADE;
	if (write_full(ready_fd, &msg, sizeof(msg)))
		_exit(1);
	/* stay alive (canary and all) until the scan is done */
	if (read(go_fd, &c, 1) < 0)
		_exit(1);
	_exit(canary[0] == canary[0] ? 0 : 1);
}

/*
 * A fixture only for its timeout: 8-10 s on a quiet machine, but it
 * scans two processes' memory under TCG and once took more than the
 * harness's default 30 s at load 18-24 (session 11); 100 s stays under
 * the rig's own per-test limit (120 s).
 */
FIXTURE(secrecy) {
	int unused;
};

FIXTURE_SETUP(secrecy)
{
}

FIXTURE_TEARDOWN(secrecy)
{
}

TEST_F_TIMEOUT(secrecy, host_root_cannot_read_a_transport_key, 100)
{
	int rel_p[2], tk_p[2], canary_p[2], ready_p[2], go_p[2], st;
	static struct worker_msg msg;
	struct vt_release rel;
	struct vms_seal_key sk;
	struct vt_vm vm;
	char desc[48], serial_s[32], tkhex[65], prkhex[65], buf[256];
	char *text = NULL, *log;
	size_t textlen = 0, memlen, regions;
	uint8_t canary[32], *mem, pt[STATE_LEN], back[STATE_LEN];
	pid_t b, w;
	int i, rc;

	ASSERT_GT(keyctl_join_session_keyring(NULL), 0);
	ASSERT_EQ(0, pipe(rel_p));
	ASSERT_EQ(0, pipe(tk_p));
	ASSERT_EQ(0, pipe(canary_p));
	ASSERT_EQ(0, pipe(ready_p));
	ASSERT_EQ(0, pipe(go_p));

	/* B: the TK only ever exists there and in the tk pipe */
	b = fork();
	ASSERT_GE(b, 0);
	if (b == 0)
		kps_child(rel_p[1], tk_p[1]);
	ASSERT_EQ(b, waitpid(b, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(0, read_full(rel_p[0], &rel, sizeof(rel)));
	ASSERT_EQ(0, read_full(rel_p[0], desc, sizeof(desc)));

	/* W */
	w = fork();
	ASSERT_GE(w, 0);
	if (w == 0)
		worker_child(&rel, desc, canary_p[1], ready_p[1], go_p[0]);
	ASSERT_EQ(0, read_full(ready_p[0], &msg, sizeof(msg)));
	ASSERT_EQ(0, msg.status) TH_LOG("worker: %s", strerror(-msg.status));

	/* root asks the keyring for the key: no read operation */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT_EQ(-1, keyctl_read(msg.serial, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	snprintf(serial_s, sizeof(serial_s), "%d", msg.serial);
	{
		char *const print[] = { "keyctl", "print", serial_s, NULL };
		char *const rd[] = { "keyctl", "read", serial_s, NULL };
		char *const pipe_[] = { "keyctl", "pipe", serial_s, NULL };
		char *const describe[] = { "keyctl", "describe", serial_s, NULL };
		char *const show[] = { "keyctl", "show", "@s", NULL };
		char *const list[] = { "keyctl", "list", "@s", NULL };
		char *const setperm[] = { "keyctl", "setperm", serial_s,
					  "0x3f3f3f3f", NULL };

		for (i = 0; i < 2; i++) {
			size_t before = textlen;

			rc = run_capture(print, &text, &textlen);
			EXPECT_NE(0, rc);
			rc = run_capture(rd, &text, &textlen);
			EXPECT_NE(0, rc);
			rc = run_capture(pipe_, &text, &textlen);
			EXPECT_NE(0, rc);
			EXPECT_NE(NULL, strstr(text + before,
					       "Operation not supported"))
				TH_LOG("keyctl said: %s", text + before);
			/* then again with every permission bit granted */
			if (i == 0)
				ASSERT_EQ(0, run_capture(setperm, &text,
							 &textlen));
		}
		EXPECT_EQ(0, run_capture(describe, &text, &textlen));
		EXPECT_EQ(0, run_capture(show, &text, &textlen));
		EXPECT_EQ(0, run_capture(list, &text, &textlen));
		EXPECT_NE(NULL, strstr(text, desc)) TH_LOG("%s", text);
	}
	{
		char *const cat[] = { "cat", "/proc/keys", NULL };

		EXPECT_EQ(0, run_capture(cat, &text, &textlen));
		EXPECT_NE(NULL, strstr(text, ": encryption-supported key "));
	}
	log = vt_dmesg();
	ASSERT_NE(NULL, log);

	/* W's whole readable memory */
	mem = snapshot(w, &memlen, &regions);
	ASSERT_NE(NULL, mem);
	ASSERT_GT(memlen, 1u << 20);
	TH_LOG("scanned %zu bytes in %zu mappings of the worker", memlen,
	       regions);

	/* only now learn the secrets */
	ASSERT_EQ(0, read_full(tk_p[0], &vm, sizeof(vm)));
	ASSERT_EQ(0, read_full(canary_p[0], canary, sizeof(canary)));
	ASSERT_EQ(0, strcmp(vm.desc, desc));
	ASSERT_EQ(0, vms_seal_key_init(&sk, vm.tk, vm.vm_id, vm.key_id, 0, 0));
	vt_hex(vm.tk, 32, tkhex);
	vt_hex(sk.prk, 32, prkhex);

	/* the scan finds what is there ... */
	EXPECT_TRUE(vt_mem_has_window(mem, memlen, canary, 32, 32))
		TH_LOG("canary not found: the memory scan does not work");
	/* ... and W used exactly this TK */
	EXPECT_EQ(0, vt_us_unseal(&vm, msg.blob, sizeof(msg.blob), back,
				  sizeof(back), NULL));
	vt_fill_pattern(pt, sizeof(pt), 99);
	EXPECT_EQ(0, memcmp(pt, back, sizeof(pt)));

	/* ... but no 8 bytes of the TK or of its PRK anywhere */
	EXPECT_FALSE(vt_mem_has_window(mem, memlen, vm.tk, 32, 8))
		TH_LOG("TK bytes in the worker's memory");
	EXPECT_FALSE(vt_mem_has_window(mem, memlen, sk.prk, 32, 8))
		TH_LOG("PRK bytes in the worker's memory");
	EXPECT_FALSE(vt_mem_has_window(text, textlen, vm.tk, 32, 8));
	EXPECT_FALSE(vt_mem_has_window(text, textlen, tkhex, 64, 16))
		TH_LOG("TK hex in keyctl or /proc/keys output");
	EXPECT_FALSE(vt_mem_has_window(text, textlen, prkhex, 64, 16));
	EXPECT_FALSE(vt_mem_has_window(log, strlen(log), tkhex, 64, 16))
		TH_LOG("TK hex in the kernel log");
	EXPECT_FALSE(vt_mem_has_window(log, strlen(log), prkhex, 64, 16));
	EXPECT_FALSE(vt_mem_has_window(log, strlen(log), vm.tk, 32, 8));
	for (i = 0; i < (int)sizeof(buf); i++)
		ASSERT_EQ(0x5a, (uint8_t)buf[i]);	/* keyctl_read wrote nothing */

	OPENSSL_cleanse(&vm, sizeof(vm));
	vms_seal_key_wipe(&sk);
	ASSERT_EQ(1, write(go_p[1], "x", 1));
	ASSERT_EQ(w, waitpid(w, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(mem);
	free(text);
	free(log);
	keyctl_clear(KEY_SPEC_SESSION_KEYRING);
}

TEST_HARNESS_MAIN
