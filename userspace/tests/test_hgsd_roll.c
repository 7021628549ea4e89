// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_roll.c - the transport-key roll and its freshness, held by a
 * real hgsd (issue 20; Documentation/migration.md "The TK roll"): a roll
 * release carries the current and the next TK and answers the rolled KP;
 * an older KP is refused (KeyProtectorSuperseded); state sealed under an
 * older TK does not open under the current one; hgsd killed (SIGKILL) at
 * each step of the roll leaves exactly one valid version; a backup
 * restored never lowers a version; a captured release is useless after
 * the roll; a roll HGS did not sign is refused. The rolled KP is still
 * inspected and verified by `openssl cms`. HGSD_TEST_STORE=postgresql runs
 * the same against PostgreSQL.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
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
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define VM1 "7a2b3c4d-1111-4222-8333-944455556601"
#define VM2 "7a2b3c4d-1111-4222-8333-944455556602"
#define VM3 "7a2b3c4d-1111-4222-8333-944455556603"
#define VM4 "7a2b3c4d-1111-4222-8333-944455556604"
#define VM5 "7a2b3c4d-1111-4222-8333-944455556605"

static char dir[64];
static struct host host_a = { .name = "roll-a" }, host_b = { .name = "roll-b" };

/* ---------- hgsd, hosts, KPs ---------- */

/*
 * HGS's view: @version acknowledged, @pending pending (0: none), and the
 * invariant the cluster test asks for: as many confirmed rolls as the
 * version (no version acknowledged twice, none skipped).
 */
static void vm_expect(const char *vm, uint64_t version, uint64_t pending)
{
	char path[96];
	json_t *r, *o;

	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", vm);
	r = t_hgs_call(adm, path, NULL, 200, "Passed");
	o = json_object_get(r, "vm");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), version);
	assert_int_equal(json_integer_value(json_object_get(o, "pending_version")), pending);
	assert_int_equal(json_integer_value(json_object_get(o, "confirmed_rolls")), version);
	json_decref(r);
}

/* ---------- setup ---------- */

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vms-hgsd-roll.XXXXXX");
	if (rf_setup(dir, sizeof(dir)))
		return -1;
	host_attest(&host_a);
	host_attest(&host_b);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	host_free(&host_a);
	host_free(&host_b);
	return rf_teardown(dir);
}

/* ---------- tests ---------- */

/*
 * A start with the roll: the release carries the KP's TK and a new one,
 * the answer the rolled KP (which holds the new TK for the owner too);
 * the host confirms once; from then on the older KP is superseded, with
 * and without a roll, and the rolled one is the VM's key.
 */
static void test_roll_release_and_confirm(void **state)
{
	uint8_t tk0[32], vm_id[16], tk[32];
	struct rolled r1, r2;
	struct vms_kp_info info;
	uint8_t *der;
	size_t len;
	char *kp0 = make_kp(VM1, tk0);

	(void)state;
	roll_ok(&host_a, kp0, VM1, &r1);
	assert_int_equal(r1.version, 0);
	assert_memory_equal(r1.tk, tk0, 32);
	assert_memory_not_equal(r1.tk_next, tk0, 32);
	vm_expect(VM1, 0, 1);
	/* the rolled KP: the owner's part unchanged, the new TK inside */
	assert_int_equal(vms_b64_decode(r1.kp, strlen(r1.kp), VMS_KP_MAX_LEN, &der, &len), 0);
	assert_int_equal(vms_kp_unwrap(der, len, &owner, &info, tk), 0);
	assert_memory_equal(tk, r1.tk_next, 32);
	assert_int_equal(info.tk_version, 1);
	assert_memory_equal(info.key_id, r1.next_key_id, 16);
	assert_int_equal(vms_uuid_parse(VM1, vm_id), 0);
	assert_memory_equal(info.vm_id, vm_id, 16);
	free(der);
	/* until confirmed, the previous version stays releasable (here renewed) */
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, kp0, VM1),
			       200, "Passed"));
	confirm_roll(&host_a, VM1, &r1, 0);
	confirm_roll(&host_a, VM1, &r1, 1);	/* once: a second time changes nothing */
	vm_expect(VM1, 1, 0);
	release_expect(&host_a, kp0, VM1, 0, 403, "KeyProtectorSuperseded");
	release_expect(&host_a, kp0, VM1, 1, 403, "KeyProtectorSuperseded");
	/* the rolled KP is the VM's key now, and rolls on */
	roll_ok(&host_a, r1.kp, VM1, &r2);
	assert_int_equal(r2.version, 1);
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	confirm_roll(&host_a, VM1, &r2, 0);
	vm_expect(VM1, 2, 0);
	release_expect(&host_a, r1.kp, VM1, 1, 403, "KeyProtectorSuperseded");
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
}

