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
# goes. Not a test: nothing is asserted but that every call succeeded.
set -u
if [[ -z ${BENCH_VTPM_SESSION:-} ]]; then
	export BENCH_VTPM_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$(readlink -f "$0")")/../worker/lib.sh"
BENCH=$REPO/build/bin/vms-vtpm_bench
echo "TAP version 13"
echo "1..1"
if [[ ${VMS_PLACEMENT:-} != hypervisor ]]; then
	echo "ok 1 bench_vtpm # SKIP not booted with --placement hypervisor"
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
	exit 1
fi
# Where the round trip's time goes: the module's wait for the answer
# without its spin (enclave_spin_us=0: the guest sleeps between looks,
# each wake-up an emulated timer) and with it (the default), alternating
# for BENCH_VTPM_ROUNDS rounds, since a shared machine's load moves more
# between minutes than between the two.
SPIN=/sys/module/vmshield/parameters/enclave_spin_us
spin=$(cat "$SPIN")
cd "$DIR" || exit 1
rc=0
for round in $(seq 1 "${BENCH_VTPM_ROUNDS:-3}"); do
	for s in 0 "$spin"; do
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
exit "$rc"
