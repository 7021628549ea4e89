// SPDX-License-Identifier: GPL-2.0
/*
 * test_agent_revocation.c - the agent learns its host was revoked
 * (agent/revocation.c) from a real hgsd (hgsd_fixture.h; either store,
 * HGSD_TEST_STORE) and revokes the keys it loaded. The keys here are
 * "user" keys in the agent's keyring (revoking a key is the same
 * keyctl for any type; the module's own keys are the rig's to test).
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
#include "vms_keyfile.h"
#include "vms_x509.h"

static char top[64];
static struct t_hgsd hgsd = { .pid = -1 };
static struct agent agent;

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
	release_free(&agent);
	attest_free(&agent);
	hgs_link_free(&agent);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) ? -1 : 0;
}

/* Register "rev-host" and attest it: its health certificate (base64). */
static char *certificate(void)
{
	EVP_PKEY *key = vms_pkey_gen_ed25519();
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], pkhex[65], *pem = NULL, *sig64, *cert;
	uint8_t esk[32], epk[32], *raw, *sig;
	size_t len, siglen;
	const char *b64;
	json_t *n, *r;

	assert_non_null(key);
	assert_int_equal(vms_x25519_keygen(esk, epk), 0);
	assert_int_equal(vms_pkey_to_pem(key, &pem), 0);
	t_hgs_call_ok(hgsd.adm, "/v1/admin/hosts/add",
		      json_pack("{s:s, s:s}", "name", "rev-host", "public_key", pem));
	free(pem);
	n = t_hgs_call(hgsd.cli, "/v1/attest/nonce", json_object(), 200, "Passed");
	b64 = json_string_value(json_object_get(n, "nonce"));
	assert_int_equal(vms_b64_decode(b64, strlen(b64), 32, &raw, &len), 0);
	rep.placement = VMSHIELD_PLACEMENT_KERNEL;
	rep.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = 1;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, epk, 32);
	assert_true(vms_report_format(&rep, report, sizeof(report)) > 0);
	assert_int_equal(vms_attest_sign(key, raw, epk, report, strlen(report), &sig, &siglen), 0);
	sig64 = vms_b64_encode(sig, siglen);
	vms_hex_encode(epk, 32, pkhex);
	r = t_hgs_call(hgsd.cli, "/v1/attest",
		       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "session",
				 json_string_value(json_object_get(n, "session")), "nonce", b64,
				 "host", "rev-host", "enclave_pk", pkhex, "report", report,
				 "signature", sig64), 200, "Passed");
	cert = strdup(json_string_value(json_object_get(r, "health_certificate")));
	json_decref(n);
	json_decref(r);
	free(raw);
	free(sig);
	free(sig64);
	EVP_PKEY_free(key);
	return cert;
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
 * Honored: nothing happens. Host disabled at HGS: the next check revokes
 * every loaded key and drops the certificate. HGS unreachable: nothing
 * happens (the keys expire with their releases).
 */
static void test_revoked_host_revokes_its_keys(void **state)
{
	key_serial_t k1, k2, k3;
	char *cert = certificate();

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
		cmocka_unit_test(test_revoked_host_revokes_its_keys),
		cmocka_unit_test(test_migrated_revokes_the_vms_keys),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("agent-revocation", tests, group_setup, group_teardown);
}
