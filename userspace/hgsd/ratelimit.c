// SPDX-License-Identifier: GPL-2.0
/*
 * ratelimit.c - a token bucket per source address, RATELIMIT_SLOTS
 * buckets in all, so its memory is fixed whatever the number of sources.
 * The table is set associative: a source's address picks a set of
 * RATELIMIT_WAYS buckets by a keyed mix (the key made at start, so
 * clients cannot choose whom they collide with), and within the set the
 * bucket that holds that address, else one that is free or idle (refilled
 * to the full burst, so forgetting it loses nothing). Only when a set is
 * full of active sources does a newcomer share the most drained of them:
 * cycling through addresses buys an attacker no more than one bucket per
 * set it fills, and a few real hosts never collide. Time on
 * CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "ratelimit.h"

#define RATELIMIT_SLOTS	4096	/* a power of two */
#define RATELIMIT_WAYS	4

struct bucket {
	uint8_t src[16];
	uint64_t last_ns;
	double tokens;
	int used;
};

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t k0, k1;
	double rate, burst;
	uint32_t exempt_net, exempt_mask;
	struct bucket slots[RATELIMIT_SLOTS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ratelimit_new(unsigned int rate, unsigned int burst, struct ratelimit **out)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return -ENOMEM;
	if (RAND_bytes((unsigned char *)&rl->k0, sizeof(rl->k0)) != 1 ||
	    RAND_bytes((unsigned char *)&rl->k1, sizeof(rl->k1)) != 1) {
		free(rl);
		return -EIO;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	rl->burst = burst > rate ? burst : rate;
	*out = rl;
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

/* The first bucket of @src's set: a keyed mix of the address (SipHash's rounds). */
static size_t slot_of(const struct ratelimit *rl, const uint8_t src[16])
{
	uint64_t a, b, v0 = rl->k0 ^ 0x736f6d6570736575ull, v1 = rl->k1 ^ 0x646f72616e646f6dull;
	int i;

	memcpy(&a, src, 8);
	memcpy(&b, src + 8, 8);
	v0 ^= a;
	v1 ^= b;
	for (i = 0; i < 4; i++) {
		v0 += v1;
		v1 = rotl(v1, 13) ^ v0;
		v0 = rotl(v0, 32);
		v1 += v0 ^ rl->k0;
		v1 = rotl(v1, 17);
	}
	return ((size_t)(v0 ^ v1) & (RATELIMIT_SLOTS / RATELIMIT_WAYS - 1)) * RATELIMIT_WAYS;
}

/* Under the lock: @b's tokens now. */
static double refilled(const struct ratelimit *rl, const struct bucket *b, uint64_t now)
{
	double t = b->tokens + (double)(now - b->last_ns) / 1e9 * rl->rate;

	return t > rl->burst ? rl->burst : t;
}

/* Under the lock: @src's bucket in its set (see the top of the file). */
static struct bucket *bucket_of(struct ratelimit *rl, const uint8_t src[16], uint64_t now)
{
	struct bucket *set = &rl->slots[slot_of(rl, src)], *b = NULL;
	int i;

	for (i = 0; i < RATELIMIT_WAYS; i++)
		if (set[i].used && !memcmp(set[i].src, src, 16))
			return &set[i];
	for (i = 0; i < RATELIMIT_WAYS && !b; i++)
		if (!set[i].used || refilled(rl, &set[i], now) >= rl->burst)
			b = &set[i];
	if (b) {
		memcpy(b->src, src, 16);
		b->tokens = rl->burst;
		b->last_ns = now;
		b->used = 1;
		return b;
	}
	for (i = 1, b = set; i < RATELIMIT_WAYS; i++)
		if (refilled(rl, &set[i], now) < refilled(rl, b, now))
			b = &set[i];
	return b;
}

void ratelimit_exempt_ipv4(struct ratelimit *rl, uint32_t net, uint32_t mask)
{
	rl->exempt_net = net & mask;
	rl->exempt_mask = mask;
}

/* Is @src an IPv4 client of the exempt network? */
static int exempt(const struct ratelimit *rl, const uint8_t src[16])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint32_t a;

	if (!rl->exempt_mask || memcmp(src, v4mapped, 12))
		return 0;
	a = (uint32_t)src[12] << 24 | (uint32_t)src[13] << 16 | (uint32_t)src[14] << 8 | src[15];
	return (a & rl->exempt_mask) == rl->exempt_net;
}

int ratelimit_take(struct ratelimit *rl, const uint8_t src[16])
{
	struct bucket *b;
	uint64_t now = now_ns();
	int r = 0;

	if (!rl || rl->rate <= 0 || exempt(rl, src))
		return 0;
	pthread_mutex_lock(&rl->lock);
	b = bucket_of(rl, src, now);
	b->tokens = refilled(rl, b, now);
	b->last_ns = now;
	if (b->tokens >= 1)
		b->tokens -= 1;
	else
		r = -EBUSY;
	pthread_mutex_unlock(&rl->lock);
	return r;
}

/*
 * Tokens may go negative (a debt the refill pays off): a request that
 * finds the bucket empty waits for its own token instead of being
 * answered, so an over-limit source costs nothing until then, and what
 * it sends meanwhile stays unread in its socket.
 */
int ratelimit_reserve(struct ratelimit *rl, const uint8_t src[16], double max_wait_s,
		      uint64_t *wait_ns)
{
	struct bucket *b;
	uint64_t now = now_ns();
	double t;
	int r = 0;

	*wait_ns = 0;
	if (!rl || rl->rate <= 0 || exempt(rl, src))
		return 0;
	pthread_mutex_lock(&rl->lock);
	b = bucket_of(rl, src, now);
	t = refilled(rl, b, now) - 1;
	if (t < -max_wait_s * rl->rate) {
		r = -EBUSY;
	} else {
		b->tokens = t;
		b->last_ns = now;
		if (t < 0)
			*wait_ns = (uint64_t)(-t / rl->rate * 1e9);
	}
	pthread_mutex_unlock(&rl->lock);
	return r;
}
