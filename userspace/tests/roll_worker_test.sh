#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roll_worker_test.sh SHIELDCTL [HGSD] - vmshield-worker --roll without a
# module or an agent (Documentation/worker.md, "The TK roll"): the option
# refused where it does not apply, with nothing written; and the settling
# of a roll a crash interrupted, on real KP and sealed-state files: a
# KP.new whose key id the state's header names replaces the KP, any
# other KP.new is removed, and without one nothing changes; each time the
# start then stops at the missing agent (exit 3, "try again", as a plain
# release). Prints TAP; exits 1 on failure.
set -u
S=${1:?usage: roll_worker_test.sh path/to/shieldctl}
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")	# the test cds away
W=$(dirname "$S")/vmshield-worker
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-roll-worker.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# fails NAME RC PATTERN CMD...: exit RC and PATTERN in the output
fails() {
	name=$1 want=$2 pat=$3; shift 3
	"$@" >out.txt 2>&1; rc=$?
	if [ $rc -ne "$want" ]; then nok "$name" "exit $rc, want $want" "$(cat out.txt)"; return; fi
	if ! grep -q -- "$pat" out.txt; then nok "$name" "output lacks '$pat'" "$(cat out.txt)"; return; fi
	ok "$name"
}
same() { cmp -s "$1" "$2"; }
keyid() { "$S" kp show --in "$1" | awk '/^key_id:/ { print $2 }'; }

VM=6f1c2a5e-930d-4b71-8a42-0c5de177309b
NOAGENT="$T/no-agent"
"$S" guardian new --name owner --out owner.guardian >/dev/null 2>&1 &&
	"$S" kp new --owner owner.guardian --vm-id $VM --policy shielded \
		--out cur.kp --tk-out cur.tk >/dev/null 2>&1 &&
	"$S" kp new --owner owner.guardian --vm-id $VM --policy shielded \
		--out next.kp --tk-out next.tk >/dev/null 2>&1 &&
	head -c 2000 /dev/urandom >plain ||
	{ echo "1..0 # SKIP cannot make the KPs"; exit 0; }
seal() {	# seal TKNAME KP: the state under that TK, as generation 3
	"$S" crypto state-seal --tk "$1.tk" --vm-id $VM --key-id "$(keyid "$2")" \
		--generation 3 --in plain --out state >/dev/null
}

# the option where it does not apply: usage errors, nothing written
fails "--roll with --key is a usage error" 2 "--roll goes with --kp" \
	"$W" resume --vm $VM --state st --key 5 --roll
fails "provision does not take --roll" 2 "does not take --roll" \
	"$W" provision --vm $VM --state st --kp cur.kp --roll
[ -e st ] && nok "no state file made when refused" || ok "no state file made when refused"
# with the vTPM in the enclave the roll is built (the enclave re-seals):
# it goes to the agent like any other start, nothing written before
fails "--roll with --vtpm-in-enclave goes to the agent" 3 "is hgs-agent running" \
	"$W" serve --vm $VM --state st --kp cur.kp --roll --vtpm-in-enclave \
	--agent "$NOAGENT" --ctrl type=unixio,path="$T/ctrl"
[ -e st ] || [ -e cur.kp.new ] && nok "... no state file, no KP.new" ||
	ok "... no state file, no KP.new"

# no KP.new: the start goes to the agent, nothing changes
cp cur.kp kp
seal cur cur.kp
cp state state.before
fails "without KP.new the start stops at the missing agent" 3 "is hgs-agent running" \
	"$W" resume --vm $VM --state state --kp kp --roll --agent "$NOAGENT"
same kp cur.kp && same state state.before && [ ! -e kp.new ] &&
	ok "nothing changed" || nok "nothing changed"

# KP.new of a roll that never re-sealed (the state is under KP): removed
cp next.kp kp.new
fails "a KP.new the state is not under is removed" 3 "never re-sealed the state" \
	"$W" resume --vm $VM --state state --kp kp --roll --agent "$NOAGENT"
[ ! -e kp.new ] && same kp cur.kp && same state state.before &&
	ok "KP and state untouched, KP.new gone" || nok "KP and state untouched, KP.new gone"

# KP.new of a roll that re-sealed (the state is under KP.new): kept
seal next next.kp
cp state state.before
cp next.kp kp.new
fails "a KP.new the state is under replaces the KP" 3 "had re-sealed the state" \
	"$W" resume --vm $VM --state state --kp kp --roll --agent "$NOAGENT"
[ ! -e kp.new ] && same kp next.kp && same state state.before &&
	ok "the KP is the rolled one, the state untouched" ||
	nok "the KP is the rolled one, the state untouched"

# the same settling for serve --vtpm-in-enclave (the state sealed in the
# enclave carries the same header)
cp cur.kp kp
cp next.kp kp.new
fails "serve --vtpm-in-enclave: a KP.new the state is under replaces the KP" 3 \
	"had re-sealed the state" "$W" serve --vm $VM --state state --kp kp --roll \
	--vtpm-in-enclave --agent "$NOAGENT" --ctrl type=unixio,path="$T/ctrl"
[ ! -e kp.new ] && same kp next.kp && same state state.before &&
	ok "... the KP is the rolled one, the state untouched" ||
	nok "... the KP is the rolled one, the state untouched"

# a KP.new that is not a KP: removed, the KP kept
echo garbage >kp.new
fails "a KP.new that is no KP is removed" 3 "never re-sealed the state" \
	"$W" resume --vm $VM --state state --kp kp --roll --agent "$NOAGENT"
[ ! -e kp.new ] && same kp next.kp && ok "the KP kept" || nok "the KP kept"

# the state of another VM is refused before anything is settled
cp cur.kp kp.new
"$S" crypto state-seal --tk cur.tk --vm-id 11111111-2222-4333-8444-555555555555 \
	--key-id "$(keyid cur.kp)" --generation 3 --in plain --out other >/dev/null
fails "another VM's state is refused before KP.new is touched" 1 "not of VM" \
	"$W" resume --vm $VM --state other --kp kp --roll --agent "$NOAGENT"
same kp.new cur.kp && same kp next.kp && ok "KP and KP.new untouched" ||
	nok "KP and KP.new untouched"

echo "1..$n"
exit $failed
