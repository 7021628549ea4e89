// SPDX-License-Identifier: GPL-2.0
/*
 * test_agent_revocation.c - the agent learns its host was revoked
 * (agent/revocation.c) from a real hgsd (hgsd_fixture.h; either store,
 * HGSD_TEST_STORE) and revokes the keys it loaded. The keys here are
 * "user" keys in the agent's keyring (revoking a key is the same
 * keyctl for any type; the module's own keys are the rig's to test).
 *
 * The keys HGS would no longer release (issue 18): the status answer for
 * the keys a host names (a guardian disabled, a roll superseded), its
 * bad inputs, what another host learns (nothing), and the agent revoking
 * exactly the keys named.
 */
#include "testutil.h"

#include <errno.h>
#include <keyutils.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "agent.h"
#include "hgsd_fixture.h"
#include "vms_b64.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_guardian.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

static char top[64];
static struct t_hgsd hgsd = { .pid = -1 };
static struct agent agent;
static struct vms_guardian owner, g1, g2;	/* the tenant; HGS's guardians */

static int group_setup(void **state)
{
	char dir[128];

	(void)state;
	snprintf(top, sizeof(top), "/tmp/vms-agentrev.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(dir, sizeof(dir), "%s/hgs", top);
	if (t_hgsd_init(&hgsd, dir, "threads = 2\n") || t_hgsd_start(&hgsd))
		return -1;
	agent_config_defaults(&agent.cfg);
	snprintf(agent.cfg.urls[0], sizeof(agent.cfg.urls[0]), "https://127.0.0.1:%u", hgsd.port);
	agent.cfg.n_urls = 1;
	snprintf(agent.cfg.ca_file, sizeof(agent.cfg.ca_file), "%s/tls.pem", dir);
	snprintf(agent.cfg.state_dir, sizeof(agent.cfg.state_dir), "%s", top);
	snprintf(agent.cfg.host_name, sizeof(agent.cfg.host_name), "rev-host");
	agent.cfg.attempt_timeout_s = 2;
	agent.cfg.retry_initial_ms = 10;
	agent.cfg.retry_max_ms = 50;
	agent_lifecycle_init(&agent);
	if (hgs_link_init(&agent) || attest_init(&agent) || release_init(&agent))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	t_hgsd_stop(&hgsd, SIGTERM);
	vms_guardian_free(&owner);
	vms_guardian_free(&g1);
	vms_guardian_free(&g2);
	release_free(&agent);
	attest_free(&agent);
	hgs_link_free(&agent);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) ? -1 : 0;
}

/* Register host @name and attest it: its health certificate (base64). */
static char *certificate(const char *name)
{
	return t_host_attest_new(hgsd.adm, hgsd.cli, name, NULL);
}

/* A key in the agent's keyring, remembered as loaded for @vm. */
static key_serial_t load_key(const char *vm)
{
	struct loaded_key *k;
	key_serial_t s = add_key("user", vm, "0123456789abcdef", 16, agent.ring);

	assert_true(s > 0);
	agent.keys = realloc(agent.keys, (agent.n_keys + 1) * sizeof(*agent.keys));
	assert_non_null(agent.keys);
	k = &agent.keys[agent.n_keys++];
	memset(k, 0, sizeof(*k));
	k->serial = s;
	snprintf(k->vm_id, sizeof(k->vm_id), "%s", vm);
	k->expires = time(NULL) + 3600;
	return s;
}

/* 1 if the key @s was revoked (its description can no longer be read). */
static int revoked(key_serial_t s)
{
	char *d = NULL;
	int r = keyctl_describe_alloc(s, &d);

	free(d);
	return r < 0 && errno == EKEYREVOKED;
}

/*
 * The revocation cut-off (issue 18 item 3): every certificate issued before
 * it is revoked, so an agent holding one revokes its keys at the next
 * check (HealthCertificateRevoked). Runs first: the next test stops hgsd.
 */
