#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# exitcode_test.sh SHIELDCTL HGSD - every program ends with the statuses
# of vms_exit.h (man/vmshield-exit-codes.7.scd): 2 for a usage error, 3
# when the service it needs cannot be reached, 1 for a refusal or a
# failed check; with --json a failure is one JSON object on stderr that
# parses and names its status. Walks shieldctl, hgsd, hgs-agent,
# vmshield-worker and vmshield-enclaved (found next to shieldctl, or
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