/*
 * State sealed under an older TK does not open with what the current KP
 * releases, and a release captured before the roll opens nothing sealed
 * after it: the VM's state is only ever under the acknowledged version.
 */
static void test_roll_old_state_and_captured_release_fail_closed(void **state)
{
	struct vms_seal_key k_old, k_new;
	uint8_t tk0[32], vm_id[16], blob[256], out[64];
	const uint8_t state_v0[] = "vTPM state sealed under version 0";
	const uint8_t state_v1[] = "vTPM state sealed under version 1";
	uint8_t blob1[256];
	struct rolled r1, r2;
	struct vms_ss_header hdr;
	char *kp0 = make_kp(VM2, tk0);
	size_t n0 = vms_ss_size(sizeof(state_v0)), n1 = vms_ss_size(sizeof(state_v1));

	(void)state;
	assert_int_equal(vms_uuid_parse(VM2, vm_id), 0);
	roll_ok(&host_a, kp0, VM2, &r1);	/* captured: r1.blob */
	/* the worker: state under v0 (before), re-sealed under v1, confirmed */
	assert_int_equal(vms_seal_key_init(&k_old, r1.tk, vm_id, r1.key_id, 0, 0), 0);
	assert_int_equal(vms_ss_seal(&k_old, 0, 1, state_v0, sizeof(state_v0), blob, n0), 0);
	assert_int_equal(vms_seal_key_init(&k_new, r1.tk_next, vm_id, r1.next_key_id, 0, 0), 0);
	assert_int_equal(vms_ss_seal(&k_new, 0, 2, state_v1, sizeof(state_v1), blob1, n1), 0);
	confirm_roll(&host_a, VM2, &r1, 0);
	vms_seal_key_wipe(&k_old);
	vms_seal_key_wipe(&k_new);
	/* next start: the current KP releases v1 and v2; the v0 file opens with neither */
	roll_ok(&host_a, r1.kp, VM2, &r2);
	assert_int_equal(vms_seal_key_init(&k_new, r2.tk, vm_id, r2.key_id, 0, 0), 0);
	assert_int_equal(vms_ss_parse(blob, n0, &hdr), 0);
	memset(out, PATTERN, sizeof(out));
	assert_int_equal(vms_ss_unseal(&k_new, 0, blob, n0, out, sizeof(out), NULL),
			 -EKEYREJECTED);
	assert_true(t_all(out, sizeof(out), PATTERN));
	/* the v1 file opens: the last acknowledged content */
	assert_int_equal(vms_ss_unseal(&k_new, 0, blob1, n1, out, sizeof(out), NULL), 0);
	assert_memory_equal(out, state_v1, sizeof(state_v1));
	vms_seal_key_wipe(&k_new);
	/* the v0 file, even with its header's key id, under the current TK: the tag fails */
	assert_int_equal(vms_seal_key_init(&k_new, r2.tk, vm_id, r1.key_id, 0, 0), 0);
	assert_int_equal(vms_ss_unseal(&k_new, 0, blob, n0, out, sizeof(out), NULL), -EBADMSG);
	vms_seal_key_wipe(&k_new);
	/* the captured release: another enclave cannot open it at all */
	{
		struct vms_kr_binding b;
		uint8_t a[32], c[32], kps_pk[32];

		memcpy(kps_pk, r1.blob + 116, 32);
		assert_int_equal(vms_kr_open_roll(r1.blob, r1.blob_len, host_b.esk, host_b.epk,
						  kps_pk, vm_id, &b, a, c), -ENOKEY);
		/* and the keys it held open nothing sealed after the roll */
		assert_int_equal(vms_seal_key_init(&k_old, r1.tk, vm_id, r1.key_id, 0, 0), 0);
		assert_int_equal(vms_ss_unseal(&k_old, 0, blob1, n1, out, sizeof(out), NULL),
				 -EKEYREJECTED);
		vms_seal_key_wipe(&k_old);
	}
	/* and the KP of the captured release's time is refused */
	confirm_roll(&host_a, VM2, &r2, 0);
	release_expect(&host_a, kp0, VM2, 1, 403, "KeyProtectorSuperseded");
	release_expect(&host_a, r1.kp, VM2, 1, 403, "KeyProtectorSuperseded");
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
}

