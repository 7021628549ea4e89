/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nonce.h - attestation nonces (nonce.c): stateless until used. A nonce
 * is a MAC, under a key that lives only in this process, over its
 * session id (which carries the mode and the issue time) and, when known,
 * the host it was issued for; issuing one keeps nothing. Only a nonce
 * presented with evidence that checked out is remembered (the replay
 * cache), until it would have expired anyway.
 *
 * Included by main.c (the table's life) and the attestation handlers
 * (attest.c, attest_tpm.c).
 */
#ifndef HGSD_NONCE_H
#define HGSD_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "vms_hgs_reason.h"

/* What a nonce was issued for: one mode's nonce is refused by the other. */
enum nonce_mode {
	NONCE_MODE_HOST_KEY = 1,	/* /v1/attest/nonce -> /v1/attest */
	NONCE_MODE_TPM = 2,		/* /v1/attest/tpm/challenge -> /v1/attest/tpm */
};

struct nonce_table;

/* @max_spent: the replay cache's size (max_nonces); @ttl_s: nonce_ttl_s. */
int nonce_table_new(unsigned int max_spent, unsigned int ttl_s, struct nonce_table **out);
void nonce_table_free(struct nonce_table *t);
/*
 * Share the nonces of every node on @st (nonce.c says how): the key is
 * the store's, the clock wall time, every spend recorded there. 0 or
 * -errno (the store cannot be read: do not serve).
 */
struct store;
int nonce_table_share(struct nonce_table *t, struct store *st);
/*
 * A new session id and its nonce for @mode and @host (NULL: not known
 * yet). Keeps nothing; 0 or -EIO (no randomness).
 */
int nonce_issue(struct nonce_table *t, enum nonce_mode mode, const char *host,
		uint8_t session[16], uint8_t nonce[32]);
/*
 * Was @nonce issued here, to @session, for @mode and @host, unexpired and
 * not yet spent? HGS_PASSED or a NONCE_* reason (its detail in @why,
 * static text). Changes nothing.
 */
enum vms_hgs_reason nonce_check(struct nonce_table *t, enum nonce_mode mode,
				const char *host, const uint8_t session[16],
				const uint8_t nonce[32], const char **why);
/*
 * Spend a checked nonce, once its evidence has been verified:
 * HGS_PASSED, NonceReplayed (spent meanwhile, here or on another node),
 * Busy (the replay cache is full of live entries: only attestations that
 * passed fill it) or InternalError (shared: the store failed; refused).
 */
enum vms_hgs_reason nonce_spend(struct nonce_table *t, const uint8_t session[16]);
/* Entries in the replay cache (for /v1/health and the tests). */
size_t nonce_spent_count(struct nonce_table *t);

#endif /* HGSD_NONCE_H */
