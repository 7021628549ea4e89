#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# src.sh - the source guarded host of selftests/migration/run: the agent
# attests (mig-src), vmshield-worker provisions the shielded VM's vTPM
# with the tenant's tag (sealed under the VM's TK) and serves it; the
# inner VM boots SeaBIOS and a boot sector that extends PCR 7 with a
# fresh digest through the TIS (the PCR value the migration must keep,
# whatever the firmware measured). Then host root's
# moves: a plain tcp: migration through vmshield-migrate.py (refused
# before QEMU is asked), a plain migration straight through QMP (QEMU
# runs it, but the worker refuses the vTPM's state blobs, so QEMU fails
# it and the VM runs on here); and the real one, over TLS to mig-dst,
# whose state blobs are sealed; then hgs-agent's `migrated` revokes the
# VM's key here, and KPS refuses the VM's old KP to this host. The PCRs
# the source's vTPM ended with go to the destination (sync/src-done).
ROLE=src
. "$(dirname "$0")/miglib.sh"
plan $((16 + HYP))
TAG="tenant tag $(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

check "the agent attests (mig-src, kernel-locked)" eval 'start_agent agent-src && wait_state valid 120'
if [ "$HYP" = 1 ]; then
	# placement hypervisor: no vTPM in this host's processes; the first
	# serve makes a new vTPM in the enclave and rolls the TK at the start
	serve "$F/vms/mig.kp" --vtpm-in-enclave
	python3 "$PROBE" "$SOCK" init 2>>"$F/src.probe.err"
	PYTHONPATH=$R/selftests/worker python3 -c '
import struct, sys, vmm_probe as p
sock, d = p.connect(sys.argv[1])
idx, tag = int(sys.argv[2], 0), sys.argv[3].encode()
rc = p.nv_define(d, idx, len(tag))
rc = rc or p.tpm(d, 0x137, struct.pack(">II", p.OWNER, idx) + p.PW_SESSION +
                 struct.pack(">H", len(tag)) + tag + struct.pack(">H", 0), tag=0x8002)[0]
sys.exit(f"NV define/write: 0x{rc:x}" if rc else 0)
' "$SOCK" "$NVT" "$TAG" 2>>"$F/src.probe.err"
	rc=$?
	tail -12 "$F/src.serve.log" | diag
	printf '%s' "$TAG" >"$F/vms/mig.tag"
	cp "$STATE" "$F/vms/mig.state"
	signal provisioned
	check "the VM's vTPM made in the enclave, the tenant's tag written through the worker" test $rc = 0
	check "the TK rolled at the start: the enclave re-sealed the state, the rolled KP is the VM's (version 1)" \
		eval 'grep -q "the enclave re-sealed .* under the rolled TK" "$F/src.serve.log" &&
			grep -q "TK roll of VM $UUID confirmed: version 1" "$F/src.serve.log"'
else
	out=$("$VTPM" provision --vm "$UUID" --state "$STATE" --kp "$F/vms/mig.kp" --nv-text "$TAG" 2>&1)
	rc=$?
	echo "$out" | diag
	printf '%s' "$TAG" >"$F/vms/mig.tag"
	cp "$STATE" "$F/vms/mig.state"	# the VM's files on the storage both hosts see
	signal provisioned
	check "the VM's vTPM provisioned through the agent, the tag sealed under its TK" test $rc = 0
	serve "$F/vms/mig.kp"
	check "serve rolled the TK at the start (version 1)" \
		grep -q "TK roll of VM $UUID confirmed: version 1" "$F/src.serve.log"
	# the state as the roll re-sealed it (under version 1's TK)
	cp "$STATE" "$F/vms/mig.state"
fi
check "vmshield-worker serve: state blobs only for an announced TLS migration (a shielded KP)" \
	grep -q "state blobs only for an announced TLS migration" "$F/src.serve.log"

# the boot sector with TPM2_PCR_Extend(7, SHA-256 of a fresh digest):
# PCRs need no hierarchy, so it works even when SeaBIOS gave the TPM up
# (under load its TIS timeouts expire and it disables the hierarchies)
python3 - "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	"$R/build/selftests/fabric/nvread_boot.img" "$RUNDIR/boot.img" <<'PY'
import struct, sys
digest = bytes.fromhex(sys.argv[1])
pw = struct.pack(">IIHBH", 9, 0x40000009, 0, 0, 0)
body = struct.pack(">I", 7) + pw + struct.pack(">IH", 1, 0x000B) + digest
cmd = struct.pack(">HII", 0x8002, 10 + len(body), 0x182) + body
img = bytearray(open(sys.argv[2], "rb").read())
img[0x180:0x180 + len(cmd)] = cmd
open(sys.argv[3], "wb").write(img)
PY
cp "$RUNDIR/boot.img" "$F/vms/boot.img"
t0=$(date +%s)
inner_vm
for _ in $(seq 1800); do
	grep -q "vmshield-nvread-end" "$RUNDIR/bios.log" 2>/dev/null && break
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.1
done
resp=$(sed -n 's/^vmshield-nvread-response: \([0-9a-f]*\)$/\1/p' "$RUNDIR/bios.log")
cp "$RUNDIR/bios.log" "$F/src.bios.log"
echo "PCR_Extend inside the VM: ${resp:-no answer}; SeaBIOS $(grep -q 'table(324d5054)' \
	"$RUNDIR/bios.log" && echo found || echo did not find) the TPM's ACPI table" | diag
check "the inner VM (SeaBIOS, $(($(date +%s) - t0)) s) extends PCR 7 through the TIS" \
	eval '[[ ${resp:12:8} == 00000000 ]]'
signal vm-running

