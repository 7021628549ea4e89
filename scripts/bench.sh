#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: userspace benchmarks (formats, HPKE, hgsd), then the module's
# SEAL/UNSEAL against OpenSSL inside a guarded host, then the boot storm
# (selftests/fabric/run --bench: BENCH_STORM_VMS VMs, default 200, through
# hgs-agent against KPS-only releases), then shielded-VM starts with the TK
# roll against starts without it (selftests/fabric/run --bench-roll:
# BENCH_ROLL_VMS VMs of each kind, default 6; worker serve, QEMU to its
# first TPM command), then the hypervisor placement's
# mailbox against the kernel placement in one guest
# (selftests/kmod/bench_placement.sh), then TPM commands through the vTPM
# in the enclave against the worker-local vTPM (selftests/kmod/bench_vtpm.sh).
# Every figure is a ratio against a
# baseline measured in the same run; nothing here is a test.
set -o pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH_STORM_VMS=${BENCH_STORM_VMS:-200}
BENCH_ROLL_VMS=${BENCH_ROLL_VMS:-6}
make -s -C "$REPO/userspace" bench || exit 1
echo "== module: SEAL/UNSEAL through /dev/vmshield vs OpenSSL, then SEAL with the worker image check vs without (bench_image raises lockdown: last), in the guarded host"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$REPO/selftests/vm/run" --timeout 600 --test-timeout 500 \
	"$REPO/build/selftests/bench_seal" "$REPO/build/selftests/bench_image" >"$out" 2>&1
rc=$?
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
((rc == 0)) || { echo "bench: module benchmark failed (rig exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
echo "== vTPM: commands per second through vmshield-worker serve vs swtpm, in the guarded host"
make -s -C "$REPO/selftests/worker" >/dev/null || exit 1
"$REPO/selftests/vm/run" --lockdown confidentiality --timeout 600 --test-timeout 500 \
	"$REPO/selftests/worker/serve_bench.sh" >"$out" 2>&1
rc=$?
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
((rc == 0)) || { echo "bench: serve benchmark failed (rig exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
echo "== boot storm: $BENCH_STORM_VMS VMs started through hgs-agent vs KPS-only releases, in the guarded host"
"$REPO/selftests/fabric/run" --bench --bench-vms "$BENCH_STORM_VMS" >"$out" 2>&1
rc=$?
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
((rc == 0)) || { echo "bench: boot-storm benchmark failed (exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
echo "== TK roll: $BENCH_ROLL_VMS shielded VMs started (worker serve, QEMU to its first TPM command) with the roll vs without it, in the guarded host"
"$REPO/selftests/fabric/run" --bench-roll --bench-vms "$BENCH_ROLL_VMS" >"$out" 2>&1
rc=$?
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
((rc == 0)) || { echo "bench: roll-start benchmark failed (exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
echo "== placement hypervisor: release+load and SEAL/UNSEAL through the mailbox vs placement kernel, in one guarded host"
"$REPO/selftests/vm/run" --placement hypervisor --timeout 600 --test-timeout 500 \
	"$REPO/selftests/kmod/bench_placement.sh" >"$out" 2>&1
rc=$?
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
((rc == 0)) || { echo "bench: placement benchmark failed (rig exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
echo "== vTPM in the enclave: TPM commands per second through the mailbox vs the worker-local vTPM, in one guarded host"
echo "bench: vtpm: this machine's load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$REPO/selftests/vm/run" --placement hypervisor --timeout 600 --test-timeout 500 \
	"$REPO/selftests/kmod/bench_vtpm.sh" >"$out" 2>&1
rc=$?
echo "bench: vtpm: this machine's load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E 'bench:|^# rig: accel' "$out" | sed -E 's/^#[[:space:]]+(#[[:space:]]*)?//'
# the enclave's own account of the run (vtpm-in-enclave.md section 9)
rundir=$(sed -n 's/.*run dir \([^ ]*\).*/\1/p' "$out" | head -1)
[[ -n $rundir && -r $rundir/enclave/enclaved.log ]] &&
	grep -hoE 'event=(stop|mailbox-close) .*' "$rundir/enclave/enclaved.log" | sed 's/^/bench: vtpm enclave: /'
((rc == 0)) || { echo "bench: vTPM-in-enclave benchmark failed (rig exit $rc)" >&2; tail -30 "$out" >&2; exit 1; }
