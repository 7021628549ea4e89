/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_b64.h - strict base64 (RFC 4648 section 4, standard alphabet, padded)
 * as the HGS wire protocol carries binary fields. The decoder refuses
 * whitespace, missing or extra padding and non-zero pad bits: one value,
 * one encoding.
 */
#ifndef VMS_B64_H
#define VMS_B64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the encoding of @len bytes, without the NUL. */
size_t vms_b64_encoded_len(size_t len);
/* Encode into a new NUL-terminated string (free()); NULL on ENOMEM. */
char *vms_b64_encode(const uint8_t *in, size_t len);
/*
 * Decode into a new buffer (free()); -EINVAL if not strict base64,
 * -EMSGSIZE if the decoded length would exceed @max.
 */
int vms_b64_decode(const char *s, size_t slen, size_t max, uint8_t **out,
		   size_t *outlen);

#endif /* VMS_B64_H */
