// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_move.c - `hgsd --migrate-store FROM TO` (hgsd/store_move.c):
 * a single node's SQLite store moved into a private PostgreSQL
 * (pg_fixture.h), then the same node (same keys/) run on it. What must
 * hold after the move: the hosts with their state (a disabled host stays
 * refused), a certificate issued before the move still honored and a KP
 * to the HGS's guardian still released (the keys were kept), the TK
 * versions, the revocation cut-off, a spent nonce still spent, the audit
 * chain intact; a second move into the same database is refused and
 * changes nothing; bad arguments are refused. PostgreSQL always: it runs
 * in check-pg (and SAN=1's check), not in check-unit.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "hgsd_fixture.h"
#include "pg_fixture.h"
#include "vms_audit_chain.h"
#include "vms_b64.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_kp.h"
#include "vms_keyfile.h"
#include "vms_x509.h"

#define VM1	"7b2c3d4e-1111-4222-8333-944455556601"
#define VM_ROLL	"7b2c3d4e-1111-4222-8333-944455556602"
#define KID_R	"b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
#define CHALLENGE "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

static char top[64];
static struct t_hgsd hgsd = { .pid = -1 };

static int run_cmd(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int group_setup(void **state)
{
	char dir[128];

	(void)state;
	unsetenv("HGSD_TEST_STORE");	/* the source is a single node's SQLite file */
	snprintf(top, sizeof(top), "/tmp/vms-hgsmove.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(dir, sizeof(dir), "%s/hgs", top);
	return t_hgsd_init(&hgsd, dir, "threads = 2\n") || t_hgsd_start(&hgsd) ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	t_hgsd_stop(&hgsd, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) ? -1 : 0;
}

/*
 * Register @name and attest it: its certificate (base64); the attest
 * request, to replay, in *@replay.
 */
static char *certificate(const char *name, json_t **replay)
{
	return t_host_attest_new(hgsd.adm, hgsd.cli, name, replay);
}

/* A KP for VM1 to the owner and HGS's primary guardian (from metadata). */
static char *make_kp(struct vms_guardian *owner)
{
	struct vms_guardian g = { 0 };
	json_t *md = t_hgs_call(hgsd.cli, "/v1/metadata", NULL, 200, "Passed");
	const char *pem = json_string_value(json_object_get(json_array_get(
		json_object_get(md, "guardians"), 0), "certificates"));
	uint8_t vm_id[16], key_id[16], tk[32], *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_guardian_from_pem(pem, strlen(pem), NULL, &g), 0);
	json_decref(md);
	assert_int_equal(vms_uuid_parse(VM1, vm_id), 0);
	t_random(key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create(owner, &g.enc_cert, 1, vm_id, key_id, 1, tk, &der, &len), 0);
	b64 = vms_b64_encode(der, len);
	free(der);
	vms_guardian_free(&g);
	return b64;
}

static json_t *release_req(const char *cert, const char *kp)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "health_certificate", cert,
			 "key_protector", kp, "vm_id", VM1, "enclave_challenge", CHALLENGE,
			 "challenge_ns", (json_int_t)5000000000LL);
}

/* The audit rows (oldest first) and the chain checked as shieldctl does. */
static json_t *audit_checked(void)
{
	json_t *a = t_hgs_call(hgsd.adm, "/v1/admin/audit?since=0&limit=10000", NULL, 200,
			       "Passed"), *rows = json_incref(json_object_get(a, "audit")), *row;
	char prev[VMS_AUDIT_HASH_HEX] = "", hash[VMS_AUDIT_HASH_HEX];
	size_t i;

	json_decref(a);
	json_array_foreach(rows, i, row) {
		struct vms_audit_row r = {
			.at = json_integer_value(json_object_get(row, "at")),
			.node = json_string_value(json_object_get(row, "node")),
			.who = json_string_value(json_object_get(row, "who")),
			.action = json_string_value(json_object_get(row, "action")),
			.detail = json_string_value(json_object_get(row, "detail")),
			.result = json_string_value(json_object_get(row, "result")),
			.prev_hash = json_string_value(json_object_get(row, "prev_hash")),
		};

		assert_string_equal(r.prev_hash, prev);
		assert_int_equal(vms_audit_row_hash(&r, hash), 0);
		assert_string_equal(hash, json_string_value(json_object_get(row, "hash")));
		snprintf(prev, sizeof(prev), "%s", hash);
	}
	return rows;
}

