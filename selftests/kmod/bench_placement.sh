#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench_placement.sh - make bench's placement benchmark, in one guest
# booted with --placement hypervisor (scripts/bench.sh): bench_mailbox in
# placement hypervisor (the enclave behind the mailbox) and in placement
# kernel (the same module loaded with the mailbox device kept from it by
# driver_override), alternating, BENCH_ROUNDS rounds (default 3). Prints
# each operation's rate and per-call time in both placements and the
# median over the rounds of the per-round ratio hypervisor / kernel.
# Not a test: nothing is asserted but that every call succeeded.
set -u
BIN=$(dirname "$(readlink -f "$0")")/../../build/selftests/bench_mailbox
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-1}
OUT=$(mktemp -d)
echo "TAP version 13"
echo "1..1"

bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] && bdf=${d##*/}
done
if [ -z "$bdf" ] || [ -z "${VMSHIELD_MODULE:-}" ]; then
	echo "ok 1 bench_placement # SKIP not booted with --placement hypervisor and a module"
	exit 4
fi

# placement P: reload vmshield.ko with the mailbox device given to it or kept from it
placement() {
	local want=$1 ov=
	[ "$want" = kernel ] && ov=vmshield-bench-none
	rmmod vmshield || return 1
	echo "$ov" >"/sys/bus/pci/devices/$bdf/driver_override" || return 1
	insmod "$VMSHIELD_MODULE" || return 1
}

fail=0
for r in $(seq 1 "$ROUNDS"); do
	for p in hypervisor kernel; do
		placement "$p" || { echo "# bench: cannot switch to placement $p"; fail=1; break 2; }
		"$BIN" --seconds "$SECS" >"$OUT/$p.$r" 2>"$OUT/$p.$r.err" ||
			{ echo "# bench: bench_mailbox failed in placement $p: $(cat "$OUT/$p.$r.err")"; fail=1; break 2; }
		grep -q "^bench_mailbox: $p " "$OUT/$p.$r" ||
			{ echo "# bench: the module is not in placement $p"; fail=1; break 2; }
	done
done
placement hypervisor || fail=1

if [ "$fail" = 0 ]; then
	echo "# bench: placement hypervisor (mailbox, vmshield-enclaved on the outer machine) vs kernel, $ROUNDS rounds of ${SECS} s per operation, median of the per-round ratios"
	for op in release+load seal-4KiB unseal-4KiB seal-64KiB unseal-64KiB; do
		for r in $(seq 1 "$ROUNDS"); do
			h=$(awk -v op="$op" '$3 == op { print $4, $5 }' "$OUT/hypervisor.$r")
			k=$(awk -v op="$op" '$3 == op { print $4, $5 }' "$OUT/kernel.$r")
			echo "$h $k"
		done | awk -v op="$op" '
			{ hr[NR] = $1; hu[NR] = $2; kr[NR] = $3; ku[NR] = $4; q[NR] = $1 / $3 }
			function med(a, n,   i, j, t) {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			END {
				n = NR
				printf "# bench: %-13s hypervisor %8.1f/s (%7.1f us/call), kernel %8.1f/s (%7.1f us/call), ratio %.3f\n",
					op, med(hr, n), med(hu, n), med(kr, n), med(ku, n), med(q, n)
			}'
	done
fi
rm -rf "$OUT"
if [ "$fail" = 0 ]; then echo "ok 1 bench_placement"; else echo "not ok 1 bench_placement"; fi
exit "$fail"
