// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_cluster.c - three hgsd nodes on one real PostgreSQL 15
 * (pg_fixture.h): node A initialised, B and C copies of its state
 * directory (the same service keys) on their own ports, all on one
 * database (Documentation/hgs-cluster.md).
 *
 *   nonce_issued_on_a_used_on_b_replay_on_c   shared nonces, single use
 *   tpm_challenge_on_a_answered_on_b_replay_on_c   TPM challenges too (swtpm)
 *   revocation_on_a_enforced_by_b             the bound, measured
 *   guardian_disabled_on_a_enforced_by_b      a guardian disabled: the same bound
 *   guardian_added_on_a_released_by_b         a guardian added: its shared key
 *                                             file loaded by B and C, the same bound
 *   guardian_bad_change_ignored               no key file shared, a bad one, a bad
 *                                             name, another guardian's: logged, no change
 *   release_lifetime_per_policy               set at A, released so by B
 *   kill_node_during_release_burst            clients move to the next URL; VM
 *                                             starts roll the TK, renewals do not,
 *                                             no TK version incremented twice
 *   renewal_never_rolls                       a renewal asking for a roll: refused
 *   database_down_fails_closed                stopped, then read-only
 *
 * The client's failover mirrors the agent's (agent/hgs_link.c): the URLs
 * in order, the next one on a transport error. The real hgs-agent, with
 * the module, against three nodes: selftests/fabric/tests/06c-cluster-*
 * and 06d-cluster-revocation (the rig, make soak).
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "hgsd_fixture.h"
#include "keyrelease.h"
#include "pg_fixture.h"
#include "swtpm_fixture.h"
#include "tpm_data.h"
#include "tpm_exchange.h"
#include "vms_b64.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_host_tpm.h"
#include "vms_kp.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"
#include "vms_x509.h"
#include "vms_keyfile.h"

#define VM1 "6f1c2a5e-930d-4b71-8a42-0c5de177309b"
#define N_NODES 3
/* The revocation bound the docs promise: change_poll_ms (200) + a reload. */
#define REVOCATION_BOUND_MS 1000

static char top[64];
static struct t_hgsd node[N_NODES];
static uint8_t hgs_kps[32];	/* the nodes' KPS key (one signer), from /v1/metadata */
static struct vms_guardian owner, hgs_g;

/* ---------- the cluster ---------- */

