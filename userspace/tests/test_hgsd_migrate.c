// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_migrate.c - live migration, HGS's side, against a real hgsd
 * (issue 20; Documentation/migration.md §2): the destination's migrate
 * request gets the VM's current TK and the next one wrapped to its own
 * enclave, confirms, the source says it is done, and from then on the
 * source's KP is superseded; a destination that is not registered or has
 * no valid certificate, the source itself, a migration racing a pending
 * roll and a stale source get nothing and change nothing; a captured
 * release is useless to the other enclave and after the migration; hgsd
 * SIGKILLed at each step HGS decides leaves one valid version.
 * HGSD_TEST_STORE=postgresql runs the same against PostgreSQL.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "hgsd_fixture.h"
#include "roll_fixture.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "vms_b64.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define VM_HAPPY	"8b3c4d5e-2222-4333-8444-a55566667701"
#define VM_NOCERT	"8b3c4d5e-2222-4333-8444-a55566667702"
#define VM_SELF		"8b3c4d5e-2222-4333-8444-a55566667703"
#define VM_RACE		"8b3c4d5e-2222-4333-8444-a55566667704"
#define VM_STALE	"8b3c4d5e-2222-4333-8444-a55566667705"
#define VM_REPLAY	"8b3c4d5e-2222-4333-8444-a55566667706"
#define VM_CRASH	"8b3c4d5e-2222-4333-8444-a55566667707"
#define VM_CRASH2	"8b3c4d5e-2222-4333-8444-a55566667708"
#define VM_BAD		"8b3c4d5e-2222-4333-8444-a55566667709"
#define VM_NEVER	"8b3c4d5e-2222-4333-8444-a5556666770a"

static char dir[64];
static struct host src = { .name = "mig-a" }, dst = { .name = "mig-b" },
		   third = { .name = "mig-c" }, gone = { .name = "mig-gone" },
		   off = { .name = "mig-off" };

/* ---------- hgsd, hosts, KPs ---------- */

static json_t *migrate_req(const struct host *h, const char *kp, const char *vm,
			   const char *source)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "health_certificate", h->cert,
			 "key_protector", kp, "vm_id", vm, "enclave_challenge", RF_CHALLENGE,
			 "challenge_ns", (json_int_t)RF_CHALLENGE_NS, "source_host", source);
}

/* The destination @h's migration of @vm (KP @kp) from @source. */
static void migrate_ok(const struct host *h, const char *kp, const char *vm, const char *source,
		       struct rolled *out)
{
	json_t *r = t_hgs_call(cli, "/v1/kps/migrate", migrate_req(h, kp, vm, source), 200,
			       "Passed");

	assert_string_equal(json_string_value(json_object_get(r, "migrating_from")), source);
	open_rolled(h, r, vm, out);
	json_decref(r);
}

/* A refused migration: no key, no KP in the answer. */
static void migrate_expect(json_t *req, long http, const char *sub)
{
	json_t *r = t_hgs_call(cli, "/v1/kps/migrate", req, http, sub);

	assert_null(json_object_get(r, "key_release"));
	assert_null(json_object_get(r, "key_protector"));
	json_decref(r);
}

static json_t *migrated_req(const struct host *h, const char *vm)
{
	return json_pack("{s:s, s:s}", "health_certificate", h->cert, "vm_id", vm);
}

/* The source says it let @vm go: Passed, @unchanged, at @version. */
static void migrated_ok(const struct host *h, const char *vm, uint64_t version, int unchanged)
{
	json_t *a = t_hgs_call(cli, "/v1/kps/migrated", migrated_req(h, vm), 200, "Passed");

	assert_int_equal(json_integer_value(json_object_get(a, "tk_version")), version);
	assert_int_equal(json_is_true(json_object_get(a, "unchanged")), unchanged);
	json_decref(a);
}

