/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_attest.h - host-key mode attestation evidence, shared by hgsd
 * and the hosts that attest to it (hgs-agent, tests, benchmarks).
 *
 * The module's isolation report is one line (kmod/isolation.c):
 *   vmshield-report v1 placement=kernel level=<kernel-open|kernel-locked>
 *     lockdown=<none|integrity|confidentiality> sig_enforced=<0|1>
 *     module_sig_ok=<0|1> enclave_pk=<64 lower-case hex>
 * parsed strictly (fields in this order, single spaces, nothing else).
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

#define VMS_ATTEST_LABEL	"vmshield-attest v1"
#define VMS_NONCE_LEN		32
#define VMS_REPORT_MAX		512

struct vms_isolation_report {
	unsigned int placement;	/* VMSHIELD_PLACEMENT_* */
	unsigned int level;	/* VMSHIELD_ISOLATION_* */
	unsigned int lockdown;	/* VMSHIELD_LOCKDOWN_* */
	int sig_enforced;
	int module_sig_ok;
	uint8_t enclave_pk[32];
};

/*
 * Parse a report; -EINVAL if it is not exactly the v1 line, or if its
 * facts contradict each other (kernel-locked needs lockdown=confidentiality
 * and sig_enforced=1; kernel-open means one of them is missing).
 */
int vms_report_parse(const char *text, size_t len,
		     struct vms_isolation_report *r);
/* Write the v1 line for @r into @buf (as the module does); -ENOSPC. */
int vms_report_format_text(const struct vms_isolation_report *r, char *buf,
			   size_t len);

/* "kernel-open" etc. back to VMSHIELD_ISOLATION_*; -EINVAL if unknown. */
int vms_isolation_from_name(const char *name);

int vms_attest_sign(EVP_PKEY *host_key, const uint8_t nonce[VMS_NONCE_LEN],
		    const uint8_t enclave_pk[32], const char *report,
		    size_t rlen, uint8_t **sig, size_t *siglen);
/* 0 when @sig verifies, -EBADMSG when not, -EINVAL for a bad key type. */
int vms_attest_verify(EVP_PKEY *host_pub, const uint8_t nonce[VMS_NONCE_LEN],
		      const uint8_t enclave_pk[32], const char *report,
		      size_t rlen, const uint8_t *sig, size_t siglen);

#endif /* VMS_HGS_ATTEST_H */
