#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# HGS goes down while N (20) VMs ask for their keys at once: it stays down
# until every VM's request waits at the agent and the agent has retried
# them with backoff (3N failed attempts at HGS; at most 60 s: a condition,
# not a fixed 30 s as before); the agent keeps its still-valid
# certificate, and once HGS is back every VM gets its own key (each worker
# opens the state its tenant sealed: a wrong key cannot), and the agent did
# not crash.
. "$(dirname "$0")/lib.sh"
N=$(cat "$F/vms/storm.count")
plan 9

check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
check "HGS stops (control channel)" ctl hgs-stop
down_at=$(date +%s)
D=/tmp/storm.$$
mkdir -p "$D"
pids=()
for i in $(seq 1 "$N"); do
	read -r u <"$F/vms/storm$i.uuid"
	( "$WORKER" --vm "$u" --kp "$F/vms/storm$i.kp" \
		--unseal "$F/vms/storm$i.sealed" --expect "$F/vms/storm$i.plain" \
		>"$D/$i.out" 2>&1; echo $? >"$D/$i.rc" ) &
	pids+=($!)
done
# down until all N wait at the agent (its status is one more client) and
# HGS refused 3N attempts (the agent's retries, with backoff); at most 60 s;
# asked every second (each time a status and a jfield start, which the
# guest's one vCPU takes from the agent's retries)
outage() {
	local v
	st=$(status_json)
	# (no <(...): the guest has no /dev/fd)
	v=$(echo "$st" | jfl agent.clients hgs.0.failures)
	WAITING=$((${v% *} - 1)) FAILS=${v#* }
	[ "$WAITING" = "$N" ] && [ "$FAILS" -ge $((3 * N)) ] 2>/dev/null
}
while ! outage && [ $((EPOCHSECONDS - down_at)) -lt 60 ]; do nap 1; done
echo "$st" | jf hgs.0 | diag
echo "after $(($(date +%s) - down_at)) s: $WAITING VMs waiting, $FAILS failed attempts at HGS" | diag
check "while HGS is down no VM got an answer yet" test -z "$(ls "$D"/*.rc 2>/dev/null)"
check "all $N VMs wait at the agent, which retried them ($FAILS attempts failed)" \
	test "$WAITING" = "$N" -a "$FAILS" -ge $((3 * N))
check "status: the primary URL is unreachable, the certificate still valid" \
	test "$(echo "$st" | jfl hgs.0.state attestation.state)" = "unreachable valid"
check "HGS starts again" ctl hgs-start
wait "${pids[@]}"
# builtins only: process start-up is slow in a TCG guest
good=0
: >"$D/uuids"
for i in $(seq 1 "$N"); do
	rc=
	read -r rc <"$D/$i.rc"
	read -r u <"$F/vms/storm$i.uuid"
	echo "$u" >>"$D/uuids"
	out=$(<"$D/$i.out")
	if [ "$rc" = 0 ] && [[ $out == *"vm=$u "* && $out == *"unseal matches"* ]]; then
		good=$((good + 1))
	else
		echo "VM storm$i: rc=$rc $out" | diag
	fi
done
check "all $N VMs got their own key once HGS was back ($good/$N)" test "$good" = "$N"
listed=$(status_f 'keys.loaded_keys.*.vm_id' | grep -cFx -f "$D/uuids")
check "the agent is alive and lists the $N keys ($listed)" test "$listed" = "$N"
stop_agent
rc=$?
check "and stops cleanly (exit $rc)" test $rc = 0
rm -rf "$D"
finish
