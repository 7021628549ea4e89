// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - `hgs-agent status`: the daemon builds one JSON object
 * (attestation state, certificate, per-URL reachability, loaded keys,
 * its counters) and the command prints it, as JSON or for a person. If
 * the daemon is not running, the command says so and how to start it
 * (exit 3; with --json as a JSON object). The same counters go to
 * hgs-agent.prom, Prometheus text for node_exporter's textfile collector.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "vms_cleanup_json.h"
#include "vms_exit.h"
#include "vms_fileio.h"

/* Socket requests by op (release, status, attest, confirm, migrate-in, migrated) and result. */
static const char *const op_names[] = {
	[AGENT_OP_RELEASE] = "release", [AGENT_OP_STATUS] = "status",
	[AGENT_OP_ATTEST] = "attest", [AGENT_OP_CONFIRM] = "confirm",
	[AGENT_OP_MIGRATE_IN] = "migrate-in", [AGENT_OP_MIGRATED] = "migrated",
};

#define N_OPS	ARRAY_SIZE(op_names)

static unsigned long op_count[N_OPS][2];	/* [op][passed] */

/* Release latency buckets (seconds): a cached certificate to a slow HGS. */
static const double bounds[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

#define N_BOUNDS	ARRAY_SIZE(bounds)

static unsigned long release_buckets[N_BOUNDS + 1];
static unsigned long long release_sum_us;

void status_count_request(enum agent_op op, int passed, double seconds)
{
	size_t i;

	if ((size_t)op >= N_OPS || !op_names[op])
		return;
	__atomic_fetch_add(&op_count[op][!!passed], 1, __ATOMIC_RELAXED);
	if (op != AGENT_OP_RELEASE)
		return;
	for (i = 0; i < N_BOUNDS && seconds > bounds[i]; i++)
		;
	__atomic_fetch_add(&release_buckets[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&release_sum_us, (unsigned long long)(seconds * 1e6),
			   __ATOMIC_RELAXED);
}

/* The counters as JSON (status --json's "counters"). */
static json_t *counters_json(void)
{
	json_t *o = json_object(), *req = json_object(), *b = json_array();
	unsigned long cum = 0;
	size_t i;

	if (!o || !req || !b) {
		json_decref(o);
		json_decref(req);
		json_decref(b);
		return NULL;
	}
	for (i = 0; i < N_OPS; i++)
		if (op_names[i])
			json_object_set_new(req, op_names[i], json_pack("{s:I, s:I}",
				"passed", (json_int_t)__atomic_load_n(&op_count[i][1], __ATOMIC_RELAXED),
				"failed", (json_int_t)__atomic_load_n(&op_count[i][0], __ATOMIC_RELAXED)));
	for (i = 0; i <= N_BOUNDS; i++) {
		cum += __atomic_load_n(&release_buckets[i], __ATOMIC_RELAXED);
		json_array_append_new(b, json_pack("{s:f, s:I}", "le",
						   i < N_BOUNDS ? bounds[i] : -1.0,
						   "count", (json_int_t)cum));
	}
	json_object_set_new(o, "requests", req);
	json_object_set_new(o, "release_seconds", json_pack("{s:I, s:f, s:o}",
		"count", (json_int_t)cum,
		"sum", (double)__atomic_load_n(&release_sum_us, __ATOMIC_RELAXED) / 1e6,
		"buckets", b));
	return o;
}

json_t *status_build(struct agent *a)
{
	unsigned int clients;
	json_t *o;

	pthread_mutex_lock(&a->clients_lock);
	clients = a->n_clients;
	pthread_mutex_unlock(&a->clients_lock);
	o = json_pack("{s:s, s:{s:s, s:i, s:I, s:s, s:s, s:s, s:i}}",
			      "status", "Passed", "agent",
			      "host_name", a->cfg.host_name, "pid", (int)getpid(),
			      "uptime_s", (json_int_t)(time(NULL) - a->started),
			      "attestation_mode", agent_mode_name(a->cfg.attestation_mode),
			      "host_key_sha256", a->host_key_fpr,
			      "socket", a->cfg.socket_path,
			      "clients", (int)clients);

	if (!o)
		return NULL;
	json_object_set_new(o, "attestation", attest_status(a));
	json_object_set_new(o, "hgs", hgs_link_status(a));
	json_object_set_new(o, "keys", release_status(a));
	json_object_set_new(o, "counters", counters_json());
	json_object_set_new(o, "revocation", revocation_status());
	return o;
}

static const char *when(json_int_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0)
		return "never";
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_human(json_t *st)
{
	json_t *ag = json_object_get(st, "agent");
	json_t *att = json_object_get(st, "attestation");
	json_t *cert = json_object_get(att, "certificate");
	json_t *err = json_object_get(att, "last_error");
	json_t *mod = json_object_get(att, "module");
	json_t *keys = json_object_get(json_object_get(st, "keys"), "loaded_keys");
	json_t *u;
	char t1[32], t2[32];
	size_t i;

	printf("hgs-agent: host %s, pid %lld, up %lld s\n", jstr(ag, "host_name"),
	       (long long)jint(ag, "pid"), (long long)jint(ag, "uptime_s"));
	printf("attestation:  %s (%s mode)\n", jstr(att, "state"), jstr(ag, "attestation_mode"));
	if (json_is_object(cert)) {
		json_int_t left = jint(cert, "seconds_left");

		printf("certificate:  CN=%s, %s, %s mode\n", jstr(cert, "subject_cn"),
		       jstr(cert, "isolation_level"), jstr(cert, "attestation_mode"));
		printf("              expires %s (%s%lldh%02lldm), renews at %s\n",
		       when(jint(cert, "not_after"), t1, sizeof(t1)),
		       left < 0 ? "-" : "in ", (long long)(llabs(left) / 3600),
		       (long long)(llabs(left) % 3600 / 60),
		       when(jint(cert, "renew_at"), t2, sizeof(t2)));
	} else {
		printf("certificate:  none\n");
	}
	printf("last attempt: %s, %s (%lld attempts, %lld failed)\n",
	       when(jint(att, "last_attempt"), t1, sizeof(t1)),
	       json_is_true(json_object_get(att, "last_ok")) ? "ok" : "failed",
	       (long long)jint(att, "attempts"), (long long)jint(att, "failures"));
	if (json_is_object(err))
		printf("              %s %s: %s\n", jstr(err, "source"),
		       jstr(err, "substatus"), jstr(err, "message"));
	if (json_object_get(mod, "error"))
		printf("module:       %s\n", jstr(mod, "error"));
	else
		printf("module:       %s\n", jstr(mod, "isolation_level"));
	printf("HGS:\n");
	json_array_foreach(json_object_get(st, "hgs"), i, u) {
		printf("  %-8s %s  %s%s (last ok %s", jstr(u, "role"), jstr(u, "url"),
		       jstr(u, "state"), json_is_true(json_object_get(u, "preferred")) ?
		       ", preferred" : "", when(jint(u, "last_success"), t1, sizeof(t1)));
		if (jint(u, "last_failure"))
			printf(", last failure %s: %s",
			       when(jint(u, "last_failure"), t2, sizeof(t2)),
			       jstr(u, "last_error"));
		printf(")\n");
	}
	{
		json_t *rv = json_object_get(st, "revocation");
		json_t *kr = json_object_get(rv, "keys_revoked");

		printf("revocation:   %lld polls, host revoked %lld times, keys revoked: %lld guardian disabled, %lld superseded\n",
		       (long long)jint(rv, "polls"), (long long)jint(rv, "host_revoked"),
		       (long long)jint(kr, "KeyProtectorGuardianDisabled"),
		       (long long)jint(kr, "KeyProtectorSuperseded"));
	}
	printf("loaded keys:  %zu\n", json_array_size(keys));
	json_array_foreach(keys, i, u)
		printf("  serial %lld  vm %s  %s  uid %lld  expires %s\n",
		       (long long)jint(u, "serial"), jstr(u, "vm_id"),
		       jstr(u, "policy"), (long long)jint(u, "uid"),
		       when(jint(u, "expires"), t1, sizeof(t1)));
}

int status_json_error(int code, const char *msg)
{
	_cleanup_json_ json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "status", "Failed",
					     "command", "status", "exit", code, "error", msg);
	_cleanup_free_ char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	fprintf(stderr, "%s\n", s ? s : msg);
	return code;
}

int status_command(const struct agent_config *c, const char *conf, int json)
{
	char *text = NULL, msg[512];
	json_t *st;
	int r = vms_agent_status(c->socket_path, &text);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		snprintf(msg, sizeof(msg), "hgs-agent is not running (no daemon at %s).\n"
			 "Start it with 'systemctl start hgs-agent', or in the foreground with 'hgs-agent -c %s'.",
			 c->socket_path, conf);
		if (json)
			return status_json_error(VMS_EXIT_UNREACHABLE, msg);
		fprintf(stderr, "%s\n", msg);
		return VMS_EXIT_UNREACHABLE;
	}
	if (r) {
		snprintf(msg, sizeof(msg), "hgs-agent status: %s: %s%s", c->socket_path,
			 strerror(-r), r == -EACCES || r == -ECONNRESET ?
			 " (run as root or as a member of socket_group)" : "");
		if (json)
			return status_json_error(VMS_EXIT_UNREACHABLE, msg);
		fprintf(stderr, "%s\n", msg);
		return VMS_EXIT_UNREACHABLE;
	}
	st = json_loads(text, 0, NULL);
	if (!json_is_object(st) || strcmp(jstr(st, "status"), "Passed")) {
		snprintf(msg, sizeof(msg), "hgs-agent status: %s",
			 json_is_object(st) ? jstr(st, "message") : "bad answer");
		json_decref(st);
		free(text);
		if (json)
			return status_json_error(VMS_EXIT_FAILED, msg);
		fprintf(stderr, "%s\n", msg);
		return VMS_EXIT_FAILED;
	}
	if (json)
		printf("%s\n", text);
	else
		print_human(st);
	json_decref(st);
	free(text);
	return VMS_EXIT_OK;
}