static void test_cutoff_revokes_keys(void **state)
{
	key_serial_t k;
	char *cert = certificate("cutoff-host");

	(void)state;
	k = load_key("2c7a3c1e-1111-4222-8333-944455556666");
	agent.att.cert_b64 = strdup(cert);
	assert_int_equal(revocation_check(&agent), 0);
	assert_false(revoked(k));

	sleep(1);	/* the cut-off is in seconds: after the issue time */
	t_hgs_call_ok(hgsd.adm, "/v1/admin/policy/set",
		      json_pack("{s:s, s:s}", "name", "revocation_cutoff", "value", "now"));
	assert_int_equal(revocation_check(&agent), 1);
	assert_true(revoked(k));
	assert_int_equal(agent.n_keys, 0);
	assert_null(agent.att.cert_b64);
	t_hgs_call_ok(hgsd.adm, "/v1/admin/policy/set",
		      json_pack("{s:s, s:s}", "name", "revocation_cutoff", "value", "0"));
	free(cert);
}

/* ---------- keys HGS would no longer release ---------- */

#define VM_G2	"5d1e2f30-1111-4222-8333-944455556601"	/* KP to hgs-g2 only */
#define VM_G12	"5d1e2f30-1111-4222-8333-944455556602"	/* KP to both guardians */
#define VM_ROLL	"5d1e2f30-1111-4222-8333-944455556603"	/* rolled by HGS */
#define KID_R1	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"	/* its roll to version 1 */
#define KID_R2	"a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"	/* its roll to version 2 */

/* Guardian @name's certificates from HGS's metadata (enabled ones only). */
static void guardian_of(const char *name, struct vms_guardian *g)
{
	json_t *md = t_hgs_call(hgsd.cli, "/v1/metadata", NULL, 200, "Passed"), *e;
	const char *pem = NULL;
	size_t i;

	json_array_foreach(json_object_get(md, "guardians"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			pem = json_string_value(json_object_get(e, "certificates"));
	assert_non_null(pem);
	assert_int_equal(vms_guardian_from_pem(pem, strlen(pem), NULL, g), 0);
	json_decref(md);
}

/* A KP for @vm to the owner and @n of HGS's guardians; its key id in @kid. */
static uint8_t *make_kp(const char *vm, X509 *const *to, size_t n, char kid[33], size_t *len)
{
	uint8_t vm_id[16], key_id[16], tk[32], *der = NULL;

	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(&owner, to, n, vm_id, key_id, 1, tk, &der, len), 0);
	vms_hex_encode(key_id, 16, kid);
	return der;
}

/* A key loaded for @vm with key id @kid and its KP (@kp, taken). */
static key_serial_t load_key_kp(const char *vm, const char *kid, uint8_t *kp, size_t len)
{
	char desc[80];
	key_serial_t s;
	struct loaded_key *k;

	snprintf(desc, sizeof(desc), "%s-%s", vm, kid);	/* a key of its own */
	s = load_key(desc);
	k = &agent.keys[agent.n_keys - 1];
	snprintf(k->vm_id, sizeof(k->vm_id), "%s", vm);
	snprintf(k->key_id, sizeof(k->key_id), "%s", kid);
	k->kp = kp;
	k->kp_len = len;
	return s;
}

/* The SHA-256 of @g's encryption certificate into @out. */
static const char *fpr_of(const struct vms_guardian *g, char out[VMS_FPR_HEX_LEN])
{
	assert_int_equal(vms_cert_fingerprint(g->enc_cert, out), 0);
	return out;
}

/* POST /v1/host/status with @keys: the answer (its status checked). */
static json_t *status_call(const char *cert, json_t *keys, long http, const char *sub)
{
	json_t *req = json_pack("{s:s}", "health_certificate", cert);

	if (keys)
		json_object_set_new(req, "keys", keys);
	return t_hgs_call(hgsd.cli, "/v1/host/status", req, http, sub);
}

/* The reason HGS names (vm, kid) with in @ans, or NULL. */
static const char *named(json_t *ans, const char *vm, const char *kid)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(ans, "not_releasable"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "vm_id")), vm) &&
		    !strcmp(json_string_value(json_object_get(e, "key_id")), kid))
			return json_string_value(json_object_get(e, "reason"));
	return NULL;
}

/* The roll rows of VM_ROLL: version 1 to @host1, version 2 (acknowledged) to other-host. */
static void seed_rolls(const char *host1)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM vm_key_rolls; DELETE FROM vm_keys;\n"
		 "INSERT INTO vm_keys(vm_id, version, key_id, host, released_at, updated_at)\n"
		 "  VALUES ('%s', 2, '%s', 'other-host', 1, 1);\n"
		 "INSERT INTO vm_key_rolls(vm_id, version, key_id, host, rolled_at, confirmed, confirmed_at)\n"
		 "  VALUES ('%s', 1, '%s', '%s', 1, 1, 1), ('%s', 2, '%s', 'other-host', 2, 1, 2);",
		 VM_ROLL, KID_R2, VM_ROLL, KID_R1, host1, VM_ROLL, KID_R2);
	assert_int_equal(t_hgsd_sql(&hgsd, sql), 0);
}