/*
 * HGS's view of @vm: @version acknowledged, @pending (0: none) at @host,
 * the newest migration's state (NULL: none), and as many confirmed rolls
 * as the version (no version acknowledged twice, none skipped).
 */
static void vm_expect(const char *vm, uint64_t version, uint64_t pending, const char *host,
		      const char *migration)
{
	char path[96];
	json_t *r, *o, *m;

	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", vm);
	r = t_hgs_call(adm, path, NULL, 200, "Passed");
	o = json_object_get(r, "vm");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), version);
	assert_int_equal(json_integer_value(json_object_get(o, "pending_version")), pending);
	assert_int_equal(json_integer_value(json_object_get(o, "confirmed_rolls")), version);
	if (host)
		assert_string_equal(json_string_value(json_object_get(o, "host")), host);
	m = json_object_get(o, "migration");
	if (!migration)
		assert_true(json_is_null(m));
	else
		assert_string_equal(json_string_value(json_object_get(m, "state")), migration);
	json_decref(r);
}

/* A VM started (rolled, confirmed) on @h: at version 1; its KP in @r1. */
static void start_on(const struct host *h, const char *vm, struct rolled *r1)
{
	uint8_t tk0[32];
	char *kp0 = make_kp(vm, tk0);

	roll_ok(h, kp0, vm, r1);
	confirm_roll(h, vm, r1, 0);
	free(kp0);
	vm_expect(vm, 1, 0, h->name, NULL);
}

/* ---------- setup ---------- */

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vms-hgsd-migrate.XXXXXX");
	if (rf_setup(dir, sizeof(dir)))
		return -1;
	host_attest(&src);
	host_attest(&dst);
	host_attest(&third);
	/* attested, then removed or disabled by the HGS admin */
	host_attest(&gone);
	host_attest(&off);
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", gone.name));
	t_hgs_call_ok(adm, "/v1/admin/hosts/disable", json_pack("{s:s}", "name", off.name));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	host_free(&src);
	host_free(&dst);
	host_free(&third);
	host_free(&gone);
	host_free(&off);
	return rf_teardown(dir);
}

/* ---------- tests ---------- */

/*
 * v -> v + 1 at the destination: its enclave opens the VM's current TK
 * (the state blobs the source seals) and the next one; until it
 * confirms, the source says nothing done; after the confirmation the
 * source's KP is superseded everywhere, the source says it is done (once),
 * and the destination's KP is the VM's key.
 */
