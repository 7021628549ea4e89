#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# exitcode_test.sh SHIELDCTL HGSD - every program ends with the statuses
# of vms_exit.h (man/vmshield-exit-codes.7.scd): 2 for a usage error, 3
# when the service it needs cannot be reached, 1 for a refusal or a
# failed check; with --json a failure is one JSON object on stderr that
# parses and names its status. Walks shieldctl, hgsd, hgs-agent,
# vmshield-worker (3 when hgs-agent, or HGS behind it, does not answer
# its key request) and vmshield-enclaved (found next to shieldctl, or
# where AGENT_BIN says). Prints TAP.
set -u
S=${1:?usage: exitcode_test.sh shieldctl hgsd}
H=${2:?usage: exitcode_test.sh shieldctl hgsd}
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
S=$(abspath "$S")
H=$(abspath "$H")
BIN=$(dirname "$S")
A=${AGENT_BIN:-$BIN/hgs-agent}
W=$BIN/vmshield-worker
E=$BIN/vmshield-enclaved
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-exit.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

. "$HERE/tap.sh"

# status NAME WANT CMD...: CMD exits WANT (stderr kept in err.txt)
status() {
	st_name=$1 st_want=$2
	shift 2
	"$@" >out.txt 2>err.txt
	st_rc=$?
	if [ $st_rc -eq "$st_want" ]; then ok "$st_name: exit $st_want"; else
		nok "$st_name: exit $st_want" "exit $st_rc: $*" "$(head -c 600 err.txt)"; fi
}
# json_error NAME WANT CMD...: CMD exits WANT, its stderr is one JSON
# object with status Failed, exit WANT and an error text; stdout empty
json_error() {
	je_name=$1 je_want=$2
	shift 2
	"$@" >out.txt 2>err.txt
	je_rc=$?
	if [ $je_rc -eq "$je_want" ] && [ ! -s out.txt ] && /usr/bin/python3 -c '
import json, sys
o = json.load(open("err.txt"))
sys.exit(not (o["status"] == "Failed" and o["exit"] == int(sys.argv[1]) and o["error"]))' "$je_want"; then
		ok "$je_name: exit $je_want, the error as JSON"
	else
		nok "$je_name: exit $je_want, the error as JSON" "exit $je_rc: $*" "$(head -c 600 err.txt)"
	fi
}

# ---- usage: 2, whatever the program ----
status "shieldctl with no command" 2 "$S"
status "shieldctl unknown command" 2 "$S" frobnicate
status "shieldctl kp new --bogus" 2 "$S" kp new --bogus
status "shieldctl crypto keygen --private (no value)" 2 "$S" crypto keygen --private
status "shieldctl hgs host add (no name)" 2 "$S" hgs host add
status "shieldctl guardian new (no --name)" 2 "$S" guardian new
status "shieldctl tpm (no command)" 2 "$S" tpm
status "shieldctl host nonsense" 2 "$S" host nonsense
status "shieldctl diagnose --bogus" 2 "$S" diagnose --bogus
status "hgsd --bogus" 2 "$H" --bogus
status "hgsd --log-level loud" 2 "$H" --log-level loud -c x.conf
status "hgsd -c a configuration that is not there" 2 "$H" -c "$T/absent.conf"
status "hgsd --init --port 99999" 2 "$H" --init "$T/hbad" --port 99999
status "hgs-agent --bogus" 2 "$A" --bogus
status "hgs-agent --log-level loud" 2 "$A" --log-level loud
status "vmshield-worker frobnicate" 2 "$W" frobnicate
status "vmshield-worker status --bogus" 2 "$W" status --bogus
status "vmshield-enclaved --bogus" 2 "$E" --bogus
check "vmshield-enclaved --version: exit 0, its name and version" sh -c \
	"'$E' --version | grep -Eqx 'vmshield-enclaved [0-9][0-9.]*'"
check "a usage error says what is wrong on stderr, nothing on stdout" sh -c \
	"! '$S' kp new --bogus 2>e.txt >o.txt; grep -q \"unknown option '--bogus'\" e.txt && [ ! -s o.txt ]"

# ---- --opt=value is the same as --opt value ----
status "shieldctl hgs --socket=PATH status (unreachable)" 3 "$S" hgs --socket="$T/none.sock" status
status "shieldctl hgs --json=1 (a flag takes no value)" 2 "$S" hgs --json=1 status

