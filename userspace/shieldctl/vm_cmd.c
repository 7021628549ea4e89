// SPDX-License-Identifier: GPL-2.0
/*
 * vm_cmd.c - `shieldctl vm status VM_ID`: HGS's view of one shielded VM's
 * transport key (issue 20): the version HGS holds, a roll waiting for the
 * host's confirmation, the host and time of the last release, the highest
 * vTPM generation HGS holds (issue 21), its newest live migration (from,
 * to, version, state). Read only:
 * an HGS admin or reviewer, over hgsd's admin socket or over HTTPS with
 * an admin client certificate (GET /v1/admin/vms/status/VM_ID).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shieldctl.h"
#include "vms_cleanup_json.h"
#include "vms_hex.h"
#include "vms_hgs_client.h"

#define DEFAULT_SOCKET "/var/lib/hgsd/admin.sock"

enum { O_SOCKET, O_URL, O_CA, O_CERT, O_TLSKEY, O_JSON, O_HELP, N_OPTS };

static void vm_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl vm [--socket PATH | --url URL --ca TLS.pem --cert C --tls-key K]\n"
		"                    [--json] status VM_ID\n\n"
		"HGS's view of a shielded VM's transport key: the version HGS holds\n"
		"(each start rolls it), a rolled version the host has not confirmed\n"
		"yet, the host and time of the last release, the newest live migration\n"
		"(pending, confirmed, completed or replaced), the highest vTPM\n"
		"generation HGS holds for a VM whose vTPM is in the enclave (or none).\n"
		"An HGS admin or reviewer,\n"
		"over hgsd's admin socket (default %s, or\n"
		"$HGSD_ADMIN_SOCKET) or over HTTPS with an admin client certificate.\n",
		DEFAULT_SOCKET);
}

static const char *when(json_t *o, const char *key, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(json_object_get(o, key));
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "never");
	return buf;
}

/* The VM's newest live migration (migration.md §2), or "none". */
static void print_migration(json_t *m)
{
	char t[40];

	if (!json_is_object(m)) {
		printf("migration: none\n");
		return;
	}
	printf("migration: %s, from %s to %s, version %lld, started %s\n",
	       json_string_value(json_object_get(m, "state")),
	       json_string_value(json_object_get(m, "from_host")),
	       json_string_value(json_object_get(m, "to_host")),
	       (long long)json_integer_value(json_object_get(m, "version")),
	       when(m, "started_at", t, sizeof(t)));
}

static void print_status(json_t *vm)
{
	char t1[40], t2[40];
	long long pending = json_integer_value(json_object_get(vm, "pending_version"));
	json_t *vtpm;

	printf("vm_id: %s\n", json_string_value(json_object_get(vm, "vm_id")));
	if (!json_is_string(json_object_get(vm, "key_id"))) {
		/* never rolled: HGS holds only its vTPM generation (issue 21) */
		printf("tk_version: 0 (the owner's key protector: HGS keeps no key record)\n");
		printf("vtpm_generation: %lld\n",
		       (long long)json_integer_value(json_object_get(vm, "vtpm_generation")));
		printf("vtpm_statement_from: %s\n",
		       json_string_value(json_object_get(vm, "host")));
		print_migration(json_object_get(vm, "migration"));
		return;
	}
	printf("tk_version: %lld (key id %s)\n",
	       (long long)json_integer_value(json_object_get(vm, "version")),
	       json_string_value(json_object_get(vm, "key_id")));
	if (pending)
		printf("pending: version %lld (key id %s), released to %s, not confirmed yet\n",
		       pending, json_string_value(json_object_get(vm, "pending_key_id")),
		       json_string_value(json_object_get(vm, "host")));
	else
		printf("pending: none\n");
	printf("last_release: %s to %s\n", when(vm, "released_at", t1, sizeof(t1)),
	       json_string_value(json_object_get(vm, "host")));
	printf("last_confirmation: %s\n", when(vm, "confirmed_at", t2, sizeof(t2)));
	printf("releases: %lld, rolls: %lld (confirmed %lld)\n",
	       (long long)json_integer_value(json_object_get(vm, "releases")),
	       (long long)json_integer_value(json_object_get(vm, "rolls")),
	       (long long)json_integer_value(json_object_get(vm, "confirmed_rolls")));
	vtpm = json_object_get(vm, "vtpm_generation");
	if (json_is_integer(vtpm))
		printf("vtpm_generation: %lld\n", (long long)json_integer_value(vtpm));
	else
		printf("vtpm_generation: none\n");
	print_migration(json_object_get(vm, "migration"));
}

