// SPDX-License-Identifier: GPL-2.0
/*
 * hex.c - hex and UUID text forms.
 */
#include <errno.h>
#include <string.h>

#include "vms_hex.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vms_hex_decode(const char *s, uint8_t *out, size_t max, size_t *outlen)
{
	size_t n, i;
	int hi, lo;

	if (!s || !outlen)
		return -EINVAL;
	n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		hi = nibble(s[2 * i]);
		lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return 0;
}

int vms_hex_decode_exact(const char *s, uint8_t *out, size_t len)
{
	size_t got;

	if (!s || strlen(s) != 2 * len)
		return -EINVAL;
	return vms_hex_decode(s, out, len, &got);
}

void vms_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Dashes sit after bytes 4, 6, 8 and 10 (8-4-4-4-12 digits). */
static int uuid_dash_after(size_t byte)
{
	return byte == 4 || byte == 6 || byte == 8 || byte == 10;
}

int vms_uuid_parse(const char *s, uint8_t out[16])
{
	size_t i, pos = 0;
	int hi, lo;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 16; i++) {
		if (uuid_dash_after(i) && s[pos++] != '-')
			return -EINVAL;
		hi = nibble(s[pos]);
		lo = nibble(s[pos + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	return 0;
}

void vms_uuid_format(const uint8_t in[16], char out[VMS_UUID_STR_LEN])
{
	size_t i, pos = 0;

	for (i = 0; i < 16; i++) {
		if (uuid_dash_after(i))
			out[pos++] = '-';
		vms_hex_encode(in + i, 1, out + pos);
		pos += 2;
	}
	out[pos] = '\0';
}
