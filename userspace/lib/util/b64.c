// SPDX-License-Identifier: GPL-2.0
/*
 * b64.c - strict base64 for the HGS wire format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vms_b64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t vms_b64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

char *vms_b64_encode(const uint8_t *in, size_t len)
{
	char *out = malloc(vms_b64_encoded_len(len) + 1), *o = out;
	size_t i;
	uint32_t v;

	if (!out)
		return NULL;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int vms_b64_decode(const char *s, size_t slen, size_t max, uint8_t **out,
		   size_t *outlen)
{
	size_t pad = 0, n, i, o = 0;
	uint8_t *buf;
	int a, b, c, d;

	*out = NULL;
	*outlen = 0;
	if (!s || slen % 4)
		return -EINVAL;
	if (slen && s[slen - 1] == '=')
		pad = (slen >= 2 && s[slen - 2] == '=') ? 2 : 1;
	n = slen / 4 * 3 - pad;
	if (n > max)
		return -EMSGSIZE;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < slen; i += 4) {
		int last = i + 4 == slen;

		a = value(s[i]);
		b = value(s[i + 1]);
		c = (last && pad == 2) ? 0 : value(s[i + 2]);
		d = (last && pad >= 1) ? 0 : value(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			goto bad;
		/* Pad bits must be zero (canonical encoding). */
		if (last && pad == 2 && (b & 15))
			goto bad;
		if (last && pad == 1 && (c & 3))
			goto bad;
		buf[o++] = (uint8_t)(a << 2 | b >> 4);
		if (!(last && pad == 2))
			buf[o++] = (uint8_t)(b << 4 | c >> 2);
		if (!(last && pad >= 1))
			buf[o++] = (uint8_t)(c << 6 | d);
	}
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}