static void test_migrate_happy_path(void **state)
{
	struct rolled r1, m, r3;
	json_t *a;

	(void)state;
	start_on(&src, VM_HAPPY, &r1);
	migrate_ok(&dst, r1.kp, VM_HAPPY, src.name, &m);
	assert_int_equal(m.version, 1);
	assert_memory_equal(m.tk, r1.tk_next, 32);	/* the TK the VM's state is under */
	assert_memory_equal(m.key_id, r1.next_key_id, 16);
	assert_memory_not_equal(m.tk_next, r1.tk_next, 32);
	vm_expect(VM_HAPPY, 1, 2, dst.name, "pending");
	/* the source's renewal while the VM migrates: the same key, the migration stays */
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&src, r1.kp, VM_HAPPY),
			       200, "Passed"));
	vm_expect(VM_HAPPY, 1, 2, dst.name, "pending");
	/* no one else's: neither a third host's renewal nor the source's plain start */
	release_expect(&src, r1.kp, VM_HAPPY, 0, 409, "TkRollRequired");
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&third, r1.kp, VM_HAPPY),
			       409, "TkRollRequired"));
	vm_expect(VM_HAPPY, 1, 2, dst.name, "pending");
	/* the source cannot say done before the destination confirmed */
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", migrated_req(&src, VM_HAPPY), 409,
			       "MigrationNotConfirmed"));
	/* only the destination confirms */
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&src, VM_HAPPY, m.next_version, m.next_key_id),
			       409, "TkRollNotPending"));
	vm_expect(VM_HAPPY, 1, 2, dst.name, "pending");
	confirm_roll(&dst, VM_HAPPY, &m, 0);
	vm_expect(VM_HAPPY, 2, 0, dst.name, "confirmed");
	/* KP(v) is superseded, for the source and for anyone */
	release_expect(&src, r1.kp, VM_HAPPY, 0, 403, "KeyProtectorSuperseded");
	release_expect(&src, r1.kp, VM_HAPPY, 1, 403, "KeyProtectorSuperseded");
	release_expect(&dst, r1.kp, VM_HAPPY, 1, 403, "KeyProtectorSuperseded");
	/* the destination is not the source of anything */
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", migrated_req(&dst, VM_HAPPY), 409,
			       "MigrationNotFound"));
	migrated_ok(&src, VM_HAPPY, 2, 0);
	migrated_ok(&src, VM_HAPPY, 2, 1);
	vm_expect(VM_HAPPY, 2, 0, dst.name, "completed");
	/* the destination's KP is the VM's key: it starts (and rolls) there */
	roll_ok(&dst, m.kp, VM_HAPPY, &r3);
	assert_memory_equal(r3.tk, m.tk_next, 32);
	confirm_roll(&dst, VM_HAPPY, &r3, 0);
	vm_expect(VM_HAPPY, 3, 0, dst.name, "completed");
	/* and it migrates back: the source is the destination's destination */
	a = t_hgs_call(cli, "/v1/kps/migrate", migrate_req(&src, r3.kp, VM_HAPPY, dst.name), 200,
		       "Passed");
	json_decref(a);
	vm_expect(VM_HAPPY, 3, 4, src.name, "pending");
	rolled_free(&r1);
	rolled_free(&m);
	rolled_free(&r3);
}

/*
 * A destination that is not registered (removed), disabled, or whose
 * certificate is not one HGS issued, gets nothing; the VM's record is
 * unchanged and the VM keeps running on the source.
 */
static void test_migrate_destination_without_valid_certificate(void **state)
{
	struct rolled r1, r2;
	struct host forged = dst;
	uint8_t *der;
	size_t len;
	json_t *req;

	(void)state;
	start_on(&src, VM_NOCERT, &r1);
	migrate_expect(migrate_req(&gone, r1.kp, VM_NOCERT, src.name), 403, "HostNotRegistered");
	migrate_expect(migrate_req(&off, r1.kp, VM_NOCERT, src.name), 403, "HostDisabled");
	/* a certificate with one byte changed: its signature fails */
	assert_int_equal(vms_b64_decode(dst.cert, strlen(dst.cert), 8192, &der, &len), 0);
	der[len - 10] ^= 1;
	forged.cert = vms_b64_encode(der, len);
	free(der);
	req = migrate_req(&forged, r1.kp, VM_NOCERT, src.name);
	free(forged.cert);
	migrate_expect(req, 403, "HealthCertificateUntrustedSigner");
	req = migrate_req(&dst, r1.kp, VM_NOCERT, src.name);
	json_object_set_new(req, "health_certificate", json_string("bm90IGEgY2VydGlmaWNhdGU="));
	migrate_expect(req, 400, "HealthCertificateMalformed");
	vm_expect(VM_NOCERT, 1, 0, src.name, NULL);
	/* the VM keeps running on the source: its KP still releases and rolls there */
	roll_ok(&src, r1.kp, VM_NOCERT, &r2);
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	rolled_free(&r1);
	rolled_free(&r2);
}

/* A destination that is the source is refused; nothing changes. */
static void test_migrate_to_source_refused(void **state)
{
	struct rolled r1;

	(void)state;
	start_on(&src, VM_SELF, &r1);
	migrate_expect(migrate_req(&src, r1.kp, VM_SELF, src.name), 409, "MigrationToSource");
	vm_expect(VM_SELF, 1, 0, src.name, NULL);
	rolled_free(&r1);
}