/*
 * HGS's answer about the keys a host names: a KP whose only guardian of
 * this HGS is disabled is named (KeyProtectorGuardianDisabled), one that
 * also lists an enabled guardian is not; a roll released to this host
 * that the VM moved past is named (KeyProtectorSuperseded), the current
 * one is not. Another host naming the same keys learns nothing of the
 * roll; a made-up key id or VM gets nothing either.
 */
static void test_status_names_keys_not_releasable(void **state)
{
	char *cert = certificate("keys-host"), *other = certificate("nosy-host");
	char kid_g2[33], kid_g12[33], fo[VMS_FPR_HEX_LEN], f1[VMS_FPR_HEX_LEN], f2[VMS_FPR_HEX_LEN];
	uint8_t *kp;
	size_t len;
	json_t *keys, *ans;

	(void)state;
	assert_int_equal(vms_guardian_new("tenant-owner", 30, &owner), 0);
	guardian_of("hgs-guardian-1", &g1);
	t_hgs_call_ok(hgsd.adm, "/v1/admin/guardians/add", json_pack("{s:s}", "name", "hgs-g2"));
	guardian_of("hgs-g2", &g2);
	kp = make_kp(VM_G2, &g2.enc_cert, 1, kid_g2, &len);
	free(kp);
	{
		X509 *both[2] = { g1.enc_cert, g2.enc_cert };

		kp = make_kp(VM_G12, both, 2, kid_g12, &len);
		free(kp);
	}
	seed_rolls("keys-host");
	fpr_of(&owner, fo);
	fpr_of(&g1, f1);
	fpr_of(&g2, f2);
	keys = json_pack("[{s:s, s:s, s:[s, s]}, {s:s, s:s, s:[s, s, s]}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]",
			 "vm_id", VM_G2, "key_id", kid_g2, "guardians", fo, f2,
			 "vm_id", VM_G12, "key_id", kid_g12, "guardians", fo, f1, f2,
			 "vm_id", VM_ROLL, "key_id", KID_R1, "vm_id", VM_ROLL, "key_id", KID_R2,
			 "vm_id", "5d1e2f30-1111-4222-8333-9444555566ff", "key_id", KID_R1);

	/* everything enabled: only the superseded roll is named */
	ans = status_call(cert, json_deep_copy(keys), 200, "Passed");
	assert_int_equal(json_integer_value(json_object_get(ans, "keys_checked")), 5);
	assert_int_equal(json_array_size(json_object_get(ans, "not_releasable")), 1);
	assert_string_equal(named(ans, VM_ROLL, KID_R1), "KeyProtectorSuperseded");
	json_decref(ans);

	/* hgs-g2 disabled: the KP to it alone is named, the one to both is not */
	t_hgs_call_ok(hgsd.adm, "/v1/admin/guardians/disable", json_pack("{s:s}", "name", "hgs-g2"));
	ans = status_call(cert, json_deep_copy(keys), 200, "Passed");
	assert_int_equal(json_array_size(json_object_get(ans, "not_releasable")), 2);
	assert_string_equal(named(ans, VM_G2, kid_g2), "KeyProtectorGuardianDisabled");
	assert_null(named(ans, VM_G12, kid_g12));
	assert_null(named(ans, VM_ROLL, KID_R2));
	json_decref(ans);

	/* another host naming the same keys: the roll was not released to it */
	ans = status_call(other, json_deep_copy(keys), 200, "Passed");
	assert_null(named(ans, VM_ROLL, KID_R1));
	json_decref(ans);
	/* without keys: the answer of before (no key fields) */
	ans = status_call(cert, NULL, 200, "Passed");
	assert_true(json_is_true(json_object_get(ans, "honored")));
	assert_null(json_object_get(ans, "not_releasable"));
	json_decref(ans);
	json_decref(keys);
	free(cert);
	free(other);
}

/*
 * Bad inputs: too many keys, malformed ids, unknown fields: InvalidRequest
 * naming what is wrong, and nothing changes (the same keys are named
 * after). A host HGS revoked learns nothing about its keys.
 */
