// SPDX-License-Identifier: GPL-2.0
/*
 * hgsd_store_bench.c - KPS key releases per second through real hgsd
 * nodes, by store backend, in one run (issue 18):
 *   1. one node on SQLite, hgsd pinned to core 0 (1 thread): the baseline;
 *   2. one node on PostgreSQL (a private one, tests/pg_fixture.c, on the
 *      same machine), hgsd pinned to core 0: ratio to 1 (target >= 0.7);
 *   3. three PostgreSQL nodes against one, none pinned: on a 2-core
 *      machine this is per-core efficiency, not scaling.
 * Each release is one durable event (one short transaction). Clients on
 * 127.0.0.1, keep-alive, spread over the nodes; every phase bounded in
 * time (HGSD_STORE_BENCH_SECONDS, 3 s). Prints figures, asserts nothing
 * about time; a failed release fails the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <linux/vmshield.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hgsd_run.h"
#include "keyrelease.h"
#include "pg_fixture.h"
#include "vms_b64.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define VM "6f1c2a5e-930d-4b71-8a42-0c5de177309b"
#define MAX_NODES 3
#define CLIENTS 4

static const char *bin;
static char top[64];
static struct t_pg pg = { .watchdog = -1 };
static struct vms_guardian owner;
static unsigned int n_db;

/* Node 0 of a phase: hgsd --init (on a new database when @on_pg). */
static void init_node(struct bench_hgsd *n, int on_pg)
{
	char d[128], store[1024] = "", conninfo[900], db[32];

	snprintf(d, sizeof(d), "%s/n%u", top, ++n_db);
	if (on_pg) {
		snprintf(db, sizeof(db), "bench_%u", n_db);
		if (t_pg_createdb(&pg, db, conninfo, sizeof(conninfo)))
			bench_die("createdb");
		snprintf(store, sizeof(store), "'postgresql:%s'", conninfo);
	}
	bench_hgsd_init(n, bin, d, on_pg ? store : NULL);
	bench_hgsd_conf(n, "threads = 1\nlog_requests = 0\nchallenge_rate_per_source = 0\n");
}

/* Node @n: a copy of @first's state directory, its own port and socket. */
static void clone_node(struct bench_hgsd *n, const struct bench_hgsd *first, int i)
{
	char cmd[2048], d[128];

	/*
	 * The paths through a local copy: n and first are in one array, and
	 * gcc -O1 (the sanitized build) cannot tell their fields apart
	 * (-Werror=restrict)
	 */
	snprintf(d, sizeof(d), "%.100s-%d", first->dir, i);
	memset(n, 0, sizeof(*n));
	snprintf(n->dir, sizeof(n->dir), "%s", d);
	snprintf(n->ca, sizeof(n->ca), "%s/tls.pem", d);
	snprintf(n->sock, sizeof(n->sock), "%s/admin.sock", d);
	snprintf(cmd, sizeof(cmd), "cp -a %s %s", first->dir, n->dir);
	if (system(cmd))
		bench_die("copying a node");
	bench_hgsd_conf(n, "state_dir = %s\nport_file = %s/hgsd.port\nadmin_socket = %s\n"
			"master_key_file = %s/keys/master.key\n", n->dir, n->dir, n->sock, n->dir);
}

static struct vms_hgs_client *client_of(const struct bench_hgsd *n)
{
	struct vms_hgs_client *c;

	if (vms_hgs_client_open(&c, n->url, n->ca, NULL))
		bench_die("client");
	return c;
}

/* What every release sends: a health certificate and a KP. */
static char *cert_b64, *kp_b64;