/*
 * A migration never races a start: with a roll pending (released, not
 * confirmed) the migration is refused whichever KP it shows; and a
 * second migration while the first is pending is refused too.
 */
static void test_migrate_races_pending_roll(void **state)
{
	uint8_t tk0[32];
	struct rolled r1, m;
	char *kp0 = make_kp(VM_RACE, tk0);

	(void)state;
	roll_ok(&src, kp0, VM_RACE, &r1);
	vm_expect(VM_RACE, 0, 1, src.name, NULL);
	migrate_expect(migrate_req(&dst, kp0, VM_RACE, src.name), 409, "MigrationRollPending");
	migrate_expect(migrate_req(&dst, r1.kp, VM_RACE, src.name), 409, "MigrationRollPending");
	vm_expect(VM_RACE, 0, 1, src.name, NULL);
	confirm_roll(&src, VM_RACE, &r1, 0);
	migrate_ok(&dst, r1.kp, VM_RACE, src.name, &m);
	migrate_expect(migrate_req(&third, r1.kp, VM_RACE, src.name), 409,
		       "MigrationRollPending");
	vm_expect(VM_RACE, 1, 2, dst.name, "pending");
	rolled_free(&r1);
	rolled_free(&m);
	free(kp0);
}

/*
 * A stale source: the VM moved (or started elsewhere) since; a migration
 * naming a host that is not where HGS last released the key is refused,
 * with the VM's current KP too; an older KP is superseded.
 */
static void test_migrate_stale_source(void **state)
{
	struct rolled r1, m;

	(void)state;
	start_on(&src, VM_STALE, &r1);
	migrate_expect(migrate_req(&third, r1.kp, VM_STALE, dst.name), 409,
		       "MigrationSourceStale");
	migrate_expect(migrate_req(&third, r1.kp, VM_STALE, "no-such-host"), 409,
		       "MigrationSourceStale");
	vm_expect(VM_STALE, 1, 0, src.name, NULL);
	migrate_ok(&dst, r1.kp, VM_STALE, src.name, &m);
	confirm_roll(&dst, VM_STALE, &m, 0);
	/* the VM is at dst now: a migration from src is stale, with either KP */
	migrate_expect(migrate_req(&third, m.kp, VM_STALE, src.name), 409,
		       "MigrationSourceStale");
	migrate_expect(migrate_req(&third, r1.kp, VM_STALE, src.name), 403,
		       "KeyProtectorSuperseded");
	vm_expect(VM_STALE, 2, 0, dst.name, "confirmed");
	/* a VM HGS never released runs nowhere: nothing to migrate from */
	{
		uint8_t tk0[32];
		char *kp0 = make_kp(VM_NEVER, tk0);

		migrate_expect(migrate_req(&dst, kp0, VM_NEVER, src.name), 409,
			       "MigrationSourceStale");
		json_decref(t_hgs_call(adm, "/v1/admin/vms/status/" VM_NEVER, NULL, 404,
				       "NoSuchObject"));
		free(kp0);
	}
	rolled_free(&r1);
	rolled_free(&m);
}

/*
 * Replay: a release captured for the source's enclave is useless to the
 * destination (another enclave key: it does not open), the migration's
 * release useless to the source, and after the migration the keys the
 * source ever held open nothing the destination sealed, and its KP is
 * superseded.
 */
