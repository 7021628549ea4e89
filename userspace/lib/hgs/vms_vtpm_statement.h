/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_vtpm_statement.h - the vTPM statement of the hypervisor placement
 * (Documentation/vtpm-in-enclave.md §2-3): what the enclave says, under
 * its platform's signature, about one key's vTPM record, so the host
 * carries it to HGS but cannot alter it:
 *
 *   [2-byte big-endian body length][body][DER ECDSA P-256 signature]
 *
 * the body exactly these lines, in this order, each ending in "\n":
 *   vmshield-vtpm-statement v1
 *   platform=emulated
 *   platform_id=<64 lower-case hex>
 *   enclave_key=<64 lower-case hex>
 *   boot_id=<32 lower-case hex>
 *   vm_id=<32 lower-case hex>
 *   key_id=<32 lower-case hex>
 *   generation=<decimal, no leading zero>
 *
 * Errors: -EMSGSIZE (framing, length), -EINVAL (a line out of format),
 * -EPROTONOSUPPORT (another platform type than emulated), -EKEYREJECTED
 * (the key is not the platform the body names), -EBADMSG (signature).
 */
#ifndef VMS_VTPM_STATEMENT_H
#define VMS_VTPM_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define VMS_VS_MAGIC	"vmshield-vtpm-statement v1"
#define VMS_VS_MAX	1024	/* framing, body and signature */

struct vms_vtpm_statement {
	unsigned int platform;		/* enum vms_platform_type */
	uint8_t platform_id[32];
	uint8_t enclave_key[32];
	uint8_t boot_id[16];
	uint8_t vm_id[16];
	uint8_t key_id[16];
	uint64_t generation;		/* the last one the host confirmed */
};

/* The strict parse of @blob (framing and body), no signature check. */
int vms_vtpm_statement_parse(const uint8_t *blob, size_t len,
			     struct vms_vtpm_statement *out);

/*
 * Parse, then check @blob was signed by @platform_key, the platform the
 * body names. @out is filled only on 0 (zeroed otherwise).
 */
int vms_vtpm_statement_verify(const uint8_t *blob, size_t len, EVP_PKEY *platform_key,
			      struct vms_vtpm_statement *out);

#endif /* VMS_VTPM_STATEMENT_H */
