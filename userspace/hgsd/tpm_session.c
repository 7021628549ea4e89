// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_session.c - TPM-mode challenges: what HGS must remember between
 * POST /v1/attest/tpm/challenge and POST /v1/attest/tpm: the host, the
 * EK it proved, the AK the credential was made for, the credential
 * itself and the PCRs asked for. Keyed by the session id (random), single
 * use (taken on the attest call, whatever its outcome), expiring with the
 * session's nonce (nonce_ttl_s, CLOCK_MONOTONIC). Credentials are wiped
 * when dropped.
 *
 * Bounded per host (issue 22 item 5c): a challenge is made only for a
 * registered, enabled host and its own EK, and each host has at most
 * TPM_CHALLENGES_PER_HOST outstanding: a new one replaces that host's
 * oldest. Memory is then bounded by the hosts an admin registered, not
 * by what anonymous clients ask for; one who knows a host's EK public
 * can only churn that host's own challenges, at the per-source rate
 * limit (routes.c). At most max_nonces entries in all (503 beyond).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "tpm_session.h"

#define TPM_CHALLENGES_PER_HOST	4

struct tpm_entry {
	struct tpm_challenge c;
	uint64_t expires_ns;
	struct tpm_entry *next;
};

struct tpm_sessions {
	pthread_mutex_t lock;
	struct tpm_entry *head;
	size_t count, max;
	uint64_t ttl_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void entry_free(struct tpm_entry *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

int tpm_sessions_new(unsigned int max, unsigned int ttl_s, struct tpm_sessions **out)
{
	struct tpm_sessions *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->max = max;
	t->ttl_ns = (uint64_t)ttl_s * 1000000000ull;
	*out = t;
	return 0;
}

void tpm_sessions_free(struct tpm_sessions *t)
{
	struct tpm_entry *e, *next;

	if (!t)
		return;
	for (e = t->head; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Under the lock: drop expired challenges. */
static void sweep(struct tpm_sessions *t, uint64_t now)
{
	struct tpm_entry **pp = &t->head, *e;

	while ((e = *pp)) {
		if (now > e->expires_ns) {
			*pp = e->next;
			entry_free(e);
			t->count--;
		} else {
			pp = &e->next;
		}
	}
}

/*
 * Under the lock: when @host already has TPM_CHALLENGES_PER_HOST
 * challenges, forget its oldest (the list is newest first).
 */
static void drop_host_oldest(struct tpm_sessions *t, const char *host)
{
	struct tpm_entry **pp, **oldest = NULL, *e;
	unsigned int n = 0;

	for (pp = &t->head; (e = *pp); pp = &e->next) {
		if (strcmp(e->c.host, host))
			continue;
		n++;
		oldest = pp;
	}
	if (n < TPM_CHALLENGES_PER_HOST)
		return;
	e = *oldest;
	*oldest = e->next;
	entry_free(e);
	t->count--;
}

int tpm_sessions_put(struct tpm_sessions *t, const struct tpm_challenge *c)
{
	struct tpm_entry *e = calloc(1, sizeof(*e));
	uint64_t now = now_ns();

	if (!e)
		return -ENOMEM;
	e->c = *c;
	e->expires_ns = now + t->ttl_ns;
	pthread_mutex_lock(&t->lock);
	if (t->count >= t->max)
		sweep(t, now);
	drop_host_oldest(t, c->host);
	if (t->count >= t->max) {
		pthread_mutex_unlock(&t->lock);
		entry_free(e);
		return -EBUSY;
	}
	e->next = t->head;
	t->head = e;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int tpm_sessions_take(struct tpm_sessions *t, const uint8_t session[16],
		      struct tpm_challenge *out)
{
	struct tpm_entry **pp, *e;
	uint64_t now = now_ns();
	int r = -ENOENT;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->head; (e = *pp); pp = &e->next) {
		if (CRYPTO_memcmp(e->c.session, session, 16))
			continue;
		*pp = e->next;
		t->count--;
		if (now <= e->expires_ns) {
			*out = e->c;
			r = 0;
		}
		entry_free(e);
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}
