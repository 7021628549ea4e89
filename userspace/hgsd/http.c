// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the two listeners, over libmicrohttpd:
 *   HTTPS on listen_address:port (thread pool, keep-alive, a connection
 *     cap in total and per IP, an idle timeout, a body cap; deadlines for
 *     headers and body and admission at the budget: conn_guard.c) for
 *     hosts (attestation, KPS) and tenants (metadata);
 *   HTTP on the admin Unix socket (mode 0600; every connection's peer
 *     credentials checked with SO_PEERCRED) for admins.
 * Bodies are collected up to max_body_bytes (max_tpm_body_bytes for
 * POST /v1/attest/tpm, which carries the boot and IMA logs on the public
 * listener only); anything longer is refused
 * with 413 without being kept. Each body may hold max_body_bytes; what
 * the large ones (TPM mode's logs) hold beyond that comes from one
 * budget, max_inflight_body_bytes for all of them together: past it a
 * request is refused with 503 Busy and its body is not kept, so the
 * memory unfinished bodies hold is bounded (max_connections x
 * max_body_bytes + the budget) and small requests are never refused
 * for it. A request with two
 * Content-Length headers, or Content-Length and Transfer-Encoding, is
 * refused (request smuggling behind a proxy), and so is a path that
 * decodes to a NUL or another control character (%00 would cut it).
 * Every answer is JSON (status, substatus, message) with the HTTP status
 * of its reason code.
 *
 * Admission of the anonymous challenge requests (nonces, TPM challenges;
 * challenge_rate_per_source): a request that finds its source's bucket
 * empty takes a token on credit and waits for it, its connection
 * suspended (admission.c), instead of being answered Busy: an over-limit
 * source then costs hgsd nothing until its token is due, and what it
 * sends meanwhile waits unread in its own socket. A source already
 * ADMISSION_MAX_WAIT_S in debt (more connections than the rate serves)
 * is answered Busy, after waiting that long too: each of its connections
 * costs hgsd at most one answer per ADMISSION_MAX_WAIT_S.
 *
 * Before all that, new connections: a source past its
 * handshake_rate_per_source is closed right after accept(), before its
 * TLS handshake (accept_limit.c), so a flood of new connections costs
 * hgsd an accept() and a close() each, not a handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <openssl/crypto.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "accept_limit.h"
#include "admission.h"
#include "conn_guard.h"
#include "hgsd.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "request.h"
#include "routes.h"
#include "store.h"
#include "vms_cleanup_json.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_x509.h"

struct listener {
	struct hgsd *h;
	int admin;
};

static struct MHD_Daemon *public_d, *admin_d;
static struct listener public_l, admin_l;
static int admin_fd = -1;

/* How much of an oversized body is read and thrown away before hanging up. */
#define DISCARD_FACTOR 64

struct conn_ctx {
	char *buf;
	size_t len, cap, discarded, limit;
	size_t charged;		/* of cap, taken from inflight_bytes */
	int too_large;
	int busy;		/* max_inflight_body_bytes reached: not kept */
	const char *bad;	/* refused before its body: why (static text) */
	int rate_checked;	/* admission took its token (or found none) */
	int rate_refused;	/* its source is ADMISSION_MAX_WAIT_S in debt */
	struct timespec t0;	/* its headers arrived: the latency's start */
};

/* Bytes held beyond max_body_bytes by the bodies being collected, in all. */
static size_t inflight_bytes;

/*
 * The longest a request waits for its token (capped at half the body
 * deadline, which runs while it waits); a source further in debt waits
 * as long, then is answered Busy.
 */
#define ADMISSION_MAX_WAIT_S	2.0

/* What unescape_path() leaves of a path that decoded to a control character. */
#define BAD_PATH	"\x01"

/*
 * The client's address into @src, IPv4 mapped into IPv6 and an IPv6
 * client by its /64 (one site's addresses are one source); zero when
 * unknown (the admin socket).
 */
static void client_source(struct MHD_Connection *conn, uint8_t src[16])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	memset(src, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		src[10] = src[11] = 0xff;
		memcpy(src + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(src, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
	}
}

/* @src (client_source()) as text: an IPv4 or IPv6 address, "local" if zero. */
static const char *source_text(const uint8_t src[16], char *buf, size_t len)
{
	static const uint8_t zero[16];

	if (!memcmp(src, zero, 16))
		return "local";
	if (src[10] == 0xff && src[11] == 0xff)
		inet_ntop(AF_INET, src + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, src, buf, (socklen_t)len);
	return buf;
}

/* One query-string argument into the object @cls (the last of a name holds). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	(void)kind;
	if (key && strlen(key) < 64 && value && strlen(value) < 256)
		json_object_set_new(cls, key, json_string(value));
	return MHD_YES;
}

/* The query string's arguments (GET /v1/admin/audit?since=N&limit=N), or NULL. */
static json_t *query_args(struct MHD_Connection *conn)
{
	json_t *o = json_object();

	if (o && MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, o) > 64) {
		json_decref(o);
		return json_object();	/* more than 64: none kept */
	}
	return o;
}

/* ---- who is an admin ---- */

static int peer_is_admin(struct hgsd *h, struct MHD_Connection *conn,
			 struct request *rq)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned int i;

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(rq->who, sizeof(rq->who), "unknown");
		return 0;
	}
	rq->peer_uid = cred.uid;
	snprintf(rq->who, sizeof(rq->who), "uid=%u pid=%d", (unsigned int)cred.uid,
		 (int)cred.pid);
	rq->role = ADMIN_ROLE_ADMIN;
	if (cred.uid == 0)
		return 1;
	for (i = 0; i < h->cfg.n_admin_uids; i++)
		if (h->cfg.admin_uids[i] == cred.uid)
			return 1;
	rq->role = ADMIN_ROLE_REVIEWER;
	for (i = 0; i < h->cfg.n_reviewer_uids; i++)
		if (h->cfg.reviewer_uids[i] == cred.uid)
			return 1;
	rq->role = ADMIN_ROLE_NONE;
	return 0;
}

