#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host root cannot read a TK: after the agent released a shielded VM's key
# and the reference worker used it (resumed and resealed the vTPM), the
# TK's 32 bytes are nowhere in the agent's or the worker's memory
# (/proc/PID/mem, read as root), and the key cannot be read with keyctl.
# The driver left the tenant's TK of this one VM in the shared dir
# (vms/scan.tk) only so that this test knows what to look for; a process
# that does hold it shows that the scan finds it.
. "$(dirname "$0")/lib.sh"
plan 7
VTPM=$R/build/bin/vmshield-worker
SCAN=$R/userspace/tests/memscan.py
TK=$(od -An -tx1 -v "$F/vms/scan.tk" | tr -d ' \n')
uuid=$(uuid_of scan)

check "the tenant's TK is known to the test (32 bytes)" test ${#TK} = 64
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
"$VTPM" provision --vm "$uuid" --state "$F/vms/scan.vtpm" --kp "$F/vms/scan.kp" \
	--nv-text scan >"$F/scan.out" 2>&1
"$VTPM" run --vm "$uuid" --state "$F/vms/scan.vtpm" --kp "$F/vms/scan.kp" \
	--reseal-every 500 --count 1000 >>"$F/scan.out" 2>&1 &
wpid=$!
for ((i = 0; i < 200; i++)); do
	[[ $(<"$F/scan.out") == *"sealed generation 3"* ]] && break
	nap 0.2
done
check "the worker runs the VM and reseals with the released key" grep -q "sealed generation 3" "$F/scan.out"
python3 "$SCAN" "$AGENT_PID" "$TK"
check "the TK is not in hgs-agent's memory" test $? = 1
python3 "$SCAN" "$wpid" "$TK"
check "the TK is not in the worker's memory (it unsealed and sealed with it)" test $? = 1
# (the serial read while the worker holds the key: an empty one would make
# the keyctl check below pass for nothing)
serial=$(status_f "keys.loaded_keys[vm_id=$uuid].serial" | tail -1)
kill -TERM "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
check "keyctl cannot read the key (no read operation; serial ${serial:-none})" \
	eval '[[ -n $serial ]] && ! keyctl pipe "$serial" >/dev/null 2>&1 &&
		! keyctl print "$serial" >/dev/null 2>&1'
# the scan can fail: a process holding the TK is found
# (it says when it holds the key: a loaded machine may take seconds)
rm -f "$F/hold.ready"
python3 -c 'import sys, time; k = bytes.fromhex(sys.argv[1]); open(sys.argv[2], "w").write("1"); time.sleep(30)' \
	"$TK" "$F/hold.ready" &
hold=$!
for ((i = 0; i < 300; i++)); do [ -s "$F/hold.ready" ] && break; nap 0.1; done
python3 "$SCAN" "$hold" "$TK"
check "the same scan finds the TK in a process that holds it" test $? = 0
kill "$hold" 2>/dev/null
finish
