// SPDX-License-Identifier: GPL-2.0
/*
 * nonce.c - attestation nonces: 256 random bits, bound to the session id
 * they were issued to, single use, expiring nonce_ttl_s after issue (on
 * CLOCK_MONOTONIC, so a wall-clock change does not stretch them).
 *
 * A used or expired nonce is remembered for one more TTL, so that a replay
 * or a late answer gets its own reason (NonceReplayed, NonceExpired)
 * instead of NonceUnknown. The table holds at most max_nonces entries;
 * when it is full of live nonces, issuing fails (-EBUSY -> 503): memory
 * stays bounded whatever clients do.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "nonce.h"

struct nonce {
	uint8_t nonce[32];
	uint8_t session[16];
	uint64_t expires_ns;
	int used;
	struct nonce *next;
};

struct nonce_table {
	pthread_mutex_t lock;
	struct nonce **buckets;
	size_t nbuckets;	/* power of two */
	size_t count, max, sweep_at;
	uint64_t ttl_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int nonce_table_new(unsigned int max, unsigned int ttl_s, struct nonce_table **out)
{
	struct nonce_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->nbuckets = 1024;
	while (t->nbuckets < max / 2)
		t->nbuckets *= 2;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->max = max;
	t->ttl_ns = (uint64_t)ttl_s * 1000000000ull;
	*out = t;
	return 0;
}

void nonce_table_free(struct nonce_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		struct nonce *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t);
}

static size_t bucket_of(const struct nonce_table *t, const uint8_t nonce[32])
{
	uint64_t h;

	memcpy(&h, nonce, sizeof(h));	/* the nonce is uniformly random */
	return (size_t)h & (t->nbuckets - 1);
}

/* Drop entries past expiry + one TTL of grace from bucket @b. */
static void sweep_bucket(struct nonce_table *t, size_t b, uint64_t now)
{
	struct nonce **pp = &t->buckets[b], *n;

	while ((n = *pp)) {
		if (now > n->expires_ns + t->ttl_ns) {
			*pp = n->next;
			free(n);
			t->count--;
		} else {
			pp = &n->next;
		}
	}
}

/* When full, also forget expired entries still in their grace period. */
static void sweep_all(struct nonce_table *t, uint64_t now, int hard)
{
	size_t b;

	for (b = 0; b < t->nbuckets; b++) {
		struct nonce **pp = &t->buckets[b], *n;

		while ((n = *pp)) {
			if (now > n->expires_ns + (hard ? 0 : t->ttl_ns)) {
				*pp = n->next;
				free(n);
				t->count--;
			} else {
				pp = &n->next;
			}
		}
	}
}

int nonce_issue(struct nonce_table *t, const uint8_t session[16],
		uint8_t nonce[32])
{
	struct nonce *n = malloc(sizeof(*n));
	uint64_t now = now_ns();
	size_t b;

	if (!n)
		return -ENOMEM;
	if (RAND_bytes(n->nonce, sizeof(n->nonce)) != 1) {
		free(n);
		return -EIO;
	}
	memcpy(n->session, session, 16);
	n->expires_ns = now + t->ttl_ns;
	n->used = 0;
	pthread_mutex_lock(&t->lock);
	/* Incremental sweep: a few buckets per issue keep the table clean. */
	sweep_bucket(t, t->sweep_at++ & (t->nbuckets - 1), now);
	sweep_bucket(t, t->sweep_at++ & (t->nbuckets - 1), now);
	if (t->count >= t->max)
		sweep_all(t, now, 0);
	if (t->count >= t->max)
		sweep_all(t, now, 1);
	if (t->count >= t->max) {
		pthread_mutex_unlock(&t->lock);
		free(n);
		return -EBUSY;
	}
	b = bucket_of(t, n->nonce);
	n->next = t->buckets[b];
	t->buckets[b] = n;
	t->count++;
	memcpy(nonce, n->nonce, 32);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

enum vms_hgs_reason nonce_consume(struct nonce_table *t,
				  const uint8_t session[16],
				  const uint8_t nonce[32])
{
	enum vms_hgs_reason r = HGS_R_NONCE_UNKNOWN;
	uint64_t now = now_ns();
	struct nonce *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->buckets[bucket_of(t, nonce)]; n; n = n->next) {
		if (CRYPTO_memcmp(n->nonce, nonce, 32))
			continue;
		if (CRYPTO_memcmp(n->session, session, 16))
			r = HGS_R_NONCE_SESSION_MISMATCH;	/* not burnt */
		else if (n->used)
			r = HGS_R_NONCE_REPLAYED;
		else if (now > n->expires_ns)
			r = HGS_R_NONCE_EXPIRED;
		else
			r = HGS_PASSED;
		if (r == HGS_PASSED)
			n->used = 1;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}
