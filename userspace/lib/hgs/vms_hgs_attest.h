/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_attest.h - host-key mode attestation evidence, shared by hgsd
 * and the hosts that attest to it (hgs-agent, tests, benchmarks).
 *
 * The evidence carries the module's isolation report, whose format, strict
 * parser and name tables are core/report.h (struct vms_isolation_report,
 * vms_report_format(), vms_report_parse(), vms_isolation_from_name(), ...;
 * Documentation/formats.md), included here for the users of this header.
 *
 * The host key signs
 *   "vmshield-attest v1" || 0x00 || nonce (32) || enclave_pk (32) || report
 * (the label separates this signature from any other use of the host key;
 * nonce and key are fixed length, so the report is what remains). Ed25519
 * signs the message itself (PureEdDSA); ECDSA P-256 signs its SHA-256,
 * DER-encoded (RFC 5480).
 */
#ifndef VMS_HGS_ATTEST_H
#define VMS_HGS_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "report.h"

#define VMS_ATTEST_LABEL	"vmshield-attest v1"
#define VMS_NONCE_LEN		32

/* -EINVAL for a report of VMS_REPORT_MAX bytes or more, or a bad key type. */
int vms_attest_sign(EVP_PKEY *host_key, const uint8_t nonce[VMS_NONCE_LEN],
		    const uint8_t enclave_pk[32], const char *report,
		    size_t rlen, uint8_t **sig, size_t *siglen);
/* 0 when @sig verifies, -EBADMSG when not, -EINVAL for a bad key type. */
int vms_attest_verify(EVP_PKEY *host_pub, const uint8_t nonce[VMS_NONCE_LEN],
		      const uint8_t enclave_pk[32], const char *report,
		      size_t rlen, const uint8_t *sig, size_t siglen);

#endif /* VMS_HGS_ATTEST_H */