static void test_status_bad_inputs(void **state)
{
	char *cert = certificate("bad-keys-host");
	json_t *many = json_array(), *ans;
	size_t i;
	const struct {
		const char *json, *detail;
	} bad[] = {
		{ "{}", "keys' must be an array" },
		{ "[7]", "keys[0] must be an object" },
		{ "[{\"vm_id\":\"vm01\",\"key_id\":\"" KID_R1 "\"}]", "keys[0].vm_id must be a UUID" },
		{ "[{\"vm_id\":\"" VM_ROLL "\",\"key_id\":\"a1a1\"}]", "keys[0].key_id must be 32 hex" },
		{ "[{\"vm_id\":\"" VM_ROLL "\",\"key_id\":\"" KID_R1 "\",\"guardians\":[\"zz\"]}]",
		  "keys[0].guardians[0] must be 64 hex" },
		{ "[{\"vm_id\":\"" VM_ROLL "\",\"key_id\":\"" KID_R1 "\",\"guardians\":\"x\"}]",
		  "keys[0].guardians must be an array" },
		{ "[{\"vm_id\":\"" VM_ROLL "\",\"key_id\":\"" KID_R1 "\",\"serial\":1}]",
		  "keys[0]: unknown field" },
	};

	(void)state;
	seed_rolls("bad-keys-host");
	for (i = 0; i < 257; i++)
		json_array_append_new(many, json_pack("{s:s, s:s}", "vm_id", VM_ROLL, "key_id", KID_R1));
	ans = status_call(cert, many, 400, "InvalidRequest");
	assert_non_null(strstr(json_string_value(json_object_get(ans, "detail")), "at most 256 keys"));
	json_decref(ans);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *k = json_loads(bad[i].json, 0, NULL);

		assert_non_null(k);
		ans = status_call(cert, k, 400, "InvalidRequest");
		if (!strstr(json_string_value(json_object_get(ans, "detail")), bad[i].detail))
			fail_msg("%s: detail %s", bad[i].json,
				 json_string_value(json_object_get(ans, "detail")));
		json_decref(ans);
	}
	/* nothing changed: the same key is named as before */
	ans = status_call(cert, json_pack("[{s:s, s:s}]", "vm_id", VM_ROLL, "key_id", KID_R1),
			  200, "Passed");
	assert_string_equal(named(ans, VM_ROLL, KID_R1), "KeyProtectorSuperseded");
	json_decref(ans);
	/* a disabled host: refused, nothing about keys */
	t_hgs_call_ok(hgsd.adm, "/v1/admin/hosts/disable", json_pack("{s:s}", "name", "bad-keys-host"));
	ans = status_call(cert, json_pack("[{s:s, s:s}]", "vm_id", VM_ROLL, "key_id", KID_R1),
			  403, "HostDisabled");
	assert_null(json_object_get(ans, "not_releasable"));
	json_decref(ans);
	free(cert);
}

/*
 * The agent: its poll names the keys it holds; the key whose KP lists only
 * the disabled guardian and the superseded roll are revoked in the module
 * at once and forgotten, counted by reason; the others stay.
 */
static void test_agent_revokes_keys_not_releasable(void **state)
{
	char *cert = certificate("keys-host2");
	char kid_g2[33], kid_g12[33];
	key_serial_t k_g2, k_g12, k_r1, k_r2;
	X509 *both[2] = { g1.enc_cert, g2.enc_cert };
	uint8_t *kp;
	size_t len;
	json_t *st;

	(void)state;
	seed_rolls("keys-host2");
	kp = make_kp(VM_G2, &g2.enc_cert, 1, kid_g2, &len);
	k_g2 = load_key_kp(VM_G2, kid_g2, kp, len);
	kp = make_kp(VM_G12, both, 2, kid_g12, &len);
	k_g12 = load_key_kp(VM_G12, kid_g12, kp, len);
	k_r1 = load_key_kp(VM_ROLL, KID_R1, NULL, 0);
	k_r2 = load_key_kp(VM_ROLL, KID_R2, NULL, 0);
	agent.att.cert_b64 = strdup(cert);
	assert_int_equal(revocation_check(&agent), 0);	/* the host itself is fine */
	assert_true(revoked(k_g2));
	assert_true(revoked(k_r1));
	assert_false(revoked(k_g12));
	assert_false(revoked(k_r2));
	assert_int_equal(agent.n_keys, 2);
	assert_non_null(agent.att.cert_b64);
	st = revocation_status();
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "keys_revoked"),
							    "KeyProtectorGuardianDisabled")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "keys_revoked"),
							    "KeyProtectorSuperseded")), 1);
	json_decref(st);
	/* asked again: nothing more */
	assert_int_equal(revocation_check(&agent), 0);
	assert_false(revoked(k_g12));
	assert_int_equal(agent.n_keys, 2);
	/* for the tests after: no keys, no certificate */
	pthread_mutex_lock(&agent.keys_lock);
	release_forget_all_locked(&agent);
	pthread_mutex_unlock(&agent.keys_lock);
	free(agent.att.cert_b64);
	agent.att.cert_b64 = NULL;
	free(cert);
}

