/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hex.h - hex strings and UUIDs as the CLI and the services write them.
 * Parsers are strict (no whitespace, no prefixes) and return 0 or -EINVAL.
 */
#ifndef VMS_HEX_H
#define VMS_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decode @s (even length, [0-9a-fA-F]) into at most @max bytes. */
int vms_hex_decode(const char *s, uint8_t *out, size_t max, size_t *outlen);
/* Decode @s, which must be exactly 2 * @len hex digits. */
int vms_hex_decode_exact(const char *s, uint8_t *out, size_t len);
/* Lower-case hex of @len bytes into @out (2 * @len + 1 bytes). */
void vms_hex_encode(const uint8_t *in, size_t len, char *out);

#define VMS_UUID_STR_LEN 37	/* 36 characters and a NUL */
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" -> 16 bytes, RFC 4122 order. */
int vms_uuid_parse(const char *s, uint8_t out[16]);
void vms_uuid_format(const uint8_t in[16], char out[VMS_UUID_STR_LEN]);

#endif /* VMS_HEX_H */
