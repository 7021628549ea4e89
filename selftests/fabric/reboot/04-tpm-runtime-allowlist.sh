#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The runtime allowlist (Keylime-style): the admin approves every file
# this host's IMA list has measured so far and turns the policy on. This
# boot's tcb policy measures the files root reads, so a file read while
# open for writing is an IMA violation (the test makes one): the host
# fails (PolicyImaViolation) until the admin lets violations be. Then the
# agent attests. Then root runs an executable nobody approved: the next
# attestation is refused (PolicyExecutableNotAllowed) and the detail
# names the file. Needs 02-tpm-attest (EK registered, baseline).
. "$(dirname "$0")/../tests/lib.sh"
plan 9

A=$F/tpm/allow.txt
# an executable nobody will approve, made now (chmod and xxd are measured
# and approved with the rest) but run only later: IMA measures at exec
# (on the 9p share: measured; tmpfs is not)
X=$F/tpm/unapproved-$$.sh
printf '#!/bin/sh\necho unapproved %s\n' "$(head -c 8 /dev/urandom | xxd -p)" >"$X"
chmod +x "$X"
# root reads a file something holds open for writing (a log, as it were)
L=$F/tpm/held-$$.log
echo "a line" >"$L"
exec 7>>"$L"
cat "$L" >/dev/null
exec 7>&-
check "root reads a file held open for writing: IMA lists a violation (zero digest)" \
	test -n "$(awk -v f="$L" '$5 == f && $2 ~ /^0+$/' /sys/kernel/security/ima/ascii_runtime_measurements)"
# every file measured so far (ima-ng: "10 H ima-ng sha256:D PATH"), plus
# the control channel's answer ("ok\n"), which this host reads after
awk '$3 == "ima-ng" && $4 ~ /^sha256:/ { print substr($4, 8) "  " $5 }' \
	/sys/kernel/security/ima/ascii_runtime_measurements >"$A"
printf 'ok\n' | sha256sum | sed 's/-$/control-answer/' >>"$A"
# (this host never reads allow.txt itself: that would be a new measurement)
# a fresh attestation each time: no cached certificate (on tmpfs)
fresh_start() { rm -f /run/hgs-agent-tpm/health.pem; start_agent agent-tpm; }
check "the admin approves them and turns the runtime allowlist on" ctl tpm-allowlist-on
check "the violations fail the host: PolicyImaViolation" \
	eval 'fresh_start && wait_state failed 150 &&
	      read_last_error && [ "$LE_SUB" = PolicyImaViolation ]'
echo "$LE_MSG" | diag
stop_agent
check "the admin lets violations be (tpm_allow_ima_violations)" ctl tpm-violations-allow
check "the agent attests with the allowlist on" \
	eval 'fresh_start && wait_state valid 150'
stop_agent

# ... then root runs it
"$X" | diag
check "after an unapproved executable ran, the attestation fails" \
	eval 'fresh_start && wait_state failed 150'
st=$(status_json)
{ read -r le; read -r sub; IFS= read -r msg; } <<<"$(echo "$st" |
	jf attestation.last_error attestation.last_error.substatus attestation.last_error.message)"
echo "$le" | diag
check "PolicyExecutableNotAllowed, naming the file" \
	eval '[ "$sub" = PolicyExecutableNotAllowed ] && [[ $msg == *"unapproved-$$"* ]]'
stop_agent
check "the admin turns the allowlist off again" ctl tpm-allowlist-off
check "... and refuses violations again (the default)" ctl tpm-violations-refuse
finish