static int run_cmd(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Node @i: a copy of A's directory (its keys), its own port and sockets. */
static int clone_node(int i)
{
	char cmd[4608];		/* eight directory names of up to 511 bytes */

	node[i] = node[0];
	node[i].pid = -1;
	node[i].cli = node[i].adm = NULL;
	snprintf(node[i].dir, sizeof(node[i].dir), "%s/%c", top, 'a' + i);
	snprintf(cmd, sizeof(cmd),
		 "cp -a %s %s && printf 'state_dir = %s\\nport_file = %s/hgsd.port\\nadmin_socket = %s/admin.sock\\nmaster_key_file = %s/keys/master.key\\ndb_file = %s/unused.db\\n' >> %s/hgsd.conf",
		 node[0].dir, node[i].dir, node[i].dir, node[i].dir, node[i].dir, node[i].dir,
		 node[i].dir, node[i].dir);
	return run_cmd(cmd) ? -1 : 0;
}

static int group_setup(void **state)
{
	char a[128];
	json_t *md, *g;
	int i;

	(void)state;
	setenv("HGSD_TEST_STORE", "postgresql", 1);	/* a cluster needs it */
	snprintf(top, sizeof(top), "/tmp/vms-hgsc.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(a, sizeof(a), "%s/a", top);
	if (t_hgsd_init(&node[0], a, "threads = 2\nnonce_ttl_s = 30\nlog_requests = 0\n"
			"challenge_rate_per_source = 0\n"))
		return -1;
	/* the signer whose KPS key the captured TPM report names (issue 17) */
	if (t_tpm_use_captured_signer(a))
		return -1;
	for (i = 1; i < N_NODES; i++)
		if (clone_node(i))
			return -1;
	for (i = 0; i < N_NODES; i++)
		if (t_hgsd_start(&node[i]))
			return -1;
	if (vms_guardian_new("tenant-owner", 30, &owner))
		return -1;
	t_hgs_kps_key(node[0].cli, hgs_kps);
	md = t_hgs_call(node[1].cli, "/v1/metadata", NULL, 200, "Passed");
	g = json_array_get(json_object_get(md, "guardians"), 0);
	{
		const char *pem = json_string_value(json_object_get(g, "certificates"));

		if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &hgs_g))
			return -1;
	}
	json_decref(md);
	{
		uint8_t digest[32];
		char hex[65];

		t_random(digest, 32);
		vms_hex_encode(digest, 32, hex);
		t_hgs_call_ok(node[0].adm, "/v1/admin/workers/add",
			      json_pack("{s:s, s:s}", "digest", hex, "description", "qemu"));
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];
	int i;

	(void)state;
	for (i = 0; i < N_NODES; i++)
		t_hgsd_stop(&node[i], SIGTERM);
	vms_guardian_free(&owner);
	vms_guardian_free(&hgs_g);
	if (getenv("HGSD_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	run_cmd(cmd);
	return 0;
}

/* ---------- a guarded host (host-key mode) ---------- */

struct host {
	const char *name;
	EVP_PKEY *key;
	uint8_t esk[32], epk[32];
};

static void host_new(struct host *h, const char *name)
{
	char *pem = NULL;

	memset(h, 0, sizeof(*h));
	h->name = name;
	h->key = vms_pkey_gen_ed25519();
	assert_non_null(h->key);
	assert_int_equal(vms_x25519_keygen(h->esk, h->epk), 0);
	assert_int_equal(vms_pkey_to_pem(h->key, &pem), 0);
	t_hgs_call_ok(node[0].adm, "/v1/admin/hosts/add",
		      json_pack("{s:s, s:s}", "name", name, "public_key", pem));
	free(pem);
}

static void host_free(struct host *h)
{
	EVP_PKEY_free(h->key);
	OPENSSL_cleanse(h->esk, 32);
}

/* The attestation request for @h over the nonce answered by @nonce_resp. */
static json_t *attest_req(const struct host *h, json_t *nonce_resp)
{
	return t_attest_req(h->name, h->key, h->epk, hgs_kps, nonce_resp);
}

/* Attest @h at node @i (nonce from @i too): the answer's substatus. */
static json_t *attest_at(const struct host *h, int i, long http, const char *sub)
{
	json_t *n = t_hgs_call(node[i].cli, "/v1/attest/nonce", json_object(), 200, "Passed");
	json_t *r = t_hgs_call(node[i].cli, "/v1/attest", attest_req(h, n), http, sub);

	json_decref(n);
	return r;
}

/*
 * A certificate for @h from node @i, once @i knows the host (registered
 * at node A: the change feed brings it within the bound).
 */
static char *cert_of(const struct host *h, int i)
{
	double t0 = now_ms();
	char *cert = NULL;

	while (!cert) {
		json_t *n = t_hgs_call(node[i].cli, "/v1/attest/nonce", json_object(), 200,
				       "Passed");
		json_t *q = attest_req(h, n), *r = NULL;
		long http = 0;

		/* vms_hgs_call() does not take the request */
		assert_int_equal(vms_hgs_call(node[i].cli, "/v1/attest", q, &http, &r), 0);
		json_decref(q);
		json_decref(n);
		if (http == 200)
			cert = strdup(json_string_value(json_object_get(r, "health_certificate")));
		else if (strcmp(vms_hgs_substatus(r), "HostNotRegistered") ||
			 now_ms() - t0 > REVOCATION_BOUND_MS)
			fail_msg("attest at node %d: HTTP %ld %s", i, http, vms_hgs_substatus(r));
		json_decref(r);
		if (!cert)
			usleep(10000);
	}
	return cert;
}

/* A KP of @vm (@policy) enveloped to guardian @g only (base64). */
static char *kp_to(const struct vms_guardian *g, const char *vm, uint32_t policy)
{
	uint8_t vm_id[16], key_id[16], tk[32], *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(&owner, &g->enc_cert, 1, vm_id, key_id,
				       policy, tk, &der, &len), 0);
	OPENSSL_cleanse(tk, sizeof(tk));
	b64 = vms_b64_encode(der, len);
	free(der);
	return b64;
}

static char *make_kp_policy(const char *vm, uint32_t policy)
{
	return kp_to(&hgs_g, vm, policy);
}

static char *make_kp(const char *vm)
{
	return make_kp_policy(vm, VMS_KR_POLICY_SHIELDED);
}

/* ---------- the tests ---------- */

/*
 * A nonce issued by node A is accepted with evidence at node B; the
 * same evidence again at node C is a replay, and at B too.
 */
static void test_nonce_issued_on_a_used_on_b_replay_on_c(void **state)
{
	struct host h;
	json_t *n, *req;

	(void)state;
	host_new(&h, "shared-nonce");
	free(cert_of(&h, 1));	/* B and C know the host */
	free(cert_of(&h, 2));
	n = t_hgs_call(node[0].cli, "/v1/attest/nonce", json_object(), 200, "Passed");
	req = attest_req(&h, n);
	json_decref(t_hgs_call(node[1].cli, "/v1/attest", json_deep_copy(req), 200, "Passed"));
	json_decref(t_hgs_call(node[2].cli, "/v1/attest", json_deep_copy(req), 403,
			       "NonceReplayed"));
	json_decref(t_hgs_call(node[1].cli, "/v1/attest", req, 403, "NonceReplayed"));
	json_decref(n);
	host_free(&h);
}

/* ---------- TPM mode: the challenge lives in the database ---------- */

/* The rig's captured logs and the report its module measured. */
struct tpm_capture {
	char bios[PATH_MAX + 32], imal[PATH_MAX + 32];
	char report[VMS_REPORT_MAX + 1];
	uint8_t enclave_pk[32];
};

static void tpm_capture_load(struct tpm_capture *c)
{
	char path[PATH_MAX + 128], data[PATH_MAX], rpath[PATH_MAX + 32];
	struct vms_isolation_report rep;
	uint8_t *txt;
	size_t len;

	t_tpm_path("", path, sizeof(path));
	assert_non_null(realpath(path, data));
	snprintf(c->bios, sizeof(c->bios), "%s/bios_measurements.bin", data);
	snprintf(c->imal, sizeof(c->imal), "%s/ima_measurements.bin", data);
	snprintf(rpath, sizeof(rpath), "%s/report.txt", data);
	assert_int_equal(vms_read_file(rpath, VMS_REPORT_MAX, &txt, &len), 0);
	while (len && txt[len - 1] == '\n')
		len--;
	memcpy(c->report, txt, len);
	c->report[len] = 0;
	free(txt);
	assert_int_equal(vms_report_parse(c->report, len, &rep), 0);
	memcpy(c->enclave_pk, rep.enclave_pk, 32);
}

/* Register this TPM's EK and the captured boot as the baseline, at node A. */
static void tpm_host_register(struct vms_host_tpm *tpm, const char *host, const char *bios)
{
	struct vms_tpm_eventlog log = { 0 };
	struct vms_baseline b = { 0 };
	uint8_t *buf;
	size_t len;
	char *ek64, *js;

	assert_int_equal(vms_host_tpm_ek_public(tpm, &buf, &len), 0);
	ek64 = vms_b64_encode(buf, len);
	free(buf);
	t_hgs_call_ok(node[0].adm, "/v1/admin/hosts/add",
		      json_pack("{s:s, s:s, s:s}", "name", host, "ek_public", ek64,
				"hardware_class", "qemu-q35"));
	free(ek64);
	assert_int_equal(vms_read_file(bios, VMS_EVLOG_MAX_BYTES, &buf, &len), 0);
	assert_int_equal(vms_tpm_eventlog_parse(buf, len, &log), 0);
	free(buf);
	assert_int_equal(vms_baseline_capture(&log, "rig-seabios", "qemu-q35", 1, &b), 0);
	js = vms_baseline_to_json(&b);
	assert_non_null(js);
	t_hgs_call_ok(node[0].adm, "/v1/admin/baselines/add", json_pack("{s:s}", "baseline", js));
	free(js);
	vms_baseline_free(&b);
	vms_tpm_eventlog_free(&log);
}

/*
 * TPM mode (a real swtpm whose PCRs replay the rig's captured logs): the
 * challenge issued by node A is answered at node B (it is in the
 * database, taken by one statement); the same answer at node C, and at
 * A, is a replay.
 */
static void test_tpm_challenge_on_a_answered_on_b_replay_on_c(void **state)
{
	struct t_swtpm sw = { .pid = -1 };
	struct tpm_capture cap;
	struct vms_host_tpm *tpm = NULL;
	char dir[128], tpmstate[160];
	json_t *req, *r;

	(void)state;
	tpm_capture_load(&cap);
	snprintf(dir, sizeof(dir), "%s/swtpm", top);
	snprintf(tpmstate, sizeof(tpmstate), "%s/state", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(tpmstate, 0700), 0);
	assert_int_equal(t_swtpm_start(&sw, dir, tpmstate), 0);
	assert_int_equal(t_tpm_replay_logs(cap.bios, cap.imal), 0);
	assert_int_equal(vms_host_tpm_open(&tpm, sw.tcti), 0);
	tpm_host_register(tpm, "tpm-host", cap.bios);
	usleep(REVOCATION_BOUND_MS * 1000);	/* B and C know the host and baseline */

	req = t_tpm_answer(node[0].cli, tpm, "tpm-host", cap.enclave_pk, cap.report,
			   cap.bios, cap.imal);
	r = t_hgs_call(node[1].cli, "/v1/attest/tpm", json_deep_copy(req), 200, "Passed");
	assert_string_equal(json_string_value(json_object_get(r, "attestation_mode")), "tpm");
	json_decref(r);
	json_decref(t_hgs_call(node[2].cli, "/v1/attest/tpm", json_deep_copy(req), 403,
			       "NonceReplayed"));
	json_decref(t_hgs_call(node[0].cli, "/v1/attest/tpm", req, 403, "NonceReplayed"));
	print_message("# TPM challenge issued by node A, answered at node B: Passed; the replay at C and at A: NonceReplayed\n");

	vms_host_tpm_close(tpm);
	t_swtpm_stop(&sw);
	t_hgs_call_ok(node[0].adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "tpm-host"));
}