/* `hgsd --migrate-store FROM TO`: its exit status, its output in @out. */
static int run_move(const char *from, const char *to, char *out, size_t len)
{
	char cmd[6000], path[160];
	FILE *f;
	size_t n;
	int r;

	snprintf(path, sizeof(path), "%s/migrate.out", top);
	snprintf(cmd, sizeof(cmd), "'%s' --migrate-store '%s' '%s' > %s 2>&1", hgsd.bin, from, to,
		 path);
	r = run_cmd(cmd);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
	return r;
}

static json_int_t host_enabled(const char *name)
{
	json_t *l = t_hgs_call(hgsd.adm, "/v1/admin/hosts", NULL, 200, "Passed"), *e;
	json_int_t en = -1;
	size_t i;

	json_array_foreach(json_object_get(l, "hosts"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			en = json_integer_value(json_object_get(e, "enabled"));
	json_decref(l);
	return en;
}

static void test_move_sqlite_to_postgresql(void **state)
{
	struct vms_guardian owner = { 0 };
	char *cert_ok, *cert_off, *kp, src[700], dst[700], conninfo[512], out[8192], cmd[1400];
	json_t *replay_ok, *replay_off, *before, *after, *st;
	struct t_pg *pg;
	size_t i;

	(void)state;
	/* a single node with some of everything */
	assert_int_equal(vms_guardian_new("tenant-owner", 30, &owner), 0);
	cert_ok = certificate("move-host", &replay_ok);
	cert_off = certificate("move-off", &replay_off);
	kp = make_kp(&owner);
	json_decref(t_hgs_call(hgsd.cli, "/v1/kps/release", release_req(cert_ok, kp), 200, "Passed"));
	t_hgs_call_ok(hgsd.adm, "/v1/admin/hosts/disable", json_pack("{s:s}", "name", "move-off"));
	t_hgs_call_ok(hgsd.adm, "/v1/admin/guardians/add", json_pack("{s:s}", "name", "hgs-g2"));
	t_hgs_call_ok(hgsd.adm, "/v1/admin/policy/set",
		      json_pack("{s:s, s:s}", "name", "revocation_cutoff", "value", "1000"));
	snprintf(cmd, sizeof(cmd),
		 "INSERT INTO vm_keys(vm_id, version, key_id, host, released_at, updated_at)\n"
		 "  VALUES ('%s', 3, '%s', 'move-host', 1, 1);", VM_ROLL, KID_R);
	assert_int_equal(t_hgsd_sql(&hgsd, cmd), 0);
	/* the vTPM generation HGS holds (issue 21): a move that lost it would let older state open */
	snprintf(cmd, sizeof(cmd),
		 "INSERT INTO vm_vtpm(vm_id, generation, boot_id, host, updated_at)\n"
		 "  VALUES ('%s', 7, 'boot-before-move', 'move-host', 1);", VM_ROLL);
	assert_int_equal(t_hgsd_sql(&hgsd, cmd), 0);
	before = audit_checked();
	t_hgsd_stop(&hgsd, SIGTERM);

	/* moved into a new PostgreSQL database */
	pg = t_hgsd_pg();
	assert_non_null(pg);
	assert_int_equal(t_pg_createdb(pg, "moved", conninfo, sizeof(conninfo)), 0);
	snprintf(src, sizeof(src), "%s/hgsd.db", hgsd.dir);
	snprintf(dst, sizeof(dst), "postgresql:%s", conninfo);
	if (run_move(src, dst, out, sizeof(out)))
		fail_msg("hgsd --migrate-store failed: %s",
			 strstr(out, "hgsd --migrate-store:") ?: out);
	print_message("# %s", strstr(out, "hgsd --migrate-store: done") ?: out);
	assert_non_null(strstr(out, "hgsd --migrate-store: hosts: 2 rows"));
	assert_non_null(strstr(out, "hgsd --migrate-store: guardians: 2 rows"));
	assert_non_null(strstr(out, "hgsd --migrate-store: vm_vtpm: 1 rows"));
	assert_non_null(strstr(out, "counted again in the target"));
	assert_null(strstr(out, conninfo));	/* a conninfo is never printed */

	/* the same node (same keys/) on the moved store */
	snprintf(cmd, sizeof(cmd), "printf 'store = %s\\n' >> %s/hgsd.conf", dst, hgsd.dir);
	assert_int_equal(run_cmd(cmd), 0);
	assert_int_equal(t_hgsd_start(&hgsd), 0);
	st = t_hgs_call(hgsd.adm, "/v1/admin/status", NULL, 200, "Passed");
	json_decref(st);
	assert_int_equal(host_enabled("move-host"), 1);
	assert_int_equal(host_enabled("move-off"), 0);
	json_decref(t_hgs_call(hgsd.cli, "/v1/kps/release", release_req(cert_ok, kp), 200, "Passed"));
	json_decref(t_hgs_call(hgsd.cli, "/v1/kps/release", release_req(cert_off, kp), 403,
			       "HostDisabled"));
	json_decref(t_hgs_call(hgsd.cli, "/v1/attest", json_deep_copy(replay_ok), 403,
			       "NonceReplayed"));
	st = t_hgs_call(hgsd.adm, "/v1/admin/vms/status/" VM_ROLL, NULL, 200, "Passed");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "vm"), "version")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "vm"),
							    "vtpm_generation")), 7);
	json_decref(st);
	st = t_hgs_call(hgsd.adm, "/v1/admin/policy", NULL, 200, "Passed");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "policy"),
							    "revocation_cutoff")), 1000);
	json_decref(st);
	/* new rows after the move: identities past the moved ids, the chain goes on */
	{
		uint8_t d[32];
		char hex[65];

		t_random(d, 32);
		vms_hex_encode(d, 32, hex);
		t_hgs_call_ok(hgsd.adm, "/v1/admin/workers/add",
			      json_pack("{s:s, s:s}", "digest", hex, "description", "after the move"));
	}
	after = audit_checked();	/* the chain still verifies, across the move */
	assert_true(json_array_size(after) > json_array_size(before));
	for (i = 0; i < json_array_size(before); i++)
		assert_true(json_equal(json_array_get(before, i), json_array_get(after, i)));

	/* a second move into it: refused, nothing changed */
	t_hgsd_stop(&hgsd, SIGTERM);
	assert_int_equal(run_move(src, dst, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "the target is not empty"));
	assert_non_null(strstr(out, "the target is unchanged"));
	assert_int_equal(t_hgsd_start(&hgsd), 0);
	assert_int_equal(host_enabled("move-off"), 0);
	json_decref(audit_checked());

	json_decref(before);
	json_decref(after);
	json_decref(replay_ok);
	json_decref(replay_off);
	vms_guardian_free(&owner);
	free(cert_ok);
	free(cert_off);
	free(kp);
}