/* Why GnuTLS refused a client certificate (@status bits), for the log. */
static const char *cert_status_why(unsigned int status)
{
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not yet valid";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "signature does not verify (forged or altered)";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "not issued by admin_client_ca";
	if (status & GNUTLS_CERT_REVOKED)
		return "revoked by its CA";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "insecure signature algorithm";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return "not for client authentication";
	return "not verified";
}

/*
 * The client certificate GnuTLS verified, as X509; NULL: none or bad,
 * with why in *@why (for the log only: the client gets one answer).
 */
static X509 *tls_client_cert(struct MHD_Connection *conn, const char **why)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	unsigned int status = 1, n = 0;
	X509 *c = NULL;

	*why = "no TLS session";
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return NULL;
	*why = "no client certificate";
	peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (!peers || !n)
		return NULL;
	if (gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status) < 0 ||
	    status) {
		*why = cert_status_why(status);
		return NULL;
	}
	*why = "not a readable X.509 certificate";
	if (vms_cert_from_der(peers[0].data, peers[0].size, &c))
		return NULL;
	return c;
}

/*
 * An admin request over HTTPS without valid credentials: the log says
 * why, the client gets AdminCredentialsRequired with what it needs.
 */
static enum vms_hgs_reason credentials_required(struct hgsd *h, struct MHD_Connection *conn,
						struct request *rq, struct answer *a,
						const char *why)
{
	char addr[INET6_ADDRSTRLEN] = "?", path[80];

	client_source(conn, rq->src);
	log_warn("admin", "client=%s path=%s result=AdminCredentialsRequired why=\"%s\"",
		 source_text(rq->src, addr, sizeof(addr)),
		 log_safe(rq->url, path, sizeof(path)), why);
	answer_fail(a, HGS_R_ADMIN_CREDENTIALS_REQUIRED, h->admin_ca_pem ?
		    "admin operations over HTTPS need a valid admin client certificate issued by this HGS's admin_client_ca; or use the local admin socket" :
		    NULL);
	return HGS_R_ADMIN_CREDENTIALS_REQUIRED;
}

/*
 * Admin over HTTPS: the client presented a certificate that chains to
 * admin_client_ca (GnuTLS checked chain, validity and usage). Then, by
 * the SHA-256 of that certificate (recorded in the store as "seen" the
 * first time): a revoked one is refused, and with admin_cert_allow_list
 * on, so is one not explicitly allowed. The audit names it by CN and
 * fingerprint. Returns HGS_PASSED or the reason to refuse.
 */
