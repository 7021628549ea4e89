#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# serve_test.sh - `vmshield-worker serve` against vmshield.ko, with a stock
# QEMU inside the guarded host as the shielded VM's VMM (double TCG), in
# the rig after lockdown (shielded keys need kernel-locked):
#
#   selftests/vm/run --lockdown confidentiality --share DIR \
#       --env WORKER_DIR=DIR $PWD/selftests/worker/serve_test.sh
#
# VM01 is provisioned with an NV tag; serve gives its vTPM to QEMU
# (-tpmdev emulator, the data channel by CMD_SET_DATAFD); SeaBIOS finds
# the TPM and measures PCR 0-7 (a firmware-only boot: no disk); the PCRs
# and the tag are read back through the worker (vmm_probe.py plays the
# VMM once QEMU is gone); a second boot (power cycle) finds the same NV
# tag, PCRs reset and measured again, the generation grown; the secrecy
# scan finds neither the TK in the worker's memory nor the tag in the
# sealed file; a SIGKILLed worker restarts from its last seal.
# TAP on stdout; exit 0 pass, 1 fail, 4 skip.
set -u -o pipefail
if [[ -z ${WORKER_TEST_SESSION:-} ]]; then
	export WORKER_TEST_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
PROBE_PY=$REPO/selftests/worker/vmm_probe.py
SCAN=$REPO/userspace/tests/memscan.py
QEMU=${QEMU:-qemu-system-x86_64}
TAG="VM01 serve tag 7"

echo "TAP version 13"
if [[ ! -x $WORKER ]] || ! command -v "$QEMU" >/dev/null; then
	echo "1..0 # SKIP needs $WORKER and $QEMU"
	exit 4
fi
DIR=${WORKER_DIR:-/tmp}/serve-test.$$
rm -rf "$DIR" && mkdir -p "$DIR" || exit 1
SERVE_PID= QEMU_PID=
cleanup() {
	[[ -n $QEMU_PID ]] && kill -KILL "$QEMU_PID" 2>/dev/null
	[[ -n $SERVE_PID ]] && kill -KILL "$SERVE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR" "${RUNDIR:-}"
}
trap cleanup EXIT
if ! enclave_public "$DIR/enclave.pub" locked; then
	echo "1..0 # SKIP needs a kernel-locked host (run with --lockdown confidentiality)"
	exit 4
fi
VM=$(new_uuid)
head -c 32 /dev/urandom >"$DIR/vm01.tk"
make_release "$DIR/vm01.rel" "$VM" "$(new_key_id)" "$DIR/vm01.tk" shielded \
	"$DIR/enclave.pub" $(image_digests "$WORKER") &&
	KEY=$(load_release "$VM" "$DIR/vm01.rel")
check "VM01's key released to the running enclave (serial ${KEY:-none})" test -n "${KEY:-}"
# The socket and the state file on tmpfs: a 9p share cannot hold a
# socket, and a seal (fsync, rename) on 9p under double TCG is slower
# than SeaBIOS waits for a TPM command (it then disables the TPM).
RUNDIR=$(mktemp -d /run/vms-serve.XXXXXX) || exit 1
S=$RUNDIR/vm01.state SOCK=$RUNDIR/vm01.ctrl OUT=$DIR/serve.out
"$WORKER" provision --vm "$VM" --state "$S" --key "$KEY" --nv-text "$TAG" \
	--no-persistent-key >"$DIR/prov.out" 2>&1
check "provision VM01 with its NV tag" test $? -eq 0

gen_of() { "$WORKER" status --state "$S" | sed -n 's/.*generation=\([0-9]*\).*/\1/p'; }

# serve [ARGS]: start the worker on $SOCK; waits for the socket
serve() {
	rm -f "$SOCK"
	"$WORKER" serve --vm "$VM" --state "$S" --key "$KEY" \
		--ctrl "type=unixio,path=$SOCK" "$@" >>"$OUT" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 100); do [[ -S $SOCK ]] && return 0; pause 0.1; done
	return 1
}

# boot LOG: a stock QEMU on the worker, firmware only; returns when
# SeaBIOS gave up booting (PCR 0-7 measured), QEMU still running.
boot() {
	rm -f "$1"
	"$QEMU" -M pc -accel tcg -m 64 -nodefaults -display none -no-reboot \
		-chardev "socket,id=chrtpm,path=$SOCK" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
		-chardev "file,id=dbg,path=$1" -device isa-debugcon,iobase=0x402,chardev=dbg \
		</dev/null >"$1.qemu" 2>&1 &
	QEMU_PID=$!
	# every 0.25 s, without sleep(1): each fork and exec costs tens of
	# milliseconds of TCG, taken from the inner QEMU booting SeaBIOS
	for _ in $(seq 360); do
		grep -q "No bootable device" "$1" 2>/dev/null && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || return 1
		pause 0.25
	done
	return 1
}

