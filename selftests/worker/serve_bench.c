// SPDX-License-Identifier: GPL-2.0
/*
 * serve_bench.c - TPM commands per second through a swtpm-protocol
 * control socket, as a VMM sends them: CMD_SET_DATAFD, CMD_INIT,
 * TPM2_Startup, then timed loops of TPM2_GetRandom(32), TPM2_PCR_Read
 * (PCR 0-7, SHA-256) and TPM2_NV_Write (32 bytes, owner auth); with
 * --extend also TPM2_PCR_Extend (PCR 16, SHA-256). Run it against
 * `vmshield-worker serve` and against swtpm in the same guest
 * (serve_bench.sh), or against serve with its vTPM in the worker and in
 * the enclave (selftests/kmod/bench_vtpm.sh), and compare.
 *
 *   serve_bench SOCKET SECONDS [--extend]
 *     one line: "getrandom R pcrread R [pcrextend R ]nvwrite R"
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NV_INDEX	0x01500030u

static int ctrl_fd, data_fd;

static void die(const char *what)
{
	fprintf(stderr, "serve_bench: %s\n", what);
	exit(1);
}

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

static void read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n <= 0)
			die("connection closed");
		p += n;
		len -= (size_t)n;
	}
}

static uint32_t ctrl(uint32_t cmd, const uint8_t *body, size_t blen, int pass)
{
	uint8_t msg[16], r[4];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = msg, .iov_len = 4 + blen };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	put32(msg, cmd);
	memcpy(msg + 4, body, blen);
	if (pass >= 0) {
		struct cmsghdr *cm;

		m.msg_control = c.buf;
		m.msg_controllen = sizeof(c.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	}
	if (sendmsg(ctrl_fd, &m, 0) != (ssize_t)(4 + blen))
		die("control send");
	read_all(ctrl_fd, r, 4);
	return get32(r);
}

/* One TPM command; its response code. */
static uint32_t tpm(const uint8_t *cmd, size_t len)
{
	uint8_t resp[4096];
	uint32_t size;

	if (write(data_fd, cmd, len) != (ssize_t)len)
		die("data send");
	read_all(data_fd, resp, 10);
	size = get32(resp + 2);
	if (size < 10 || size > sizeof(resp))
		die("bad response size");
	read_all(data_fd, resp + 10, size - 10);
	return get32(resp + 6);
}

static const uint8_t pw[] = { 0, 0, 0, 9, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0 };

static size_t nv_write_cmd(uint8_t *b, uint32_t i)
{
	size_t n = 10;

	b[0] = 0x80;
	b[1] = 0x02;
	put32(b + 6, 0x137);
	put32(b + n, 0x40000001);
	put32(b + n + 4, NV_INDEX);
	n += 8;
	memcpy(b + n, pw, sizeof(pw));
	n += sizeof(pw);
	b[n++] = 0;
	b[n++] = 32;
	memset(b + n, 0, 32);
	put32(b + n, i);
	n += 32;
	b[n++] = 0;
	b[n++] = 0;
	put32(b + 2, (uint32_t)n);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Commands per second of @cmd for @secs (NV_Write when @cmd is NULL). */
static double rate(const uint8_t *cmd, size_t len, double secs)
{
	uint8_t nv[128];
	double t0 = now(), t;
	uint32_t i = 0;

	do {
		if (cmd) {
			if (tpm(cmd, len))
				die("command failed");
		} else {
			len = nv_write_cmd(nv, i);
			if (tpm(nv, len))
				die("TPM2_NV_Write failed");
		}
		i++;
		t = now();
	} while (t - t0 < secs);
	return i / (t - t0);
}

static void setup(const char *path)
{
	static const uint8_t startup[] = { 0x80, 1, 0, 0, 0, 12, 0, 0, 1, 0x44, 0, 0 };
	static const uint8_t define_head[] = {
		0x80, 2, 0, 0, 0, 0, 0, 0, 1, 0x2a, 0x40, 0, 0, 1,
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 14,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t init[4] = { 0 }, def[64];
	int sv[2];
	size_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ctrl_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(ctrl_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("cannot connect to the control socket");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	if (ctrl(0x10, NULL, 0, sv[1]))
		die("CMD_SET_DATAFD");
	close(sv[1]);
	data_fd = sv[0];
	if (ctrl(0x02, init, 4, -1))
		die("CMD_INIT");
	tpm(startup, sizeof(startup));
	memcpy(def, define_head, sizeof(define_head));
	n = sizeof(define_head);
	put32(def + n, NV_INDEX);
	n += 4;
	def[n++] = 0;
	def[n++] = 0x0b;
	put32(def + n, 0x00060006);
	n += 4;
	def[n++] = 0;
	def[n++] = 0;
	def[n++] = 0;
	def[n++] = 32;
	put32(def + 2, (uint32_t)n);
	tpm(def, n);	/* TPM_RC_NV_DEFINED the second time: fine */
}

/* TPM2_PCR_Extend(16, SHA-256) with the empty password session. */
static size_t pcr_extend_cmd(uint8_t *b)
{
	size_t n = 10;

	b[0] = 0x80;
	b[1] = 0x02;
	put32(b + 6, 0x182);
	put32(b + n, 16);
	n += 4;
	memcpy(b + n, pw, sizeof(pw));
	n += sizeof(pw);
	put32(b + n, 1);
	b[n + 4] = 0;
	b[n + 5] = 0x0b;
	n += 6;
	memset(b + n, 0x5a, 32);
	n += 32;
	put32(b + 2, (uint32_t)n);
	return n;
}

int main(int argc, char **argv)
{
	static const uint8_t getrandom[] = { 0x80, 1, 0, 0, 0, 12, 0, 0, 1, 0x7b, 0, 32 };
	static const uint8_t pcrread[] = {
		0x80, 1, 0, 0, 0, 20, 0, 0, 1, 0x7e, 0, 0, 0, 1, 0, 0x0b, 3, 0xff, 0, 0,
	};
	uint8_t extend[96];
	double secs;
	int ext = argc == 4 && !strcmp(argv[3], "--extend");

	if (argc != 3 && !ext)
		die("usage: serve_bench SOCKET SECONDS [--extend]");
	secs = atof(argv[2]);
	setup(argv[1]);
	printf("getrandom %.1f", rate(getrandom, sizeof(getrandom), secs));
	printf(" pcrread %.1f", rate(pcrread, sizeof(pcrread), secs));
	if (ext)
		printf(" pcrextend %.1f", rate(extend, pcr_extend_cmd(extend), secs));
	printf(" nvwrite %.1f\n", rate(NULL, 0, secs));
	ctrl(0x03, NULL, 0, -1);	/* CMD_SHUTDOWN */
	return 0;
}
