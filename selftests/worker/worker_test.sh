#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# worker_test.sh - vmshield-worker with a real vTPM against vmshield.ko, in
# the guarded-host rig after lockdown (shielded keys need kernel-locked):
#
#   selftests/vm/run --lockdown confidentiality --share DIR \
#       --env WORKER_DIR=DIR $PWD/selftests/worker/worker_test.sh
#
# Builds key releases for the running enclave (shielded VM01, VM02, VM03
# and encryption-supported VM04), then: provision -> resume proves the NV
# content; run -> reseals -> resume shows the last counter; another VM's
# state, a tampered or truncated file, a rollback, another program, a
# dumpable caller are each refused with a clear message and the file
# unchanged. TAP on stdout; exit 0 pass, 1 fail, 4 skip.
set -u -o pipefail
# A session keyring of our own, so the keys die with the test.
if [[ -z ${WORKER_TEST_SESSION:-} ]]; then
	export WORKER_TEST_SESSION=1
	exec keyctl session - "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"
if [[ ! -x $WORKER || ! -x $PROBE ]]; then
	echo "1..0 # SKIP build first: $WORKER, $PROBE"
	exit 4
fi
DIR=${WORKER_DIR:-/tmp}/worker-test.$$
rm -rf "$DIR" && mkdir -p "$DIR" || exit 1
trap 'rm -rf "$DIR"' EXIT
if ! enclave_public "$DIR/enclave.pub" locked; then
	echo "1..0 # SKIP needs a kernel-locked host (run with --lockdown confidentiality)"
	exit 4
fi

WD=$(sha256 "$WORKER")
PD=$(sha256 "$PROBE")
WIMG=$(image_digests "$WORKER" | tr '\n' ' ')
PIMG=$(image_digests "$PROBE" | tr '\n' ' ')
declare -A VM KEY
for v in 1 2 3 4; do
	VM[$v]=$(new_uuid)
	head -c 32 /dev/urandom >"$DIR/vm0$v.tk"
done
make_release "$DIR/vm01.rel" "${VM[1]}" "$(new_key_id)" "$DIR/vm01.tk" shielded "$DIR/enclave.pub" $WIMG &&
make_release "$DIR/vm02.rel" "${VM[2]}" "$(new_key_id)" "$DIR/vm02.tk" shielded "$DIR/enclave.pub" $WIMG &&
make_release "$DIR/vm03.rel" "${VM[3]}" "$(new_key_id)" "$DIR/vm03.tk" shielded "$DIR/enclave.pub" $WIMG $PIMG &&
make_release "$DIR/vm04.rel" "${VM[4]}" "$(new_key_id)" "$DIR/vm04.tk" encryption-supported "$DIR/enclave.pub"
check "key releases built for the running enclave (worker digest ${WD:0:16}...)" test $? -eq 0
for v in 1 2 3 4; do
	KEY[$v]=$(load_release "${VM[$v]}" "$DIR/vm0$v.rel") || KEY[$v]=0
done
check "four releases loaded as vmshield keys (${KEY[*]})" \
	test "${KEY[1]}" -gt 0 -a "${KEY[2]}" -gt 0 -a "${KEY[3]}" -gt 0 -a "${KEY[4]}" -gt 0

S1=$DIR/vm01.state S2=$DIR/vm02.state S3=$DIR/vm03.state S4=$DIR/vm04.state
OUT=$DIR/out

# w ARGS...: run the worker, output in $OUT; its exit status
w() { "$WORKER" "$@" >"$OUT" 2>&1; local rc=$?; diag <"$OUT"; return $rc; }
has() { grep -qF -- "$1" "$OUT"; }
# refused WHAT FILE TEXT ARGS...: the worker fails, says TEXT, FILE unchanged
refused() {
	local what=$1 file=$2 text=$3 before rc
	shift 3
	before=$(sha256 "$file")
	w "$@"; rc=$?
	if ((rc != 0)) && has "$text" && [[ $(sha256 "$file") == "$before" ]]; then
		ok "$what"
	else
		not_ok "$what (exit $rc, wanted '$text', file unchanged: $([[ $(sha256 "$file") == "$before" ]] && echo yes || echo no))"
	fi
}

# --- provision -> resume -------------------------------------------------
w provision --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --nv-text "VM01 tag 42"
check "provision VM01: fresh TPM, NV index, sealed generation 1" \
	eval 'has "manufactured a fresh TPM 2.0" && has "holds '"'"'VM01 tag 42'"'"'" && has "sealed orderly state generation 1" && test -s "$S1"'
PNAME=$(sed -n 's/.*persistent key 0x81000001 name \([0-9a-f]*\)/\1/p' "$OUT")
check "provision printed the persistent key's name" test -n "$PNAME"
check "the sealed file is a VMSS blob of VM01 (not plaintext)" \
	eval '[[ $(head -c 4 "$S1") == VMSS ]] && ! grep -qa "VM01 tag 42" "$S1"'
check "no temporary or plaintext file left next to it" \
	eval '[[ $(ls -A "$DIR" | grep -c "vm01.state") == 2 ]]'   # state + lock

w resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --expect "VM01 tag 42"
check "resume VM01: unsealed generation 1, Startup(STATE), NV content matches" \
	eval 'has "unsealed state generation 1" && has "resumed with Startup(STATE)" && has "NV content matches --expect"'
check "resume VM01: the persistent key survived (same name)" has "name $PNAME"
refused "resume --expect with other text fails, says what it found" "$S1" \
	"holds 'VM01 tag 42', expected 'something else'" \
	resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --expect "something else"
w resume --vm "${VM[1]}" --state "$S1" --key-desc "vm:${VM[1]^^}" --expect "VM01 tag 42"
check "--key-desc vm:UUID finds the key in the session keyring" test $? -eq 0
refused "provision over an existing state file is refused" "$S1" "already exists" \
	provision --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}"

# --- run -> reseals -> resume ---------------------------------------------
w run --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --reseal-every 0 --count 5
check "run: 5 periodic seals (generations 2..6) and an orderly one (7)" \
	eval '[[ $(grep -c "sealed generation" "$OUT") == 5 ]] && has "sealed generation 6 counter" && has "sealed orderly state generation 7"'
LAST=$(sed -n 's/.*sealed generation 6 counter \([0-9]*\).*/\1/p' "$OUT")
FIRST=$(sed -n 's/.*sealed generation 2 counter \([0-9]*\).*/\1/p' "$OUT")
check "run: the counter went up by one per seal ($FIRST..$LAST)" \
	test -n "$LAST" -a -n "$FIRST" -a "$((LAST - FIRST))" -eq 4
w resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --expect "VM01 tag 42" --min-generation 7
check "resume after run: generation 7, counter $LAST, tag intact" \
	eval 'has "unsealed state generation 7" && has "= $LAST" && has "NV content matches"'

# A state sealed while running (the VM killed) restarts with Startup(CLEAR).
w run --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --reseal-every 0 --count 1
cp "$S1" "$DIR/orderly.copy"
"$WORKER" run --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --reseal-every 60000 >"$OUT" 2>&1 &
RUNPID=$!
for _ in $(seq 200); do grep -q "sealed generation" "$OUT" && break; pause 0.1; done
kill -KILL "$RUNPID"; wait "$RUNPID" 2>/dev/null
RUNGEN=$(sed -n 's/.*sealed generation \([0-9]*\) counter.*/\1/p' "$OUT" | tail -1)
w resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --min-generation "${RUNGEN:-999}"
check "a worker killed after a seal: its last seal (generation $RUNGEN) resumes with Startup(CLEAR)" \
	eval 'has "unsealed state generation $RUNGEN" && has "Startup(CLEAR)" && has "VM01 tag 42"'

# --- one worker per state file ----------------------------------------------
"$WORKER" run --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --reseal-every 100 --count 30 >"$DIR/bg.out" 2>&1 &
BGPID=$!
for _ in $(seq 200); do grep -q "sealed generation" "$DIR/bg.out" && break; pause 0.1; done
w resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}"
rc=$?
check "a second worker on the same state file is refused (in use)" \
	eval '((rc != 0)) && has "in use by another vmshield-worker"'
wait "$BGPID"
check "the first worker finished its 30 seals undisturbed" test $? -eq 0
LASTGEN=$(sed -n 's/.*sealed orderly state generation \([0-9]*\).*/\1/p' "$DIR/bg.out")
diag <<<"last generation $LASTGEN"

w status --state "$S1"
check "status: key=value header of VM01's file, generation $LASTGEN, no worker" \
	eval 'has "vm=${VM[1]} " && has "generation=$LASTGEN " && has "worker=none"'
"$WORKER" run --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --reseal-every 60000 >"$DIR/bg.out" 2>&1 &
BGPID=$!
for _ in $(seq 200); do grep -q "sealed generation" "$DIR/bg.out" && break; pause 0.1; done
w status --state "$S1"
check "status while a worker runs says worker=running" has "worker=running"
kill -TERM "$BGPID"; wait "$BGPID"
rc=$?
check "SIGTERM: the worker stops with an orderly seal" \
	eval '((rc == 0)) && grep -q "stop requested" "$DIR/bg.out" && grep -q "sealed orderly state" "$DIR/bg.out"'
LASTGEN=$(sed -n 's/.*sealed orderly state generation \([0-9]*\).*/\1/p' "$DIR/bg.out")
head -c 300 /dev/zero | tr "\\0" x >"$DIR/notsealed"
refused "status of a file that is not sealed state says so" "$DIR/notsealed" "not a sealed-state file" \
	status --state "$DIR/notsealed"

# --- another VM's state ------------------------------------------------------
w provision --vm "${VM[2]}" --state "$S2" --key "${KEY[2]}" --nv-text "VM02 tag"
check "provision VM02" test $? -eq 0
refused "VM01's state offered as VM02's (VM02's key) is refused before unsealing" \
	"$S1" "holds the sealed state of VM ${VM[1]}, not of VM ${VM[2]}" \
	resume --vm "${VM[2]}" --state "$S1" --key "${KEY[2]}"
