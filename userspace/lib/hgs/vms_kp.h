/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_kp.h - key protectors (KP), version 1.
 *
 * A KP is a DER CMS ContentInfo (`openssl cms -cmsout -print -inform DER`):
 *
 *   SignedData, one SignerInfo by the owner guardian's signing certificate
 *     eContentType   = VMS_OID_KP_CONTENT
 *     eContent       = DER ContentInfo of an EnvelopedData: the 32-byte
 *                      transport key (TK), AES-256-CBC, its key agreed
 *                      (ECDH P-256, RFC 5753) with each authorised
 *                      guardian's encryption certificate
 *     signed attrs   = contentType, messageDigest, signingTime, and
 *                      kpVersion (INTEGER 1), vmId (OCTET STRING 16),
 *                      keyId (OCTET STRING 16), policy (INTEGER 1|2),
 *                      optionally minAttestation (INTEGER 1 host-key,
 *                      2 tpm: KPS refuses certificates of a weaker mode),
 *                      recipientCerts (one value per authorised guardian:
 *                      an OCTET STRING holding its encryption certificate's
 *                      DER, so a grant or revoke can rebuild the envelope;
 *                      kept out of `certificates` so that KPS does not
 *                      pay for parsing them on every release)
 *     certificates   = the owner's signing certificate
 *
 * The owner signature covers the envelope (via messageDigest) and the
 * binding attributes; changing either breaks it. Grant and revoke need the
 * owner's signing key (a new signature) and its encryption key (to recover
 * the TK for the new envelope): the owner is always a recipient.
 *
 * KPS may add a TK roll as an unsigned attribute of the owner's
 * SignerInfo (kp_roll.c, vms_kp_roll()): then the TK is the roll's.
 *
 * Errors: -EINVAL malformed (not CMS, not a v1 KP, bad attribute),
 * -EBADMSG owner signature does not verify, -ENOKEY the guardian is not a
 * recipient, -EKEYREJECTED the envelope does not open with its key,
 * -EPERM (grant/revoke) the guardian given is not the owner.
 */
#ifndef VMS_KP_H
#define VMS_KP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>

#include "vms_guardian.h"

#define VMS_KP_VERSION		1

/*
 * The weakest attestation mode whose health certificates may receive the
 * KP's key (optional attribute minAttestation; absent = host-key).
 */
#define VMS_KP_ATTEST_ANY	0	/* attribute absent */
#define VMS_KP_ATTEST_HOST_KEY	1
#define VMS_KP_ATTEST_TPM	2
/*
 * The placement a KP requires (optional attribute placement; absent =
 * any) and, with it, the platform types it accepts (optional attribute
 * platformTypes: a mask of 1 << enum vms_platform_type; absent = any
 * type HGS's policy accepts).
 */
#define VMS_KP_PLACEMENT_ANY		0	/* attribute absent */
#define VMS_KP_PLACEMENT_HYPERVISOR	2	/* VMSHIELD_PLACEMENT_HYPERVISOR */
#define VMS_KP_PLATFORMS_ALL		0xeU	/* emulated, sev-snp, nitro */
/*
 * vtpm-in-enclave (optional attribute vtpmInEnclave, INTEGER 1; only with
 * placement hypervisor): the VM's vTPM runs in the enclave, never in host
 * userspace (Documentation/vtpm-in-enclave.md).
 */
#define VMS_KP_VTPM_IN_ENCLAVE		1
#define VMS_KP_MAX_LEN		(256 * 1024)
#define VMS_KP_MAX_RECIPIENTS	64

struct vms_kp_info {
	uint8_t vm_id[16];
	uint8_t key_id[16];
	uint32_t policy;		/* VMS_KR_POLICY_* */
	uint32_t min_attestation;	/* VMS_KP_ATTEST_* */
	uint32_t min_placement;		/* VMS_KP_PLACEMENT_* */
	uint32_t platform_mask;		/* 1 << platform type; 0: any */
	uint32_t vtpm;			/* VMS_KP_VTPM_IN_ENCLAVE or 0 */
	char owner[VMS_GUARDIAN_NAME_MAX + 1];
	char owner_fpr[65];		/* SHA-256 of the owner signing cert */
	unsigned int n_recipients;
	/*
	 * The TK roll (issue 20): 0 for a KP as its owner made it; else the
	 * version KPS rolled it to, @key_id is then the rolled TK's and
	 * @roll_signer_fpr the SHA-256 of the signing certificate of the
	 * guardian that signed the roll (KPS trusts only its own). A KP the
	 * owner re-signed after a roll (grant, revoke) carries the version
	 * in its own signed attributes: @tk_version set, no roll, and
	 * @roll_signer_fpr empty. vms_kp_create_ex() writes @tk_version.
	 */
	uint64_t tk_version;
	char roll_signer_fpr[65];
};

/* A new KP: owner signs, the TK goes to the owner and each of @others. */
int vms_kp_create(const struct vms_guardian *owner, X509 *const *others,
		  size_t n_others, const uint8_t vm_id[16],
		  const uint8_t key_id[16], uint32_t policy,
		  const uint8_t tk[32], uint8_t **der, size_t *derlen);

/*
 * The same with every binding field of @bind (vm_id, key_id, policy,
 * min_attestation, min_placement, platform_mask, vtpm); grant and revoke keep
 * them.
 */
int vms_kp_create_ex(const struct vms_guardian *owner, X509 *const *others,
		     size_t n_others, const struct vms_kp_info *bind,
		     const uint8_t tk[32], uint8_t **der, size_t *derlen);