/*
 * A release request (format v2: it answers an enclave challenge; any value
 * does here, KPS binds it and only the enclave checks it).
 */
static json_t *release_req(const char *cert, const char *kp)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "health_certificate", cert,
			 "key_protector", kp, "vm_id", VM1, "enclave_challenge",
			 "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
			 "challenge_ns", (json_int_t)5000000000LL);
}

/*
 * Releases of @kp for @cert retried at node B every 10 ms from @t0 (the
 * admin change's answer) for up to 5 s: every answer @before_http until
 * one is @http with substatus @sub. Asserts it came within the bound;
 * prints how long it took after @what.
 */
static void release_at_b_until(const char *cert, const char *kp, double t0, long before_http,
			       long http_want, const char *sub, const char *what)
{
	double waited = 0;
	int done = 0;

	while (!done && (waited = now_ms() - t0) < 5000) {
		json_t *q = release_req(cert, kp), *r = NULL;
		long http = 0;

		assert_int_equal(vms_hgs_call(node[1].cli, "/v1/kps/release", q, &http, &r), 0);
		json_decref(q);
		done = http == http_want;
		if (done)
			assert_string_equal(vms_hgs_substatus(r), sub);
		else
			assert_int_equal(http, before_http);
		json_decref(r);
		if (!done)
			usleep(10000);
	}
	print_message("# %s after %.0f ms (bound %d ms)\n", what, waited, REVOCATION_BOUND_MS);
	assert_true(done);
	assert_true(waited <= REVOCATION_BOUND_MS);
}

/*
 * A host disabled at node A: node B refuses its attestation and its
 * releases within the bound (measured from A's answer; printed).
 */
static void test_revocation_on_a_enforced_by_b(void **state)
{
	struct host h;
	char *cert, *kp;
	double t0;
	long http;
	json_t *r;
	int refused = 0;

	(void)state;
	host_new(&h, "revoked-host");
	cert = cert_of(&h, 1);
	kp = make_kp(VM1);
	json_decref(t_hgs_call(node[1].cli, "/v1/kps/release",
			       release_req(cert, kp), 200, "Passed"));
	t_hgs_call_ok(node[0].adm, "/v1/admin/hosts/disable",
		      json_pack("{s:s}", "name", h.name));
	t0 = now_ms();
	release_at_b_until(cert, kp, t0, 200, 403, "HostDisabled",
			   "revocation at node A refused by node B's KPS");
	/* node C too, within the same bound from A's answer: each node polls */
	while (1) {
		json_t *n = t_hgs_call(node[2].cli, "/v1/attest/nonce", json_object(), 200,
				       "Passed");
		json_t *q = attest_req(&h, n);

		r = NULL;
		assert_int_equal(vms_hgs_call(node[2].cli, "/v1/attest", q, &http, &r), 0);
		json_decref(q);
		json_decref(n);
		refused = http == 403 && !strcmp(vms_hgs_substatus(r), "HostDisabled");
		json_decref(r);
		if (refused)
			break;
		assert_int_equal(http, 200);
		assert_true(now_ms() - t0 <= REVOCATION_BOUND_MS);
		usleep(10000);
	}
	free(cert);
	free(kp);
	host_free(&h);
}

/* Guardian @name's certificates as node @i publishes them (enabled ones). */
static int published_at(int i, const char *name, struct vms_guardian *g)
{
	json_t *md = t_hgs_call(node[i].cli, "/v1/metadata", NULL, 200, "Passed"), *e;
	int found = 0;
	size_t k;

	json_array_foreach(json_object_get(md, "guardians"), k, e) {
		const char *pem = json_string_value(json_object_get(e, "certificates"));

		if (strcmp(json_string_value(json_object_get(e, "name")), name))
			continue;
		found = 1;
		if (g)
			assert_int_equal(vms_guardian_from_pem(pem, strlen(pem), NULL, g), 0);
	}
	json_decref(md);
	return found;
}

/*
 * A guardian disabled at node A: node B, which holds it, stops releasing
 * under it within the bound (KeyProtectorGuardianDisabled, measured from
 * A's answer and printed) and stops publishing it; node C's
 * /v1/host/status names a key released under it to the host that holds
 * it (issue 18: disabling a guardian reaches hosts).
 */
static void test_guardian_disabled_on_a_enforced_by_b(void **state)
{
	struct vms_guardian g2 = { 0 };
	char kid[33], fo[VMS_FPR_HEX_LEN], f2[VMS_FPR_HEX_LEN], *cert, *kp;
	uint8_t vm_id[16], key_id[16], tk[32], *der;
	double t0;
	struct host h;
	size_t len;
	json_t *r, *keys;

	(void)state;
	/* hgs-g2 made at A, held by B through the change feed */
	t_hgs_call_ok(node[0].adm, "/v1/admin/guardians/add", json_pack("{s:s}", "name", "hgs-g2"));
	t0 = now_ms();
	while (!published_at(1, "hgs-g2", NULL) && now_ms() - t0 < 5000)
		usleep(10000);
	assert_true(published_at(1, "hgs-g2", &g2));

	host_new(&h, "guardian-host");
	cert = cert_of(&h, 1);
	assert_int_equal(vms_uuid_parse(VM1, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(&owner, &g2.enc_cert, 1, vm_id, key_id,
				       VMS_KR_POLICY_SHIELDED, tk, &der, &len), 0);
	kp = vms_b64_encode(der, len);
	free(der);
	vms_hex_encode(key_id, 16, kid);
	json_decref(t_hgs_call(node[1].cli, "/v1/kps/release", release_req(cert, kp), 200, "Passed"));

	t_hgs_call_ok(node[0].adm, "/v1/admin/guardians/disable", json_pack("{s:s}", "name", "hgs-g2"));
	release_at_b_until(cert, kp, now_ms(), 200, 403, "KeyProtectorGuardianDisabled",
			   "guardian disabled at node A: node B's KPS refused it");
	assert_false(published_at(1, "hgs-g2", NULL));

	/* node C tells the host the key is no longer releasable */
	assert_int_equal(vms_cert_fingerprint(owner.enc_cert, fo), 0);
	assert_int_equal(vms_cert_fingerprint(g2.enc_cert, f2), 0);
	keys = json_pack("[{s:s, s:s, s:[s, s]}]", "vm_id", VM1, "key_id", kid, "guardians", fo, f2);
	r = t_hgs_call(node[2].cli, "/v1/host/status",
		       json_pack("{s:s, s:o}", "health_certificate", cert, "keys", keys), 200, "Passed");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "not_releasable"), 0), "reason")), "KeyProtectorGuardianDisabled");
	json_decref(r);
	OPENSSL_cleanse(tk, sizeof(tk));
	vms_guardian_free(&g2);
	free(cert);
	free(kp);
	host_free(&h);
}

