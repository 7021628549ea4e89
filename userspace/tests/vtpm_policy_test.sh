#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vtpm_policy_test.sh SHIELDCTL [HGSD] - the vtpm-in-enclave requirement
# of a key protector (Documentation/vtpm-in-enclave.md): shieldctl writes
# and shows it, refuses it without the hypervisor placement, and
# vmshield-worker refuses every local vTPM (provision, run, serve) for
# such a KP before it asks for a key, while serve --vtpm-in-enclave goes
# on. Prints TAP on stdout; exits 1 if any test failed.
set -u
S=${1:?usage: vtpm_policy_test.sh path/to/shieldctl}
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")	# the test cds away
W=$(dirname "$S")/vmshield-worker
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-vtpm-policy.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() {
	name=$1; shift
	if "$@" >check.out 2>&1; then ok "$name"; else nok "$name" "failed: $*" "$(cat check.out)"; fi
}
# fails NAME PATTERN CMD...: exit 1 and PATTERN on stderr
fails() {
	name=$1 pat=$2; shift 2
	"$@" >out.txt 2>err.txt; rc=$?
	if [ $rc -ne 1 ]; then nok "$name" "exit $rc, want 1" "$(cat err.txt)"; return; fi
	if ! grep -q -- "$pat" err.txt; then nok "$name" "stderr lacks '$pat'" "$(cat err.txt)"; return; fi
	ok "$name"
}
# lacks NAME PATTERN CMD...: whatever the exit, PATTERN not on stderr
lacks() {
	name=$1 pat=$2; shift 2
	"$@" >out.txt 2>err.txt
	if grep -q -- "$pat" err.txt; then nok "$name" "stderr has '$pat'" "$(cat err.txt)"; return; fi
	ok "$name"
}

VM=6f1c2a5e-930d-4b71-8a42-0c5de177309b
NEED="requires the VM's vTPM in the enclave"
check "guardian new" "$S" guardian new --name owner --out owner.guardian
check "kp new --require-vtpm-in-enclave" "$S" kp new --owner owner.guardian \
	--vm-id $VM --policy shielded --out vtpm.kp \
	--require-placement hypervisor --require-vtpm-in-enclave
"$S" kp show --in vtpm.kp > show.txt 2>&1
if grep -q '^vtpm: in-enclave$' show.txt && grep -q '^placement: hypervisor$' show.txt; then
	ok "kp show says vtpm: in-enclave"
else
	nok "kp show says vtpm: in-enclave" "$(cat show.txt)"
fi
fails "--require-vtpm-in-enclave without the hypervisor placement" \
	"needs --require-placement hypervisor" "$S" kp new --owner owner.guardian \
	--vm-id $VM --policy shielded --out bad.kp --require-vtpm-in-enclave
[ -e bad.kp ] && nok "no KP written when refused" || ok "no KP written when refused"
check "kp new without it" "$S" kp new --owner owner.guardian --vm-id $VM \
	--policy shielded --out plain.kp
"$S" kp show --in plain.kp | grep -q '^vtpm: any$' && ok "kp show says vtpm: any" ||
	nok "kp show says vtpm: any"

fails "worker serve refuses a local vTPM for the KP" "$NEED" \
	"$W" serve --vm $VM --state st --kp vtpm.kp --agent "$T/no-agent" \
	--ctrl type=unixio,path="$T/ctrl"
fails "worker provision refuses it" "$NEED" \
	"$W" provision --vm $VM --state st --kp vtpm.kp --agent "$T/no-agent"
fails "worker run refuses it" "$NEED" \
	"$W" run --vm $VM --state st --kp vtpm.kp --agent "$T/no-agent"
[ -e st ] && nok "no state file made when refused" || ok "no state file made when refused"
lacks "serve --vtpm-in-enclave goes on (to the agent)" "$NEED" \
	"$W" serve --vm $VM --state st --kp vtpm.kp --agent "$T/no-agent" \
	--ctrl type=unixio,path="$T/ctrl" --vtpm-in-enclave
lacks "a KP without the requirement goes on (to the agent)" "$NEED" \
	"$W" serve --vm $VM --state st2 --kp plain.kp --agent "$T/no-agent" \
	--ctrl type=unixio,path="$T/ctrl"

echo "1..$n"
exit $failed
