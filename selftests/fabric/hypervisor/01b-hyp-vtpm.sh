#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rig-smp: 2
# The vTPM in the enclave, seen from host root (boot 4, lockdown none:
# after 01 registered the platform, before 03 raises lockdown, since the
# kernel-memory scan needs /proc/kcore).
#   * A VM whose KP requires the vTPM in the enclave (hyp-vtpm,
#     encryption-supported, --require-vtpm-in-enclave): `vmshield-worker
#     serve --vtpm-in-enclave` gets its key from the agent (the release
#     carries flag bit 1: the enclave refuses SEAL/UNSEAL for it); the
#     tenant's NV tag is written into it, and a stock QEMU inside this
#     host boots SeaBIOS on it from a one-sector disk (nvread_boot.S) that
#     reads the tag inside the VM through the TPM's TIS registers: the tag
#     read in the VM, PCR 0-7 measured (read back through the worker).
#   * Inside that vTPM an NV index is extended with data the test picks,
#     so its content, SHA-256(zeros || data), is NV content at rest that
#     never crossed the host. The outer machine (the tenant, who holds the
#     TK) opens the sealed state this host stored and sends back masked
#     needles (vtpm_needles.py): the TK, the three primary seeds, that NV
#     content. Host root scans all of RAM (/proc/kcore), every process's
#     memory (/proc/PID/mem) and the disk (the run directory, the share):
#     none found, while the worker serves.
#   * Positive control: the same scan with the vTPM in the worker (local
#     mode, hyp-local) finds its seeds and NV content in the worker.
. "$(dirname "$0")/hyplib.sh"
plan 14
QEMU=${QEMU:-qemu-system-x86_64}
VTPM=$R/build/bin/vmshield-worker
PROBE=$R/selftests/worker/vmm_probe.py
SCAN=$R/build/selftests/fabric/vtpm_scan
NVX=0x01500030
NVT=0x01500016
BOOT=$R/build/selftests/fabric/nvread_boot.img
TAG="tenant tag $(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
RUNDIR=$(mktemp -d /run/vms-hyp-vtpm.XXXXXX) || exit 1
SERVE_PID= QEMU_PID=
cleanup() {
	[[ -n $QEMU_PID ]] && kill -KILL "$QEMU_PID" 2>/dev/null
	[[ -n $SERVE_PID ]] && kill -KILL "$SERVE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$RUNDIR"
}
trap cleanup EXIT

# serve VM [ARGS]: the worker on $RUNDIR/VM.ctrl, state $RUNDIR/VM.state
serve() {
	local vm=$1
	shift
	SOCK=$RUNDIR/$vm.ctrl
	"$VTPM" serve --vm "$(uuid_of "$vm")" --state "$RUNDIR/$vm.state" \
		--kp "$F/vms/$vm.kp" --ctrl "type=unixio,path=$SOCK" "$@" \
		>>"$F/$vm.serve.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 300); do [[ -S $SOCK ]] && return 0; sleep 0.1; done
	return 1
}

