#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 21, end to end: the vTPM generation floor through the real agent,
# the real hgsd, the real module and the real vmshield-enclaved (boot 4;
# after 03 raised lockdown in the soak, alone at lockdown none).
#   * hyp-floor (encryption-supported, --require-vtpm-in-enclave): `serve
#     --vtpm-in-enclave` starts a new vTPM, TPM2_Startup stores it; that
#     state and its statement are kept (old). The next start sends the
#     statement; an NV index is written (the generation rises); a third
#     start sends the new statement: HGS's record (`shieldctl vm status`,
#     through the control channel) names that generation.
#   * Root puts back the old state and the old statement: KPS refuses the
#     release (VtpmGenerationStale), nothing loads, HGS's record is the
#     same text as before. The old state with the current statement: KPS
#     releases with the floor (flag bit 2) and the enclave refuses the
#     CREATE (ESTALE); HGS's generation unchanged.
#   * The current state and statement put back: the VM starts again.
. "$(dirname "$0")/hyplib.sh"
plan 12
VTPM=$R/build/bin/vmshield-worker
PROBE=$R/selftests/worker/vmm_probe.py
VM=hyp-floor
NVX=0x01500031
RUNDIR=$(mktemp -d /run/vms-hyp-floor.XXXXXX) || exit 1
ST=$RUNDIR/$VM.state
LOG=$F/$VM.serve.log
SERVE_PID=
cleanup() {
	[[ -n $SERVE_PID ]] && kill -KILL "$SERVE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$RUNDIR"
}
trap cleanup EXIT

# serve: the worker on $RUNDIR/ctrl for $VM, state $ST; 0 once it listens
serve() {
	SOCK=$RUNDIR/ctrl
	rm -f "$SOCK"
	"$VTPM" serve --vm "$(uuid_of $VM)" --state "$ST" --kp "$F/vms/$VM.kp" \
		--vtpm-in-enclave --ctrl "type=unixio,path=$SOCK" >>"$LOG" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 600); do
		[[ -S $SOCK ]] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

stop_serve() {
	python3 "$PROBE" "$SOCK" shutdown 2>>"$F/$VM.probe.err"
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

# refused_start: a start expected to fail before it serves (bounded);
# its output in $OUT, its exit code in $RC
refused_start() {
	OUT=$(timeout 300 "$VTPM" serve --vm "$(uuid_of $VM)" --state "$ST" \
		--kp "$F/vms/$VM.kp" --vtpm-in-enclave \
		--ctrl "type=unixio,path=$RUNDIR/ctrl" 2>&1)
	RC=$?
	echo "$OUT" >>"$LOG"
	echo "$OUT" | diag
}

# gen_of FILE: the generation a statement file names (its framed body)
gen_of() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
body = b[2:2 + (b[0] << 8 | b[1])].decode()
print([l[11:] for l in body.split("\n") if l.startswith("generation=")][0])
' "$1" 2>/dev/null
}

# hgs_status: HGS's record of the VM (the admin's `shieldctl vm status`,
# or its error)
hgs_status() {
	rm -f "$F/hyp/$VM.status"
	ctl hyp-floor-status >/dev/null
	cat "$F/hyp/$VM.status"
}
hgs_gen() { hgs_status | sed -n 's/^vtpm_generation: //p'; }

# the NV write that raises the generation (an ordinary index, owner auth)
nv_write() {
	PYTHONPATH=$R/selftests/worker python3 -c '
import struct, sys, vmm_probe as p
sock, d = p.connect(sys.argv[1])
idx, data = int(sys.argv[2], 0), b"issue 21 floor"
rc = p.nv_define(d, idx, len(data))
rc = rc or p.tpm(d, 0x137, struct.pack(">II", p.OWNER, idx) + p.PW_SESSION +
                 struct.pack(">H", len(data)) + data + struct.pack(">H", 0), tag=0x8002)[0]
if rc:
    sys.exit(f"NV define/write: 0x{rc:x}")
' "$SOCK" "$NVX" 2>>"$F/$VM.probe.err"
}

ctl hyp-platform-add >/dev/null 2>&1	# alone, this test registers it
check "the agent attests: placement hypervisor" \
	eval 'start_agent agent && wait_state valid 90 && [[ $(status_q .attestation.certificate.placement) == hypervisor ]]'

