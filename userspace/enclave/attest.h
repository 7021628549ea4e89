/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attest.h - the enclave report (Documentation/enclave-protocol.md,
 * "REPORT"): its body, signed with the emulated platform's attestation key
 * (ECDSA P-256, SHA-256, DER, low-S). The key is read once at start; it
 * emulates what a real isolating platform would sign and is never to be
 * taken for hardware evidence.
 */
#ifndef VMS_ENCLAVE_ATTEST_H
#define VMS_ENCLAVE_ATTEST_H

#include <openssl/evp.h>

#include "enclave_proto.h"

struct vms_attest;

/*
 * vms_attest_new - take @pkey (an EC P-256 private key; a reference is
 * taken) and the SHA-256 of the enclave program. -EINVAL for another key.
 */
int vms_attest_new(EVP_PKEY *pkey, const u8 program[32],
		   struct vms_attest **out);
/* Read the PEM key at @path and hash the executable at @exe. */
int vms_attest_load(const char *path, const char *exe,
		    struct vms_attest **out);
void vms_attest_free(struct vms_attest *a);

/* The platform id: SHA-256 of the public key's SubjectPublicKeyInfo DER. */
const u8 *vms_attest_platform_id(const struct vms_attest *a);

/*
 * vms_attest_report - build and sign the body for @nonce; @kps is the KPS
 * key this identity accepts releases from, NULL before one was named
 * (kps_key=none); @resp's data and sig point into @a (valid until the
 * next call).
 */
int vms_attest_report(struct vms_attest *a, const u8 nonce[32],
		      const u8 pk[32], const u8 boot_id[16], const u8 *kps,
		      struct vms_ep_msg *resp);

/*
 * vms_attest_vtpm_statement - the vTPM generation statement
 * (vtpm-in-enclave.md §2): the body names the platform, the enclave key
 * and boot, the VM and key ids and the last confirmed @generation, signed
 * like a report. Writes [2-byte big-endian body length][body][DER
 * signature] to @out (@cap >= VMS_ATTEST_STATEMENT_MAX); its length in
 * *@len. 0, or -EIO.
 */
#define VMS_ATTEST_STATEMENT_MAX	1024
int vms_attest_vtpm_statement(struct vms_attest *a, const u8 pk[32],
			      const u8 boot_id[16], const u8 vm_id[16],
			      const u8 key_id[16], u64 generation, u8 *out,
			      size_t cap, size_t *len);

#endif /* VMS_ENCLAVE_ATTEST_H */
