#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A boot that differs from the baseline: this boot has the NIC's iPXE
# option ROM (rig --nic-rom), which SeaBIOS measures into PCR 2; boot 1
# had none and reboot/02-tpm-attest registered its log as the class's baseline.
# The agent prints this boot's EK, the admin registers it (host
# fabric-ima); the attestation is refused with TpmBaselineMismatch naming
# the first event that differs (PCR 2, EV_EVENT_TAG). The admin approves
# this boot as a baseline of its own and the agent attests.
# Needs boot 2's 02-tpm-attest (the class's first baseline).
. "$(dirname "$0")/../tests/lib.sh"
plan 6

C=$F/agent-ima.conf
mkdir -p /run/hgs-agent-ima
grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
out=$("$AGENT" identity --out "$F/tpm/ek-ima.pub" -c "$C" 2>&1)
rc=$?
echo "$out" | diag
check "hgs-agent identity writes this boot's EK" test $rc = 0 -a -s "$F/tpm/ek-ima.pub"
check "the admin registers it as host fabric-ima (control channel)" ctl tpm-ima-host-add

fresh_start() { rm -f /run/hgs-agent-ima/health.pem; start_agent agent-ima; }
check "the agent's attestation fails" eval 'fresh_start && wait_state failed 150'
read_last_error
echo "$LE_MSG" | diag
check "TpmBaselineMismatch, naming the option ROM's event on PCR 2" \
	eval '[ "$LE_SUB" = TpmBaselineMismatch ] &&
	      [[ $LE_MSG == *"found PCR 2 EV_EVENT_TAG"* ]]'
stop_agent

cp /sys/kernel/security/tpm0/binary_bios_measurements "$F/tpm/bios-ima.bin"
check "the admin captures this boot as a baseline of the class" ctl tpm-ima-baseline-add
check "the agent attests" eval 'fresh_start && wait_state valid 150'
finish
