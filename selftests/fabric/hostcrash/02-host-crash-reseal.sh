#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Whole-host crash during a TK roll, boot 2 of 3: the host 01 killed after
# KPS's release, before the re-seal, boots again: HGS holds version 1 with
# the lost roll pending; the KP and the state are as before the crash, the
# start drops KP.new, rolls and opens the tag (version 2); every earlier
# KP (the owner's, version 1, the lost roll's) is refused. Then a roll
# held after the re-seal, before KP.new replaces the KP, and the host
# killed there; 03 checks the next boot.
. "$(dirname "$0")/crashlib.sh"
plan 9

check "boot 1 passed its checks and was killed after the release" \
	crashed_before 01-host-crash-release after-release
echo confidentiality >/sys/kernel/security/lockdown
check "the agent attests after the crash" eval 'start_agent agent && wait_state valid 90'
vm_status
check "HGS holds version 1, the lost roll pending as version 2" version_is 1 2
check "the KP and the state are as before the crash, KP.new beside them" \
	eval '[ "$(sumof "$KP")" = "$(cat "$C/kp.sum")" ] && [ "$(sumof "$ST")" = "$(cat "$C/state.sum")" ] && test -s "$KP.new"'
rolled_start
check "the start drops the unused KP.new, rolls and opens the tag" \
	eval 'started && echo "$OUT" | grep -q "never re-sealed the state"'
vm_status
check "HGS holds version 2, nothing pending" version_is 2 none
check "the owner's KP, version 1 and the lost roll's KP are superseded" \
	eval 'superseded "$C/kp.v0" && superseded "$C/kp.v1" && superseded "$C/kp.v2-lost"'
cp "$KP" "$C/kp.v2"
sumof "$KP" >"$C/kp.sum"
sumof "$ST" >"$C/state.sum"
check "a roll held after the re-seal: the state re-sealed, KP.new beside the old KP" \
	eval 'hold_roll after-reseal && test -s "$KP.new" &&
	      [ "$(sumof "$KP")" = "$(cat "$C/kp.sum")" ] && [ "$(sumof "$ST")" != "$(cat "$C/state.sum")" ]'
cp "$KP.new" "$C/kp.v3"
crash_host after-reseal
