// SPDX-License-Identifier: GPL-2.0
/*
 * test_worker_remote.c - `vmshield-worker serve --vtpm-in-enclave`
 * without the module: the server (serve.c, vtpm_remote.c) runs in a child
 * process whose VMSHIELD_IOC_VTPM is a stand-in for vmshield.ko
 * (vtpm_standin.c) that passes each call as a channel frame to a real
 * vmshield-enclaved core with real vTPM processes (libtpms). The test
 * plays QEMU over swtpm's protocol:
 *
 *  - QEMU's sequence (caps, SET_DATAFD, INIT), TPM2_Startup, GetRandom,
 *    NV define/write/read: the same answers as a local vTPM;
 *  - a new vTPM's first state and every NV change reach the state file
 *    (sealed: the NV tag is not in it) before they are answered;
 *  - the server SIGKILLed and started again from the state file: the NV
 *    tag is read back (nothing acknowledged lost);
 *  - a worker SIGKILLed while the enclave lives on (its vTPM still
 *    running there) and a new worker started for the same key: the old
 *    vTPM is stopped and the new one starts from the state file with the
 *    NV tag, where the enclave alone answers EEXIST;
 *  - a TPM command over the enclave's bound and the commands this mode
 *    does not have (hashing): refused, the server serving;
 *  - migration through swtpm's state blobs: GET_STATEBLOB hands out the
 *    state sealed by the enclave (never the NV tag), a second server (a
 *    new enclave with the same key, as on a destination) takes it with
 *    SET_STATEBLOB and resumes with the tag; a plaintext, a tampered and
 *    an older blob are refused with the state file unchanged.
 */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tss2/tss2_tpm2_types.h>

#include "ctrl_proto.h"
#include "enclave.h"
#include "sealedstate.h"
#include "serve.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vtpm_mgr.h"
#include "vtpm_remote.h"
#include "vtpm_standin.h"

static const u8 tk[32] = "TK-for-the-worker-remote-tests!!";
static const u8 tk_next[32] = "next-TK-for-the-worker-remote!!!";
static const u8 next_id[16] = "worker-next-kid!";
static char dir[64], state_path[256], sock_path[256], mark_path[256];
static pid_t server;
/* the next server: 1 a roll release ({tk, tk_next}), 2 that and --incoming */
static int server_mode;