static enum vms_hgs_reason tls_client_admin(struct hgsd *h, struct MHD_Connection *conn,
					    struct request *rq, struct answer *a)
{
	_cleanup_(X509_freep) X509 *c = NULL;
	char cn[80], fpr[VMS_FPR_HEX_LEN], state[16], role[16], safe_cn[80];
	struct policy pol;
	const char *why;

	if (!h->admin_ca_pem)
		return credentials_required(h, conn, rq, a,
					    "admin over HTTPS is off (no admin_client_ca)");
	c = tls_client_cert(conn, &why);
	if (!c)
		return credentials_required(h, conn, rq, a, why);
	if (vms_cert_subject_cn(c, cn, sizeof(cn)))
		strcpy(cn, "?");
	if (vms_cert_fingerprint(c, fpr))
		return HGS_R_INTERNAL_ERROR;
	log_safe(cn, safe_cn, sizeof(safe_cn));
	snprintf(rq->who, sizeof(rq->who), "cert=%.20s sha256=%.16s", safe_cn, fpr);
	if (store_admin_cert_seen(h->st, fpr, safe_cn, state, sizeof(state), role, sizeof(role)))
		return HGS_R_INTERNAL_ERROR;	/* fail closed */
	rq->role = !strcmp(role, "admin") ? ADMIN_ROLE_ADMIN :
		   !strcmp(role, "reviewer") ? ADMIN_ROLE_REVIEWER : ADMIN_ROLE_NONE;
	if (rq->role == ADMIN_ROLE_NONE)
		return HGS_R_ADMIN_NOT_AUTHORIZED;
	if (!strcmp(state, "revoked"))
		return HGS_R_ADMIN_CERT_REVOKED;
	state_policy(h, &pol);
	if (pol.admin_cert_allow_list && strcmp(state, "allowed"))
		return HGS_R_ADMIN_CERT_NOT_ALLOWED;
	return HGS_PASSED;
}

/*
 * The admin API is for root and admin_uids on the admin socket, and for
 * admin client certificates over HTTPS. 1 if @rq's peer is an admin;
 * else 0 with @a refused, and the refusal audited.
 */
static int admin_authorized(struct hgsd *h, struct MHD_Connection *conn,
			    struct request *rq, struct answer *a)
{
	enum vms_hgs_reason r;

	if (rq->admin) {
		if (peer_is_admin(h, conn, rq))
			return 1;
		store_audit(h->st, rq->who, "denied", rq->url, "refused-not-authorized");
		answer_fail(a, HGS_R_ADMIN_NOT_AUTHORIZED, NULL);
		return 0;
	}
	r = tls_client_admin(h, conn, rq, a);
	if (r == HGS_R_ADMIN_CERT_REVOKED || r == HGS_R_ADMIN_CERT_NOT_ALLOWED)
		store_audit(h->st, rq->who, "denied", rq->url,
			    r == HGS_R_ADMIN_CERT_REVOKED ?
			    "refused-certificate-revoked" :
			    "refused-certificate-not-allowed");
	if (r != HGS_PASSED) {
		if (a->reason == HGS_PASSED)
			answer_fail(a, r, NULL);
		return 0;
	}
	return 1;
}

/* ---- one request ---- */

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct answer *a)
{
	_cleanup_json_ json_t *o = a->json ? a->json : json_object();
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *s;

	a->json = NULL;
	if (!o)
		return MHD_NO;
	json_object_set_new(o, "status", json_string(a->reason == HGS_PASSED ?
						     "Passed" : "Failed"));
	if (a->reason != HGS_PASSED) {
		json_object_set_new(o, "substatus", json_string(vms_hgs_reason_name(a->reason)));
		json_object_set_new(o, "message", json_string(vms_hgs_reason_message(a->reason)));
		if (a->detail[0])
			json_object_set_new(o, "detail", json_string(a->detail));
	}
	s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, vms_hgs_reason_http(a->reason), resp);
	MHD_destroy_response(resp);
	return ret;
}