# --- a new vTPM, then an older state kept, then the generation raised --------
serve && python3 "$PROBE" "$SOCK" init 2>>"$F/$VM.probe.err"
stop_serve
mkdir -p "$RUNDIR/old"
cp -p "$ST" "$ST.statement" "$RUNDIR/old/" 2>/dev/null
g_old=$(gen_of "$RUNDIR/old/$VM.state.statement")
echo "kept: the state and the statement of generation $g_old" | diag
check "a new vTPM in the enclave, started (TPM2_Startup stored): its statement next to the state (generation ${g_old:-none})" \
	eval '[[ $g_old =~ ^[0-9]+$ ]] && grep -q "vTPM started in the enclave (new" "$LOG"'
check "HGS holds no record of the VM yet (never rolled, and the first release had no statement): NoSuchObject" \
	eval 'hgs_status | grep -q "NoSuchObject"'

serve && python3 "$PROBE" "$SOCK" init 2>>"$F/$VM.probe.err" && nv_write
nv_rc=$?
stop_serve
g_new=$(gen_of "$ST.statement")
check "started from the stored state, NV written: the statement's generation rose ($g_old -> ${g_new:-none})" \
	eval '((nv_rc == 0)) && [[ $g_new =~ ^[0-9]+$ ]] && ((g_new > g_old))'
serve
started=$?
stop_serve
hgs_status >"$RUNDIR/status.before"
diag <"$RUNDIR/status.before"
check "the next start carried that statement: HGS's record (shieldctl vm status) says vtpm_generation: $g_new" \
	eval '((started == 0)) && grep -qx "vtpm_generation: $g_new" "$RUNDIR/status.before"'
# the stored state is the current one (a start from it stores nothing)
g_cur=$(gen_of "$ST.statement")
mkdir -p "$RUNDIR/cur"
cp -p "$ST" "$ST.statement" "$RUNDIR/cur/"

# --- root puts back the older state and the older statement -----------------
cp -p "$RUNDIR/old/$VM.state" "$RUNDIR/old/$VM.state.statement" "$RUNDIR/"
refused_start
check "the old state with its old statement: KPS refuses the release (VtpmGenerationStale)" \
	eval '((RC != 0 && RC != 124)) && grep -q "no key for VM .*VtpmGenerationStale" <<<"$OUT"'
check "... no key loaded, the enclave never asked for a vTPM" \
	eval '! grep -q "loaded VM .* key into vmshield.ko\|vTPM started in the enclave" <<<"$OUT"'
hgs_status >"$RUNDIR/status.stale"
check "... and HGS's record is unchanged (the same status text: the generation, the host of its statement)" \
	cmp -s "$RUNDIR/status.before" "$RUNDIR/status.stale"

# --- the older state with the current statement: the floor in the release ----
cp -p "$RUNDIR/cur/$VM.state.statement" "$RUNDIR/"
refused_start
check "the old state with the current statement: released with the floor, the enclave refuses the CREATE (ESTALE)" \
	eval '((RC != 0 && RC != 124)) && grep -q "loaded VM .* key into vmshield.ko" <<<"$OUT" &&
		grep -q "older than the enclave.s generation for this VM (a rollback)" <<<"$OUT"'
check "... the statement file is the current one still, HGS's generation unchanged ($g_new)" \
	eval '[[ $(gen_of "$ST.statement") == "$g_cur" && $(hgs_gen) == "$g_new" ]]'

# --- the current state again ---------------------------------------------------
cp -p "$RUNDIR/cur/$VM.state" "$RUNDIR/"
serve && python3 "$PROBE" "$SOCK" init 2>>"$F/$VM.probe.err"
started=$?
stop_serve
check "the current state and statement: the VM's vTPM starts again (generation $g_cur) and takes TPM2_Startup" \
	eval '((started == 0)) && grep -q "vTPM started in the enclave (from the sealed state, generation $g_cur)" "$LOG"'
check "... HGS's generation is still $g_new (nothing lowered it)" \
	eval '[[ $(hgs_gen) == "$g_new" ]]'
cp "$LOG" "$F/hyp/$VM.serve.log" 2>/dev/null
finish
