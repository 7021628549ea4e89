#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `shieldctl diagnose` on a real guarded host (kernel-locked, the agent
# attested): each check's status, and with the agent stopped, the failure
# and what to do. The rig's module is unsigned, so the signature checks
# fail here, with their fix.
. "$(dirname "$0")/lib.sh"
plan 9
SH=$R/build/bin/shieldctl

# status NAME: the status of the first check named NAME in $J ("null"
# when none), from ST, which load_status fills with one jq start for
# every check (not one per lookup: each is seconds of a TCG guest)
declare -A ST
load_status() {
	local n s
	ST=()
	while IFS=$'\t' read -r n s; do
		[ -n "$n" ] && [ -z "${ST[$n]+x}" ] && ST[$n]=$s
	done <<<"$(echo "$J" | jq -r '.checks[] | [.name, .status] | @tsv')"
}
status() { echo "${ST[$1]-null}"; }

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
t0=$(date +%s)
J=$("$SH" diagnose --json --hgs "$HGS_URL" --cacert "$F/hgs-tls.pem" \
	--cert "$F/agent-state/health.pem")
load_status
echo "shieldctl diagnose took $(($(date +%s) - t0)) s" | diag
echo "$J" | jq -c '.checks[] | [.name, .status, .found]' | diag
check "module, isolation and lockdown are ok (kernel-locked)" \
	eval '[ "$(status module)$(status isolation)$(status lockdown)" = okokok ]'
check "hgs-agent is running and answers" test "$(status hgs-agent)" = ok
check "the agent holds a valid certificate; its HGS URL is reachable or not yet needed" \
	eval '[ "$(status attestation)" = ok ] && ! echo "$J" | jq -e ".checks[] | select(.name==\"hgs via agent\" and .status==\"fail\")" >/dev/null'
check "HGS answers directly, and the cached certificate is for this enclave" \
	eval '[ "$(status hgs)$(status "health cert")" = okok ]'
check "the unsigned rig module fails the signature check, with a fix" \
	eval '[ "$(status "module signature")" = fail ] && echo "$J" | jq -e ".checks[] | select(.name==\"module signature\") | .fix | test(\"sign\")" >/dev/null'
stop_agent
t0=$(date +%s)
J=$("$SH" diagnose --json)
rc=$?
load_status
echo "shieldctl diagnose (no agent) took $(($(date +%s) - t0)) s" | diag
check "with the agent stopped: exit 1" test $rc = 1
check "... hgs-agent fails, and the fix says how to start it" \
	eval '[ "$(status hgs-agent)" = fail ] && echo "$J" | jq -e ".checks[] | select(.name==\"hgs-agent\") | .fix | test(\"systemctl start hgs-agent\")" >/dev/null'
# (words are allowed: the MOK check names "the MOK private key" by its
# path when DKMS left one on the host; key material is not)
check "... no secret in the output (no key material: only hex of public keys)" \
	eval '! echo "$J" | grep -q -- "-----BEGIN\|PRIVATE KEY-----"'
finish