/*
 * hgsd killed (SIGKILL) at each step of the roll; the host (its agent
 * and worker) keeps only what it had acknowledged. Each time the VM's
 * last acknowledged key is released next time, and afterwards exactly
 * one version is valid.
 */
static void test_roll_crash_points(void **state)
{
	uint8_t tk0[32];
	struct rolled lost, r1, r2;
	char *kp0 = make_kp(VM3, tk0);

	(void)state;
	/* 1. before the release: nothing changed */
	stop_hgsd(SIGKILL);
	start_hgsd();
	/* 2. after the release, before the re-seal: the host lost the answer */
	roll_ok(&host_a, kp0, VM3, &lost);
	stop_hgsd(SIGKILL);
	start_hgsd();
	vm_expect(VM3, 0, 1);
	roll_ok(&host_a, kp0, VM3, &r1);	/* v0 still opens: nothing bricked */
	assert_memory_equal(r1.tk, tk0, 32);
	vm_expect(VM3, 0, 1);
	/* the lost roll was replaced: never two pending versions */
	release_expect(&host_a, lost.kp, VM3, 1, 403, "KeyProtectorSuperseded");
	/* 3. after the re-seal, before the confirmation: the host holds r1.kp */
	stop_hgsd(SIGKILL);
	start_hgsd();
	roll_ok(&host_a, r1.kp, VM3, &r2);	/* showing it confirms version 1 */
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	vm_expect(VM3, 1, 2);
	release_expect(&host_a, kp0, VM3, 1, 403, "KeyProtectorSuperseded");
	/* a late confirmation of version 1 changes nothing */
	confirm_roll(&host_a, VM3, &r1, 1);
	/* 4. after the confirmation */
	confirm_roll(&host_a, VM3, &r2, 0);
	stop_hgsd(SIGKILL);
	start_hgsd();
	vm_expect(VM3, 2, 0);
	release_expect(&host_a, r1.kp, VM3, 1, 403, "KeyProtectorSuperseded");
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, r2.kp, VM3),
			       200, "Passed"));
	rolled_free(&lost);
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
}

/* HGS's record of @vm as JSON (decref it): compared before and after a refusal. */
static json_t *vm_record(const char *vm)
{
	char path[96];
	json_t *r, *o;

	snprintf(path, sizeof(path), "/v1/admin/vms/status/%s", vm);
	r = t_hgs_call(adm, path, NULL, 200, "Passed");
	o = json_incref(json_object_get(r, "vm"));
	json_decref(r);
	return o;
}

/* @req refused with TkRollRequired (409), no key, @vm's record unchanged. */
static void roll_required(json_t *req, const char *vm)
{
	json_t *before = vm_record(vm), *after, *r;

	r = t_hgs_call(cli, "/v1/kps/release", req, 409, "TkRollRequired");
	assert_null(json_object_get(r, "key_release"));
	assert_null(json_object_get(r, "key_protector"));
	json_decref(r);
	after = vm_record(vm);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
}

/* Make @vm's last release look older than any release lifetime, behind hgsd's back. */
static void age_last_release(const char *vm)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE vm_keys SET released_at = released_at - 10000000 WHERE vm_id = '%s'", vm);
	assert_int_equal(t_hgsd_sql(&hgsd, sql), 0);
}

/*
 * Host root leaving out the roll (migration.md §1.3b): once HGS holds a
 * version of a shielded VM, a release without the roll is served only
 * as the renewal of the live key of the host the VM was last released
 * to. A plain start, "renewal": false, another host's renewal (of the
 * acknowledged KP and of a pending one) and a renewal after the last
 * release's lifetime ran out are TkRollRequired with nothing released
 * and the VM's record unchanged; the holder's renewal is served; a start
 * with the roll always is. An encryption-supported KP keeps its plain
 * releases.
 */