/*
 * A guardian added at node A: node B, which never had its key file,
 * releases a KP enveloped only to it within the bound (the change feed
 * loads the key file A shared through the store; measured from A's
 * answer, printed), and B and C publish it.
 */
static void test_guardian_added_on_a_released_by_b(void **state)
{
	struct vms_guardian g3 = { 0 };
	char path[600], *cert, *kp;
	struct host h;
	double t0;

	(void)state;
	snprintf(path, sizeof(path), "%s/keys/guardian-hgs-g3.pem", node[1].dir);
	assert_int_not_equal(access(path, F_OK), 0);
	host_new(&h, "added-guardian-host");
	cert = cert_of(&h, 1);
	t_hgs_call_ok(node[0].adm, "/v1/admin/guardians/add", json_pack("{s:s}", "name", "hgs-g3"));
	t0 = now_ms();
	assert_true(published_at(0, "hgs-g3", &g3));
	kp = kp_to(&g3, VM1, VMS_KR_POLICY_SHIELDED);
	release_at_b_until(cert, kp, t0, 403, 200, "Passed",
			   "guardian added at node A: node B's KPS released under it");
	assert_true(published_at(1, "hgs-g3", NULL));
	assert_int_equal(access(path, F_OK), 0);	/* B restarts with it */
	while (!published_at(2, "hgs-g3", NULL) && now_ms() - t0 <= REVOCATION_BOUND_MS)
		usleep(10000);
	assert_true(published_at(2, "hgs-g3", NULL));
	vms_guardian_free(&g3);
	free(cert);
	free(kp);
	host_free(&h);
}

/* Wait up to 5 s for @needle in node @i's log; 1 if it is there. */
static int logged_at(int i, const char *needle)
{
	char path[600];
	double t0 = now_ms();

	snprintf(path, sizeof(path), "%s/hgsd.log", node[i].dir);
	do {
		uint8_t *log = NULL;
		size_t len;
		int found = 0;

		if (!vms_read_file(path, 64 << 20, &log, &len))
			found = memmem(log, len, needle, strlen(needle)) != NULL;
		free(log);
		if (found)
			return 1;
		usleep(20000);
	} while (now_ms() - t0 < 5000);
	return 0;
}

/* How many guardians node @i publishes. */
static size_t published_count(int i)
{
	json_t *md = t_hgs_call(node[i].cli, "/v1/metadata", NULL, 200, "Passed");
	size_t n = json_array_size(json_object_get(md, "guardians"));

	json_decref(md);
	return n;
}

/*
 * Guardian @name enabled in the store behind the nodes' backs with @g's
 * certificates, and, unless @keyfile is NULL, a shared key file; then
 * the change feed moved.
 */
static void store_guardian_behind(const char *name, const struct vms_guardian *g,
				  const char *keyfile)
{
	char *pem = NULL, *sql;

	assert_int_equal(vms_guardian_to_pem(g, &pem), 0);
	assert_true(asprintf(&sql, "INSERT INTO guardians(name, certificates, is_primary, enabled, created_at) VALUES ('%s', '%s', 0, 1, 0);",
			     name, pem) > 0);
	assert_int_equal(t_hgsd_sql(&node[0], sql), 0);
	free(sql);
	free(pem);
	if (keyfile) {
		assert_true(asprintf(&sql, "INSERT INTO shared_secrets(name, value) VALUES ('guardian-key:%s', '%s');",
				     name, keyfile) > 0);
		assert_int_equal(t_hgsd_sql(&node[0], sql), 0);
		free(sql);
	}
	assert_int_equal(t_hgsd_sql(&node[0], "UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'change_seq';"),
			 0);
}

static void store_guardian_gone(const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DELETE FROM guardians WHERE name = '%s'; DELETE FROM shared_secrets WHERE name = 'guardian-key:%s'; UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'change_seq';",
		 name, name);
	assert_int_equal(t_hgsd_sql(&node[0], sql), 0);
}

/* Node B did not take guardian @name: not published, no key file, releases as before. */
static void not_taken(const char *name, size_t count, const char *cert, const char *kp)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/keys/guardian-%s.pem", node[1].dir, name);
	assert_false(published_at(1, name, NULL));
	assert_int_equal(published_count(1), count);
	assert_int_not_equal(access(path, F_OK), 0);
	json_decref(t_hgs_call(node[1].cli, "/v1/kps/release", release_req(cert, kp), 200,
			       "Passed"));
}

/*
 * Changes a node cannot take are logged and change nothing there: a
 * guardian enabled in the store whose key file no node shared, one whose
 * shared key file is not a key file, one under a name that would make a
 * path out of keys/ (not looked up), and one whose shared key file is
 * another guardian's (HGS's own first guardian: real keys under the
 * master key, but not the certificates the store publishes).
 */
static void test_guardian_bad_change_ignored(void **state)
{
	struct vms_guardian u = { 0 };
	char path[600], *cert, *kp;
	uint8_t *other;
	size_t count, len;
	struct host h;

	(void)state;
	host_new(&h, "bad-change-host");
	cert = cert_of(&h, 1);
	kp = make_kp(VM1);
	count = published_count(1);
	assert_int_equal(vms_guardian_new("hgs-unknown", 30, &u), 0);

	store_guardian_behind("hgs-unknown", &u, NULL);
	assert_true(logged_at(1, "guardian=hgs-unknown msg=\"enabled in the store, but no node shared its key file"));
	not_taken("hgs-unknown", count, cert, kp);
	store_guardian_gone("hgs-unknown");

	store_guardian_behind("hgs-garbage", &u, "-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----\n");
	assert_true(logged_at(1, "guardian=hgs-garbage from=\"the key file the store shares\" msg=\"not loaded\""));
	not_taken("hgs-garbage", count, cert, kp);
	store_guardian_gone("hgs-garbage");

	snprintf(path, sizeof(path), "%s/keys/guardian-hgs-guardian-1.pem", node[0].dir);
	assert_int_equal(vms_read_file(path, 1 << 20, &other, &len), 0);
	other = realloc(other, len + 1);
	assert_non_null(other);
	other[len] = 0;

	/* a name that would make a path out of keys/: not even looked up */
	store_guardian_behind("x/../../escaped", &u, (char *)other);
	assert_true(logged_at(1, "guardian=\"x/../../escaped\" msg=\"enabled in the store under a name that is not valid"));
	assert_int_equal(published_count(1), count);
	store_guardian_gone("x/../../escaped");

	store_guardian_behind("hgs-mismatch", &u, (char *)other);
	assert_true(logged_at(1, "guardian=hgs-mismatch from=\"the key file the store shares\" msg=\"not loaded\""));
	not_taken("hgs-mismatch", count, cert, kp);
	store_guardian_gone("hgs-mismatch");

	free(other);
	vms_guardian_free(&u);
	free(cert);
	free(kp);
	host_free(&h);
}

