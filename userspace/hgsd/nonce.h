/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nonce.h - attestation nonces (nonce.c): single use, expiring, bound to
 * the session they were issued to, in a bounded table.
 *
 * Included by main.c (the table's life) and the attestation handlers
 * (attest.c, attest_tpm.c).
 */
#ifndef HGSD_NONCE_H
#define HGSD_NONCE_H

#include <stdint.h>

#include "vms_hgs_reason.h"

struct nonce_table;

int nonce_table_new(unsigned int max, unsigned int ttl_s, struct nonce_table **out);
void nonce_table_free(struct nonce_table *t);
/* Issue a nonce bound to @session; -EBUSY when the table is full. */
int nonce_issue(struct nonce_table *t, const uint8_t session[16],
		uint8_t nonce[32]);
/* Consume: HGS_PASSED or a NONCE_* reason. */
enum vms_hgs_reason nonce_consume(struct nonce_table *t,
				  const uint8_t session[16],
				  const uint8_t nonce[32]);

#endif /* HGSD_NONCE_H */