/* serve --incoming's commit (main.c's): here a marker file, once */
static int mark_committed(void *ctx)
{
	int fd;

	(void)ctx;
	fd = open(mark_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* --- the server: the worker with a stand-in module and enclave ----------- */

static void run_server(void)
{
	struct serve_opts o = { .io_timeout_ms = 2000 };
	struct vtpm_remote rem = { .call = vtpm_standin_call, .fd = -1,
				   .path = state_path };
	uint8_t *blob = NULL;
	size_t len = 0;
	struct vms_ss_header h;
	int r;

	if (server_mode ? vtpm_standin_start_roll(t_vm_id, t_key_id, tk, next_id,
						  tk_next) :
	    vtpm_standin_start(t_vm_id, t_key_id, tk))
		_exit(3);
	serve_parse_ctrl("type=unixio,path=/x", &o.ctrl);
	strcpy(o.ctrl.path, sock_path);
	vms_read_file(state_path, 1 << 24, &blob, &len);
	if (server_mode == 2) {
		rem.incoming = 1;
		rem.incoming_floor = vms_ss_parse(blob, len, &h) ? 0 : h.generation;
		rem.incoming_done = mark_committed;
	}
	r = vtpm_remote_start(&rem, blob, len);
	free(blob);
	if (r)
		_exit(4);
	o.remote = &rem;
	r = serve_run(&o, NULL);
	vtpm_remote_stop(&rem);
	_exit(r ? 1 : 0);
}

/*
 * The enclave outliving its workers, as vmshield-enclaved does: this
 * process keeps the stand-in and starts a worker for the same key again
 * whenever one is killed; it ends when a worker exits by itself (its
 * status then).
 */
static void run_supervisor(void)
{
	struct serve_opts o = { .io_timeout_ms = 2000 };
	int st;

	if (vtpm_standin_start(t_vm_id, t_key_id, tk))
		_exit(3);
	serve_parse_ctrl("type=unixio,path=/x", &o.ctrl);
	strcpy(o.ctrl.path, sock_path);
	for (;;) {
		struct vtpm_remote rem = { .call = vtpm_standin_call, .fd = -1,
					   .path = state_path };
		uint8_t *blob = NULL;
		size_t len = 0;
		pid_t w;
		int r;

		unlink(sock_path);
		fflush(NULL);
		w = fork();
		if (w < 0)
			_exit(5);
		if (w) {
			if (waitpid(w, &st, 0) != w || WIFEXITED(st))
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 6);
			continue;
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		vms_read_file(state_path, 1 << 24, &blob, &len);
		r = vtpm_remote_start(&rem, blob, len);
		free(blob);
		if (r)
			_exit(4);
		o.remote = &rem;
		r = serve_run(&o, NULL);
		vtpm_remote_stop(&rem);
		_exit(r ? 1 : 0);
	}
}

static void wait_socket(void)
{
	struct stat st;
	int i;

	for (i = 0; i < 500 && stat(sock_path, &st); i++)
		usleep(10000);
	assert_int_equal(0, stat(sock_path, &st));
}

static void start_server(void)
{
	struct stat st;
	int i;

	unlink(sock_path);
	fflush(NULL);
	server = fork();
	assert_true(server >= 0);
	if (!server)
		run_server();
	for (i = 0; i < 500 && stat(sock_path, &st); i++)
		usleep(10000);
	assert_int_equal(0, stat(sock_path, &st));
}

static int server_exit(void)
{
	int st, i;

	for (i = 0; i < 500; i++) {
		if (waitpid(server, &st, WNOHANG) == server) {
			server = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		usleep(10000);
	}
	kill(server, SIGKILL);
	waitpid(server, &st, 0);
	server = 0;
	return -1;
}

static void kill_server(void)
{
	int st;

	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, &st, 0);
	}
	server = 0;
}

/* --- the client: QEMU ------------------------------------------------------ */

static size_t read_n(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len && poll(&p, 1, 5000) == 1) {
		n = read(fd, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void send_all(int fd, const void *p, size_t len)
{
	assert_int_equal((ssize_t)len, send(fd, p, len, MSG_NOSIGNAL));
}

static int ctrl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock_path);
	assert_int_equal(0, connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	return fd;
}

static void ctrl(int fd, uint32_t cmd, const void *body, size_t blen,
		 void *reply, size_t rlen)
{
	uint8_t msg[64];

	ctrl_put_be32(msg, cmd);
	if (blen)
		memcpy(msg + 4, body, blen);
	send_all(fd, msg, 4 + blen);
	assert_int_equal(rlen, read_n(fd, reply, rlen));
}

static uint32_t ctrl_res(int fd, uint32_t cmd, const void *body, size_t blen)
{
	uint8_t r[4];

	ctrl(fd, cmd, body, blen, r, 4);
	return ctrl_get_be32(r);
}

static int set_datafd(int fd)
{
	uint8_t code[4], r[4];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = code, .iov_len = 4 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int sv[2];

	assert_int_equal(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ctrl_put_be32(code, CMD_SET_DATAFD);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	assert_int_equal(4, sendmsg(fd, &m, 0));
	close(sv[1]);
	assert_int_equal(4, read_n(fd, r, 4));
	assert_int_equal(0, ctrl_get_be32(r));
	return sv[0];
}

static long tpm_cmd(int dfd, const uint8_t *cmd, size_t len, uint8_t *resp,
		    size_t *rlen)
{
	uint8_t buf[4096];
	uint32_t size;

	send_all(dfd, cmd, len);
	if (read_n(dfd, buf, 10) != 10)
		return -1;
	size = ctrl_get_be32(buf + 2);
	if (size < 10 || size > sizeof(buf) ||
	    read_n(dfd, buf + 10, size - 10) != size - 10)
		return -1;
	if (resp) {
		memcpy(resp, buf, size);
		*rlen = size;
	}
	return ctrl_get_be32(buf + 6);
}

static const uint8_t cmd_startup_clear[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
};
static const uint8_t cmd_get_random8[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8,
};
static const uint8_t pw[] = { 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0 };
#define NV_INDEX	0x01500016
static const char nv_tag[] = "tenant-NV-tag-in-the-enclave-71";	/* 31 */

static size_t nv_cmd(uint8_t *b, uint32_t cc, bool define, bool write)
{
	size_t n = 10;

	b[0] = 0x80;
	b[1] = 0x02;
	ctrl_put_be32(b + 6, cc);
	ctrl_put_be32(b + n, 0x40000001);
	n += 4;
	if (!define) {
		ctrl_put_be32(b + n, NV_INDEX);
		n += 4;
	}
	memcpy(b + n, pw, sizeof(pw));
	n += sizeof(pw);
	if (define) {
		static const uint8_t pub[] = {
			0, 0, 0, 14, 0x01, 0x50, 0, 0x16, 0, 0x0b,
			0, 0x06, 0, 0x06, 0, 0, 0, 31,
		};

		memcpy(b + n, pub, sizeof(pub));
		n += sizeof(pub);
	} else if (write) {
		b[n++] = 0;
		b[n++] = 31;
		memcpy(b + n, nv_tag, 31);
		n += 31;
		b[n++] = 0;
		b[n++] = 0;
	} else {
		b[n++] = 0;
		b[n++] = 31;
		b[n++] = 0;
		b[n++] = 0;
	}
	ctrl_put_be32(b + 2, (uint32_t)n);
	return n;
}

static u64 file_generation(void)
{
	struct vms_ss_header h;
	uint8_t *blob = NULL;
	size_t len = 0;
	u64 g = 0;

	if (!vms_read_file(state_path, 1 << 24, &blob, &len) &&
	    !vms_ss_parse(blob, len, &h)) {
		g = h.generation;
		/* sealed: the tenant's tag is never in it */
		assert_null(memmem(blob, len, nv_tag, sizeof(nv_tag) - 1));
	}
	free(blob);
	return g;
}

/*
 * The enclave's signed statement the worker keeps next to the state file
 * (issue 21): framed, for this VM, naming a generation (returned).
 */
static u64 statement_generation(void)
{
	char path[300], hex[33], line[64], *body, *end;
	uint8_t *blob = NULL;
	size_t len = 0, n;
	unsigned long long g;
	const char *p;

	snprintf(path, sizeof(path), "%s.statement", state_path);
	assert_int_equal(vms_read_file(path, 4096, &blob, &len), 0);
	assert_true(len > 2);
	n = (size_t)blob[0] << 8 | blob[1];
	assert_true(n + 2 < len);		/* a signature follows */
	body = strndup((char *)blob + 2, n);
	assert_non_null(body);
	assert_true(!strncmp(body, "vmshield-vtpm-statement v1\n", 27));
	vms_hex_encode(t_vm_id, 16, hex);
	snprintf(line, sizeof(line), "\nvm_id=%s\n", hex);
	assert_non_null(strstr(body, line));
	p = strstr(body, "\ngeneration=");
	assert_non_null(p);
	g = strtoull(p + strlen("\ngeneration="), &end, 10);
	assert_int_equal(*end, '\n');
	free(body);
	free(blob);
	return g;
}

/* The data channel of control socket @fd, the TPM initialised and started (TPM2_Startup). */
static int tpm_up(int fd)
{
	int dfd = set_datafd(fd);

	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear, sizeof(cmd_startup_clear),
				    NULL, NULL));
	return dfd;
}

/* QEMU's CMD_SHUTDOWN on @fd: the server exits 0; both channels closed. */
static void server_end(int fd, int dfd)
{
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(dfd);
	close(fd);
}

static void nv_reads_tag(int dfd)
{
	uint8_t c[128], r[256];
	size_t n;

	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x14e, false, false), r, &n));
	assert_int_equal(31, (r[14] << 8) | r[15]);
	assert_memory_equal(r + 16, nv_tag, 31);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/vms-remote-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(state_path, sizeof(state_path), "%s/vtpm.sealed", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/ctrl.sock", dir);
	snprintf(mark_path, sizeof(mark_path), "%s/committed", dir);
	server_mode = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	kill_server();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(0, system(cmd));
	return 0;
}