/* Register a host at node 0, attest at every node (they know it), make the KP. */
static void provision(struct bench_hgsd *nodes, int n_nodes)
{
	EVP_PKEY *key = vms_pkey_gen_ed25519();
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], *pem = NULL, hex[65];
	struct vms_hgs_client *adm;
	struct vms_guardian hgs_g;
	uint8_t esk[32], epk[32], digest[32], vm_id[16], key_id[16], tk[32], *der;
	size_t len;
	json_t *md;
	int i;

	if (!key || vms_x25519_keygen(esk, epk) || vms_pkey_to_pem(key, &pem) ||
	    vms_hgs_client_open(&adm, NULL, NULL, nodes[0].sock))
		bench_die("host key");
	json_decref(bench_call(adm, "/v1/admin/hosts/add",
			 json_pack("{s:s, s:s}", "name", "bench-host", "public_key", pem)));
	if (RAND_bytes(digest, 32) != 1)
		bench_die("random");
	vms_hex_encode(digest, 32, hex);
	json_decref(bench_call(adm, "/v1/admin/workers/add",
			 json_pack("{s:s, s:s}", "digest", hex, "description", "bench")));
	vms_hgs_client_close(adm);
	free(pem);
	usleep(500000);		/* the other nodes' change feed */
	rep.placement = VMSHIELD_PLACEMENT_KERNEL;
	rep.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = 1;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, epk, 32);
	rep.kps_set = 1;
	for (i = n_nodes - 1; i >= 0; i--) {
		struct vms_hgs_client *c = client_of(&nodes[i]);
		json_t *n = bench_call(c, "/v1/attest/nonce", json_object()), *r;
		const char *b64 = json_string_value(json_object_get(n, "nonce"));
		uint8_t *raw, *sig;
		size_t rl, sl;
		char *sig64, pkhex[65];

		/* the report names this node's KPS key, as hgs-agent does */
		bench_kps_key(c, rep.kps_pk);
		if (vms_report_format(&rep, report, sizeof(report)) <= 0)
			bench_die("report");
		if (vms_b64_decode(b64, strlen(b64), 32, &raw, &rl) ||
		    vms_attest_sign(key, raw, epk, report, strlen(report), &sig, &sl))
			bench_die("evidence");
		sig64 = vms_b64_encode(sig, sl);
		vms_hex_encode(epk, 32, pkhex);
		r = bench_call(c, "/v1/attest",
			 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "session",
				   json_string_value(json_object_get(n, "session")), "nonce", b64,
				   "host", "bench-host", "enclave_pk", pkhex, "report", report,
				   "signature", sig64));
		free(cert_b64);
		cert_b64 = strdup(json_string_value(json_object_get(r, "health_certificate")));
		if (i == 0) {
			md = bench_call(c, "/v1/metadata", NULL);
			pem = (char *)json_string_value(json_object_get(
				json_array_get(json_object_get(md, "guardians"), 0), "certificates"));
			if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &hgs_g))
				bench_die("metadata");
			json_decref(md);
		}
		json_decref(n);
		json_decref(r);
		free(raw);
		free(sig);
		free(sig64);
		vms_hgs_client_close(c);
	}
	if (vms_uuid_parse(VM, vm_id) || RAND_bytes(key_id, 16) != 1 || RAND_bytes(tk, 32) != 1 ||
	    vms_kp_create(&owner, &hgs_g.enc_cert, 1, vm_id, key_id, VMS_KR_POLICY_SHIELDED, tk,
			  &der, &len))
		bench_die("KP");
	OPENSSL_cleanse(tk, sizeof(tk));
	free(kp_b64);
	kp_b64 = vms_b64_encode(der, len);
	free(der);
	vms_guardian_free(&hgs_g);
	EVP_PKEY_free(key);
}

struct worker {
	const struct bench_hgsd *node;
	double until;
	unsigned long ok, failed;
};

