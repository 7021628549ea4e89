// SPDX-License-Identifier: GPL-2.0
/*
 * test_worker_serve.c - `vmshield-worker serve` without the module: the
 * server (serve.c, vtpm_ctrl.c, persist.c) runs in a child process with
 * the test sealer (worker_testseal.c: the same sealed format under a test
 * TK), and the test plays QEMU, libvirt and tpm2-tools against it:
 *
 *  - QEMU 7.2's control sequence (caps, SET_DATAFD, the version probe
 *    before INIT, STOP / SET_BUFFERSIZE / INIT, locality, established
 *    flag, config, info, cancel, SHUTDOWN) and its reply sizes;
 *  - every change sealed as the next generation before it is answered,
 *    and a SIGKILLed server restarting from the last acknowledged state;
 *  - state blobs: sealed (never plaintext), refused unless sealed for
 *    this VM, of the right type and not older, with nothing changed;
 *  - abuse: every command truncated, with a body too long, out of order;
 *    unknown commands; an oversized TPM command; a second client; a client
 *    vanishing mid-command; a failing seal (no answer, server stops);
 *  - tpm2-tools over the swtpm TCTI (TCP mode) against serve and against
 *    swtpm: the same answers.
 */
#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libtpms/tpm_library.h>
#include <tss2/tss2_tpm2_types.h>

#include "ctrl_proto.h"
#include "persist.h"
#include "serve.h"
#include "sealedstate.h"
#include "tpm_state.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vtpm.h"
#include "vtpm_ctrl.h"
#include "worker_testseal.h"

