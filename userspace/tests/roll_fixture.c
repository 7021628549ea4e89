// SPDX-License-Identifier: GPL-2.0
/*
 * roll_fixture.c - the hgsd, hosts, KPs and requests test_hgsd_roll and
 * test_hgsd_migrate share (roll_fixture.h).
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/vmshield.h>

#include "keyrelease.h"
#include "roll_fixture.h"
#include "vms_b64.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

struct t_hgsd hgsd = { .pid = -1 };
struct vms_hgs_client *cli, *adm;
struct vms_guardian hgs_g;
struct vms_guardian owner;

void start_hgsd(void)
{
	assert_int_equal(t_hgsd_start(&hgsd), 0);
	cli = hgsd.cli;
	adm = hgsd.adm;
}

void stop_hgsd(int sig)
{
	t_hgsd_stop(&hgsd, sig);
	cli = adm = NULL;
}

int rf_setup(char *tmpl, size_t size)
{
	uint8_t digest[32];
	char hex[65];
	json_t *md;
	const char *pem;

	if (!mkdtemp(tmpl) || strlen(tmpl) + 5 > size)
		return -1;
	strcat(tmpl, "/hgs");
	if (t_hgsd_init(&hgsd, tmpl, "threads = 2\nconnection_timeout_s = 2\n"))
		return -1;
	start_hgsd();
	if (vms_guardian_new("tenant-owner", 30, &owner))
		return -1;
	md = t_hgs_call(cli, "/v1/metadata", NULL, 200, "Passed");
	pem = json_string_value(json_object_get(json_array_get(json_object_get(md, "guardians"), 0),
						"certificates"));
	if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &hgs_g))
		return -1;
	json_decref(md);
	t_random(digest, 32);
	vms_hex_encode(digest, 32, hex);
	t_hgs_call_ok(adm, "/v1/admin/workers/add", json_pack("{s:s}", "digest", hex));
	return 0;
}

int rf_teardown(const char *tmpl)
{
	char cmd[256];

	stop_hgsd(SIGTERM);
	vms_guardian_free(&owner);
	vms_guardian_free(&hgs_g);
	if (getenv("HGSD_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(tmpl) - 4), tmpl);
	return system(cmd) ? -1 : 0;
}

void host_attest(struct host *h)
{
	h->key = vms_pkey_gen_p256();
	assert_non_null(h->key);
	assert_int_equal(vms_x25519_keygen(h->esk, h->epk), 0);
	h->cert = t_host_attest(adm, cli, h->name, h->key, h->epk, NULL);
}

void host_free(struct host *h)
{
	EVP_PKEY_free(h->key);
	free(h->cert);
	h->key = NULL;
	h->cert = NULL;
}

char *make_kp_policy(const char *vm, unsigned int policy, uint8_t tk[32])
{
	uint8_t vm_id[16], key_id[16], *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(&owner, &hgs_g.enc_cert, 1, vm_id, key_id,
				       policy, tk, &der, &len), 0);
	b64 = vms_b64_encode(der, len);
	free(der);
	return b64;
}

char *make_kp(const char *vm, uint8_t tk[32])
{
	return make_kp_policy(vm, VMS_KR_POLICY_SHIELDED, tk);
}

json_t *release_req(const struct host *h, const char *kp, const char *vm, int roll)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "health_certificate", h->cert,
			 "key_protector", kp, "vm_id", vm, "enclave_challenge", RF_CHALLENGE,
			 "challenge_ns", (json_int_t)RF_CHALLENGE_NS, "roll", roll);
}

json_t *renewal_req(const struct host *h, const char *kp, const char *vm)
{
	json_t *r = release_req(h, kp, vm, 0);

	assert_int_equal(json_object_set_new(r, "renewal", json_true()), 0);
	return r;
}

json_t *confirm_req(const struct host *h, const char *vm, uint64_t v, const uint8_t kid[16])
{
	char hex[33];

	vms_hex_encode(kid, 16, hex);
	return json_pack("{s:s, s:s, s:I, s:s}", "health_certificate", h->cert, "vm_id", vm,
			 "tk_version", (json_int_t)v, "key_id", hex);
}

void rolled_free(struct rolled *r)
{
	free(r->kp);
	free(r->blob);
	memset(r, 0, sizeof(*r));
}

void open_rolled(const struct host *h, json_t *ans, const char *vm, struct rolled *out)
{
	const char *rel = json_string_value(json_object_get(ans, "key_release"));
	const char *kps = json_string_value(json_object_get(ans, "kps_public_key"));
	struct vms_kr_binding b;
	uint8_t kps_pk[32], vm_id[16];
	char kid[33];

	memset(out, 0, sizeof(*out));
	assert_non_null(rel);
	assert_int_equal(vms_hex_decode_exact(kps, kps_pk, 32), 0);
	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_ROLL_MAX_LEN, &out->blob,
					&out->blob_len), 0);
	assert_int_equal(vms_kr_open_roll(out->blob, out->blob_len, h->esk, h->epk, kps_pk,
					  vm_id, &b, out->tk, out->tk_next), 0);
	memcpy(out->key_id, b.key_id, 16);
	memcpy(out->next_key_id, b.next_key_id, 16);
	out->version = (uint64_t)json_integer_value(json_object_get(ans, "tk_version"));
	out->next_version = (uint64_t)json_integer_value(json_object_get(ans, "next_tk_version"));
	assert_int_equal(out->next_version, out->version + 1);
	out->kp = strdup(json_string_value(json_object_get(ans, "key_protector")));
	vms_hex_encode(b.next_key_id, 16, kid);
	assert_string_equal(kid, json_string_value(json_object_get(ans, "next_key_id")));
}

void roll_ok(const struct host *h, const char *kp, const char *vm, struct rolled *out)
{
	json_t *r = t_hgs_call(cli, "/v1/kps/release", release_req(h, kp, vm, 1), 200, "Passed");

	open_rolled(h, r, vm, out);
	json_decref(r);
}

void release_expect(const struct host *h, const char *kp, const char *vm, int roll,
		    long http, const char *sub)
{
	json_t *r = t_hgs_call(cli, "/v1/kps/release", release_req(h, kp, vm, roll), http, sub);

	assert_null(json_object_get(r, "key_release"));
	assert_null(json_object_get(r, "key_protector"));
	json_decref(r);
}

void confirm_roll(const struct host *h, const char *vm, const struct rolled *r, int unchanged)
{
	json_t *a = t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(h, vm, r->next_version, r->next_key_id), 200, "Passed");

	assert_int_equal(json_is_true(json_object_get(a, "unchanged")), unchanged);
	json_decref(a);
}
