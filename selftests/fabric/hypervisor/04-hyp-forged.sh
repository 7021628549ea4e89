#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host root forges the evidence of the hypervisor placement (hyp_forge:
# the agent's exchange, one thing changed): a report signed by a key root
# made, a report naming root's own key as the platform, the enclave's
# report for a nonce root chose, the host's evidence naming another
# enclave key. Each is refused with its reason code and changes nothing:
# the agent's certificate and the VM's key still work. The unchanged
# exchange passes (the forger's control).
. "$(dirname "$0")/hyplib.sh"
plan 8
FORGE=$R/build/selftests/fabric/hyp_forge

# forge MODE: HGS's substatus for the evidence forged so, in $SUB
forge() {
	local out
	out=$("$FORGE" --url "$HGS_URL" --ca "$F/hgs-tls.pem" --host fabric-host \
		--host-key "$F/agent-state/host.key" --forge "$1" 2>&1)
	echo "$1: $out" | diag
	SUB=$(echo "$out" | sed -n 's/^substatus=\([A-Za-z]*\) .*/\1/p')
}

check "start the agent (attests)" eval 'start_agent agent && wait_state valid 90'
before=$(status_fl attestation.certificate.{enclave_pk,not_after})
check "control: the forger's unchanged exchange passes" eval 'forge honest; test "$SUB" = Passed'
check "a report signed by another key: EnclaveReportSignatureInvalid" \
	eval 'forge other-signer; test "$SUB" = EnclaveReportSignatureInvalid'
check "a report naming an unregistered platform key: EnclavePlatformUnknown" \
	eval 'forge unregistered; test "$SUB" = EnclavePlatformUnknown'
check "the enclave's report for another nonce: EnclaveReportNonceMismatch" \
	eval 'forge other-nonce; test "$SUB" = EnclaveReportNonceMismatch'
check "host evidence naming another enclave key: EnclaveKeyMismatch" \
	eval 'forge other-key; test "$SUB" = EnclaveKeyMismatch'
check "the agent's certificate is unchanged" \
	test "$(status_fl attestation.certificate.{enclave_pk,not_after})" = "$before"
worker hyp --roundtrip
check "VM hyp is still released and its state opens" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')"
finish
