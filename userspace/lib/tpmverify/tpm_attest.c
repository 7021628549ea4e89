// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_attest.c - the TPM-mode verification pipeline: quote, counters,
 * boot log and baselines, IMA binding, policies. See vms_tpm_attest.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vms_ima_log.h"
#include "vms_tpm_attest.h"
#include "vms_tpm_boot_policy.h"
#include "vms_tpm_eventlog.h"

#define REQUIRED_PCRS	(0xffu | 1u << VMS_IMA_PCR)

static enum vms_hgs_reason check_baselines(const struct vms_tpm_verifier *v,
					   const struct vms_tpm_eventlog *boot,
					   struct vms_tpm_verdict *out)
{
	struct vms_baseline_diff d, best;
	int seen = 0;
	size_t i;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < v->n_baselines; i++) {
		const struct vms_baseline *b = &v->baselines[i];

		if (!b->enabled || !v->hw_class ||
		    strcmp(b->hw_class, v->hw_class))
			continue;
		if (vms_baseline_compare(b, boot, v->pcr_mask, &d) == HGS_PASSED) {
			out->baseline = b;
			return HGS_PASSED;
		}
		if (!seen++ || d.index > best.index)
			best = d;
	}
	if (!seen) {
		snprintf(out->detail, sizeof(out->detail),
			 "no enabled baseline for hardware class '%.64s'",
			 v->hw_class ? v->hw_class : "");
		return HGS_R_TPM_NO_BASELINE;
	}
	vms_baseline_diff_format(&best, out->detail, sizeof(out->detail));
	return HGS_R_TPM_BASELINE_MISMATCH;
}

static enum vms_hgs_reason check_signer(const struct vms_tpm_key *ak,
					const struct vms_tpm_evidence *ev,
					const struct vms_tpm_verifier *v)
{
	uint8_t signer[VMS_TPM_NAME_LEN];
	size_t slen;

	if (vms_tpm_quote_signer(ev->attest, ev->attest_len, signer,
				 sizeof(signer), &slen))
		return HGS_R_TPM_AK_HIERARCHY;
	return vms_tpm_signer_check(ak, v->ek_name, signer, slen);
}

static enum vms_hgs_reason verify(const struct vms_tpm_key *ak,
				  const struct vms_tpm_evidence *ev,
				  const struct vms_tpm_verifier *v,
				  struct vms_tpm_verdict *out,
				  struct vms_tpm_eventlog *boot,
				  struct vms_ima_log *ima)
{
	uint8_t qd[VMS_QUOTE_QD_LEN];
	enum vms_hgs_reason r;
	unsigned int bad;
	size_t covered;
	int ret;

	/* a PCR nothing can verify must never be quoted, so never certified */
	if ((v->pcr_mask & REQUIRED_PCRS) != REQUIRED_PCRS ||
	    (v->pcr_mask & ~VMS_TPM_VERIFIABLE_PCRS) || !v->policy ||
	    !ev->pcr || !ev->nonce || !ev->enclave_pk || !ev->report)
		return HGS_R_INTERNAL_ERROR;
	if (vms_tpm_qualifying_data(ev->nonce, ev->enclave_pk, ev->report,
				    ev->report_len, qd))
		return HGS_R_INTERNAL_ERROR;
	r = vms_tpm_quote_verify(ak, ev->attest, ev->attest_len, ev->sig,
				 ev->sig_len, qd, v->pcr_mask, ev->pcr,
				 &out->clock);
	if (r != HGS_PASSED)
		return r;
	/* before the counters: only an endorsement-hierarchy AK sees true ones */
	r = check_signer(ak, ev, v);
	if (r != HGS_PASSED)
		return r;
	r = vms_tpm_clock_check(v->prev, &out->clock);
	if (r != HGS_PASSED)
		return r;

	ret = vms_tpm_eventlog_parse(ev->event_log, ev->event_log_len, boot);
	if (ret == -ENOMEM)
		return HGS_R_INTERNAL_ERROR;
	if (ret)
		return HGS_R_TPM_EVENT_LOG_MALFORMED;
	/* every quoted PCR but IMA's replays from the boot log */
	if (vms_tpm_eventlog_check_pcrs(boot, v->pcr_mask & VMS_TPM_LOG_PCRS,
					ev->pcr, &bad)) {
		snprintf(out->detail, sizeof(out->detail),
			 "PCR %u does not replay from the event log", bad);
		return HGS_R_TPM_EVENT_LOG_REPLAY_MISMATCH;
	}
	r = check_baselines(v, boot, out);
	if (r != HGS_PASSED)
		return r;

	ret = vms_ima_log_parse(ev->ima_log, ev->ima_log_len, ima);
	if (ret == -ENOMEM)
		return HGS_R_INTERNAL_ERROR;
	if (ret)
		return HGS_R_IMA_LOG_MALFORMED;
	r = vms_tpm_bind_report(ima, ev->pcr[VMS_IMA_PCR], ev->enclave_pk,
				ev->report, ev->report_len, &covered,
				&out->report);
	if (r == HGS_PASSED && v->policy->report_at_load)
		r = vms_tpm_first_report(ima, covered, &out->report);
	if (r == HGS_PASSED && !v->policy->allow_key_level_history)
		r = vms_tpm_key_history(ima, covered, &out->report);
	if (r != HGS_PASSED)
		return r;
	r = vms_tpm_policy_evaluate(v->policy, &out->report, ima, covered,
				    boot, out->detail);
	if (r != HGS_PASSED)
		return r;
	return vms_tpm_boot_policy_evaluate(v->policy, &out->report, boot,
					    v->pcr_mask, ima, covered,
					    out->detail);
}

enum vms_hgs_reason vms_tpm_attest_verify(const struct vms_tpm_key *ak,
					  const struct vms_tpm_evidence *ev,
					  const struct vms_tpm_verifier *v,
					  struct vms_tpm_verdict *out)
{
	struct vms_tpm_eventlog boot;
	struct vms_ima_log ima;

	memset(out, 0, sizeof(*out));
	memset(&boot, 0, sizeof(boot));
	memset(&ima, 0, sizeof(ima));
	out->reason = verify(ak, ev, v, out, &boot, &ima);
	if (out->reason != HGS_PASSED) {
		/* nothing certified on a refusal */
		memset(&out->report, 0, sizeof(out->report));
		out->baseline = NULL;
	}
	vms_ima_log_free(&ima);
	vms_tpm_eventlog_free(&boot);
	return out->reason;
}
