#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# migrate_tls_test.sh - a shielded VM migrates only over TLS (issue 20
# item 3), without a module: the libvirt hook's "migrate begin" refuses a
# shielded domain unless libvirt forces verified TLS migrations;
# vmshield-migrate.py refuses a plain tcp:/unix: (or exec:) migration of
# a shielded VM before it talks to QEMU at all; and two real QEMUs
# (-M none) migrate over TLS with certificates made here, the source's
# worker announcement (FILE.migrate-out) written for the migration and
# removed after it, while a client without a certificate the
# destination's CA signed is refused and its VM keeps running. Prints
# TAP; exits 1 on a failure.
set -u
T_NAME=vms-migtls
. "$(dirname "$0")/pytools.sh"
SRC_PID= DST_PID=
# at exit (pytools.sh): the QEMUs still running
test_cleanup() {
	[ -n "$SRC_PID" ] && kill -KILL "$SRC_PID" 2>/dev/null
	[ -n "$DST_PID" ] && kill -KILL "$DST_PID" 2>/dev/null
}

# --- the libvirt hook at "migrate begin" ----------------------------------------
domain() {
	cat <<XML
<domain type='qemu'><name>vm01</name><uuid>$UUID</uuid><metadata>
  <vmshield:vm xmlns:vmshield="urn:vmshield:domain:1">
    <vmshield:policy>$1</vmshield:policy>
    <vmshield:kp>$T/vm01.kp</vmshield:kp><vmshield:state>$T/vm01.state</vmshield:state>
    <vmshield:source-host>mig-src</vmshield:source-host>
  </vmshield:vm></metadata><devices/></domain>
XML
}
# (where the hook notes the source host for "prepare begin": libvirt_hook_test.sh)
export VMSHIELD_RUN_DIR=$T/run
hook() { VMSHIELD_QEMU_CONF=$T/qemu.conf python3 "$HOOK" vm01 migrate begin - <"$1"; }
domain shielded >sh.xml
domain encryption-supported >es.xml
mkdir -p pki
: >qemu.conf
fails "migrate begin: a shielded domain on a host whose libvirt does not force TLS is refused" \
	"shielded VMs migrate only over TLS to an attested host: this host's libvirt does not force TLS" hook sh.xml
check "... an encryption-supported domain is let through" hook es.xml
printf 'migrate_tls_force = 1\nmigrate_tls_x509_verify = 0\nmigrate_tls_x509_cert_dir = "%s/pki"\n' "$T" >qemu.conf
fails "... TLS forced but the peer not verified: refused" "does not verify the peer's certificate" hook sh.xml
printf 'migrate_tls_force = 1  # forced\nmigrate_tls_x509_cert_dir = "%s/pki"\n' "$T" >qemu.conf
fails "... TLS forced, the certificate directory empty: refused, naming what lacks" \
	"lacks ca-cert.pem, server-cert.pem, server-key.pem" hook sh.xml
: >pki/ca-cert.pem; : >pki/server-cert.pem; : >pki/server-key.pem
check "... TLS forced and verified, the directory complete: the migration may come in" hook sh.xml
rm -f qemu.conf
fails "... qemu.conf unreadable: refused" "qemu.conf cannot be read" hook sh.xml

# --- vmshield-migrate.py refuses before QEMU hears anything ------------------------
# (no QMP socket exists: a refusal that came after a connection attempt
# would say the socket is missing instead)
mig() { python3 "$MIG" "$@"; }
fails "out: a plain tcp: migration of a shielded VM is refused before QEMU is asked" \
	"refused: shielded VMs migrate only over TLS to an attested host: a plain tcp: migration" \
	mig out --qmp "$T/none.qmp" --vm "$UUID" --state "$T/vm01.state" --uri tcp:10.0.2.2:4444 --dst-host b
fails "out: a plain unix: migration too" "a plain unix: migration" \
	mig out --qmp "$T/none.qmp" --vm "$UUID" --state "$T/vm01.state" --uri unix:/run/m.sock --dst-host b
fails "out: exec: is no socket TLS can run on" "is not a tcp: or unix: socket" \
	mig out --qmp "$T/none.qmp" --vm "$UUID" --state "$T/vm01.state" --uri "exec:cat >x" --tls-creds "$T/pki" --dst-host b
fails "out: TLS without naming the destination host: refused" "no destination host named" \
	mig out --qmp "$T/none.qmp" --vm "$UUID" --state "$T/vm01.state" --uri tcp:10.0.2.2:4444 --tls-creds "$T/client"
