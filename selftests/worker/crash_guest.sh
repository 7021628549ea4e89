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
#   both-provision, both-round, both-verify
#              the two at once, each on its own state file (the worker's
#              vm01.state, serve's vm01-serve.state): one kill of QEMU
#              crashes both (make check: half the boots of running them
#              one after the other)
#
# CRASH_PROVISION=1 with a round mode provisions first, in the same boot
# (crash_test.sh's first round: no boot of its own for provisioning). The
# outer side may leave the worker's image digests in worker.digests and
# name a KPS key made once (KPS_KEY), so a boot does not redo either.
#
# Results go to $CRASH_SHARE/CRASH_TAG.result (the guest may die before
# its TAP is read): "OK generation G counter C" for the worker, "OK value V
# generation G" for serve; the worker's output to CRASH_TAG.worker, serve's
# NV writes to CRASH_TAG.worker (serve alone) or CRASH_TAG.serve-worker
# (both).
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

TN=0
pass() { TN=$((TN + 1)); echo "ok $TN $*"; }
fail() {
	echo "FAIL $*" >>"$RES"
	echo "not ok $((TN + 1)) $*"
	echo "1..$((TN + 1))"
	exit 1
}

enclave_public "$T/enclave.pub" locked || fail "host is not kernel-locked"
# the worker's image digests, as KPS would hold them: the outer side
# computes them once for all boots (the same files over the 9p root)
if [[ -s $SHARE/worker.digests ]]; then
	DIGESTS=$(cat "$SHARE/worker.digests")
else
	DIGESTS=$(image_digests "$WORKER")
fi
make_release "$T/rel" "$VMID" "$KEYID" "$SHARE/vm.tk" shielded "$T/enclave.pub" \
	$DIGESTS || fail "cannot build the key release"
KEY=$(load_release "$VMID" "$T/rel") || fail "cannot load the key release"

# --- through serve ---------------------------------------------------------------
NV=0x01500020
# serve_part STATE ROUND ACKS: start serve on STATE, check the NV value the
# last boot acknowledged; with ROUND=1 write NV through it, "acked N" per
# answer into ACKS, in the background
serve_part() {
	local state=$1 round=$2 acks=$3 sock=/run/crash-serve.ctrl
	local py=$REPO/selftests/worker/vmm_probe.py v n gen

	"$WORKER" serve --vm "$VMID" --state "$state" --key "$KEY" \
		--min-generation "${CRASH_SERVE_ACK_GEN:-${CRASH_ACK_GEN:-0}}" \
		--ctrl "type=unixio,path=$sock" >"$SHARE/$TAG.serve" 2>&1 &
	for _ in $(seq 100); do [[ -S $sock ]] && break; pause 0.1; done
	# one python for init, the read and the writes (a start costs seconds
	# under TCG): it prints what NV holds, then waits for go or stop
	coproc PROBE { exec python3 "$py" "$sock" nv-round $NV "${CRASH_ACK_VALUE:--}" \
		"$acks" 2>>"$SHARE/$TAG.serve"; }
	read -r -t 120 v <&"${PROBE[0]}" || fail "serve: $(tail -1 "$SHARE/$TAG.serve")"
	[[ $v =~ ^value\ (-?[0-9]+)$ ]] || fail "NV holds '$v', not a value"
	n=${BASH_REMATCH[1]}
	if [[ -n ${CRASH_ACK_VALUE:-} ]]; then
		((n >= CRASH_ACK_VALUE)) ||
			fail "NV holds value $n, below the acknowledged $CRASH_ACK_VALUE"
	fi
	gen=$("$WORKER" status --state "$state" | sed -n 's/.*generation=\([0-9]*\).*/\1/p')
	echo "OK value $n generation $gen" >>"$RES"
	pass "through serve: NV value $n, generation $gen"
	if ((!round)); then
		echo stop >&"${PROBE[1]}"
		wait "$PROBE_PID"
		return 0
	fi
	echo go >&"${PROBE[1]}"
}

# provision_part STATE OUT
provision_part() {
	"$WORKER" provision --vm "$VMID" --state "$1" --key "$KEY" \
		--nv-text "$TEXT" >"$2" 2>&1 || fail "provision: $(tail -1 "$2")"
}

# worker_part ROUND: the last good state unseals, with the tag and a counter
# of at least the acknowledged one; with ROUND=1 then seal as fast as
# possible until the outer side kills QEMU
worker_part() {
	local round=$1 gen ctr

	"$WORKER" resume --vm "$VMID" --state "$STATE" --key "$KEY" --expect "$TEXT" \
		--min-generation "${CRASH_ACK_GEN:-0}" >"$SHARE/$TAG.verify" 2>&1 ||
		fail "resume: $(grep -v 'memory locked' "$SHARE/$TAG.verify" | tail -1)"
	gen=$(sed -n 's/.*unsealed state generation \([0-9]*\).*/\1/p' "$SHARE/$TAG.verify")
	ctr=$(sed -n 's/.*NV counter 0x01500017 = \([0-9]*\)$/\1/p' "$SHARE/$TAG.verify")
	[[ -n $gen && -n $ctr ]] || fail "resume printed no generation or counter"
	(( ctr >= ${CRASH_ACK_COUNTER:-0} )) ||
		fail "counter $ctr is below the acknowledged ${CRASH_ACK_COUNTER:-0}"
	echo "OK generation $gen counter $ctr" >>"$RES"
	pass "state generation $gen unsealed, counter $ctr"
	((round)) || return 0
	echo "1..$TN"
	exec "$WORKER" run --vm "$VMID" --state "$STATE" --key "$KEY" \
		--reseal-every 0 >"$SHARE/$TAG.worker" 2>&1
}

SSTATE=$SHARE/vm01-serve.state
# CRASH_PROVISION=1: the first round's boot provisions before its round
# (one boot less than a boot of its own; its check then reads the state
# just provisioned)
if [[ ${CRASH_PROVISION:-0} == 1 ]]; then
	case $MODE in
	round | serve-round) provision_part "$STATE" "$SHARE/$TAG.provision" ;;
	both-round)
		provision_part "$STATE" "$SHARE/$TAG.provision"
		provision_part "$SSTATE" "$SHARE/$TAG.serve-provision" ;;
	*) fail "CRASH_PROVISION=1 with CRASH_MODE $MODE" ;;
	esac
	echo "OK provisioned generation 1" >>"$RES"
	pass "provisioned generation 1"
fi
case $MODE in
provision)
	provision_part "$STATE" "$SHARE/$TAG.worker"
	echo "OK provisioned generation 1" >>"$RES"
	pass provisioned ;;
both-provision)
	provision_part "$STATE" "$SHARE/$TAG.worker"
	provision_part "$SSTATE" "$SHARE/$TAG.serve-worker"
	echo "OK provisioned generation 1" >>"$RES"
	pass "provisioned, both state files" ;;
serve-round | serve-verify)
	# serve alone keeps the worker's file name, as before
	serve_part "$STATE" $([[ $MODE == serve-round ]] && echo 1 || echo 0) "$SHARE/$TAG.worker"
	[[ $MODE == serve-round ]] && echo "1..$TN" && wait && exit 0 ;;
round | verify)
	worker_part $([[ $MODE == round ]] && echo 1 || echo 0) ;;
both-round | both-verify)
	r=$([[ $MODE == both-round ]] && echo 1 || echo 0)
	serve_part "$SSTATE" "$r" "$SHARE/$TAG.serve-worker"
	worker_part "$r" ;;
*)
	fail "unknown CRASH_MODE $MODE" ;;
esac
echo "1..$TN"
