#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The flow everything serves, on a kernel-locked host: lockdown goes to
# confidentiality, the agent re-attests at the new level by itself, and
# the test worker gets the keys of a shielded and an encryption-supported
# VM, opens the state the tenant sealed for each (a wrong key could not)
# and seals/unseals with them.
. "$(dirname "$0")/lib.sh"
plan 8

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
check "lockdown is confidentiality" grep -q '\[confidentiality\]' /sys/kernel/security/lockdown
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
check "its certificate says kernel-locked (a kernel-open cached one is not reused)" \
	test "$(status_f attestation.certificate.isolation_level)" = kernel-locked
worker shielded --roundtrip
check "shielded VM: key released to the approved worker, tenant's state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'policy=shielded')" \
	-a -n "$(echo "$OUT" | grep 'unseal matches')" -a -n "$(echo "$OUT" | grep 'roundtrip ok')"
worker es --roundtrip
check "encryption-supported VM: the same" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'policy=encryption-supported')" \
	-a -n "$(echo "$OUT" | grep 'unseal matches')" -a -n "$(echo "$OUT" | grep 'roundtrip ok')"
check "both keys are in the kernel's keyring list" eval 'has_key shielded && has_key es'
keys=$(status_f 'keys.loaded_keys.*.vm_id' | sort)
want=$(printf '%s\n' "$(uuid_of shielded)" "$(uuid_of es)" | sort)
check "status lists the loaded keys (serial, VM id, expiry)" test "$keys" = "$want"
check "a shielded key does not serve another program (keyctl pipe: no read)" \
	eval '! keyctl pipe "$(status_f "keys.loaded_keys[policy=shielded].serial")" >/dev/null 2>&1'
finish