fails "in: a shielded VM listens only with TLS credentials" "a plain tcp: migration" \
	mig in --qmp "$T/none.qmp" --uri tcp:0.0.0.0:4444
check "... and nothing was announced to the worker" test ! -e "$T/vm01.state.migrate-out"

# --- vmshield-worker serve --incoming: what it goes with ---------------------------
W=$TESTS_DIR/../../build/bin/vmshield-worker
if [ -x "$W" ]; then
	fails_rc 2 "serve --incoming without --kp (hgs-agent's migrate-in) is a usage error" \
		"goes with --kp FILE" "$W" serve --vm "$UUID" --state "$T/vm01.state" --key-desc "vm:$UUID" \
		--incoming host01 --ctrl "type=unixio,path=$T/w.ctrl"
	fails_rc 2 "serve --incoming with --roll (a migration always rolls) is a usage error" \
		"without --roll" "$W" serve --vm "$UUID" --state "$T/vm01.state" --kp "$T/vm01.kp" \
		--incoming host01 --roll --ctrl "type=unixio,path=$T/w.ctrl"
	fails_rc 2 "serve --incoming with a source host name longer than 64 characters" \
		"1 to 64 characters" "$W" serve --vm "$UUID" --state "$T/vm01.state" --kp "$T/vm01.kp" \
		--incoming "$(printf 'h%.0s' $(seq 65))" --ctrl "type=unixio,path=$T/w.ctrl"
	check "... and none of them left a socket, a KP.new or a state" \
		test ! -e "$T/w.ctrl" -a ! -e "$T/vm01.kp.new" -a ! -e "$T/vm01.state"
fi

# --- two QEMUs migrate over TLS -----------------------------------------------------
QEMU=$(command -v qemu-system-x86_64)
if [ -z "$QEMU" ] || ! command -v openssl >/dev/null; then
	echo "1..$n # qemu-system-x86_64 or openssl missing: the TLS migration not tested"
	exit $failed
fi
# a migration CA, the destination's server and the source's client
# certificates (QEMU's file names), and a client from another CA
cert() {	# DIR NAME CN KIND CA-DIR
	mkdir -p "$1"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/$2-key.pem" \
		-subj "/CN=$3" -out "$1/$2.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=%s\n' "$3" "$4" >"$1/$2.ext" &&
	openssl x509 -req -in "$1/$2.csr" -CA "$5/ca-cert.pem" -CAkey "$5/ca-key.pem" \
		-CAcreateserial -days 1 -extfile "$1/$2.ext" -out "$1/$2-cert.pem" 2>/dev/null &&
	cp "$5/ca-cert.pem" "$1/ca-cert.pem"
}
ca() {	# DIR
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-keyout "$1/ca-key.pem" -subj "/CN=vmshield migration CA" -out "$1/ca-cert.pem" 2>/dev/null
}
ca ca && ca rogue-ca && cert server server migdst serverAuth ca && cert client client migsrc clientAuth ca &&
	cert rogue client migsrc clientAuth rogue-ca