static const u8 tk[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const u8 other_tk[32] = { 9, 8, 7 };

static char dir[64];
static char state_path[256], sock_path[256];
static pid_t server;
/* the migration gate of the next server (NULL: not gated) */
static const struct migrate_gate *t_gate;

/* --- the server side (a child process) ------------------------------------ */

/* A fresh vTPM, sealed as generation 1 at state_path. */
static void provision(void)
{
	struct test_sealer ts;
	struct persist p = { .path = state_path, .sealer = &ts.ops };

	test_sealer_init(&ts, t_vm_id, tk);
	unlink(state_path);
	assert_int_equal(0, vtpm_init());	/* manufactures */
	vtpm_terminate();
	assert_int_equal(0, persist_state(&p, "(provisioned)"));
	assert_int_equal(1, p.generation);
	vtpm_stop();
	test_sealer_wipe(&ts);
}

/* The sealed file's generation (its header), or 0. */
static u64 file_generation(void)
{
	struct vms_ss_header h;
	uint8_t *blob = NULL;
	size_t len = 0;
	u64 g = 0;

	if (!vms_read_file(state_path, 1 << 24, &blob, &len) &&
	    !vms_ss_parse(blob, len, &h))
		g = h.generation;
	free(blob);
	return g;
}

/* In the child: unseal state_path and serve it until told to stop. */
static void run_server(const struct serve_opts *o, int fail_after)
{
	struct vms_secret c = { 0 };
	struct test_sealer ts;
	struct persist p = { .path = state_path, .sealer = &ts.ops };
	struct vtpm_srv v;
	struct vts_view view;
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	test_sealer_init(&ts, t_vm_id, tk);
	if (vms_read_file(state_path, 1 << 24, &blob, &len) ||
	    ts.ops.unseal(&ts.ops, blob, len, &c, &p.generation) ||
	    vts_parse(c.p, c.len, &view) || vtpm_prepare() ||
	    vtpm_nv_put(TPMLIB_STATE_PERMANENT, view.perm, view.perm_len))
		_exit(3);
	if (view.flags & VTS_F_SUSPENDED) {
		vtpm_nv_put(TPMLIB_STATE_VOLATILE, view.vol, view.vol_len);
		p.has_volatile = 1;
	}
	free(blob);
	vms_secret_free(&c);
	ts.fail_after = fail_after;
	vtpm_srv_init(&v, &p, t_vm_id);
	v.gate = t_gate;
	r = serve_run(o, &v);
	vtpm_srv_release(&v);
	vtpm_stop();
	_exit(r ? 1 : 0);
}

static void wait_for_path(const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 500 && stat(path, &st); i++)
		usleep(10000);
	assert_int_equal(0, stat(path, &st));
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void start_server_opts(struct serve_opts *o, int fail_after)
{
	int i, fd;

	if (o->ctrl.type == SERVE_EP_UNIX)
		unlink(o->ctrl.path);	/* a killed server's socket file */
	fflush(NULL);
	server = fork();
	assert_true(server >= 0);
	if (!server)
		run_server(o, fail_after);
	if (o->ctrl.type == SERVE_EP_UNIX) {
		wait_for_path(o->ctrl.path);
		return;
	}
	for (i = 0; i < 500; i++) {
		fd = tcp_connect(o->ctrl.port);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	fail_msg("serve did not listen on 127.0.0.1:%u", o->ctrl.port);
}

/* serve on sock_path (QEMU's way: the data channel by CMD_SET_DATAFD) */
static void start_server(int fail_after)
{
	struct serve_opts o = { .io_timeout_ms = 2000 };

	assert_int_equal(0, serve_parse_ctrl("type=unixio,path=/x", &o.ctrl));
	strcpy(o.ctrl.path, sock_path);
	start_server_opts(&o, fail_after);
}

/* The server's exit status (it must end within a few seconds). */
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

/* --- the client side: QEMU's control channel ------------------------------- */

static int ctrl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock_path);
	assert_true(fd >= 0);
	assert_int_equal(0, connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	return fd;
}

/* Read exactly @len bytes within 3 s; the count read (short on EOF). */
static size_t read_n(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len && poll(&p, 1, 3000) == 1) {
		n = read(fd, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* 1 when the peer closed @fd (EOF within 3 s). */
static int closed_by_peer(int fd)
{
	uint8_t b;

	return read_n(fd, &b, 1) == 0;
}

static void send_all(int fd, const void *p, size_t len)
{
	assert_int_equal((ssize_t)len, send(fd, p, len, MSG_NOSIGNAL));
}

/* Send command @cmd with @body; read @rlen reply bytes into @reply. */
static void ctrl(int fd, uint32_t cmd, const void *body, size_t blen,
		 void *reply, size_t rlen)
{
	uint8_t msg[64];

	assert_true(blen + 4 <= sizeof(msg));
	ctrl_put_be32(msg, cmd);
	if (blen)
		memcpy(msg + 4, body, blen);
	send_all(fd, msg, 4 + blen);
	assert_int_equal(rlen, read_n(fd, reply, rlen));
}

/* A command whose reply is a result code: that code. */
static uint32_t ctrl_res(int fd, uint32_t cmd, const void *body, size_t blen)
{
	uint8_t r[4];

	ctrl(fd, cmd, body, blen, r, 4);
	return ctrl_get_be32(r);
}

static uint32_t init_tpm(int fd, uint32_t flags)
{
	uint8_t b[4];

	ctrl_put_be32(b, flags);
	return ctrl_res(fd, CMD_INIT, b, 4);
}

/* CMD_SET_DATAFD with one end of a socket pair: the other end. */
static int set_datafd(int fd, uint32_t *res)
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
	*res = ctrl_get_be32(r);
	return sv[0];
}

/* One TPM command over the data channel: the response code (or -1). */
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
static const uint8_t cmd_read_clock[] = {
	0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x81,
};
static const uint8_t cmd_get_random8[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8,
};

/*
 * TPM2_NV_DefineSpace of @index (@size bytes, owner write/read, auth
 * read/write) and TPM2_NV_Write of @data, with a password session of the
 * empty owner auth, built by hand (the marshalling is fixed here).
 */
static size_t nv_define_cmd(uint8_t *b, uint32_t index, uint16_t size)
{
	static const uint8_t head[] = {
		0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2a,	/* DefineSpace */
		0x40, 0, 0, 0x01,				/* TPM_RH_OWNER */
		0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,	/* PW session */
		0, 0,						/* auth: empty */
	};
	size_t n = sizeof(head);

	memcpy(b, head, n);
	b[n++] = 0;	/* TPM2B_NV_PUBLIC size (hi), filled below */
	b[n++] = 14;
	ctrl_put_be32(b + n, index);
	n += 4;
	b[n++] = 0;	/* nameAlg SHA256 */
	b[n++] = 0x0b;
	ctrl_put_be32(b + n, 0x00060006);	/* OWNERWRITE|AUTHWRITE|OWNERREAD|AUTHREAD */
	n += 4;
	b[n++] = 0;	/* authPolicy: empty */
	b[n++] = 0;
	b[n++] = size >> 8;
	b[n++] = size & 0xff;
	ctrl_put_be32(b + 2, (uint32_t)n);
	return n;
}

static size_t nv_write_cmd(uint8_t *b, uint32_t index, const char *data)
{
	static const uint8_t pw[] = {
		0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,
	};
	size_t n = 0, len = strlen(data);

	b[n++] = 0x80;
	b[n++] = 0x02;
	n += 4;
	ctrl_put_be32(b + n, 0x00000137);	/* TPM2_CC_NV_Write */
	n += 4;
	ctrl_put_be32(b + n, 0x40000001);	/* auth: owner */
	n += 4;
	ctrl_put_be32(b + n, index);
	n += 4;
	memcpy(b + n, pw, sizeof(pw));
	n += sizeof(pw);
	b[n++] = 0;
	b[n++] = (uint8_t)len;
	memcpy(b + n, data, len);
	n += len;
	b[n++] = 0;	/* offset */
	b[n++] = 0;
	ctrl_put_be32(b + 2, (uint32_t)n);
	return n;
}

static size_t nv_read_cmd(uint8_t *b, uint32_t index, uint16_t size)
{
	static const uint8_t pw[] = {
		0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0,
	};
	size_t n = 0;

	b[n++] = 0x80;
	b[n++] = 0x02;
	n += 4;
	ctrl_put_be32(b + n, 0x0000014e);	/* TPM2_CC_NV_Read */
	n += 4;
	ctrl_put_be32(b + n, 0x40000001);
	n += 4;
	ctrl_put_be32(b + n, index);
	n += 4;
	memcpy(b + n, pw, sizeof(pw));
	n += sizeof(pw);
	b[n++] = size >> 8;
	b[n++] = size & 0xff;
	b[n++] = 0;
	b[n++] = 0;
	ctrl_put_be32(b + 2, (uint32_t)n);
	return n;
}

#define NV_INDEX	0x01500020u

/* Connect as QEMU does, up to a started TPM: ctrl fd, data fd out. */
static int qemu_connect(int *dfd)
{
	uint32_t res;
	int fd = ctrl_connect();

	*dfd = set_datafd(fd, &res);
	assert_int_equal(0, res);
	assert_int_equal(0, init_tpm(fd, 0));
	return fd;
}

/* Define NV_INDEX and write @text (a fresh TPM after Startup). */
static void nv_put(int dfd, const char *text, int define)
{
	uint8_t b[256];
	size_t n;

	if (define) {
		n = nv_define_cmd(b, NV_INDEX, 32);
		assert_int_equal(0, tpm_cmd(dfd, b, n, NULL, NULL));
	}
	n = nv_write_cmd(b, NV_INDEX, text);
	assert_int_equal(0, tpm_cmd(dfd, b, n, NULL, NULL));
}

/* NV_INDEX's first strlen(@text) bytes equal @text. */
static int nv_holds(int dfd, const char *text)
{
	uint8_t b[256], r[512];
	size_t n = nv_read_cmd(b, NV_INDEX, (uint16_t)strlen(text)), rl = 0;

	if (tpm_cmd(dfd, b, n, r, &rl))
		return 0;
	/* response: header 10, parameterSize 4, TPM2B size 2, data */
	return rl >= 16 + strlen(text) && !memcmp(r + 16, text, strlen(text));
}

/* --- the tests ----------------------------------------------------------------- */

static void test_qemu_sequence(void **state)
{
	uint8_t r[64], b[16], resp[64];
	uint32_t res;
	size_t rl;
	int fd, dfd;

	(void)state;
	provision();
	start_server(0);
	fd = ctrl_connect();
	/* tpm_emulator_probe_caps: 8 bytes, all QEMU needs for a TPM 2 */
	ctrl(fd, CMD_GET_CAPABILITY, NULL, 0, r, 8);
	assert_true((((uint64_t)ctrl_get_be32(r) << 32 | ctrl_get_be32(r + 4)) &
		     (PTM_CAP_INIT | PTM_CAP_SHUTDOWN | PTM_CAP_GET_TPMESTABLISHED |
		      PTM_CAP_SET_LOCALITY | PTM_CAP_RESET_TPMESTABLISHED |
		      PTM_CAP_SET_DATAFD | PTM_CAP_STOP | PTM_CAP_SET_BUFFERSIZE |
		      PTM_CAP_GET_STATEBLOB | PTM_CAP_SET_STATEBLOB)) ==
		    (PTM_CAP_INIT | PTM_CAP_SHUTDOWN | PTM_CAP_GET_TPMESTABLISHED |
		     PTM_CAP_SET_LOCALITY | PTM_CAP_RESET_TPMESTABLISHED |
		     PTM_CAP_SET_DATAFD | PTM_CAP_STOP | PTM_CAP_SET_BUFFERSIZE |
		     PTM_CAP_GET_STATEBLOB | PTM_CAP_SET_STATEBLOB));
	dfd = set_datafd(fd, &res);
	assert_int_equal(0, res);
	/* tpm_util_test_tpmdev before CMD_INIT: a TPM 2 error response */
	assert_int_equal(TPM2_RC_FAILURE, tpm_cmd(dfd, cmd_read_clock,
						       sizeof(cmd_read_clock),
						       resp, &rl));
	assert_int_equal(0x80, resp[0]);
	assert_int_equal(0x01, resp[1]);
	/* tpm_emulator_get_buffer_size: STOP, SET_BUFFERSIZE(0) */
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	memset(b, 0, 4);
	ctrl(fd, CMD_SET_BUFFERSIZE, b, 4, r, 16);
	assert_int_equal(0, ctrl_get_be32(r));
	assert_int_equal(4096, ctrl_get_be32(r + 4));
	/* startup: STOP, SET_BUFFERSIZE(4096), INIT(0) */
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	ctrl_put_be32(b, 4096);
	ctrl(fd, CMD_SET_BUFFERSIZE, b, 4, r, 16);
	assert_int_equal(0, ctrl_get_be32(r));
	assert_int_equal(0, init_tpm(fd, 0));
	/* the guest's firmware: Startup(CLEAR), then commands */
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8,
				    sizeof(cmd_get_random8), resp, &rl));
	assert_int_equal(10 + 2 + 8, rl);
	/* QEMU sends SET_LOCALITY with sizeof(ptm_loc) = 4 bytes */
	memset(b, 0, 4);
	b[0] = 3;
	ctrl(fd, CMD_SET_LOCALITY, b, 4, r, 4);
	assert_int_equal(0, ctrl_get_be32(r));
	b[0] = 0;
	assert_int_equal(0, ctrl_res(fd, CMD_SET_LOCALITY, b, 1)); /* tpm2-tss */
	ctrl(fd, CMD_GET_TPMESTABLISHED, NULL, 0, r, 8);
	assert_int_equal(0, ctrl_get_be32(r));
	/* only localities 3 and 4 may reset it (libtpms decides) */
	assert_int_equal(TPM_BAD_LOCALITY,
			 ctrl_res(fd, CMD_RESET_TPMESTABLISHED, b, 4));
	b[0] = 3;
	assert_int_equal(0, ctrl_res(fd, CMD_RESET_TPMESTABLISHED, b, 4));
	ctrl(fd, CMD_GET_CONFIG, NULL, 0, r, 8);
	assert_int_equal(0, ctrl_get_be32(r));
	assert_int_equal(PTM_CONFIG_FLAG_FILE_KEY | PTM_CONFIG_FLAG_MIGRATION_KEY,
			 ctrl_get_be32(r + 4));
	assert_int_equal(0, ctrl_res(fd, CMD_CANCEL_TPM_CMD, NULL, 0));
	assert_int_equal(0, ctrl_res(fd, CMD_HASH_START, NULL, 0));
	memset(b, 0, 8);
	b[3] = 4;
	assert_int_equal(0, ctrl_res(fd, CMD_HASH_DATA, b, 8));
	assert_int_equal(0, ctrl_res(fd, CMD_HASH_END, NULL, 0));
	/* GET_INFO: the TPM specification as JSON */
	memset(b, 0, 16);
	b[7] = SWTPM_INFO_TPMSPECIFICATION;
	ctrl_put_be32(b, 0);
	{
		uint8_t info[CTRL_REPLY_MAX];
		uint32_t len;

		send_all(fd, (uint8_t[]){ 0, 0, 0, CMD_GET_INFO }, 4);
		send_all(fd, b, 16);
		assert_int_equal(12, read_n(fd, info, 12));
		assert_int_equal(0, ctrl_get_be32(info));
		len = ctrl_get_be32(info + 8);
		assert_true(len > 10 && len <= PTM_GETINFO_SIZE);
		assert_int_equal(len, read_n(fd, info + 12, len));
		assert_non_null(strstr((char *)info + 12, "TPMSpecification"));
	}
	/* QEMU at exit: CMD_SHUTDOWN; the worker stops */
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

static void test_every_change_is_sealed_first(void **state)
{
	u64 g0, g1, g2;
	int fd, dfd;

	(void)state;
	provision();
	start_server(0);
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	g0 = file_generation();
	nv_put(dfd, "first value", 1);
	/* answered: so on disk */
	g1 = file_generation();
	assert_true(g1 > g0);
	nv_put(dfd, "second value", 0);
	g2 = file_generation();
	assert_true(g2 > g1);
	/* read-only commands write nothing */
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8,
				    sizeof(cmd_get_random8), NULL, NULL));
	assert_int_equal(g2, file_generation());
	assert_true(nv_holds(dfd, "second value"));
	/* a crash now: the next worker has the last acknowledged value */
	kill_server();
	close(fd);
	close(dfd);
	start_server(0);
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	assert_true(nv_holds(dfd, "second value"));
	/* the state file holds no plaintext */
	{
		uint8_t *blob = NULL;
		size_t len = 0;

		assert_int_equal(0, vms_read_file(state_path, 1 << 24, &blob,
						  &len));
		assert_memory_equal(blob, "VMSS", 4);
		assert_null(memmem(blob, len, "second value", 12));
		free(blob);
	}
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

