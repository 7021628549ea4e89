#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TPM mode in placement hypervisor (boot 4, lockdown confidentiality since
# 03, before the enclave restarts in 06): the agent's quote binds the nonce,
# the enclave key and the module's report (placement=hypervisor, found by
# HGS in the kernel's own IMA list) and the same exchange carries the
# enclave's report for the challenge's nonce. The host is registered by its
# EK and this boot captured as a baseline (control channel); HGS certifies
# mode tpm, binding ima-entry, placement hypervisor, platform emulated,
# level hypervisor; the KP requiring the hypervisor placement is released.
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
t0=$(date +%s)
check "the agent attests in TPM mode" eval 'start_agent agent-hyp-tpm && wait_state valid 150'
echo "TPM-mode attestation took $(($(date +%s) - t0)) s" | diag
st=$(status_json)
echo "$st" | jq -c '.attestation.certificate' | diag
check "the certificate: mode tpm, binding ima-entry, placement hypervisor, platform emulated, level hypervisor" \
	test "$(echo "$st" | jq -r '.attestation.certificate | "\(.attestation_mode) \(.binding) \(.placement) \(.platform) \(.isolation_level)"')" \
	= "tpm ima-entry hypervisor emulated hypervisor"
# Bounded (the agent's own deadline is 150 s): a slow release then fails
# with the agent's reason and its timings in the log, never as a silent
# test timeout (session 9 found no hang: 0.4 s of KPS time at load 25).
t0=$(date +%s)
worker hyp --roundtrip --deadline 100
echo "the release and round trip took $(($(date +%s) - t0)) s" | diag
tail -3 "$AGENT_LOG" | diag
check "the KP requiring placement hypervisor: released, the tenant's state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" \
	-a -n "$(echo "$OUT" | grep 'roundtrip ok')"
finish
