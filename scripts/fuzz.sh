#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the libFuzzer harnesses of userspace/fuzz/ for a bounded time each,
# seeded from the captured rig artifacts; TAP on stdout, one test per
# harness. FUZZ_SECONDS (default 20) per harness; FUZZ_SECONDS=0 only
# replays the seeds and the corpus gathered so far, once each (a timed
# run begins with the same replay: make check-san runs only that); FUZZ_BUDGET (below) shares a total wall time
# out among them (make check-san: 40 s). FUZZ_RUNS=N instead runs each
# harness for N executions whatever the time (make soak: 10 million).
# Each harness's line gives its executions and coverage (edges).
# Arguments name harnesses (default: all); FUZZ_JOBS of them run at a
# time (default: the number of CPUs). Builds them first (make -C
# userspace fuzz).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT="$REPO/build/fuzz"
mkdir -p "$OUT"
DATA="$REPO/userspace/tests/data/tpm"
SECS=${FUZZ_SECONDS:-20}
RUNS=${FUZZ_RUNS:-0}

echo "TAP version 13"
if ! make -s -C "$REPO/userspace" fuzz >"$OUT.build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 build the fuzz harnesses (see build/fuzz.build.log)"
	exit 1
fi

# seeds per harness: its corpus in the tree (userspace/fuzz/corpus/NAME/),
# and the captured rig artifacts
seeds() {
	ls "$REPO/userspace/fuzz/corpus/$1"/* 2>/dev/null
	case $1 in
	fuzz_eventlog) echo "$DATA/bios_measurements.bin" ;;
	fuzz_ima) echo "$DATA/ima_measurements.bin" ;;
	fuzz_ima_sig) ls "$DATA"/../ima/*.sig "$DATA"/../ima/*.der ;;
	fuzz_tpm2b) ls "$DATA"/*.pub "$DATA"/*.attest "$DATA"/*.sig ;;
	fuzz_worker_ctrl) ls "$DATA"/../ctrl/*.bin ;;
	fuzz_enclave_report) ls "$DATA"/../enclave-report/report-v2.* ;;
	fuzz_enclave_req) ls "$DATA"/../enclave/*.bin ;;
	esac
}

if (($# > 0)); then names=("$@"); else
	names=()
	for b in "$OUT"/fuzz_*; do
		[[ -x $b && $b != *.log ]] && names+=("${b##*/}")
	done
fi
echo "1..${#names[@]}"

# FUZZ_JOBS harnesses at a time (each one is a single-threaded process);
# their TAP is printed in order once all are done.
jobs_max=${FUZZ_JOBS:-$(nproc)}
# FUZZ_BUDGET=T (make check): T seconds of wall time for all of them
# together (FUZZ_JOBS at a time), shared out evenly, at least 5 s each;
# it overrides FUZZ_SECONDS, so adding a harness does not lengthen make
# check (each harness gets less; make soak runs each for FUZZ_RUNS executions).
if [[ ${FUZZ_BUDGET:-} =~ ^[0-9]+$ ]] && ((FUZZ_BUDGET > 0 && ${#names[@]} > 0 && RUNS == 0)); then
	waves=$(((${#names[@]} + jobs_max - 1) / jobs_max))
	SECS=$((FUZZ_BUDGET / waves))
	((SECS >= 5)) || SECS=5
fi
if ((RUNS > 0)); then
	limit=(-runs="$RUNS") what="$RUNS runs"
elif ((SECS > 0)); then
	limit=(-max_total_time="$SECS") what="${SECS}s"
else
	limit=(-runs=0) what="replay"
fi

# fuzz_one N NAME: run one harness; its TAP lines on stdout
fuzz_one() {
	local n=$1 name=$2 bin="$OUT/$2" corpus="$OUT/corpus-$2" log="$OUT/$2.log"
	local rc execs cov s inited

	mkdir -p "$corpus"
	if [[ ! -x $bin ]]; then
		echo "not ok $n $name: no such harness"
		return
	fi
	# seeds go into the corpus once; the corpus then grows run by run
	while read -r s; do
		[[ -n $s ]] && cp -n "$s" "$corpus/seed-${s##*/}"
	done < <(seeds "$name")
	echo "# $name: $what, corpus $(ls "$corpus" | wc -l) inputs"
	"$bin" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$OUT/crash-$name-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
	# "#N INITED": libFuzzer ran every seed and corpus input first
	inited=$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$log" | head -1)
	if ((rc == 0 && RUNS > 0)); then
		echo "ok $n $name: ${execs:-?} runs, coverage ${cov:-?} edges, no crash"
	elif ((rc == 0 && SECS == 0)); then
		echo "ok $n $name: replayed ${execs:-?} inputs, coverage ${cov:-?} edges, no crash"
	elif ((rc == 0)); then
		echo "ok $n $name: replayed ${inited:-?} inputs, ${execs:-?} runs in ${SECS}s in all, coverage ${cov:-?} edges, no crash"
	else
		echo "not ok $n $name: exit $rc, see $log"
		grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY)' "$log" | sed 's/^/# /'
		ls "$OUT"/crash-"$name"-* 2>/dev/null | sed 's/^/# artifact: /'
	fi
}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
n=0 running=0
for name in "${names[@]}"; do
	n=$((n + 1))
	if ((running >= jobs_max)); then wait -n; running=$((running - 1)); fi
	fuzz_one "$n" "$name" >"$W/$n" &
	running=$((running + 1))
done
wait
fail=0
for ((i = 1; i <= n; i++)); do
	cat "$W/$i"
	grep -q '^not ok' "$W/$i" && fail=1
done
exit $fail