/* Read a GET_STATEBLOB reply: result, flags, the blob (malloc'ed). */
static uint32_t get_blob(int fd, uint32_t type, uint32_t *flags,
			 uint8_t **blob, size_t *len)
{
	uint8_t b[12], h[CTRL_GETSTATE_HDR];
	uint32_t total;

	ctrl_put_be32(b, PTM_STATE_FLAG_DECRYPTED);	/* as QEMU asks */
	ctrl_put_be32(b + 4, type);
	ctrl_put_be32(b + 8, 0);
	ctrl(fd, CMD_GET_STATEBLOB, b, 12, h, sizeof(h));
	*flags = ctrl_get_be32(h + 4);
	total = ctrl_get_be32(h + 8);
	assert_int_equal(total, ctrl_get_be32(h + 12));
	*blob = malloc(total + 1);
	assert_int_equal(total, read_n(fd, *blob, total));
	*len = total;
	return ctrl_get_be32(h);
}

/* SET_STATEBLOB as QEMU sends it: header, then the body. */
static uint32_t set_blob(int fd, uint32_t type, uint32_t flags,
			 const uint8_t *blob, size_t len)
{
	uint8_t h[16], r[4];

	ctrl_put_be32(h, CMD_SET_STATEBLOB);
	ctrl_put_be32(h + 4, flags);
	ctrl_put_be32(h + 8, type);
	ctrl_put_be32(h + 12, (uint32_t)len);
	send_all(fd, h, 16);
	send_all(fd, blob, len);
	assert_int_equal(4, read_n(fd, r, 4));
	return ctrl_get_be32(r);
}