static int open_client(const char *what, const char *const *v, struct vms_hgs_client **cl)
{
	const char *sock = v[O_SOCKET] ? v[O_SOCKET] : getenv("HGSD_ADMIN_SOCKET");
	int r;

	if (!v[O_URL]) {
		r = vms_hgs_client_open(cl, NULL, NULL, sock ? sock : DEFAULT_SOCKET);
		return r ? shieldctl_fail(what, "cannot set up a client for %s: %s",
					  sock ? sock : DEFAULT_SOCKET, strerror(-r)) : 0;
	}
	r = vms_hgs_client_open(cl, v[O_URL], v[O_CA], NULL);
	if (r)
		return shieldctl_fail(what, "cannot set up a client for %s: %s", v[O_URL],
				      strerror(-r));
	if (!v[O_CERT])
		return 0;
	r = vms_hgs_client_use_cert(*cl, v[O_CERT], v[O_TLSKEY] ? v[O_TLSKEY] : v[O_CERT]);
	return r ? shieldctl_fail(what, "cannot use --cert %s: %s", v[O_CERT], strerror(-r)) : 0;
}

static int vm_status(const char *const *v, const char *vm)
{
	_cleanup_(vms_hgs_client_closep) struct vms_hgs_client *cl = NULL;
	_cleanup_(vms_json_decrefp) json_t *ans = NULL;
	const char *what = "vm status", *detail;
	uint8_t id[16];
	char path[96];
	long http = 0;
	int r;

	if (strlen(vm) != 36 || vms_uuid_parse(vm, id))
		return shieldctl_fail(what, "'%s' is not a VM id (a UUID such as 6f1c2a5e-930d-4b71-8a42-0c5de177309b)",
				      vm);
	if (open_client(what, v, &cl))
		return 1;
	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", vm);
	r = vms_hgs_call(cl, path, NULL, &http, &ans);
	if (r)
		return shieldctl_fail(what, "cannot reach hgsd: %s (is it running? are you an HGS admin or reviewer?)",
				      vms_hgs_client_error(cl));
	if (http != 200) {
		detail = json_string_value(json_object_get(ans, "detail"));
		return shieldctl_fail(what, "%s: %s%s%s", vms_hgs_substatus(ans),
				      json_string_value(json_object_get(ans, "message")),
				      detail ? " - " : "", detail ? detail : "");
	}
	if (v[O_JSON]) {
		char *s = json_dumps(ans, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s ? s : "null");
		free(s);
	} else {
		print_status(json_object_get(ans, "vm"));
	}
	return 0;
}

int shieldctl_vm_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[N_OPTS + 1] = {
		[O_SOCKET] = { "socket", 1, 0 }, [O_URL] = { "url", 1, 0 },
		[O_CA] = { "ca", 1, 0 }, [O_CERT] = { "cert", 1, 0 },
		[O_TLSKEY] = { "tls-key", 1, 0 }, [O_JSON] = { "json", 0, 0 },
		[O_HELP] = { "help", 0, 0 }, [N_OPTS] = { NULL, 0, 0 },
	};
	const char *v[N_OPTS + 1], *pos[2] = { 0 };
	int i, np = 0;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--", 2))
			np++;
		else if (strcmp(argv[i], "--json") && strcmp(argv[i], "--help"))
			i++;
	if (np > 2)
		return shieldctl_fail("vm", "too many arguments; see 'shieldctl vm --help'");
	if (shieldctl_opts("vm", argc - 1, argv + 1, opts, v, pos, np))
		return 1;
	if (v[O_HELP]) {
		vm_usage(stdout);
		return 0;
	}
	if (np != 2 || strcmp(pos[0], "status")) {
		vm_usage(stderr);
		return 1;
	}
	return vm_status(v, pos[1]);
}