/* Bad arguments: each refused with what is wrong, nothing created. */
static void test_move_refusals(void **state)
{
	char out[4096], path[200], conninfo[512], dst[700];
	struct t_pg *pg = t_hgsd_pg();

	(void)state;
	assert_non_null(pg);
	assert_int_equal(t_pg_createdb(pg, "moved2", conninfo, sizeof(conninfo)), 0);
	snprintf(dst, sizeof(dst), "postgresql:%s", conninfo);
	snprintf(path, sizeof(path), "%s/hgs/hgsd.db", top);
	assert_int_equal(run_move(path, path, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "the same store"));
	snprintf(path, sizeof(path), "%s/empty.db", top);
	fclose(fopen(path, "w"));	/* an empty file: SQLite reads it as a database without tables */
	assert_int_equal(run_move(path, dst, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no HGS store"));
	assert_int_equal(t_pg_sql(pg, "moved2", "SELECT 1 FROM hosts"), -1);	/* not even migrated */
	assert_int_equal(run_move("/nonexistent/dir/hgsd.db", dst, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "the source store cannot be opened"));
	snprintf(path, sizeof(path), "%s/hgs/hgsd.db", top);
	assert_int_equal(run_move(path, "postgresql:host=127.0.0.1 port=1 dbname=x connect_timeout=2",
				 out, sizeof(out)), 1);
	assert_non_null(strstr(out, "the target store cannot be opened"));
	assert_int_equal(run_move(path, "", out, sizeof(out)), 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move_sqlite_to_postgresql),
		cmocka_unit_test(test_move_refusals),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgsd-move", tests, group_setup, group_teardown);
}