static void *release_loop(void *arg)
{
	struct worker *w = arg;
	struct vms_hgs_client *c = client_of(w->node);

	while (bench_now() < w->until) {
		json_t *r = NULL;
		long http = 0;

		if (vms_hgs_call(c, "/v1/kps/release",
				 json_pack("{s:s, s:s, s:s, s:s, s:i}", "health_certificate", cert_b64,
					   "key_protector", kp_b64, "vm_id", VM,
					   "enclave_challenge", BENCH_CHALLENGE, "challenge_ns", 1),
				 &http, &r) ||
		    http != 200)
			w->failed++;
		else
			w->ok++;
		json_decref(r);
	}
	vms_hgs_client_close(c);
	return NULL;
}

/* Releases per second over @n_nodes nodes (@on_pg), hgsd pinned to core 0 if @pin0. */
static double phase(const char *name, int on_pg, int n_nodes, int pin0, double secs)
{
	struct bench_hgsd nodes[MAX_NODES] = { 0 };
	struct worker w[CLIENTS * MAX_NODES];
	pthread_t t[CLIENTS * MAX_NODES];
	unsigned long ok = 0, failed = 0;
	double t0, rate;
	int i, nw = CLIENTS * (n_nodes > 1 ? n_nodes : 1);

	init_node(&nodes[0], on_pg);
	for (i = 1; i < n_nodes; i++)
		clone_node(&nodes[i], &nodes[0], i);
	for (i = 0; i < n_nodes; i++)
		bench_hgsd_start(&nodes[i], bin, pin0 ? 0 : -1);
	provision(nodes, n_nodes);
	t0 = bench_now();
	for (i = 0; i < nw; i++) {
		w[i] = (struct worker){ .node = &nodes[i % n_nodes], .until = t0 + secs };
		if (pthread_create(&t[i], NULL, release_loop, &w[i]))
			bench_die("thread");
	}
	for (i = 0; i < nw; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		failed += w[i].failed;
	}
	rate = ok / (bench_now() - t0);
	for (i = 0; i < n_nodes; i++)
		bench_hgsd_stop(&nodes[i]);
	printf("  %-44s %8.1f releases/s (%lu in %.1f s, %d clients)\n", name, rate, ok, secs, nw);
	if (failed) {
		fprintf(stderr, "hgsd store bench: %s: %lu releases failed\n", name, failed);
		exit(1);
	}
	return rate;
}

int main(void)
{
	const char *s = getenv("HGSD_STORE_BENCH_SECONDS");
	double secs = s ? atof(s) : 3.0, lite, pg1, pg1u, pg3;
	char cmd[128];

	bench_name = "hgsd store bench";
	bin = getenv("HGSD_BIN") ? getenv("HGSD_BIN") : "../build/bin/hgsd";
	snprintf(top, sizeof(top), "/tmp/vms-hgsstore.XXXXXX");
	if (!mkdtemp(top) || curl_global_init(CURL_GLOBAL_DEFAULT) ||
	    vms_guardian_new("bench-owner", 30, &owner))
		bench_die("setup");
	if (t_pg_start(&pg))
		bench_die("starting PostgreSQL (make deps installs postgresql-15)");
	printf("hgsd store bench: KPS releases/s, one durable event each; hgsd 1 thread\n");
	lite = phase("SQLite node, hgsd on core 0", 0, 1, 1, secs);
	pg1 = phase("PostgreSQL node, hgsd on core 0", 1, 1, 1, secs);
	printf("  ratio PostgreSQL / SQLite: %.2f (target >= 0.7)\n", pg1 / lite);
	pg1u = phase("1 PostgreSQL node, not pinned", 1, 1, 0, secs);
	pg3 = phase("3 PostgreSQL nodes, not pinned", 1, 3, 0, secs);
	printf("  3 nodes / 1 node: %.2f on %ld cores (per-core efficiency, not scaling: the cores are shared by nodes, clients and PostgreSQL)\n",
	       pg3 / pg1u, sysconf(_SC_NPROCESSORS_ONLN));
	t_pg_stop(&pg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd))
		fprintf(stderr, "hgsd store bench: could not remove %s\n", top);
	vms_guardian_free(&owner);
	return 0;
}
