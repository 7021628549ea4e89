// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - format-core benchmarks, each reported as a ratio to a baseline
 * timed in the same process:
 *   HPKE setup+seal / setup+open of a 32-byte TK (the key-release shape)
 *     against the raw primitives they must run (X25519 derive, keygen,
 *     8 HMAC-SHA256, one AES-256-GCM), called straight through OpenSSL;
 *   sealed-state seal/unseal at 4 KiB, 64 KiB, 1 MiB against a bare
 *     OpenSSL AES-256-GCM loop over the same data.
 * Not a test: prints figures, asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "hpke.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "vms_compiler.h"

/*
 * Each figure is the best of ROUNDS rounds of at least MIN_SECONDS, with
 * the rounds of a measurement and its baseline interleaved, so that a
 * noisy neighbour or a frequency change hits both alike.
 */
#define MIN_SECONDS 0.05
#define ROUNDS 9

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s failed\n", what);
	exit(1);
}

/* Seconds per call of @fn, over at least MIN_SECONDS. */
static double time_once(void (*fn)(void))
{
	unsigned long n = 0, batch = 1, i;
	double t0, t;

	t0 = now_s();
	for (;;) {
		for (i = 0; i < batch; i++)
			fn();
		n += batch;
		t = now_s() - t0;
		if (t >= MIN_SECONDS)
			return t / (double)n;
		if (batch < (1ul << 20))
			batch *= 2;
	}
}

/* Best-of-ROUNDS seconds per call for each of @n functions, interleaved. */
static void time_ops(void (*const *fns)(void), double *best, unsigned int n)
{
	unsigned int r, i;
	double t;

	for (i = 0; i < n; i++) {
		fns[i]();	/* warm up */
		best[i] = 1e30;
	}
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < n; i++) {
			t = time_once(fns[i]);
			if (t < best[i])
				best[i] = t;
		}
}

/* ---- shared state --------------------------------------------------------- */

static u8 sk_r[32], pk_r[32], enc[32], tk[32], aad[148], ct[48], out[48];
static u8 *data, *sealed, *plain;
static size_t datalen;
static u8 gcm_key[32], gcm_iv[12];
static struct vms_seal_key seal_key;
static EVP_CIPHER *aes256gcm;
static EVP_CIPHER_CTX *gcm_ctx;
static EVP_MAC_CTX *hmac_ctx;
static const char hpke_info[] = VMS_KR_INFO;

/* ---- HPKE and its raw primitives ------------------------------------------ */

static void op_hpke_seal(void)
{
	struct vms_hpke_ctx c;

	if (vms_hpke_setup_base_s(&c, enc, pk_r, (const u8 *)hpke_info,
				  sizeof(hpke_info) - 1,
				  VMS_HPKE_AEAD_AES256GCM, NULL) ||
	    vms_hpke_seal(&c, aad, sizeof(aad), tk, 32, ct))
		die("hpke seal");
	vms_hpke_ctx_wipe(&c);
}

static void op_hpke_open(void)
{
	struct vms_hpke_ctx c;

	if (vms_hpke_setup_base_r(&c, enc, sk_r, (const u8 *)hpke_info,
				  sizeof(hpke_info) - 1,
				  VMS_HPKE_AEAD_AES256GCM) ||
	    vms_hpke_open(&c, aad, sizeof(aad), ct, 48, out))
		die("hpke open");
	vms_hpke_ctx_wipe(&c);
}

static void op_raw_x25519_derive(void)
{
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						      sk_r, 32);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
						     enc, 32);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t len = 32;

	if (!priv || !peer || !ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1)
		die("raw x25519");
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(priv);
}

static void op_raw_x25519_keygen(void)
{
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						      sk_r, 32);
	size_t len = 32;

	if (!priv || EVP_PKEY_get_raw_public_key(priv, out, &len) != 1)
		die("raw x25519 keygen");
	EVP_PKEY_free(priv);
}

/* One HMAC of a typical HPKE label input (about 60 bytes). */
static void op_raw_hmac(void)
{
	size_t len = 0;

	if (!EVP_MAC_init(hmac_ctx, tk, 32, NULL) ||
	    !EVP_MAC_update(hmac_ctx, aad, 60) ||
	    !EVP_MAC_final(hmac_ctx, out, &len, 32))
		die("raw hmac");
}

