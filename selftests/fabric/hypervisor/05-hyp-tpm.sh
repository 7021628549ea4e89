#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TPM mode in placement hypervisor (boot 4, lockdown confidentiality since
# 03, before the enclave restarts in 06): the agent's quote binds the nonce,
# the enclave key and the module's report (placement=hypervisor, found by
# HGS in the kernel's own IMA list) and the same exchange carries the
# enclave's report for the challenge's nonce. The host is registered by its
# EK and this boot captured as a baseline (control channel). This boot ran
# open first (01, 02: lockdown none) with the same enclave key, and in
# placement hypervisor a rise of the host's lockdown does not make a new
# enclave key (the enclave is outside the host), so the kernel's IMA list
# names this key at kernel-open before kernel-locked: HGS refuses it
# (ImaReportLevelLower, decisions.md 54, issue 16) and the KP requiring the
# hypervisor placement is not released. Until the session that made that
# rule decides on this placement, this test asserts the refusal (it used to
# wait 150 s for a certificate that never came).
. "$(dirname "$0")/hyplib.sh"
plan 7

# boot 2's runtime-allowlist test turns it off at its end; a run that
# stopped it half-way must not leave this boot's files unapproved
check "the runtime allowlist is off (control channel)" ctl tpm-allowlist-off
C=$F/agent-hyp-tpm.conf
mkdir -p /run/hgs-agent-hyp-tpm
out=$("$AGENT" identity --out "$F/tpm/ek-hyp.pub" -c "$C" 2>&1)
rc=$?
echo "$out" | diag
check "hgs-agent identity writes this boot's EK" test $rc = 0 -a -s "$F/tpm/ek-hyp.pub"
check "the admin registers it as fabric-hyp-tpm (control channel)" ctl hyp-tpm-register-ek
cp /sys/kernel/security/tpm0/binary_bios_measurements "$F/tpm/bios-hyp.bin"
check "the admin captures this boot as a baseline and adds it" ctl hyp-tpm-baseline-add
start_agent agent-hyp-tpm
wait_q '.attestation | .attempts >= 1 and .state != "attesting"' true 120 >/dev/null
st=$(status_json)
echo "$st" | jq -c '.attestation | {state, last_error}' | diag
check "TPM mode: refused, ImaReportLevelLower (this enclave key is in the IMA list at kernel-open earlier in this boot)" \
	test "$(echo "$st" | jq -r '.attestation.last_error.substatus')" = ImaReportLevelLower
check "... and no certificate from it" \
	test "$(echo "$st" | jq -r '.attestation.state')" != valid
worker hyp
check "the KP requiring placement hypervisor: not released to this TPM-mode agent" \
	test "$RC" != 0 -a -z "$(echo "$OUT" | grep 'unseal matches')"
stop_agent
finish
