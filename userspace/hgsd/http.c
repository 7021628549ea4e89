// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the two listeners, over libmicrohttpd:
 *   HTTPS on listen_address:port (thread pool, keep-alive, a connection
 *     cap in total and per IP, an idle timeout, a body cap) for hosts
 *     (attestation, KPS) and tenants (metadata);
 *   HTTP on the admin Unix socket (mode 0600; every connection's peer
 *     credentials checked with SO_PEERCRED) for admins.
 * Bodies are collected up to max_body_bytes (max_tpm_body_bytes for
 * POST /v1/attest/tpm, which carries the boot and IMA logs on the public
 * listener only); anything longer is refused
 * with 413 without being kept. Every answer is JSON (status, substatus,
 * message) with the HTTP status of its reason code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "hgsd.h"
#include "vms_b64.h"
#include "vms_fileio.h"
#include "vms_hex.h"
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
	int too_large;
};

void answer_fail(struct answer *a, enum vms_hgs_reason r, const char *detail)
{
	a->reason = r;
	a->detail = detail;
	json_decref(a->json);
	a->json = NULL;
}

void answer_ok(struct answer *a, json_t *fields)
{
	a->reason = HGS_PASSED;
	json_decref(a->json);
	a->json = fields;
}

const char *req_str(struct request *rq, struct answer *a, const char *field,
		    size_t maxlen)
{
	static __thread char detail[128];
	json_t *v = rq->body ? json_object_get(rq->body, field) : NULL;
	const char *s;

	if (!v) {
		snprintf(detail, sizeof(detail), "field '%s' is missing", field);
		answer_fail(a, HGS_R_INVALID_REQUEST, detail);
		return NULL;
	}
	if (!json_is_string(v)) {
		snprintf(detail, sizeof(detail), "field '%s' must be a string", field);
		answer_fail(a, HGS_R_INVALID_REQUEST, detail);
		return NULL;
	}
	s = json_string_value(v);
	if (json_string_length(v) > maxlen || strlen(s) != json_string_length(v)) {
		snprintf(detail, sizeof(detail),
			 "field '%s' is too long or contains NUL (at most %zu)", field, maxlen);
		answer_fail(a, HGS_R_INVALID_REQUEST, detail);
		return NULL;
	}
	return s;
}

int req_b64(struct request *rq, struct answer *a, const char *field,
	    size_t max, uint8_t **out, size_t *outlen)
{
	static __thread char detail[128];
	const char *s = req_str(rq, a, field, vms_b64_encoded_len(max));
	int r;

	*out = NULL;
	if (!s)
		return -EINVAL;
	r = vms_b64_decode(s, strlen(s), max, out, outlen);
	if (r) {
		snprintf(detail, sizeof(detail), "field '%s' is not valid base64 (RFC 4648, padded)",
			 field);
		answer_fail(a, HGS_R_INVALID_REQUEST, detail);
	}
	return r;
}

int req_hex(struct request *rq, struct answer *a, const char *field,
	    uint8_t *out, size_t len)
{
	static __thread char detail[128];
	const char *s = req_str(rq, a, field, 2 * len);

	if (!s)
		return -EINVAL;
	if (vms_hex_decode_exact(s, out, len)) {
		snprintf(detail, sizeof(detail), "field '%s' must be %zu hex digits",
			 field, 2 * len);
		answer_fail(a, HGS_R_INVALID_REQUEST, detail);
		return -EINVAL;
	}
	return 0;
}

static void handle_health(struct hgsd *h, struct request *rq, struct answer *a)
{
	(void)h;
	(void)rq;
	answer_ok(a, NULL);
}

struct route {
	const char *method, *path;
	void (*fn)(struct hgsd *h, struct request *rq, struct answer *a);
	int public_only;
};

