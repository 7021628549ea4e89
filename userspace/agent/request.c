// SPDX-License-Identifier: GPL-2.0
/*
 * request.c - the socket protocol (Documentation/agent.md section 4): one
 * JSON object per line in, one per line out. Requests are parsed
 * strictly: duplicate or unknown keys, wrong types, a VM id that is not a
 * UUID, a KP that is not strict base64 or is too large are refused with a
 * message naming the field, before anything is done.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vms_b64.h"
#include "vms_hex.h"

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__printf(3, 4);
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int allowed_keys(json_t *o, const char *const *keys, char *err,
			size_t errlen)
{
	const char *k;
	json_t *v;
	char safe[64];
	unsigned int i;

	json_object_foreach(o, k, v) {
		for (i = 0; keys[i]; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (!keys[i])
			return bad(err, errlen, "unknown field '%s'",
				   log_safe(k, safe, sizeof(safe)));
	}
	return 0;
}

static int parse_release_keys(json_t *o, struct agent_request *rq,
			      const char *const *keys, char *err, size_t errlen)
{
	json_t *vm = json_object_get(o, "vm_id");
	json_t *kp = json_object_get(o, "key_protector");
	json_t *dl = json_object_get(o, "deadline_s");
	json_t *roll = json_object_get(o, "roll");
	json_t *st = json_object_get(o, "vtpm_statement_path");
	uint8_t id[16];
	int r;

	r = allowed_keys(o, keys, err, errlen);
	if (r)
		return r;
	if (!json_is_string(vm))
		return bad(err, errlen, "field 'vm_id' must be a string (a UUID)");
	if (vms_uuid_parse(json_string_value(vm), id))
		return bad(err, errlen, "field 'vm_id' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	vms_uuid_format(id, rq->vm_id);
	if (!json_is_string(kp))
		return bad(err, errlen, "field 'key_protector' must be a string (base64 of the KP file)");
	r = vms_b64_decode(json_string_value(kp), json_string_length(kp),
			   AGENT_KP_MAX, &rq->kp, &rq->kp_len);
	if (r == -EMSGSIZE)
		return bad(err, errlen, "field 'key_protector' is larger than %u bytes",
					AGENT_KP_MAX);
	if (r || !rq->kp_len)
		return bad(err, errlen, "field 'key_protector' is not strict base64 (RFC 4648, padded, no whitespace)");
	if (dl) {
		json_int_t d = json_integer_value(dl);

		if (!json_is_integer(dl) || d < 1 || d > 3600)
			return bad(err, errlen, "field 'deadline_s' must be a whole number of seconds from 1 to 3600");
		rq->deadline_s = (unsigned int)d;
	}
	if (roll && !json_is_boolean(roll))
		return bad(err, errlen, "field 'roll' must be true or false");
	rq->roll = json_is_true(roll);
	if (st) {
		const char *p = json_string_value(st);

		if (!p || p[0] != '/' || json_string_length(st) >= sizeof(rq->statement_path) ||
		    strlen(p) != json_string_length(st))
			return bad(err, errlen, "field 'vtpm_statement_path' must be an absolute path (at most %zu characters)",
				   sizeof(rq->statement_path) - 1);
		memcpy(rq->statement_path, p, strlen(p) + 1);
	}
	rq->op = AGENT_OP_RELEASE;
	return 0;
}

static int parse_release(json_t *o, struct agent_request *rq, char *err,
			 size_t errlen)
{
	static const char *const keys[] = { "op", "vm_id", "key_protector",
					    "deadline_s", "roll", "vtpm_statement_path",
					    NULL };

	return parse_release_keys(o, rq, keys, err, errlen);
}

/*
 * {"op":"migrate-in","vm_id":UUID,"key_protector":B64,"source_host":NAME
 *  [,"deadline_s":N]}: a release with the roll, from KPS's migrate
 * endpoint (migrate.c, Documentation/agent.md §4).
 */
static int parse_migrate_in(json_t *o, struct agent_request *rq, char *err,
			    size_t errlen)
{
	static const char *const keys[] = { "op", "vm_id", "key_protector",
					    "deadline_s", "source_host", NULL };
	json_t *src = json_object_get(o, "source_host");
	const char *s;
	int r;

	r = parse_release_keys(o, rq, keys, err, errlen);
	if (r)
		return r;
	s = json_string_value(src);
	if (!s || !s[0] || json_string_length(src) >= sizeof(rq->source_host) ||
	    strlen(s) != json_string_length(src))
		return bad(err, errlen, "field 'source_host' must name the host the VM runs on (1 to %zu characters)",
			   sizeof(rq->source_host) - 1);
	memcpy(rq->source_host, s, strlen(s) + 1);
	rq->roll = 1;
	rq->op = AGENT_OP_MIGRATE_IN;
	return 0;
}

