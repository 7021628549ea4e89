#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roll_hook_test.sh SHIELDCTL [HGSD] - the TK roll at every start, through
# the libvirt hook (userspace/worker/libvirt-hook.py) with the real
# vmshield-worker and a recording stand-in for hgs-agent's socket (the
# real agent needs a module and an enclave: selftests/fabric/tests/05g-roll
# and 05e-libvirt run it). Each start's release request is what the worker
# sent the agent: a shielded and an encryption-supported domain roll by
# default; <vmshield:roll>off</...> starts an encryption-supported one
# without; a shielded one with it is refused by the hook, and a domain XML
# that claims encryption-supported over a shielded KP is refused by the
# worker (it reads the owner-signed policy); nothing asks the agent and
# no file changes when refused. Prints TAP; exits 1 on a failure.
set -u
S=${1:?usage: roll_hook_test.sh path/to/shieldctl}
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")	# the test cds away
W=$(dirname "$S")/vmshield-worker
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
HOOK=$TESTS_DIR/../worker/libvirt-hook.py
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-roll-hook.XXXXXX")
AGENT_PID=
trap '[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$TESTS_DIR/tap.sh"
echo "TAP version 13"
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }

UUID=6f1c2a5e-930d-4b71-8a42-0c5de177309b
keyid() { "$S" kp show --in "$1" | awk '/^key_id:/ { print $2 }'; }
head -c 2000 /dev/urandom >plain
for p in shielded encryption-supported; do
	"$S" guardian new --name owner --out owner.guardian >/dev/null 2>&1 || [ -e owner.guardian ]
	"$S" kp new --owner owner.guardian --vm-id $UUID --policy $p \
		--out $p.kp --tk-out $p.tk >/dev/null 2>&1 &&
	"$S" crypto state-seal --tk $p.tk --vm-id $UUID --key-id "$(keyid $p.kp)" \
		--generation 3 --in plain --out $p.state >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP cannot make the KPs and states"; exit 0; }
	cp $p.kp $p.kp.before && cp $p.state $p.state.before
done

# hgs-agent's socket: each request line recorded, every release refused
# (a host that has not attested), as the real agent answers then
cat >agent.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[1] + ".up", "w").close()
while True:
    c, _ = s.accept()
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(65536)
        if not d:
            break
        buf += d
    with open(sys.argv[2], "ab") as log:
        log.write(buf)
    c.sendall(b'{"status":"Failed","message":"the host has no valid health certificate",'
              b'"source":"agent","substatus":"HostNotAttested"}\n')
    c.close()
PY
python3 agent.py "$T/agent.sock" "$T/requests.log" &
AGENT_PID=$!
i=0	# python's start-up alone takes seconds on a loaded machine
while [ ! -e agent.sock.up ] && [ $i -lt 300 ] && kill -0 $AGENT_PID 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
[ -e agent.sock.up ] || { echo "1..0 # SKIP the stand-in agent did not start"; exit 0; }
: >requests.log
export VMSHIELD_RUN_DIR=$T/run VMSHIELD_QEMU_USER=nobody-such-user \
	VMSHIELD_WORKER=$W VMSHIELD_AGENT=$T/agent.sock

