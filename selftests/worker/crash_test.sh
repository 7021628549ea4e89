#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crash_test.sh - crash safety of sealed vTPM state (outer side).
#
# Boots the guarded-host rig CRASH_ROUNDS times (default 50); the first
# boot provisions VM01 before its round. Each boot
# re-releases VM01's key to that boot's enclave, checks that the last good
# sealed state unseals with a counter at least the last one a seal
# acknowledged, starts `vmshield-worker run` sealing as fast as it can,
# and SIGKILLs QEMU at a random moment while seals are in flight. A last
# boot checks once more. Prints TAP (one line per boot) and progress:
#   crash 17/50: state gen 412 unsealed ok (counter 409 >= acked 409); killed after 23 seals
#
# A seal counts as acknowledged once the worker printed it: it prints after
# the rename and the directory fsync, so the file on disk is at least that
# generation from then on.
#
# CRASH_SERVE=1 crashes `vmshield-worker serve` instead: each boot starts
# serve, checks that NV holds at least the value the last boot's VMM saw
# acknowledged, then writes NV through serve (vmm_probe.py) as fast as it
# can until QEMU is killed; an NV write counts as acknowledged once its
# answer came back ("acked N"): serve answers only after the seal.
# CRASH_BOTH=1 does both in every boot, each on its own state file, and
# kills QEMU once both have acknowledged a change (make check: one boot
# crashes both, so the two need half the boots).
set -u -o pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$REPO/selftests/vm/run
GUEST=$REPO/selftests/worker/crash_guest.sh
ROUNDS=${CRASH_ROUNDS:-50}
SHARE=${CRASH_DIR:-$REPO/build/worker-crash}
RIGCACHE=${RIG_CACHE:-$REPO/build/rig}
# longest wait for a boot to reach its first seal
BOOT_WAIT=${CRASH_BOOT_WAIT:-150}

[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -gt 0 ]] || { echo "CRASH_ROUNDS wants a positive number" >&2; exit 2; }
for f in "$REPO/build/bin/vmshield-worker" "$REPO/build/bin/shieldctl" "$REPO/vmshield.ko"; do
	[[ -e $f ]] || { echo "TAP version 13"; echo "1..0 # SKIP build first ($f missing)"; exit 4; }
done

SERVE=${CRASH_SERVE:-0} BOTH=${CRASH_BOTH:-0}
# the parts each boot runs, and the modes crash_guest.sh knows them by
if ((BOTH)); then
	PARTS=(worker serve) PFX=both-
elif ((SERVE)); then
	PARTS=(serve) PFX=serve-
else
	PARTS=(worker) PFX=
fi
echo "TAP version 13"
echo "1..$((1 + (ROUNDS + 1) * ${#PARTS[@]}))"
rm -rf "$SHARE" && mkdir -p "$SHARE" || exit 1
# The material KPS and the tenant hold: VM id, key id, TK, and a tag.
cat /proc/sys/kernel/random/uuid >"$SHARE/vm.id"
head -c 16 /dev/urandom | xxd -p >"$SHARE/key.id"
head -c 32 /dev/urandom >"$SHARE/vm.tk" && chmod 600 "$SHARE/vm.tk"
echo "crash test $(date +%s)" >"$SHARE/tag"
# made once here, not in every boot: the worker's image digests (as KPS
# holds them) and the tests' KPS key (each boot's new enclave is told it)
"$REPO/build/bin/shieldctl" hgs worker image "$REPO/build/bin/vmshield-worker" |
	cut -d' ' -f1 >"$SHARE/worker.digests" &&
	"$REPO/build/bin/shieldctl" crypto keygen --private "$SHARE/kps.key" \
		--public "$SHARE/kps.pub" >/dev/null ||
	{ echo "Bail out! cannot make the digests or the KPS key"; exit 1; }

FAILED=0 TORN=0
n=0
report() {	# report OK|FAIL TEXT
	n=$((n + 1))
	if [[ $1 == OK ]]; then echo "ok $n $2"; else echo "not ok $n $2"; FAILED=$((FAILED + 1)); fi
}

