/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_cert.h - the health certificate profile.
 *
 * X.509 v3, signed (ECDSA-SHA256) by the HGS attestation signer:
 *   subject     = O=vmshield guarded host, CN=<host name>
 *   issuer      = the signer certificate's subject
 *   public key  = the enclave's X25519 key (id-X25519 SPKI, RFC 8410)
 *   notBefore   = issuance - margin; notAfter = issuance + validity + margin
 *   extensions  = basicConstraints CA:FALSE (critical), keyUsage
 *                 keyAgreement (critical), and under vms_oids.h's arc:
 *                 mode, isolation level, policies passed, issuance time,
 *                 host key fingerprint, enclave key binding, report facts,
 *                 placement (kernel|hypervisor) and platform type
 *                 (none|emulated|sev-snp|nitro); parse takes a certificate
 *                 without the last two as kernel placement, no platform.
 * `openssl x509 -text` shows it; `openssl verify -CAfile signer.pem` accepts it.
 */
#ifndef VMS_HGS_CERT_H
#define VMS_HGS_CERT_H

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define VMS_HOST_NAME_MAX	64
#define VMS_HC_MODE_HOST_KEY	"host-key"
#define VMS_HC_BINDING_HOST_KEY	"host-key-only"

struct vms_health_cert_info {
	char host[VMS_HOST_NAME_MAX + 1];
	char mode[32];
	char binding[32];
	unsigned int level;		/* VMSHIELD_ISOLATION_* */
	char policies[320];
	char facts[384];
	unsigned int placement;		/* VMSHIELD_PLACEMENT_* */
	unsigned int platform;		/* enum vms_platform_type; NONE for kernel */
	char host_key_fpr[65];
	uint8_t enclave_pk[32];
	time_t issued;
	time_t not_before, not_after;	/* filled by parse */
};

/* 1 when @name is a valid host or guardian name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
int vms_host_name_valid(const char *name);

/* Issue; @in->issued is the issuance time. */
int vms_health_cert_issue(EVP_PKEY *signer_key, X509 *signer_cert,
			  const struct vms_health_cert_info *in,
			  long validity_s, long margin_s, X509 **out);

/* Read the profile back; -EINVAL when @c is not a health certificate. */
int vms_health_cert_parse(X509 *c, struct vms_health_cert_info *out);

/*
 * Check that @signer_cert issued @c (issuer name and signature) and that
 * @now is within its validity: 0, -EKEYREJECTED (other signer, bad
 * signature), -EKEYEXPIRED (expired or not yet valid).
 */
int vms_health_cert_verify(X509 *c, X509 *signer_cert, time_t now);

#endif /* VMS_HGS_CERT_H */