static void test_roll_plain_release_needs_live_renewal(void **state)
{
	const char *vm = "7a2b3c4d-1111-4222-8333-9444555566a1";
	const char *es = "7a2b3c4d-1111-4222-8333-9444555566a2";
	uint8_t tk0[32];
	struct rolled r1, r2, e1;
	char *kp0 = make_kp(vm, tk0), *ekp0;
	json_t *req;

	(void)state;
	roll_ok(&host_a, kp0, vm, &r1);
	confirm_roll(&host_a, vm, &r1, 0);
	vm_expect(vm, 1, 0);
	/* a start without the roll, by the holder itself */
	roll_required(release_req(&host_a, r1.kp, vm, 0), vm);
	req = release_req(&host_a, r1.kp, vm, 0);
	json_object_set_new(req, "renewal", json_false());
	roll_required(req, vm);
	/* the attacker's view: another attested host claims a renewal */
	roll_required(renewal_req(&host_b, r1.kp, vm), vm);
	/* the holder's renewal: served, the version unchanged */
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, r1.kp, vm), 200,
			       "Passed"));
	vm_expect(vm, 1, 0);
	/* a roll pending at host_a: neither KP renews elsewhere */
	roll_ok(&host_a, r1.kp, vm, &r2);
	roll_required(renewal_req(&host_b, r1.kp, vm), vm);
	roll_required(renewal_req(&host_b, r2.kp, vm), vm);
	vm_expect(vm, 1, 2);
	/* the live key expired: even its holder must start with the roll */
	age_last_release(vm);
	roll_required(renewal_req(&host_a, r1.kp, vm), vm);
	roll_required(renewal_req(&host_a, r2.kp, vm), vm);
	vm_expect(vm, 1, 2);
	rolled_free(&r1);
	roll_ok(&host_a, r2.kp, vm, &r1);	/* a start: confirms 2, rolls to 3 */
	vm_expect(vm, 2, 3);
	/* another host may start it, with the roll */
	rolled_free(&r1);
	roll_ok(&host_b, r2.kp, vm, &r1);
	roll_required(renewal_req(&host_a, r2.kp, vm), vm);
	confirm_roll(&host_b, vm, &r1, 0);
	vm_expect(vm, 3, 0);
	/* encryption-supported: plain releases as before, from any host */
	ekp0 = make_kp_policy(es, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, tk0);
	roll_ok(&host_a, ekp0, es, &e1);
	confirm_roll(&host_a, es, &e1, 0);
	json_decref(t_hgs_call(cli, "/v1/kps/release", release_req(&host_b, e1.kp, es, 0), 200,
			       "Passed"));
	vm_expect(es, 1, 0);
	rolled_free(&r1);
	rolled_free(&r2);
	rolled_free(&e1);
	free(kp0);
	free(ekp0);
}

/* @b64 decoded, one byte at @at (from the end if negative) flipped, encoded again. */
static char *kp_altered(const char *b64, long at)
{
	uint8_t *der;
	size_t len;
	char *out;

	assert_int_equal(vms_b64_decode(b64, strlen(b64), VMS_KP_MAX_LEN, &der, &len), 0);
	der[at < 0 ? (long)len + at : at] ^= 0x01;
	out = vms_b64_encode(der, len);
	free(der);
	return out;
}

/*
 * KPS remembers the rolled KP it made (migration.md §1.5): the VM's next
 * start presents exactly that KP and skips its signature checks, a
 * renewal of it hits the verified-KP cache; what KPS serves from what it
 * remembers is right (the renewal opens to the rolled TK, the next roll
 * is a KP the owner opens with every signature checked). A KP that is
 * not byte for byte the one KPS made (one byte changed in the roll's
 * signature, or in its middle) is verified in full and refused, with
 * nothing changed.
 */
