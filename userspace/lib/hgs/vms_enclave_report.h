/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_enclave_report.h - the enclave report of the `hypervisor` placement
 * (DESIGN.md section 3a) and the per-platform verifiers HGS checks it with.
 *
 * vmshield-enclaved signs, with the platform attestation key, a report
 * that names the HGS nonce, its own X25519 public key, its placement, its
 * program digest and the platform's identity. Body: ASCII, exactly these
 * lines in this order, each ending in "\n", at most VMS_ER_BODY_MAX bytes
 * (Documentation/formats.md, "The enclave report"):
 *
 *   vmshield-enclave-report v2
 *   platform=emulated
 *   platform_id=<64 lower-case hex: SHA-256 of the platform key's DER SPKI>
 *   placement=hypervisor
 *   nonce=<64 lower-case hex>
 *   enclave_key=<64 lower-case hex: X25519 public key>
 *   program=<64 lower-case hex: SHA-256 of vmshield-enclaved>
 *   boot_id=<32 lower-case hex>
 *   kps_key=<64 lower-case hex: the KPS key the enclave accepts releases
 *           from, named by its first release challenge> or kps_key=none
 *
 * Signature (emulated platform): ECDSA P-256 with SHA-256 over the exact
 * body bytes, DER, low-S (s <= n/2), nothing after the DER.
 *
 * Which platform verifies a report is a table by platform type
 * (vms_platform_verifier_of()). This build verifies `emulated` only;
 * `sev-snp` and `nitro` are in the table and refuse every report with
 * -EPROTONOSUPPORT (what they would check: formats.md).
 *
 * Errors (negative errno); nothing is logged, no output is left
 * half-filled (on error *out is zeroed):
 *   -EMSGSIZE        body longer than VMS_ER_BODY_MAX, or empty; signature
 *                    longer than VMS_ER_SIG_MAX
 *   -EILSEQ          not a "vmshield-enclave-report v<N>" body, or a byte
 *                    that is not printable ASCII or "\n"
 *   -EPROTONOSUPPORT a version other than 2; a platform whose verifier is
 *                    not in this build
 *   -EINVAL          a line missing, out of order, repeated, unknown or
 *                    without its "\n"; a value of the wrong length or not
 *                    lower-case hex; placement other than hypervisor;
 *                    an unknown platform name; bytes after the last line;
 *                    a NULL argument
 *   -EKEYREJECTED    the platform key is not of the platform's kind (not
 *                    EC P-256 for `emulated`), or the report's platform_id
 *                    is not that key's SPKI digest, or the report names
 *                    another platform type than the verifier's
 *   -EBADMSG         the signature is not strict DER, is high-S, or does
 *                    not verify over the body with the platform key
 *   -ENOMEM, -EIO    allocation or OpenSSL failure
 */
#ifndef VMS_ENCLAVE_REPORT_H
#define VMS_ENCLAVE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define VMS_ER_MAGIC		"vmshield-enclave-report"
#define VMS_ER_VERSION		2
#define VMS_ER_BODY_MAX		1024
/* A DER ECDSA P-256 signature is at most 72 bytes. */
#define VMS_ER_SIG_MAX		72
#define VMS_ER_KEY_LEN		32
#define VMS_ER_BOOT_ID_LEN	16

/* Platform types: the values stored by HGS (append only). */
enum vms_platform_type {
	VMS_PLATFORM_NONE = 0,		/* kernel placement: no platform */
	VMS_PLATFORM_EMULATED = 1,	/* a key the outer machine holds (the rig) */
	VMS_PLATFORM_SEV_SNP = 2,	/* AMD SEV-SNP attestation report */
	VMS_PLATFORM_NITRO = 3,		/* AWS Nitro Enclaves attestation document */
	VMS_PLATFORM__MAX,
};

/* The facts a verified report states. */
struct vms_enclave_report {
	unsigned int platform;			/* enum vms_platform_type */
	uint8_t platform_id[VMS_ER_KEY_LEN];	/* SHA-256 of the platform key's SPKI */
	unsigned int placement;			/* VMSHIELD_PLACEMENT_HYPERVISOR */
	uint8_t nonce[VMS_ER_KEY_LEN];
	uint8_t enclave_key[VMS_ER_KEY_LEN];
	uint8_t program[VMS_ER_KEY_LEN];	/* SHA-256 of the enclave program */
	uint8_t boot_id[VMS_ER_BOOT_ID_LEN];
	int kps_set;				/* kps_key names a key (not "none") */
	uint8_t kps_key[VMS_ER_KEY_LEN];	/* all zero when !kps_set */
};

/* The evidence as it arrives: the body and the platform's signature. */
struct vms_enclave_evidence {
	const uint8_t *body;
	size_t body_len;
	const uint8_t *sig;
	size_t sig_len;
};

/*
 * A platform's verifier. @verify checks @ev against the registered
 * platform key @platform_key and fills @out with the facts only when
 * every check passed (0); else a negative errno as above and @out zeroed.
 */
struct vms_platform_verifier {
	unsigned int type;		/* enum vms_platform_type */
	const char *name;		/* "emulated", "sev-snp", "nitro" */
	int supported;			/* 0: refuses everything in this build */
	int (*verify)(const struct vms_enclave_evidence *ev, EVP_PKEY *platform_key,
		      struct vms_enclave_report *out);
};

/* The verifier of @type; NULL for VMS_PLATFORM_NONE or an unknown type. */
const struct vms_platform_verifier *vms_platform_verifier_of(unsigned int type);

/* "emulated", "sev-snp", "nitro"; "none" for 0; "unknown" otherwise. */
const char *vms_platform_name(unsigned int type);
/* Name back to type (NUL-terminated), or -EINVAL; "none" is not a platform. */
int vms_platform_from_name(const char *name);

/*
 * vms_enclave_report_parse - the strict parse of a v2 body of @len bytes
 * (the format above), without any signature check. For HGS to learn
 * which registered platform to look up; only a verifier's result is
 * evidence.
 */
int vms_enclave_report_parse(const uint8_t *body, size_t len, struct vms_enclave_report *out);

/*
 * vms_enclave_report_verify - parse @ev's body, then run the verifier of
 * the platform the body names against @platform_key.
 */
int vms_enclave_report_verify(const struct vms_enclave_evidence *ev, EVP_PKEY *platform_key,
			      struct vms_enclave_report *out);

/* 1 when @k is the kind of key @type's platform signs with (EC P-256 for emulated). */
int vms_platform_key_ok(unsigned int type, EVP_PKEY *k);

/*
 * The emulated platform's signature over @msg: @key EC P-256 (else
 * -EKEYREJECTED), @sig strict DER with low S (-EBADMSG, -EMSGSIZE), then
 * ECDSA-SHA256 (-EBADMSG). For the vTPM statement (vms_vtpm_statement.h).
 */
int vms_er_p256_verify(EVP_PKEY *key, const uint8_t *msg, size_t mlen,
		       const uint8_t *sig, size_t slen);

/* The platform id of @k: SHA-256 of its DER SubjectPublicKeyInfo. 0 or -EINVAL. */
int vms_platform_id_of(EVP_PKEY *k, uint8_t out[VMS_ER_KEY_LEN]);

#endif /* VMS_ENCLAVE_REPORT_H */
