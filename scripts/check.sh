#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every test suite, each leaving TAP in build/tap/, then one
# closing line counting all of them. Called by `make check` after `make deps
# all`; a suite that dies without reporting counts as a failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
TAP="$REPO/build/tap"
rm -rf "$TAP" && mkdir -p "$TAP"
start=$(date +%s)

# run_suite NAME CMD...: run CMD with TAP on stdout into $TAP/NAME.tap; if
# CMD fails but its TAP shows no failure, record the failure ourselves.
run_suite() {
	local name=$1; shift
	local out="$TAP/$name.tap" rc
	echo "== $name: $*"
	"$@" > >(tee "$out") 2>&1
	rc=$?
	sleep 0.2 # let tee flush
	if ((rc != 0)) && ! grep -q '^not ok' "$out"; then
		echo "not ok 1 $name exited with status $rc" | tee -a "$out"
	fi
	if ! grep -qE '^(not )?ok' "$out"; then
		echo "not ok 1 $name reported no result" | tee -a "$out"
	fi
}

run_suite unit make -s -C "$REPO/userspace" check
run_suite static "$REPO/scripts/static-check.sh"
run_suite systemd "$REPO/scripts/systemd-check.sh"
run_suite fuzz "$REPO/scripts/fuzz.sh"
run_suite dkms "$REPO/selftests/dkms/test.sh"
run_suite rig-self "$REPO/selftests/vm/selftest_rig.sh"
# Module tests in one guest, in the order selftests/kmod/TESTS gives
# (lockdown only goes up and unloading ends the module's life, so order
# matters).
kmod_tests=()
while read -r t; do
	[[ -z "$t" || "$t" == \#* ]] || kmod_tests+=("$REPO/build/selftests/$t")
done < "$REPO/selftests/kmod/TESTS"
run_suite rig-kmod "$REPO/selftests/vm/run" --timeout 1200 "${kmod_tests[@]}"
run_suite fabric "$REPO/selftests/fabric/run"
run_suite worker "$REPO/selftests/worker/run.sh"
run_suite worker-crash env CRASH_ROUNDS="${CRASH_ROUNDS:-50}" "$REPO/selftests/worker/crash_test.sh"
# the same through `vmshield-worker serve` (NV written through it), fewer rounds
run_suite worker-crash-serve env CRASH_SERVE=1 CRASH_ROUNDS="${CRASH_SERVE_ROUNDS:-3}" \
	CRASH_DIR="$REPO/build/worker-crash-serve" "$REPO/selftests/worker/crash_test.sh"

echo "== summary ($(( $(date +%s) - start )) s)"
grep -h '^# rig: boot-to-tests' "$TAP"/rig-kmod.tap 2>/dev/null | tail -1
# unit suites may leave one TAP file per test binary; count those instead
# of the combined unit stream when they exist
files=()
if compgen -G "$REPO/build/tap/unit-*.tap" >/dev/null; then
	files+=("$REPO"/build/tap/unit-*.tap)
	grep -q '^not ok 1 unit ' "$TAP/unit.tap" && files+=("$TAP/unit.tap")
else
	files+=("$TAP/unit.tap")
fi
files+=("$TAP/static.tap" "$TAP/systemd.tap" "$TAP/fuzz.tap" "$TAP/dkms.tap" "$TAP/rig-self.tap" "$TAP/rig-kmod.tap" "$TAP/fabric.tap")
files+=("$TAP/worker.tap" "$TAP/worker-crash.tap" "$TAP/worker-crash-serve.tap")
exec "$REPO/scripts/tap-summary.sh" "${files[@]}"
