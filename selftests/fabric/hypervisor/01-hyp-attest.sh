#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Placement hypervisor (boot 4), host kernel still open: the enclave is
# vmshield-enclaved on the outer machine, signing its reports with the
# emulated platform key. The module's isolation report says
# placement=hypervisor at the host kernel's level. Unregistered, the
# platform's reports are refused (the real agent: EnclavePlatformUnknown);
# registered by the HGS admin, the agent attests: placement hypervisor,
# platform emulated, and the level of this open host (kernel-open: its
# kernel still decides who may use the keys). A KP requiring the
# hypervisor placement (encryption-supported) is released to the enclave
# and its state opens; the shielded one needs a locked host (03).
. "$(dirname "$0")/hyplib.sh"
plan 13

check "lockdown is none (03 raises it)" grep -q '\[none\]' /sys/kernel/security/lockdown
# (a certificate cached by boots 1-2 names another enclave key: not used)
check "the agent starts; the platform is not registered: refused with EnclavePlatformUnknown" \
	eval 'start_agent agent && wait_f attestation.last_error.substatus? EnclavePlatformUnknown 90'
check "... and it has no certificate for this enclave" \
	test "$(status_f attestation.state)" != valid
report=$(status_f attestation.module.report)
echo "module report: $report" | diag
check "the module's isolation report says placement=hypervisor at the host's level" \
	eval 'echo "$report" | grep -q "^vmshield-report v2 placement=hypervisor level=kernel-open lockdown=none "'
check "the module measured that report into IMA (its log line)" \
	eval 'dmesg | grep -qF "report $report (ima: recorded)"'
stop_agent
check "the HGS admin registers the emulated platform (with the enclave program's digest)" \
	ctl hyp-platform-add
check "the agent attests" eval 'start_agent agent && wait_state valid 90'
# one status read for the checks below (each read and jfield is a process start)
st=$(status_json)
{ read -r cert_json; read -r placement; read -r platform; read -r level; read -r pk; } <<<"$(echo "$st" |
	jf attestation.certificate attestation.certificate.{placement,platform,isolation_level,enclave_pk})"
echo "$cert_json" | diag
cert="$placement $platform $level"
check "its certificate: placement hypervisor, platform emulated, level kernel-open" \
	test "$cert" = "hypervisor emulated kernel-open"
check "... naming the enclave's key (the one the module reports)" \
	eval 'echo "$report" | grep -q " enclave_pk=$pk "'
worker hyp-es --roundtrip
check "encryption-supported KP requiring placement hypervisor: released to the enclave, state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" \
	-a -n "$(echo "$OUT" | grep 'roundtrip ok')"
check "its key is in /proc/keys (a handle to the key in the enclave)" has_key hyp-es
worker hyp
check "shielded KP requiring placement hypervisor on this open host: IsolationLevelInsufficientForPolicy" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'substatus=IsolationLevelInsufficientForPolicy')"
check "... and no key for it" no_key hyp
finish
