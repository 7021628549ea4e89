/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_oids.h - vmshield's private OID arc.
 *
 * Arc: 2.25.212576768317686907703832469953166166086, the ITU-T X.667 OID of
 * UUID 9feccbde-250f-4d7a-aefc-29182723c846 (a private arc that needs no
 * registration). Under it:
 *   .1.x  health certificate extensions (Documentation/hgs-protocol.md)
 *   .2.x  key protector signed attributes
 */
#ifndef VMS_OIDS_H
#define VMS_OIDS_H

#define VMS_OID_ARC "2.25.212576768317686907703832469953166166086"

/* Health certificate extensions (all non-critical, DER values). */
#define VMS_OID_HC_MODE		VMS_OID_ARC ".1.1"	/* UTF8String "host-key" */
#define VMS_OID_HC_LEVEL	VMS_OID_ARC ".1.2"	/* UTF8String isolation level */
#define VMS_OID_HC_POLICIES	VMS_OID_ARC ".1.3"	/* UTF8String, comma list */
#define VMS_OID_HC_ISSUED	VMS_OID_ARC ".1.4"	/* GeneralizedTime */
#define VMS_OID_HC_HOSTKEY	VMS_OID_ARC ".1.5"	/* UTF8String SHA-256 hex of host SPKI */
#define VMS_OID_HC_BINDING	VMS_OID_ARC ".1.6"	/* UTF8String "host-key-only" */
#define VMS_OID_HC_FACTS	VMS_OID_ARC ".1.7"	/* UTF8String report facts */
#define VMS_OID_HC_PLACEMENT	VMS_OID_ARC ".1.8"	/* UTF8String kernel|hypervisor */
#define VMS_OID_HC_PLATFORM	VMS_OID_ARC ".1.9"	/* UTF8String none|emulated|sev-snp|nitro */

/* Key protector signed attributes (CMS SignerInfo). */
#define VMS_OID_KP_VERSION	VMS_OID_ARC ".2.1"	/* INTEGER 1 */
#define VMS_OID_KP_VM_ID	VMS_OID_ARC ".2.2"	/* OCTET STRING (16) */
#define VMS_OID_KP_KEY_ID	VMS_OID_ARC ".2.3"	/* OCTET STRING (16) */
#define VMS_OID_KP_POLICY	VMS_OID_ARC ".2.4"	/* INTEGER 1|2 */
#define VMS_OID_KP_RECIPIENTS	VMS_OID_ARC ".2.5"	/* SET OF OCTET STRING (DER certs) */
#define VMS_OID_KP_MIN_ATTESTATION VMS_OID_ARC ".2.6"	/* INTEGER 1 host-key, 2 tpm (optional) */
#define VMS_OID_KP_PLACEMENT	VMS_OID_ARC ".2.7"	/* INTEGER 2 hypervisor (optional) */
#define VMS_OID_KP_PLATFORMS	VMS_OID_ARC ".2.8"	/* INTEGER mask 1 << platform type (optional) */
#define VMS_OID_KP_VTPM		VMS_OID_ARC ".2.9"	/* INTEGER 1 vtpm-in-enclave (optional) */
#define VMS_OID_KP_CONTENT	VMS_OID_ARC ".2.10"	/* eContentType: DER EnvelopedData ContentInfo */
/* The TK roll (issue 20, Documentation/formats.md "Key protector, TK roll"). */
#define VMS_OID_KP_ROLL		VMS_OID_ARC ".2.11"	/* unsigned attr of the owner: the roll (SignedData) */
#define VMS_OID_KP_ROLL_CONTENT	VMS_OID_ARC ".2.12"	/* the roll's eContentType: AuthEnvelopedData DER */
#define VMS_OID_KP_TK_VERSION	VMS_OID_ARC ".2.13"	/* the roll's signed attr: INTEGER >= 1 */
#define VMS_OID_KP_OWNER_SIG	VMS_OID_ARC ".2.14"	/* the roll's signed attr: SHA-256 of the owner's signature */

#endif /* VMS_OIDS_H */
