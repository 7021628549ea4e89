#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The roll-start benchmark, guest side (run --bench-roll; migration.md
# §1.5): shielded VMs started the way a host starts them, with the TK roll,
# against the same starts without it, on a kernel-locked host. A start:
# `vmshield-worker serve --kp` (the agent's release through KPS, the state
# opened through vmshield.ko; with the roll the re-seal under the next TK
# and the confirmation), then a stock QEMU (firmware only) on that vTPM;
# it is done when the worker has sealed the state changed by the VM's
# first TPM command (SeaBIOS's TPM2_Startup), which it prints before it
# answers. Three kinds, phase after phase, interleaved over ROUNDS rounds:
#   roll    BENCH_VMS shielded VMs (every start of a shielded KP rolls)
#   noroll  BENCH_VMS encryption-supported VMs with --no-roll (the only
#           roll-off switch: worker.md refuses it for a shielded KP)
#   esroll  the same encryption-supported VMs with the roll
# One start at a time; each line the worker prints is timestamped as it
# is read, which splits a start into its steps. A benchmark, not a test:
# the checks are that every start reached the vTPM, never how fast.
. "$(dirname "$0")/tests/lib.sh"
N=${BENCH_VMS:-6}
ROUNDS=${BENCH_ROUNDS:-3}
VTPM=$R/build/bin/vmshield-worker
QEMU=${QEMU:-qemu-system-x86_64}
plan 5

# The states, KPs and sockets on tmpfs: a seal on 9p under double TCG is
# slower than SeaBIOS waits for a TPM command (serve_test.sh).
D=$(mktemp -d /run/roll-bench.XXXXXX) || exit 1
RES=$D/results
QEMU_PID='' WPID=''
cleanup() {
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
FAILS=0

check "the agent starts and attests kernel-locked" eval 'start_agent agent &&
	wait_state valid 120 &&
	test "$(status_q .attestation.certificate.isolation_level)" = kernel-locked'

prov_ok=1
for i in $(seq 1 "$N"); do
	for k in rs re; do
		v=$k$i
		cp "$F/vms/$v.kp" "$D/$v.kp" &&
			"$VTPM" provision --vm "$(uuid_of "$v")" --state "$D/$v.state" \
				--kp "$D/$v.kp" --nv-text "roll bench $v" >"$D/$v.prov" 2>&1 ||
			{ prov_ok=0; tail -3 "$D/$v.prov" | diag; }
	done
done
check "$((2 * N)) VMs provisioned (a fresh vTPM sealed under each KP's TK)" test $prov_ok = 1

# start_one KIND VM ROUND: one start, timed; a line in $RES:
# KIND ROUND VM exec ask loaded unsealed resealed confirmed serving qemu first
# and the first TPM command's code (SeaBIOS's TPM2_Startup: 0x00000144)
start_one() {
	local kind=$1 v=$2 round=$3 fifo=$D/out.fifo sock=$D/$2.ctrl log=$D/$2.log
	local extra=() line ts t0 ta=- tl=- tu=- tr=- tc=- ts_=- tq=- tf=- cc=- rfd
	case $kind in
	roll|esroll) extra=(--roll) ;;
	noroll) extra=(--no-roll) ;;
	esac
	rm -f "$fifo" "$sock" && mkfifo "$fifo" || return 1
	echo "== $kind round $round" >>"$log"
	t0=$EPOCHREALTIME
	"$VTPM" serve --vm "$(uuid_of "$v")" --state "$D/$v.state" --kp "$D/$v.kp" \
		"${extra[@]}" --ctrl "type=unixio,path=$sock" --terminate >"$fifo" 2>&1 &
	WPID=$!
	exec {rfd}<"$fifo"
	while IFS= read -r -t 300 -u "$rfd" line; do
		ts=$EPOCHREALTIME
		echo "$ts $line" >>"$log"
		case $line in
		*"asking hgs-agent"*) ta=$ts ;;
		*"hgs-agent loaded VM"*) tl=$ts ;;
		*"unsealed state generation"*) tu=$ts ;;
		*"re-sealed"*"under the rolled TK"*) tr=$ts ;;
		*"TK roll of VM"*confirmed*) tc=$ts ;;
		*"serving the vTPM"*)
			ts_=$ts
			tq=$EPOCHREALTIME
			"$QEMU" -M pc -accel tcg -m 16 -nodefaults -display none -no-reboot \
				-chardev "socket,id=chrtpm,path=$sock" \
				-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
				</dev/null >>"$log.qemu" 2>&1 {rfd}<&- &
			QEMU_PID=$! ;;
		*"(TPM command 0x"*)
			tf=$ts
			cc=${line##*(TPM command }
			cc=${cc%)}
			break ;;
		esac
	done
	# the VM is running on its vTPM: pull its plug, stop the worker
	# (untimed: a stop is not a start)
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
	kill -TERM "$WPID" 2>/dev/null
	while IFS= read -r -t 60 -u "$rfd" line; do echo "- $line" >>"$log"; done
	wait "$WPID" 2>/dev/null
	WPID=
	exec {rfd}<&-
	if [ "$tf" = - ]; then
		echo "$kind round $round: $v did not reach its vTPM; its worker said:" | diag
		tail -5 "$log" | diag
		FAILS=$((FAILS + 1))
		return 1
	fi
	echo "$kind $round $v $t0 $ta $tl $tu $tr $tc $ts_ $tq $tf $cc" >>"$RES"
}