static void test_roll_made_kp_remembered(void **state)
{
	const char *vm = "7a2b3c4d-1111-4222-8333-9444555566a3";
	uint8_t tk0[32], tk[32], vm_id[16], kps_pk[32], *der, *blob;
	struct rolled r1, r2, r3;
	struct vms_kp_info info;
	struct vms_kr_binding b;
	char *kp0 = make_kp(vm, tk0), *bad;
	const char *rel;
	size_t len;
	long http;
	json_t *before, *after, *a, *req;

	(void)state;
	assert_int_equal(vms_uuid_parse(vm, vm_id), 0);
	roll_ok(&host_a, kp0, vm, &r1);
	confirm_roll(&host_a, vm, &r1, 0);
	/* one byte of the roll's signature changed: a miss, verified, refused */
	before = vm_record(vm);
	bad = kp_altered(r1.kp, -1);
	release_expect(&host_a, bad, vm, 1, 403, "KeyProtectorSignatureInvalid");
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, bad, vm), 403,
			       "KeyProtectorSignatureInvalid"));
	free(bad);
	/* one byte in its middle: refused too (malformed or not verified) */
	bad = kp_altered(r1.kp, 600);
	req = release_req(&host_a, bad, vm, 1);	/* vms_hgs_call does not take it */
	assert_int_equal(vms_hgs_call(cli, "/v1/kps/release", req, &http, &a), 0);
	json_decref(req);
	assert_int_not_equal(http, 200);
	assert_null(json_object_get(a, "key_release"));
	json_decref(a);
	free(bad);
	after = vm_record(vm);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	/* the KP KPS made: its renewal hits the cache and opens to its TK */
	a = t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, r1.kp, vm), 200, "Passed");
	rel = json_string_value(json_object_get(a, "key_release"));
	assert_int_equal(vms_hex_decode_exact(json_string_value(json_object_get(a,
			 "kps_public_key")), kps_pk, 32), 0);
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_ROLL_MAX_LEN, &blob, &len), 0);
	assert_int_equal(vms_kr_open(blob, len, host_a.esk, host_a.epk, kps_pk, vm_id,
				     r1.next_key_id, &b, tk), 0);
	assert_memory_equal(tk, r1.tk_next, 32);
	assert_int_equal(json_integer_value(json_object_get(a, "tk_version")), 1);
	free(blob);
	json_decref(a);
	/* its roll (signatures skipped): the KP made from it verifies in full */
	roll_ok(&host_a, r1.kp, vm, &r2);
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	assert_int_equal(vms_b64_decode(r2.kp, strlen(r2.kp), VMS_KP_MAX_LEN, &der, &len), 0);
	assert_int_equal(vms_kp_unwrap(der, len, &owner, &info, tk), 0);
	assert_memory_equal(tk, r2.tk_next, 32);
	assert_int_equal(info.tk_version, 2);
	free(der);
	/* and rolls on from there (pending 2 shown: confirmed, rolled to 3) */
	roll_ok(&host_a, r2.kp, vm, &r3);
	assert_memory_equal(r3.tk, r2.tk_next, 32);
	confirm_roll(&host_a, vm, &r3, 0);
	vm_expect(vm, 3, 0);
	rolled_free(&r1);
	rolled_free(&r2);
	rolled_free(&r3);
	free(kp0);
}

/* A backup taken at version 1, restored at version 2: still version 2. */
static void test_roll_restore_keeps_newest(void **state)
{
	uint8_t tk0[32];
	struct rolled r1, r2;
	char *kp0 = make_kp(VM4, tk0);
	json_t *backup;

	(void)state;
	roll_ok(&host_a, kp0, VM4, &r1);
	confirm_roll(&host_a, VM4, &r1, 0);
	backup = t_hgs_call(adm, "/v1/admin/backup", NULL, 200, "Passed");
	roll_ok(&host_a, r1.kp, VM4, &r2);
	confirm_roll(&host_a, VM4, &r2, 0);
	vm_expect(VM4, 2, 0);
	t_hgs_call_ok(adm, "/v1/admin/restore",
		      json_pack("{s:O}", "backup", json_object_get(backup, "backup")));
	json_decref(backup);
	vm_expect(VM4, 2, 0);
	release_expect(&host_a, r1.kp, VM4, 1, 403, "KeyProtectorSuperseded");
	json_decref(t_hgs_call(cli, "/v1/kps/release", renewal_req(&host_a, r2.kp, VM4),
			       200, "Passed"));
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
}

/*
 * Bad input changes nothing: a roll that is not a boolean; a roll KPS did
 * not sign (anyone can envelope a TK to HGS's public guardian); a
 * confirmation from another host, of a version never rolled, for an
 * unknown VM, malformed. The VM stays where it was.
 */
