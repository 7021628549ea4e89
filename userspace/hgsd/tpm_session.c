// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_session.c - TPM-mode challenges: what HGS must remember between
 * POST /v1/attest/tpm/challenge and POST /v1/attest/tpm: the host, the
 * EK it proved, the AK the credential was made for, the credential
 * itself and the PCRs asked for. Kept in the store (store_shared.c), so
 * that a challenge made by one node of a cluster is answered at any
 * other: keyed by the session id (random), single use (taken on the
 * attest call, whatever its outcome, by one statement: of two nodes
 * taking it at once only one gets it), expiring with the session's nonce
 * (nonce_ttl_s). Credentials are wiped in memory when done, and deleted
 * from the store when taken or expired.
 *
 * Bounded per host (issue 22 item 5c): a challenge is made only for a
 * registered, enabled host and its own EK, and each host has at most
 * TPM_CHALLENGES_PER_HOST outstanding: a new one replaces that host's
 * oldest. The store then holds at most what the hosts an admin
 * registered can ask for; one who knows a host's EK public can only
 * churn that host's own challenges, at the per-source rate limit
 * (routes.c). At most max_nonces entries in all (503 beyond).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "store.h"
#include "tpm_session.h"
#include "vms_hex.h"

#define TPM_CHALLENGES_PER_HOST	4

struct tpm_sessions {
	struct store *st;
	unsigned int max;
	long long ttl_ms;
};

int tpm_sessions_new(unsigned int max, unsigned int ttl_s, struct tpm_sessions **out)
{
	struct tpm_sessions *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->max = max;
	t->ttl_ms = (long long)ttl_s * 1000;
	*out = t;
	return 0;
}

void tpm_sessions_share(struct tpm_sessions *t, struct store *st)
{
	t->st = st;
}

void tpm_sessions_free(struct tpm_sessions *t)
{
	free(t);
}

int tpm_sessions_put(struct tpm_sessions *t, const struct tpm_challenge *c)
{
	struct store_challenge *s;
	int r;

	if (!t->st || c->ak_len > HGSD_EK_MAX)
		return -EIO;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s->session, c->session, 16);
	memcpy(s->host, c->host, sizeof(s->host));
	memcpy(s->ek_fpr, c->ek_fpr, sizeof(s->ek_fpr));
	vms_hex_encode(c->ak, c->ak_len, s->ak_hex);
	vms_hex_encode(c->secret, sizeof(c->secret), s->secret_hex);
	s->pcr_mask = c->pcr_mask;
	s->expires_ms = store_now_ms() + t->ttl_ms;
	r = store_challenge_put(t->st, s, TPM_CHALLENGES_PER_HOST, t->max);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	return r;
}

int tpm_sessions_take(struct tpm_sessions *t, const uint8_t session[16],
		      struct tpm_challenge *out)
{
	struct store_challenge *s;
	size_t ak_len;
	int r;

	if (!t->st)
		return -EIO;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = store_challenge_take(t->st, session, s);
	ak_len = strlen(s->ak_hex) / 2;
	if (!r && (ak_len > HGSD_EK_MAX ||
		   vms_hex_decode_exact(s->ak_hex, out->ak, ak_len) ||
		   vms_hex_decode_exact(s->secret_hex, out->secret, sizeof(out->secret))))
		r = -EIO;
	if (!r) {
		memcpy(out->session, session, 16);
		memcpy(out->host, s->host, sizeof(out->host));
		memcpy(out->ek_fpr, s->ek_fpr, sizeof(out->ek_fpr));
		out->ak_len = ak_len;
		out->pcr_mask = s->pcr_mask;
	} else {
		OPENSSL_cleanse(out, sizeof(*out));
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	return r;
}
