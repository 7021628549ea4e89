#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Whole-host crash during a TK roll, boot 3 of 3: the host 02 killed after
# the re-seal, before KP.new replaced the KP, boots again: HGS holds
# version 2 with version 3 pending; the state is under version 3's TK; the
# start puts KP.new in place, its release confirms version 3, rolls and
# opens the tag (version 4); versions 2 and 3 are refused.
. "$(dirname "$0")/crashlib.sh"
plan 7

check "boot 2 passed its checks and was killed after the re-seal" \
	crashed_before 02-host-crash-reseal after-reseal
echo confidentiality >/sys/kernel/security/lockdown
check "the agent attests after the crash" eval 'start_agent agent && wait_state valid 90'
vm_status
check "HGS holds version 2, the interrupted roll pending as version 3" version_is 2 3
check "the state is the re-sealed one, KP.new (version 3) beside the old KP" \
	eval '[ "$(sumof "$KP")" = "$(cat "$C/kp.sum")" ] && [ "$(sumof "$ST")" != "$(cat "$C/state.sum")" ] &&
	      cmp -s "$KP.new" "$C/kp.v3"'
rolled_start
check "the start puts KP.new in place, confirms it, rolls and opens the tag" \
	eval 'started && echo "$OUT" | grep -q "had re-sealed the state"'
vm_status
check "HGS holds version 4, nothing pending" version_is 4 none
check "the KPs of versions 2 and 3 are superseded" \
	eval 'superseded "$C/kp.v2" && superseded "$C/kp.v3"'
finish