static void test_roll_refusals(void **state)
{
	struct vms_guardian mallory = { 0 };
	uint8_t tk0[32], tk_evil[32], kid[16], *der, *forged;
	size_t len, flen;
	struct rolled r1;
	char *kp0 = make_kp(VM5, tk0), *forged64;
	json_t *req;

	(void)state;
	req = release_req(&host_a, kp0, VM5, 1);
	json_object_set_new(req, "roll", json_string("yes"));
	json_decref(t_hgs_call(cli, "/v1/kps/release", req, 400, "InvalidRequest"));
	roll_ok(&host_a, kp0, VM5, &r1);
	/* a forged roll: the host's own TK at the next version, signed by mallory */
	assert_int_equal(vms_guardian_new("mallory", 30, &mallory), 0);
	assert_int_equal(vms_b64_decode(kp0, strlen(kp0), VMS_KP_MAX_LEN, &der, &len), 0);
	t_random(tk_evil, 32);
	assert_int_equal(vms_kp_roll(der, len, &mallory, r1.next_key_id, 1, tk_evil, &forged,
				     &flen), 0);
	forged64 = vms_b64_encode(forged, flen);
	release_expect(&host_a, forged64, VM5, 1, 403, "KeyProtectorNotForThisHgs");
	release_expect(&host_a, forged64, VM5, 0, 403, "KeyProtectorNotForThisHgs");
	/* confirmations that do not fit */
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&host_b, VM5, r1.next_version, r1.next_key_id),
			       409, "TkRollNotPending"));
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&host_a, VM5, r1.next_version + 1, r1.next_key_id),
			       409, "TkRollNotPending"));
	t_random(kid, 16);
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&host_a, VM5, r1.next_version, kid), 409,
			       "TkRollNotPending"));
	json_decref(t_hgs_call(cli, "/v1/kps/confirm",
			       confirm_req(&host_a, "7a2b3c4d-1111-4222-8333-9444555566ff", 1,
					   r1.next_key_id), 409, "TkRollNotPending"));
	req = confirm_req(&host_a, VM5, r1.next_version, r1.next_key_id);
	json_object_set_new(req, "tk_version", json_integer(0));
	json_decref(t_hgs_call(cli, "/v1/kps/confirm", req, 400, "InvalidRequest"));
	req = confirm_req(&host_a, VM5, r1.next_version, r1.next_key_id);
	json_object_set_new(req, "key_id", json_string("zz"));
	json_decref(t_hgs_call(cli, "/v1/kps/confirm", req, 400, "InvalidRequest"));
	vm_expect(VM5, 0, 1);
	/* the real one still confirms */
	confirm_roll(&host_a, VM5, &r1, 0);
	vm_expect(VM5, 1, 0);
	json_decref(t_hgs_call(adm, "/v1/admin/vms/status/not-a-uuid", NULL, 400,
			       "InvalidRequest"));
	json_decref(t_hgs_call(adm, "/v1/admin/vms/status/7a2b3c4d-1111-4222-8333-9444555566ff",
			       NULL, 404, "NoSuchObject"));
	vms_guardian_free(&mallory);
	free(der);
	free(forged);
	free(forged64);
	rolled_free(&r1);
	free(kp0);
}

/* The rolled KP with standard tools: the owner's signature still verifies. */
static void test_roll_openssl_cms(void **state)
{
	char path[128], cmd[512], line[512];
	uint8_t tk0[32], *der;
	size_t len;
	struct rolled r1;
	char *kp0 = make_kp("7a2b3c4d-1111-4222-8333-944455556606", tk0);
	FILE *p;
	int seen = 0;

	(void)state;
	roll_ok(&host_a, kp0, "7a2b3c4d-1111-4222-8333-944455556606", &r1);
	snprintf(path, sizeof(path), "%.*s/rolled.kp", (int)(strlen(dir) - 4), dir);
	assert_int_equal(vms_b64_decode(r1.kp, strlen(r1.kp), VMS_KP_MAX_LEN, &der, &len), 0);
	assert_int_equal(vms_write_file_atomic(path, der, len, 0600, 0), 0);
	free(der);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -verify -noverify -binary -inform DER -in %s -out %s.env >/dev/null 2>&1",
		 path, path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform DER -in %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		seen |= strstr(line, "unsignedAttrs") != NULL;
	assert_int_equal(pclose(p), 0);
	assert_true(seen);
	rolled_free(&r1);
	free(kp0);
}

/* @b64 (a KP) decoded into @der, for the owner's library calls. */
static size_t kp_der(const char *b64, uint8_t **der)
{
	size_t len;

	assert_int_equal(vms_b64_decode(b64, strlen(b64), VMS_KP_MAX_LEN, der, &len), 0);
	return len;
}

/*
 * The owner grants a guardian on a KP KPS rolled (formats.md §7): KPS
 * releases the owner's new KP as the acknowledged version, its next roll
 * goes to the new list, and once that roll is confirmed the owner's KP
 * is superseded like any older one. An owner KP at a version HGS never
 * reached, and a KP whose HGS guardian the owner revoked, get nothing
 * and change nothing.
 */