refused "VM01's state with VM02's key under VM01's name is refused" \
	"$S1" "not this VM's key" \
	resume --vm "${VM[1]}" --state "$S1" --key "${KEY[2]}"
# Rewrite the header's VM id to VM02's: now only the module can tell.
cp "$S1" "$DIR/relabelled"
xxd -r -p <<<"${VM[2]//-/}" | dd of="$DIR/relabelled" bs=1 seek=8 conv=notrunc status=none
refused "VM01's blob relabelled as VM02's: the module refuses it (another key id)" \
	"$DIR/relabelled" "belongs to another VM or key id" \
	resume --vm "${VM[2]}" --state "$DIR/relabelled" --key "${KEY[2]}"
cmp -s "$S1" "$DIR/relabelled" && not_ok "relabelled copy differs" || true

# --- tampering, truncation, rollback -----------------------------------------
cp "$S1" "$DIR/flipped"
off=$(( $(stat -c %s "$DIR/flipped") / 2 ))
byte=$(dd if="$DIR/flipped" bs=1 skip=$off count=1 status=none | xxd -p)
printf "%02x" $((0x$byte ^ 0x01)) | xxd -r -p | dd of="$DIR/flipped" bs=1 seek=$off conv=notrunc status=none
refused "a bit flipped in the ciphertext: authentication fails" \
	"$DIR/flipped" "failed authentication" \
	resume --vm "${VM[1]}" --state "$DIR/flipped" --key "${KEY[1]}"
head -c $(( $(stat -c %s "$S1") - 7 )) "$S1" >"$DIR/truncated"
refused "a truncated file is refused" "$DIR/truncated" "truncated" \
	resume --vm "${VM[1]}" --state "$DIR/truncated" --key "${KEY[1]}"
head -c 40 "$S1" >"$DIR/short"
refused "a file shorter than a header is refused" "$DIR/short" "truncated" \
	resume --vm "${VM[1]}" --state "$DIR/short" --key "${KEY[1]}"
refused "an older copy offered after generation $LASTGEN was sealed: rollback refused" \
	"$DIR/orderly.copy" "refusing a rollback" \
	resume --vm "${VM[1]}" --state "$DIR/orderly.copy" --key "${KEY[1]}" --min-generation "$LASTGEN"
check "the real state file is still good after all that" \
	"$WORKER" resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}" --expect "VM01 tag 42" --min-generation "$LASTGEN"

# --- who may unseal ----------------------------------------------------------
cp "$WORKER" "$DIR/copied-worker" && printf '\0' >>"$DIR/copied-worker"
diag <<<"copied worker digest $(sha256 "$DIR/copied-worker")"
WORKER=$DIR/copied-worker refused \
	"a copy of the worker with another digest is not an approved worker (EACCES)" \
	"$S1" "not an approved worker" \
	resume --vm "${VM[1]}" --state "$S1" --key "${KEY[1]}"
p() { "$PROBE" "$@" >"$OUT" 2>&1; local rc=$?; diag <"$OUT"; return $rc; }
p "${KEY[1]}" "$S1"
check "another root program (non-dumpable) cannot unseal VM01's state: EACCES" test $? -eq 13
p "${KEY[1]}" "$S1" --dumpable
rc=$?
check "another root program, dumpable, cannot either (EACCES or EPERM)" eval '((rc == 13 || rc == 1))'
w provision --vm "${VM[3]}" --state "$S3" --key "${KEY[3]}" --nv-text "VM03"
check "provision VM03 (release approves the worker and unseal_probe)" test $? -eq 0
p "${KEY[3]}" "$S3" --dumpable
rc=$?
check "an approved program that is dumpable is refused: EPERM, and told to call prctl" \
	eval '((rc == 1)) && has "prctl(PR_SET_DUMPABLE, 0)"'
p "${KEY[3]}" "$S3"
check "the same program non-dumpable is served (the refusal was dumpability)" test $? -eq 0
w resume --vm "${VM[3]}" --state "$S3" --key "${KEY[3]}" --expect VM03
check "the worker resumes VM03 too" test $? -eq 0

# --- an encryption-supported VM ----------------------------------------------
w provision --vm "${VM[4]}" --state "$S4" --key "${KEY[4]}" --nv-text "VM04"
check "provision an encryption-supported VM04" test $? -eq 0
w resume --vm "${VM[4]}" --state "$S4" --key "${KEY[4]}" --expect VM04
check "resume VM04" test $? -eq 0
p "${KEY[4]}" "$S4" --dumpable
check "encryption-supported: any program with the key may unseal (by design)" test $? -eq 0

# --- stale temporaries -------------------------------------------------------
echo junk >"$DIR/.vm04.state.tmp-AbC123"
w resume --vm "${VM[4]}" --state "$S4" --key "${KEY[4]}"
check "a temporary left by a killed worker is removed at start" \
	eval 'has "removed" && [[ ! -e $DIR/.vm04.state.tmp-AbC123 ]]'

echo "1..$T_N"
((T_FAILED == 0))