# boot TAG MODE [ENV...]: start one rig run in the background; sets RIG_PID
boot() {
	local tag=$1 mode=$2 e args=()
	shift 2
	for e in "$@"; do args+=(--env "$e"); done
	"$RUN" --lockdown confidentiality --share "$SHARE" --timeout 300 \
		--test-timeout 280 --env "CRASH_SHARE=$SHARE" --env "KPS_KEY=$SHARE/kps" \
		--env "CRASH_MODE=$mode" --env "CRASH_TAG=$tag" "${args[@]}" \
		"$GUEST" >"$SHARE/$tag.rig" 2>&1 {TICK_FD}>&- &
	RIG_PID=$!
}

# The QEMU of the rig run $1 (its run directory records both pids).
qemu_of() {
	local d q
	for d in "$RIGCACHE"/run-*/; do
		[[ $(cat "$d/rig.pid" 2>/dev/null) == "$1" ]] || continue
		q=$(cat "$d/qemu.pid" 2>/dev/null) || return 1
		# only that rig's QEMU: its command line names the run directory
		tr '\0' ' ' 2>/dev/null <"/proc/$q/cmdline" | grep -qF "${d%/}" &&
			echo "$q" && return 0
	done
	return 1
}

# The guest's result line for a part of boot $1 ("OK ..." or "FAIL ...").
result_of() {	# TAG PART
	local re='^OK generation'
	[[ $2 == serve ]] && re='^OK value'
	grep -m1 -E "$re|^FAIL" "$SHARE/$1.result" 2>/dev/null
}
# Where a part's acknowledgements go, and how they read: sets ACKS and
# ACKED (no subshell: all_acked asks five times a second for a whole boot)
ack_src() {	# TAG PART
	if [[ $2 == worker ]]; then
		ACKS=$SHARE/$1.worker ACKED="sealed generation"
	elif ((BOTH)); then
		ACKS=$SHARE/$1.serve-worker ACKED=acked
	else
		ACKS=$SHARE/$1.worker ACKED=acked
	fi
}

# has_line FILE TEXT: a line of FILE holds TEXT. With read, not grep: the
# file is small until its first acknowledgement, and a fork and exec for
# each poll cost more CPU than the outer side's whole round otherwise
has_line() {
	local line
	[[ -s $1 ]] || return 1
	while IFS= read -r line; do
		[[ $line == *"$2"* ]] && return 0
	done <"$1"
	return 1
}

# pause SECS: sleep without a fork (read's timeout on a FIFO no one writes)
TICK=$SHARE/.tick
if ! mkfifo -m 600 "$TICK" || ! exec {TICK_FD}<>"$TICK"; then
	echo "Bail out! cannot make a FIFO in $SHARE"
	exit 1
fi
rm -f "$TICK"
pause() { read -r -t "$1" -u "$TICK_FD" _; return 0; }

# --- provision ---------------------------------------------------------------
# in the first round's boot (CRASH_PROVISION=1), before its round: a boot of
# its own cost as much as a round
# provisioned: the first round's boot reported its provisioning
provisioned() {
	local r
	r=$(grep -m1 -E '^(OK provisioned|FAIL)' "$SHARE/round-1.result" 2>/dev/null)
	if [[ $r == OK* ]]; then
		report OK "provision: VM01's vTPM sealed as generation 1"
	else
		report FAIL "provision: ${r:-no result} (see $SHARE/round-1.rig)"
		echo "Bail out! cannot provision"
		exit 1
	fi
}

# what each part acknowledged last: the worker's generation and counter,
# serve's generation and NV value
ACK_GEN=1 ACK_CTR=0 SACK_GEN=1 ACK_VALUE=

# the environment of a boot that checks what the last one acknowledged
round_env() {
	local e=()
	if [[ " ${PARTS[*]} " == *" worker "* ]]; then
		e+=("CRASH_ACK_GEN=$ACK_GEN" "CRASH_ACK_COUNTER=$ACK_CTR")
		((BOTH)) && e+=("CRASH_SERVE_ACK_GEN=$SACK_GEN")
	else
		e+=("CRASH_ACK_GEN=$SACK_GEN")
	fi
	[[ -n $ACK_VALUE ]] && e+=("CRASH_ACK_VALUE=$ACK_VALUE")
	printf '%s\n' "${e[@]}"
}

