/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_ecdsa.h - one form for an ECDSA signature (ecdsa.c): DER exactly
 * as it re-encodes, with S in the lower half of the group order, so that
 * a signature has one encoding (no S / n - S twin).
 *
 * Included by what signs or checks ECDSA host-key signatures
 * (lib/hgs/hgs_attest.c) and their tests.
 */
#ifndef VMS_ECDSA_H
#define VMS_ECDSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * Rewrite the DER ECDSA signature @sig (*@len bytes, made by @key) with
 * S := n - S when S > n / 2; it never grows. 0, or -EINVAL (not a
 * signature of an EC key), -ENOMEM.
 */
int vms_ecdsa_normalize(const EVP_PKEY *key, uint8_t *sig, size_t *len);
/* 0 if @sig is canonical DER with a low S for @key's curve, else -EBADMSG. */
int vms_ecdsa_check_low_s(const EVP_PKEY *key, const uint8_t *sig, size_t len);

#endif /* VMS_ECDSA_H */