/* The request's "vm_id" (a UUID) into @rq->vm_id, in canonical form. */
static int parse_vm_id(json_t *o, struct agent_request *rq, char *err, size_t errlen)
{
	json_t *vm = json_object_get(o, "vm_id");
	uint8_t id[16];

	if (!json_is_string(vm) || vms_uuid_parse(json_string_value(vm), id))
		return bad(err, errlen, "field 'vm_id' must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	vms_uuid_format(id, rq->vm_id);
	return 0;
}

/* {"op":"migrated","vm_id":UUID}: the source lets the VM go (migrate.c). */
static int parse_migrated(json_t *o, struct agent_request *rq, char *err,
			  size_t errlen)
{
	static const char *const keys[] = { "op", "vm_id", NULL };
	int r;

	r = allowed_keys(o, keys, err, errlen);
	if (!r)
		r = parse_vm_id(o, rq, err, errlen);
	if (r)
		return r;
	rq->op = AGENT_OP_MIGRATED;
	return 0;
}

/* {"op":"confirm","vm_id":UUID,"tk_version":N,"key_id":"<32 hex>"} */
static int parse_confirm(json_t *o, struct agent_request *rq, char *err,
			 size_t errlen)
{
	static const char *const keys[] = { "op", "vm_id", "tk_version",
					    "key_id", NULL };
	json_t *ver = json_object_get(o, "tk_version");
	const char *kid = json_string_value(json_object_get(o, "key_id"));
	uint8_t id[16];
	int r;

	r = allowed_keys(o, keys, err, errlen);
	if (!r)
		r = parse_vm_id(o, rq, err, errlen);
	if (r)
		return r;
	if (!json_is_integer(ver) || json_integer_value(ver) < 1)
		return bad(err, errlen, "field 'tk_version' must be a whole number from 1 (the version the roll answered)");
	if (!kid || strlen(kid) != 32 || vms_hex_decode_exact(kid, id, 16) ||
	    strspn(kid, "0123456789abcdef") != 32)
		return bad(err, errlen, "field 'key_id' must be 32 lower-case hex digits (the roll's next_key_id)");
	memcpy(rq->key_id, kid, 33);
	rq->tk_version = (uint64_t)json_integer_value(ver);
	rq->op = AGENT_OP_CONFIRM;
	return 0;
}

int agent_request_parse(const char *line, size_t len, struct agent_request *rq,
			char *err, size_t errlen)
{
	static const char *const only_op[] = { "op", NULL };
	json_error_t jerr;
	const char *op;
	json_t *o;
	int r;

	memset(rq, 0, sizeof(*rq));
	if (len > AGENT_LINE_MAX)
		return bad(err, errlen, "request longer than %u bytes",
			   AGENT_LINE_MAX);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return bad(err, errlen, "not valid JSON (line %d column %d): %s",
			   jerr.line, jerr.column, jerr.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return bad(err, errlen, "the request must be a JSON object");
	}
	op = json_string_value(json_object_get(o, "op"));
	if (!op)
		r = bad(err, errlen, "field 'op' must be a string: release, confirm, migrate-in, migrated, status or attest");
	else if (!strcmp(op, "release"))
		r = parse_release(o, rq, err, errlen);
	else if (!strcmp(op, "confirm"))
		r = parse_confirm(o, rq, err, errlen);
	else if (!strcmp(op, "migrate-in"))
		r = parse_migrate_in(o, rq, err, errlen);
	else if (!strcmp(op, "migrated"))
		r = parse_migrated(o, rq, err, errlen);
	else if (!strcmp(op, "status") || !strcmp(op, "attest")) {
		r = allowed_keys(o, only_op, err, errlen);
		rq->op = op[0] == 's' ? AGENT_OP_STATUS : AGENT_OP_ATTEST;
	} else
		r = bad(err, errlen, "unknown op: use release, confirm, migrate-in, migrated, status or attest");
	json_decref(o);
	if (r)
		agent_request_free(rq);
	return r;
}

void agent_request_free(struct agent_request *rq)
{
	free(rq->kp);
	memset(rq, 0, sizeof(*rq));
}

json_t *agent_answer_fail(const struct agent_fail *f)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "status", "Failed",
			 "source", f->source, "substatus", f->substatus,
			 "message", f->message, "errno", f->err < 0 ? -f->err : EIO);
}
