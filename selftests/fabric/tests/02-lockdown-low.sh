#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Below kernel-locked (the rig boots without lockdown; 05 raises it): a
# shielded VM's release is refused by KPS with a reason an admin can act
# on and nothing is loaded; an encryption-supported VM's key loads and
# works at this level.
. "$(dirname "$0")/lib.sh"
plan 7

level=$(cat /sys/kernel/security/lockdown)
echo "lockdown: $level" | diag
check "the host is below kernel-locked (lockdown is not confidentiality)" \
	test -z "$(echo "$level" | grep '\[confidentiality\]')"
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
worker shielded
check "shielded VM: refused by KPS with IsolationLevelInsufficientForPolicy" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'source=kps substatus=IsolationLevelInsufficientForPolicy')"
check "the message says what to do (kernel-locked, lockdown, shieldctl diagnose)" \
	test -n "$(echo "$OUT" | grep 'kernel-locked.*lockdown.*shieldctl diagnose')"
check "no key was loaded for the shielded VM" no_key shielded
worker es --roundtrip
check "encryption-supported VM: key released, tenant's sealed state opens, seal/unseal round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'policy=encryption-supported')" \
	-a -n "$(echo "$OUT" | grep 'unseal matches')" -a -n "$(echo "$OUT" | grep 'roundtrip ok')"
check "status counts one release and one refusal, lists the loaded key" \
	test "$(status_fl keys.releases_ok keys.releases_failed keys.loaded_keys.0.vm_id)" \
	= "1 1 $(uuid_of es)"
finish