static void test_state_blobs_are_sealed(void **state)
{
	uint8_t *perm, *vol, *forged = NULL;
	size_t plen, vlen, flen = 0;
	struct test_sealer other;
	uint32_t flags;
	u64 g;
	int fd, dfd;

	(void)state;
	provision();
	start_server(0);
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	nv_put(dfd, "migrating tag", 1);
	/* QEMU's pre_save: the blobs, asked for decrypted, come sealed */
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_PERMANENT, &flags,
				     &perm, &plen));
	assert_int_equal(PTM_STATE_FLAG_ENCRYPTED, flags);
	assert_memory_equal(perm, "VMSS", 4);
	assert_null(memmem(perm, plen, "migrating tag", 13));
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_VOLATILE, &flags,
				     &vol, &vlen));
	assert_int_equal(PTM_STATE_FLAG_ENCRYPTED, flags);
	assert_memory_equal(vol, "VMSS", 4);
	/* a TPM 2.0 has no save state: TPM_RETRY with no data, as swtpm */
	{
		uint8_t *ss;
		size_t sl;

		assert_int_equal(TPM_RETRY, get_blob(fd, PTM_BLOB_TYPE_SAVESTATE,
						     &flags, &ss, &sl));
		assert_int_equal(0, sl);
		free(ss);
	}
	/* SET_STATEBLOB while running: refused, as swtpm */
	assert_int_equal(TPM_BAD_ORDINAL, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						   PTM_STATE_FLAG_ENCRYPTED,
						   perm, plen));
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	g = file_generation();
	/* refusals change nothing */
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     0, perm, plen));
	perm[plen - 1] ^= 1;
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     PTM_STATE_FLAG_ENCRYPTED,
						     perm, plen));
	perm[plen - 1] ^= 1;
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_VOLATILE,
						     PTM_STATE_FLAG_ENCRYPTED,
						     perm, plen));
	assert_int_equal(TPM_BAD_PARAMETER, set_blob(fd, 7,
						     PTM_STATE_FLAG_ENCRYPTED,
						     perm, plen));
	/* another VM's blob (another key) */
	test_sealer_init(&other, t_other_id, other_tk);
	assert_int_equal(0, other.ops.seal(&other.ops, 99, perm, plen, &forged,
					   &flen));
	assert_int_equal(TPM_DECRYPT_ERROR, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     PTM_STATE_FLAG_ENCRYPTED,
						     forged, flen));
	test_sealer_wipe(&other);
	assert_int_equal(g, file_generation());
	/* the genuine blobs: taken, sealed to disk, the TPM runs on */
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
				     PTM_STATE_FLAG_ENCRYPTED, perm, plen));
	assert_int_equal(0, set_blob(fd, PTM_BLOB_TYPE_VOLATILE,
				     PTM_STATE_FLAG_ENCRYPTED, vol, vlen));
	assert_true(file_generation() > g);
	assert_int_equal(0, init_tpm(fd, PTM_INIT_FLAG_DELETE_VOLATILE));
	assert_true(nv_holds(dfd, "migrating tag"));
	/* the same blobs again are older than the state now: a rollback */
	assert_int_equal(0, ctrl_res(fd, CMD_STOP, NULL, 0));
	g = file_generation();
	assert_int_equal(TPM_BAD_VERSION, set_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						   PTM_STATE_FLAG_ENCRYPTED,
						   perm, plen));
	assert_int_equal(g, file_generation());
	assert_int_equal(0, init_tpm(fd, 0));
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	assert_true(nv_holds(dfd, "migrating tag"));
	free(perm);
	free(vol);
	free(forged);
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