/* GET /metrics: the exposition text, or NULL with @a refused. */
static enum MHD_Result send_metrics(struct MHD_Connection *conn, char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", METRICS_CONTENT_TYPE);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, enum vms_hgs_reason r)
{
	struct answer a = ANSWER_INIT;

	answer_fail(&a, r, NULL);
	return send_answer(conn, &a);
}

/*
 * The first call for a request: its headers are in. Choose the body cap
 * of its route; a body announced larger is refused, before it is sent
 * when the client waits for "100 Continue".
 */
/* Count the Content-Length headers (case-insensitive, as HTTP says). */
static enum MHD_Result count_cl(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	unsigned int *n = cls;

	(void)kind;
	(void)value;
	if (key && !strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		(*n)++;
	return MHD_YES;
}

/* Framing and path that must be refused whatever the route; NULL if fine. */
static const char *request_refusal(struct MHD_Connection *conn, const char *url)
{
	unsigned int n_cl = 0;

	if (!strcmp(url, BAD_PATH))
		return "the URL path holds %00 or another control character";
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_cl, &n_cl);
	if (n_cl > 1)
		return "more than one Content-Length header";
	if (n_cl && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}

static enum MHD_Result begin_request(struct listener *l, struct MHD_Connection *conn,
				     const char *url, void **con_cls)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct conn_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return MHD_NO;
	*con_cls = c;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	conn_guard_headers_done(conn);
	c->limit = routes_body_limit(l->h, url, l->admin);
	c->bad = request_refusal(conn, url);
	if (c->bad)
		return MHD_YES;	/* answered once the request is in; nothing kept */
	if (cl && strtoull(cl, NULL, 10) > c->limit) {
		c->too_large = 1;
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT)) {
			metrics_request(url, HGS_R_REQUEST_TOO_LARGE, 0);
			return refuse(conn, HGS_R_REQUEST_TOO_LARGE);
		}
	}
	return MHD_YES;
}

/* Give back what @c's body took from the in-flight budget, and drop it. */
static void release_body(struct conn_ctx *c)
{
	__atomic_fetch_sub(&inflight_bytes, c->charged, __ATOMIC_RELAXED);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->charged = 0;
}

/*
 * Append @n bytes of body; MHD_NO when memory runs out. A buffer growing
 * past max_body_bytes takes the excess from the in-flight budget; past
 * the budget the body is dropped and the request will be refused (Busy).
 */
static enum MHD_Result append_body(struct hgsd *h, struct conn_ctx *c, const char *data,
				   size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096, charge, more;
		char *nb;

		while (cap < c->len + n)
			cap *= 2;
		charge = cap > h->cfg.max_body_bytes ? cap - h->cfg.max_body_bytes : 0;
		more = charge - c->charged;
		if (more && __atomic_add_fetch(&inflight_bytes, more, __ATOMIC_RELAXED) >
		    h->cfg.max_inflight_body_bytes) {
			__atomic_fetch_sub(&inflight_bytes, more, __ATOMIC_RELAXED);
			release_body(c);
			c->busy = 1;
			return MHD_YES;
		}
		nb = realloc(c->buf, cap);
		if (!nb) {
			__atomic_fetch_sub(&inflight_bytes, more, __ATOMIC_RELAXED);
			return MHD_NO;
		}
		c->buf = nb;
		c->cap = cap;
		c->charged = charge;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return MHD_YES;
}

/*
 * A piece of the body. Past the cap it is not kept: it is discarded (so
 * the client can read our 413), but not for ever: past DISCARD_FACTOR x
 * the cap, the connection is dropped.
 */
static enum MHD_Result collect_body(struct hgsd *h, struct conn_ctx *c, const char *data,
				    size_t *size)
{
	size_t n = *size;

	*size = 0;
	if (c->too_large || c->busy || c->bad) {
		c->discarded += n;
		return c->discarded > DISCARD_FACTOR * c->limit ? MHD_NO : MHD_YES;
	}
	if (c->len + n > c->limit) {
		c->too_large = 1;
		release_body(c);
		return MHD_YES;
	}
	return append_body(h, c, data, n);
}

