# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# miglib.sh - sourced by src.sh and dst.sh (the two guarded hosts of
# selftests/migration/run): the fabric tests' lib.sh (TAP, the agent, the
# shared dir $F), the meeting points in $F/sync, the vmshield-worker for
# the VM and its inner QEMU (firmware only, as fabric/hypervisor/01b).
. "$FABRIC_REPO/selftests/fabric/tests/lib.sh"
VTPM=$R/build/bin/vmshield-worker
MIGRATE=$R/userspace/worker/vmshield-migrate.py
QMP=$R/selftests/migration/qmp.py
PROBE=$R/selftests/worker/vmm_probe.py
QEMU=${QEMU:-qemu-system-x86_64}
NVT=0x01500016			# the tag provision writes (worker.md)
UUID=$(uuid_of mig)
RUNDIR=$(mktemp -d /run/vms-mig.XXXXXX) || exit 1
STATE=$RUNDIR/mig.state
SOCK=$RUNDIR/mig.ctrl		# the worker's (lib.sh's SOCK is the agent's)
SOCK_AGENT=/run/vmshield/agent.sock
QSOCK=$RUNDIR/qmp.sock
SERVE_PID= QEMU_PID=
SYNC=$F/sync
# placement hypervisor: the vTPM runs in vmshield-enclaved (serve --vtpm-in-enclave)
# shellcheck disable=SC2034 # used by src.sh and dst.sh
HYP=$([ "${MIG_PLACEMENT:-kernel}" = hypervisor ] && echo 1 || echo 0)

mig_cleanup() {
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null
	[ -n "$SERVE_PID" ] && kill -KILL "$SERVE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$RUNDIR"
}
trap mig_cleanup EXIT

# signal NAME: tell the other host NAME happened
signal() { : >"$SYNC/$1.tmp" && mv "$SYNC/$1.tmp" "$SYNC/$1"; }
# await NAME SECONDS: until the other host signals NAME; 1 when it did
# not in time or its guest ended (the outer side's src-exited)
await() {
	local i
	for i in $(seq 1 "$(($2 * 5))"); do
		[ -e "$SYNC/$1" ] && return 0
		[ -e "$SYNC/src-exited" ] && [ "$ROLE" = dst ] && break
		sleep 0.2
	done
	echo "waited for $1 in vain (${2} s)" | diag
	return 1
}

# serve KP [ARGS]: the VM's vTPM on $SOCK (no --terminate: it outlives
# QEMU, so the test can look at the vTPM after QEMU is gone), the key
# through the agent
serve() {
	local kp=$1
	shift
	"$VTPM" serve --vm "$UUID" --state "$STATE" --kp "$kp" "$@" \
		--ctrl "type=unixio,path=$SOCK" >>"$F/$ROLE.serve.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 300); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$F/$ROLE.serve.log" | diag
	return 1
}

# inner_vm [QEMU ARGS]: the VM, the same machine on both hosts: SeaBIOS,
# the boot sector, the TIS on the worker's socket, QMP for the migration
inner_vm() {
	"$QEMU" -M pc -accel tcg -m 32 -nodefaults -display none -no-reboot \
		-chardev "socket,id=chrtpm,path=$SOCK" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
		-drive "file=$RUNDIR/boot.img,format=raw,if=ide" \
		-chardev "file,id=dbg,path=$RUNDIR/bios.log" \
		-device isa-debugcon,iobase=0x402,chardev=dbg \
		-qmp "unix:$QSOCK,server=on,wait=off" "$@" \
		</dev/null >"$RUNDIR/qemu.out" 2>&1 &
	QEMU_PID=$!
	for _ in $(seq 300); do
		[ -S "$QSOCK" ] && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag <"$RUNDIR/qemu.out"
	return 1
}

# stop_inner_vm: QEMU killed (no CMD_SHUTDOWN: the worker keeps the
# vTPM running, PCRs and all, for the probe)
stop_inner_vm() {
	[ -n "$QEMU_PID" ] || return 0
	kill -KILL "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}

vm_status() { python3 "$QMP" "$QSOCK" status 2>&1; }
gen_of() { "$VTPM" status --state "$1" | sed -n 's/.*generation=\([0-9]*\).*/\1/p'; }
