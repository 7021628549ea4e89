/* SPDX-License-Identifier: GPL-2.0 */
/*
 * request.h - what a request handler sees and fills (request.c): the
 * request (method, path, parsed JSON body, who sent it) and the answer
 * (a reason code, a detail text the answer owns, JSON fields), with the
 * helpers that read a body field or refuse the request naming it.
 *
 * Included by every request handler (admin.c, attest.c, attest_tpm.c,
 * kps.c), by routes.c, which hands requests to them, and by http.c,
 * which builds requests and sends answers. A handler never sees the
 * HTTP layer, and the HTTP layer never calls a handler itself.
 */
#ifndef HGSD_REQUEST_H
#define HGSD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vms_compiler.h"
#include "vms_hgs_reason.h"

/* The longest detail an answer carries (a TPM policy detail fits). */
#define HGSD_DETAIL_MAX	512

struct hgsd;

/* What an admin credential may do (http.c decides, admin.c enforces). */
enum admin_role {
	ADMIN_ROLE_NONE = 0,
	ADMIN_ROLE_REVIEWER,	/* read only: every GET */
	ADMIN_ROLE_ADMIN,	/* everything */
};

struct request {
	const char *method;
	const char *url;
	json_t *body;		/* parsed POST body, or NULL */
	int admin;		/* arrived on the admin socket */
	int admin_ok;		/* http.c authorized the peer as an admin */
	enum admin_role role;	/* admin_ok: what it may do */
	json_t *args;		/* the query string's arguments (name -> string) */
	char who[64];		/* admin: "uid=N pid=N" or "cert=CN sha256=..." */
	unsigned int peer_uid;
	uint8_t src[16];	/* the client's address, IPv4 mapped (public listener) */
	int rate_checked;	/* http.c's admission took its token already */
};

/*
 * A handler's answer: HGS_PASSED with its fields, or a reason with an
 * optional detail (empty: none) that says what exactly was wrong.
 */
struct answer {
	enum vms_hgs_reason reason;
	char detail[HGSD_DETAIL_MAX];
	json_t *json;		/* fields to add to the answer (may be NULL) */
};

/* An answer to start from: Passed, no detail, no fields. */
#define ANSWER_INIT	{ .reason = HGS_PASSED }

typedef void (*request_handler_fn)(struct hgsd *h, struct request *rq,
				   struct answer *a);

/* Refuse with @r and @detail (copied; NULL or "" for none). */
void answer_fail(struct answer *a, enum vms_hgs_reason r, const char *detail);
void answer_failf(struct answer *a, enum vms_hgs_reason r, const char *fmt, ...)
	__printf(3, 4);
/* Pass with @fields (the answer takes the reference; NULL: none). */
void answer_ok(struct answer *a, json_t *fields);
/* Drop the answer's fields (after it was sent, or instead). */
void answer_release(struct answer *a);

/*
 * Field helpers: on a missing or bad field they fill @a
 * (InvalidRequest, naming the field) and fail.
 */
const char *req_str(struct request *rq, struct answer *a, const char *field,
		    size_t maxlen);
int req_b64(struct request *rq, struct answer *a, const char *field,
	    size_t max, uint8_t **out, size_t *outlen);
int req_hex(struct request *rq, struct answer *a, const char *field,
	    uint8_t *out, size_t len);

#endif /* HGSD_REQUEST_H */