pull_plug() {	# SIGKILL QEMU: no CMD_SHUTDOWN, the worker keeps the TPM
	kill -KILL "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}

serve
check "serve listens on $SOCK (mode 0600)" eval '[[ -S $SOCK && $(stat -c %a "$SOCK") == 600 ]]'
G0=$(gen_of)
t0=$(date +%s.%N)
boot "$DIR/bios1.log"
rc=$?
t1=$(date +%s.%N)
check "a stock QEMU boots SeaBIOS on the worker's vTPM (firmware done in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s)" test $rc -eq 0
check "SeaBIOS found a TPM 2.0 (ACPI TPM2 table)" grep -q 'table(324d5054)' "$DIR/bios1.log"
cp "$DIR/bios1.log" "${VMSHIELD_RIG_OUT:-$DIR}/serve-bios1.log" 2>/dev/null
G1=$(gen_of)
check "the guest's TPM2_Startup was sealed before it was answered (generation $G0 -> $G1)" test "${G1:-0}" -gt "${G0:-0}"
pull_plug
python3 "$PROBE_PY" "$SOCK" pcrs >"$DIR/pcrs1" 2>"$DIR/probe.err"
diag <"$DIR/pcrs1"
check "PCR 0-7 read back: all eight measured by SeaBIOS" \
	eval '[[ $(grep -c . "$DIR/pcrs1") == 8 ]] && ! grep -q " 0\{64\}$" "$DIR/pcrs1"'
python3 "$PROBE_PY" "$SOCK" nvread 0x01500016 ${#TAG} >"$DIR/nv1" 2>>"$DIR/probe.err"
check "the tenant's NV tag reads back through the worker: '$(cat "$DIR/nv1")'" \
	test "$(cat "$DIR/nv1")" = "$TAG"
python3 "$SCAN" "$SERVE_PID" "$(xxd -p -c 64 "$DIR/vm01.tk")"
check "secrecy: the TK is not in the serving worker's memory" test $? -eq 1
check "secrecy: the sealed file holds no plaintext (no NV tag)" eval '! grep -qaF "$TAG" "$S"'

# --- power cycle -------------------------------------------------------------
boot "$DIR/bios2.log"
check "second boot (power cycle) on the same worker" test $? -eq 0
G2=$(gen_of)
pull_plug
python3 "$PROBE_PY" "$SOCK" pcrs >"$DIR/pcrs2" 2>>"$DIR/probe.err"
check "power cycle: PCRs reset and measured again (the same values, not extended twice)" \
	eval '[[ -s $DIR/pcrs2 ]] && cmp -s "$DIR/pcrs1" "$DIR/pcrs2"'
python3 "$PROBE_PY" "$SOCK" nvread 0x01500016 ${#TAG} >"$DIR/nv2" 2>>"$DIR/probe.err"
check "power cycle: the same NV tag" test "$(cat "$DIR/nv2")" = "$TAG"
check "power cycle: the generation grew ($G1 -> $G2)" test "${G2:-0}" -gt "${G1:-0}"

# --- NV writes, a killed worker --------------------------------------------------
python3 "$PROBE_PY" "$SOCK" nvwrite-loop 0x01500020 5 >"$DIR/acks" 2>>"$DIR/probe.err"
check "five NV writes acknowledged, each sealed first" eval '[[ $(tail -1 "$DIR/acks") == "acked 4" ]]'
GW=$(gen_of)
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
serve
python3 "$PROBE_PY" "$SOCK" init 2>>"$DIR/probe.err" &&
	python3 "$PROBE_PY" "$SOCK" nvread 0x01500020 7 >"$DIR/nv3" 2>>"$DIR/probe.err"
check "a SIGKILLed worker restarts from its last seal: NV holds '$(cat "$DIR/nv3")' (generation $GW)" \
	test "$(cat "$DIR/nv3")" = "value 4"

# --- an orderly end --------------------------------------------------------------------
python3 "$PROBE_PY" "$SOCK" shutdown 2>>"$DIR/probe.err"
wait "$SERVE_PID"
rc=$?
SERVE_PID=
check "CMD_SHUTDOWN: the worker exits 0 and frees the state file" \
	eval '((rc == 0)) && "$WORKER" status --state "$S" | grep -q worker=none'
"$WORKER" resume --vm "$VM" --state "$S" --key "$KEY" --expect "$TAG" \
	--min-generation "$GW" >"$DIR/resume.out" 2>&1
check "resume after serve: the tag, at least generation $GW" test $? -eq 0
diag <"$DIR/probe.err"
grep -E 'refus|cannot|failed' "$OUT" | diag

echo "1..$T_N"
((T_FAILED == 0))
