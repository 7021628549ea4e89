#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 18: a key release lives its policy's lifetime, the agent renews it
# before it expires, and a revocation reaches the module's keys.
#  a) The HGS admin sets the encryption-supported lifetime to 20 s. A
#     worker holds the VM's key for 35 s, sealing every 0.5 s: the agent
#     renews the key at two thirds of its lifetime and the worker takes
#     the renewal when its key expires: no seal fails.
#  b) The agent polls HGS every 2 s (revocation_poll_s). The HGS admin
#     disables the host: the agent revokes every key it loaded; the
#     holding worker's SEAL fails with EKEYREVOKED (its key revoked, or,
#     when it expired meanwhile, the renewal it would take) within the documented
#     bound (revocation_poll_s + one /v1/host/status call + one seal
#     interval; 5 s here under TCG, measured from HGS's answer to the
#     admin and printed) and /proc/keys shows the key revoked.
#  c) A host that ignores the notice (revocation_poll_s = 0, as a
#     compromised host would): its renewal is refused (HostDisabled) and
#     the key expires; the worker's SEAL fails with EKEYEXPIRED no later
#     than one lifetime after the revocation (a renewal made just before
#     it lives out its lifetime: that is the bound).
. "$(dirname "$0")/lib.sh"
plan 13

LIFE=20
BOUND=5
sed '/^revocation_poll_s/d' "$F/agent.conf" >"$F/agent-poll.conf"
echo "revocation_poll_s = 2" >>"$F/agent-poll.conf"
sed '/^revocation_poll_s/d' "$F/agent.conf" >"$F/agent-deaf.conf"
echo "revocation_poll_s = 0" >>"$F/agent-deaf.conf"

# key_state SERIAL: the flags column of /proc/keys for it (R: revoked), or gone
key_state() {
	local hex
	hex=$(printf '%08x' "$1")
	awk -v k="$hex" '$1 == k { print $2; f = 1 } END { if (!f) print "gone" }' /proc/keys
}

check "the HGS admin sets release_lifetime_encryption_supported_s = $LIFE" ctl lifetime-short
check "the agent starts (revocation_poll_s = 2) and attests" \
	eval 'start_agent agent-poll && wait_state valid 90'

# a) renewal: the worker holds the key across two expiries
worker es --hold 35
check "a) released with the policy's lifetime ($LIFE s)" \
	test -n "$(echo "$OUT" | grep "released .* lifetime=$LIFE ")"
check "a) the worker took the agent's renewals and no seal failed for 35 s" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep -E '^held seals=[0-9]+ switches=[1-9]')"
check "a) the agent logged its renewals with fresh releases" \
	test "$(grep -c "event=renewed vm=$(uuid_of es)" "$AGENT_LOG")" -ge 1
check "a) KPS saw them as renewals, which never roll the TK (renewal=1 in its events)" \
	ctl renewals-seen

# b) revocation reaches the module: hold in the background, disable the host
HOLD_OUT=$F/06b-hold.out
"$WORKER" --vm "$(uuid_of es)" --kp "$F/vms/es.kp" --hold 60 >"$HOLD_OUT" 2>&1 &
HOLD_PID=$!
for i in $(seq 1 100); do grep -q '^released' "$HOLD_OUT" && break; sleep 0.1; done
SERIAL=$(sed -n 's/^released serial=\([0-9]*\) .*/\1/p' "$HOLD_OUT")
ctl host-disable
t0=$(date +%s.%N)	# HGS answered: the host is disabled there
wait "$HOLD_PID"
RC=$?
t1=$(date +%s.%N)
cat "$HOLD_OUT" | diag
took=$(echo "$t1 - $t0" | bc)
echo "host disabled at HGS: the worker's seal failed ${took} s later (bound $BOUND s)" | diag
check "b) the worker's SEAL fails with EKEYREVOKED (errno 128)" \
	test "$RC" = 4 -a -n "$(grep 'seal-failed errno=128 ' "$HOLD_OUT")"
check "b) within the bound ($BOUND s): ${took} s" test "$(echo "$took <= $BOUND" | bc)" = 1
check "b) /proc/keys shows the key revoked (or already gone)" \
	eval 'st=$(key_state "$SERIAL"); echo "key $SERIAL: $st" | diag; case $st in *R*|gone) true ;; *) false ;; esac'
check "b) the agent logged the revocation" \
	grep -q 'event=revoked reason=HostDisabled keys_revoked=[1-9]' "$AGENT_LOG"
stop_agent

# c) a host that ignores the notice: the key dies with its lifetime
ctl host-enable
check "c) the agent starts with revocation_poll_s = 0 and attests" \
	eval 'start_agent agent-deaf && wait_state valid 90'
HOLD_OUT=$F/06b-hold-deaf.out
"$WORKER" --vm "$(uuid_of es)" --kp "$F/vms/es.kp" --hold 60 >"$HOLD_OUT" 2>&1 &
HOLD_PID=$!
for i in $(seq 1 100); do grep -q '^released' "$HOLD_OUT" && break; sleep 0.1; done
ctl host-disable
t0=$(date +%s.%N)
wait "$HOLD_PID"
RC=$?
t1=$(date +%s.%N)
cat "$HOLD_OUT" | diag
took=$(echo "$t1 - $t0" | bc)
echo "ignored revocation: the worker's key expired ${took} s after HGS disabled the host (bound: the lifetime, $LIFE s, plus a seal interval)" | diag
check "c) the renewal is refused (HostDisabled)" \
	grep -q "event=renewal_refused vm=$(uuid_of es) .*substatus=HostDisabled" "$AGENT_LOG"
check "c) the worker's SEAL fails with EKEYEXPIRED (errno 127) within the lifetime of the revocation" \
	test "$RC" = 4 -a -n "$(grep 'seal-failed errno=127 ' "$HOLD_OUT")" \
	-a "$(echo "$took <= $LIFE + 1" | bc)" = 1
ctl host-enable
ctl lifetime-default
finish
