// SPDX-License-Identifier: GPL-2.0
/*
 * bench_seal - module SEAL/UNSEAL throughput against OpenSSL AES-256-GCM
 * on the same data in the same (guest) process, as a ratio.
 *
 * For 4 KiB, 64 KiB and 1 MiB states: MB/s of VMSHIELD_IOC_SEAL and
 * _UNSEAL (copy in, one HKDF-Expand, AES-256-GCM, copy out) and of a bare
 * OpenSSL EVP AES-256-GCM encrypt/decrypt with the same 80-byte aad, and
 * kernel/OpenSSL. Also names the gcm(aes) driver the kernel uses (highest
 * priority for that name in /proc/crypto) and measures that driver bare,
 * through AF_ALG, so a gap can be put where it belongs: in the cipher the
 * kernel has (AF_ALG vs OpenSSL) or in the module around it (module vs
 * AF_ALG). Output: "# bench:" lines.
 * Not a test (not in TESTS); run it in the rig:
 *   selftests/vm/run $PWD/build/selftests/bench_seal
 * BENCH_SECONDS (default 1.2) is the time spent on each measurement, split
 * over ROUNDS rounds that alternate the contenders, so that load changes on
 * a noisy machine hit both sides of each ratio alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_alg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "vmstest.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double budget = 1.2;

/* One GCM pass with OpenSSL; 0 or -1. */
static int ossl_gcm(int enc, const uint8_t key[32], const uint8_t iv[12],
		    const uint8_t *aad, const uint8_t *in, size_t len,
		    uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) &&
	     EVP_CipherUpdate(c, NULL, &outl, aad, 80) &&
	     EVP_CipherUpdate(c, out, &outl, in, (int)len);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
	ok = ok && EVP_CipherFinal_ex(c, out + outl, &outl);
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* A gcm(aes) request socket with @key, or -1. */
static int alg_open(const uint8_t key[32])
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead",
				   .salg_name = "gcm(aes)" };
	int tfm, op = -1, big = 8 << 20;

	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return -1;
	if (!bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, 32) &&
	    !setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, 16))
		op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
	close(tfm);
	/* a whole 1 MiB request must fit in the socket's queue (root only) */
	if (op >= 0 && (setsockopt(op, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) ||
			setsockopt(op, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))) {
		close(op);
		op = -1;
	}
	return op;
}

/*
 * One GCM operation in the kernel's gcm(aes) through AF_ALG: @io holds
 * aad (80) || input and receives aad || output; @len is the input length
 * (ciphertext with its tag when decrypting). 0 or -1.
 */
static int alg_gcm(int op, int enc, const uint8_t iv[12], uint8_t *io,
		   size_t len, size_t outlen)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t)) * 2 +
		  CMSG_SPACE(sizeof(struct af_alg_iv) + 12)] = { 0 };
	struct iovec iov = { .iov_base = io, .iov_len = 80 + len };
	struct msghdr msg = { .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct af_alg_iv *aiv;

	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(c) = 80;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*aiv) + 12);
	aiv = (struct af_alg_iv *)CMSG_DATA(c);
	aiv->ivlen = 12;
	memcpy(aiv->iv, iv, 12);
	/* in pieces: one sendmsg takes at most a limited number of pages */
	for (size_t off = 0, total = 80 + len; off < total;) {
		size_t n = total - off > 65536 ? 65536 : total - off;

		iov.iov_base = io + off;
		iov.iov_len = n;
		if (sendmsg(op, &msg, off + n < total ? MSG_MORE : 0) != (ssize_t)n)
			return -1;
		msg.msg_control = NULL;	/* the options go with the first piece */
		msg.msg_controllen = 0;
		off += n;
	}
	return read(op, io, 80 + outlen) == (ssize_t)(80 + outlen) ? 0 : -1;
}

/* Write @val to the sysctl file @path; returns the old value or -1. */
static long sysctl_swap(const char *path, long val)
{
	FILE *f = fopen(path, "r+");
	long old = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	rewind(f);
	if (old >= 0)
		fprintf(f, "%ld\n", val);
	fclose(f);
	return old;
}

#define ROUNDS	9
#define NOPS	6	/* seal, unseal, ossl enc, ossl dec, AF_ALG enc, dec */

struct bench_ctx {
	int fd, alg;
	key_serial_t serial;
	size_t len, n;
	const uint8_t *key, *iv, *aad;
	uint8_t *pt, *blob, *out, *io, tag[16];
	int err, alg_err;
};

/* One operation @op on the context's buffers. */
static void bench_op(struct bench_ctx *b, int op)
{
	size_t m = b->len;

	switch (op) {
	case 0:
		b->n = b->len + 96;
		b->err |= vt_seal(b->fd, b->serial, 1, b->pt, b->len, b->blob,
				  &b->n);
		break;
	case 1:
		b->err |= vt_unseal(b->fd, b->serial, b->blob, b->n, b->pt, &m,
				    NULL);
		break;
	case 2:
		b->err |= ossl_gcm(1, b->key, b->iv, b->aad, b->pt, b->len,
				   b->out, b->tag);
		break;
	case 3:
		b->err |= ossl_gcm(0, b->key, b->iv, b->aad, b->out, b->len,
				   b->io, b->tag);
		break;
	case 4:
	case 5:
		if (b->alg < 0 || b->alg_err)
			break;
		memcpy(b->io, b->aad, 80);
		if (op == 4) {
			memcpy(b->io + 80, b->pt, b->len);
		} else {
			memcpy(b->io + 80, b->out, b->len);
			memcpy(b->io + 80 + b->len, b->tag, 16);
		}
		errno = 0;
		if (alg_gcm(b->alg, op == 4, b->iv, b->io,
			    op == 4 ? b->len : b->len + 16,
			    op == 4 ? b->len + 16 : b->len))
			b->alg_err = errno ? errno : EIO;
		break;
	}
}

