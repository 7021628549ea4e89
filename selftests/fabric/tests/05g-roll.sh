#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The TK roll at a start (issue 20, Documentation/migration.md §1) with a
# real hgsd, hgs-agent, vmshield.ko and vmshield-worker --roll, and its
# crash points: hgsd stopped and the agent SIGKILLed before the release,
# the worker SIGKILLed after the release (and the agent too), after the
# re-seal and after the KP's rename (the agent SIGKILLed and hgsd
# restarted before the confirmation).
# After every crash the next start opens the state with its tag (the last
# acknowledged content) and, once it completed, every earlier KP is
# refused (KeyProtectorSuperseded): no two versions stay valid.
. "$(dirname "$0")/lib.sh"
plan 17
VTPM=$R/build/bin/vmshield-worker
vm=roll
uuid=$(uuid_of $vm)
KP=$F/vms/$vm.kp
ST=$F/vms/$vm.vtpm
tag="tag of $vm $(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"

sumof() { sha256sum "$1" | cut -c1-64; }
# the NV tag rolled_start expects (lib.sh)
roll_tag() { printf '%s' "$tag"; }
# kill_agent: SIGKILL the agent (a crash: no cleanup), then start a new one
kill_agent() {
	kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
	rm -f "$PIDFILE"
}
# unchanged KPSUM STATESUM: the KP and the state as they were, no KP.new
unchanged() {
	[ "$(sumof "$KP")" = "$1" ] && [ "$(sumof "$ST")" = "$2" ] &&
		[ ! -e "$KP.new" ]
}

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
check "the agent starts and attests" eval 'start_agent agent && wait_state valid 90'
out=$("$VTPM" provision --vm "$uuid" --state "$ST" --kp "$KP" --nv-text "$tag" 2>&1)
check "provisioned under the owner's KP (version 0)" test $? = 0
echo "$out" | tail -2 | diag
cp "$KP" "$F/vms/$vm.kp.v0"
cp "$ST" "$F/vms/$vm.vtpm.v0"

# a plain rolled start
rolled_start
check "a rolled start re-seals, confirms and opens the tag" started
check "the owner's KP is superseded" superseded "$F/vms/$vm.kp.v0"
out=$("$VTPM" resume --vm "$uuid" --state "$F/vms/$vm.vtpm.v0" --kp "$KP" 2>&1)
rc=$?
echo "$out" | tail -1 | diag
check "the state of before the roll, with the rolled KP, fails closed" \
	eval 'test $rc != 0 && echo "$out" | grep -q "another VM or key id"'

# hgsd down, the worker killed while it waits, the agent stopped: before
# any release
kp_sum=$(sumof "$KP") st_sum=$(sumof "$ST")
ctl hgs-stop
OUT=$(timeout -s KILL 15 "$VTPM" resume --vm "$uuid" --state "$ST" --kp "$KP" \
	--roll 2>&1)
echo "$OUT" | tail -2 | diag
kill_agent
ctl hgs-start
check "hgsd, worker and agent down before the release: nothing changed" \
	unchanged "$kp_sum" "$st_sum"
check "the agent comes back" eval 'start_agent agent && wait_state valid 90'

# the worker killed after the release (rolled KP kept as .new), the agent
# restarted: the next start drops .new and rolls again
cp "$KP" "$F/vms/$vm.kp.a"
rolled_start VMSHIELD_WORKER_ROLL_KILL=after-release
check "worker killed after the release: KP.new written, KP and state untouched" \
	eval 'test $RC = 137 && test -s "$KP.new" && [ "$(sumof "$KP")" = "$kp_sum" ] && [ "$(sumof "$ST")" = "$st_sum" ]'
kill_agent
start_agent agent && wait_state valid 90
rolled_start
check "the next start drops the unused KP.new, rolls and opens the tag" \
	eval 'started && echo "$OUT" | grep -q "never re-sealed the state"'
check "the KP before it is superseded" superseded "$F/vms/$vm.kp.a"

# the worker killed after the re-seal, before the KP's rename
cp "$KP" "$F/vms/$vm.kp.b"
kp_sum=$(sumof "$KP") st_sum=$(sumof "$ST")
rolled_start VMSHIELD_WORKER_ROLL_KILL=after-reseal
check "worker killed after the re-seal: state re-sealed, KP.new beside the old KP" \
	eval 'test $RC = 137 && test -s "$KP.new" && [ "$(sumof "$KP")" = "$kp_sum" ] && [ "$(sumof "$ST")" != "$st_sum" ]'
cp "$KP.new" "$F/vms/$vm.kp.c"
rolled_start
check "the next start puts KP.new in place, confirms it, rolls and opens the tag" \
	eval 'started && echo "$OUT" | grep -q "had re-sealed the state"'
check "both earlier KPs are superseded" \
	eval 'superseded "$F/vms/$vm.kp.b" && superseded "$F/vms/$vm.kp.c"'

# the worker killed after the rename, before the confirmation; hgsd
# restarted meanwhile
cp "$KP" "$F/vms/$vm.kp.d"
rolled_start VMSHIELD_WORKER_ROLL_KILL=after-rename
check "worker killed after the rename: the rolled KP in place, not confirmed" \
	eval 'test $RC = 137 && test ! -e "$KP.new" && ! cmp -s "$KP" "$F/vms/$vm.kp.d"'
cp "$KP" "$F/vms/$vm.kp.e"
kill_agent
ctl hgs-stop
ctl hgs-start
start_agent agent && wait_state valid 90
rolled_start
check "after an agent kill and an hgsd restart the next start confirms it, rolls and opens the tag" started
check "both earlier KPs are superseded" \
	eval 'superseded "$F/vms/$vm.kp.d" && superseded "$F/vms/$vm.kp.e"'

# the one valid version: the current KP (every --kp start rolls now)
out=$("$VTPM" resume --vm "$uuid" --state "$ST" --kp "$KP" --expect "$tag" 2>&1)
rc=$?
echo "$out" | tail -2 | diag
check "the current KP opens the state (a start without --roll rolls too)" \
	eval 'test $rc = 0 && echo "$out" | grep -q "TK roll of VM $uuid confirmed"'
finish
