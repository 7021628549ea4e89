/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attest.h - the attestation service's handlers: host-key mode
 * (attest.c: POST /v1/attest/nonce, /v1/attest) and TPM mode
 * (attest_tpm.c: POST /v1/attest/tpm/challenge, /v1/attest/tpm, and the
 * EK roots they trust).
 *
 * Included by routes.c (the handlers), main.c (tpm_roots_load) and the
 * two files that implement it.
 */
#ifndef HGSD_ATTEST_H
#define HGSD_ATTEST_H

#include "report.h"
#include "request.h"

void handle_nonce(struct hgsd *h, struct request *rq, struct answer *a);
void handle_attest(struct hgsd *h, struct request *rq, struct answer *a);
void handle_tpm_challenge(struct hgsd *h, struct request *rq, struct answer *a);
void handle_tpm_attest(struct hgsd *h, struct request *rq, struct answer *a);
/*
 * The KPS key the host's isolation report names (kps_pk=) must be this
 * HGS's KPS key: none is KpsKeyNotNamed (the agent names the key before it
 * attests), any other key KpsKeyMismatch, which only a new enclave
 * identity cures (formats.md §1, "Who may release").
 */
enum vms_hgs_reason attest_kps_check(const struct vms_isolation_report *rep);
/* The same for a key named elsewhere (@set 0: none; the enclave report). */
enum vms_hgs_reason kps_key_check(int set, const uint8_t key[32]);
/* Load tpm_ek_roots into h->ek_roots (nothing when unset). */
int tpm_roots_load(struct hgsd *h);

#endif /* HGSD_ATTEST_H */
