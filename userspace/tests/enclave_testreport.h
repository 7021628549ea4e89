/* SPDX-License-Identifier: GPL-2.0 */
/*
 * enclave_testreport.h - a test-only builder of enclave reports
 * (lib/hgs/vms_enclave_report.h's format), for the parser's tests and
 * hgsd's: the body from its facts, and an emulated platform's ECDSA P-256
 * signature over it, low-S by default or deliberately high-S.
 * vmshield-enclaved has its own builder; this one exists so the tests
 * can also forge what no correct builder writes.
 */
#ifndef VMS_ENCLAVE_TESTREPORT_H
#define VMS_ENCLAVE_TESTREPORT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "vms_enclave_report.h"

/* The body of @r (platform named by vms_platform_name()) into @buf; its length. */
size_t t_er_body(const struct vms_enclave_report *r, char *buf, size_t len);

/* Facts for @platform_key: emulated, its platform id, random nonce/key/program/boot id. */
void t_er_facts(EVP_PKEY *platform_key, struct vms_enclave_report *r);

/*
 * ECDSA P-256 / SHA-256 over @body with @k, DER into @sig (72 bytes
 * room); @high_s 1 gives the same signature with s replaced by n - s.
 * Its length.
 */
size_t t_er_sign(EVP_PKEY *k, const void *body, size_t blen, int high_s, uint8_t *sig);

#endif /* VMS_ENCLAVE_TESTREPORT_H */
