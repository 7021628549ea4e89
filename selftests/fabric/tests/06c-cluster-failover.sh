#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 18: the real hgs-agent against an HGS cluster (three hgsd nodes
# on one PostgreSQL 15 on the outer machine: cluster.sh), a node killed.
# The agent lists the three nodes (A primary, B and C fallbacks). A burst
# of key releases loaded into the module (fabric_worker, two lanes)
# beside rolled VM starts (vmshield-worker resume --roll: a TK roll and
# its confirmation each, one under way at the kill); node A is killed
# (SIGKILL) a third of the way in: no release and no start fails (the
# agent moves to the next URL), the longest stall is printed, and the
# database shows no TK version incremented twice (hgs-cluster.md §5's
# invariant; the roll VM's version is its number of starts). Node A,
# restarted, serves again. The cluster stays up for
# 06d-cluster-revocation (which stops it; the control loop's end does too).
. "$(dirname "$0")/lib.sh"
plan 11

VTPM=$R/build/bin/vmshield-worker
LANE_RELEASES=8	# per release lane, two lanes
ROLLS_MIN=2
D=/run/fabric-06c
rm -rf "$D" && mkdir -p "$D"

ms() { date +%s%3N; }

# release_lane N VM...: N releases through the agent, round robin over the
# VMs, each unsealing the tenant's blob; "rc ms" a line in $D/lane.N
release_lane() {
	local lane=$1 n=$2 i vm t0 rc
	shift 2
	local vms=("$@")
	for ((i = 0; i < n; i++)); do
		vm=${vms[$((i % ${#vms[@]}))]}
		t0=$(ms)
		"$WORKER" --vm "$(uuid_of "$vm")" --kp "$F/vms/$vm.kp" \
			--unseal "$F/vms/$vm.sealed" --expect "$F/vms/$vm.plain" \
			>>"$D/lane$lane.out" 2>&1
		rc=$?
		echo "$rc $(($(ms) - t0))" >>"$D/lane$lane"
	done
}

# roll_lane: starts of the roll VM, each rolling its TK, one after the
# other until the release lanes are done (at least $ROLLS_MIN): one is
# under way when node A is killed
roll_lane() {
	local i=0 t0 rc
	while ((i < ROLLS_MIN)) || [ ! -e "$D/releases-done" ]; do
		t0=$(ms)
		"$VTPM" resume --vm "$ROLL_UUID" --state "$ROLL_ST" --kp "$ROLL_KP" \
			--roll --expect "$TAG" >"$D/roll$i.out" 2>&1
		rc=$?
		grep -q "TK roll of VM $ROLL_UUID confirmed" "$D/roll$i.out" || rc=${rc/#0/9}
		echo "$rc $(($(ms) - t0))" >>"$D/rolls"
		i=$((i + 1))
	done
}

done_count() { cat "$D"/lane[12] 2>/dev/null | wc -l; }
failed_count() { cat "$@" 2>/dev/null | awk '$1 != 0' | wc -l; }

check "three hgsd nodes on one PostgreSQL, the host and the workers registered" \
	ctl cluster-start 240
grep "^hgs_url\|^hgs_fallback_url" "$F/agent-cluster.conf" | diag
check "the agent (node A first, then B, C) starts and attests" \
	eval 'start_agent agent-cluster && wait_state valid 90'

ROLL_UUID=$(uuid_of cluster-roll)
ROLL_KP=$F/vms/cluster-roll.kp
ROLL_ST=$F/vms/cluster-roll.vtpm
TAG="tag of cluster-roll $(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
rm -f "$ROLL_ST" "$ROLL_KP.new"
out=$("$VTPM" provision --vm "$ROLL_UUID" --state "$ROLL_ST" --kp "$ROLL_KP" \
	--nv-text "$TAG" 2>&1)
check "the roll VM is provisioned (version 0)" test $? = 0
echo "$out" | tail -1 | diag

# a) the burst; node A killed a third of the way in
t_burst=$(ms)
release_lane 1 "$LANE_RELEASES" cluster1 cluster2 &
L1=$!
release_lane 2 "$LANE_RELEASES" cluster3 cluster4 &
L2=$!
roll_lane &
LR=$!
for i in $(seq 1 1200); do
	(($(done_count) >= 2 * LANE_RELEASES / 3)) && break
	sleep 0.1
done
killed_after=$(done_count)
rolls_before=$( (wc -l <"$D/rolls") 2>/dev/null || echo 0)
check "node A killed (SIGKILL) after $killed_after of $((2 * LANE_RELEASES)) releases" \
	ctl cluster-kill-a
wait "$L1" "$L2"
touch "$D/releases-done"
wait "$LR"
t_burst=$(($(ms) - t_burst))
nrel=$(done_count)
nroll=$(wc -l <"$D/rolls")
longest_rel=$(cat "$D"/lane[12] | sort -k2 -n | tail -1 | cut -d' ' -f2)
median_rel=$(cat "$D"/lane[12] | sort -k2 -n | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
longest_roll=$(sort -k2 -n "$D/rolls" | tail -1 | cut -d' ' -f2)
echo "burst: $nrel releases and $nroll rolled starts in $t_burst ms; node A killed after $killed_after releases and $rolls_before rolled starts" | diag
echo "longest stall: $longest_rel ms for a release (median $median_rel ms), $longest_roll ms for a rolled start" | diag
status_json | jq -c '.hgs[] | {url, role, state, successes, failures}' | diag
check "0 failed releases ($nrel made, each unsealed the tenant's state)" \
	test "$nrel" = $((2 * LANE_RELEASES)) -a "$(failed_count "$D"/lane[12])" = 0
[ "$(failed_count "$D"/lane[12])" = 0 ] || tail -5 "$D"/lane*.out | diag
check "0 failed rolled starts ($nroll made, each confirmed its roll and read its tag)" \
	test "$nroll" -ge "$ROLLS_MIN" -a "$(failed_count "$D/rolls")" = 0
[ "$(failed_count "$D/rolls")" = 0 ] || tail -3 "$D"/roll*.out | diag
check "the agent moved to a fallback node (successes there, failures at node A)" \
	eval '[ "$(status_q "[.hgs[] | select(.role == \"fallback\") | .successes] | add")" -gt 0 ] &&
	      [ "$(status_q ".hgs[0].failures")" -gt 0 ]'
check "the database's TK invariant holds: no version incremented twice" \
	ctl cluster-tk-check
diag <"$F/cluster/tk.txt"
check "the roll VM's version is its number of starts ($nroll), one confirmed roll each, none pending" \
	grep -qx "violations=0 version=$nroll confirmed=$nroll pending=0" "$F/cluster/tk.txt"
check "node A restarts on its port" ctl cluster-start-a
worker cluster1
check "a release through the restarted primary works" test "$RC" = 0
finish
