/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kat_hooks.h - deterministic variants of the two randomised operations,
 * for known-answer tests (vms_core_selftest() and the unit tests) ONLY.
 *
 * Each is the production function (vms_kr_build(), vms_ss_seal()) with its
 * one random input, the HPKE ephemeral key or the 24-byte nonce, given
 * instead of drawn: the same checks, layout and crypto, so a known answer
 * proves the production path. Production never calls them, and they refuse
 * a NULL @skE / @nonce. A fixed ephemeral key or a fixed nonce in
 * production would break the formats' security: never call these outside
 * a self-test.
 */
#ifndef VMS_KAT_HOOKS_H
#define VMS_KAT_HOOKS_H

#include "keyrelease.h"
#include "sealedstate.h"

int vms_kr_build_kat(const struct vms_kr_binding *b, const u8 enclave_pk[32],
		     const u8 kps_sk[32], const u8 tk[VMS_TK_LEN],
		     const u8 skE[32], u8 *out, size_t outlen);

int vms_ss_seal_kat(struct vms_seal_key *k, u64 now_ns, u64 generation,
		    const u8 nonce[VMS_SS_NONCE_LEN],
		    const u8 *pt, size_t ptlen, u8 *out, size_t outlen);

#endif /* VMS_KAT_HOOKS_H */