/*
 * The lifetime a release from node @i carries, in the blob itself (what
 * the enclave enforces); the answer says the same.
 */
static unsigned int released_lifetime(int i, const char *cert, const char *kp)
{
	json_t *r = t_hgs_call(node[i].cli, "/v1/kps/release", release_req(cert, kp), 200,
			       "Passed");
	const char *b64 = json_string_value(json_object_get(r, "key_release"));
	struct vms_kr_binding b;
	uint8_t *blob;
	size_t len;

	assert_non_null(b64);
	assert_int_equal(vms_b64_decode(b64, strlen(b64), 4096, &blob, &len), 0);
	assert_int_equal(vms_kr_parse(blob, len, &b, NULL), 0);
	assert_int_equal(b.lifetime_s, json_integer_value(json_object_get(r, "lifetime_s")));
	assert_true(b.not_after_ns == b.challenge_ns + b.lifetime_s * 1000000000ull);
	free(blob);
	json_decref(r);
	return b.lifetime_s;
}

static void set_policy_at(int i, const char *name, const char *value, long http,
			  const char *sub)
{
	json_decref(t_hgs_call(node[i].adm, "/v1/admin/policy/set",
			       json_pack("{s:s, s:s}", "name", name, "value", value), http, sub));
}

static json_int_t shown_lifetime(int i, const char *which)
{
	json_t *r = t_hgs_call(node[i].adm, "/v1/admin/policy", NULL, 200, "Passed");
	json_int_t v = json_integer_value(json_object_get(
		json_object_get(json_object_get(r, "policy"), "release_lifetime_s"), which));

	json_decref(r);
	return v;
}

/*
 * The release lifetime is a policy per KP policy, shared by the nodes:
 * by default 1 h for shielded VMs and 8 h (bounded by the certificate)
 * for encryption-supported ones; set at node A, node B releases with it
 * within the change feed's bound; bad values are refused at any node and
 * change nothing.
 */
static void test_release_lifetime_per_policy(void **state)
{
	static const char *const bad[] = { "9", "604801", "1h", "", "-60", "+60", "0x3c",
					   "99999999" };
	unsigned int es, got = 0;
	char *cert, *kps, *kpe;
	struct host h;
	double t0;
	size_t i;

	(void)state;
	host_new(&h, "lifetime-host");
	cert = cert_of(&h, 1);
	kps = make_kp_policy(VM1, VMS_KR_POLICY_SHIELDED);
	kpe = make_kp_policy(VM1, VMS_KR_POLICY_ENCRYPTION_SUPPORTED);
	assert_int_equal(released_lifetime(1, cert, kps), 3600);
	es = released_lifetime(1, cert, kpe);
	assert_true(es > 3600 && es <= 28800);

	set_policy_at(0, "release_lifetime_shielded_s", "600", 200, "Passed");
	t0 = now_ms();
	while ((got = released_lifetime(1, cert, kps)) != 600) {
		assert_int_equal(got, 3600);
		assert_true(now_ms() - t0 <= REVOCATION_BOUND_MS);
		usleep(10000);
	}
	print_message("# release_lifetime_shielded_s = 600 set at node A: node B releases with it after %.0f ms\n",
		      now_ms() - t0);
	/* node C polls on its own schedule: within the same bound */
	while ((got = released_lifetime(2, cert, kps)) != 600) {
		assert_int_equal(got, 3600);
		assert_true(now_ms() - t0 <= REVOCATION_BOUND_MS);
		usleep(10000);
	}
	assert_int_equal(released_lifetime(1, cert, kpe), es);	/* the other policy's own */

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		set_policy_at(i % N_NODES, "release_lifetime_shielded_s", bad[i], 400,
			      "InvalidRequest");
		set_policy_at(i % N_NODES, "release_lifetime_encryption_supported_s", bad[i], 400,
			      "InvalidRequest");
	}
	assert_int_equal(shown_lifetime(2, "shielded"), 600);
	assert_int_equal(shown_lifetime(1, "encryption_supported"), 28800);
	assert_int_equal(released_lifetime(0, cert, kps), 600);

	set_policy_at(2, "release_lifetime_shielded_s", "3600", 200, "Passed");
	free(cert);
	free(kps);
	free(kpe);
	host_free(&h);
}

/* ---------- the burst: VM starts that roll the TK, renewals that do not ---------- */

#define BURST_VMS	5
#define BURST_OPS	150

/* What the burst's host holds of one VM: its KP and the TK its state is under. */
struct burst_vm {
	char id[37];
	uint8_t vm_id[16];
	char *kp;			/* the current KP (base64) */
	uint8_t tk[32], key_id[16];	/* what a release of it must carry */
	uint64_t version;		/* its version as the host knows it */
	int starts;
};

