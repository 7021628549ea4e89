#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dst.sh - the destination guarded host of selftests/migration/run.
# First as mig-unreg (a host HGS never registered): its migrate-in gets
# nothing. Then as mig-dst: the agent attests; the worker serves the VM's
# state file as the shared storage holds it with `--incoming mig-src`:
# hgs-agent's migrate-in, KPS rolls the TK to this host's module (the
# current TK to open the source's blobs, the next to seal them), the
# rolled KP kept as KP.new; QEMU waits with -incoming, TLS only
# (vmshield-migrate.py in), on port 4444, which the outer side forwards
# from 127.0.0.1:MIG_PORT. After the migration: the vTPM's state came in
# sealed and was sealed here under the rolled TK, the rolled KP is the
# VM's and the roll confirmed; the VM runs here, its PCRs are the ones
# the source's vTPM had, and the tenant's tag is in its NV.
ROLE=dst
. "$(dirname "$0")/miglib.sh"
plan $((10 + HYP))

KP=$RUNDIR/mig.kp		# the VM's KP as this host's storage has it
REMOTE=()
[ "$HYP" = 1 ] && REMOTE=(--vtpm-in-enclave)

# --- a destination HGS does not know ------------------------------------------------
# the VM's files as the source's start left them: its roll made the KP
# version 1 and sealed the state under that TK
await provisioned 900
await vm-running 900 && cp "$F/vms/mig.state" "$STATE" && cp "$F/vms/mig.kp" "$KP"
G0=$(gen_of "$STATE")
start_agent agent-unreg
out=$("$VTPM" serve --vm "$UUID" --state "$STATE" --kp "$KP" --incoming mig-src "${REMOTE[@]}" \
	--ctrl "type=unixio,path=$SOCK" 2>&1)
rc=$?
echo "$out" | tail -3 | diag
check "mig-unreg (never registered) asks to migrate the VM in: refused, nothing loaded, no rolled KP" \
	eval '((rc != 0)) && grep -q "HostNotRegistered\|not registered" <<<"$out" && no_key mig && [[ ! -e $KP.new ]]'
stop_agent
signal dst-unreg-refused

# --- mig-dst ----------------------------------------------------------------------------
check "the agent attests (mig-dst, kernel-locked)" eval 'start_agent agent-dst && wait_state valid 120'
serve "$KP" --incoming mig-src "${REMOTE[@]}"
check "serve --incoming mig-src: migrate-in, the rolled key loaded here, the rolled KP kept as KP.new" \
	eval 'grep -q "rolled key: serial" "$F/dst.serve.log" && [[ -s $KP.new ]]'
cp "$F/vms/boot.img" "$RUNDIR/boot.img"
inner_vm -incoming defer
python3 "$MIGRATE" in --qmp "$QSOCK" --uri tcp:0.0.0.0:4444 --tls-creds "$F/tls/dst" \
	--timeout 900 >"$RUNDIR/in.out" 2>&1 &
IN_PID=$!
for _ in $(seq 3000); do
	grep -q "listening for the incoming migration" "$RUNDIR/in.out" && break
	kill -0 "$IN_PID" 2>/dev/null || break
	sleep 0.1
done
check "QEMU waits for the VM, TLS only, client certificates verified" \
	grep -q "TLS: QEMU's migration uses .* (server, peer verified)" "$RUNDIR/in.out" &&
	signal dst-listening
wait "$IN_PID"
rc=$?
diag <"$RUNDIR/in.out"
check "the migrated VM runs here ($(vm_status))" eval '((rc == 0)) && [[ $(vm_status) == running ]]'
if [ "$HYP" = 1 ]; then
	check "the vTPM's sealed state opened in this host's enclave and sealed there again under the rolled TK (generation $G0 -> $(gen_of "$STATE"))" \
		eval 'grep -q "the enclave sealed the migrated state again under the rolled TK" "$F/dst.serve.log" &&
			(($(gen_of "$STATE") > G0))'
else
	check "the vTPM's sealed state blobs opened through this host's module and sealed here again (generation $G0 -> $(gen_of "$STATE"))" \
		eval 'grep -q "(CMD_SET_STATEBLOB)" "$F/dst.serve.log" && (($(gen_of "$STATE") > G0))'
fi
check "... under the rolled TK: the rolled KP is the VM's now and KPS confirmed the roll" \
	eval 'grep -q "the migrated state is sealed here under the rolled TK" "$F/dst.serve.log" &&
		grep -q "TK roll of VM $UUID confirmed: version 2" "$F/dst.serve.log" && [[ ! -e $KP.new ]]'
await src-done 300
stop_inner_vm
python3 "$PROBE" "$SOCK" pcrs >"$RUNDIR/pcrs" 2>>"$F/dst.probe.err"
diag <"$RUNDIR/pcrs"
check "the PCRs survived: the same 8 values as the source's vTPM, PCR 7 as the VM extended it there" \
	eval '[[ $(grep -c . "$RUNDIR/pcrs") == 8 ]] && ! grep -q "^7 0\{64\}$" "$RUNDIR/pcrs" &&
		cmp -s "$RUNDIR/pcrs" "$F/src.pcrs"'
# Before anything reads the NV tag here (a read crosses the host as TPM
# traffic): with the vTPM in the enclave the worker that took the migrated
# VM holds no plaintext vTPM state, the tag nowhere in its memory; with the
# vTPM in the worker (kernel placement) it is there (printed only).
tag=$(cat "$F/vms/mig.tag")
python3 "$R/userspace/tests/memscan.py" "$SERVE_PID" "$(printf '%s' "$tag" | od -An -tx1 | tr -d ' \n')"
scan=$?
echo "the tenant's tag in the destination worker's memory: $([ $scan = 0 ] && echo found ||
	{ [ $scan = 1 ] && echo 'not found' || echo 'cannot read it'; })" | diag
[ "$HYP" = 1 ] &&
	check "the destination's worker holds no plaintext vTPM state: the tenant's tag is not in its memory" test $scan = 1
# a VM reset (CMD_INIT, Startup(CLEAR)) before the NV read: the hierarchies
# on again whatever the firmware did; NV is the permanent state
python3 "$PROBE" "$SOCK" init 2>>"$F/dst.probe.err"
got=$(python3 "$PROBE" "$SOCK" nvread "$NVT" "${#tag}" 2>>"$F/dst.probe.err")
check "the tenant's NV tag survived: '$got'" test "$got" = "$tag"
python3 "$PROBE" "$SOCK" shutdown 2>>"$F/dst.probe.err"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
check "the state file here holds no plaintext tag" eval '! grep -qF "$tag" "$STATE"'
finish