/* --- tests ------------------------------------------------------------------ */

static void test_remote_qemu_sequence(void **state)
{
	uint8_t caps[8], c[128], r[256];
	uint64_t cap;
	size_t n;
	u64 g;
	int fd, dfd;

	(void)state;
	start_server();
	/* the new vTPM's first state is on disk before anything is served */
	assert_true(file_generation() >= 1);
	fd = ctrl_connect();
	ctrl(fd, CMD_GET_CAPABILITY, NULL, 0, caps, sizeof(caps));
	cap = (uint64_t)ctrl_get_be32(caps) << 32 | ctrl_get_be32(caps + 4);
	assert_true(cap & PTM_CAP_INIT);
	assert_false(cap & PTM_CAP_HASHING);
	assert_true(cap & PTM_CAP_GET_STATEBLOB);
	assert_true(cap & PTM_CAP_SET_STATEBLOB);
	dfd = tpm_up(fd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8, sizeof(cmd_get_random8), r, &n));
	assert_int_equal(20, n);

	g = file_generation();
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x12a, true, false), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	/* both changes were stored before they were answered */
	assert_true(file_generation() >= g + 2);
	/* ... and the enclave's statement of the last one is next to it */
	assert_int_equal(statement_generation(), file_generation());
	nv_reads_tag(dfd);

	/* a locality out of range: the TPM's answer, nothing else */
	assert_int_not_equal(0, ctrl_res(fd, CMD_SET_LOCALITY, "\x05\0\0\0", 4));
	/* what this mode has not: refused, the server still serving */
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_res(fd, CMD_HASH_START, NULL, 0));
	nv_reads_tag(dfd);

	server_end(fd, dfd);
}