/* Parse and verify the owner signature; fills @info. No key needed. */
int vms_kp_verify(const uint8_t *der, size_t len, struct vms_kp_info *info);

/*
 * Verify, then find @g (encryption cert and key) among the recipients and
 * unwrap the TK. @tk is written only on success.
 */
int vms_kp_unwrap(const uint8_t *der, size_t len, const struct vms_guardian *g,
		  struct vms_kp_info *info, uint8_t tk[32]);

/* The same, trying each of @gs in turn; -ENOKEY when none is listed. */
int vms_kp_unwrap_any(const uint8_t *der, size_t len,
		      const struct vms_guardian *const *gs, size_t n,
		      struct vms_kp_info *info, uint8_t tk[32]);

/*
 * The two halves of vms_kp_unwrap_any(), for a caller that remembers
 * verified KPs (KPS): verify the KP and return its EnvelopedData (DER, no
 * secret; free()); later, unwrap the TK from such an envelope.
 */
int vms_kp_verify_envelope(const uint8_t *der, size_t len, struct vms_kp_info *info,
			   uint8_t **env, size_t *envlen);
int vms_kp_unwrap_envelope(const uint8_t *env, size_t envlen,
			   const struct vms_guardian *const *gs, size_t n,
			   uint8_t tk[32]);

/*
 * vms_kp_unwrap_any() that also hands back the verified envelope (as
 * vms_kp_verify_envelope() would; free()) whenever the KP verified, even
 * if none of @gs opens it: one parse for a caller that caches envelopes.
 */
int vms_kp_unwrap_any_env(const uint8_t *der, size_t len,
			  const struct vms_guardian *const *gs, size_t n,
			  struct vms_kp_info *info, uint8_t tk[32],
			  uint8_t **env, size_t *envlen);

/*
 * Encryption certificates of the recipients (free with
 * sk_X509_pop_free(.., X509_free)).
 */
int vms_kp_recipients(const uint8_t *der, size_t len, STACK_OF(X509) **out);

/*
 * New KP with @enc_cert added to / removed from the recipients, signed by
 * @owner (-EPERM: not the KP's owner). A KP KPS rolled needs
 * @roll_signer, the signing certificate of the HGS guardian the owner
 * trusts to have rolled it (-EOPNOTSUPP without, -EACCES another);
 * the new KP then holds the roll's TK and key id and, owner-signed, its
 * TK version (Documentation/formats.md §7). NULL for a KP never rolled.
 */
int vms_kp_grant(const uint8_t *der, size_t len,
		 const struct vms_guardian *owner, X509 *enc_cert,
		 X509 *roll_signer, uint8_t **out, size_t *outlen);
int vms_kp_revoke(const uint8_t *der, size_t len,
		  const struct vms_guardian *owner, X509 *enc_cert,
		  X509 *roll_signer, uint8_t **out, size_t *outlen);

/*
 * vms_kp_roll - KPS's TK roll (Documentation/formats.md, "Key protector:
 * the TK roll"): the KP @der with its roll replaced by a new one: @tk
 * (key id @key_id, version @version >= 1) enveloped to every recipient
 * the owner lists, signed by @signer (a guardian with its signing key),
 * bound to the VM id and to the owner's signature. The owner's part is
 * not changed: its signature still verifies. -EINVAL (@version 0, a
 * malformed KP), -E2BIG (the result would exceed VMS_KP_MAX_LEN), -EBADMSG (the owner signature), -ENOKEY (@signer has no
 * signing key), -ENOMEM.
 */
int vms_kp_roll(const uint8_t *der, size_t len, const struct vms_guardian *signer,
		const uint8_t key_id[16], uint64_t version, const uint8_t tk[32],
		uint8_t **out, size_t *outlen);

/*
 * KPS's roll in one parse: verify @der, unwrap its current TK into @tk
 * with the first of @gs it lists (as vms_kp_unwrap_any()), and roll it to
 * @tk_next (key id @key_id, the next version) signed by @signer into
 * *@out. @tk is written only when everything succeeded.
 */
int vms_kp_unwrap_roll(const uint8_t *der, size_t len,
		       const struct vms_guardian *const *gs, size_t n,
		       const struct vms_guardian *signer, const uint8_t key_id[16],
		       const uint8_t tk_next[32], struct vms_kp_info *info, uint8_t tk[32],
		       uint8_t **out, size_t *outlen);

/* What KPS keeps of a KP it rolled (vms_kp_unwrap_roll_ex()). */
struct vms_kp_rolled {
	struct vms_kp_info info;	/* as opening the rolled KP would say */
	uint8_t *env;			/* its envelope of the new TK (DER, free()) */
	size_t env_len;
};

/*
 * vms_kp_unwrap_roll() for KPS's verified-KP cache: @trusted (@der is
 * byte for byte a KP KPS verified or made before) skips the owner's and
 * the roll's signature checks and nothing else (the parse, the bindings,
 * the unwrap stay); with @next, the rolled KP's binding and envelope, so
 * KPS remembers the KP it made without opening it again.
 */
int vms_kp_unwrap_roll_ex(const uint8_t *der, size_t len,
			  const struct vms_guardian *const *gs, size_t n,
			  const struct vms_guardian *signer, const uint8_t key_id[16],
			  const uint8_t tk_next[32], struct vms_kp_info *info, uint8_t tk[32],
			  uint8_t **out, size_t *outlen, int trusted,
			  struct vms_kp_rolled *next);

#endif /* VMS_KP_H */
