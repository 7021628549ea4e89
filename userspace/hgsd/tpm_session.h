/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_session.h - TPM mode's challenges (tpm_session.c): what HGS keeps
 * between POST /v1/attest/tpm/challenge and POST /v1/attest/tpm, in the
 * store so any node of a cluster answers; bounded per host and in all,
 * single use, expiring, credentials wiped.
 *
 * Included by main.c (the table's life) and attest_tpm.c.
 */
#ifndef HGSD_TPM_SESSION_H
#define HGSD_TPM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct tpm_challenge {
	uint8_t session[16];
	char host[65];
	char ek_fpr[65];
	uint8_t ak[HGSD_EK_MAX];	/* the AK's TPM2B_PUBLIC */
	size_t ak_len;
	uint8_t secret[32];		/* the credential: wiped when done */
	uint32_t pcr_mask;
};

struct tpm_sessions;
struct store;

int tpm_sessions_new(unsigned int max, unsigned int ttl_s, struct tpm_sessions **out);
void tpm_sessions_free(struct tpm_sessions *t);
/* Keep the challenges in @st (before the first put). */
void tpm_sessions_share(struct tpm_sessions *t, struct store *st);
/*
 * -EBUSY when full (or -errno: the store fails, nothing kept); a host
 * with TPM_CHALLENGES_PER_HOST loses its oldest.
 */
int tpm_sessions_put(struct tpm_sessions *t, const struct tpm_challenge *c);
/*
 * Take (and forget) the challenge of @session; -ENOENT if unknown or
 * expired, -EALREADY if answered already (its nonce spent, on any node).
 */
int tpm_sessions_take(struct tpm_sessions *t, const uint8_t session[16],
		      struct tpm_challenge *out);

#endif /* HGSD_TPM_SESSION_H */