# ---- unreachable: 3 ----
status "shieldctl hgs status, no hgsd at the socket" 3 "$S" hgs --socket "$T/none.sock" status
status "shieldctl hgs status, nothing listening on the URL" 3 \
	"$S" hgs --url https://127.0.0.1:1 --ca /dev/null status
"$H" --init "$T/hgs" --port 0 >/dev/null 2>&1
status "hgsd status, hgsd not running" 3 "$H" status -c "$T/hgs/hgsd.conf"
cat >agent.conf <<EOF
host_name = host01
hgs_url = https://127.0.0.1:1
hgs_ca_file = $T/ca.pem
state_dir = $T/agent
socket = $T/agent.sock
EOF
status "hgs-agent status, the agent not running" 3 "$A" status -c agent.conf
status "hgs-agent --config=FILE --log-level=debug --check-config (getopt_long)" 0 \
	"$A" --config=agent.conf --log-level=debug --check-config

# the worker asking hgs-agent for a VM's key: 3 when nothing answers at
# the socket or the agent says HGS did not answer (try again), 1 when the
# agent refuses; either way no state file is written
VM=6f1c2a5e-930d-4b71-8a42-0c5de177309b
head -c 300 /dev/urandom >vm.kp
status "vmshield-worker provision --kp, no hgs-agent at --agent" 3 \
	"$W" provision --vm $VM --state w1.state --kp vm.kp --agent "$T/none.sock"
check "... says the agent cannot be reached at the socket, try again; no state file" sh -c \
	"grep -q 'hgs-agent cannot be reached at $T/none.sock' err.txt && grep -q 'try again' err.txt && [ ! -e w1.state ]"
# fake_agent SOCKET ANSWER: one answer line to the first request on SOCKET
fake_agent() {
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
f = c.makefile("rb")
f.readline()
c.sendall(sys.argv[2].encode() + b"\n")
c.close()' "$1" "$2" &
	fa_i=0
	while [ ! -S "$1" ] && [ $fa_i -lt 50 ]; do sleep 0.1; fa_i=$((fa_i + 1)); done
}
fake_agent "$T/a1.sock" '{"status":"Failed","source":"kps","substatus":"HgsUnreachable","errno":110,"message":"KPS did not answer before the deadline"}'
status "vmshield-worker provision --kp, the agent says HGS is unreachable" 3 \
	"$W" provision --vm $VM --state w2.state --kp vm.kp --agent "$T/a1.sock"
check "... says so (the agent's message, HGS could not be reached); no state file" sh -c \
	"grep -q 'KPS did not answer before the deadline (kps HgsUnreachable): HGS could not be reached' err.txt && [ ! -e w2.state ]"
fake_agent "$T/a2.sock" '{"status":"Failed","source":"kps","substatus":"KeyProtectorNotForThisHgs","errno":13,"message":"the key protector names none of this HGS guardians"}'
status "vmshield-worker provision --kp, the agent refuses (not unreachable)" 1 \
	"$W" provision --vm $VM --state w3.state --kp vm.kp --agent "$T/a2.sock"
check "... says why; no state file" sh -c \
	"grep -q 'KeyProtectorNotForThisHgs' err.txt && [ ! -e w3.state ]"
wait

# ---- refused or failed: 1 ----
status "shieldctl kp show of a file that is not there" 1 "$S" kp show --in "$T/absent.kp"
status "shieldctl crypto keygen over an existing file" 1 sh -c \
	"'$S' crypto keygen --private k.pem --public k.pub >/dev/null && '$S' crypto keygen --private k.pem --public k2.pub"

# ---- --json: the error as JSON ----
json_error "shieldctl hgs --json status, unreachable" 3 "$S" hgs --json --socket "$T/none.sock" status
json_error "shieldctl hgs --json --bogus" 2 "$S" hgs --json --bogus status
json_error "shieldctl host info --json --bogus (usage)" 2 "$S" host info --json --bogus
json_error "hgs-agent status --json, the agent not running" 3 "$A" status --json -c agent.conf
json_error "hgs-agent status --json, a broken configuration" 2 "$A" status --json -c /dev/null
json_error "hgs-agent status --json --bogus (usage)" 2 "$A" status --json --bogus
check "without --json the same failure is text" sh -c \
	"! '$S' hgs --socket '$T/none.sock' status 2>e.txt; grep -q '^shieldctl hgs status: cannot reach hgsd' e.txt"

echo "1..$n"
exit $failed
