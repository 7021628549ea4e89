#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TPM mode end to end on the rig's real TPM (swtpm, SeaBIOS measured boot,
# IMA): the agent prints the EK; unregistered, it is refused and says how
# to register; the admin registers the EK and captures a baseline from
# this very boot's event log (control channel: tpm-register-ek,
# tpm-baseline-add); the agent attests in TPM mode (certificate mode tpm,
# binding ima-entry, kernel-locked) and a KP that demands TPM mode is
# released to the approved worker, whose sealed state opens.
. "$(dirname "$0")/../tests/lib.sh"
plan 10

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
C=$F/agent-tpm.conf
mkdir -p /run/hgs-agent-tpm
out=$("$AGENT" identity --out "$F/tpm/ek.pub" -c "$C" 2>&1)
rc=$?
echo "$out" | diag
check "hgs-agent identity writes the TPM's EK and says how to register it" \
	test $rc = 0 -a -s "$F/tpm/ek.pub" \
	-a -n "$(echo "$out" | grep -- 'shieldctl hgs host add fabric-tpm --ek')"

check "the TPM-mode agent starts; unregistered, its attestation fails" \
	eval 'start_agent agent-tpm && wait_state failed 120'
st=$(status_json)
# the fields below from one jfield start (each is a process start in the guest)
{ IFS= read -r le; read -r sub; IFS= read -r msg; read -r mode; } <<<"$(
	echo "$st" | jf attestation.last_error attestation.last_error.substatus \
		attestation.last_error.message? agent.attestation_mode)"
echo "$le" | diag
check "status: HostNotRegistered, telling how to register the EK; mode tpm" \
	eval '[ "$sub" = HostNotRegistered ] && [[ $msg == *"hgs-agent identity"* ]] && [ "$mode" = tpm ]'
stop_agent

check "the admin registers the EK (control channel)" ctl tpm-register-ek
cp /sys/kernel/security/tpm0/binary_bios_measurements "$F/tpm/bios.bin"
check "the admin captures this boot as the baseline and adds it" ctl tpm-baseline-add

check "the agent attests in TPM mode" eval 'start_agent agent-tpm && wait_state valid 150'
st=$(status_json)
# the fields below from one jfield start (each is a process start in the guest)
{ read -r cert_json; read -r cn; read -r level; read -r mode; read -r binding; read -r pk; read -r report; } <<<"$(
	echo "$st" | jf attestation.certificate \
		attestation.certificate.{subject_cn,isolation_level,attestation_mode,binding} \
		attestation.certificate.enclave_pk attestation.module.report)"
cert="$cn $level $mode $binding"
echo "$cert_json" | diag
check "the certificate: fabric-tpm, kernel-locked, mode tpm, binding ima-entry" \
	test "$cert" = "fabric-tpm kernel-locked tpm ima-entry"
report_pk=${report##* enclave_pk=}
check "it certifies the module's own enclave key" \
	test -n "$pk" -a "$pk" = "${report_pk%% *}"
worker tpm --roundtrip
check "a KP that demands TPM mode: key released, the tenant's state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" \
	-a -n "$(echo "$OUT" | grep 'roundtrip ok')"
check "the agent logged a TPM-mode start" grep -q 'event=started host=fabric-tpm mode=tpm' "$AGENT_LOG"
finish