static void test_remote_restart_keeps_state(void **state)
{
	uint8_t c[128];
	int fd, dfd;
	u64 g;

	(void)state;
	start_server();
	fd = ctrl_connect();
	dfd = tpm_up(fd);
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x12a, true, false), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	g = file_generation();
	close(dfd);
	close(fd);
	assert_int_equal(g, statement_generation());
	/* the host kills the worker (and with it this enclave stand-in) */
	kill_server();

	{
		char path[300];

		snprintf(path, sizeof(path), "%s.statement", state_path);
		assert_int_equal(0, unlink(path));
	}
	start_server();
	assert_int_equal(g, file_generation());
	fd = ctrl_connect();
	/* started from the stored state: a new enclave's statement of it */
	assert_int_equal(g, statement_generation());
	dfd = tpm_up(fd);
	nv_reads_tag(dfd);
	close(dfd);
	close(fd);
}

/* The worker serving @fd (the peer of QEMU's control connection). */
static pid_t worker_pid(int fd)
{
	struct ucred c;
	socklen_t n = sizeof(c);

	assert_int_equal(0, getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &n));
	return c.pid;
}

/* QEMU's connection to the worker that replaced @old (up to 5 s). */
static int connect_new_worker(pid_t old)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, i;

	strcpy(sa.sun_path, sock_path);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
		    worker_pid(fd) != old)
			return fd;
		close(fd);
		usleep(10000);
	}
	fail_msg("no new worker serves %s", sock_path);
	return -1;
}

