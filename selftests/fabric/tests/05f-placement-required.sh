#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A KP that requires the hypervisor placement (shieldctl kp new
# --require-placement hypervisor) on this kernel-placement host, locked
# since 05: KPS refuses it with PlacementNotAllowed and nothing is loaded.
# The same KP is released in boot 4 (hypervisor/), where the enclave runs
# outside this kernel.
. "$(dirname "$0")/lib.sh"
plan 4

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
check "the agent attests (placement kernel)" eval 'start_agent agent && wait_state valid 90'
check "its certificate says placement kernel" \
	test "$(status_f attestation.certificate.placement)" = kernel
worker hyp
check "the KP requiring placement hypervisor: refused by KPS with PlacementNotAllowed" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'source=kps substatus=PlacementNotAllowed')"
check "no key was loaded for it" no_key hyp
finish
