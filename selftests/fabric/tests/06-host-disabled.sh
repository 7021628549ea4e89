#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The HGS admin disables the host after it attested: its next key release
# is refused (HostDisabled) although its certificate is still valid, and
# nothing loads; re-enabled, the same release works.
. "$(dirname "$0")/lib.sh"
plan 6

check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
check "HGS admin disables the host (control channel)" ctl host-disable
worker disabled --deadline 60
check "release refused by KPS: HostDisabled" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'source=kps substatus=HostDisabled')"
check "the message names the command that re-enables the host" \
	test -n "$(echo "$OUT" | grep 'shieldctl hgs host enable fabric-host')"
check "no key was loaded" no_key disabled
ctl host-enable
worker disabled --deadline 60
check "re-enabled: the same release succeeds" test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')"
finish