/* One announcement's fields; NULL leaves a field out. */
struct announcement {
	const char *magic;
	const char *transport;
	const char *dst;
	int other_vm;
	long long expires;	/* from now */
	mode_t mode;
};

/* Write @a as the announcement next to the state file. */
static void announce(const struct announcement *a)
{
	char path[300], vm[VMS_UUID_STR_LEN];
	FILE *f;

	vms_uuid_format(a->other_vm ? t_other_id : t_vm_id, vm);
	snprintf(path, sizeof(path), "%s%s", state_path, MIGRATE_GATE_SUFFIX);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s vm=%s", a->magic, vm);
	if (a->transport)
		fprintf(f, " transport=%s", a->transport);
	if (a->dst)
		fprintf(f, " dst=%s", a->dst);
	fprintf(f, " expires=%lld\n", (long long)time(NULL) + a->expires);
	fclose(f);
	assert_int_equal(0, chmod(path, a->mode));
}

#define GOOD_MAGIC	MIGRATE_GATE_MAGIC " 1"

/*
 * A gated server (a shielded VM): GET_STATEBLOB fails, with nothing
 * sealed or sent, unless FILE.migrate-out announces a TLS migration of
 * this VM that has not expired; then the blob comes sealed as always.
 */
static void test_state_blobs_gated_to_tls_migration(void **state)
{
	struct migrate_gate g = { .state = state_path };
	const struct announcement good = {
		GOOD_MAGIC, "tls", "host-b", 0, 600, 0600,
	}, bad[] = {
		{ GOOD_MAGIC, "tcp", "host-b", 0, 600, 0600 },	/* plain */
		{ GOOD_MAGIC, NULL, "host-b", 0, 600, 0600 },
		{ GOOD_MAGIC, "tls", NULL, 0, 600, 0600 },	/* no host */
		{ MIGRATE_GATE_MAGIC " 2", "tls", "host-b", 0, 600, 0600 },
		{ "vmshield", "tls", "host-b", 0, 600, 0600 },
		{ GOOD_MAGIC, "tls", "host-b", 1, 600, 0600 },	/* other VM */
		{ GOOD_MAGIC, "tls", "host-b", 0, -5, 0600 },	/* expired */
		{ GOOD_MAGIC, "tls", "host-b", 0, 2 * MIGRATE_GATE_MAX_S, 0600 },
		{ GOOD_MAGIC, "tls", "host-b", 0, 600, 0622 },	/* writable */
	};
	uint8_t *blob;
	size_t len, i;
	uint32_t flags;
	char path[300];
	u64 g0;
	int fd, dfd;

	(void)state;
	snprintf(path, sizeof(path), "%s%s", state_path, MIGRATE_GATE_SUFFIX);
	unlink(path);
	memcpy(g.vm_id, t_vm_id, sizeof(g.vm_id));
	provision();
	t_gate = &g;
	start_server(0);
	t_gate = NULL;
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	g0 = file_generation();
	/* no announcement: refused, no data (QEMU aborts its migration) */
	assert_int_equal(TPM_FAIL, get_blob(fd, PTM_BLOB_TYPE_PERMANENT,
					     &flags, &blob, &len));
	assert_int_equal(0, len);
	free(blob);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		announce(&bad[i]);
		assert_int_equal(TPM_FAIL, get_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     &flags, &blob, &len));
		assert_int_equal(0, len);
		free(blob);
		assert_int_equal(TPM_FAIL, get_blob(fd, PTM_BLOB_TYPE_VOLATILE,
						     &flags, &blob, &len));
		assert_int_equal(0, len);
		free(blob);
	}
	/* a symbolic link to a good announcement is not one */
	announce(&good);
	{
		char real[320];

		snprintf(real, sizeof(real), "%s.real", path);
		assert_int_equal(0, rename(path, real));
		assert_int_equal(0, symlink(real, path));
		assert_int_equal(TPM_FAIL, get_blob(fd, PTM_BLOB_TYPE_PERMANENT,
						     &flags, &blob, &len));
		free(blob);
		unlink(path);
		unlink(real);
	}
	assert_int_equal(g0, file_generation());
	/* the TPM went on running through all of that */
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8,
				    sizeof(cmd_get_random8), NULL, NULL));
	/* announced: the blobs, sealed */
	announce(&good);
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_PERMANENT, &flags,
				     &blob, &len));
	assert_int_equal(PTM_STATE_FLAG_ENCRYPTED, flags);
	assert_memory_equal(blob, "VMSS", 4);
	free(blob);
	assert_int_equal(0, get_blob(fd, PTM_BLOB_TYPE_VOLATILE, &flags,
				     &blob, &len));
	assert_int_equal(PTM_STATE_FLAG_ENCRYPTED, flags);
	free(blob);
	unlink(path);
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

