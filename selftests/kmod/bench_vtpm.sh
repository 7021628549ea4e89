#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench_vtpm.sh - make bench's vTPM section, in one guest booted with
# --placement hypervisor (scripts/bench.sh): one encryption-supported key
# released to the enclave the way KPS releases it (selftests/worker/lib.sh
# make_release), then `vms-vtpm_bench --device SERIAL`: TPM commands per
# second through the vTPM in the enclave (VMSHIELD_IOC_VTPM, the mailbox,
# vmshield-enclaved on the outer machine) against the worker-local vTPM
# sealing through the same mailbox, in the same run, with the mailbox's
# own round trip (GET_INFO); with the module's spin for the answer off
# (enclave_spin_us=0) and on, alternating, to show where the round trip
# goes. Then what a tenant's VM gets, measured from the VMM's side
# (selftests/worker/serve_bench plays QEMU on the swtpm data channel):
# `vmshield-worker serve` with its vTPM in the worker against `serve
# --vtpm-in-enclave`, BENCH_VTPM_ROUNDS interleaved rounds (the order
# swapped every round) of BENCH_VTPM_SECONDS (default 1) per command,
# each ratio the median of the per-round ratios. Not a test: nothing is
# asserted but that every call succeeded.
set -u
if [[ -z ${BENCH_VTPM_SESSION:-} ]]; then
	export BENCH_VTPM_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$(readlink -f "$0")")/../worker/lib.sh"
BENCH=$REPO/build/bin/vms-vtpm_bench
echo "TAP version 13"
echo "1..2"
if [[ ${VMS_PLACEMENT:-} != hypervisor ]]; then
	echo "ok 1 bench_vtpm # SKIP not booted with --placement hypervisor"
	echo "ok 2 bench_vtpm serve # SKIP not booted with --placement hypervisor"
	exit 4