/*
 * More keys than one call names (HOLD_BATCH, 128), each with a KP of 8
 * recipients (about 88 KB of keys: over hgsd's 64 KiB body cap in one
 * call): the agent asks in several calls, and a key in the last one is
 * revoked as well.
 */
static void test_agent_names_keys_in_batches(void **state)
{
	X509 *eight[7] = { g1.enc_cert, g2.enc_cert, g1.enc_cert, g2.enc_cert,
			   g1.enc_cert, g2.enc_cert, g1.enc_cert };
	char *cert = certificate("keys-host3"), vm[37], kid[33];
	key_serial_t last = 0, first = 0;
	unsigned int i;
	uint8_t *kp8;
	size_t len8;
	json_int_t refused;
	json_t *st;

	(void)state;
	seed_rolls("keys-host3");
	kp8 = make_kp(VM_ROLL, eight, 7, kid, &len8);	/* owner + 7 */
	for (i = 0; i < 130; i++) {
		uint8_t *kp = malloc(len8);
		key_serial_t s;

		assert_non_null(kp);
		memcpy(kp, kp8, len8);
		snprintf(vm, sizeof(vm), "6e1e2f30-1111-4222-8333-%012x", i);
		s = load_key_kp(i == 129 ? VM_ROLL : vm, KID_R2, kp, len8);
		if (!i)
			first = s;
		last = s;
	}
	/* the 130th names VM_ROLL's superseded roll */
	snprintf(agent.keys[agent.n_keys - 1].key_id, sizeof(agent.keys[0].key_id), "%s", KID_R1);
	agent.att.cert_b64 = strdup(cert);
	st = revocation_status();
	refused = json_integer_value(json_object_get(st, "calls_refused"));
	json_decref(st);
	assert_int_equal(revocation_check(&agent), 0);
	assert_true(revoked(last));
	assert_false(revoked(first));
	assert_int_equal(agent.n_keys, 129);
	/* every call fitted HGS's body cap: none was refused */
	st = revocation_status();
	assert_int_equal(json_integer_value(json_object_get(st, "calls_refused")), refused);
	json_decref(st);
	free(kp8);
	pthread_mutex_lock(&agent.keys_lock);
	release_forget_all_locked(&agent);
	pthread_mutex_unlock(&agent.keys_lock);
	free(agent.att.cert_b64);
	agent.att.cert_b64 = NULL;
	free(cert);
}

/* ---------- sticking to a live node (agent/hgs_link.c) ---------- */

/* One exchange: any answer of HGS will do (this one is InvalidRequest). */
static int poke(struct vms_hgs_client *c, void *arg, char *err, size_t errlen)
{
	json_t *req = json_object(), *resp = NULL;
	long http = 0;
	int r = hgs_post(c, "/v1/host/status", req, &http, &resp, err, errlen);

	(void)arg;
	json_decref(req);
	json_decref(resp);
	return r;
}

/* One hgs_run() of @ag: it must succeed. */
static void exchange(struct agent *ag)
{
	char err[256];

	assert_int_equal(hgs_run(ag, agent_now() + 20, poke, NULL, err, sizeof(err)), 0);
}

/* Replace hgsd.conf's "port = ..." line of @h so that a restart keeps @port. */
static void pin_port(const struct t_hgsd *h, unsigned int port)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "sed -i 's/^port = .*/port = %u/' %s/hgsd.conf", port, h->dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Two real hgsds, the primary P and the fallback F. P killed (SIGKILL):
 * the next exchange fails at P and is answered by F; the ones after go
 * to F without trying P; once P's back-off is over P is tried first
 * again (still dead: the back-off doubles, F answers); P restarted on
 * its port: after the back-off P answers and is preferred again.
 */