static void test_roll_owner_grant_on_rolled_kp(void **state)
{
	const char *vm = "7a2b3c4d-1111-4222-8333-944455556608";
	struct vms_guardian other = { 0 };
	struct vms_kp_info info, bind;
	uint8_t tk0[32], tk[32], *der, *granted, *x;
	size_t len, glen, xlen;
	struct rolled r1, r2;
	char *kp0 = make_kp(vm, tk0), *g64, *x64;

	(void)state;
	assert_int_equal(vms_guardian_new("tenant-dr-site", 30, &other), 0);
	roll_ok(&host_a, kp0, vm, &r1);
	confirm_roll(&host_a, vm, &r1, 0);
	vm_expect(vm, 1, 0);
	len = kp_der(r1.kp, &der);
	/* the owner names HGS's guardian as the roll's signer */
	assert_int_equal(vms_kp_grant(der, len, &owner, other.enc_cert, NULL, &granted, &glen),
			 -EOPNOTSUPP);
	assert_int_equal(vms_kp_grant(der, len, &owner, other.enc_cert, hgs_g.sign_cert,
				      &granted, &glen), 0);
	g64 = vms_b64_encode(granted, glen);
	/* released as version 1 with the TK the VM's state is under */
	roll_ok(&host_a, g64, vm, &r2);
	assert_int_equal(r2.version, 1);
	assert_memory_equal(r2.tk, r1.tk_next, 32);
	assert_memory_equal(r2.key_id, r1.next_key_id, 16);
	/* the roll goes to the owner's new list: the new guardian opens it */
	free(der);
	len = kp_der(r2.kp, &der);
	assert_int_equal(vms_kp_unwrap(der, len, &other, &info, tk), 0);
	assert_memory_equal(tk, r2.tk_next, 32);
	assert_int_equal(info.tk_version, 2);
	confirm_roll(&host_a, vm, &r2, 0);
	vm_expect(vm, 2, 0);
	release_expect(&host_a, g64, vm, 1, 403, "KeyProtectorSuperseded");
	release_expect(&host_a, r1.kp, vm, 0, 403, "KeyProtectorSuperseded");

	/* an owner KP at a version HGS never reached: nothing released */
	assert_int_equal(vms_kp_verify(granted, glen, &bind), 0);
	bind.tk_version = 7;
	assert_int_equal(vms_kp_create_ex(&owner, &hgs_g.enc_cert, 1, &bind, tk0, &x, &xlen), 0);
	x64 = vms_b64_encode(x, xlen);
	release_expect(&host_a, x64, vm, 1, 403, "KeyProtectorSuperseded");
	vm_expect(vm, 2, 0);
	free(x);
	free(x64);
	/* the owner revokes HGS's guardian: HGS cannot open the next one */
	assert_int_equal(vms_kp_revoke(der, len, &owner, hgs_g.enc_cert, hgs_g.sign_cert,
				       &x, &xlen), 0);
	x64 = vms_b64_encode(x, xlen);
	release_expect(&host_a, x64, vm, 1, 403, "KeyProtectorNotForThisHgs");
	vm_expect(vm, 2, 0);
	free(x);
	free(x64);
	free(der);
	free(granted);
	free(g64);
	vms_guardian_free(&other);
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
}

