// SPDX-License-Identifier: GPL-2.0
/*
 * kps_migrate.c - live migration, KPS's side (issue 20;
 * Documentation/migration.md §2, hgs-protocol.md §6b):
 *
 *   POST /v1/kps/migrate {health_certificate (the destination's),
 *                         key_protector (the VM's acknowledged KP), vm_id,
 *                         enclave_challenge, challenge_ns (the
 *                         destination enclave's), source_host}
 *     -> the answer of a roll release, to the destination's enclave,
 *        and "migrating_from"
 *   POST /v1/kps/migrated {health_certificate (the source's), vm_id}
 *     -> {vm_id, tk_version, unchanged}
 *
 * A migration is a TK roll released to another host than the one the VM
 * runs on: the destination's enclave gets the current TK (to open the
 * state blobs the source seals) and the next one (to re-seal them); the
 * destination confirms with /v1/kps/confirm as after a start. KPS checks,
 * in order: the request's shape; everything a release checks, for the
 * destination's certificate (signer, validity, cut-off, host registered
 * and enabled, KP, policy for its isolation level); the destination is
 * not the source; then, in the transaction that records it
 * (store_vm_migrate): the KP is the acknowledged version with no roll
 * pending and the source is the host of the VM's last release. Any
 * refusal records nothing and answers no key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hgsd.h"
#include "kps.h"
#include "log.h"
#include "store.h"
#include "store_vm.h"
#include "vms_b64.h"
#include "vms_cleanup_json.h"
#include "vms_hex.h"
#include "vms_hgs_cert.h"
#include "vmshield.h"

#define CERT_MAX	8192
#define HOST_MAX	64

/* Refused: the event (no key was served), the log line; the answer is set. */
static void migrate_refused(struct hgsd *h, struct answer *a, const char *dst, const char *src)
{
	char hbuf[80], sbuf[80];

	store_event(h->st, "migrate", dst && dst[0] ? dst : "-",
		    vms_hgs_reason_name(a->reason), "");
	if (h->cfg.log_requests)
		log_info("migrate", "host=%s source=%s result=%s",
			 log_safe(dst && dst[0] ? dst : "-", hbuf, sizeof(hbuf)),
			 log_safe(src ? src : "-", sbuf, sizeof(sbuf)),
			 vms_hgs_reason_name(a->reason));
}

/* The store's refusal of a migration as its reason code (the answer set). */
static void migrate_store_refusal(struct answer *a, int r)
{
	switch (r) {
	case -ESTALE:
		answer_fail(a, HGS_R_KP_SUPERSEDED, NULL);
		break;
	case -EBUSY:
		answer_fail(a, HGS_R_MIGRATION_ROLL_PENDING, NULL);
		break;
	case -EXDEV:
		answer_fail(a, HGS_R_MIGRATION_SOURCE_STALE, NULL);
		break;
	case -ELOOP:
		answer_fail(a, HGS_R_MIGRATION_TO_SOURCE, NULL);
		break;
	case -EAGAIN:
		answer_fail(a, HGS_R_BUSY, "this VM's key version changed meanwhile: retry");
		break;
	default:
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
	}
}

/* The release answer's members, as /v1/kps/release with a roll answers them. */
static json_t *migrate_answer(const struct release_out *out, uint64_t next_version,
			      const char *src)
{
	_cleanup_free_ char *b64 = vms_b64_encode(out->rep.blob, out->rep.blob_len);
	char vm[VMS_UUID_STR_LEN], kid[33];
	json_t *o, *roll;

	if (!b64)
		return NULL;
	vms_uuid_format(out->rep.info.vm_id, vm);
	vms_hex_encode(out->rep.info.key_id, 16, kid);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o*, s:I, s:s}",
		      "key_release", b64, "vm_id", vm, "key_id", kid,
		      "policy", out->rep.info.policy == VMS_KR_POLICY_SHIELDED ?
		      "shielded" : "encryption-supported",
		      "lifetime_s", (json_int_t)out->lifetime,
		      "worker_policy_version", (json_int_t)out->worker_version,
		      "worker_digests", (json_int_t)out->n_digests,
		      "kps_public_key", kps_key_json(),
		      "tk_version", (json_int_t)out->rep.info.tk_version,
		      "migrating_from", src);
	roll = kps_roll_json(out, next_version);
	if (o && (!roll || json_object_update(o, roll))) {
		json_decref(o);
		o = NULL;
	}
	json_decref(roll);
	return o;
}

