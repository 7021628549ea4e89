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
 *   release_lifetime_per_policy               set at A, released so by B
 *   kill_node_during_release_burst            clients move to the next URL
 *   database_down_fails_closed                stopped, then read-only
 *
 * The client's failover mirrors the agent's (agent/hgs_link.c): the URLs
 * in order, the next one on a transport error.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
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
	char cmd[1024];

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
	for (i = 1; i < N_NODES; i++)
		if (clone_node(i))
			return -1;
	for (i = 0; i < N_NODES; i++)
		if (t_hgsd_start(&node[i]))
			return -1;
	if (vms_guardian_new("tenant-owner", 30, &owner))
		return -1;
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
	const char *b64 = json_string_value(json_object_get(nonce_resp, "nonce"));
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], pkhex[65], *sig64;
	uint8_t *raw, *sig;
	size_t len, siglen;
	json_t *req;

	assert_int_equal(vms_b64_decode(b64, strlen(b64), 32, &raw, &len), 0);
	rep.placement = VMSHIELD_PLACEMENT_KERNEL;
	rep.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = 1;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, h->epk, 32);
	assert_true(vms_report_format(&rep, report, sizeof(report)) > 0);
	assert_int_equal(vms_attest_sign(h->key, raw, h->epk, report, strlen(report), &sig,
					 &siglen), 0);
	sig64 = vms_b64_encode(sig, siglen);
	vms_hex_encode(h->epk, 32, pkhex);
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
			"session", json_string_value(json_object_get(nonce_resp, "session")),
			"nonce", b64, "host", h->name, "enclave_pk", pkhex, "report", report,
			"signature", sig64);
	free(raw);
	free(sig);
	free(sig64);
	return req;
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

static char *make_kp_policy(const char *vm, uint32_t policy)
{
	uint8_t vm_id[16], key_id[16], tk[32], *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(&owner, &hgs_g.enc_cert, 1, vm_id, key_id,
				       policy, tk, &der, &len), 0);
	OPENSSL_cleanse(tk, sizeof(tk));
	b64 = vms_b64_encode(der, len);
	free(der);
	return b64;
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
 * A host disabled at node A: node B refuses its attestation and its
 * releases within the bound (measured from A's answer; printed).
 */
static void test_revocation_on_a_enforced_by_b(void **state)
{
	struct host h;
	char *cert, *kp;
	double t0, waited = 0;
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
	while (!refused && (waited = now_ms() - t0) < 5000) {
		json_t *q = release_req(cert, kp);

		r = NULL;
		assert_int_equal(vms_hgs_call(node[1].cli, "/v1/kps/release", q, &http, &r), 0);
		json_decref(q);
		refused = http == 403;
		if (refused)
			assert_string_equal(vms_hgs_substatus(r), "HostDisabled");
		else
			assert_int_equal(http, 200);
		json_decref(r);
		if (!refused)
			usleep(10000);
	}
	print_message("# revocation at node A refused by node B's KPS after %.0f ms (bound %d ms)\n",
		      waited, REVOCATION_BOUND_MS);
	assert_true(refused);
	assert_true(waited <= REVOCATION_BOUND_MS);
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

/* A release at the first node that answers, the next URL on a transport error. */
static int release_with_failover(int *at, const char *cert, const char *kp, double *stall)
{
	int tries;

	for (tries = 0; tries < 2 * N_NODES; tries++) {
		double t0 = now_ms();
		json_t *q, *r = NULL;
		long http = 0;
		int e;

		q = release_req(cert, kp);
		e = vms_hgs_call(node[*at].cli, "/v1/kps/release", q, &http, &r);
		json_decref(q);
		if (!e && http != 200)
			print_message("# release at node %d: HTTP %ld %s\n", *at, http,
				      vms_hgs_substatus(r));
		json_decref(r);
		if (now_ms() - t0 > *stall)
			*stall = now_ms() - t0;
		if (!e)
			return http == 200 ? 0 : -1;
		*at = (*at + 1) % N_NODES;	/* transport error: the next URL */
	}
	return -1;
}

/*
 * A burst of releases spread over the nodes; node B is killed (-9) in the
 * middle: no release fails, the longest stall is printed, and the store
 * holds one release event per release served.
 */
static void test_kill_node_during_release_burst(void **state)
{
	const int total = 150;
	double stall = 0, t0 = now_ms();
	struct host h;
	char *cert, *kp;
	int i, failed = 0, at = 0;

	(void)state;
	host_new(&h, "burst-host");
	for (i = 1; i < N_NODES; i++)	/* every node knows it */
		free(cert_of(&h, i));
	cert = cert_of(&h, 0);
	kp = make_kp(VM1);
	for (i = 0; i < total; i++) {
		at = i % N_NODES;
		if (i == total / 3) {	/* the client is not told */
			kill(node[1].pid, SIGKILL);
			waitpid(node[1].pid, NULL, 0);
			node[1].pid = -1;
		}
		if (release_with_failover(&at, cert, kp, &stall))
			failed++;
	}
	print_message("# %d releases over %d nodes, node B killed at release %d: %d failed, longest stall %.1f ms, %.0f releases/s\n",
		      total, N_NODES, total / 3, failed, stall, total * 1000.0 / (now_ms() - t0));
	assert_int_equal(failed, 0);
	/* restart B: it joins with no state of its own to recover */
	vms_hgs_client_close(node[1].cli);
	node[1].cli = NULL;
	vms_hgs_client_close(node[1].adm);
	node[1].adm = NULL;
	assert_int_equal(t_hgsd_start(&node[1]), 0);
	free(cert);
	free(kp);
	host_free(&h);
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
		cmocka_unit_test(test_release_lifetime_per_policy),
		cmocka_unit_test(test_kill_node_during_release_burst),
		cmocka_unit_test(test_database_down_fails_closed),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgsd-cluster", tests, group_setup, group_teardown);
}