static void test_remote_restart_enclave_keeps_vtpm(void **state)
{
	uint8_t c[128];
	int fd, dfd;
	pid_t w1;
	u64 g;

	(void)state;
	fflush(NULL);
	server = fork();
	assert_true(server >= 0);
	if (!server)
		run_supervisor();
	wait_socket();
	fd = ctrl_connect();
	w1 = worker_pid(fd);
	dfd = tpm_up(fd);
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x12a, true, false), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	g = file_generation();
	assert_true(g > 0);
	close(dfd);
	close(fd);
	/* the worker dies without DESTROY; its vTPM runs on in the enclave */
	assert_int_equal(0, kill(w1, SIGKILL));
	/* a new worker for the same key, not one that failed to start (EEXIST) */
	fd = connect_new_worker(w1);
	dfd = set_datafd(fd);
	assert_int_equal(g, file_generation());
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear, sizeof(cmd_startup_clear),
				    NULL, NULL));
	nv_reads_tag(dfd);
	/* and it takes changes: the next generation reaches the file */
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	assert_true(file_generation() > g);
	close(dfd);
	close(fd);
}

static void test_remote_oversized_command(void **state)
{
	static uint8_t big[VMSHIELD_VTPM_MAX_CMD + 16];
	uint8_t r[16];
	int fd, dfd;

	(void)state;
	start_server();
	fd = ctrl_connect();
	dfd = set_datafd(fd);
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	memcpy(big, cmd_get_random8, sizeof(cmd_get_random8));
	ctrl_put_be32(big + 2, sizeof(big));
	send_all(dfd, big, sizeof(big));
	assert_int_equal(10, read_n(dfd, r, 10));
	assert_int_equal(TPM2_RC_COMMAND_SIZE, ctrl_get_be32(r + 6));
	/* the next command is served */
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear, sizeof(cmd_startup_clear),
				    NULL, NULL));
	close(dfd);
	close(fd);
}

/* GET_STATEBLOB of @type at @off: the result; the data into *@blob. */
static uint32_t get_blob(int fd, uint32_t type, uint32_t off, uint8_t **blob,
			 size_t *len, uint32_t *flags)
{
	uint8_t req[12], hdr[16];
	uint32_t total, n;

	ctrl_put_be32(req, 0);
	ctrl_put_be32(req + 4, type);
	ctrl_put_be32(req + 8, off);
	ctrl(fd, CMD_GET_STATEBLOB, req, sizeof(req), hdr, sizeof(hdr));
	*flags = ctrl_get_be32(hdr + 4);
	total = ctrl_get_be32(hdr + 8);
	n = ctrl_get_be32(hdr + 12);
	assert_int_equal(total, n);
	*blob = t_malloc(n ? n : 1);
	assert_int_equal(n, read_n(fd, *blob, n));
	*len = n;
	return ctrl_get_be32(hdr);
}

static uint32_t set_blob(int fd, uint32_t type, uint32_t flags,
			 const uint8_t *blob, size_t len)
{
	uint8_t *msg = t_malloc(16 + len), r[4];

	ctrl_put_be32(msg, CMD_SET_STATEBLOB);
	ctrl_put_be32(msg + 4, flags);
	ctrl_put_be32(msg + 8, type);
	ctrl_put_be32(msg + 12, (uint32_t)len);
	memcpy(msg + 16, blob, len);
	send_all(fd, msg, 16 + len);
	free(msg);
	assert_int_equal(4, read_n(fd, r, 4));
	return ctrl_get_be32(r);
}

/* The state file's bytes are @want (unchanged by a refusal). */
static void state_file_is(const uint8_t *want, size_t want_len)
{
	uint8_t *blob = NULL;
	size_t len = 0;

	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &blob, &len));
	assert_int_equal(want_len, len);
	assert_memory_equal(want, blob, len);
	free(blob);
}

