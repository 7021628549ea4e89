/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hgsd.h - struct hgsd, the daemon's context: its settings, the store,
 * the public service keys, the snapshot, the nonce and challenge tables
 * and the counters. One per process (the key process has its own copy).
 *
 * Every concern has its own header (README.md lists them); this one is
 * included by the files that reach into struct hgsd's fields.
 */
#ifndef HGSD_H
#define HGSD_H

#include <pthread.h>
#include <time.h>

#include <openssl/x509.h>

#include "config.h"
#include "keys.h"
#include "state.h"

struct hgsd {
	struct hgsd_config cfg;
	struct store *st;
	/* service keys, read-only after start */
	EVP_PKEY *signer_key;
	X509 *signer_cert;
	char *tls_key_pem;	/* only until the HTTPS daemon has it */
	size_t tls_key_len;
	char *tls_cert_pem;
	char *admin_ca_pem;	/* trust for admin client certificates */
	struct hgs_guardian guardians[HGSD_MAX_GUARDIANS];
	unsigned int n_guardians;
	const struct vms_guardian *guardian_ptrs[HGSD_MAX_GUARDIANS];
	/* snapshot */
	pthread_rwlock_t lock;
	struct host_entry *hosts;
	size_t n_hosts;
	struct policy pol;
	/* TPM-mode policy, baselines, digests (refcounted, swapped on reload) */
	struct tpm_state *tpm;
	/* the change feed's sequence the snapshot was read at or after (atomic) */
	long long snapshot_seq;
	X509_STORE *ek_roots;		/* tpm_ek_roots; NULL = none */
	pthread_mutex_t tpm_clock_lock;
	/* nonces */
	struct nonce_table *nonces;
	struct tpm_sessions *tpm_sessions;
	struct ratelimit *challenge_rate;	/* per source: nonces, TPM challenges */
	/* counters */
	unsigned long attest_ok, attest_fail, release_ok, release_fail;
	time_t started;
};

#endif /* HGSD_H */
