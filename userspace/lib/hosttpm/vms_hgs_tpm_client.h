/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_tpm_client.h - the guarded host's side of TPM-mode attestation
 * (Documentation/hgs-protocol.md section 4): one call runs the whole
 * exchange with hgsd over an open client and an open TPM.
 *
 *  1. POST /v1/attest/tpm/challenge with the EK and AK public areas;
 *  2. TPM2_ActivateCredential on the credential HGS made to the EK for
 *     the AK's Name (only this TPM can);
 *  3. TPM2_Quote by the AK over the PCRs HGS named, with qualifying data
 *     vms_tpm_qualifying_data(nonce, enclave key, report);
 *  4. read the boot event log and the IMA list *after* the quote (so the
 *     list covers the quoted PCR 10), POST /v1/attest/tpm.
 * Used by hgs-agent (attestation_mode = tpm) and by the tests.
 */
#ifndef VMS_HGS_TPM_CLIENT_H
#define VMS_HGS_TPM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vms_hgs_client.h"
#include "vms_host_tpm.h"

#define VMS_BIOS_LOG_PATH "/sys/kernel/security/tpm0/binary_bios_measurements"
#define VMS_IMA_LOG_PATH  "/sys/kernel/security/ima/binary_runtime_measurements"

struct vms_tpm_attest_input {
	const char *host;
	const uint8_t *enclave_pk;	/* 32 */
	const char *report;		/* the module's isolation report line */
	const char *event_log_path;	/* NULL: VMS_BIOS_LOG_PATH */
	const char *ima_log_path;	/* NULL: VMS_IMA_LOG_PATH */
	const uint8_t *ek_cert;		/* optional EK certificate (DER) */
	size_t ek_cert_len;
	/*
	 * Optional, the hypervisor placement: the enclave report signed for
	 * HGS's nonce (Documentation/formats.md section 6), asked for once the
	 * nonce is known, sent as "enclave_report". Fills malloc()ed @body
	 * and @sig; 0, or a negative errno that stops the exchange. NULL: no
	 * report (kernel placement).
	 */
	int (*enclave_report)(void *arg, const uint8_t nonce[32], uint8_t **body,
			      size_t *blen, uint8_t **sig, size_t *slen);
	void *enclave_report_arg;
};

/*
 * Run the exchange. 0 with *@http and *@resp the last answer (the
 * challenge's if it failed, else the attestation's: "Passed" with the
 * health certificate, or "Failed" with its substatus); negative errno
 * when it could not be run: transport errors as vms_hgs_call, -EIO a TPM
 * command failed (@tpm_err, 128 bytes, says which and the TPM's answer),
 * -ENOENT/-EACCES a log could not be read (@tpm_err names it), -EBADMSG
 * a malformed challenge.
 */
int vms_hgs_attest_tpm(struct vms_hgs_client *c, struct vms_host_tpm *t,
		       const struct vms_tpm_attest_input *in, long *http,
		       json_t **resp, char tpm_err[128]);

#endif /* VMS_HGS_TPM_CLIENT_H */