static void test_remote_stateblob_migration(void **state)
{
	uint8_t c[128], r[64], *blob, *part, *none, *before;
	size_t len, plen, nlen, blen, n;
	uint32_t flags;
	int fd, dfd;

	(void)state;
	/* the source: a vTPM with the tenant's tag, its state handed out */
	snprintf(state_path, sizeof(state_path), "%s/source.sealed", dir);
	start_server();
	fd = ctrl_connect();
	dfd = tpm_up(fd);
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x12a, true, false), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_PERMANENT, 0, &blob, &len, &flags));
	assert_int_equal(PTM_STATE_FLAG_ENCRYPTED, flags);
	assert_true(len > VMS_SS_OVERHEAD);
	assert_memory_equal(blob, "VMSS", 4);
	assert_null(memmem(blob, len, nv_tag, sizeof(nv_tag) - 1));
	/* a chunked read continues the same blob */
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_PERMANENT, 100, &part, &plen, &flags));
	assert_int_equal(len - 100, plen);
	assert_memory_equal(blob + 100, part, plen);
	free(part);
	/* the volatile state travels inside the permanent blob */
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_VOLATILE, 0, &none, &nlen, &flags));
	assert_int_equal(0, nlen);
	free(none);
	/* a running TPM takes no state */
	assert_int_equal(TPM_BAD_ORDINAL, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						   PTM_STATE_FLAG_ENCRYPTED, blob, len));
	nv_reads_tag(dfd);
	server_end(fd, dfd);

	/* the destination: a new enclave with the same key, a new vTPM */
	snprintf(state_path, sizeof(state_path), "%s/destination.sealed", dir);
	start_server();
	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &before, &blen));
	fd = ctrl_connect();
	dfd = set_datafd(fd);
	/* refused, the state file unchanged: plaintext, tampered, unknown type */
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT, 0, blob, len));
	blob[len - 1] ^= 1;
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     PTM_STATE_FLAG_ENCRYPTED, blob, len));
	blob[len - 1] ^= 1;
	assert_int_equal(TPM_BAD_PARAMETER, set_blob(fd, 7, PTM_STATE_FLAG_ENCRYPTED, blob, len));
	state_file_is(before, blen);
	/* QEMU's incoming sequence: the blobs, then CMD_INIT resumes */
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_PERMANENT, PTM_STATE_FLAG_ENCRYPTED,
				     blob, len));
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_VOLATILE, PTM_STATE_FLAG_ENCRYPTED,
				     blob, 0));
	state_file_is(blob, len);
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	/* resumed as it ran (no TPM2_Startup): the tag is there */
	nv_reads_tag(dfd);
	/* a change (another NV value), then the migrated blob again: older */
	n = nv_cmd(c, 0x137, false, true);
	c[n - 3] ^= 1;		/* the value's last byte */
	assert_int_equal(0, tpm_cmd(dfd, c, n, NULL, NULL));
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	free(before);
	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &before, &blen));
	assert_int_equal(TPM_BAD_VERSION, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						   PTM_STATE_FLAG_ENCRYPTED, blob, len));
	state_file_is(before, blen);
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	/* the vTPM runs on from its own state */
	tpm_cmd(dfd, cmd_startup_clear, sizeof(cmd_startup_clear), NULL, NULL);
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8, sizeof(cmd_get_random8), r, &n));
	free(before);
	free(blob);
	close(dfd);
	close(fd);
}

/* The state file's header: its key id is @id; its generation. */
static u64 file_under(const u8 id[16])
{
	struct vms_ss_header h;
	uint8_t *blob = NULL;
	size_t len = 0;

	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &blob, &len));
	assert_int_equal(0, vms_ss_parse(blob, len, &h));
	assert_memory_equal(h.key_id, id, 16);
	free(blob);
	return h.generation;
}

/* A vTPM with the tenant's tag, stopped: its state file under TK. */
static void source_with_tag(void)
{
	uint8_t c[128];
	int fd, dfd;

	server_mode = 0;
	start_server();
	fd = ctrl_connect();
	dfd = tpm_up(fd);
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x12a, true, false), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	server_end(fd, dfd);
}