check "a migration CA, the destination's server and the source's client certificates" \
	test -s server/server-cert.pem -a -s client/client-cert.pem -a -s rogue/client-cert.pem
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
qemu() {	# QMP-SOCKET [ARGS]: a machine with nothing in it, paused never
	q=$1; shift
	"$QEMU" -M none -nodefaults -display none -qmp "unix:$q,server=on,wait=off" "$@" \
		>"$q.log" 2>&1 </dev/null &
	i=0
	while [ ! -S "$q" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
qemu "$T/src.qmp"; SRC_PID=$!
qemu "$T/dst.qmp" -incoming defer; DST_PID=$!
: >"$T/vm01.state"
wait_listening() {	# until `in` says it listens (at most 30 s)
	i=0
	while ! grep -q "listening for the incoming migration" in.txt 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
# a client of another CA: the destination refuses the handshake, the source's VM runs on
mig in --qmp "$T/dst.qmp" --uri "tcp:127.0.0.1:$PORT" --tls-creds "$T/server" --timeout 20 >in.txt 2>&1 &
IN_PID=$!
wait_listening
mig out --qmp "$T/src.qmp" --vm "$UUID" --state "$T/vm01.state" --uri "tcp:127.0.0.1:$PORT" \
	--tls-creds "$T/rogue" --dst-host migdst --timeout 20 >out.txt 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "migration failed: .*the VM is running on this host" out.txt; then
	ok "a source whose certificate the destination's CA did not sign: the migration fails, the VM runs on"
else
	nok "a source of another CA" "exit $rc" "$(cat out.txt)"
fi
check "... the announcement to the worker is gone again" test ! -e "$T/vm01.state.migrate-out"
kill "$IN_PID" 2>/dev/null; wait "$IN_PID" 2>/dev/null
kill -KILL "$SRC_PID" "$DST_PID" 2>/dev/null; wait 2>/dev/null
rm -f "$T/src.qmp" "$T/dst.qmp"
qemu "$T/src.qmp"; SRC_PID=$!
qemu "$T/dst.qmp" -incoming defer; DST_PID=$!
mig in --qmp "$T/dst.qmp" --uri "tcp:127.0.0.1:$PORT" --tls-creds "$T/server" --timeout 30 >in.txt 2>&1 &
IN_PID=$!
wait_listening
# the worker's view during the migration: the announcement (the gate,
# migrate_gate.c), read while `out` holds right after writing it
# (VMSHIELD_MIGRATE_WAIT, a test hold: a migration of a VM without RAM
# can take under a millisecond, too short for an observer to be sure to see)
VMSHIELD_MIGRATE_WAIT=announced python3 "$MIG" out --qmp "$T/src.qmp" --vm "$UUID" \
	--state "$T/vm01.state" --uri "tcp:127.0.0.1:$PORT" --tls-creds "$T/client" \
	--dst-host migdst --timeout 30 >out.txt 2>&1 &
OUT_PID=$!
held_pid() { sed -n 's/.*VMSHIELD_MIGRATE_WAIT=announced: waiting here (pid \([0-9]*\);.*/\1/p' out.txt; }
i=0
while [ -z "$(held_pid)" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
{ read -r line <"$T/vm01.state.migrate-out"; } 2>/dev/null && printf '%s\n' "$line" >seen.txt
check "... held after the announcement: QEMU not yet asked to migrate" sh -c \
	"[ -n '$(held_pid)' ] && ! grep -q '^vmshield-migrate: migrating' out.txt"
[ -n "$(held_pid)" ] && kill -USR1 "$(held_pid)"
wait "$OUT_PID"; rc=$?
wait "$IN_PID"; in_rc=$?
if [ $rc -eq 0 ] && [ $in_rc -eq 0 ] && grep -q "^migration: completed in" out.txt &&
   grep -q "TLS: QEMU's migration uses" out.txt; then
	ok "TLS migration between two QEMUs with the fabric's certificates: $(grep '^migration:' out.txt)"
else
	nok "TLS migration" "out exit $rc, in exit $in_rc" "$(cat out.txt in.txt)"
fi
check "... during it the worker saw the announcement: this VM, TLS, the destination" \
	grep -q "^vmshield-migrate-out 1 vm=$UUID transport=tls dst=migdst expires=[0-9]*$" seen.txt
check "... and after it the announcement is gone" test ! -e "$T/vm01.state.migrate-out"

# --- the test hold cannot reach a migration of the fabric ---------------------------
OUTARGS="--qmp $T/src.qmp --vm $UUID --state $T/vm01.state --uri tcp:127.0.0.1:$PORT --tls-creds $T/client --dst-host migdst"
fails_rc 2 "VMSHIELD_MIGRATE_WAIT with --agent (the fabric's migrations): a usage error" \
	"a test hold: never with --agent" env VMSHIELD_MIGRATE_WAIT=announced python3 "$MIG" out \
	$OUTARGS --agent "$T/none.sock"
fails_rc 2 "VMSHIELD_MIGRATE_WAIT at another step: a usage error" "is only VMSHIELD_MIGRATE_WAIT=announced" \
	env VMSHIELD_MIGRATE_WAIT=after-migrate python3 "$MIG" out $OUTARGS
fails_rc 2 "VMSHIELD_MIGRATE_WAIT for in: a usage error" "is only VMSHIELD_MIGRATE_WAIT=announced" \
	env VMSHIELD_MIGRATE_WAIT=announced python3 "$MIG" in --qmp "$T/dst.qmp" --uri "tcp:127.0.0.1:$PORT" \
	--tls-creds "$T/server"
check "... none of them announced anything" test ! -e "$T/vm01.state.migrate-out"
kill -KILL "$SRC_PID" "$DST_PID" 2>/dev/null; wait 2>/dev/null
rm -f "$T/src.qmp"
qemu "$T/src.qmp"; SRC_PID=$!
fails "a hold never released ends at the announcement's expiry: the migration fails, the VM runs on" \
	"not released in 2 s; the VM is running on this host" \
	env VMSHIELD_MIGRATE_WAIT=announced python3 "$MIG" out $OUTARGS --timeout 2
check "... and the announcement is gone" test ! -e "$T/vm01.state.migrate-out"
echo "1..$n"
exit $failed