static void gcm_seal(const u8 *in, size_t len, const u8 *a, size_t alen,
		     u8 *o)
{
	int n;

	if (EVP_EncryptInit_ex2(gcm_ctx, aes256gcm, gcm_key, gcm_iv, NULL) != 1 ||
	    EVP_EncryptUpdate(gcm_ctx, NULL, &n, a, (int)alen) != 1 ||
	    EVP_EncryptUpdate(gcm_ctx, o, &n, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(gcm_ctx, o + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_GET_TAG, 16, o + len) != 1)
		die("raw gcm seal");
}

static void gcm_open(const u8 *in, size_t len, const u8 *a, size_t alen,
		     u8 *o)
{
	int n;

	if (EVP_DecryptInit_ex2(gcm_ctx, aes256gcm, gcm_key, gcm_iv, NULL) != 1 ||
	    EVP_DecryptUpdate(gcm_ctx, NULL, &n, a, (int)alen) != 1 ||
	    EVP_DecryptUpdate(gcm_ctx, o, &n, in, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_SET_TAG, 16,
				(void *)(in + len)) != 1 ||
	    EVP_DecryptFinal_ex(gcm_ctx, o + len, &n) != 1)
		die("raw gcm open");
}

static void op_raw_gcm_tk(void)
{
	gcm_seal(tk, 32, aad, sizeof(aad), ct);
}

/* ---- sealed state and bare GCM --------------------------------------------- */

static void op_ss_seal(void)
{
	if (vms_ss_seal(&seal_key, 0, 1, data, datalen, sealed,
			datalen + VMS_SS_OVERHEAD))
		die("ss seal");
}

static void op_ss_unseal(void)
{
	if (vms_ss_unseal(&seal_key, 0, sealed, datalen + VMS_SS_OVERHEAD,
			  plain, datalen, NULL))
		die("ss unseal");
}

static u8 *bare_ct;

static void op_bare_seal(void)
{
	gcm_seal(data, datalen, sealed, VMS_SS_HDR_LEN, bare_ct);
}

/* A random-IV GCM sealer must draw an IV per message: the fairer floor. */
static void op_bare_seal_iv(void)
{
	if (RAND_bytes(gcm_iv, 12) != 1)
		die("random");
	gcm_seal(data, datalen, sealed, VMS_SS_HDR_LEN, bare_ct);
}

static void op_bare_open(void)
{
	gcm_open(bare_ct, datalen, sealed, VMS_SS_HDR_LEN, plain);
}

static void bench_setup(void)
{
	static const u8 vm[16] = { 1 }, key[16] = { 2 };
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	u8 ikm[32];

	if (RAND_bytes(ikm, 32) != 1 || RAND_bytes(tk, 32) != 1 ||
	    RAND_bytes(aad, sizeof(aad)) != 1 ||
	    RAND_bytes(gcm_key, 32) != 1 || RAND_bytes(gcm_iv, 12) != 1)
		die("random");
	if (vms_hpke_derive_keypair(ikm, 32, sk_r, pk_r))
		die("keypair");
	if (vms_seal_key_init(&seal_key, tk, vm, key, 0, 0))
		die("seal key");
	aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	gcm_ctx = EVP_CIPHER_CTX_new();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hmac_ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!aes256gcm || !gcm_ctx || !hmac_ctx ||
	    !EVP_MAC_CTX_set_params(hmac_ctx, params))
		die("openssl setup");
}

static void op_rand_iv(void)
{
	if (RAND_bytes(gcm_iv, 12) != 1)
		die("random");
}