# check_part TAG PART WHAT KILLED: report the part's result of boot TAG; a
# round's verdict needs the kill too
check_part() {
	local tag=$1 part=$2 what=$3 killed=$4 r seals last torn gen ctr

	r=$(result_of "$tag" "$part")
	ack_src "$tag" "$part"
	seals=$(grep -c "$ACKED" "$ACKS" 2>/dev/null)
	last=$(grep "$ACKED" "$ACKS" 2>/dev/null | tail -1)
	if [[ $part == serve ]]; then
		if [[ $r =~ ^OK\ value\ (-?[0-9]+)\ generation\ ([0-9]+) && $killed != no ]]; then
			report OK "$what (serve): NV value ${BASH_REMATCH[1]} at least the acknowledged ${ACK_VALUE:-none}, generation ${BASH_REMATCH[2]}${seals:+, killed after $seals writes}"
			SACK_GEN=${BASH_REMATCH[2]}
		else
			report FAIL "$what (serve): ${r:-no result} (killed: $killed; see $SHARE/$tag.*)"
		fi
		[[ $last =~ acked\ ([0-9]+) ]] && ACK_VALUE=${BASH_REMATCH[1]}
		return 0
	fi
	if [[ $r =~ ^OK\ generation\ ([0-9]+)\ counter\ ([0-9]+) && $killed != no ]]; then
		gen=${BASH_REMATCH[1]} ctr=${BASH_REMATCH[2]}
		# a temporary the previous kill tore mid-write, cleaned up now
		torn=
		grep -q "removed .*interrupted by a crash" "$SHARE/$tag.verify" 2>/dev/null &&
			torn="; the last kill tore a write in flight" && TORN=$((TORN + 1))
		echo "$what: state gen $gen unsealed ok (counter $ctr >= acked $ACK_CTR$torn)${seals:+; killed QEMU after $seals seals}" >&2
		report OK "$what: state gen $gen unsealed ok (counter $ctr >= acked $ACK_CTR)${seals:+, killed after $seals seals}"
	else
		report FAIL "$what: ${r:-no result} (killed: $killed; see $SHARE/$tag.*)"
	fi
	# what the worker acknowledged before it died
	if [[ $last =~ sealed\ generation\ ([0-9]+)\ counter\ ([0-9]+) ]]; then
		ACK_GEN=${BASH_REMATCH[1]} ACK_CTR=${BASH_REMATCH[2]}
	fi
}

# all_acked TAG: every part of boot TAG acknowledged at least one change
all_acked() {
	local p
	for p in "${PARTS[@]}"; do
		ack_src "$1" "$p"
		has_line "$ACKS" "$ACKED" || return 1
	done
}

start=$(date +%s)
for ((i = 1; i <= ROUNDS; i++)); do
	tag=round-$i
	mapfile -t env < <(round_env)
	((i > 1)) || env+=(CRASH_PROVISION=1)
	boot "$tag" "${PFX}round" "${env[@]}"
	# wait for changes to be in flight (or for the guest to give up)
	t0=$SECONDS
	while ! all_acked "$tag"; do
		kill -0 "$RIG_PID" 2>/dev/null || break
		((SECONDS - t0 < BOOT_WAIT)) || break
		pause 0.2
	done
	killed=no
	if all_acked "$tag"; then
		pause "0.$((RANDOM % 1000))"	# a random moment, changes in flight
		if q=$(qemu_of "$RIG_PID"); then
			kill -KILL "$q" && killed=yes
		fi
	fi
	[[ $killed == yes ]] || kill -TERM "$RIG_PID" 2>/dev/null
	wait "$RIG_PID"
	((i > 1)) || provisioned
	before=$FAILED
	for p in "${PARTS[@]}"; do
		check_part "$tag" "$p" "crash $i/$ROUNDS" "$killed"
	done
	((FAILED > before)) || rm -f "$SHARE/$tag.rig"	# keep the rig log of failed rounds only
done
echo "# $ROUNDS crashes in $(( $(date +%s) - start )) s; $TORN boots found a write the kill had torn (the state file was intact)" >&2

# --- a last boot verifies -------------------------------------------------------
mapfile -t env < <(round_env)
boot final "${PFX}verify" "${env[@]}"
wait "$RIG_PID"
for p in "${PARTS[@]}"; do
	check_part final "$p" final -
done
((FAILED == 0))