stop_serve() {
	python3 "$PROBE" "$SOCK" shutdown 2>>"$F/hyp-vtpm.probe.err"
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

# extend VM: define NV $NVX (an extend index) and extend it with fresh
# data, kept in the share for the outer side (the data is public; the
# index's content is computed inside the vTPM)
extend() {
	local data
	data=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$data" >"$F/hyp/$1.extend"
	PYTHONPATH=$R/selftests/worker python3 -c '
import struct, sys, vmm_probe as p
sock, d = p.connect(sys.argv[1])
idx, data = int(sys.argv[2], 0), bytes.fromhex(sys.argv[3])
# TPM_NT_EXTEND, owner/auth read and write; SHA-256, 32 bytes
pub = struct.pack(">IHIHH", idx, 0x000B, 0x00060046, 0, 32)
rc, _ = p.tpm(d, 0x12A, struct.pack(">I", p.OWNER) + p.PW_SESSION +
              struct.pack(">H", 0) + struct.pack(">H", len(pub)) + pub, tag=0x8002)
if rc not in (0, 0x14C):
    sys.exit(f"NV_DefineSpace: 0x{rc:x}")
rc, _ = p.tpm(d, 0x136, struct.pack(">II", p.OWNER, idx) + p.PW_SESSION +
              struct.pack(">H", len(data)) + data, tag=0x8002)
if rc:
    sys.exit(f"NV_Extend: 0x{rc:x}")
' "$SOCK" "$NVX" "$data" 2>>"$F/hyp-vtpm.probe.err"
}

check "lockdown is none (the scan reads /proc/kcore)" grep -q '\[none\]' /sys/kernel/security/lockdown
# 01 registered the platform; alone, this test registers it (an error if it is)
ctl hyp-platform-add >/dev/null 2>&1
check "the agent attests: placement hypervisor" \
	eval 'start_agent agent && wait_state valid 90 && [[ $(status_q .attestation.certificate.placement) == hypervisor ]]'

# --- the vTPM in the enclave, an inner VM on it ------------------------------
serve hyp-vtpm --vtpm-in-enclave
check "serve --vtpm-in-enclave: the key released (vtpm-in-enclave KP), a new vTPM in the enclave, its state stored" \
	eval 'grep -q "vTPM started in the enclave (new" "$F/hyp-vtpm.serve.log" && [[ -s $RUNDIR/hyp-vtpm.state ]]'
# the tenant's tag into the vTPM; the boot sector gets its NV_Read
python3 "$PROBE" "$SOCK" init 2>>"$F/hyp-vtpm.probe.err"
PYTHONPATH=$R/selftests/worker python3 -c '
import struct, sys, vmm_probe as p
sock, d = p.connect(sys.argv[1])
idx, tag = int(sys.argv[2], 0), sys.argv[3].encode()
rc = p.nv_define(d, idx, len(tag))
rc = rc or p.tpm(d, 0x137, struct.pack(">II", p.OWNER, idx) + p.PW_SESSION +
                 struct.pack(">H", len(tag)) + tag + struct.pack(">H", 0), tag=0x8002)[0]
if rc:
    sys.exit(f"NV define/write: 0x{rc:x}")
body = (struct.pack(">II", p.OWNER, idx) + p.PW_SESSION +
        struct.pack(">HH", len(tag), 0))
cmd = struct.pack(">HII", 0x8002, 10 + len(body), 0x14E) + body
img = bytearray(open(sys.argv[4], "rb").read())
img[0x180:0x180 + len(cmd)] = cmd
open(sys.argv[5], "wb").write(img)
' "$SOCK" "$NVT" "$TAG" "$BOOT" "$RUNDIR/boot.img" 2>>"$F/hyp-vtpm.probe.err"
rm -f "$RUNDIR/bios.log"
"$QEMU" -M pc -accel tcg -m 64 -nodefaults -display none -no-reboot \
	-chardev "socket,id=chrtpm,path=$SOCK" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
	-drive "file=$RUNDIR/boot.img,format=raw,if=ide" \
	-chardev "file,id=dbg,path=$RUNDIR/bios.log" -device isa-debugcon,iobase=0x402,chardev=dbg \
	</dev/null >"$RUNDIR/qemu.out" 2>&1 &
QEMU_PID=$!
t0=$(date +%s)
for _ in $(seq 1200); do
	grep -q "vmshield-nvread-end" "$RUNDIR/bios.log" 2>/dev/null && break
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.1
done
check "a stock QEMU boots SeaBIOS on the vTPM in the enclave, then the boot sector ($(($(date +%s) - t0)) s)" \
	grep -q "vmshield-nvread-end" "$RUNDIR/bios.log"
check "SeaBIOS found a TPM 2.0 (ACPI TPM2 table)" grep -q 'table(324d5054)' "$RUNDIR/bios.log"
resp=$(sed -n 's/^vmshield-nvread-response: \([0-9a-f]*\)$/\1/p' "$RUNDIR/bios.log")
echo "NV_Read inside the VM: $resp" | diag
hextag=$(printf '%s' "$TAG" | od -An -tx1 | tr -d ' \n')
check "inside the VM, NV_Read of the tenant's index through the TIS: '$TAG'" \
	eval '[[ ${resp:12:8} == 00000000 && $resp == *"$hextag"* ]]'
cp "$RUNDIR/bios.log" "$F/hyp-vtpm.bios.log" 2>/dev/null
kill -KILL "$QEMU_PID" 2>/dev/null
wait "$QEMU_PID" 2>/dev/null
QEMU_PID=
python3 "$PROBE" "$SOCK" pcrs >"$RUNDIR/pcrs" 2>>"$F/hyp-vtpm.probe.err"
diag <"$RUNDIR/pcrs"
check "PCR 0-7 read back through the worker: all eight measured by SeaBIOS" \
	eval '[[ $(grep -c . "$RUNDIR/pcrs") == 8 ]] && ! grep -q " 0\{64\}$" "$RUNDIR/pcrs"'

# the same VM's key on the worker-local path: SEAL/UNSEAL of the tenant's
# sealed state through the module (fabric_worker), which a modified worker
# would use to run a host-side vTPM: the enclave refuses (release flag bit 1)
worker hyp-vtpm --roundtrip
check "the vtpm-in-enclave key on the SEAL/UNSEAL path: the enclave refuses it (EOPNOTSUPP)" \
	eval '((RC != 0)) && grep -q "unseal-failed errno=95 " <<<"$OUT"'

# --- secrecy: the tenant's needles, host root's scan ---------------------------
extend hyp-vtpm
cp "$RUNDIR/hyp-vtpm.state" "$F/hyp/hyp-vtpm.state"
check "the NV index extended inside the vTPM; the tenant opened the stored state and sent masked needles" \
	eval 'ctl hyp-vtpm-needles && [[ $(grep -c . "$F/hyp/hyp-vtpm.needles") == 5 ]]'
"$SCAN" "$F/hyp/hyp-vtpm.needles" --kcore --procs --files "$RUNDIR" --files /run \
	--files "$F/hyp" >"$RUNDIR/scan" 2>&1
rc=$?
diag <"$RUNDIR/scan"
check "root's scan of RAM, every process and the disk: no TK, no seed, no NV content" test $rc = 0
check "... and it read RAM through /proc/kcore (at least 512 MiB of this 1 GiB host)" \
	eval '[[ $(sed -n "s/^scanned kernel memory: \([0-9]*\) MiB/\1/p" "$RUNDIR/scan") -ge 512 ]]'
stop_serve

# --- positive control: the vTPM in the worker -----------------------------------
"$VTPM" provision --vm "$(uuid_of hyp-local)" --state "$RUNDIR/hyp-local.state" \
	--kp "$F/vms/hyp-local.kp" --no-persistent-key >>"$F/hyp-local.serve.log" 2>&1
serve hyp-local
check "control: the same kind of VM with its vTPM in the worker (local mode)" \
	eval 'python3 "$PROBE" "$SOCK" init 2>>"$F/hyp-vtpm.probe.err"'
extend hyp-local
cp "$RUNDIR/hyp-local.state" "$F/hyp/hyp-local.state"
check "control: NV extended, needles from the tenant" \
	eval 'ctl hyp-local-needles && [[ $(grep -c . "$F/hyp/hyp-local.needles") == 5 ]]'
"$SCAN" "$F/hyp/hyp-local.needles" --procs --files "$RUNDIR" >"$RUNDIR/scan-local" 2>&1
rc=$?
diag <"$RUNDIR/scan-local"
check "control: the same scan finds the seeds and the NV content in the worker's memory" \
	eval '((rc == 1)) && grep -q "found endorsement-seed in process $SERVE_PID " "$RUNDIR/scan-local" &&
		grep -q "found nv-index in process $SERVE_PID " "$RUNDIR/scan-local"'
stop_serve
finish