/* ---- hgs-agent.prom ---- */

/* hgs-agent.prom in the socket's directory into @buf. */
static void metrics_path(const struct agent *a, char *buf, size_t len)
{
	const char *slash = strrchr(a->cfg.socket_path, '/');

	snprintf(buf, len, "%.*s/hgs-agent.prom",
		 slash ? (int)(slash - a->cfg.socket_path) : 1,
		 slash ? a->cfg.socket_path : ".");
}

/* The status poll's revocations (revocation.c), by reason. */
static void put_revocation_metrics(FILE *f)
{
	_cleanup_json_ json_t *rv = revocation_status();
	const char *why;
	json_t *n;

	fprintf(f, "# HELP hgs_agent_host_revocations_total Times HGS said this host was revoked (every key revoked).\n"
		"# TYPE hgs_agent_host_revocations_total counter\n"
		"hgs_agent_host_revocations_total %lld\n"
		"# HELP hgs_agent_keys_revoked_total Keys revoked because HGS would no longer release them, by reason.\n"
		"# TYPE hgs_agent_keys_revoked_total counter\n",
		(long long)json_integer_value(json_object_get(rv, "host_revoked")));
	json_object_foreach(json_object_get(rv, "keys_revoked"), why, n)
		fprintf(f, "hgs_agent_keys_revoked_total{reason=\"%s\"} %lld\n", why,
			(long long)json_integer_value(n));
}