/* Every control command, truncated and then with too long a body. */
static void test_abuse_control_messages(void **state)
{
	static const uint32_t with_body[] = {
		CMD_INIT, CMD_SET_LOCALITY, CMD_HASH_DATA,
		CMD_RESET_TPMESTABLISHED, CMD_GET_STATEBLOB, CMD_SET_STATEBLOB,
		CMD_SET_BUFFERSIZE, CMD_GET_INFO,
	};
	static const uint32_t no_body[] = {
		CMD_GET_CAPABILITY, CMD_SHUTDOWN, CMD_GET_TPMESTABLISHED,
		CMD_HASH_START, CMD_HASH_END, CMD_CANCEL_TPM_CMD,
		CMD_STORE_VOLATILE, CMD_STOP, CMD_GET_CONFIG, CMD_SET_DATAFD,
	};
	uint8_t msg[32] = { 0 }, r[16], big[16];
	uint32_t res;
	size_t i;
	int fd, dfd, fd2;
	u64 g;

	(void)state;
	provision();
	start_server(0);
	fd = ctrl_connect();
	g = file_generation();
	/* truncated: the fixed part never comes; answered after the deadline */
	for (i = 0; i < ARRAY_SIZE(with_body); i++) {
		ctrl_put_be32(msg, with_body[i]);
		send_all(fd, msg, 5);	/* code + 1 byte */
		assert_int_equal(4, read_n(fd, r, 4));
		/* 1 byte is the whole request of these two */
		if (with_body[i] == CMD_SET_LOCALITY)
			assert_int_equal(0, ctrl_get_be32(r));
		else if (with_body[i] == CMD_RESET_TPMESTABLISHED)
			assert_int_equal(TPM_BAD_ORDINAL, ctrl_get_be32(r));
		else
			assert_int_equal(TPM_BAD_PARAMETER, ctrl_get_be32(r));
	}
	/* a body where none belongs: TPM_BAD_PARAMETER, nothing done */
	for (i = 0; i < ARRAY_SIZE(no_body); i++) {
		ctrl_put_be32(msg, no_body[i]);
		send_all(fd, msg, 8);
		assert_int_equal(4, read_n(fd, r, 4));
		assert_int_equal(TPM_BAD_PARAMETER, ctrl_get_be32(r));
	}
	/* CMD_INIT with a body of 8: refused as swtpm refuses it */
	ctrl_put_be32(msg, CMD_INIT);
	send_all(fd, msg, 12);
	assert_int_equal(4, read_n(fd, r, 4));
	assert_int_equal(TPM_BAD_PARAMETER, ctrl_get_be32(r));
	/* unknown commands */
	for (i = 0; i < 3; i++) {
		static const uint32_t unknown[] = { 0, 0x13, 0xdeadbeef };

		ctrl_put_be32(msg, unknown[i]);
		send_all(fd, msg, 4);
		assert_int_equal(4, read_n(fd, r, 4));
		assert_int_equal(TPM_BAD_ORDINAL, ctrl_get_be32(r));
	}
	/* out of order: commands that need a running TPM */
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_res(fd, CMD_HASH_START, NULL, 0));
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_res(fd, CMD_STORE_VOLATILE, NULL, 0));
	ctrl(fd, CMD_GET_TPMESTABLISHED, NULL, 0, r, 4);
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_get_be32(r));
	memset(big, 0, sizeof(big));
	big[7] = PTM_BLOB_TYPE_PERMANENT;
	ctrl(fd, CMD_GET_STATEBLOB, big, 12, r, 4);
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_get_be32(r));
	/* bad locality */
	big[0] = 5;
	assert_int_equal(TPM_BAD_LOCALITY, ctrl_res(fd, CMD_SET_LOCALITY, big, 1));
	/* SET_DATAFD without a descriptor; then twice */
	assert_int_equal(TPM_BAD_PARAMETER, ctrl_res(fd, CMD_SET_DATAFD, NULL, 0));
	dfd = set_datafd(fd, &res);
	assert_int_equal(0, res);
	close(set_datafd(fd, &res));
	assert_int_equal(TPM_IOERROR, res);
	assert_int_equal(0, init_tpm(fd, 0));
	/* SET_BUFFERSIZE while running */
	ctrl_put_be32(big, 8192);
	assert_int_equal(TPM_BAD_ORDINAL, ctrl_res(fd, CMD_SET_BUFFERSIZE, big, 4));
	/* a blob declared longer than any: answered, then the line is closed */
	ctrl_put_be32(msg, CMD_SET_STATEBLOB);
	memset(msg + 4, 0, 12);
	ctrl_put_be32(msg + 12, 0x7fffffff);
	send_all(fd, msg, 16);
	assert_int_equal(4, read_n(fd, r, 4));
	assert_int_equal(TPM_BAD_PARAMETER, ctrl_get_be32(r));
	assert_true(closed_by_peer(fd));
	close(fd);
	/* a second control client waits until the first one leaves */
	fd = ctrl_connect();
	ctrl(fd, CMD_GET_CAPABILITY, NULL, 0, r, 8);
	fd2 = ctrl_connect();
	send_all(fd2, (uint8_t[]){ 0, 0, 0, CMD_GET_CAPABILITY }, 4);
	{
		struct pollfd pf = { .fd = fd2, .events = POLLIN };

		assert_int_equal(0, poll(&pf, 1, 300));
	}
	ctrl(fd, CMD_GET_CAPABILITY, NULL, 0, r, 8);	/* the first works */
	close(fd);
	assert_int_equal(8, read_n(fd2, r, 8));		/* now served */
	fd = fd2;
	/* a client vanishing mid-command */
	send_all(fd, (uint8_t[]){ 0, 0, 0, CMD_SET_STATEBLOB, 0, 0 }, 6);
	close(fd);
	fd = ctrl_connect();
	ctrl(fd, CMD_GET_CAPABILITY, NULL, 0, r, 8);
	/* the data channel: a command over the buffer size */
	{
		uint8_t cmd[8192] = { 0x80, 0x01 }, resp[64];
		size_t rl;

		ctrl_put_be32(cmd + 2, sizeof(cmd));
		assert_int_equal(TPM2_RC_COMMAND_SIZE,
				 tpm_cmd(dfd, cmd, sizeof(cmd), resp, &rl));
		/* a size below a header: refused, the channel closed */
		assert_int_equal(TPM2_RC_COMMAND_SIZE,
				 tpm_cmd(dfd, (uint8_t[]){ 0x80, 1, 0, 0, 0, 4, 0, 0, 0, 0 },
					 10, resp, &rl));
		assert_true(closed_by_peer(dfd));
		close(dfd);
	}
	/* a new data channel; the TPM still answers; the state unchanged */
	dfd = set_datafd(fd, &res);
	assert_int_equal(0, res);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	/* a client vanishing mid-TPM-command */
	send_all(dfd, cmd_startup_clear, 6);
	close(dfd);
	dfd = set_datafd(fd, &res);
	assert_int_equal(0, res);
	assert_int_equal(0, tpm_cmd(dfd, cmd_get_random8,
				    sizeof(cmd_get_random8), NULL, NULL));
	assert_true(file_generation() >= g);
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

