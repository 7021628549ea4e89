#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# HGS goes down for 30 s while N (20) VMs ask for their keys at once: the
# agent retries with backoff, keeps its still-valid certificate, and once
# HGS is back every VM gets its own key (each worker opens the state its
# tenant sealed: a wrong key cannot), and the agent did not crash.
. "$(dirname "$0")/lib.sh"
N=$(cat "$F/vms/storm.count")
plan 8

check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
check "HGS stops (control channel)" ctl hgs-stop
down_at=$(date +%s)
D=/tmp/storm.$$
mkdir -p "$D"
pids=()
for i in $(seq 1 "$N"); do
	( "$WORKER" --vm "$(uuid_of storm$i)" --kp "$F/vms/storm$i.kp" \
		--unseal "$F/vms/storm$i.sealed" --expect "$F/vms/storm$i.plain" \
		>"$D/$i.out" 2>&1; echo $? >"$D/$i.rc" ) &
	pids+=($!)
done
sleep 8
check "while HGS is down no VM got an answer yet" test -z "$(ls "$D"/*.rc 2>/dev/null)"
st=$(status_json)
echo "$st" | jq -c '.hgs[0]' | diag
check "status: the primary URL is unreachable, the certificate still valid" \
	test "$(echo "$st" | jq -r '"\(.hgs[0].state) \(.attestation.state)"')" = "unreachable valid"
while [ $(($(date +%s) - down_at)) -lt 30 ]; do sleep 1; done
check "HGS starts again after 30 s" ctl hgs-start
wait "${pids[@]}"
good=0
for i in $(seq 1 "$N"); do
	rc=$(cat "$D/$i.rc" 2>/dev/null)
	if [ "$rc" = 0 ] && grep -q "vm=$(uuid_of storm$i) " "$D/$i.out" &&
	   grep -q 'unseal matches' "$D/$i.out"; then
		good=$((good + 1))
	else
		echo "VM storm$i: rc=$rc" | diag
		diag <"$D/$i.out"
	fi
done
check "all $N VMs got their own key once HGS was back ($good/$N)" test "$good" = "$N"
for i in $(seq 1 "$N"); do uuid_of storm$i; done >"$D/uuids"
listed=$(status_q '.keys.loaded_keys[].vm_id' | grep -cFx -f "$D/uuids")
check "the agent is alive and lists the $N keys ($listed)" test "$listed" = "$N"
stop_agent
rc=$?
check "and stops cleanly (exit $rc)" test $rc = 0
rm -rf "$D"
finish