static const struct route routes[] = {
	{ "POST", "/v1/attest/nonce", handle_nonce, 1 },
	{ "POST", "/v1/attest", handle_attest, 1 },
	{ "POST", "/v1/attest/tpm/challenge", handle_tpm_challenge, 1 },
	{ "POST", "/v1/attest/tpm", handle_tpm_attest, 1 },
	{ "POST", "/v1/kps/release", handle_release, 1 },
	{ "GET", "/v1/metadata", handle_metadata, 0 },
	{ "GET", "/v1/health", handle_health, 0 },
};

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
	if (cred.uid == 0)
		return 1;
	for (i = 0; i < h->cfg.n_admin_uids; i++)
		if (h->cfg.admin_uids[i] == cred.uid)
			return 1;
	return 0;
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
					    struct request *rq)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	unsigned int status = 1, n = 0;
	char cn[80], fpr[VMS_FPR_HEX_LEN], state[16], safe_cn[80];
	struct policy pol;
	X509 *c = NULL;

	if (!h->admin_ca_pem)
		return HGS_R_ADMIN_CREDENTIALS_REQUIRED;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return HGS_R_ADMIN_CREDENTIALS_REQUIRED;
	peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (!peers || !n ||
	    gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status) < 0 ||
	    status)
		return HGS_R_ADMIN_CREDENTIALS_REQUIRED;
	if (vms_cert_from_der(peers[0].data, peers[0].size, &c))
		return HGS_R_ADMIN_CREDENTIALS_REQUIRED;
	if (vms_cert_subject_cn(c, cn, sizeof(cn)))
		strcpy(cn, "?");
	if (vms_cert_fingerprint(c, fpr)) {
		X509_free(c);
		return HGS_R_INTERNAL_ERROR;
	}
	X509_free(c);
	log_safe(cn, safe_cn, sizeof(safe_cn));
	snprintf(rq->who, sizeof(rq->who), "cert=%.20s sha256=%.16s", safe_cn, fpr);
	if (store_admin_cert_seen(h->st, fpr, safe_cn, state, sizeof(state)))
		return HGS_R_INTERNAL_ERROR;	/* fail closed */
	if (!strcmp(state, "revoked"))
		return HGS_R_ADMIN_CERT_REVOKED;
	state_policy(h, &pol);
	if (pol.admin_cert_allow_list && strcmp(state, "allowed"))
		return HGS_R_ADMIN_CERT_NOT_ALLOWED;
	return HGS_PASSED;
}

static void route_request(struct hgsd *h, struct MHD_Connection *conn,
			  struct request *rq, struct answer *a)
{
	size_t i;
	int path_known = 0;

	if (!strncmp(rq->url, "/v1/admin/", 10)) {
		if (!rq->admin) {
			enum vms_hgs_reason r = tls_client_admin(h, conn, rq);

			if (r == HGS_R_ADMIN_CERT_REVOKED || r == HGS_R_ADMIN_CERT_NOT_ALLOWED)
				store_audit(h->st, rq->who, "denied", rq->url,
					    r == HGS_R_ADMIN_CERT_REVOKED ?
					    "refused-certificate-revoked" :
					    "refused-certificate-not-allowed");
			if (r != HGS_PASSED) {
				answer_fail(a, r, NULL);
				return;
			}
			handle_admin(h, rq, a);
			return;
		}
		if (!peer_is_admin(h, conn, rq)) {
			store_audit(h->st, rq->who, "denied", rq->url, "refused-not-authorized");
			answer_fail(a, HGS_R_ADMIN_NOT_AUTHORIZED, NULL);
			return;
		}
		handle_admin(h, rq, a);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		if (strcmp(rq->url, routes[i].path))
			continue;
		path_known = 1;
		if (strcmp(rq->method, routes[i].method))
			continue;
		if (rq->admin && routes[i].public_only)
			break;
		routes[i].fn(h, rq, a);
		return;
	}
	answer_fail(a, path_known ? HGS_R_METHOD_NOT_ALLOWED : HGS_R_UNKNOWN_ENDPOINT, NULL);
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct answer *a)
{
	json_t *o = a->json ? a->json : json_object();
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
		if (a->detail)
			json_object_set_new(o, "detail", json_string(a->detail));
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct hgsd *h = l->h;
	struct conn_ctx *c = *con_cls;
	struct answer a = { HGS_PASSED, NULL, NULL };
	struct request rq = { 0 };
	enum MHD_Result ret;
	char detail[96], sbuf[80];

	(void)version;
	if (!c) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		c->limit = !l->admin && !strcmp(url, "/v1/attest/tpm") ?
			h->cfg.max_tpm_body_bytes : h->cfg.max_body_bytes;
		if (cl && strtoull(cl, NULL, 10) > c->limit) {
			c->too_large = 1;
			/*
			 * A client waiting for "100 Continue" gets the 413 before
			 * it sends a byte of the body.
			 */
			if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_EXPECT)) {
				answer_fail(&a, HGS_R_REQUEST_TOO_LARGE, NULL);
				return send_answer(conn, &a);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (c->too_large) {
			/*
			 * Discard (so the client can read our 413), but not for
			 * ever: past DISCARD_FACTOR x the cap, drop the connection.
			 */
			c->discarded += n;
			return c->discarded > DISCARD_FACTOR * c->limit ?
				MHD_NO : MHD_YES;
		}
		if (c->len + n > c->limit) {
			c->too_large = 1;
			free(c->buf);
			c->buf = NULL;
			c->len = c->cap = 0;
			return MHD_YES;
		}
		if (c->len + n > c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			char *nb;

			while (cap < c->len + n)
				cap *= 2;
			nb = realloc(c->buf, cap);
			if (!nb)
				return MHD_NO;
			c->buf = nb;
			c->cap = cap;
		}
		memcpy(c->buf + c->len, upload_data, n);
		c->len += n;
		return MHD_YES;
	}
	if (c->too_large) {
		answer_fail(&a, HGS_R_REQUEST_TOO_LARGE, NULL);
		return send_answer(conn, &a);
	}
	rq.method = method;
	rq.url = url;
	rq.admin = l->admin;
	if (!strcmp(method, "POST")) {
		json_error_t err;

		rq.body = json_loadb(c->buf ? c->buf : "", c->len,
				     JSON_REJECT_DUPLICATES, &err);
		if (!rq.body || !json_is_object(rq.body)) {
			if (rq.body)
				snprintf(detail, sizeof(detail), "the body must be a JSON object");
			else
				snprintf(detail, sizeof(detail),
					 "malformed JSON at line %d column %d", err.line, err.column);
			json_decref(rq.body);
			answer_fail(&a, HGS_R_INVALID_REQUEST, detail);
			if (h->cfg.log_requests)
				log_info("request", "method=%s path=%s result=InvalidRequest",
					 method, log_safe(url, sbuf, sizeof(sbuf)));
			return send_answer(conn, &a);
		}
	}
	route_request(h, conn, &rq, &a);
	json_decref(rq.body);
	if (h->cfg.log_requests && a.reason != HGS_PASSED)
		log_info("request", "method=%s path=%s result=%s", method,
			 log_safe(url, sbuf, sizeof(sbuf)), vms_hgs_reason_name(a.reason));
	ret = send_answer(conn, &a);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (c) {
		free(c->buf);
		free(c);
	}
	*con_cls = NULL;
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
	for (n = 0; msg[n]; n++)
		safe[n] = msg[n] == '"' ? '\'' : (msg[n] < 0x20 ? ' ' : msg[n]);
	safe[n] = 0;
	log_warn("http", "msg=\"%s\"", safe);
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