/*
 * The TK roll at a start (serve --vtpm-in-enclave --kp rolls): with a
 * roll release the worker's start has the enclave re-seal the state file
 * under the next TK, stored (the next generation) before anything is
 * served; the vTPM then runs with its NV, each change under the next TK.
 */
static void test_remote_roll_at_start(void **state)
{
	uint8_t c[128];
	int fd, dfd;
	u64 g;

	(void)state;
	source_with_tag();
	g = file_under(t_key_id);
	server_mode = 1;
	start_server();
	/* re-sealed inside the enclave and stored before the socket was there */
	assert_int_equal(g + 1, file_under(next_id));
	assert_int_equal(g + 1, file_generation());
	fd = ctrl_connect();
	dfd = tpm_up(fd);
	nv_reads_tag(dfd);
	assert_int_equal(0, tpm_cmd(dfd, c, nv_cmd(c, 0x137, false, true), NULL, NULL));
	assert_true(file_under(next_id) > g + 1);
	server_end(fd, dfd);
}

/*
 * serve --vtpm-in-enclave --incoming: the destination's enclave holds the
 * migration's roll {TK, TK'}; no vTPM runs before the migrated state came
 * in (CMD_INIT refused, nothing committed); refused with the state file
 * unchanged and nothing committed: a blob older than the state file, a
 * tampered one; the migrated blob opens, the enclave seals it again under
 * TK' (stored before the answer), and the first CMD_INIT after it commits
 * the roll once; the VM's vTPM runs with the source's NV.
 */
static void test_remote_incoming(void **state)
{
	uint8_t *blob, *old, *before, *none;
	size_t len, olen, blen, nlen;
	uint32_t flags;
	struct stat st;
	int fd, dfd;

	(void)state;
	source_with_tag();
	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &old, &olen));
	/* the source runs on: its state handed out for the migration */
	start_server();
	fd = ctrl_connect();
	dfd = tpm_up(fd);
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_PERMANENT, 0, &blob, &len, &flags));
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_VOLATILE, 0, &none, &nlen, &flags));
	free(none);
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	kill_server();
	close(dfd);
	close(fd);

	/* the destination: the state file as the shared storage has it */
	server_mode = 2;
	start_server();
	assert_int_equal(0, vms_read_file(state_path, 1 << 24, &before, &blen));
	fd = ctrl_connect();
	dfd = set_datafd(fd);
	/* QEMU stops the TPM at its start and before the blobs: none runs */
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	assert_int_equal(TPM_FAIL, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	assert_int_equal(TPM_BAD_VERSION, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						   PTM_STATE_FLAG_ENCRYPTED, old, olen));
	blob[len - 1] ^= 1;
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     PTM_STATE_FLAG_ENCRYPTED, blob, len));
	blob[len - 1] ^= 1;
	assert_int_equal(TPM_FAIL, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	state_file_is(before, blen);
	assert_int_not_equal(0, stat(mark_path, &st));
	/* the migrated state: opened, sealed again under TK', stored */
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_PERMANENT, PTM_STATE_FLAG_ENCRYPTED,
				     blob, len));
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_VOLATILE, PTM_STATE_FLAG_ENCRYPTED,
				     blob, 0));
	{
		struct vms_ss_header h;

		assert_int_equal(0, vms_ss_parse(blob, len, &h));
		assert_int_equal(h.generation + 1, file_under(next_id));
	}
	assert_int_not_equal(0, stat(mark_path, &st));
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	assert_int_equal(0, stat(mark_path, &st));
	nv_reads_tag(dfd);
	/* a reset later: an ordinary INIT, nothing committed again */
	assert_int_equal(0, ctrl_res(fd, CMD_INIT, "\0\0\0\0", 4));
	free(old);
	free(before);
	free(blob);
	close(dfd);
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_remote_qemu_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_restart_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_restart_enclave_keeps_vtpm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remote_oversized_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_stateblob_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_roll_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_incoming, setup, teardown),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