fi
DIR=$(mktemp -d /run/vms-bench-vtpm.XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT
head -c 32 /dev/urandom >"$DIR/tk"
# the bench's ids: "vm-id-for-bench!", "key-id-for-bench"
VM=766d2d69-642d-666f-722d-62656e636821
KID=6b65792d69642d666f722d62656e6368
if ! enclave_public "$DIR/enclave.pub" ||
	! make_release "$DIR/rel" "$VM" "$KID" "$DIR/tk" encryption-supported "$DIR/enclave.pub" ||
	! KEY=$(load_release "$VM" "$DIR/rel"); then
	echo "not ok 1 bench_vtpm: cannot release a key to the enclave"
	echo "not ok 2 bench_vtpm serve: no key"
	exit 1
fi
# Where the round trip's time goes: the module's wait for the answer
# without its spin (enclave_spin_us=0: the guest sleeps between looks,
# each wake-up an emulated timer) and with it (the default), alternating
# for BENCH_VTPM_ROUNDS rounds, since a shared machine's load moves more
# between minutes than between the two. BENCH_VTPM_SPINS="0 200 1000"
# alternates other values (microseconds) instead.
SPIN=/sys/module/vmshield/parameters/enclave_spin_us
spin=$(cat "$SPIN")
cd "$DIR" || exit 1
rc=0
for round in $(seq 1 "${BENCH_VTPM_ROUNDS:-3}"); do
	for s in ${BENCH_VTPM_SPINS:-0 $spin}; do
		echo "$s" >"$SPIN"
		TMPDIR=$DIR "$BENCH" --device "$KEY" 2>"$DIR/err" |
			sed "s/^bench: vtpm /bench: vtpm (round $round, enclave_spin_us=$s) /; s/^/# /"
		rc=${PIPESTATUS[0]}
		((rc == 0)) || break 2
	done
done
echo "$spin" >"$SPIN"
if ((rc == 0)); then
	echo "ok 1 bench_vtpm"
else
	diag <"$DIR/err"
	echo "not ok 1 bench_vtpm"
fi

# --- 2: the VMM's side: serve's local vTPM vs serve --vtpm-in-enclave ---
# Its own key (the bench's vTPM record in the enclave keeps its
# generation floor: a new vTPM for the same key would be refused), the
# local state provisioned (sealed through the mailbox) as a host does.
SB=$REPO/build/selftests/worker/serve_bench
SECS=${BENCH_VTPM_SECONDS:-1}
VM2=$(new_uuid)
head -c 32 /dev/urandom >"$DIR/tk2"
wait_sock() { for _ in $(seq 200); do [[ -S $1 ]] && return 0; sleep 0.05; done; return 1; }
# run_serve OUT [--vtpm-in-enclave]: one serve, serve_bench on its socket
run_serve() {
	local out=$1 state=$DIR/local.state
	shift
	[[ $# -gt 0 ]] && state=$DIR/enclave.state
	rm -f "$DIR/ws.sock"
	"$WORKER" serve "$@" --vm "$VM2" --state "$state" --key "$KEY2" \
		--ctrl "type=unixio,path=$DIR/ws.sock" >>"$DIR/serve.log" 2>&1 &
	local pid=$!
	if ! wait_sock "$DIR/ws.sock" || ! "$SB" "$DIR/ws.sock" "$SECS" --extend >>"$out"; then
		kill "$pid" 2>/dev/null
		wait "$pid"
		return 1
	fi
	wait "$pid"
}
rc2=0
if ! make_release "$DIR/rel2" "$VM2" "$(new_key_id)" "$DIR/tk2" encryption-supported "$DIR/enclave.pub" ||
	! KEY2=$(load_release "$VM2" "$DIR/rel2") ||
	! "$WORKER" provision --vm "$VM2" --state "$DIR/local.state" --key "$KEY2" \
		--no-persistent-key >>"$DIR/serve.log" 2>&1; then
	rc2=1
fi
: >"$DIR/local.txt"
: >"$DIR/enclave.txt"
for ((r = 1; rc2 == 0 && r <= ${BENCH_VTPM_ROUNDS:-3}; r++)); do
	if ((r % 2)); then
		run_serve "$DIR/local.txt" && run_serve "$DIR/enclave.txt" --vtpm-in-enclave || rc2=1
	else
		run_serve "$DIR/enclave.txt" --vtpm-in-enclave && run_serve "$DIR/local.txt" || rc2=1
	fi
done
if ((rc2 == 0)); then
	echo "# bench: vtpm serve, the VMM's side: serve_bench on the swtpm data channel of vmshield-worker serve, vTPM in the worker (local) vs --vtpm-in-enclave, ${BENCH_VTPM_ROUNDS:-3} interleaved rounds of ${SECS}s per command; load average $(cut -d' ' -f1-3 /proc/loadavg) in the guest"
	python3 - "$DIR/local.txt" "$DIR/enclave.txt" <<'PY'
import statistics, sys
rd = lambda f: [dict(zip(l.split()[::2], map(float, l.split()[1::2]))) for l in open(f)]
lo, en = rd(sys.argv[1]), rd(sys.argv[2])
for k, name in (("getrandom", "GetRandom(32)"), ("pcrread", "PCR_Read"),
                ("pcrextend", "PCR_Extend"), ("nvwrite", "NV_Write(32)")):
    rs = [e[k] / l[k] for l, e in zip(lo, en)]
    print(f"# bench: vtpm serve {name:<13} local {statistics.median(l[k] for l in lo):7.0f}/s"
          f"  enclave {statistics.median(e[k] for e in en):7.0f}/s  ratio {statistics.median(rs):.2f}"
          f" (rounds: {' / '.join(f'{x:.2f}' for x in rs)})")
PY
	echo "ok 2 bench_vtpm serve"
else
	diag <"$DIR/serve.log"
	echo "not ok 2 bench_vtpm serve"
fi
((rc == 0)) && rc=$rc2
exit "$rc"