struct burst {
	struct host h;
	char *cert;
	uint8_t kps_pk[32];
	struct burst_vm vm[BURST_VMS];
	double stall;
	int retries;
	int first_lost_op;		/* the first op whose request B never answered */
	int drop_at, dropped;		/* a roll whose answer the host never saw */
	const char *first_lost_path;
	/* the killer: node B dies while the op numbered kill_at is in flight there */
	pthread_t killer;
	int kill_at, in_flight_at_b, killed;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/*
 * Node B killed (SIGKILL) while a request is in flight there: a roll it
 * committed may never be answered, and the client retries at the next
 * node. A short random delay puts the kill anywhere in the request.
 */
static void *killer_main(void *arg)
{
	struct burst *b = arg;
	uint8_t r;

	pthread_mutex_lock(&b->lock);
	while (!b->in_flight_at_b)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	t_random(&r, 1);
	usleep(r * 20u);	/* 0 - 5 ms into the request */
	kill(node[1].pid, SIGKILL);
	return NULL;
}

/*
 * @path with @q at the first node that answers, the next URL on a
 * transport error (as the agent does); @q is not taken. The HTTP status,
 * the answer in *@resp.
 */
static long call_with_failover(struct burst *b, int *at, int op, const char *path, json_t *q,
			       json_t **resp)
{
	int tries;

	for (tries = 0; tries < 2 * N_NODES; tries++) {
		double t0 = now_ms();
		long http = 0;
		int e;

		if (*at == 1 && op >= b->kill_at && !b->killed) {
			pthread_mutex_lock(&b->lock);
			b->in_flight_at_b = 1;
			pthread_cond_signal(&b->cond);
			pthread_mutex_unlock(&b->lock);
		}
		*resp = NULL;
		e = vms_hgs_call(node[*at].cli, path, q, &http, resp);
		if (now_ms() - t0 > b->stall)
			b->stall = now_ms() - t0;
		if (!e)
			return http;
		json_decref(*resp);
		*resp = NULL;
		if (!b->retries++) {
			b->first_lost_op = op;
			b->first_lost_path = path;
		}
		*at = (*at + 1) % N_NODES;	/* transport error: the next URL */
	}
	return 0;
}

/* A release request with a fresh enclave challenge (its bytes and clock in @c, @ns). */
static json_t *burst_release_req(const struct burst *b, const struct burst_vm *v, int renewal,
				 uint8_t c[32], uint64_t *ns)
{
	char hex[65];

	t_random(c, 32);
	*ns = (uint64_t)now_ms() * 1000000ull + 1;
	vms_hex_encode(c, 32, hex);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b}", "health_certificate", b->cert,
			 "key_protector", v->kp, "vm_id", v->id, "enclave_challenge", hex,
			 "challenge_ns", (json_int_t)*ns, "roll", !renewal, "renewal", renewal);
}

/* The release blob of answer @r, opened by the host's enclave key. */
static uint8_t *burst_blob(json_t *r, size_t *len)
{
	const char *rel = json_string_value(json_object_get(r, "key_release"));
	uint8_t *blob;

	assert_non_null(rel);
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_ROLL_MAX_LEN, &blob, len), 0);
	return blob;
}

/*
 * A start: the roll release (the current TK and a new one, for this
 * challenge), the host's re-seal, the confirmation at whichever node
 * answers. The release must carry the TK the VM's state is under.
 */
static int burst_start(struct burst *b, struct burst_vm *v, int *at, int op)
{
	uint8_t c[32], tk[32], tk_next[32], *blob;
	json_t *q = burst_release_req(b, v, 0, c, &(uint64_t){ 0 }), *r = NULL;
	struct vms_kr_binding kb;
	char kid[33];
	size_t len;
	long http;

	if (op == b->drop_at) {
		/* KPS committed the roll, the answer never arrived: the next node */
		http = call_with_failover(b, at, op, "/v1/kps/release", q, &r);
		assert_int_equal(http, 200);
		json_decref(r);
		*at = (*at + 1) % N_NODES;
		b->dropped++;
	}
	http = call_with_failover(b, at, op, "/v1/kps/release", q, &r);
	json_decref(q);
	if (http != 200) {
		print_message("# start of %s at node %d: HTTP %ld %s\n", v->id, *at, http,
			      r ? vms_hgs_substatus(r) : "-");
		json_decref(r);
		return -1;
	}
	blob = burst_blob(r, &len);
	assert_int_equal(vms_kr_open_roll(blob, len, b->h.esk, b->h.epk, b->kps_pk, v->vm_id,
					  &kb, tk, tk_next), 0);
	assert_memory_equal(kb.challenge, c, 32);	/* this challenge, not another's */
	assert_memory_equal(kb.key_id, v->key_id, 16);
	assert_memory_equal(tk, v->tk, 32);
	assert_int_equal(json_integer_value(json_object_get(r, "tk_version")), v->version);
	assert_int_equal(json_integer_value(json_object_get(r, "next_tk_version")),
			 v->version + 1);
	free(blob);
	/* the host re-sealed under the new TK: the rolled KP is its KP now */
	free(v->kp);
	v->kp = strdup(json_string_value(json_object_get(r, "key_protector")));
	memcpy(v->tk, tk_next, 32);
	memcpy(v->key_id, kb.next_key_id, 16);
	OPENSSL_cleanse(tk, 32);
	OPENSSL_cleanse(tk_next, 32);
	json_decref(r);
	vms_hex_encode(v->key_id, 16, kid);
	q = json_pack("{s:s, s:s, s:I, s:s}", "health_certificate", b->cert, "vm_id", v->id,
		      "tk_version", (json_int_t)(v->version + 1), "key_id", kid);
	http = call_with_failover(b, at, op, "/v1/kps/confirm", q, &r);
	json_decref(q);
	if (http != 200) {
		print_message("# confirmation of %s at node %d: HTTP %ld %s\n", v->id, *at, http,
			      r ? vms_hgs_substatus(r) : "-");
		json_decref(r);
		return -1;
	}
	json_decref(r);
	v->version++;
	v->starts++;
	return 0;
}

/* A renewal: the same TK again for a fresh challenge, no roll. */
static int burst_renewal(struct burst *b, struct burst_vm *v, int *at, int op)
{
	uint8_t c[32], tk[32], *blob;
	json_t *q = burst_release_req(b, v, 1, c, &(uint64_t){ 0 }), *r = NULL;
	struct vms_kr_binding kb;
	size_t len;
	long http;

	http = call_with_failover(b, at, op, "/v1/kps/release", q, &r);
	json_decref(q);
	if (http != 200) {
		print_message("# renewal of %s at node %d: HTTP %ld %s\n", v->id, *at, http,
			      r ? vms_hgs_substatus(r) : "-");
		json_decref(r);
		return -1;
	}
	assert_null(json_object_get(r, "next_tk_version"));
	assert_null(json_object_get(r, "key_protector"));
	assert_int_equal(json_integer_value(json_object_get(r, "tk_version")), v->version);
	blob = burst_blob(r, &len);
	assert_int_equal(vms_kr_open(blob, len, b->h.esk, b->h.epk, b->kps_pk, v->vm_id,
				     v->key_id, &kb, tk), 0);
	assert_false(kb.flags & VMS_KR_FLAG_ROLL);
	assert_memory_equal(kb.challenge, c, 32);
	assert_memory_equal(tk, v->tk, 32);
	OPENSSL_cleanse(tk, 32);
	free(blob);
	json_decref(r);
	return 0;
}

/*
 * "No TK version incremented twice", on the shared database: every VM's
 * acknowledged version is exactly its number of confirmed rolls 1..version
 * (store_vm_violations()' query, hgs-cluster.md §5); psql fails the
 * statement otherwise.
 */
#define NO_VERSION_TWICE_SQL \
	"DO $$ BEGIN IF (SELECT COUNT(*) FROM vm_keys k WHERE\n" \
	"  k.version <> (SELECT COUNT(*) FROM vm_key_rolls r WHERE r.vm_id = k.vm_id\n" \
	"                AND r.confirmed = 1 AND r.version >= 1 AND r.version <= k.version)\n" \
	"  OR EXISTS (SELECT 1 FROM vm_key_rolls r WHERE r.vm_id = k.vm_id\n" \
	"             AND r.confirmed = 1 AND r.version > k.version)) <> 0\n" \
	"THEN RAISE EXCEPTION 'a TK version was incremented twice or skipped'; END IF; END $$"

