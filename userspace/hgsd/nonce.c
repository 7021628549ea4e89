// SPDX-License-Identifier: GPL-2.0
/*
 * nonce.c - attestation nonces that cost nothing to issue.
 *
 * The session id (16 bytes, sent back by the client) is
 *   mode (1) | flags (1: bit 0, bound to a host) | issue time (6, ms on
 *   CLOCK_MONOTONIC, big endian) | random (8)
 * and its nonce (32 bytes) is two 128-bit tags under a key made at
 * start and kept only in memory:
 *   HMAC-SHA256(key, "vmshield hgs nonce v1" | session)[0..16)
 *   HMAC-SHA256(key, "vmshield hgs nonce host v1" | session | host)[0..16)
 * (host empty when not bound). The first tag proves the session was
 * issued here (its mode and time are genuine); the second that it was
 * issued for this host. Nobody without the key can predict a nonce, and
 * issuing one keeps no state, so an anonymous client cannot fill any
 * table by asking for nonces (issue 17 item 1).
 *
 * Single use: a nonce presented with evidence that verified is spent
 * (nonce_spend) into a replay cache keyed by session id, until its issue
 * time + TTL, after which the nonce is refused as expired anyway. Only
 * attestations whose signature or credential checked out reach the
 * cache, so only registered hosts can fill it; at most max_spent entries,
 * beyond which a spend is Busy.
 *
 * Shared (nonce_table_share(), what hgsd does): the key is the store's
 * (made by the first node, store_shared.c), so a nonce issued by one
 * node of a cluster is checked by any other; the issue time is wall
 * clock (nodes keep NTP time: up to CLOCK_SKEW_MS ahead is accepted);
 * and a spend is also recorded in the store, once: a nonce spent on
 * one node is a replay on every other. The local cache still answers
 * a replay at this node without asking the store. Not shared (the unit
 * tests of this file alone): a key of this process, CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "nonce.h"
#include "store.h"

#define NONCE_FLAG_HOST		0x01
#define TAG_LEN			16
/* How far ahead of this node's clock another node's may be. */
#define CLOCK_SKEW_MS		2000

static const char tag_label[] = "vmshield hgs nonce v1";
static const char host_label[] = "vmshield hgs nonce host v1";

struct spent {
	uint8_t session[16];
	uint64_t expires_ms;
	struct spent *next;
};

struct nonce_table {
	uint8_t key[32];
	pthread_mutex_t lock;
	struct spent **buckets;
	size_t nbuckets;	/* power of two */
	size_t count, max, sweep_at;
	uint64_t ttl_ms;
	struct store *st;	/* shared: the key, the clock and spends */
};

