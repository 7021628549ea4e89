// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_release - libFuzzer harness: the key-release and sealed-state
 * parsers of core/ (keyrelease.c, sealedstate.c), as the module and the
 * worker run them on blobs from userspace: the structural parse, then
 * the full open/unseal under fixed keys; the roll release (flag bit 0)
 * through its own parser and opener. A refused blob leaves the
 * binding zeroed and no key written. Seeds: corpus/fuzz_release/ (real
 * releases and sealed states from the tests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyrelease.h"
#include "sealedstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void release(const uint8_t *data, size_t size)
{
	static const struct vms_kr_binding zero;
	static const u8 sk[32] = { 1, 2, 3 }, pk[32] = { 4, 5, 6 };
	static const u8 kps_pk[32] = { 9, 8, 7 };
	struct vms_kr_binding b;
	struct vms_kr_view v;
	u8 tk[VMS_TK_LEN], untouched[VMS_TK_LEN];

	if (vms_kr_parse(data, size, &b, &v)) {
		if (memcmp(&b, &zero, sizeof(b)))
			abort();
	} else if (b.n_digests > VMS_KR_MAX_DIGESTS || b.lifetime_s > VMS_KR_MAX_LIFETIME ||
		   (b.flags & ~VMS_KR_FLAGS_ALL) ||
		   b.not_after_ns != b.challenge_ns + (u64)b.lifetime_s * 1000000000ull ||
		   !b.issued_at) {
		abort();
	}
	memset(tk, 0x5a, sizeof(tk));
	memcpy(untouched, tk, sizeof(tk));
	if (vms_kr_open(data, size, sk, pk, kps_pk, NULL, NULL, &b, tk) &&
	    memcmp(tk, untouched, sizeof(tk)))
		abort();	/* @tk written on a refusal */
}

/* The roll release (flag bit 0): the same rules, and neither key on a refusal. */
static void release_roll(const uint8_t *data, size_t size)
{
	static const struct vms_kr_binding zero;
	static const u8 sk[32] = { 1, 2, 3 }, pk[32] = { 4, 5, 6 };
	static const u8 kps_pk[32] = { 9, 8, 7 };
	struct vms_kr_binding b;
	struct vms_kr_view v;
	u8 tk[2][VMS_TK_LEN], untouched[2][VMS_TK_LEN];

	if (vms_kr_parse_roll(data, size, &b, &v)) {
		if (memcmp(&b, &zero, sizeof(b)))
			abort();
	} else if ((b.flags & ~VMS_KR_FLAGS_ALL) != VMS_KR_FLAG_ROLL || !v.ct_next ||
		   size != vms_kr_size_flags(b.n_digests, b.flags)) {
		abort();
	}
	memset(tk, 0x5a, sizeof(tk));
	memcpy(untouched, tk, sizeof(tk));
	if (vms_kr_open_roll(data, size, sk, pk, kps_pk, NULL, &b, tk[0], tk[1]) &&
	    memcmp(tk, untouched, sizeof(tk)))
		abort();	/* a key written on a refusal */
}

static void sealed(const uint8_t *data, size_t size)
{
	static const u8 tk[32] = { 7 }, id[VMS_SS_ID_LEN] = { 8 };
	struct vms_seal_key k;
	struct vms_ss_header h;
	u8 out[512];
	u64 gen;

	vms_ss_parse(data, size, &h);
	if (vms_seal_key_init(&k, tk, id, id, 0, 1))
		return;
	vms_ss_unseal(&k, 2, data, size, out, sizeof(out), &gen);
	vms_seal_key_wipe(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	release(data, size);
	release_roll(data, size);
	sealed(data, size);
	return 0;
}