/* A seal that fails: the command is not answered, the server stops. */
static void test_failed_seal_is_never_acknowledged(void **state)
{
	char val[32], acked[32] = "";
	uint8_t b[256];
	size_t n;
	u64 g = 0;
	int fd, dfd, i;

	(void)state;
	provision();
	start_server(6);	/* the seventh seal of this server fails */
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	n = nv_define_cmd(b, NV_INDEX, 32);
	assert_int_equal(0, tpm_cmd(dfd, b, n, NULL, NULL));
	for (i = 0; i < 20; i++) {
		snprintf(val, sizeof(val), "value %d", i);
		n = nv_write_cmd(b, NV_INDEX, val);
		if (tpm_cmd(dfd, b, n, NULL, NULL))
			break;		/* no answer: the seal failed */
		strcpy(acked, val);
		g = file_generation();
	}
	assert_true(i < 20 && acked[0]);
	assert_int_equal(1, server_exit());
	assert_int_equal(g, file_generation());
	close(fd);
	close(dfd);
	/* the next worker has the last acknowledged value */
	start_server(0);
	fd = qemu_connect(&dfd);
	assert_int_equal(0, tpm_cmd(dfd, cmd_startup_clear,
				    sizeof(cmd_startup_clear), NULL, NULL));
	assert_true(nv_holds(dfd, acked));
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
	close(dfd);
}

/* --- a stock QEMU on serve: SeaBIOS measures into the vTPM ------------- */

/* Start QEMU (firmware only: no disk) on sock_path; its pid. */
static pid_t start_qemu(const char *biolog)
{
	char chr[300], dbg[300];
	pid_t pid;

	snprintf(chr, sizeof(chr), "socket,id=chrtpm,path=%s", sock_path);
	snprintf(dbg, sizeof(dbg), "file,id=dbg,path=%s", biolog);
	unlink(biolog);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-M", "pc",
		       "-accel", "tcg", "-m", "64", "-nodefaults",
		       "-display", "none", "-no-reboot", "-chardev", chr,
		       "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
		       "-device", "tpm-tis,tpmdev=tpm0", "-chardev", dbg,
		       "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait (up to @secs) for SeaBIOS to give up booting: PCRs 0-7 are done. */
static int wait_firmware_done(const char *biolog, int secs)
{
	uint8_t *log = NULL;
	size_t len = 0;
	int i, found = 0;

	for (i = 0; i < secs * 10 && !found; i++) {
		usleep(100000);
		if (vms_read_file(biolog, 1 << 20, &log, &len))
			continue;
		found = memmem(log, len, "No bootable device", 18) != NULL;
		free(log);
		log = NULL;
	}
	return found;
}

/* PCR 0-7 (SHA-256) through a data channel of our own: 8 x 32 bytes. */
static void read_pcrs(int fd, uint8_t pcrs[8][32])
{
	static const uint8_t pcr_read[] = {
		0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e,
		0, 0, 0, 1, 0, 0x0b, 3, 0xff, 0, 0,
	};
	uint8_t resp[512];
	size_t rl = 0, i;
	uint32_t res;
	int dfd = set_datafd(fd, &res);

	assert_int_equal(0, res);
	assert_int_equal(0, tpm_cmd(dfd, pcr_read, sizeof(pcr_read), resp, &rl));
	/* header 10, updateCounter 4, selection 10, count 4, 8 x (2 + 32) */
	assert_int_equal(10 + 4 + 10 + 4 + 8 * 34, rl);
	for (i = 0; i < 8; i++)
		memcpy(pcrs[i], resp + 28 + i * 34 + 2, 32);
	close(dfd);
}

static void test_qemu_boots_seabios_power_cycle(void **state)
{
	char biolog[300];
	uint8_t first[8][32], second[8][32];
	u64 g1, g2;
	pid_t q;
	int fd, i, st;

	(void)state;
	if (system("command -v qemu-system-x86_64 >/dev/null")) {
		skip();
		return;
	}
	snprintf(biolog, sizeof(biolog), "%s/bios.log", dir);
	provision();
	start_server(0);
	/* boot 1: SeaBIOS finds the TPM, measures, finds nothing to boot */
	q = start_qemu(biolog);
	assert_true(wait_firmware_done(biolog, 60));
	g1 = file_generation();
	assert_true(g1 > 1);		/* Startup(CLEAR) and more were sealed */
	kill(q, SIGKILL);		/* a pulled plug: no CMD_SHUTDOWN */
	waitpid(q, &st, 0);
	fd = ctrl_connect();
	read_pcrs(fd, first);
	for (i = 0; i < 8; i++)
		assert_false(t_all(first[i], 32, 0));	/* all measured */
	close(fd);
	/* boot 2 on the same worker: PCRs reset and measured again */
	q = start_qemu(biolog);
	assert_true(wait_firmware_done(biolog, 60));
	g2 = file_generation();
	assert_true(g2 > g1);
	kill(q, SIGKILL);
	waitpid(q, &st, 0);
	fd = ctrl_connect();
	read_pcrs(fd, second);
	/* the same firmware measured the same way: equal, not extended twice */
	assert_memory_equal(first, second, sizeof(first));
	assert_int_equal(0, ctrl_res(fd, CMD_SHUTDOWN, NULL, 0));
	assert_int_equal(0, server_exit());
	close(fd);
}

/* --- tpm2-tools: serve (TCP mode) against swtpm ------------------------ */

static uint16_t free_port_pair(void)
{
	int i, a, b;
	uint16_t p;

	for (i = 0; i < 50; i++) {
		/* below Linux's ephemeral range (32768-60999): no client's
		 * port can take it between this probe and the bind
		 */
		p = (uint16_t)(10000 + (rand() % 10000) * 2);
		a = tcp_connect(p);
		b = tcp_connect(p + 1);
		if (a < 0 && b < 0)
			return p;
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	}
	return 0;
}

/* Run @tools against @tcti; its stdout into @out (appended). */
static int run_with_tcti(const char *tcti, const char *out, const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "TPM2TOOLS_TCTI=%s %s >>%s 2>>tools.log",
		 tcti, cmd, out);
	return system(line);
}