int main(void)
{
	static void (*const hpke_ops[])(void) = {
		op_hpke_seal, op_hpke_open, op_raw_x25519_derive,
		op_raw_x25519_keygen, op_raw_hmac, op_raw_gcm_tk, op_rand_iv,
	};
	static void (*const ss_ops[])(void) = {
		op_ss_seal, op_bare_seal, op_ss_unseal, op_bare_open,
		op_bare_seal_iv,
	};
	static const size_t sizes[] = { 4096, 65536, 1 << 20 };
	double h[7], raw_s, raw_r;
	size_t i;

	bench_setup();
	printf("# vmshield format-core benchmark (OpenSSL %s), best of %d rounds\n",
	       OpenSSL_version(OPENSSL_VERSION_STRING), ROUNDS);

	op_hpke_seal();		/* makes enc/ct for open */
	time_ops(hpke_ops, h, 7);
	/*
	 * What each side cannot avoid (RFC 9180 base mode, 32-byte pt):
	 * sender: ephemeral keygen + DH; receiver: DH + its own pk (the
	 * KEM context needs pkR); both: 8 HMACs (2 KEM, 6 key schedule), one
	 * AES-256-GCM; the sender also draws 32 random bytes.
	 */
	raw_s = h[3] + h[2] + 8 * h[4] + h[5] + h[6];
	raw_r = h[2] + h[3] + 8 * h[4] + h[5];

	printf("\n## HPKE (X25519/HKDF-SHA256/AES-256-GCM, 32-byte TK, 148-byte aad)\n");
	printf("raw primitives (direct OpenSSL): x25519 derive %.1f us, x25519 keygen %.1f us, hmac-sha256 %.2f us, aes-256-gcm(32 B) %.2f us, RAND_bytes %.2f us\n",
	       h[2] * 1e6, h[3] * 1e6, h[4] * 1e6, h[5] * 1e6, h[6] * 1e6);
	printf("hpke seal (setup_base_s + seal): %8.0f /s  %6.1f us  ratio to raw primitives %.3f\n",
	       1 / h[0], h[0] * 1e6, h[0] / raw_s);
	printf("hpke open (setup_base_r + open): %8.0f /s  %6.1f us  ratio to raw primitives %.3f\n",
	       1 / h[1], h[1] * 1e6, h[1] / raw_r);

	printf("\n## sealed state vs bare OpenSSL AES-256-GCM on the same data\n");
	printf("%-8s %-7s %10s %10s %8s %9s\n", "size", "op", "MB/s",
	       "bare MB/s", "ratio", "overhead");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		double t[5];

		datalen = sizes[i];
		data = malloc(datalen);
		plain = malloc(datalen);
		sealed = malloc(datalen + VMS_SS_OVERHEAD);
		bare_ct = malloc(datalen + 16);
		if (!data || !plain || !sealed || !bare_ct ||
		    RAND_bytes(data, (int)datalen) != 1)
			die("alloc");
		op_ss_seal();
		op_bare_seal();
		time_ops(ss_ops, t, 5);
		printf("%-8zu %-7s %10.0f %10.0f %8.3f %8.1f%%\n", datalen,
		       "seal", datalen / t[0] / 1e6, datalen / t[1] / 1e6,
		       t[1] / t[0], (t[0] / t[1] - 1) * 100);
		printf("%-8zu %-7s %10.0f %10.0f %8.3f %8.1f%%  (vs bare GCM + RAND_bytes IV)\n",
		       datalen, "seal", datalen / t[0] / 1e6,
		       datalen / t[4] / 1e6, t[4] / t[0],
		       (t[0] / t[4] - 1) * 100);
		printf("%-8zu %-7s %10.0f %10.0f %8.3f %8.1f%%\n", datalen,
		       "unseal", datalen / t[2] / 1e6, datalen / t[3] / 1e6,
		       t[3] / t[2], (t[2] / t[3] - 1) * 100);
		printf("%-8zu %-7s fixed cost per blob: seal %.2f us, unseal %.2f us\n",
		       datalen, "", (t[0] - t[1]) * 1e6, (t[2] - t[3]) * 1e6);
		free(data);
		free(plain);
		free(sealed);
		free(bare_ct);
	}
	printf("# ratio = sealed-state MB/s / bare MB/s. Seal's fixed cost is one RAND_bytes (%.2f us), one HMAC (the blob key) and a GCM context;\n"
	       "# target: overhead <= 10%% at 64 KiB and above\n", h[6] * 1e6);
	vms_seal_key_wipe(&seal_key);
	EVP_CIPHER_CTX_free(gcm_ctx);
	EVP_CIPHER_free(aes256gcm);
	EVP_MAC_CTX_free(hmac_ctx);
	return 0;
}
