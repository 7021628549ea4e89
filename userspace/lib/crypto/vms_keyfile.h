/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_keyfile.h - X25519 key pairs and their files.
 *
 * Two file formats, detected on read:
 *   raw: exactly 32 bytes (the RFC 7748 private scalar or public u-coordinate);
 *   PEM: OpenSSL's "PRIVATE KEY" (PKCS#8) / "PUBLIC KEY" (SPKI) for X25519,
 *        readable with `openssl pkey`.
 * Private key files are written 0600 and are never overwritten silently.
 */
#ifndef VMS_KEYFILE_H
#define VMS_KEYFILE_H

#include <stdint.h>

enum vms_key_format {
	VMS_KEY_RAW,
	VMS_KEY_PEM,
};

/* A fresh X25519 key pair from the OpenSSL DRBG. */
int vms_x25519_keygen(uint8_t sk[32], uint8_t pk[32]);

/* Write with vms_write_file_atomic() (@flags: VMS_WRITE_*). */
int vms_x25519_write_private(const char *path, const uint8_t sk[32],
			     enum vms_key_format fmt, unsigned int flags);
int vms_x25519_write_public(const char *path, const uint8_t pk[32],
			    enum vms_key_format fmt, unsigned int flags);

/*
 * Load a key file in either format. -EINVAL: neither 32 raw bytes nor a
 * PEM key; -EKEYREJECTED: PEM but not X25519 or not the expected kind
 * (private/public).
 */
int vms_x25519_load_private(const char *path, uint8_t sk[32]);
int vms_x25519_load_public(const char *path, uint8_t pk[32]);

#endif /* VMS_KEYFILE_H */
