// SPDX-License-Identifier: GPL-2.0
/*
 * bench_seal - module SEAL/UNSEAL throughput against OpenSSL AES-256-GCM
 * on the same data in the same (guest) process, as a ratio.
 *
 * For 4 KiB, 64 KiB and 1 MiB states: MB/s of VMSHIELD_IOC_SEAL and
 * _UNSEAL (copy in, one HKDF-Expand, AES-256-GCM, copy out) and of a bare
 * OpenSSL EVP AES-256-GCM encrypt/decrypt with the same 80-byte aad, and
 * kernel/OpenSSL. Also names the gcm(aes) driver the kernel uses (highest
 * priority for that name in /proc/crypto). Output: "# bench:" lines.
 * Not a test (not in TESTS); run it in the rig:
 *   selftests/vm/run $PWD/build/selftests/bench_seal
 * BENCH_SECONDS (default 0.4) is the time spent on each measurement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "vmstest.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double budget = 0.4;

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
	uint8_t pk[32], key[32], iv[12], aad[80], tag[16];
	struct vt_release rel;
	struct vt_vm vm;
	char drv[200];
	long serial;
	unsigned int s;
	int fd;

	if (env && atof(env) > 0)
		budget = atof(env);
	fd = vt_open_dev();
	if (fd < 0) {
		printf("# bench: cannot open /dev/vmshield: %s\n", strerror(-fd));
		return 0;
	}
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
	if (vt_enclave_pk(fd, pk) || vt_release_build(&vm, pk, NULL, 0, &rel) ||
	    (serial = vt_add(vm.desc, &rel, KEY_SPEC_PROCESS_KEYRING)) < 0) {
		printf("# bench: cannot load a key\n");
		return 0;
	}
	vt_random(key, sizeof(key));
	vt_random(iv, sizeof(iv));
	vt_random(aad, sizeof(aad));

	for (s = 0; s < 3; s++) {
		size_t len = sizes[s], n = len + 96, m = len;
		uint8_t *pt = malloc(len), *blob = malloc(len + 96);
		uint8_t *out = malloc(len + 16);
		double t0, t, mbs[4];
		unsigned long it[4] = { 0 };
		int err = 0;

		if (!pt || !blob || !out)
			return 0;
		vt_fill_pattern(pt, len, (unsigned int)s);
		/* kernel SEAL */
		t0 = now_s();
		do {
			n = len + 96;
			err |= vt_seal(fd, (key_serial_t)serial, 1, pt, len,
				       blob, &n);
			it[0]++;
		} while ((t = now_s() - t0) < budget || it[0] < 3);
		mbs[0] = (double)len * (double)it[0] / t / 1e6;
		/* kernel UNSEAL */
		t0 = now_s();
		do {
			m = len;
			err |= vt_unseal(fd, (key_serial_t)serial, blob, n, pt,
					 &m, NULL);
			it[1]++;
		} while ((t = now_s() - t0) < budget || it[1] < 3);
		mbs[1] = (double)len * (double)it[1] / t / 1e6;
		/* OpenSSL encrypt */
		t0 = now_s();
		do {
			err |= ossl_gcm(1, key, iv, aad, pt, len, out, tag);
			it[2]++;
		} while ((t = now_s() - t0) < budget || it[2] < 3);
		mbs[2] = (double)len * (double)it[2] / t / 1e6;
		/* OpenSSL decrypt (same ciphertext, tag checked) */
		t0 = now_s();
		do {
			err |= ossl_gcm(0, key, iv, aad, out, len, blob, tag);
			it[3]++;
		} while ((t = now_s() - t0) < budget || it[3] < 3);
		mbs[3] = (double)len * (double)it[3] / t / 1e6;

		printf("# bench: seal   %7zu B: module %8.1f MB/s, openssl aes-256-gcm %8.1f MB/s, ratio %.3f%s\n",
		       len, mbs[0], mbs[2], mbs[0] / mbs[2],
		       err ? " (ERRORS)" : "");
		printf("# bench: unseal %7zu B: module %8.1f MB/s, openssl aes-256-gcm %8.1f MB/s, ratio %.3f%s\n",
		       len, mbs[1], mbs[3], mbs[1] / mbs[3],
		       err ? " (ERRORS)" : "");
		free(pt);
		free(blob);
		free(out);
	}
	gcm_driver(drv, sizeof(drv));
	printf("# bench: kernel gcm(aes) driver: %s\n", drv);
	printf("# bench: openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
	keyctl_revoke((key_serial_t)serial);
	close(fd);
	return 0;
}