static void test_agent_sticks_to_live_node(void **state)
{
	static struct agent ag;
	struct t_hgsd p = { .pid = -1 }, f = { .pid = -1 };
	char dir[160], cmd[1400];
	unsigned int pport;
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/p", top);
	assert_int_equal(t_hgsd_init(&p, dir, "threads = 1\n"), 0);
	snprintf(dir, sizeof(dir), "%s/f", top);
	assert_int_equal(t_hgsd_init(&f, dir, "threads = 1\n"), 0);
	assert_int_equal(t_hgsd_start(&p), 0);
	assert_int_equal(t_hgsd_start(&f), 0);
	pport = p.port;
	pin_port(&p, pport);
	snprintf(cmd, sizeof(cmd), "cat %s/tls.pem %s/tls.pem > %s/both-ca.pem", p.dir, f.dir, top);
	assert_int_equal(system(cmd), 0);

	agent_config_defaults(&ag.cfg);
	snprintf(ag.cfg.urls[0], sizeof(ag.cfg.urls[0]), "https://127.0.0.1:%u", p.port);
	snprintf(ag.cfg.urls[1], sizeof(ag.cfg.urls[1]), "https://127.0.0.1:%u", f.port);
	ag.cfg.n_urls = 2;
	snprintf(ag.cfg.ca_file, sizeof(ag.cfg.ca_file), "%s/both-ca.pem", top);
	ag.cfg.attempt_timeout_s = 5;
	ag.cfg.retry_initial_ms = 10;
	ag.cfg.retry_max_ms = 50;
	ag.cfg.primary_retry_s = 2;
	agent_lifecycle_init(&ag);
	assert_int_equal(hgs_link_init(&ag), 0);

	exchange(&ag);
	assert_int_equal(ag.url_stat[0].ok, 1);

	t_hgsd_stop(&p, SIGKILL);
	exchange(&ag);	/* P refused, F answered */
	assert_int_equal(ag.url_stat[0].failed, 1);
	assert_int_equal(ag.url_stat[1].ok, 1);
	for (i = 0; i < 5; i++)
		exchange(&ag);
	assert_int_equal(ag.url_stat[0].failed, 1);	/* P not tried again */
	assert_int_equal(ag.url_stat[1].ok, 6);

	sleep(3);	/* past the 2 s back-off: P first again, still dead */
	exchange(&ag);
	assert_int_equal(ag.url_stat[0].failed, 2);
	assert_int_equal(ag.url_stat[1].ok, 7);
	exchange(&ag);	/* within the doubled back-off (4 s): F alone */
	assert_int_equal(ag.url_stat[0].failed, 2);
	assert_int_equal(ag.url_stat[1].ok, 8);

	assert_int_equal(t_hgsd_start(&p), 0);
	assert_int_equal(p.port, pport);
	sleep(5);	/* past the 4 s back-off: P answers, and is preferred again */
	exchange(&ag);
	assert_int_equal(ag.url_stat[0].ok, 2);
	exchange(&ag);
	assert_int_equal(ag.url_stat[0].ok, 3);
	assert_int_equal(ag.url_stat[1].ok, 8);

	hgs_link_free(&ag);
	t_hgsd_stop(&p, SIGTERM);
	t_hgsd_stop(&f, SIGTERM);
}

/*
 * Honored: nothing happens. Host disabled at HGS: the next check revokes
 * every loaded key and drops the certificate. HGS unreachable: nothing
 * happens (the keys expire with their releases).
 */
static void test_revoked_host_revokes_its_keys(void **state)
{
	key_serial_t k1, k2, k3;
	char *cert = certificate("rev-host");

	(void)state;
	k1 = load_key("6f1c2a5e-930d-4b71-8a42-0c5de177309b");
	k2 = load_key("0b7a3c1e-1111-4222-8333-944455556666");
	agent.att.cert_b64 = strdup(cert);
	assert_int_equal(revocation_check(&agent), 0);
	assert_false(revoked(k1));
	assert_int_equal(agent.n_keys, 2);

	t_hgs_call_ok(hgsd.adm, "/v1/admin/hosts/disable", json_pack("{s:s}", "name", "rev-host"));
	assert_int_equal(revocation_check(&agent), 1);
	assert_true(revoked(k1));
	assert_true(revoked(k2));
	assert_int_equal(agent.n_keys, 0);
	assert_null(agent.att.cert_b64);

	/* no certificate: nothing to ask */
	assert_int_equal(revocation_check(&agent), 0);
	/* HGS unreachable: the keys stay */
	k3 = load_key("1b7a3c1e-1111-4222-8333-944455556666");
	agent.att.cert_b64 = strdup(cert);
	t_hgsd_stop(&hgsd, SIGTERM);
	assert_int_equal(revocation_check(&agent), 0);
	assert_false(revoked(k3));
	assert_int_equal(agent.n_keys, 1);
	free(cert);
}