/*
 * HGS's view of @v at node @i: its version, nothing pending, one
 * confirmed roll per version. Returns the rolls never confirmed (made,
 * then replaced by another roll of the same version: an answer lost).
 */
static long burst_vm_expect(int i, const struct burst_vm *v)
{
	long lost;

	char path[96];
	json_t *r, *o;

	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", v->id);
	r = t_hgs_call(node[i].adm, path, NULL, 200, "Passed");
	o = json_object_get(r, "vm");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), v->starts);
	assert_int_equal(json_integer_value(json_object_get(o, "pending_version")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "confirmed_rolls")), v->starts);
	lost = (long)(json_integer_value(json_object_get(o, "rolls")) - v->starts);
	assert_true(lost >= 0);
	json_decref(r);
	return lost;
}

static void burst_setup(struct burst *b, const char *host)
{
	json_t *md;
	const char *k;
	int i;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	host_new(&b->h, host);
	for (i = 1; i < N_NODES; i++)	/* every node knows it */
		free(cert_of(&b->h, i));
	b->cert = cert_of(&b->h, 0);
	md = t_hgs_call(node[2].cli, "/v1/metadata", NULL, 200, "Passed");
	k = json_string_value(json_object_get(md, "kps_public_key"));
	assert_non_null(k);
	assert_int_equal(vms_hex_decode_exact(k, b->kps_pk, 32), 0);
	json_decref(md);
	for (i = 0; i < BURST_VMS; i++) {
		struct burst_vm *v = &b->vm[i];
		uint8_t *der;
		size_t len;

		snprintf(v->id, sizeof(v->id), "6f1c2a5e-930d-4b71-8a42-0c5de17730%02u", (unsigned int)i % 100u);
		assert_int_equal(vms_uuid_parse(v->id, v->vm_id), 0);
		t_random(v->key_id, 16);
		t_random(v->tk, 32);
		assert_int_equal(vms_kp_create(&owner, &hgs_g.enc_cert, 1, v->vm_id, v->key_id,
					       VMS_KR_POLICY_SHIELDED, v->tk, &der, &len), 0);
		v->kp = vms_b64_encode(der, len);
		free(der);
	}
}

