#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Whole-host crash during a TK roll, boot 1 of 3 (Documentation/migration.md
# §1.6): the VM "crash" provisioned and started once with the roll
# (version 1), then a start's roll held after KPS's release, before the
# re-seal (KP.new on disk, the state untouched), and the host's QEMU
# killed there by the outer side. 02 checks what the next boot finds.
. "$(dirname "$0")/crashlib.sh"
plan 5

echo confidentiality >/sys/kernel/security/lockdown
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
tag="tag of $vm $(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$tag" >"$C/tag"
out=$("$VTPM" provision --vm "$uuid" --state "$ST" --kp "$KP" --nv-text "$tag" 2>&1)
check "provisioned under the owner's KP (version 0)" test $? = 0
echo "$out" | tail -2 | diag
cp "$KP" "$C/kp.v0"
rolled_start
check "a rolled start re-seals, confirms and opens the tag (version 1)" started
cp "$KP" "$C/kp.v1"
sumof "$KP" >"$C/kp.sum"
sumof "$ST" >"$C/state.sum"
check "a roll held after the release: KP.new written, KP and state untouched" \
	eval 'hold_roll after-release && test -s "$KP.new" &&
	      [ "$(sumof "$KP")" = "$(cat "$C/kp.sum")" ] && [ "$(sumof "$ST")" = "$(cat "$C/state.sum")" ]'
cp "$KP.new" "$C/kp.v2-lost"
crash_host after-release
