#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The certificate has expired and HGS is unreachable: a key release fails
# within its deadline with a reason that says so, nothing loads; when HGS
# is back (and time is right again) releases work. Time moves by setting
# the guest's wall clock 9 h ahead (the certificate is valid 8 h + 10 min):
# the last test, since it also ages every key loaded before it.
. "$(dirname "$0")/lib.sh"
plan 7

check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
check "HGS stops (control channel)" ctl hgs-stop
now=$(date +%s)
date -s "@$((now + 9 * 3600))" >/dev/null
worker expired --deadline 8
date -s "@$(($(date +%s) - 9 * 3600))" >/dev/null
check "release refused: HgsUnreachable, saying the certificate expired" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'substatus=HgsUnreachable')" \
	-a -n "$(echo "$OUT" | grep 'health certificate has expired')"
check "no key was loaded" no_key expired
st=$(status_json)
{ read -r le; read -r sub; } <<<"$(echo "$st" | jf attestation.last_error attestation.last_error.substatus)"
echo "$le" | diag
check "status shows the failed renewal (HgsUnreachable)" test "$sub" = HgsUnreachable
check "HGS starts again" ctl hgs-start
worker expired --deadline 60
check "with HGS back and the clock right, the release works" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')"
finish