/* MB/s of @op over budget / ROUNDS seconds (at least 2 operations). */
static double bench_rate(struct bench_ctx *b, int op)
{
	double t0 = now_s(), t;
	unsigned long it = 0;

	do {
		bench_op(b, op);
		it++;
	} while ((t = now_s() - t0) < budget / ROUNDS || it < 2);
	return (double)b->len * (double)it / t / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v)
{
	double c[ROUNDS];

	memcpy(c, v, sizeof(c));
	qsort(c, ROUNDS, sizeof(c[0]), cmp_double);
	return c[ROUNDS / 2];
}

/* The driver with the highest priority for name "gcm(aes)". */
static void gcm_driver(char *drv, size_t size)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256], name[128] = "", cur[128] = "";
	int prio = -1, best = -1;

	snprintf(drv, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "name : %127s", name) == 1) {
			cur[0] = '\0';
			prio = -1;
		} else if (sscanf(line, "driver : %127s", cur) == 1) {
			continue;
		} else if (sscanf(line, "priority : %d", &prio) == 1) {
			if (!strcmp(name, "gcm(aes)") && prio > best) {
				best = prio;
				snprintf(drv, size, "%s (priority %d)", cur,
					 prio);
			}
		}
	}
	fclose(f);
}

int main(void)
{
	static const size_t sizes[] = { 4096, 65536, 1u << 20 };
	const char *env = getenv("BENCH_SECONDS");
	uint8_t pk[32], key[32], iv[12], aad[80];
	struct vt_release rel;
	struct vt_vm vm;
	char drv[200];
	long serial;
	unsigned int s;
	long optmem;
	int fd, alg;

	if (env && atof(env) > 0)
		budget = atof(env);
	fd = vt_open_dev();
	if (fd < 0) {
		printf("# bench: cannot open /dev/vmshield: %s\n", strerror(-fd));
		return 0;
	}
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
	serial = -1;
	if (!vt_enclave_pk(fd, pk) && !vt_release_build(&vm, pk, NULL, 0, &rel))
		serial = vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING);
	if (serial < 0) {
		printf("# bench: cannot load a key\n");
		return 0;
	}
	vt_random(key, sizeof(key));
	vt_random(iv, sizeof(iv));
	vt_random(aad, sizeof(aad));

	/*
	 * AF_ALG keeps a request's page list in socket option memory; 1 MiB
	 * needs more than net.core.optmem_max allows by default. Raise it for
	 * this run (the rig's guest is thrown away; restored at the end).
	 */
	optmem = sysctl_swap("/proc/sys/net/core/optmem_max", 4 << 20);
	alg = alg_open(key);
	printf("# bench: each figure: median over %d interleaved rounds of the per-round ratio\n",
	       ROUNDS);
	for (s = 0; s < 3; s++) {
		struct bench_ctx b = { .fd = fd, .serial = (key_serial_t)serial,
				       .alg = alg, .len = sizes[s], .key = key,
				       .iv = iv, .aad = aad };
		double mbs[NOPS][ROUNDS], r[ROUNDS];
		int op, round;

		b.pt = malloc(b.len);
		b.blob = malloc(b.len + 96);
		b.out = malloc(b.len + 16);
		b.io = malloc(80 + b.len + 16);
		if (!b.pt || !b.blob || !b.out || !b.io)
			return 0;
		vt_fill_pattern(b.pt, b.len, (unsigned int)s);
		/* one of each first: blob, ciphertext and tag for the opens */
		for (op = 0; op < NOPS; op++)
			bench_op(&b, op);
		b.err = 0;
		for (round = 0; round < ROUNDS; round++)
			for (op = 0; op < NOPS; op++)
				mbs[op][round] = bench_rate(&b, op);

		for (op = 0; op < 2; op++) {
			for (round = 0; round < ROUNDS; round++)
				r[round] = mbs[op][round] / mbs[op + 2][round];
			printf("# bench: %-6s %7zu B: module %8.1f MB/s, openssl aes-256-gcm %8.1f MB/s, ratio %.3f%s\n",
			       op ? "unseal" : "seal", b.len, median(mbs[op]),
			       median(mbs[op + 2]), median(r),
			       b.err ? " (ERRORS)" : "");
		}
		if (alg >= 0 && !b.alg_err) {
			double ko[2], mk[2];

			for (op = 0; op < 2; op++) {
				for (round = 0; round < ROUNDS; round++)
					r[round] = mbs[op + 4][round] / mbs[op + 2][round];
				ko[op] = median(r);
				for (round = 0; round < ROUNDS; round++)
					r[round] = mbs[op][round] / mbs[op + 4][round];
				mk[op] = median(r);
			}
			printf("# bench:   %7zu B, the kernel's gcm(aes) bare via AF_ALG: %.3f x openssl (encrypt), %.3f (decrypt); module %.3f x it (seal), %.3f (unseal)\n",
			       b.len, ko[0], ko[1], mk[0], mk[1]);
		} else {
			printf("# bench:   kernel gcm(aes) via AF_ALG: not available (%s)\n",
			       alg < 0 ? "no AF_ALG aead socket" : strerror(b.alg_err));
		}
		free(b.io);
		free(b.pt);
		free(b.blob);
		free(b.out);
	}
	if (optmem > 0)
		sysctl_swap("/proc/sys/net/core/optmem_max", optmem);
	gcm_driver(drv, sizeof(drv));
	printf("# bench: kernel gcm(aes) driver: %s\n", drv);
	printf("# bench: openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
	keyctl_revoke((key_serial_t)serial);
	close(fd);
	return 0;
}
