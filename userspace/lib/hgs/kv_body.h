/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kv_body.h - the strict "NAME=VALUE\n" line reader the enclave report
 * (enclave_report.c) and the vTPM statement (vtpm_statement.c) share: one
 * accepted encoding of every field (lower-case hex of an exact length,
 * decimal without leading zeros), so a signed body cannot be re-encoded
 * into a "different" valid one. For those two files only.
 */
#ifndef VMS_KV_BODY_H
#define VMS_KV_BODY_H

#include <stddef.h>
#include <stdint.h>

struct kv_cursor {
	const char *p, *end;
};

/* "NAME=VALUE\n": the value (not NUL-terminated) in *@v, *@vlen. */
int kv_line(struct kv_cursor *c, const char *name, const char **v, size_t *vlen);
/* "NAME=<2 * @len lower-case hex>\n" into @out. */
int kv_hex(struct kv_cursor *c, const char *name, uint8_t *out, size_t len);
/* "NAME=<exactly @want>\n" */
int kv_word(struct kv_cursor *c, const char *name, const char *want);
/* "NAME=<decimal, no leading zero, at most UINT64_MAX>\n" */
int kv_u64(struct kv_cursor *c, const char *name, uint64_t *out);

#endif /* VMS_KV_BODY_H */