static void test_migrate_captured_release_useless(void **state)
{
	const uint8_t state_v2[] = "vTPM state re-sealed at the destination";
	struct vms_seal_key k;
	struct vms_kr_binding b;
	struct rolled r1, m;
	uint8_t vm_id[16], kps_pk[32], a[32], c[32], blob[256], out[64];
	size_t n = vms_ss_size(sizeof(state_v2));

	(void)state;
	assert_int_equal(vms_uuid_parse(VM_REPLAY, vm_id), 0);
	start_on(&src, VM_REPLAY, &r1);		/* captured: r1.blob */
	migrate_ok(&dst, r1.kp, VM_REPLAY, src.name, &m);
	memcpy(kps_pk, r1.blob + 116, 32);
	assert_int_equal(vms_kr_open_roll(r1.blob, r1.blob_len, dst.esk, dst.epk, kps_pk,
					  vm_id, &b, a, c), -ENOKEY);
	assert_int_equal(vms_kr_open_roll(m.blob, m.blob_len, src.esk, src.epk, kps_pk,
					  vm_id, &b, a, c), -ENOKEY);
	/* the destination re-seals under v + 1 and confirms */
	assert_int_equal(vms_seal_key_init(&k, m.tk_next, vm_id, m.next_key_id, 0, 0), 0);
	assert_int_equal(vms_ss_seal(&k, 0, 3, state_v2, sizeof(state_v2), blob, n), 0);
	vms_seal_key_wipe(&k);
	confirm_roll(&dst, VM_REPLAY, &m, 0);
	/* what the source held (v0 and v1) opens nothing sealed at the destination */
	assert_int_equal(vms_seal_key_init(&k, r1.tk_next, vm_id, r1.next_key_id, 0, 0), 0);
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_unseal(&k, 0, blob, n, out, sizeof(out), NULL), -EKEYREJECTED);
	vms_seal_key_wipe(&k);
	assert_int_equal(vms_seal_key_init(&k, r1.tk_next, vm_id, m.next_key_id, 0, 0), 0);
	assert_int_equal(vms_ss_unseal(&k, 0, blob, n, out, sizeof(out), NULL), -EBADMSG);
	vms_seal_key_wipe(&k);
	/* no plaintext came out: the payload's bytes zeroed, the rest untouched */
	assert_true(t_all(out, sizeof(state_v2), 0));
	assert_true(t_all(out + sizeof(state_v2), sizeof(out) - sizeof(state_v2), PATTERN));
	release_expect(&src, r1.kp, VM_REPLAY, 1, 403, "KeyProtectorSuperseded");
	/* the destination's key opens it */
	assert_int_equal(vms_seal_key_init(&k, m.tk_next, vm_id, m.next_key_id, 0, 0), 0);
	assert_int_equal(vms_ss_unseal(&k, 0, blob, n, out, sizeof(out), NULL), 0);
	assert_memory_equal(out, state_v2, sizeof(state_v2));
	vms_seal_key_wipe(&k);
	rolled_free(&r1);
	rolled_free(&m);
}

/*
 * hgsd SIGKILLed at the steps HGS decides (migration.md §2.3):
 *   after 2, before the confirmation: the migration survives; the
 *   source's next start (a roll of KP(v)) replaces it: the destination's
 *   confirmation and its KP are refused from then on;
 *   after 5, before 6: the destination shows KP(v + 1) at its next
 *   release, which confirms it;
 *   after 6: KP(v) superseded; the source's "done" still recorded.
 */
