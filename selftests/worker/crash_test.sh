#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crash_test.sh - crash safety of sealed vTPM state (outer side).
#
# Boots the guarded-host rig CRASH_ROUNDS times (default 50). Each boot
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

echo "TAP version 13"
echo "1..$((ROUNDS + 2))"
rm -rf "$SHARE" && mkdir -p "$SHARE" || exit 1
# The material KPS and the tenant hold: VM id, key id, TK, and a tag.
cat /proc/sys/kernel/random/uuid >"$SHARE/vm.id"
head -c 16 /dev/urandom | xxd -p >"$SHARE/key.id"
head -c 32 /dev/urandom >"$SHARE/vm.tk" && chmod 600 "$SHARE/vm.tk"
echo "crash test $(date +%s)" >"$SHARE/tag"

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
		--test-timeout 280 --env "CRASH_SHARE=$SHARE" \
		--env "CRASH_MODE=$mode" --env "CRASH_TAG=$tag" "${args[@]}" \
		"$GUEST" >"$SHARE/$tag.rig" 2>&1 &
	RIG_PID=$!
}

# The QEMU of the rig run $1 (its run directory records both pids).
qemu_of() {
	local d q
	for d in "$RIGCACHE"/run-*/; do
		[[ $(cat "$d/rig.pid" 2>/dev/null) == "$1" ]] || continue
		q=$(cat "$d/qemu.pid" 2>/dev/null) || return 1
		# only that rig's QEMU: its command line names the run directory
		tr '\0' ' ' <"/proc/$q/cmdline" 2>/dev/null | grep -qF "${d%/}" &&
			echo "$q" && return 0
	done
	return 1
}

# The guest's last word in $SHARE/TAG.result.
result_of() { tail -n 1 "$SHARE/$1.result" 2>/dev/null; }

# --- provision ---------------------------------------------------------------
boot provision provision
wait "$RIG_PID"
r=$(result_of provision)
if [[ $r == OK* ]]; then
	report OK "provision: VM01's vTPM sealed as generation 1"
else
	report FAIL "provision: ${r:-no result} (see $SHARE/provision.rig)"
	echo "Bail out! cannot provision"
	exit 1
fi

