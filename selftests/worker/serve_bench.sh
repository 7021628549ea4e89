#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# serve_bench.sh - vTPM commands per second through `vmshield-worker
# serve` against swtpm, in the same guarded host and the same run (make
# bench; in the rig with --lockdown confidentiality). Both serve a TPM 2.0
# (libtpms) over a Unix control socket with the data channel passed by
# CMD_SET_DATAFD, their state on tmpfs; serve_bench plays the VMM.
# BENCH_SERVE_ROUNDS (default 5) interleaved rounds of BENCH_SERVE_SECONDS
# (default 1) per command; each figure is the median over the rounds and
# each ratio the median of the per-round ratios. Prints
#   bench: serve vs swtpm: GetRandom 812/s vs 901/s, ratio 0.90 ...
# as TAP comments; a benchmark, never a pass/fail on its figures.
set -u -o pipefail
if [[ -z ${WORKER_TEST_SESSION:-} ]]; then
	export WORKER_TEST_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
BENCH=${BENCH:-$REPO/build/selftests/worker/serve_bench}
ROUNDS=${BENCH_SERVE_ROUNDS:-5} SECS=${BENCH_SERVE_SECONDS:-1}
echo "TAP version 13"
if [[ ! -x $BENCH || ! -x $WORKER ]] || ! command -v swtpm >/dev/null; then
	echo "1..0 # SKIP needs $BENCH, $WORKER and swtpm"
	exit 4
fi
D=$(mktemp -d /run/vms-bench.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT
enclave_public "$D/enclave.pub" locked || { echo "1..0 # SKIP needs a kernel-locked host"; exit 4; }
VM=$(new_uuid)
head -c 32 /dev/urandom >"$D/tk"
make_release "$D/rel" "$VM" "$(new_key_id)" "$D/tk" shielded "$D/enclave.pub" $(image_digests "$WORKER") &&
	KEY=$(load_release "$VM" "$D/rel") &&
	"$WORKER" provision --vm "$VM" --state "$D/vm.state" --key "$KEY" \
		--no-persistent-key >"$D/prov.out" 2>&1 ||
	{ echo "1..1"; echo "not ok 1 set up VM01 (see the rig log)"; cat "$D/prov.out" | diag; exit 1; }
mkdir -p "$D/swtpm"

wait_sock() { for _ in $(seq 100); do [[ -S $1 ]] && return 0; sleep 0.05; done; return 1; }
run_swtpm() {
	rm -f "$D/sw.sock"
	swtpm socket --tpm2 --tpmstate "dir=$D/swtpm" \
		--ctrl "type=unixio,path=$D/sw.sock" >>"$D/swtpm.log" 2>&1 &
	wait_sock "$D/sw.sock" && "$BENCH" "$D/sw.sock" "$SECS"
	wait
}
run_serve() {
	rm -f "$D/ws.sock"
	"$WORKER" serve --vm "$VM" --state "$D/vm.state" --key "$KEY" \
		--ctrl "type=unixio,path=$D/ws.sock" >"$D/serve.log" 2>&1 &
	wait_sock "$D/ws.sock" && "$BENCH" "$D/ws.sock" "$SECS"
	wait
}

: >"$D/sw.txt"
: >"$D/ws.txt"
for ((r = 1; r <= ROUNDS; r++)); do
	run_swtpm >>"$D/sw.txt" || { echo "1..1"; echo "not ok 1 swtpm round $r"; exit 1; }
	run_serve >>"$D/ws.txt" || { echo "1..1"; echo "not ok 1 serve round $r"; diag <"$D/serve.log"; exit 1; }
done
echo "1..1"
echo "ok 1 $ROUNDS rounds of ${SECS}s per command against each"
python3 - "$D/sw.txt" "$D/ws.txt" <<'PY'
import statistics, sys
sw = [dict(zip(l.split()[::2], map(float, l.split()[1::2]))) for l in open(sys.argv[1])]
ws = [dict(zip(l.split()[::2], map(float, l.split()[1::2]))) for l in open(sys.argv[2])]
names = {"getrandom": ("GetRandom", 0.9), "pcrread": ("PCR_Read", 0.9),
         "nvwrite": ("NV_Write", 0.5)}
for k, (name, target) in names.items():
    a = statistics.median(w[k] for w in ws)
    b = statistics.median(s[k] for s in sw)
    ratio = statistics.median(w[k] / s[k] for w, s in zip(ws, sw))
    print(f"# bench: serve vs swtpm: {name} {a:.0f}/s vs {b:.0f}/s, "
          f"ratio {ratio:.2f} (target >= {target})")
PY
