#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A key protector that does not list this HGS's guardian: refused
# (KeyProtectorNotForThisHgs) with what the VM's owner must do; nothing
# loads; the agent keeps serving.
. "$(dirname "$0")/lib.sh"
plan 4

check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
worker foreign --deadline 60
check "release refused by KPS: KeyProtectorNotForThisHgs, with 'shieldctl kp grant'" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'source=kps substatus=KeyProtectorNotForThisHgs')" \
	-a -n "$(echo "$OUT" | grep 'shieldctl kp grant')"
check "no key was loaded" no_key foreign
check "the agent still attests as valid afterwards" test "$(status_f attestation.state)" = valid
finish