int http_start(struct hgsd *h)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *di;
	unsigned int port;
	int r;

	if (inet_pton(AF_INET, h->cfg.listen_address, &sin.sin_addr) != 1) {
		log_err("http", "listen_address=%s msg=\"not an IPv4 address\"", h->cfg.listen_address);
		return -EINVAL;
	}
	sin.sin_port = htons((uint16_t)h->cfg.port);
	public_l.h = h;
	public_l.admin = 0;
	public_d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
		MHD_USE_EPOLL,
		(uint16_t)h->cfg.port, NULL, NULL, on_request, &public_l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)h->cfg.threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)h->cfg.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)h->cfg.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)h->cfg.connection_timeout_s,
		MHD_OPTION_HTTPS_MEM_KEY, h->tls_key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES, HGSD_TLS_PRIORITIES,
		/*
		 * with a trust list, libmicrohttpd asks clients for a certificate
		 * (optional: hosts and tenants need none)
		 */
		h->admin_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_ARRAY,
		h->admin_ca_pem ? (void *)h->admin_ca_pem : (void *)empty_options,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
		MHD_OPTION_END);
	if (!public_d) {
		log_err("http", "address=%s port=%u msg=\"cannot start the HTTPS listener\"",
			h->cfg.listen_address, h->cfg.port);
		return -EADDRINUSE;
	}
	di = MHD_get_daemon_info(public_d, MHD_DAEMON_INFO_BIND_PORT);
	port = di ? di->port : h->cfg.port;

	admin_fd = open_admin_socket(h->cfg.admin_socket);
	if (admin_fd < 0) {
		log_err("http", "admin_socket=%s error=\"%s\"", h->cfg.admin_socket,
			strerror(-admin_fd));
		http_stop(h);
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
		MHD_OPTION_END);
	if (!admin_d) {
		log_err("http", "admin_socket=%s msg=\"cannot start the admin listener\"",
			h->cfg.admin_socket);
		http_stop(h);
		return -EIO;
	}
	r = write_port_file(h, port);
	if (r)
		log_warn("http", "port_file=%s error=\"%s\"", h->cfg.port_file, strerror(-r));
	log_info("listening", "address=%s port=%u threads=%u admin_socket=%s",
		 h->cfg.listen_address, port, h->cfg.threads, h->cfg.admin_socket);
	return 0;
}

void http_stop(struct hgsd *h)
{
	if (public_d)
		MHD_stop_daemon(public_d);
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