static int run_tool_set(const char *tcti, const char *out)
{
	static const char *const cmds[] = {
		"tpm2_startup -c",
		"tpm2_pcrread sha256:0,1,2,3,4,5,6,7,16,23",
		"tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001",
		"tpm2_pcrread sha256:16",
		"tpm2_nvdefine 0x1500030 -C o -s 16 -a \"ownerread|ownerwrite\"",
		"echo -n vmshield-tag-16b | tpm2_nvwrite 0x1500030 -C o -i-",
		"tpm2_nvread 0x1500030 -C o -s 16",
		"tpm2_getrandom 16 --hex | wc -c",
		"tpm2_getcap properties-fixed | grep -A1 TPM2_PT_MANUFACTURER | tail -1",
	};
	char cmd[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		snprintf(cmd, sizeof(cmd), "sh -c '%s'", cmds[i]);
		if (run_with_tcti(tcti, out, cmd))
			return (int)i + 1;
	}
	return 0;
}

static int file_equal(const char *a, const char *b)
{
	uint8_t *pa = NULL, *pb = NULL;
	size_t la = 0, lb = 0;
	int eq;

	if (vms_read_file(a, 1 << 20, &pa, &la) ||
	    vms_read_file(b, 1 << 20, &pb, &lb))
		return 0;
	eq = la == lb && la > 0 && !memcmp(pa, pb, la);
	free(pa);
	free(pb);
	return eq;
}

static void test_tpm2_tools_same_as_swtpm(void **state)
{
	struct serve_opts o = { .io_timeout_ms = 2000 };
	char tcti[128], arg[64], sw_state[300], srv[48], ctl[48], st[320];
	uint16_t port, swport;
	pid_t sw;
	int i, fd;

	(void)state;
	if (system("command -v tpm2_startup >/dev/null && command -v swtpm >/dev/null")) {
		skip();
		return;
	}
	provision();
	port = free_port_pair();
	assert_true(port);
	snprintf(arg, sizeof(arg), "type=tcp,port=%u", port + 1);
	assert_int_equal(0, serve_parse_ctrl(arg, &o.ctrl));
	snprintf(arg, sizeof(arg), "type=tcp,port=%u", port);
	assert_int_equal(0, serve_parse_server(arg, &o.data));
	assert_int_equal(0, serve_parse_flags("not-need-init", &o));
	start_server_opts(&o, 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u", port);
	assert_int_equal(0, run_tool_set(tcti, "serve.out"));
	kill(server, SIGTERM);
	assert_int_equal(0, server_exit());

	/* swtpm, same flags, a fresh state */
	swport = free_port_pair();
	assert_true(swport);
	snprintf(sw_state, sizeof(sw_state), "%s/swtpm", dir);
	mkdir(sw_state, 0700);
	snprintf(srv, sizeof(srv), "type=tcp,port=%u", swport);
	snprintf(ctl, sizeof(ctl), "type=tcp,port=%u", swport + 1);
	snprintf(st, sizeof(st), "dir=%s", sw_state);
	fflush(NULL);
	sw = fork();
	assert_true(sw >= 0);
	if (!sw) {
		execvp("swtpm", (char *[]){ "swtpm", "socket", "--tpm2",
			"--server", srv, "--ctrl", ctl, "--tpmstate", st,
			"--flags", "not-need-init", NULL });
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		fd = tcp_connect(swport + 1);
		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(10000);
	}
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u", swport);
	assert_int_equal(0, run_tool_set(tcti, "swtpm.out"));
	kill(sw, SIGTERM);
	waitpid(sw, &i, 0);
	assert_true(file_equal("serve.out", "swtpm.out"));
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/vms-serve-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(state_path, sizeof(state_path), "%s/vm.state", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/ctrl.sock", dir);
	if (chdir(dir))
		return -1;
	srand((unsigned int)getpid());
	return 0;
}

/* After each test, also a failed one: no server left behind. */
static int end_test(void **state)
{
	(void)state;
	kill_server();
	unlink(sock_path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	kill_server();
	if (!getenv("VMS_SERVE_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_qemu_sequence, end_test),
		cmocka_unit_test_teardown(test_every_change_is_sealed_first, end_test),
		cmocka_unit_test_teardown(test_state_blobs_are_sealed, end_test),
		cmocka_unit_test_teardown(test_state_blobs_gated_to_tls_migration, end_test),
		cmocka_unit_test_teardown(test_abuse_control_messages, end_test),
		cmocka_unit_test_teardown(test_failed_seal_is_never_acknowledged, end_test),
		cmocka_unit_test_teardown(test_qemu_boots_seabios_power_cycle, end_test),
		cmocka_unit_test_teardown(test_tpm2_tools_same_as_swtpm, end_test),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, setup, teardown);
}
