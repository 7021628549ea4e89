#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`, run by the rig inside the guarded host
# (vmshield.ko loaded) with DEMO_DIR (the host's disk, shared), DEMO_PHASE
# (provision | poweron) and DEMO_VM (VM01's id). Prints TAP for the rig
# and appends each step, as it happens, to $DEMO_DIR/progress, which
# scripts/demo.sh shows.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
D=${DEMO_DIR:?} VM=${DEMO_VM:?}
AGENT=$REPO/build/bin/hgs-agent
WORKER=$REPO/build/bin/vmshield-worker
SHIELDCTL=$REPO/build/bin/shieldctl
CONF=$D/agent.conf
SOCK=/run/vmshield/agent.sock
N=0 FAILED=0
AGENT_PID=

say() { echo "demo:   $*" | tee -a "$D/progress" >/dev/null; echo "# $*"; }
step() { say "step $1: $2"; }
check() {
	local d=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N $d"
	else
		echo "not ok $N $d"
		FAILED=1
		say "FAILED: $d"
	fi
}
finish() {
	[[ -n $AGENT_PID ]] && kill -TERM "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	echo "1..$N"
	exit $FAILED
}
# the value of "key=value" in the agent's log line for event EVENT
agent_event() { grep "event=$1 " "$D/agent.log" | tail -1; }
json() { jq -r "$1" 2>/dev/null; }

echo "TAP version 13"
say "guarded host up: $(uname -r), TPM $(ls /dev/tpmrm0 2>/dev/null), vmshield.ko $(cat /sys/module/vmshield/version 2>/dev/null)"
echo confidentiality >/sys/kernel/security/lockdown
level=$("$SHIELDCTL" host info --json | json .isolation_level)
pk=$("$SHIELDCTL" host info --json | json .enclave_pk)
say "lockdown raised to confidentiality: the module reports $level, enclave key ${pk:0:16}... (new every boot)"
check "kernel-locked" test "$level" = kernel-locked

if [[ $DEMO_PHASE == poweron ]]; then
	step 1 "the worker is asked to start VM01 (shielded); its vTPM state on disk is sealed, it needs VM01's transport key (TK)"
fi

# The agent attests at start (steps 2 to 4).
setsid "$AGENT" -c "$CONF" >>"$D/agent.log" 2>&1 </dev/null &
AGENT_PID=$!
for ((i = 0; i < 600; i++)); do
	st=$("$AGENT" status --json -c "$CONF" 2>/dev/null | json .attestation.state)
	[[ $st == valid ]] && break
	kill -0 "$AGENT_PID" 2>/dev/null || break
	sleep 0.2
done
check "the agent attested" test "$st" = valid
status=$("$AGENT" status --json -c "$CONF" 2>/dev/null)
cert=$D/agent-state/health.pem
if [[ $DEMO_PHASE == poweron ]]; then
	step 2 "hgs-agent asks HGS for a nonce and signs it with the host key, together with the enclave key ${pk:0:16}... and the module's isolation report (level=$level)"
	policies=$(openssl x509 -in "$cert" -noout -text 2>/dev/null |
		grep -A1 '2.25.212576768317686907703832469953166166086.1.3' | tail -1 | sed 's/^[^a-z]*//')
	step 3 "HGS checks the evidence: ${policies:-see the hgsd log}"
	step 4 "HGS returns a health certificate: $(openssl x509 -in "$cert" -noout -subject 2>/dev/null | sed 's/^subject=//'), key = the enclave key, valid until $(openssl x509 -in "$cert" -noout -enddate 2>/dev/null | sed 's/notAfter=//')"
else
	say "hgs-agent attested: health certificate for $(echo "$status" | json .attestation.certificate.subject_cn), $(echo "$status" | json .attestation.certificate.isolation_level)"
fi

if [[ $DEMO_PHASE == provision ]]; then
	say "the worker asks hgs-agent for VM01's key (KP $D/vm01.kp); HGS releases it to this enclave"
	"$WORKER" provision --vm "$VM" --state "$D/vm01.vtpm" --agent "$SOCK" \
		--kp "$D/vm01.kp" --nv-text "$(cat "$D/vm01.tag")" >"$D/worker.out" 2>&1
	rc=$?
	sed 's/^/demo:     /' "$D/worker.out" >>"$D/progress"
	check "VM01's vTPM provisioned and sealed" test $rc = 0 -a -s "$D/vm01.vtpm"
	finish
fi

step 5 "the worker hands VM01's KP to hgs-agent, which sends KPS its health certificate and the KP"
"$WORKER" resume --vm "$VM" --state "$D/vm01.vtpm" --agent "$SOCK" --kp "$D/vm01.kp" \
	--expect "$(cat "$D/vm01.tag")" >"$D/worker.out" 2>&1
rc=$?
rel=$(agent_event released)
step 6 "KPS verified the certificate (signer, validity, host still registered), the KP (owner's signature, lists this HGS's guardian) and the policy (shielded needs kernel-locked, a registered worker): $(echo "$rel" | grep -o 'policy=[^ ]*')"
step 7 "KPS unwrapped the TK with its guardian key and wrapped it to the enclave key (HPKE): only this enclave can open it ($(echo "$rel" | grep -o 'lifetime_s=[^ ]*'))"
step 8 "hgs-agent loaded the wrapped key into vmshield.ko, the enclave opened it; the worker unsealed VM01's state and resumed its vTPM:"
sed 's/^/demo:     /' "$D/worker.out" >>"$D/progress"
check "VM01's vTPM resumed with the tenant's tag" test $rc = 0
check "the tag came out of the vTPM" grep -qF "$(cat "$D/vm01.tag")" "$D/worker.out"
say "and the same state to a program that is not the registered worker (root, non-dumpable, same key):"
key=$("$AGENT" status --json -c "$CONF" 2>/dev/null |
	json ".keys.loaded_keys[] | select(.vm_id==\"$VM\") | .serial" | tail -1)
out=$("$REPO/build/selftests/worker/unseal_probe" "$key" "$D/vm01.vtpm" 2>&1)
rc=$?
say "  unseal_probe: $(echo "$out" | tail -1)"
check "another program cannot unseal VM01's state (EACCES)" test -n "$key" -a "$rc" = 13
finish
