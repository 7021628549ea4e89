#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the power-on of a shielded VM, end to end, with real parts.
#
# On this machine: an HGS (hgsd, SQLite) on 127.0.0.1; the host admin's
# hgs-agent --init; the HGS admin registers the host and the reference
# worker's digest; a tenant makes a guardian and a key protector (KP) for
# VM01 (shielded) that lists the HGS's guardian. Then two boots of the
# guarded host (the rig: Debian's kernel under QEMU, vmshield.ko, a swtpm
# TPM 2.0, lockdown raised to confidentiality):
#   boot 1  VM01 is created: its worker provisions a fresh vTPM, puts the
#           tenant's tag in an NV index and seals the state to this disk;
#   boot 2  the host has rebooted (new enclave key): the 8 steps of the
#           power-on flow, ending with VM01's vTPM resumed from its state;
#           then step 9: vmshield-worker serve gives VM01's vTPM to a stock
#           QEMU inside the guarded host, and VM01 (Debian's kernel, a
#           busybox initramfs) boots on it, prints its PCR 0-7 (SeaBIOS's
#           measurements) and reads the tenant's NV tag through /dev/tpm0.
#           About 90-200 s more under double TCG; DEMO_VM_BOOT=0 skips it.
# Every step is printed as it happens. Everything is under build/demo/ and
# removed at the end (DEMO_KEEP=1 keeps it).
set -u -o pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PROG=demo
log() { echo "demo: $*" >&2; }
say() { echo "demo: $*"; }
# shellcheck source=selftests/fabric/outer.sh
. "$REPO/selftests/fabric/outer.sh"
WORKER=$B/bin/vmshield-worker
HOST=guarded-host-1
start=$SECONDS

for f in "$HGSD" "$AGENT" "$SHIELDCTL" "$WORKER"; do
	[[ -x $f ]] || { log "$f is missing: run 'make' first"; exit 1; }
done
mkdir -p "$B/demo"
W=$(mktemp -d "$B/demo/run.XXXXXX") || exit 1
S=$W/host	# the guarded host's disk (shared with the guest)
H=$W/hgs	# HGS's state (the outer machine only)
T=$W/tenant	# the tenant's files (never on the host)
mkdir -p "$S" "$T"
TAIL_PID=
RIG_PID=
cleanup() {
	trap - EXIT INT TERM HUP
	[[ -n $RIG_PID ]] && kill -TERM "$RIG_PID" 2>/dev/null && wait "$RIG_PID" 2>/dev/null
	[[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null
	fabric_hgsd_stop
	if [[ ${DEMO_KEEP:-0} == 1 ]]; then
		log "kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP
fail() { log "FAILED: $*"; exit 1; }
adm() { "$SHIELDCTL" hgs --socket "$H/admin.sock" "$@"; }

say "== the fabric =="
fabric_hgsd_init "$H" "$W/hgsd-init.log" || fail "hgsd --init: $(tail -2 "$W/hgsd-init.log")"
fabric_hgsd_start "$H" "$W/hgsd.log" || fail "hgsd did not start"
cp "$H/tls.pem" "$S/hgs-tls.pem"
say "[HGS admin]  hgsd runs on 127.0.0.1:$PORT (SQLite store); the guarded host reaches it at https://10.0.2.2:$PORT"
fabric_agent_conf "$S/agent.conf" "$HOST" "$S/agent-state" "$S/hgs-tls.pem"
"$AGENT" --init -c "$S/agent.conf" >"$W/agent-init.log" 2>&1 || fail "hgs-agent --init: $(tail -2 "$W/agent-init.log")"
say "[host admin] hgs-agent --init: host key made, public half $S/agent-state/host.pub.pem"
adm host add "$HOST" --key "$S/agent-state/host.pub.pem" >/dev/null || fail "shieldctl hgs host add"
say "[HGS admin]  shieldctl hgs host add $HOST: registered"
fabric_worker_image_add "$H/admin.sock" "$WORKER" "vmshield reference worker" ||
	fail "shieldctl hgs worker add (the worker's image)"
say "[HGS admin]  worker policy: vmshield-worker, sha256 $(sha256sum "$WORKER" | cut -c1-16)..., with ld.so and its $(($("$SHIELDCTL" hgs worker image "$WORKER" | wc -l) - 2)) libraries"
"$SHIELDCTL" guardian new --name tenant-1 --out "$T/owner.guardian" >/dev/null || fail "guardian new"
"$SHIELDCTL" guardian import --url "https://127.0.0.1:$PORT" --ca "$H/tls.pem" \
	--out "$T/hgs.guardian" >/dev/null || fail "guardian import"
VM01=$(cat /proc/sys/kernel/random/uuid)
"$SHIELDCTL" kp new --owner "$T/owner.guardian" --vm-id "$VM01" --policy shielded \
	--guardian "$T/hgs.guardian" --out "$S/vm01.kp" >/dev/null || fail "kp new"
say "[tenant]     guardian tenant-1; HGS's guardian imported; KP for VM01 ($VM01, shielded) lists both"
TAG="VM01 belongs to tenant-1 ($(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'))"
printf '%s\n' "$TAG" >"$S/vm01.tag"

# boot PHASE TITLE: the guarded host runs demo-guest.sh PHASE; its lines are
# shown as they come (the guest appends them to $S/progress).
boot() {
	local phase=$1 rc
	say "== $2 =="
	: >"$S/progress"
	tail -n +1 -F "$S/progress" 2>/dev/null &
	TAIL_PID=$!
	"$REPO/selftests/vm/run" --timeout 900 --test-timeout 800 --share "$S" \
		--env "DEMO_DIR=$S" --env "DEMO_PHASE=$phase" --env "DEMO_VM=$VM01" \
		--env "DEMO_VM_BOOT=${DEMO_VM_BOOT:-1}" \
		"$REPO/scripts/demo-guest.sh" >"$W/rig-$phase.out" 2>&1 &
	RIG_PID=$!
	wait "$RIG_PID"
	rc=$?
	RIG_PID=
	sleep 0.3
	kill "$TAIL_PID" 2>/dev/null
	wait "$TAIL_PID" 2>/dev/null
	TAIL_PID=
	if ((rc != 0)); then
		log "the guarded host's run failed (rig exit $rc):"
		grep -E '^not ok|Bail out' "$W/rig-$phase.out" >&2
		tail -n 25 "$W/rig-$phase.out" >&2
		return 1
	fi
	grep -E '^# rig: (accel|boot-to-tests)' "$W/rig-$phase.out" | sed 's/^# rig:/demo: rig:/'
}

boot provision "boot 1: VM01 is created on the guarded host" || fail "boot 1"
[[ -s $S/vm01.vtpm ]] || fail "no sealed vTPM state on the host's disk"
say "on the host's disk: $S/vm01.vtpm, $(stat -c %s "$S/vm01.vtpm") bytes, sealed (it does not contain the tag: $(grep -c "$TAG" "$S/vm01.vtpm") matches)"
boot poweron "boot 2: the host rebooted; VM01 powers on (the 8 steps)" || fail "boot 2"
say "done in $((SECONDS - start)) s; cleaning up"
