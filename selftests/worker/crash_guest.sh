#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crash_guest.sh - the guest side of crash_test.sh: one boot of the
# guarded host. CRASH_SHARE is the shared directory holding VM01's sealed
# state and the material KPS would use to release its key again (VM id, key
# id, TK, tag); each boot has a new enclave key, so the release is rebuilt
# here for it. CRASH_MODE:
#
#   provision  provision VM01's vTPM (generation 1)
#   round      verify the state unseals, holds the tag and a counter of at
#              least CRASH_ACK_COUNTER at generation >= CRASH_ACK_GEN; then
#              run the worker sealing as fast as it can until QEMU is killed
#   verify     only the check
#   serve-round  the same through `vmshield-worker serve`: start it, check
#              the NV value the last boot acknowledged (CRASH_ACK_VALUE)
#              is there, then write NV through it (vmm_probe.py plays the
#              guest's VMM) until QEMU is killed; "acked N" per answer
#   serve-verify only that check
#
# Results go to $CRASH_SHARE/CRASH_TAG.result (the guest may die before
# its TAP is read); the worker's output to $CRASH_SHARE/CRASH_TAG.worker.
set -u -o pipefail
if [[ -z ${CRASH_SESSION:-} ]]; then
	export CRASH_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"
SHARE=${CRASH_SHARE:?} MODE=${CRASH_MODE:?} TAG=${CRASH_TAG:?}
RES=$SHARE/$TAG.result
T=$(mktemp -d)
VMID=$(cat "$SHARE/vm.id") KEYID=$(cat "$SHARE/key.id") TEXT=$(cat "$SHARE/tag")
STATE=$SHARE/vm01.state

fail() { echo "FAIL $*" >>"$RES"; echo "not ok 1 $*"; echo "1..1"; exit 1; }

enclave_public "$T/enclave.pub" locked || fail "host is not kernel-locked"
make_release "$T/rel" "$VMID" "$KEYID" "$SHARE/vm.tk" shielded "$T/enclave.pub" \
	"$(sha256 "$WORKER")" || fail "cannot build the key release"
KEY=$(load_release "$VMID" "$T/rel") || fail "cannot load the key release"

# --- through serve ---------------------------------------------------------------
NV=0x01500020
if [[ $MODE == serve-* ]]; then
	SOCK=/run/crash-serve.ctrl PY=$REPO/selftests/worker/vmm_probe.py
	"$WORKER" serve --vm "$VMID" --state "$STATE" --key "$KEY" \
		--min-generation "${CRASH_ACK_GEN:-0}" \
		--ctrl "type=unixio,path=$SOCK" >"$SHARE/$TAG.serve" 2>&1 &
	for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.1; done
	python3 "$PY" "$SOCK" init 2>>"$SHARE/$TAG.serve" ||
		fail "serve: $(tail -1 "$SHARE/$TAG.serve")"
	n=-1
	if [[ -n ${CRASH_ACK_VALUE:-} ]]; then
		v=$(python3 "$PY" "$SOCK" nvread $NV 16 2>>"$SHARE/$TAG.serve" | tr -d '\0')
		[[ $v =~ ^value\ ([0-9]+)$ ]] || fail "NV holds '$v', not a value"
		n=${BASH_REMATCH[1]}
		((n >= CRASH_ACK_VALUE)) ||
			fail "NV holds value $n, below the acknowledged $CRASH_ACK_VALUE"
	fi
	gen=$("$WORKER" status --state "$STATE" | sed -n 's/.*generation=\([0-9]*\).*/\1/p')
	echo "OK value $n generation $gen" >>"$RES"
	echo "ok 1 through serve: NV value $n, generation $gen"
	if [[ $MODE != serve-round ]]; then
		python3 "$PY" "$SOCK" shutdown
		echo "1..1"
		exit 0
	fi
	exec python3 "$PY" "$SOCK" nvwrite-loop $NV 1000000 $((n + 1)) \
		>"$SHARE/$TAG.worker" 2>&1
fi

if [[ $MODE == provision ]]; then
	"$WORKER" provision --vm "$VMID" --state "$STATE" --key "$KEY" \
		--nv-text "$TEXT" >"$SHARE/$TAG.worker" 2>&1 ||
		fail "provision: $(tail -1 "$SHARE/$TAG.worker")"
	echo "OK provisioned generation 1" >>"$RES"
	echo "ok 1 provisioned"; echo "1..1"
	exit 0
fi

"$WORKER" resume --vm "$VMID" --state "$STATE" --key "$KEY" --expect "$TEXT" \
	--min-generation "${CRASH_ACK_GEN:-0}" >"$SHARE/$TAG.verify" 2>&1 ||
	fail "resume: $(grep -v 'memory locked' "$SHARE/$TAG.verify" | tail -1)"
gen=$(sed -n 's/.*unsealed state generation \([0-9]*\).*/\1/p' "$SHARE/$TAG.verify")
ctr=$(sed -n 's/.*NV counter 0x01500017 = \([0-9]*\)$/\1/p' "$SHARE/$TAG.verify")
[[ -n $gen && -n $ctr ]] || fail "resume printed no generation or counter"
((ctr >= ${CRASH_ACK_COUNTER:-0})) ||
	fail "counter $ctr is below the acknowledged ${CRASH_ACK_COUNTER:-0}"
echo "OK generation $gen counter $ctr" >>"$RES"
echo "ok 1 state generation $gen unsealed, counter $ctr"
[[ $MODE == round ]] || { echo "1..1"; exit 0; }

# Seal as fast as possible until the outer side kills QEMU.
exec "$WORKER" run --vm "$VMID" --state "$STATE" --key "$KEY" \
	--reseal-every 0 >"$SHARE/$TAG.worker" 2>&1
