// SPDX-License-Identifier: GPL-2.0
/*
 * conn_guard.c - slow clients (issue 17 item 2).
 *
 * libmicrohttpd's connection_timeout_s is an idle timeout: a client
 * sending one header byte every few seconds is never idle for long, so
 * 512 of them from three addresses held every slot for ever. Here every
 * public connection is tracked from accept to close, in accept order:
 *
 *   header deadline: from accept (and after each answer, for the next
 *     request on a keep-alive connection), the request's headers must be
 *     in within header_timeout_s, TLS handshake included;
 *   body deadline: from the headers, the body must be in within
 *     body_timeout_s;
 *   admission: libmicrohttpd accepts up to max_connections + HEADROOM;
 *     past max_connections, the oldest connection still in its header
 *     phase is closed to make room (the new one if none is). A real host
 *     sends its headers in milliseconds, so it is never the one closed;
 *     clients that trickle are, oldest first.
 *
 * A reaper thread checks the deadlines every REAP_MS. A connection is
 * closed with shutdown(2) on its socket, under the table's lock, which
 * also covers its removal at MHD_CONNECTION_NOTIFY_CLOSED (before
 * libmicrohttpd closes the descriptor): libmicrohttpd then sees the end
 * of the stream and cleans up as for any client that left.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn_guard.h"
#include "hgsd.h"
#include "log.h"

#define HEADROOM	64
#define REAP_MS		250

enum phase { PHASE_HEADERS, PHASE_BODY };

struct tracked {
	int fd;
	enum phase phase;
	uint64_t since_ns;
	int closing, linked;
	struct tracked *prev, *next;	/* accept order: head is the oldest */
};

static struct {
	pthread_mutex_t lock;
	struct tracked *head, *tail;
	unsigned int count, budget;
	uint64_t header_ns, body_ns;
	unsigned long timed_out, evicted;
	pthread_t reaper;
	int running, stop;
	pthread_cond_t cond;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned int conn_guard_mhd_limit(const struct hgsd *h)
{
	return h->cfg.max_connections + HEADROOM;
}

/* Under the lock: end @t's connection (once). */
static void close_tracked(struct tracked *t)
{
	if (t->closing)
		return;
	t->closing = 1;
	shutdown(t->fd, SHUT_RDWR);
}

static void unlink_tracked(struct tracked *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		g.head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		g.tail = t->prev;
	g.count--;
}

/* Under the lock: past the budget, close the oldest still sending headers. */
static void admit(struct tracked *newest)
{
	struct tracked *t;
	unsigned int live = 0;

	for (t = g.head; t; t = t->next)
		live += !t->closing;
	if (live <= g.budget)
		return;
	for (t = g.head; t; t = t->next)
		if (!t->closing && t->phase == PHASE_HEADERS && t != newest)
			break;
	close_tracked(t ? t : newest);
	g.evicted++;
}

void conn_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct tracked *t;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		t = calloc(1, sizeof(*t));
		*socket_context = t;
		if (!t || !ci)
			return;	/* untracked: only the idle timeout applies */
		t->fd = ci->connect_fd;
		t->since_ns = now_ns();
		t->linked = 1;
		pthread_mutex_lock(&g.lock);
		t->prev = g.tail;
		if (g.tail)
			g.tail->next = t;
		else
			g.head = t;
		g.tail = t;
		g.count++;
		admit(t);
		pthread_mutex_unlock(&g.lock);
		return;
	}
	t = *socket_context;
	if (!t)
		return;
	pthread_mutex_lock(&g.lock);
	if (t->linked)
		unlink_tracked(t);
	pthread_mutex_unlock(&g.lock);
	free(t);
	*socket_context = NULL;
}

static void set_phase(struct MHD_Connection *conn, enum phase p)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct tracked *t = ci ? ci->socket_context : NULL;

	if (!t)
		return;
	pthread_mutex_lock(&g.lock);
	t->phase = p;
	t->since_ns = now_ns();
	pthread_mutex_unlock(&g.lock);
}

void conn_guard_headers_done(struct MHD_Connection *conn)
{
	set_phase(conn, PHASE_BODY);
}

void conn_guard_request_done(struct MHD_Connection *conn)
{
	set_phase(conn, PHASE_HEADERS);
}

static void reap(uint64_t now)
{
	struct tracked *t;

	pthread_mutex_lock(&g.lock);
	for (t = g.head; t; t = t->next) {
		uint64_t limit = t->phase == PHASE_HEADERS ? g.header_ns : g.body_ns;

		if (!t->closing && now - t->since_ns > limit) {
			close_tracked(t);
			g.timed_out++;
		}
	}
	pthread_mutex_unlock(&g.lock);
}

static void *reaper(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&g.lock);
	while (!g.stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g.cond, &g.lock, &ts);
		if (g.stop)
			break;
		pthread_mutex_unlock(&g.lock);
		reap(now_ns());
		pthread_mutex_lock(&g.lock);
	}
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

int conn_guard_start(struct hgsd *h)
{
	int r;

	g.budget = h->cfg.max_connections;
	g.header_ns = (uint64_t)h->cfg.header_timeout_s * 1000000000ull;
	g.body_ns = (uint64_t)h->cfg.body_timeout_s * 1000000000ull;
	g.stop = 0;
	r = pthread_create(&g.reaper, NULL, reaper, NULL);
	if (r)
		return -r;
	g.running = 1;
	return 0;
}

void conn_guard_stop(void)
{
	if (!g.running)
		return;
	pthread_mutex_lock(&g.lock);
	g.stop = 1;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	pthread_join(g.reaper, NULL);
	g.running = 0;
}

void conn_guard_counts(unsigned long *timed_out, unsigned long *evicted)
{
	pthread_mutex_lock(&g.lock);
	*timed_out = g.timed_out;
	*evicted = g.evicted;
	pthread_mutex_unlock(&g.lock);
}