static void test_migrate_crash_points(void **state)
{
	struct rolled r1, m, r2, m2, r3;

	(void)state;
	start_on(&src, VM_CRASH, &r1);
	migrate_ok(&dst, r1.kp, VM_CRASH, src.name, &m);
	stop_hgsd(SIGKILL);
	start_hgsd();
	vm_expect(VM_CRASH, 1, 2, dst.name, "pending");
	roll_ok(&src, r1.kp, VM_CRASH, &r2);	/* the VM restarted on the source */
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	vm_expect(VM_CRASH, 1, 2, src.name, "replaced");
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&dst, VM_CRASH, m.next_version, m.next_key_id),
			       409, "TkRollNotPending"));
	release_expect(&dst, m.kp, VM_CRASH, 1, 403, "KeyProtectorSuperseded");
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", migrated_req(&src, VM_CRASH), 409,
			       "MigrationNotFound"));
	confirm_roll(&src, VM_CRASH, &r2, 0);
	vm_expect(VM_CRASH, 2, 0, src.name, "replaced");

	/* after 5 (re-sealed), before 6: the confirmation never came */
	rolled_free(&r1);
	start_on(&src, VM_CRASH2, &r1);
	migrate_ok(&dst, r1.kp, VM_CRASH2, src.name, &m2);
	stop_hgsd(SIGKILL);
	start_hgsd();
	roll_ok(&dst, m2.kp, VM_CRASH2, &r3);	/* showing KP(v + 1) confirms it */
	assert_memory_equal(r3.tk, m2.tk_next, 32);
	vm_expect(VM_CRASH2, 2, 3, dst.name, "confirmed");
	release_expect(&src, r1.kp, VM_CRASH2, 1, 403, "KeyProtectorSuperseded");
	/* after 6: survives a crash; the source's "done" */
	confirm_roll(&dst, VM_CRASH2, &r3, 0);
	stop_hgsd(SIGKILL);
	start_hgsd();
	vm_expect(VM_CRASH2, 3, 0, dst.name, "confirmed");
	release_expect(&src, r1.kp, VM_CRASH2, 0, 403, "KeyProtectorSuperseded");
	migrated_ok(&src, VM_CRASH2, 2, 0);
	vm_expect(VM_CRASH2, 3, 0, dst.name, "completed");
	rolled_free(&r1);
	rolled_free(&m);
	rolled_free(&r2);
	rolled_free(&m2);
	rolled_free(&r3);
}

/* Bad input: a clear refusal, no key, the VM's record unchanged. */
static void test_migrate_bad_input(void **state)
{
	struct rolled r1;
	json_t *req, *r;

	(void)state;
	start_on(&src, VM_BAD, &r1);
	req = migrate_req(&dst, r1.kp, VM_BAD, src.name);
	json_object_del(req, "source_host");
	migrate_expect(req, 400, "InvalidRequest");
	req = migrate_req(&dst, r1.kp, VM_BAD, "");
	migrate_expect(req, 400, "InvalidRequest");
	req = migrate_req(&dst, r1.kp, VM_BAD, src.name);
	json_object_set_new(req, "source_host", json_integer(7));
	migrate_expect(req, 400, "InvalidRequest");
	req = migrate_req(&dst, r1.kp, VM_BAD,
			  "a-host-name-much-longer-than-any-host-hgs-registers-0123456789abcdef");
	migrate_expect(req, 400, "InvalidRequest");
	req = migrate_req(&dst, r1.kp, "not-a-uuid", src.name);
	migrate_expect(req, 400, "InvalidRequest");
	/* another VM's id than the KP's */
	migrate_expect(migrate_req(&dst, r1.kp, VM_NEVER, src.name), 403, "VmIdMismatch");
	/* a renewal never migrates */
	req = migrate_req(&dst, r1.kp, VM_BAD, src.name);
	json_object_set_new(req, "renewal", json_true());
	migrate_expect(req, 400, "InvalidRequest");
	/* no challenge: KPS names its key, as for a release */
	req = migrate_req(&dst, r1.kp, VM_BAD, src.name);
	json_object_del(req, "enclave_challenge");
	json_object_del(req, "challenge_ns");
	r = t_hgs_call(cli, "/v1/kps/migrate", req, 400, "EnclaveChallengeRequired");
	assert_non_null(json_string_value(json_object_get(r, "kps_public_key")));
	assert_null(json_object_get(r, "key_release"));
	json_decref(r);
	/* /v1/kps/migrated */
	req = migrated_req(&src, "not-a-uuid");
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", req, 400, "InvalidRequest"));
	req = migrated_req(&src, VM_BAD);
	json_object_del(req, "health_certificate");
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", req, 400, "InvalidRequest"));
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", migrated_req(&src, VM_BAD), 409,
			       "MigrationNotFound"));
	json_decref(t_hgs_call(cli, "/v1/kps/migrated", migrated_req(&gone, VM_BAD), 403,
			       "HostNotRegistered"));
	json_decref(t_hgs_call(cli, "/v1/kps/migrate", NULL, 405, "MethodNotAllowed"));
	vm_expect(VM_BAD, 1, 0, src.name, NULL);
	rolled_free(&r1);
}