static uint64_t now_ms(const struct nonce_table *t)
{
	struct timespec ts;

	clock_gettime(t->st ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

int nonce_table_new(unsigned int max_spent, unsigned int ttl_s, struct nonce_table **out)
{
	struct nonce_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->nbuckets = 1024;
	while (t->nbuckets < max_spent / 2)
		t->nbuckets *= 2;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets || RAND_priv_bytes(t->key, sizeof(t->key)) != 1) {
		free(t->buckets);
		free(t);
		return -EIO;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->max = max_spent;
	t->ttl_ms = (uint64_t)ttl_s * 1000ull;
	*out = t;
	return 0;
}

int nonce_table_share(struct nonce_table *t, struct store *st)
{
	int r = store_shared_secret(st, "nonce-key", t->key);

	if (!r)
		t->st = st;
	return r;
}

void nonce_table_free(struct nonce_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		struct spent *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	pthread_mutex_destroy(&t->lock);
	OPENSSL_cleanse(t->key, sizeof(t->key));
	free(t->buckets);
	free(t);
}

/* HMAC-SHA256(key, label | session | extra) cut to TAG_LEN; 0 or -EIO. */
static int tag(const struct nonce_table *t, const char *label, const uint8_t session[16],
	       const char *extra, uint8_t out[TAG_LEN])
{
	uint8_t buf[sizeof(host_label) + 16 + 256], md[EVP_MAX_MD_SIZE];
	size_t ll = strlen(label) + 1, el = extra ? strlen(extra) : 0;
	unsigned int mdlen = 0;

	if (el > 255)
		return -EIO;
	memcpy(buf, label, ll);
	memcpy(buf + ll, session, 16);
	buf[ll + 16] = (uint8_t)el;	/* the host's length: no ambiguity */
	memcpy(buf + ll + 17, extra ? extra : "", el);
	if (!HMAC(EVP_sha256(), t->key, sizeof(t->key), buf, ll + 17 + el, md, &mdlen) ||
	    mdlen < TAG_LEN)
		return -EIO;
	memcpy(out, md, TAG_LEN);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static uint64_t session_time(const uint8_t s[16])
{
	uint64_t v = 0;
	int i;

	for (i = 2; i < 8; i++)
		v = v << 8 | s[i];
	return v;
}

int nonce_issue(struct nonce_table *t, enum nonce_mode mode, const char *host,
		uint8_t session[16], uint8_t nonce[32])
{
	uint64_t now = now_ms(t);
	int i;

	session[0] = (uint8_t)mode;
	session[1] = host ? NONCE_FLAG_HOST : 0;
	for (i = 7; i >= 2; i--, now >>= 8)
		session[i] = (uint8_t)now;
	if (RAND_bytes(session + 8, 8) != 1)
		return -EIO;
	if (tag(t, tag_label, session, NULL, nonce) ||
	    tag(t, host_label, session, host, nonce + TAG_LEN))
		return -EIO;
	return 0;
}

static size_t bucket_of(const struct nonce_table *t, const uint8_t session[16])
{
	uint64_t h;

	memcpy(&h, session + 8, sizeof(h));	/* the random part */
	return (size_t)h & (t->nbuckets - 1);
}

/* Under the lock: is @session in the replay cache? */
static int is_spent(const struct nonce_table *t, const uint8_t session[16])
{
	const struct spent *n;

	for (n = t->buckets[bucket_of(t, session)]; n; n = n->next)
		if (!memcmp(n->session, session, 16))
			return 1;
	return 0;
}

enum vms_hgs_reason nonce_check(struct nonce_table *t, enum nonce_mode mode,
				const char *host, const uint8_t session[16],
				const uint8_t nonce[32], const char **why)
{
	uint8_t want[TAG_LEN];
	uint64_t issued = session_time(session), now = now_ms(t);
	int spent;

	*why = NULL;
	if (tag(t, tag_label, session, NULL, want))
		return HGS_R_INTERNAL_ERROR;
	if (CRYPTO_memcmp(want, nonce, TAG_LEN) || issued > now + (t->st ? CLOCK_SKEW_MS : 0)) {
		*why = "not a nonce this HGS issued to this session";
		return HGS_R_NONCE_UNKNOWN;
	}
	if (session[0] != mode) {
		*why = session[0] == NONCE_MODE_TPM ?
			"a TPM-mode nonce: use it with /v1/attest/tpm" :
			"a host-key-mode nonce: use it with /v1/attest";
		return HGS_R_NONCE_SESSION_MISMATCH;
	}
	if (now > issued && now - issued > t->ttl_ms)
		return HGS_R_NONCE_EXPIRED;
	if (tag(t, host_label, session, session[1] & NONCE_FLAG_HOST ? host : NULL, want))
		return HGS_R_INTERNAL_ERROR;
	if (CRYPTO_memcmp(want, nonce + TAG_LEN, TAG_LEN)) {
		*why = "the nonce was issued for another host";
		return HGS_R_NONCE_SESSION_MISMATCH;
	}
	pthread_mutex_lock(&t->lock);
	spent = is_spent(t, session);
	pthread_mutex_unlock(&t->lock);
	return spent ? HGS_R_NONCE_REPLAYED : HGS_PASSED;
}

/* Under the lock: drop the entries of bucket @b past their expiry. */
static void sweep_bucket(struct nonce_table *t, size_t b, uint64_t now)
{
	struct spent **pp = &t->buckets[b], *n;

	while ((n = *pp)) {
		if (now > n->expires_ms) {
			*pp = n->next;
			free(n);
			t->count--;
		} else {
			pp = &n->next;
		}
	}
}

enum vms_hgs_reason nonce_spend(struct nonce_table *t, const uint8_t session[16])
{
	struct spent *n = malloc(sizeof(*n));
	uint64_t now = now_ms(t);
	enum vms_hgs_reason r = HGS_PASSED;
	size_t b;

	if (!n)
		return HGS_R_INTERNAL_ERROR;
	memcpy(n->session, session, 16);
	n->expires_ms = session_time(session) + t->ttl_ms;
	pthread_mutex_lock(&t->lock);
	/* incremental sweep: two buckets per spend keep the cache clean */
	sweep_bucket(t, t->sweep_at++ & (t->nbuckets - 1), now);
	sweep_bucket(t, t->sweep_at++ & (t->nbuckets - 1), now);
	if (t->count >= t->max)
		for (b = 0; b < t->nbuckets; b++)
			sweep_bucket(t, b, now);
	if (is_spent(t, session)) {
		r = HGS_R_NONCE_REPLAYED;
	} else if (t->count >= t->max) {
		r = HGS_R_BUSY;
	} else {
		b = bucket_of(t, session);
		n->next = t->buckets[b];
		t->buckets[b] = n;
		t->count++;
		n = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	free(n);
	if (r == HGS_PASSED && t->st) {
		/* the store says whether another node spent it first */
		int e = store_nonce_spend(t->st, session,
					  (long long)(session_time(session) + t->ttl_ms));

		if (e == -EEXIST)
			r = HGS_R_NONCE_REPLAYED;
		else if (e)
			r = HGS_R_INTERNAL_ERROR;	/* fail closed: not recorded */
	}
	return r;
}

size_t nonce_spent_count(struct nonce_table *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
