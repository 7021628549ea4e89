#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The boot-storm benchmark, guest side (run --bench): the agent attests on
# a kernel-locked host, then storm_bench starts BENCH_VMS VMs through a
# pool of BENCH_THREADS threads and measures them against KPS-only
# releases in the same run. Its "# bench:" lines pass through. A benchmark,
# not a test: the checks are that every VM started with the right state,
# never how fast.
. "$(dirname "$0")/tests/lib.sh"
N=${BENCH_VMS:-200}
THREADS=${BENCH_THREADS:-32}
BENCH=$R/build/selftests/fabric/storm_bench
plan 3

check "the agent starts and attests kernel-locked" eval 'start_agent agent &&
	wait_state valid 120 &&
	test "$(status_q .attestation.certificate.isolation_level)" = kernel-locked'
OUT=/tmp/storm-bench.$$
"$BENCH" --dir "$F/vms" --count "$N" --threads "$THREADS" --url "$HGS_URL" \
	--ca "$F/hgs-tls.pem" --cert "$F/agent-state/health.pem" >"$OUT" 2>&1
rc=$?
# its own lines already start with "# bench:"; anything else is a diagnostic
while IFS= read -r line; do
	case $line in
	"# bench:"*) echo "$line" ;;
	*) echo "# storm_bench: $line" ;;
	esac
done <"$OUT"
rm -f "$OUT"
check "all $N VMs started with their own state, all $N KPS releases passed (exit $rc)" \
	test "$rc" = 0
stop_agent
rc=$?
check "the agent stops cleanly (exit $rc)" test "$rc" = 0
finish