/* Run `shieldctl @args` (in the scratch directory): its exit status, output in @out. */
static int shieldctl_in_dir(const char *args, char *out, size_t len)
{
	const char *bin = getenv("SHIELDCTL_BIN");
	char cmd[2048], abs[PATH_MAX];
	FILE *p;
	size_t n;

	assert_true(strlen(args) < 512);
	assert_non_null(realpath(bin ? bin : "../build/bin/shieldctl", abs));
	snprintf(cmd, sizeof(cmd), "cd '%.*s' && %.1024s %.512s 2>&1",
		 (int)(strlen(dir) - 4), dir, abs, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	return WEXITSTATUS(pclose(p));
}

/*
 * `shieldctl kp grant` on a rolled KP: refused without --roll-signer and
 * with the wrong one (nothing written, the reason said); with HGS's
 * guardian, the new KP shows the roll's version and key id.
 */
static void test_roll_shieldctl_kp_grant(void **state)
{
	const char *vm = "7a2b3c4d-1111-4222-8333-944455556609";
	struct vms_guardian other = { 0 };
	char path[256], args[512], out[4096], kid[33];
	uint8_t tk0[32], *der;
	size_t len;
	struct rolled r1;
	char *kp0 = make_kp(vm, tk0);
	const char *grant =
		"kp grant --in rolled.kp --owner owner.guardian --guardian other.pub --out granted.kp";

	(void)state;
	roll_ok(&host_a, kp0, vm, &r1);
	len = kp_der(r1.kp, &der);
	snprintf(path, sizeof(path), "%.*s/rolled.kp", (int)(strlen(dir) - 4), dir);
	assert_int_equal(vms_write_file_atomic(path, der, len, 0644, 0), 0);
	free(der);
	snprintf(path, sizeof(path), "%.*s/owner.guardian", (int)(strlen(dir) - 4), dir);
	assert_int_equal(vms_guardian_write(path, &owner, 1, NULL, 0), 0);
	snprintf(path, sizeof(path), "%.*s/hgs.pub", (int)(strlen(dir) - 4), dir);
	assert_int_equal(vms_guardian_write(path, &hgs_g, 0, NULL, 0), 0);
	assert_int_equal(vms_guardian_new("tenant-dr-site", 30, &other), 0);
	snprintf(path, sizeof(path), "%.*s/other.pub", (int)(strlen(dir) - 4), dir);
	assert_int_equal(vms_guardian_write(path, &other, 0, NULL, 0), 0);
	snprintf(path, sizeof(path), "%.*s/granted.kp", (int)(strlen(dir) - 4), dir);

	assert_int_equal(shieldctl_in_dir(grant, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "give --roll-signer PUB"));
	assert_int_equal(access(path, F_OK), -1);
	snprintf(args, sizeof(args), "%s --roll-signer other.pub", grant);
	assert_int_equal(shieldctl_in_dir(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not signed by the --roll-signer guardian"));
	assert_int_equal(access(path, F_OK), -1);
	snprintf(args, sizeof(args), "%s --roll-signer hgs.pub", grant);
	assert_int_equal(shieldctl_in_dir(args, out, sizeof(out)), 0);
	assert_int_equal(shieldctl_in_dir("kp show --in granted.kp", out, sizeof(out)), 0);
	vms_hex_encode(r1.next_key_id, 16, kid);
	assert_non_null(strstr(out, "tk_version: 1\n"));
	assert_non_null(strstr(out, kid));
	assert_null(strstr(out, "rolled_by:"));
	assert_non_null(strstr(out, "guardians: 3"));
	assert_int_equal(shieldctl_in_dir("kp show --in rolled.kp", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "rolled_by: HGS guardian"));
	vms_guardian_free(&other);
	rolled_free(&r1);
	free(kp0);
}

/* `shieldctl vm status`: its exit status, stdout and stderr in @out. */
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

/* HGS's view on the command line: the version, the pending roll, refusals. */
static void test_roll_shieldctl_vm_status(void **state)
{
	const char *vm = "7a2b3c4d-1111-4222-8333-944455556607";
	char out[2048];
	uint8_t tk0[32];
	struct rolled r1, r2;
	char *kp0 = make_kp(vm, tk0);

	(void)state;
	roll_ok(&host_a, kp0, vm, &r1);
	confirm_roll(&host_a, vm, &r1, 0);
	assert_int_equal(vm_status_cli(vm, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tk_version: 1 "));
	assert_non_null(strstr(out, "pending: none"));
	assert_non_null(strstr(out, "to roll-a"));
	assert_non_null(strstr(out, "vtpm_generation: none"));	/* no vTPM statement */
	roll_ok(&host_a, r1.kp, vm, &r2);
	assert_int_equal(vm_status_cli(vm, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "pending: version 2"));
	rolled_free(&r1);
	rolled_free(&r2);
	free(kp0);
	assert_int_equal(vm_status_cli("not-a-vm", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "shieldctl vm status: 'not-a-vm' is not a VM id"));
	assert_int_equal(vm_status_cli("7a2b3c4d-1111-4222-8333-9444555566ff", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "NoSuchObject"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roll_release_and_confirm),
		cmocka_unit_test(test_roll_old_state_and_captured_release_fail_closed),
		cmocka_unit_test(test_roll_crash_points),
		cmocka_unit_test(test_roll_restore_keeps_newest),
		cmocka_unit_test(test_roll_refusals),
		cmocka_unit_test(test_roll_plain_release_needs_live_renewal),
		cmocka_unit_test(test_roll_made_kp_remembered),
		cmocka_unit_test(test_roll_openssl_cms),
		cmocka_unit_test(test_roll_shieldctl_vm_status),
		cmocka_unit_test(test_roll_owner_grant_on_rolled_kp),
		cmocka_unit_test(test_roll_shieldctl_kp_grant),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("hgsd_roll", tests, group_setup, group_teardown);
}
