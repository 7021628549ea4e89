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
# when none), from ST, which load_status fills with one jfield start for
# every check (not one per lookup: each is a process start in a TCG
# guest); FAILS[NAME] set when any check named NAME failed, FIX[NAME] the
# fixes of the checks named NAME; CHECKS the checks, one line each
declare -A ST FAILS FIX
load_status() {
	local l=() i n
	ST=() FAILS=() FIX=() CHECKS=
	# (the names last: $(...) drops trailing empty lines, a name is never empty)
	mapfile -t l <<<"$(echo "$J" | jf 'checks.*.status' 'checks.*.fix?' \
		'checks.*.found?' 'checks.*.name')"
	n=$((${#l[@]} / 4))
	for ((i = 0; i < n; i++)); do
		local st=${l[i]} name=${l[3 * n + i]}
		[ -n "${ST[$name]+x}" ] || ST[$name]=$st
		[ "$st" != fail ] || FAILS[$name]=1
		FIX[$name]+="${l[n + i]}"$'\n'
		CHECKS+="$name: $st ${l[2 * n + i]}"$'\n'
	done
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
echo -n "$CHECKS" | diag
check "module, isolation and lockdown are ok (kernel-locked)" \
	eval '[ "$(status module)$(status isolation)$(status lockdown)" = okokok ]'
check "hgs-agent is running and answers" test "$(status hgs-agent)" = ok
check "the agent holds a valid certificate; its HGS URL is reachable or not yet needed" \
	eval '[ "$(status attestation)" = ok ] && [ -z "${FAILS[hgs via agent]+x}" ]'
check "HGS answers directly, and the cached certificate is for this enclave" \
	eval '[ "$(status hgs)$(status "health cert")" = okok ]'
check "the unsigned rig module fails the signature check, with a fix" \
	eval '[ "$(status "module signature")" = fail ] && [[ ${FIX[module signature]-} == *sign* ]]'
stop_agent
t0=$(date +%s)
J=$("$SH" diagnose --json)
rc=$?
load_status
echo "shieldctl diagnose (no agent) took $(($(date +%s) - t0)) s" | diag
check "with the agent stopped: exit 1" test $rc = 1
check "... hgs-agent fails, and the fix says how to start it" \
	eval '[ "$(status hgs-agent)" = fail ] && [[ ${FIX[hgs-agent]-} == *"systemctl start hgs-agent"* ]]'
# (words are allowed: the MOK check names "the MOK private key" by its
# path when DKMS left one on the host; key material is not)
check "... no secret in the output (no key material: only hex of public keys)" \
	eval '! echo "$J" | grep -q -- "-----BEGIN\|PRIVATE KEY-----"'
finish