# phase KIND ROUND: every VM of KIND once, in turn
phase() {
	local i pre=re
	[ "$1" = roll ] && pre=rs
	for i in $(seq 1 "$N"); do
		start_one "$1" "$pre$i" "$2"
	done
}

# Warm-up (untimed): every VM's first roll (its owner's KP, verified in
# full at KPS; afterwards each start presents the KP KPS made), QEMU and
# the firmware into the page cache.
: >"$RES"
phase roll 0
phase esroll 0
warm_fails=$FAILS
check "warm-up: all $((2 * N)) VMs started once with the roll" test "$warm_fails" = 0
: >"$RES"
kinds=(roll noroll esroll)
for r in $(seq 1 "$ROUNDS"); do
	# the phases' order turns each round, so none is always first
	for j in 0 1 2; do
		phase "${kinds[(j + r - 1) % 3]}" "$r"
	done
done
check "all $((3 * N * ROUNDS)) timed starts reached their vTPM (failed: $((FAILS - warm_fails)))" \
	test "$FAILS" = "$warm_fails"

# Starts/s of a kind: its starts over the sum of their times (one at a
# time); per round and over all rounds; each step's mean; and the medians
# of a start and of its part before QEMU (exec to listening), which a
# slow stretch of the shared machine moves less than the sums.
awk -v n="$N" -v rounds="$ROUNDS" '
function ms(a, b) { return (a == "-" || b == "-") ? 0 : (b - a) * 1000 }
function median(arr, c,    i, j, t) {
	for (i = 2; i <= c; i++)
		for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
			t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
		}
	return c % 2 ? arr[(c + 1) / 2] : (arr[c / 2] + arr[c / 2 + 1]) / 2
}
{
	k = $1; r = $2; d = $12 - $4
	tot[k] += d; cnt[k]++; rt[k, r] += d; rc[k, r]++
	c = cnt[k]
	v[k, 1, c] = ms($4, $5); v[k, 2, c] = ms($5, $6); v[k, 3, c] = ms($6, $7)
	v[k, 4, c] = ($8 == "-") ? 0 : ms($7, $9)
	v[k, 5, c] = ms(($9 == "-") ? $7 : $9, $10); v[k, 6, c] = ms($11, $12)
	v[k, 7, c] = ms($4, $10); v[k, 8, c] = d
	st[k] += ms($4, $5); rel[k] += ms($5, $6); uns[k] += ms($6, $7)
	rsc[k] += ($8 == "-") ? 0 : ms($7, $9)
	vt[k] += ms(($9 == "-") ? $7 : $9, $10); qf[k] += ms($11, $12)
	first[$13]++
}
function rate(t, c) { return t > 0 ? c / t : 0 }
END {
	printf "# bench: roll starts: %d shielded VMs (roll), %d encryption-supported (noroll: --no-roll; esroll: the same VMs with the roll), one start at a time, %d rounds\n", n, n, rounds
	for (r = 1; r <= rounds; r++) {
		a = rate(rt["roll", r], rc["roll", r]); b = rate(rt["noroll", r], rc["noroll", r])
		c = rate(rt["esroll", r], rc["esroll", r])
		printf "# bench: round %d: roll %.3f starts/s, noroll %.3f, esroll %.3f; ratio roll/noroll %.2f, esroll/noroll %.2f\n", r, a, b, c, b ? a / b : 0, b ? c / b : 0
	}
	split("roll noroll esroll", ks, " ")
	for (i = 1; i <= 3; i++) {
		k = ks[i]; c = cnt[k]
		if (!c) continue
		printf "# bench: %s: %d starts in %.1f s = %.3f starts/s; mean ms: worker up %.0f, release %.0f, unseal %.0f, re-seal+confirm %.0f, vTPM up to listening %.0f, QEMU to first TPM command %.0f (start %.0f)\n", k, c, tot[k], rate(tot[k], c), st[k] / c, rel[k] / c, uns[k] / c, rsc[k] / c, vt[k] / c, qf[k] / c, tot[k] * 1000 / c
	}
	a = rate(tot["roll"], cnt["roll"]); b = rate(tot["noroll"], cnt["noroll"])
	c = rate(tot["esroll"], cnt["esroll"])
	for (i = 1; i <= 3; i++) {
		k = ks[i]
		for (s = 1; s <= 8; s++) {
			for (j = 1; j <= cnt[k]; j++)
				tmp[j] = v[k, s, j]
			med[k, s] = median(tmp, cnt[k])
		}
		printf "# bench: %s: median ms: worker up %.0f, release %.0f, unseal %.0f, re-seal+confirm %.0f, vTPM up to listening %.0f, QEMU to first TPM command %.0f; exec to listening %.0f; start %.0f\n", k, med[k, 1], med[k, 2], med[k, 3], med[k, 4], med[k, 5], med[k, 6], med[k, 7], med[k, 8] * 1000
	}
	# QEMU to the first TPM command is the same work whatever the worker
	# did before it: its median over all starts, plus the median of each kind
	# exec-to-listening, isolates what the roll changes
	pc = 0
	for (i = 1; i <= 3; i++)
		for (j = 1; j <= cnt[ks[i]]; j++)
			tmp[++pc] = v[ks[i], 6, j]
	q = median(tmp, pc)
	printf "# bench: with QEMU to the first TPM command at its median over all %d starts (%.0f ms) and each kind'"'"'s median exec to listening: ratio roll/noroll %.2f, esroll/noroll %.2f\n", pc, q, (q + med["noroll", 7]) / (q + med["roll", 7]), (q + med["noroll", 7]) / (q + med["esroll", 7])
	mr = med["roll", 8]; mn = med["noroll", 8]; me = med["esroll", 8]
	printf "# bench: median start (s): roll %.2f, noroll %.2f, esroll %.2f; ratio of the medians roll/noroll %.2f, esroll/noroll %.2f\n", mr, mn, me, mr ? mn / mr : 0, me ? mn / me : 0
	for (fc in first)
		printf "# bench: the first TPM command the worker sealed: %s in %d starts\n", fc, first[fc]
	printf "# bench: roll starts N=%d x %d rounds: with the roll %.3f starts/s, without %.3f, ratio %.2f (the same encryption-supported VMs with the roll: %.3f, ratio %.2f; target >= 0.8)\n", n, rounds, a, b, b ? a / b : 0, c, b ? c / b : 0
}' "$RES"
cp "$RES" "$F/roll-bench.results" 2>/dev/null
cat "$D"/*.log >"$F/roll-bench.worker.log" 2>/dev/null
stop_agent
rc=$?
check "the agent stops cleanly (exit $rc)" test "$rc" = 0
finish
