# SPDX-License-Identifier: GPL-2.0
# crashlib.sh - sourced by the whole-host crash tests (hostcrash/, one
# boot each; README.md): tests/lib.sh (with the rolled start), the VM
# "crash" and its files, a roll held at a crash point, the host killed
# there by the outer side (host-kill), and what the next boot checks of
# the crash before it.
. "$(dirname "$0")/../tests/lib.sh"
VTPM=$R/build/bin/vmshield-worker
vm=crash
uuid=$(uuid_of $vm)
KP=$F/vms/$vm.kp
ST=$F/vms/$vm.vtpm
C=$F/crash
mkdir -p "$C"

sumof() { sha256sum "$1" | cut -c1-64; }

# the NV tag rolled_start expects (tests/lib.sh: rolled_start, started,
# superseded): written by the first boot
roll_tag() { cat "$C/tag"; }

# vm_status: HGS's view of the VM (shieldctl vm status, asked of the
# outer side: crash-vm-status), in VM_STATUS
vm_status() {
	rm -f "$C/vm-status.txt"
	ctl crash-vm-status && VM_STATUS=$(cat "$C/vm-status.txt") || VM_STATUS=
	echo "$VM_STATUS" | diag
}
# version_is V PENDING: HGS holds version V, the pending roll is PENDING
# ("none" or a version)
version_is() {
	echo "$VM_STATUS" | grep -q "tk_version: $1 " || return 1
	if [ "$2" = none ]; then
		echo "$VM_STATUS" | grep -q "pending: none"
	else
		echo "$VM_STATUS" | grep -q "pending: version $2"
	fi
}

# hold_roll STEP: a rolled start held at STEP (VMSHIELD_WORKER_ROLL_WAIT)
# in the background; 0 once the worker says it waits there
hold_roll() {
	local i
	rm -f "$C/held.out"
	VMSHIELD_WORKER_ROLL_WAIT=$1 setsid "$VTPM" resume --vm "$uuid" --state "$ST" \
		--kp "$KP" --roll >"$C/held.out" 2>&1 </dev/null &
	for i in $(seq 1 600); do
		grep -q "VMSHIELD_WORKER_ROLL_WAIT=$1: waiting here" "$C/held.out" 2>/dev/null &&
			return 0
		sleep 0.2
	done
	diag <"$C/held.out"
	return 1
}

# crash_host STEP: this boot's checks so far in $C/TEST.failed, then the
# outer side kills this host's QEMU (nothing returns when it works; the
# next boot checks $C/killed and this file)
crash_host() {
	echo "$T_FAILED $T_N $1" >"$C/$TEST.failed"
	rm -f "$C/killed"
	ctl host-kill 120
	check "the outer side killed this host at $1" false
	finish
}

# crashed_before PREV STEP: the boot before ran its checks without a
# failure up to STEP and the outer side killed it there
crashed_before() {
	local failed n step
	read -r failed n step <"$C/$1.failed" 2>/dev/null || return 1
	echo "$1: $n checks before the kill, failed: $failed, held at $step" | diag
	[ "$failed" = 0 ] && [ "$n" -gt 0 ] && [ "$step" = "$2" ] && [ -s "$C/killed" ]
}