/* A POST body must be one JSON object; 0, or -EINVAL with @a refused. */
static int parse_body(const struct conn_ctx *c, struct request *rq, struct answer *a)
{
	json_error_t err;

	rq->body = json_loadb(c->buf ? c->buf : "", c->len, JSON_REJECT_DUPLICATES, &err);
	if (rq->body && json_is_object(rq->body))
		return 0;
	if (rq->body)
		answer_fail(a, HGS_R_INVALID_REQUEST, "the body must be a JSON object");
	else
		answer_failf(a, HGS_R_INVALID_REQUEST, "malformed JSON at line %d column %d",
			     err.line, err.column);
	json_decref(rq->body);
	rq->body = NULL;
	return -EINVAL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Count, log and send @a: with log_requests, one line per request, with
 * the client's address and the time since its headers arrived; a refused
 * request at info, a passed one at debug (--log-level debug: an access
 * log).
 */
static enum MHD_Result finish(struct hgsd *h, struct MHD_Connection *conn,
			      const struct conn_ctx *c, const struct request *rq,
			      struct answer *a)
{
	double dt = seconds_since(&c->t0);
	char sbuf[80], addr[INET6_ADDRSTRLEN] = "?";

	metrics_request(rq->url, a->reason, dt);
	if (h->cfg.log_requests)
		hlog(a->reason == HGS_PASSED ? "debug" : "info", "request",
		     "client=%s method=%s path=%s result=%s latency_ms=%.1f",
		     source_text(rq->src, addr, sizeof(addr)), rq->method,
		     log_safe(rq->url, sbuf, sizeof(sbuf)),
		     a->reason == HGS_PASSED ? "Passed" : vms_hgs_reason_name(a->reason),
		     dt * 1e3);
	return send_answer(conn, a);
}

/*
 * GET /metrics: for admins and reviewers only (the admin socket's uids,
 * or an admin client certificate over HTTPS): the counters say how many
 * hosts attest and how often (hgs-admin-guide.md, "Metrics").
 */
static enum MHD_Result answer_metrics(struct hgsd *h, struct MHD_Connection *conn,
				      const struct conn_ctx *c, struct request *rq)
{
	struct answer a = ANSWER_INIT;
	char *text = NULL;
	int r;

	if (strcmp(rq->method, "GET")) {
		answer_fail(&a, HGS_R_METHOD_NOT_ALLOWED, NULL);
		return finish(h, conn, c, rq, &a);
	}
	if (!admin_authorized(h, conn, rq, &a))
		return finish(h, conn, c, rq, &a);
	r = metrics_render(h, &text);
	if (r) {
		answer_fail(&a, HGS_R_INTERNAL_ERROR, NULL);
		return finish(h, conn, c, rq, &a);
	}
	metrics_request(rq->url, HGS_PASSED, seconds_since(&c->t0));
	return send_metrics(conn, text);
}

/* The whole request is in: parse, authorize, route, log, answer. */
static enum MHD_Result answer_request(struct listener *l, struct MHD_Connection *conn,
				      const struct conn_ctx *c, const char *url,
				      const char *method)
{
	struct hgsd *h = l->h;
	struct answer a = ANSWER_INIT;
	struct request rq = { .method = method, .url = url, .admin = l->admin };

	client_source(conn, rq.src);
	rq.rate_checked = c->rate_checked;
	if (c->bad) {
		answer_fail(&a, HGS_R_INVALID_REQUEST, c->bad);
		return finish(h, conn, c, &rq, &a);
	}
	if (c->too_large) {
		answer_fail(&a, HGS_R_REQUEST_TOO_LARGE, NULL);
		return finish(h, conn, c, &rq, &a);
	}
	if (c->busy) {
		answer_fail(&a, HGS_R_BUSY, "too many request bodies in flight: retry");
		return finish(h, conn, c, &rq, &a);
	}
	if (c->rate_refused) {
		answer_fail(&a, HGS_R_BUSY,
			    "too many challenges from this address: retry in a second");
		return finish(h, conn, c, &rq, &a);
	}
	if (!strcmp(url, "/metrics"))
		return answer_metrics(h, conn, c, &rq);
	rq.args = query_args(conn);
	if (!rq.args) {
		answer_fail(&a, HGS_R_INTERNAL_ERROR, NULL);
	} else if (strcmp(method, "POST") || !parse_body(c, &rq, &a)) {
		if (!routes_is_admin(url) || admin_authorized(h, conn, &rq, &a)) {
			rq.admin_ok = routes_is_admin(url);
			routes_dispatch(h, &rq, &a);
		}
		json_decref(rq.body);
	}
	json_decref(rq.args);
	return finish(h, conn, c, &rq, &a);
}

/*
 * Admission (the top of the file): 1 if @conn now waits for its token
 * (suspended; libmicrohttpd calls again once it is resumed), 0 to answer
 * now. Decided once per request.
 */
static int admission_waits(struct listener *l, struct MHD_Connection *conn,
			   struct conn_ctx *c, const char *url, const char *method)
{
	double max_wait = ADMISSION_MAX_WAIT_S;
	uint64_t wait_ns;
	uint8_t src[16];

	if (c->rate_checked)
		return 0;
	if (l->admin || c->bad || c->too_large || c->busy ||
	    !routes_rate_limited(url, method))
		return 0;	/* routes_dispatch() decides as before */
	c->rate_checked = 1;
	if (max_wait > l->h->cfg.body_timeout_s / 2.0)
		max_wait = l->h->cfg.body_timeout_s / 2.0;
	client_source(conn, src);
	if (ratelimit_reserve(l->h->challenge_rate, src, max_wait, &wait_ns)) {
		/* refused, but only after the longest wait: one answer per wait */
		c->rate_refused = 1;
		wait_ns = (uint64_t)(max_wait * 1e9);
	}
	if (!wait_ns)
		return 0;
	if (admission_defer(conn, wait_ns)) {
		c->rate_refused = 1;	/* the queue is full, or hgsd stops */
		return 0;
	}
	return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct conn_ctx *c = *con_cls;

	(void)version;
	if (!c)
		return begin_request(l, conn, url, con_cls);
	if (*upload_data_size)
		return collect_body(l->h, c, upload_data, upload_data_size);
	if (admission_waits(l, conn, c, url, method))
		return MHD_YES;
	return answer_request(l, conn, c, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *c = *con_cls;

	(void)cls;
	(void)toe;
	conn_guard_request_done(conn);
	if (c) {
		release_body(c);
		free(c);
	}
	*con_cls = NULL;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * libmicrohttpd's unescaper, for paths and arguments: %HH decoded in
 * place (anything else kept as it is). A result holding a NUL (which
 * would cut the path: "/v1/health%00junk") or another control character
 * becomes BAD_PATH, which request_refusal() refuses.
 */
static size_t unescape_path(void *cls, struct MHD_Connection *conn, char *s)
{
	char *in = s, *out = s;
	int hi, lo, bad = 0;

	(void)cls;
	(void)conn;
	while (*in) {
		hi = in[0] == '%' ? hex_digit(in[1]) : -1;
		lo = hi >= 0 ? hex_digit(in[2]) : -1;
		if (lo >= 0) {
			*out = (char)(hi << 4 | lo);
			in += 3;
		} else {
			*out = *in++;
		}
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			bad = 1;
		out++;
	}
	*out = 0;
	if (bad) {
		strcpy(s, BAD_PATH);	/* shorter than any input that decoded to it */
		return strlen(BAD_PATH);
	}
	return (size_t)(out - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256], safe[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	log_warn("http", "msg=\"%s\"", vms_log_safe_quoted(msg, safe, sizeof(safe)));
}

/* Whether a process accepts connections on the socket at @sa. */
static int admin_socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

static int open_admin_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (admin_socket_live(&sa))
			return -EADDRINUSE;	/* never take a running hgsd's socket */
		unlink(path);	/* a stale socket of a previous run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Created 0600 (fchmod does not apply to a socket inode before bind). */
	{
		mode_t old = umask(0177);
		int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));

		umask(old);
		if (r < 0 || listen(fd, 64) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

static int write_port_file(struct hgsd *h, unsigned int port)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u\n", port);

	return vms_write_file_atomic(h->cfg.port_file, buf, (size_t)n, 0644, 0);
}

/*
 * TLS 1.2 and 1.3 only, AEAD ciphers only (GnuTLS priority syntax); the
 * rest of GnuTLS's NORMAL set (its key exchanges, ECDHE first, and
 * session tickets for cheap reconnects) as it is.
 */
#define HGSD_TLS_PRIORITIES \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-RSA:-DHE-RSA"

/* An empty MHD_OPTION_ARRAY: a no-op in the variadic option list. */
static struct MHD_OptionItem empty_options[] = { { MHD_OPTION_END, 0, NULL } };

/*
 * The public listening socket, bound here rather than by libmicrohttpd so
 * that a port already in use is an error that says so. SO_REUSEADDR only
 * (a restart may bind over connections in TIME_WAIT); never SO_REUSEPORT,
 * which would let a second hgsd bind the same port and silently take half
 * of the connections. The socket, or -errno.
 */
static int open_public_socket(const struct sockaddr_in *sin)
{
	int fd, one = 1, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    listen(fd, 128) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* libmicrohttpd's HTTPS daemon on the listening socket @fd, with @key and @cert. */
static struct MHD_Daemon *start_public_daemon(struct hgsd *h, int fd, const char *key,
					      const char *cert)
{
	return MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
		MHD_USE_EPOLL | MHD_USE_ITC |	/* ITC: MHD_quiesce_daemon() at a reload */
		MHD_ALLOW_SUSPEND_RESUME,	/* admission: a request waits for its token */
		/* new connections per source, before their TLS handshake */
		(uint16_t)h->cfg.port, accept_limit_check, NULL, on_request, &public_l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)h->cfg.threads,
		MHD_OPTION_CONNECTION_LIMIT, conn_guard_mhd_limit(h),
		MHD_OPTION_NOTIFY_CONNECTION, conn_guard_notify, NULL,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)h->cfg.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)h->cfg.connection_timeout_s,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_HTTPS_MEM_CERT, cert,
		MHD_OPTION_HTTPS_PRIORITIES, HGSD_TLS_PRIORITIES,
		/*
		 * with a trust list, libmicrohttpd asks clients for a certificate
		 * (optional: hosts and tenants need none)
		 */
		h->admin_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_ARRAY,
		h->admin_ca_pem ? (void *)h->admin_ca_pem : (void *)empty_options,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_path, NULL,
		MHD_OPTION_END);
}