# --- host root's plain migrations ------------------------------------------------------
python3 "$MIGRATE" out --qmp "$QSOCK" --vm "$UUID" --state "$STATE" \
	--uri "tcp:10.0.2.2:$MIG_PORT" --dst-host mig-dst >"$RUNDIR/plain.out" 2>&1
rc=$?
diag <"$RUNDIR/plain.out"
check "vmshield-migrate out over plain tcp: refused (\"shielded VMs migrate only over TLS to an attested host\")" \
	eval '((rc == 1)) && grep -q "refused: shielded VMs migrate only over TLS to an attested host" "$RUNDIR/plain.out"'
check "... and the VM runs on here ($(vm_status))" test "$(vm_status)" = running
g0=$(gen_of "$STATE")
python3 "$QMP" "$QSOCK" migrate '{"uri": "exec:cat >/dev/null"}' 2>&1 | diag
st=$(python3 "$QMP" "$QSOCK" wait-migration 120 2>&1)
echo "QEMU's migration: $st" | diag
check "a plain migration straight through QMP: the worker refuses the vTPM's state, QEMU fails the migration" \
	eval '[[ $st == failed* ]] && grep -q "CMD_GET_STATEBLOB: refused: shielded VMs migrate only over TLS" "$F/src.serve.log"'
check "... the VM runs on here, its sealed state untouched (generation $g0)" \
	eval '[[ $(vm_status) == running && $(gen_of "$STATE") == "$g0" ]]'

# --- the migration ------------------------------------------------------------------------
check "the VM runs on here while mig-unreg (never registered) asks for it and gets nothing" \
	eval 'await dst-unreg-refused 900 && [[ $(vm_status) == running ]]'
rc=1
# With the vTPM in the enclave the source's vTPM ends with its key, so its
# PCRs are read before `migrated` revokes it: the tool does not tell the
# agent itself then, this script does, right after.
AGENT_ARG=(--agent "$SOCK_AGENT")
[ "$HYP" = 1 ] && AGENT_ARG=()
await dst-listening 900 &&
	python3 "$MIGRATE" out --qmp "$QSOCK" --vm "$UUID" --state "$STATE" \
		--uri "tcp:10.0.2.2:$MIG_PORT" --dst-host mig-dst --tls-creds "$F/tls/src" \
		--tls-hostname mig-dst "${AGENT_ARG[@]}" --timeout 600 >"$RUNDIR/mig.out" 2>&1
rc=$?
diag <"$RUNDIR/mig.out"
grep '^migration:' "$RUNDIR/mig.out" >"$F/migration.cost"
check "vmshield-migrate out over TLS to mig-dst: $(grep '^migration:' "$RUNDIR/mig.out")" test $rc = 0
if [ "$HYP" = 1 ]; then
	check "... the vTPM's state left sealed by the enclave, never plaintext" \
		grep -q "the vTPM state sealed by the enclave for migration" "$F/src.serve.log"
else
	check "... the vTPM's state blobs left sealed (permanent and volatile), never plaintext" \
		eval 'grep -q "permanent state sealed for migration" "$F/src.serve.log" &&
			grep -q "volatile state sealed for migration" "$F/src.serve.log"'
fi
check "... the VM stopped here ($(vm_status))" test "$(vm_status)" = postmigrate
stop_inner_vm
python3 "$PROBE" "$SOCK" pcrs >"$F/src.pcrs" 2>>"$F/src.probe.err"
diag <"$F/src.pcrs"
# only after a completed migration: the VM may still resume here otherwise
if [ "$HYP" = 1 ] && [ "$rc" = 0 ]; then
	python3 - "$MIGRATE" "$SOCK_AGENT" "$UUID" >>"$RUNDIR/mig.out" 2>&1 <<'PY'
import importlib.util, sys, types
spec = importlib.util.spec_from_file_location("vms_migrate", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
sys.exit(m.tell_migrated(types.SimpleNamespace(agent=sys.argv[2], vm=sys.argv[3])))
PY
	tail -2 "$RUNDIR/mig.out" | diag
fi
# /proc/keys: a revoked key stays listed (flag R) until the last holder
# lets go; none of the VM's may be usable
check "hgs-agent's migrated: the VM's key revoked in this host's module" \
	eval 'grep -q "hgs-agent: the VM.s key revoked here" "$RUNDIR/mig.out" &&
		! grep " vmshield *vm:$UUID" /proc/keys | awk "{ print \$2 }" | grep -qv R'
if [ "$HYP" = 1 ]; then
	python3 "$PROBE" "$SOCK" pcrs >"$RUNDIR/pcrs.after" 2>>"$F/src.probe.err"
	check "... and the source's vTPM in the enclave went with it (the worker's TPM answers no PCR)" \
		eval '[[ $(grep -c . "$RUNDIR/pcrs.after") != 8 ]]'
fi
signal src-done
check "the PCRs the source's vTPM ended with (8; PCR 7 extended)" \
	eval '[[ $(grep -c . "$F/src.pcrs") == 8 ]] && ! grep -q "^7 0\{64\}$" "$F/src.pcrs"'
python3 "$PROBE" "$SOCK" shutdown 2>>"$F/src.probe.err"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
if [ "$HYP" = 1 ]; then
	# (a serve that got the key would listen: the timeout ends it)
	out=$(timeout 300 "$VTPM" serve --vtpm-in-enclave --vm "$UUID" --state "$STATE" \
		--kp "$F/vms/mig.kp" --ctrl "type=unixio,path=$SOCK.again" 2>&1)
else
	out=$("$VTPM" resume --vm "$UUID" --state "$STATE" --kp "$F/vms/mig.kp" 2>&1)
fi
rc=$?
echo "$out" | tail -3 | diag
check "the source can no longer have the key: the VM's old KP is superseded at KPS" \
	eval '((rc != 0)) && grep -q KeyProtectorSuperseded <<<"$out"'
finish
