/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_ima_sig.h - IMA file signatures and the IMA signing keys a host's
 * measurement list shows loaded.
 *
 * Signature (the ima-sig template's sig field = the file's security.ima
 * xattr), format v2, packed, big-endian: u8 type (3, a digital
 * signature), u8 version (2), u8 hash_algo (the kernel's enum hash_algo;
 * only sha256 = 4 is accepted), be32 keyid, be16 sig_size, then sig_size
 * bytes. It signs the file digest itself (the d-ng digest): RSA PKCS#1
 * v1.5 with the hash's DigestInfo, or a DER ECDSA signature.
 *
 * keyid: the kernel finds the key as "id:%08x" = the last 4 bytes of the
 * key's subjectKeyIdentifier (what evmctl writes). Four bytes can
 * collide, so every candidate key with that keyid is tried.
 *
 * A key loaded into the IMA keyring is measured (KEY_CHECK) as an ima-buf
 * entry named for the keyring ("_ima" made by root, ".ima" on kernels
 * with a trusted IMA keyring) whose buffer is the key's payload, the
 * X.509 certificate DER.
 */
#ifndef VMS_IMA_SIG_H
#define VMS_IMA_SIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "vms_ima_log.h"

#define VMS_IMA_DIGSIG_TYPE	3	/* EVM_IMA_XATTR_DIGSIG */
#define VMS_IMA_DIGSIG_V2	2
#define VMS_IMA_HASH_SHA256	4	/* the kernel's HASH_ALGO_SHA256 */
#define VMS_IMA_SIG_HDR_LEN	9
#define VMS_IMA_CERT_MAX	16384

struct vms_ima_sig {
	uint8_t hash_algo;
	uint32_t keyid;
	const uint8_t *sig;		/* inside the parsed buffer */
	uint16_t sig_len;
};

/*
 * Parse a v2 signature strictly. 0; -EBADMSG (not a v2 digital
 * signature: type, version, or sig_size not the rest of the buffer);
 * -ENOTSUP (a hash algorithm other than sha256; @s->hash_algo says which).
 */
int vms_ima_sig_parse(const uint8_t *x, size_t len, struct vms_ima_sig *s);

/* The kernel's name for hash algorithm @algo ("sha1", ...), or "unknown". */
const char *vms_ima_hash_name(uint8_t algo);

/*
 * Verify @s over the SHA-256 @digest with @key (RSA or EC). 0 if it
 * verifies, -EKEYREJECTED if not, -ENOMEM.
 */
int vms_ima_sig_verify(const struct vms_ima_sig *s, const uint8_t digest[32],
		       EVP_PKEY *key);

/* An IMA signing key: from an X.509 certificate (DER). */
struct vms_ima_key {
	EVP_PKEY *pkey;
	uint8_t fpr[32];		/* SHA-256 of the certificate DER */
	uint32_t keyid;			/* last 4 bytes of its SKID */
	char type[8];			/* "RSA" or "EC" */
};

/*
 * 0; -EBADMSG (not one DER X.509 certificate), -ENOKEY (no
 * subjectKeyIdentifier, or one shorter than 4 bytes), -ENOTSUP (a key
 * other than RSA or EC), -E2BIG, -ENOMEM.
 */
int vms_ima_key_from_der(const uint8_t *der, size_t len, struct vms_ima_key *k);
void vms_ima_key_free(struct vms_ima_key *k);

/*
 * Whether @k is strong enough to approve: RSA of at least 2048 bits, or
 * EC on P-256 or P-384 (the curves the 6.1 kernel verifies IMA
 * signatures with, P-192 excepted). 0, or -EKEYREJECTED with @why (at
 * least 64 bytes) saying what the key is.
 */
int vms_ima_key_strong_enough(const struct vms_ima_key *k, char *why,
			      size_t len);

/* 1 if @e records a key loaded into the IMA keyring ("_ima" or ".ima"). */
int vms_ima_entry_is_ima_key(const struct vms_ima_entry *e);


#endif /* VMS_IMA_SIG_H */
