// SPDX-License-Identifier: GPL-2.0
/*
 * request.c - requests and answers (request.h): the answer owns its
 * detail text, so a handler may build it from anything on its stack; the
 * field helpers refuse a bad body field with a detail that names it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "vms_b64.h"
#include "vms_hex.h"

void answer_fail(struct answer *a, enum vms_hgs_reason r, const char *detail)
{
	a->reason = r;
	if (detail != a->detail)
		snprintf(a->detail, sizeof(a->detail), "%s", detail ? detail : "");
	answer_release(a);
}

void answer_failf(struct answer *a, enum vms_hgs_reason r, const char *fmt, ...)
{
	va_list ap;

	a->reason = r;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	answer_release(a);
}

void answer_ok(struct answer *a, json_t *fields)
{
	a->reason = HGS_PASSED;
	a->detail[0] = 0;
	json_decref(a->json);
	a->json = fields;
}

void answer_release(struct answer *a)
{
	json_decref(a->json);
	a->json = NULL;
}

const char *req_str(struct request *rq, struct answer *a, const char *field,
		    size_t maxlen)
{
	json_t *v = rq->body ? json_object_get(rq->body, field) : NULL;
	const char *s;

	if (!v) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field '%s' is missing", field);
		return NULL;
	}
	if (!json_is_string(v)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field '%s' must be a string", field);
		return NULL;
	}
	s = json_string_value(v);
	if (json_string_length(v) > maxlen) {
		answer_failf(a, HGS_R_INVALID_REQUEST,
			     "field '%s' is too large (at most %zu characters)", field, maxlen);
		return NULL;
	}
	if (strlen(s) != json_string_length(v)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field '%s' contains a NUL character",
			     field);
		return NULL;
	}
	return s;
}

int req_b64(struct request *rq, struct answer *a, const char *field,
	    size_t max, uint8_t **out, size_t *outlen)
{
	const char *s = req_str(rq, a, field, vms_b64_encoded_len(max));
	int r;

	*out = NULL;
	if (!s)
		return -EINVAL;
	r = vms_b64_decode(s, strlen(s), max, out, outlen);
	if (r == -EMSGSIZE)
		answer_failf(a, HGS_R_INVALID_REQUEST,
			     "field '%s' is too large (at most %zu bytes once decoded)", field, max);
	else if (r)
		answer_failf(a, HGS_R_INVALID_REQUEST,
			     "field '%s' is not valid base64 (RFC 4648, padded)", field);
	return r;
}

int req_hex(struct request *rq, struct answer *a, const char *field,
	    uint8_t *out, size_t len)
{
	const char *s = req_str(rq, a, field, 2 * len);

	if (!s)
		return -EINVAL;
	if (vms_hex_decode_exact(s, out, len)) {
		answer_failf(a, HGS_R_INVALID_REQUEST, "field '%s' must be %zu hex digits",
			     field, 2 * len);
		return -EINVAL;
	}
	return 0;
}