# domain POLICY KP-POLICY [ROLL]: a clean domain's XML; KP-POLICY names the files
domain() {
	cat <<XML
<domain type='qemu'>
  <name>vm01</name>
  <uuid>$UUID</uuid>
  <features><acpi/></features>
  <metadata>
    <vmshield:vm xmlns:vmshield="urn:vmshield:domain:1">
      <vmshield:policy>$1</vmshield:policy>
      <vmshield:kp>$T/$2.kp</vmshield:kp>
      <vmshield:state>$T/$2.state</vmshield:state>
      ${3:+<vmshield:roll>$3</vmshield:roll>}
    </vmshield:vm>
  </metadata>
  <devices>
    <tpm model='tpm-tis'><backend type='external'>
      <source type='unix' mode='connect' path='$T/run/$UUID.ctrl'/>
    </backend></tpm>
  </devices>
</domain>
XML
}
hook() { python3 "$HOOK" vm01 prepare begin - <"$1"; }
nreq() { wc -l <requests.log | tr -d ' '; }
# last_request_roll: the op and "roll" member of the last request (or
# "none"); the worker writes compact JSON, one request a line
last_request_roll() {
	l=$(tail -n 1 requests.log)
	op=$(printf '%s' "$l" | sed -n 's/.*"op":"\([a-z]*\)".*/\1/p')
	roll=$(printf '%s' "$l" | sed -n 's/.*"roll":\([a-z]*\).*/\1/p')
	echo "$op ${roll:-none}"
}
unchanged() { cmp -s $1.kp $1.kp.before && cmp -s $1.state $1.state.before && [ ! -e $1.kp.new ]; }

# the roll by default, both policies: the agent's refusal reaches virsh
for p in shielded encryption-supported; do
	domain $p $p >$p.xml
	fails "$p domain: the start fails with the agent's reason" \
		"cannot start the vTPM of $UUID: worker: no rolled key for VM $UUID: the host has no valid health certificate" \
		hook $p.xml
	r=$(last_request_roll)
	[ "$r" = "release true" ] && ok "$p domain: the worker asked for a TK roll" ||
		nok "$p domain: the worker asked for a TK roll" "request: $r" "$(tail -n 1 requests.log | cut -c1-200)"
	unchanged $p && ok "$p domain: KP and state unchanged" || nok "$p domain: KP and state unchanged"
done

# encryption-supported with <vmshield:roll>off: a plain release
domain encryption-supported encryption-supported off >es-off.xml
fails "encryption-supported, roll off: the start reaches the agent" "no key for VM" hook es-off.xml
r=$(last_request_roll)
[ "$r" = "release none" ] && ok "encryption-supported, roll off: a release without the roll" ||
	nok "encryption-supported, roll off: a release without the roll" "request: $r"
grep -q -- "--no-roll: no TK roll at this start" "run/$UUID.log" &&
	ok "... and the worker's log says so" || nok "... and the worker's log says so" "$(cat "run/$UUID.log")"

# refusals: nothing asks the agent, no file changes
before=$(nreq)
domain shielded shielded off >sh-off.xml
fails "shielded, roll off: the hook refuses" \
	"refusing to start shielded domain vm01 with <vmshield:roll>off" hook sh-off.xml
domain shielded shielded maybe >sh-bad.xml
fails "a <vmshield:roll> other than on or off is refused" "is on or off, not 'maybe'" hook sh-bad.xml
domain encryption-supported shielded off >lie.xml
fails "XML that claims encryption-supported over a shielded KP: the worker refuses --no-roll" \
	"worker: --no-roll refused: the key protector $T/shielded.kp is shielded" hook lie.xml
[ "$(nreq)" = "$before" ] && ok "no refused start asked the agent" ||
	nok "no refused start asked the agent" "$(tail -n 2 requests.log | cut -c1-200)"
unchanged shielded && unchanged encryption-supported && ok "no refused start changed a file" ||
	nok "no refused start changed a file"

# the worker's options
fails_rc 2 "--no-roll with --roll is a usage error" "--no-roll goes with --kp FILE and without --roll" \
	"$W" resume --vm $UUID --state shielded.state --kp shielded.kp --roll --no-roll
fails_rc 2 "--no-roll with --key is a usage error" "--no-roll goes with --kp" \
	"$W" resume --vm $UUID --state shielded.state --key 5 --no-roll
fails_rc 2 "provision does not take --no-roll" "does not take --no-roll" \
	"$W" provision --vm $UUID --state new.state --kp shielded.kp --no-roll
[ "$(nreq)" = "$before" ] && [ ! -e new.state ] && ok "usage errors: no request, no file" ||
	nok "usage errors: no request, no file"
echo "1..$n"
exit $failed
