// SPDX-License-Identifier: GPL-2.0
/*
 * kv_body.c - the strict "NAME=VALUE\n" line reader of the enclave's
 * signed bodies (kv_body.h). Every function returns 0 or -EINVAL and
 * moves the cursor only past a line it accepted.
 */
#include <errno.h>
#include <string.h>

#include "kv_body.h"

int kv_line(struct kv_cursor *c, const char *name, const char **v, size_t *vlen)
{
	size_t n = strlen(name);
	const char *nl;

	if ((size_t)(c->end - c->p) < n + 1 || memcmp(c->p, name, n) || c->p[n] != '=')
		return -EINVAL;
	nl = memchr(c->p + n + 1, '\n', (size_t)(c->end - (c->p + n + 1)));
	if (!nl)
		return -EINVAL;
	*v = c->p + n + 1;
	*vlen = (size_t)(nl - *v);
	c->p = nl + 1;
	return 0;
}

/* lower case only: one encoding */
static int lower_hex_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int kv_hex(struct kv_cursor *c, const char *name, uint8_t *out, size_t len)
{
	struct kv_cursor at = *c;
	const char *v;
	size_t vlen, i;
	int hi, lo;

	if (kv_line(&at, name, &v, &vlen) || vlen != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		hi = lower_hex_nibble(v[2 * i]);
		lo = lower_hex_nibble(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*c = at;
	return 0;
}

int kv_word(struct kv_cursor *c, const char *name, const char *want)
{
	struct kv_cursor at = *c;
	const char *v;
	size_t vlen;

	if (kv_line(&at, name, &v, &vlen) || vlen != strlen(want) || memcmp(v, want, vlen))
		return -EINVAL;
	*c = at;
	return 0;
}

int kv_u64(struct kv_cursor *c, const char *name, uint64_t *out)
{
	struct kv_cursor at = *c;
	const char *v;
	size_t n, i;
	uint64_t x = 0;

	if (kv_line(&at, name, &v, &n) || n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	*c = at;
	return 0;
}