static void put_metrics(FILE *f, struct agent *a)
{
	unsigned long cum = 0, attempts, failures;
	time_t not_after;
	size_t i, keys;

	fprintf(f, "# HELP hgs_agent_requests_total Socket requests answered, by op and result.\n"
		"# TYPE hgs_agent_requests_total counter\n");
	for (i = 0; i < N_OPS; i++)
		if (op_names[i])
			fprintf(f, "hgs_agent_requests_total{op=\"%s\",result=\"Passed\"} %lu\n"
				"hgs_agent_requests_total{op=\"%s\",result=\"Failed\"} %lu\n",
				op_names[i], __atomic_load_n(&op_count[i][1], __ATOMIC_RELAXED),
				op_names[i], __atomic_load_n(&op_count[i][0], __ATOMIC_RELAXED));
	fprintf(f, "# HELP hgs_agent_release_duration_seconds Time to answer a key release request.\n"
		"# TYPE hgs_agent_release_duration_seconds histogram\n");
	for (i = 0; i <= N_BOUNDS; i++) {
		cum += __atomic_load_n(&release_buckets[i], __ATOMIC_RELAXED);
		if (i < N_BOUNDS)
			fprintf(f, "hgs_agent_release_duration_seconds_bucket{le=\"%g\"} %lu\n",
				bounds[i], cum);
		else
			fprintf(f, "hgs_agent_release_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	}
	fprintf(f, "hgs_agent_release_duration_seconds_sum %.6f\n"
		"hgs_agent_release_duration_seconds_count %lu\n",
		(double)__atomic_load_n(&release_sum_us, __ATOMIC_RELAXED) / 1e6, cum);
	pthread_mutex_lock(&a->att.lock);
	attempts = a->att.attempts;
	failures = a->att.failures;
	not_after = a->att.cert_b64 ? a->att.info.not_after : 0;
	pthread_mutex_unlock(&a->att.lock);
	pthread_mutex_lock(&a->keys_lock);
	keys = a->n_keys;
	pthread_mutex_unlock(&a->keys_lock);
	fprintf(f, "# HELP hgs_agent_attestations_total Attestations to HGS, by result.\n"
		"# TYPE hgs_agent_attestations_total counter\n"
		"hgs_agent_attestations_total{result=\"Passed\"} %lu\n"
		"hgs_agent_attestations_total{result=\"Failed\"} %lu\n"
		"# HELP hgs_agent_certificate_expiry_seconds When the health certificate expires (Unix time; 0: none).\n"
		"# TYPE hgs_agent_certificate_expiry_seconds gauge\n"
		"hgs_agent_certificate_expiry_seconds %lld\n"
		"# HELP hgs_agent_loaded_keys VM keys loaded into the module.\n"
		"# TYPE hgs_agent_loaded_keys gauge\n"
		"hgs_agent_loaded_keys %zu\n"
		"# HELP hgs_agent_start_time_seconds When the agent started (Unix time).\n"
		"# TYPE hgs_agent_start_time_seconds gauge\n"
		"hgs_agent_start_time_seconds %lld\n",
		attempts - failures, failures, (long long)not_after, keys,
		(long long)a->started);
	put_revocation_metrics(f);
}

void metrics_file_write(struct agent *a)
{
	_cleanup_free_ char *text = NULL;
	char path[AGENT_SOCKET_PATH_MAX + 32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return;
	put_metrics(f, a);
	if (fclose(f) || !text)
		return;
	metrics_path(a, path, sizeof(path));
	/* counts and times only: no VM id, key or host name */
	r = vms_write_file_atomic(path, text, len, 0644, 0);
	if (r) {
		static int said;

		if (!said++)
			log_errno(r, "metrics", "step=\"writing the metrics file\" path=%s", path);
	}
}

void metrics_file_remove(struct agent *a)
{
	char path[AGENT_SOCKET_PATH_MAX + 32];

	metrics_path(a, path, sizeof(path));
	unlink(path);
}