/* HTTPS on listen_address:port, for hosts and tenants; its port in *@port. */
static int start_public(struct hgsd *h, unsigned int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *di;
	int fd;

	if (inet_pton(AF_INET, h->cfg.listen_address, &sin.sin_addr) != 1) {
		log_err("http", "listen_address=%s msg=\"not an IPv4 address\"", h->cfg.listen_address);
		return -EINVAL;
	}
	sin.sin_port = htons((uint16_t)h->cfg.port);
	fd = open_public_socket(&sin);
	if (fd == -EADDRINUSE) {
		log_err("http", "address=%s port=%u msg=\"the port is in use by another process (another hgsd?): stop it, or set port in hgsd.conf to a free one\"",
			h->cfg.listen_address, h->cfg.port);
		return fd;
	}
	if (fd < 0) {
		log_err("http", "address=%s port=%u step=\"binding the HTTPS port\" error=\"%s\"",
			h->cfg.listen_address, h->cfg.port, strerror(-fd));
		return fd;
	}
	if (accept_limit_start(&h->cfg)) {
		close(fd);
		return -ENOMEM;
	}
	if (conn_guard_start(h)) {
		accept_limit_stop();
		close(fd);
		return -EAGAIN;
	}
	/* every connection of two daemons (a reload) may wait at once */
	if (admission_start(2 * conn_guard_mhd_limit(h))) {
		conn_guard_stop();
		accept_limit_stop();
		close(fd);
		return -EAGAIN;
	}
	public_l.h = h;
	public_l.admin = 0;
	public_d = start_public_daemon(h, fd, h->tls_key_pem, h->tls_cert_pem);
	if (!public_d) {
		close(fd);
		admission_stop();
		conn_guard_stop();
		accept_limit_stop();
		log_err("http", "address=%s port=%u msg=\"cannot start the HTTPS listener\"",
			h->cfg.listen_address, h->cfg.port);
		return -EADDRINUSE;
	}
	di = MHD_get_daemon_info(public_d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di ? di->port : h->cfg.port;
	return 0;
}

/* HTTP on the admin socket, for admins (their credentials checked per request). */
static int start_admin(struct hgsd *h)
{
	admin_fd = open_admin_socket(h->cfg.admin_socket);
	if (admin_fd == -EADDRINUSE) {
		log_err("http", "admin_socket=%s msg=\"another process (another hgsd?) serves this admin socket: stop it, or set admin_socket in hgsd.conf\"",
			h->cfg.admin_socket);
		return admin_fd;
	}
	if (admin_fd < 0) {
		log_err("http", "admin_socket=%s error=\"%s\"", h->cfg.admin_socket,
			strerror(-admin_fd));
		return admin_fd;
	}
	admin_l.h = h;
	admin_l.admin = 1;
	admin_d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, &admin_l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, admin_fd,
		MHD_OPTION_CONNECTION_LIMIT, 64U,
		MHD_OPTION_CONNECTION_TIMEOUT, 60U,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_path, NULL,
		MHD_OPTION_END);
	if (!admin_d) {
		log_err("http", "admin_socket=%s msg=\"cannot start the admin listener\"",
			h->cfg.admin_socket);
		return -EIO;
	}
	return 0;
}