/*
 * A backup holds the migrations; restoring one taken while a migration
 * was pending, after its confirmation, neither lowers the version nor
 * brings the pending migration back.
 */
static void test_migrate_backup_restore(void **state)
{
	const char *vm = "8b3c4d5e-2222-4333-8444-a5556666770c";
	struct rolled r1, m;
	json_t *backup, *rows, *row;
	size_t i;
	int seen = 0;

	(void)state;
	start_on(&src, vm, &r1);
	migrate_ok(&dst, r1.kp, vm, src.name, &m);
	backup = t_hgs_call(adm, "/v1/admin/backup", NULL, 200, "Passed");
	rows = json_object_get(json_object_get(json_object_get(backup, "backup"), "tables"),
			       "vm_migrations");
	json_array_foreach(rows, i, row)
		seen |= !strcmp(json_string_value(json_object_get(row, "vm_id")), vm) &&
			!strcmp(json_string_value(json_object_get(row, "from_host")), src.name);
	assert_true(seen);
	confirm_roll(&dst, vm, &m, 0);
	t_hgs_call_ok(adm, "/v1/admin/restore",
		      json_pack("{s:O}", "backup", json_object_get(backup, "backup")));
	json_decref(backup);
	vm_expect(vm, 2, 0, dst.name, "confirmed");
	release_expect(&src, r1.kp, vm, 1, 403, "KeyProtectorSuperseded");
	rolled_free(&r1);
	rolled_free(&m);
}

/* `shieldctl vm status`: its output (stdout and stderr) in @out, its exit status. */
static int vm_status_cli(const char *vm, char *out, size_t len)
{
	const char *bin = getenv("SHIELDCTL_BIN");
	char cmd[1024];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s vm --socket %s/admin.sock status %s 2>&1",
		 bin ? bin : "../build/bin/shieldctl", dir, vm);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	return WEXITSTATUS(pclose(p));
}

/* The migration on the command line: pending, then completed. */
static void test_migrate_shieldctl_vm_status(void **state)
{
	const char *vm = "8b3c4d5e-2222-4333-8444-a5556666770b";
	struct rolled r1, m;
	char out[2048];

	(void)state;
	start_on(&src, vm, &r1);
	assert_int_equal(vm_status_cli(vm, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "migration: none"));
	migrate_ok(&dst, r1.kp, vm, src.name, &m);
	assert_int_equal(vm_status_cli(vm, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "pending: version 2"));
	assert_non_null(strstr(out, "released to mig-b"));
	assert_non_null(strstr(out, "migration: pending, from mig-a to mig-b, version 2"));
	confirm_roll(&dst, vm, &m, 0);
	migrated_ok(&src, vm, 2, 0);
	assert_int_equal(vm_status_cli(vm, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tk_version: 2 "));
	assert_non_null(strstr(out, "migration: completed, from mig-a to mig-b, version 2"));
	rolled_free(&r1);
	rolled_free(&m);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_happy_path),
		cmocka_unit_test(test_migrate_destination_without_valid_certificate),
		cmocka_unit_test(test_migrate_to_source_refused),
		cmocka_unit_test(test_migrate_races_pending_roll),
		cmocka_unit_test(test_migrate_stale_source),
		cmocka_unit_test(test_migrate_captured_release_useless),
		cmocka_unit_test(test_migrate_crash_points),
		cmocka_unit_test(test_migrate_bad_input),
		cmocka_unit_test(test_migrate_backup_restore),
		cmocka_unit_test(test_migrate_shieldctl_vm_status),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgsd_migrate", tests, group_setup, group_teardown);
}
