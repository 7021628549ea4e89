// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - `hgs-agent status`: the daemon builds one JSON object
 * (attestation state, certificate, per-URL reachability, loaded keys) and
 * the command prints it, as JSON or for a person. If the daemon is not
 * running, the command says so and how to start it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

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
		printf("  %-8s %s  %s (last ok %s", jstr(u, "role"), jstr(u, "url"),
		       jstr(u, "state"), when(jint(u, "last_success"), t1, sizeof(t1)));
		if (jint(u, "last_failure"))
			printf(", last failure %s: %s",
			       when(jint(u, "last_failure"), t2, sizeof(t2)),
			       jstr(u, "last_error"));
		printf(")\n");
	}
	printf("loaded keys:  %zu\n", json_array_size(keys));
	json_array_foreach(keys, i, u)
		printf("  serial %lld  vm %s  %s  uid %lld  expires %s\n",
		       (long long)jint(u, "serial"), jstr(u, "vm_id"),
		       jstr(u, "policy"), (long long)jint(u, "uid"),
		       when(jint(u, "expires"), t1, sizeof(t1)));
}

int status_command(const struct agent_config *c, const char *conf, int json)
{
	char *text = NULL;
	json_t *st;
	int r = vms_agent_status(c->socket_path, &text);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "hgs-agent is not running (no daemon at %s).\n"
			"Start it with 'systemctl start hgs-agent', or in the foreground with 'hgs-agent -c %s'.\n",
			c->socket_path, conf);
		return 3;
	}
	if (r) {
		fprintf(stderr, "hgs-agent status: %s: %s%s\n", c->socket_path,
			strerror(-r), r == -EACCES || r == -ECONNRESET ?
			" (run as root or as a member of socket_group)" : "");
		return 1;
	}
	st = json_loads(text, 0, NULL);
	if (!json_is_object(st) || strcmp(jstr(st, "status"), "Passed")) {
		fprintf(stderr, "hgs-agent status: %s\n",
			json_is_object(st) ? jstr(st, "message") : "bad answer");
		json_decref(st);
		free(text);
		return 1;
	}
	if (json)
		printf("%s\n", text);
	else
		print_human(st);
	json_decref(st);
	free(text);
	return 0;
}
