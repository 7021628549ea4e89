#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dst.sh - the destination guarded host of selftests/migration/run: the
# agent attests (mig-dst); once the source provisioned the VM, the worker
# serves the VM's state file as the shared storage holds it, with the key
# released to this host's own module; QEMU waits with -incoming, TLS
# only (vmshield-migrate.py in), on port 4444, which the outer side
# forwards from 127.0.0.1:MIG_PORT. After the migration: the vTPM's
# state came in sealed and was sealed again here (a newer generation),
# the VM runs here, its PCRs are the ones the source's vTPM had, and the
# tenant's tag is in its NV.
ROLE=dst
. "$(dirname "$0")/miglib.sh"
plan 8

check "the agent attests (mig-dst, kernel-locked)" eval 'start_agent agent-dst && wait_state valid 120'
await provisioned 600 && cp "$F/vms/mig.state" "$STATE"
G0=$(gen_of "$STATE")
serve
check "vmshield-worker serve on the VM's state file (generation $G0), the key released to this host" \
	eval '[[ -n $G0 ]] && grep -q "state blobs only for an announced TLS migration" "$F/dst.serve.log"'
await vm-running 900 && cp "$F/vms/boot.img" "$RUNDIR/boot.img"
inner_vm -incoming defer
python3 "$MIGRATE" in --qmp "$QSOCK" --uri tcp:0.0.0.0:4444 --tls-creds "$F/tls/dst" \
	--timeout 900 >"$RUNDIR/in.out" 2>&1 &
IN_PID=$!
for _ in $(seq 600); do
	grep -q "listening for the incoming migration" "$RUNDIR/in.out" && break
	kill -0 "$IN_PID" 2>/dev/null || break
	sleep 0.1
done
check "QEMU waits for the VM, TLS only, client certificates verified" \
	grep -q "TLS: QEMU's migration uses .* (server, peer verified)" "$RUNDIR/in.out"
signal dst-listening
wait "$IN_PID"
rc=$?
diag <"$RUNDIR/in.out"
check "the migrated VM runs here ($(vm_status))" eval '((rc == 0)) && [[ $(vm_status) == running ]]'
check "the vTPM's sealed state blobs opened through this host's module and sealed here again (generation $G0 -> $(gen_of "$STATE"))" \
	eval 'grep -q "(CMD_SET_STATEBLOB)" "$F/dst.serve.log" && (($(gen_of "$STATE") > G0))'
await src-done 300
stop_inner_vm
python3 "$PROBE" "$SOCK" pcrs >"$RUNDIR/pcrs" 2>>"$F/dst.probe.err"
diag <"$RUNDIR/pcrs"
check "the PCRs survived: the same 8 values as the source's vTPM, measured by SeaBIOS there" \
	eval '[[ $(grep -c . "$RUNDIR/pcrs") == 8 ]] && cmp -s "$RUNDIR/pcrs" "$F/src.pcrs"'
tag=$(cat "$F/vms/mig.tag")
got=$(python3 "$PROBE" "$SOCK" nvread "$NVT" "${#tag}" 2>>"$F/dst.probe.err")
check "the tenant's NV tag survived: '$got'" test "$got" = "$tag"
python3 "$PROBE" "$SOCK" shutdown 2>>"$F/dst.probe.err"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
check "the state file here holds no plaintext tag" eval '! grep -qF "$tag" "$STATE"'
finish