int http_start(struct hgsd *h)
{
	unsigned int port = 0;
	int r;

	r = start_public(h, &port);
	if (r)
		return r;
	r = start_admin(h);
	if (r) {
		http_stop(h);
		return r;
	}
	r = write_port_file(h, port);
	if (r)
		log_warn("http", "port_file=%s error=\"%s\"", h->cfg.port_file, strerror(-r));
	log_info("listening", "address=%s port=%u threads=%u admin_socket=%s",
		 h->cfg.listen_address, port, h->cfg.threads, h->cfg.admin_socket);
	return 0;
}

/*
 * A new HTTPS daemon with @pem (the key, then the certificate) on the
 * same listening socket: the old daemon is quiesced (it stops accepting
 * and hands the socket back, never closed), the new one starts on it,
 * then the old one stops, closing the connections it held (clients
 * reconnect). Connections that arrive meanwhile wait in the backlog. If
 * the new one cannot start, one with the certificate in use takes over.
 */
int http_reload_tls(struct hgsd *h, const char *pem)
{
	const char *cert = strstr(pem, "-----BEGIN CERTIFICATE-----");
	struct MHD_Daemon *d, *old = public_d;
	size_t key_len = cert ? (size_t)(cert - pem) : 0;
	char *key, *cert_copy;
	int fd;

	if (!public_d || !key_len)
		return -EINVAL;
	/* like the key process's first key: OPENSSL_malloc, keys_free() wipes it */
	key = OPENSSL_malloc(key_len + 1);
	cert_copy = strdup(cert);
	if (!cert_copy || !key) {
		free(cert_copy);
		OPENSSL_free(key);
		return -ENOMEM;
	}
	memcpy(key, pem, key_len);
	key[key_len] = 0;
	/* the old daemon stops accepting and hands the socket back, still open */
	fd = MHD_quiesce_daemon(old);
	if (fd == MHD_INVALID_SOCKET) {
		free(cert_copy);
		OPENSSL_clear_free(key, key_len + 1);
		return -EIO;
	}
	d = start_public_daemon(h, fd, key, cert_copy);
	if (!d) {
		/* serve on with the certificate in use (the pair was checked) */
		public_d = start_public_daemon(h, fd, h->tls_key_pem, h->tls_cert_pem);
		admission_drain();
		MHD_stop_daemon(old);
		admission_undrain();
		free(cert_copy);
		OPENSSL_clear_free(key, key_len + 1);
		return -EIO;
	}
	public_d = d;
	admission_drain();	/* no connection of @old may stay suspended */
	MHD_stop_daemon(old);	/* its connections close; clients reconnect */
	admission_undrain();
	if (h->tls_key_pem)
		OPENSSL_clear_free(h->tls_key_pem, h->tls_key_len + 1);
	free(h->tls_cert_pem);
	h->tls_key_pem = key;
	h->tls_key_len = key_len;
	h->tls_cert_pem = cert_copy;
	return 0;
}

void http_stop(struct hgsd *h)
{
	if (public_d) {
		admission_drain();
		MHD_stop_daemon(public_d);
	}
	admission_stop();
	conn_guard_stop();
	accept_limit_stop();
	if (admin_d) {
		MHD_stop_daemon(admin_d);	/* closes the listen socket */
		admin_fd = -1;
		unlink(h->cfg.admin_socket);
	}
	public_d = admin_d = NULL;
	if (admin_fd >= 0) {
		close(admin_fd);
		unlink(h->cfg.admin_socket);
	}
	admin_fd = -1;
}