static void burst_free(struct burst *b)
{
	int i;

	for (i = 0; i < BURST_VMS; i++) {
		free(b->vm[i].kp);
		OPENSSL_cleanse(b->vm[i].tk, 32);
	}
	free(b->cert);
	host_free(&b->h);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

/*
 * A burst of VM starts and renewals spread over the nodes, as a host
 * runs them: each start a roll release (the current TK and a new one)
 * then the confirmation, each renewal the same TK again ("renewal": no
 * roll), every release for a fresh enclave challenge and opened with the
 * host's enclave key. Node B is killed (-9) while a request is in flight
 * there, a third of the way in: no start or renewal fails (clients move
 * to the next URL; the longest stall is printed), every release carries
 * the TK the VM's state is under, and no TK version was incremented
 * twice: each VM's version is its number of starts, one confirmed roll
 * each, nothing pending (the admin API at node C, and the invariant over
 * the whole database).
 */
static void test_kill_node_during_release_burst(void **state)
{
	struct burst b;
	double t0;
	long lost = 0;
	int i, failed = 0, at = 0, starts = 0, renewals = 0;

	(void)state;
	burst_setup(&b, "burst-host");
	b.drop_at = 1;	/* VM 1's first start, at B: its answer is dropped */
	/* a third of the way in, at a start served by B: a roll may be lost */
	for (b.kill_at = BURST_OPS / 3; b.kill_at % N_NODES != 1 ||
	     (b.kill_at / BURST_VMS) % 3; b.kill_at++)
		;
	assert_int_equal(pthread_create(&b.killer, NULL, killer_main, &b), 0);
	t0 = now_ms();
	for (i = 0; i < BURST_OPS; i++) {
		struct burst_vm *v = &b.vm[i % BURST_VMS];
		/* per VM: a start, then two renewals of the key it loaded */
		int start = (i / BURST_VMS) % 3 == 0;

		at = i % N_NODES;	/* B first too once dead: the client is not told */
		if (start ? burst_start(&b, v, &at, i) : burst_renewal(&b, v, &at, i))
			failed++;
		else if (start)
			starts++;
		else
			renewals++;
		if (!b.killed && i >= b.kill_at && b.in_flight_at_b) {
			assert_int_equal(pthread_join(b.killer, NULL), 0);
			waitpid(node[1].pid, NULL, 0);
			node[1].pid = -1;
			b.killed = 1;
		}
	}
	print_message("# %d starts (roll + confirmation) and %d renewals of %d VMs over %d nodes, node B killed in op %d (a start served by B): %d failed, %d retried at the next node, longest stall %.1f ms, %.0f requests/s\n",
		      starts, renewals, BURST_VMS, N_NODES, b.kill_at, failed, b.retries, b.stall,
		      (2 * starts + renewals) * 1000.0 / (now_ms() - t0));
	print_message("# the first request B did not answer: %s of op %d (the kill %s)\n",
		      b.first_lost_path ? b.first_lost_path : "none", b.first_lost_op,
		      b.first_lost_op == b.kill_at ? "landed inside that op" : "came between ops");
	assert_int_equal(failed, 0);
	assert_true(b.killed);
	for (i = 0; i < BURST_VMS; i++) {
		assert_int_equal(b.vm[i].starts, BURST_OPS / BURST_VMS / 3);
		lost += burst_vm_expect(2, &b.vm[i]);
	}
	print_message("# rolls committed whose answer was lost (replaced by the retry's roll of the same version): %ld, %d of them on purpose\n",
		      lost, b.dropped);
	assert_int_equal(b.dropped, 1);
	assert_true(lost >= b.dropped);
	assert_int_equal(t_hgsd_sql(&node[0], NO_VERSION_TWICE_SQL), 0);
	/* the check can fail: a second confirmed roll of version 1 breaks it */
	assert_int_equal(t_hgsd_sql(&node[0],
		"INSERT INTO vm_keys(vm_id, version, key_id, host, released_at, updated_at)\n"
		"VALUES ('check-probe', 1, '', 'x', 0, 0);\n"
		"INSERT INTO vm_key_rolls(vm_id, version, key_id, host, rolled_at, confirmed)\n"
		"VALUES ('check-probe', 1, 'a', 'x', 0, 1), ('check-probe', 2, 'b', 'x', 0, 1)"), 0);
	assert_int_not_equal(t_hgsd_sql(&node[0], NO_VERSION_TWICE_SQL), 0);
	assert_int_equal(t_hgsd_sql(&node[0],
		"DELETE FROM vm_key_rolls WHERE vm_id = 'check-probe';\n"
		"DELETE FROM vm_keys WHERE vm_id = 'check-probe'"), 0);
	assert_int_equal(t_hgsd_sql(&node[0], NO_VERSION_TWICE_SQL), 0);
	/* restart B: it joins with no state of its own to recover */
	vms_hgs_client_close(node[1].cli);
	node[1].cli = NULL;
	vms_hgs_client_close(node[1].adm);
	node[1].adm = NULL;
	assert_int_equal(t_hgsd_start(&node[1]), 0);
	burst_vm_expect(1, &b.vm[0]);
	burst_free(&b);
}

/*
 * A renewal never rolls: one that asks for a roll too is refused at any
 * node (InvalidRequest, naming both fields), releases nothing and changes
 * nothing (the VM's version, pending roll and release count); a renewal
 * with a non-boolean flag likewise.
 */
static void test_renewal_never_rolls(void **state)
{
	static const char vm[] = "6f1c2a5e-930d-4b71-8a42-0c5de17731ff";
	struct burst b;
	struct burst_vm *v;
	char path[96];
	json_t *q, *r, *before, *after;
	uint8_t c[32];
	int at = 0, i;

	(void)state;
	burst_setup(&b, "renewal-host");
	b.kill_at = INT_MAX;	/* no killing here, no answer dropped */
	b.drop_at = -1;
	b.killed = 1;
	v = &b.vm[0];
	snprintf(v->id, sizeof(v->id), "%s", vm);
	assert_int_equal(vms_uuid_parse(v->id, v->vm_id), 0);
	{
		uint8_t *der;
		size_t len;

		free(v->kp);
		assert_int_equal(vms_kp_create(&owner, &hgs_g.enc_cert, 1, v->vm_id, v->key_id,
					       VMS_KR_POLICY_SHIELDED, v->tk, &der, &len), 0);
		v->kp = vms_b64_encode(der, len);
		free(der);
	}
	assert_int_equal(burst_start(&b, v, &at, 0), 0);
	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", vm);
	before = t_hgs_call(node[0].adm, path, NULL, 200, "Passed");
	for (i = 0; i < N_NODES; i++) {
		q = burst_release_req(&b, v, 1, c, &(uint64_t){ 0 });
		json_object_set_new(q, "roll", json_true());
		r = t_hgs_call(node[i].cli, "/v1/kps/release", q, 400, "InvalidRequest");
		assert_null(json_object_get(r, "key_release"));
		assert_non_null(strstr(json_string_value(json_object_get(r, "detail")),
				       "a renewal never rolls"));
		json_decref(r);
		q = burst_release_req(&b, v, 1, c, &(uint64_t){ 0 });
		json_object_set_new(q, "renewal", json_string("yes"));
		json_decref(t_hgs_call(node[i].cli, "/v1/kps/release", q, 400, "InvalidRequest"));
	}
	after = t_hgs_call(node[2].adm, path, NULL, 200, "Passed");
	assert_true(json_equal(json_object_get(before, "vm"), json_object_get(after, "vm")));
	json_decref(before);
	json_decref(after);
	/* the same renewal without the roll: served, version unchanged */
	assert_int_equal(burst_renewal(&b, v, &at, 0), 0);
	burst_vm_expect(1, v);
	burst_free(&b);
}

/* Until node @i answers @path with @http, at most @max_ms: the time taken. */
static double wait_for(int i, const char *path, long want, double max_ms)
{
	double t0 = now_ms();

	for (;;) {
		json_t *r = NULL;
		long http = 0;
		int e = vms_hgs_call(node[i].cli, path, NULL, &http, &r);

		json_decref(r);
		if (!e && http == want)
			return now_ms() - t0;
		if (now_ms() - t0 > max_ms)
			return -1;
		usleep(50000);
	}
}

/*
 * The database stopped: every node refuses what needs it (attestations,
 * releases) with a reason, /v1/health says so; started again, every node
 * serves again by itself. Then read-only: the same, and back.
 */
static void test_database_down_fails_closed(void **state)
{
	struct t_pg *pg = t_hgsd_pg();
	struct host h;
	double t;
	json_t *r;
	int i;

	(void)state;
	assert_non_null(pg);
	host_new(&h, "db-down-host");
	free(cert_of(&h, 0));
	for (i = 1; i < N_NODES; i++)
		free(cert_of(&h, i));
	assert_int_equal(t_pg_stop_server(pg), 0);
	for (i = 0; i < N_NODES; i++) {
		r = attest_at(&h, i, 500, "InternalError");
		assert_null(json_object_get(r, "health_certificate"));
		json_decref(r);
		assert_true(wait_for(i, "/v1/health", 503, 5000) >= 0);
	}
	assert_int_equal(t_pg_start_server(pg), 0);
	for (i = 0; i < N_NODES; i++) {
		json_decref(attest_at(&h, i, 200, "Passed"));
		t = wait_for(i, "/v1/health", 200, 10000);
		assert_true(t >= 0);
	}
	print_message("# database stopped: 3 nodes refused; started again: all serve without a restart\n");

	assert_int_equal(t_pg_sql(pg, "postgres",
				  "ALTER SYSTEM SET default_transaction_read_only = on"), 0);
	assert_int_equal(t_pg_sql(pg, "postgres", "SELECT pg_reload_conf()"), 0);
	usleep(300000);
	for (i = 0; i < N_NODES; i++) {
		r = attest_at(&h, i, 500, "InternalError");
		assert_null(json_object_get(r, "health_certificate"));
		json_decref(r);
	}
	assert_int_equal(t_pg_sql(pg, "postgres",
				  "ALTER SYSTEM RESET default_transaction_read_only"), 0);
	assert_int_equal(t_pg_sql(pg, "postgres", "SELECT pg_reload_conf()"), 0);
	usleep(300000);
	for (i = 0; i < N_NODES; i++)
		json_decref(attest_at(&h, i, 200, "Passed"));
	host_free(&h);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_issued_on_a_used_on_b_replay_on_c),
		cmocka_unit_test(test_tpm_challenge_on_a_answered_on_b_replay_on_c),
		cmocka_unit_test(test_revocation_on_a_enforced_by_b),
		cmocka_unit_test(test_guardian_disabled_on_a_enforced_by_b),
		cmocka_unit_test(test_guardian_added_on_a_released_by_b),
		cmocka_unit_test(test_guardian_bad_change_ignored),
		cmocka_unit_test(test_release_lifetime_per_policy),
		cmocka_unit_test(test_kill_node_during_release_burst),
		cmocka_unit_test(test_renewal_never_rolls),
		cmocka_unit_test(test_database_down_fails_closed),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgsd-cluster", tests, group_setup, group_teardown);
}