/*
 * Live migration's source ({"op":"migrated"}, agent/migrate.c): the
 * VM's keys this peer holds are revoked before anything else, whatever
 * happens next (here: no module, so no certificate to tell KPS with:
 * the answer says so); another peer's key of the VM and the other VMs'
 * keys stay; root's request reaches every key of the VM; a VM with no
 * key here is refused.
 */
/* A key of @vm for @uid, under its own description (@tag). */
static key_serial_t load_key_for(const char *vm, const char *tag, uid_t uid)
{
	char desc[64];
	key_serial_t s;

	snprintf(desc, sizeof(desc), "%s-%s", tag, vm);
	s = load_key(desc);
	snprintf(agent.keys[agent.n_keys - 1].vm_id, sizeof(agent.keys[0].vm_id), "%s", vm);
	agent.keys[agent.n_keys - 1].uid = uid;
	return s;
}

static void test_migrated_revokes_the_vms_keys(void **state)
{
	const char *vm = "2c7a3c1e-1111-4222-8333-944455556666";
	struct agent_request rq = { .op = AGENT_OP_MIGRATED };
	key_serial_t mine, other_uid, other_vm;
	json_t *ans;

	(void)state;
	mine = load_key_for(vm, "w1000", 1000);
	agent.keys[agent.n_keys - 1].pending_version = 3;
	other_uid = load_key_for(vm, "w1001", 1001);
	other_vm = load_key_for("3c7a3c1e-1111-4222-8333-944455556666", "w1000", 1000);
	snprintf(rq.vm_id, sizeof(rq.vm_id), "%s", vm);
	ans = migrated_for_peer(&agent, &rq, 1000);
	assert_string_equal(json_string_value(json_object_get(ans, "status")), "Failed");
	assert_string_equal(json_string_value(json_object_get(ans, "source")), "module");
	json_decref(ans);
	assert_true(revoked(mine));
	assert_false(revoked(other_uid));
	assert_false(revoked(other_vm));
	/* never renewed, never confirmed from here */
	assert_true(agent.keys[agent.n_keys - 3].superseded);
	assert_int_equal(agent.keys[agent.n_keys - 3].pending_version, 0);
	assert_false(agent.keys[agent.n_keys - 1].superseded);
	/* root: every key of the VM */
	ans = migrated_for_peer(&agent, &rq, 0);
	json_decref(ans);
	assert_true(revoked(other_uid));
	assert_false(revoked(other_vm));
	/* a VM this agent holds no key of, for that peer */
	snprintf(rq.vm_id, sizeof(rq.vm_id), "%s", "4c7a3c1e-1111-4222-8333-944455556666");
	ans = migrated_for_peer(&agent, &rq, 1000);
	assert_string_equal(json_string_value(json_object_get(ans, "substatus")), "NoKeyForVm");
	json_decref(ans);
	snprintf(rq.vm_id, sizeof(rq.vm_id), "%s", vm);
	ans = migrated_for_peer(&agent, &rq, 1002);
	assert_string_equal(json_string_value(json_object_get(ans, "substatus")), "NoKeyForVm");
	json_decref(ans);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cutoff_revokes_keys),
		cmocka_unit_test(test_status_names_keys_not_releasable),
		cmocka_unit_test(test_status_bad_inputs),
		cmocka_unit_test(test_agent_revokes_keys_not_releasable),
		cmocka_unit_test(test_agent_names_keys_in_batches),
		cmocka_unit_test(test_agent_sticks_to_live_node),
		cmocka_unit_test(test_revoked_host_revokes_its_keys),
		cmocka_unit_test(test_migrated_revokes_the_vms_keys),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("agent-revocation", tests, group_setup, group_teardown);
}