/* A refusal of the release checks, as handle_release answers it. */
static void release_check_failed(struct answer *a, enum vms_hgs_reason r)
{
	json_t *k;

	if (a->reason == HGS_PASSED)
		answer_fail(a, r, NULL);
	if (r != HGS_R_ENCLAVE_CHALLENGE_REQUIRED)
		return;
	/* the agent learns KPS's key from this answer, then asks its enclave */
	k = kps_key_json();
	if (k) {
		json_decref(a->json);
		a->json = json_pack("{s:o}", "kps_public_key", k);
	}
}

void handle_migrate(struct hgsd *h, struct request *rq, struct answer *a)
{
	struct release_out out;
	enum vms_hgs_reason rr;
	const char *src;
	char vm[VMS_UUID_STR_LEN], kid[33], nkid[33], detail[224], hbuf[80];
	uint64_t next_version = 0;
	json_t *o;
	int r;

	memset(&out, 0, sizeof(out));
	src = req_str(rq, a, "source_host", HOST_MAX);
	if (!src) {
		migrate_refused(h, a, NULL, NULL);
		return;
	}
	if (!src[0]) {
		answer_fail(a, HGS_R_INVALID_REQUEST,
			    "field 'source_host' must name the host the VM runs on");
		migrate_refused(h, a, NULL, NULL);
		return;
	}
	out.force_roll = 1;
	rr = kps_release_checked(h, rq, a, &out);
	if (rr == HGS_PASSED && !strcmp(out.cert.host, src))
		rr = HGS_R_MIGRATION_TO_SOURCE;
	if (rr != HGS_PASSED) {
		free(out.rolled);
		release_check_failed(a, rr);
		migrate_refused(h, a, out.cert.host, src);
		return;
	}
	vms_uuid_format(out.rep.info.vm_id, vm);
	vms_hex_encode(out.rep.info.key_id, 16, kid);
	vms_hex_encode(out.rep.next_key_id, 16, nkid);
	snprintf(detail, sizeof(detail),
		 "vm_id=%s key_id=%s policy=%u lifetime_s=%u tk_version=%llu roll=1 migrate_from=%s next_key_id=%s",
		 vm, kid, out.rep.info.policy, out.lifetime,
		 (unsigned long long)out.rep.info.tk_version,
		 log_safe(src, hbuf, sizeof(hbuf)), nkid);
	r = store_vm_migrate(h->st, vm, out.rep.info.tk_version, out.rep.info.key_id,
			     out.rep.next_key_id, src, out.cert.host, detail, &next_version);
	if (r) {
		free(out.rolled);
		migrate_store_refusal(a, r);
		migrate_refused(h, a, out.cert.host, src);
		return;
	}
	o = migrate_answer(&out, next_version, src);
	free(out.rolled);
	__atomic_fetch_add(&h->release_ok, 1, __ATOMIC_RELAXED);
	if (h->cfg.log_requests)
		log_info("migrate", "host=%s result=Passed %s",
			 log_safe(out.cert.host, hbuf, sizeof(hbuf)), detail);
	if (!o)
		answer_fail(a, HGS_R_INTERNAL_ERROR, NULL);	/* recorded; the next start replaces it */
	else
		answer_ok(a, o);
}

/*
 * POST /v1/kps/migrated: the source revoked the VM's key and says the
 * VM left it (audit). Only the source of a migration the destination
 * confirmed (from then on KP(v) is superseded for every host).
 */
void handle_migrated(struct hgsd *h, struct request *rq, struct answer *a)
{
	struct vms_health_cert_info info;
	char vm[VMS_UUID_STR_LEN], hbuf[80];
	uint64_t version = 0;
	int r;

	if (kps_host_vm_req(h, rq, a, &info, vm))
		return;
	r = store_vm_migrated(h->st, vm, info.host, &version);
	if (r == -ENOENT)
		answer_fail(a, HGS_R_MIGRATION_NOT_FOUND, NULL);
	else if (r == -EINPROGRESS)
		answer_fail(a, HGS_R_MIGRATION_NOT_CONFIRMED, NULL);
	else if (r == -EAGAIN)
		answer_fail(a, HGS_R_BUSY, "this VM's key version changed meanwhile: retry");
	else if (r < 0)
		answer_fail(a, HGS_R_INTERNAL_ERROR, STORE_NOT_RECORDED);
	else
		answer_ok(a, json_pack("{s:s, s:I, s:b}", "vm_id", vm, "tk_version",
				       (json_int_t)version, "unchanged", r == 1));
	if (h->cfg.log_requests)
		log_info("migrated", "host=%s vm_id=%s tk_version=%llu result=%s",
			 log_safe(info.host, hbuf, sizeof(hbuf)), vm,
			 (unsigned long long)version, vms_hgs_reason_name(a->reason));
}
