/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpm_exchange.h - TPM-mode attestation by hand for the tests that need
 * to split it (test_hgsd_tpm, test_hgsd_cluster): the captured rig logs
 * replayed into a swtpm's PCRs, and the exchange up to the final request
 * so a test can change it or send it to another hgsd node than the one
 * that issued the challenge; and the signer that goes with the capture.
 */
#ifndef VMS_TPM_EXCHANGE_H
#define VMS_TPM_EXCHANGE_H

#include <stdint.h>

#include <jansson.h>

#include "vms_hgs_client.h"
#include "vms_host_tpm.h"

/* tpm2_pcrextend of SHA-256 @d into @pcr: its exit status. */
int t_tpm_extend(unsigned int pcr, const uint8_t d[32]);
/*
 * Extend the events of the boot log @bios and the IMA list @imal into
 * the TPM TPM2TOOLS_TCTI names (PCRs 0-7 and 10), so its quotes cover
 * exactly those logs: 0 or -1.
 */
int t_tpm_replay_logs(const char *bios, const char *imal);

/*
 * The challenge for @host at @challenge_at (asserted Passed), the
 * credential activated and a quote over the PCRs it names bound to
 * @pk and @report: the final POST /v1/attest/tpm request, not sent.
 */
json_t *t_tpm_answer(struct vms_hgs_client *challenge_at, struct vms_host_tpm *tpm,
		     const char *host, const uint8_t pk[32], const char *report,
		     const char *bios, const char *imal);

/*
 * The captured report names the KPS key of the HGS whose attestation
 * signer is data/tpm/hgs_signer.key (capture-guest.sh names it before the
 * quotes, as hgs-agent does): the hgsd initialised in @hgsdir gets that
 * signer instead of the one --init made, so its KPS key (derived from the
 * signer, hgsd/keyproc.c) is the one the captured report names. Before
 * it starts. Test data only: the key is public in the tree. 0 or -1.
 */
int t_tpm_use_captured_signer(const char *hgsdir);

#endif /* VMS_TPM_EXCHANGE_H */