ACK_GEN=1 ACK_CTR=0 ACK_VALUE=
SERVE=${CRASH_SERVE:-0}
# what a boot's worker prints for each acknowledged change
if ((SERVE)); then ACKED="acked"; else ACKED="sealed generation"; fi
start=$(date +%s)
for ((i = 1; i <= ROUNDS; i++)); do
	tag=round-$i
	if ((SERVE)); then
		boot "$tag" serve-round "CRASH_ACK_GEN=$ACK_GEN" \
			${ACK_VALUE:+"CRASH_ACK_VALUE=$ACK_VALUE"}
	else
		boot "$tag" round "CRASH_ACK_GEN=$ACK_GEN" "CRASH_ACK_COUNTER=$ACK_CTR"
	fi
	# wait for seals to be in flight (or for the guest to give up)
	t0=$SECONDS
	while ! grep -q "$ACKED" "$SHARE/$tag.worker" 2>/dev/null; do
		kill -0 "$RIG_PID" 2>/dev/null || break
		((SECONDS - t0 < BOOT_WAIT)) || break
		sleep 0.2
	done
	killed=no
	if grep -q "$ACKED" "$SHARE/$tag.worker" 2>/dev/null; then
		sleep "0.$((RANDOM % 1000))"	# a random moment, seals in flight
		if q=$(qemu_of "$RIG_PID"); then
			kill -KILL "$q" && killed=yes
		fi
	fi
	[[ $killed == yes ]] || kill -TERM "$RIG_PID" 2>/dev/null
	wait "$RIG_PID"
	r=$(result_of "$tag")
	seals=$(grep -c "$ACKED" "$SHARE/$tag.worker" 2>/dev/null)
	last=$(grep "$ACKED" "$SHARE/$tag.worker" 2>/dev/null | tail -1)
	if ((SERVE)); then
		if [[ $r =~ ^OK\ value\ (-?[0-9]+)\ generation\ ([0-9]+) && $killed == yes ]]; then
			echo "crash $i/$ROUNDS (serve): NV value ${BASH_REMATCH[1]} >= acked ${ACK_VALUE:-none}, generation ${BASH_REMATCH[2]}; killed QEMU after $seals acknowledged NV writes" >&2
			report OK "crash $i/$ROUNDS (serve): NV value ${BASH_REMATCH[1]} at least the acknowledged ${ACK_VALUE:-none}, killed after $seals writes"
			ACK_GEN=${BASH_REMATCH[2]}
			rm -f "$SHARE/$tag.rig"
		else
			report FAIL "crash $i/$ROUNDS (serve): ${r:-no result} (killed: $killed; see $SHARE/$tag.*)"
		fi
		[[ $last =~ acked\ ([0-9]+) ]] && ACK_VALUE=${BASH_REMATCH[1]}
		continue
	fi
	if [[ $r =~ ^OK\ generation\ ([0-9]+)\ counter\ ([0-9]+) && $killed == yes ]]; then
		gen=${BASH_REMATCH[1]} ctr=${BASH_REMATCH[2]}
		# a temporary the previous kill tore mid-write, cleaned up now
		torn=
		grep -q "removed .*interrupted by a crash" "$SHARE/$tag.verify" &&
			torn="; the last kill tore a write in flight" && TORN=$((TORN + 1))
		echo "crash $i/$ROUNDS: state gen $gen unsealed ok (counter $ctr >= acked $ACK_CTR$torn); killed QEMU after $seals seals" >&2
		report OK "crash $i/$ROUNDS: state gen $gen unsealed ok, killed after $seals seals"
		rm -f "$SHARE/$tag.rig"	# keep the rig log of failed rounds only
	else
		report FAIL "crash $i/$ROUNDS: ${r:-no result} (killed: $killed; see $SHARE/$tag.*)"
	fi
	# what the worker acknowledged before it died
	if [[ $last =~ sealed\ generation\ ([0-9]+)\ counter\ ([0-9]+) ]]; then
		ACK_GEN=${BASH_REMATCH[1]} ACK_CTR=${BASH_REMATCH[2]}
	fi
done
echo "# $ROUNDS crashes in $(( $(date +%s) - start )) s; $TORN boots found a write the kill had torn (the state file was intact)" >&2

# --- a last boot verifies -------------------------------------------------------
if ((SERVE)); then
	boot final serve-verify "CRASH_ACK_GEN=$ACK_GEN" ${ACK_VALUE:+"CRASH_ACK_VALUE=$ACK_VALUE"}
	wait "$RIG_PID"
	r=$(result_of final)
	if [[ $r =~ ^OK\ value\ ([0-9]+)\ generation\ ([0-9]+) ]]; then
		report OK "final (serve): NV value ${BASH_REMATCH[1]} at least the acknowledged ${ACK_VALUE:-none}, generation ${BASH_REMATCH[2]}"
	else
		report FAIL "final (serve): ${r:-no result} (see $SHARE/final.*)"
	fi
	((FAILED == 0))
	exit
fi
boot final verify "CRASH_ACK_GEN=$ACK_GEN" "CRASH_ACK_COUNTER=$ACK_CTR"
wait "$RIG_PID"
r=$(result_of final)
if [[ $r =~ ^OK\ generation\ ([0-9]+)\ counter\ ([0-9]+) ]]; then
	report OK "final: state gen ${BASH_REMATCH[1]} unsealed ok (counter ${BASH_REMATCH[2]} >= acked $ACK_CTR)"
else
	report FAIL "final: ${r:-no result} (see $SHARE/final.*)"
fi
((FAILED == 0))
