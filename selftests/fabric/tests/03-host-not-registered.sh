#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A host whose key HGS does not know: attestation fails with
# HostNotRegistered, status shows it with the exact command for the HGS
# admin, a key release is refused with the same reason, nothing loads.
. "$(dirname "$0")/lib.sh"
plan 6

check "the agent of an unregistered host starts" start_agent agent-unreg
check "its attestation fails (state failed)" wait_state failed 90
st=$(status_json)
{ read -r le; read -r sub; IFS= read -r msg; } <<<"$(echo "$st" |
	jf attestation.last_error attestation.last_error.substatus attestation.last_error.message)"
echo "$le" | diag
check "status: HostNotRegistered, with the shieldctl command to register it" \
	test "$sub" = HostNotRegistered \
	-a -n "$(echo "$msg" | grep "shieldctl hgs host add fabric-unregistered --key $F/agent-unreg-state/host.pub.pem")"
worker unreg --deadline 30
check "key release refused: source attestation, HostNotRegistered" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'source=attestation substatus=HostNotRegistered')"
check "no key was loaded" no_key unreg
check "the agent logged the refusal" grep -q 'event=attest_failed host=fabric-unregistered substatus=HostNotRegistered' "$AGENT_LOG"
finish
