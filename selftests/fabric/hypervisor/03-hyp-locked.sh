#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Placement hypervisor on a locked host (boot 4): lockdown goes to
# confidentiality; the module measures its new report (placement
# hypervisor, kernel-locked); the agent attests again and HGS lifts the
# level to hypervisor (a verified enclave report on a kernel-locked host).
# The shielded VM whose KP requires the hypervisor placement is released
# to the enclave; the worker opens the tenant's state and seals/unseals
# through the mailbox.
. "$(dirname "$0")/hyplib.sh"
plan 7

echo confidentiality >/sys/kernel/security/lockdown
check "lockdown is confidentiality" grep -q '\[confidentiality\]' /sys/kernel/security/lockdown
check "the agent attests again at the new level" eval 'start_agent agent && wait_state valid 90'
# one status read for the checks below (each read and jfield is a process start)
st=$(status_json)
{ read -r cert_json; read -r placement; read -r platform; read -r level; read -r report; } <<<"$(echo "$st" |
	jf attestation.certificate attestation.certificate.{placement,platform,isolation_level} \
		attestation.module.report)"
echo "$cert_json" | diag
cert="$placement $platform $level"
check "its certificate: placement hypervisor, platform emulated, level hypervisor" \
	test "$cert" = "hypervisor emulated hypervisor"
check "the module measured placement=hypervisor at kernel-locked into IMA" \
	eval 'echo "$report" | grep -q "^vmshield-report v2 placement=hypervisor level=kernel-locked lockdown=confidentiality " &&
	      dmesg | grep -qF "report $report (ima: recorded)"'
worker hyp --roundtrip
check "shielded KP requiring placement hypervisor: released to the enclave, state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'policy=shielded')" \
	-a -n "$(echo "$OUT" | grep 'unseal matches')" -a -n "$(echo "$OUT" | grep 'roundtrip ok')"
check "its key is in /proc/keys" has_key hyp
check "kept this enclave's release of VM hyp (06 replays it after the enclave restarts)" \
	save_release hyp "$F/vms/hyp.enclave1.release"
status_f attestation.certificate.enclave_pk >"$F/vms/hyp.enclave1.pk"
finish
