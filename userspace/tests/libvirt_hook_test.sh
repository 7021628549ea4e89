#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# libvirt_hook_test.sh - the libvirt qemu hook for shielded VMs
# (userspace/worker/libvirt-hook.py), as libvirtd runs it: domain XML on
# stdin, "qemu DOMAIN prepare begin -". Without libvirtd: the XML checks
# (a shielded domain with a serial console, graphics, a gdb stub, a monitor
# or another TPM backend is refused with a message naming it; for an
# encryption-supported domain the same are warnings; unmarked domains
# pass), and the worker start (a stub worker: the agent's refusal reaches
# the hook's stderr and fails the start; a worker whose socket comes up
# lets it go on; release stops it); an incoming migration ("migrate
# begin" notes the source host, from the metadata or HGS's last release,
# and the worker starts with --incoming; unknown: refused); and `vmshield-worker serve
# --print-qemu-args` for people without libvirt. Prints TAP; exits 1 on a
# failure.
set -u
T_NAME=vms-hook
. "$(dirname "$0")/pytools.sh"
export VMSHIELD_RUN_DIR=$T/run VMSHIELD_QEMU_USER=nobody-such-user

# domain POLICY EXTRA-DEVICES [TPM-PATH] [QEMU-ARGS]: a domain's XML
domain() {
	path=${3:-$T/run/$UUID.ctrl}
	cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>vm01</name>
  <uuid>$UUID</uuid>
  <metadata>
XML
	[ -n "$1" ] && cat <<XML
    <vmshield:vm xmlns:vmshield="urn:vmshield:domain:1">
      <vmshield:policy>$1</vmshield:policy>
      <vmshield:kp>$T/vm01.kp</vmshield:kp>
      <vmshield:state>$T/vm01.state</vmshield:state>
XML
	[ -n "$1" ] && [ -n "${SRC_HOST:-}" ] &&
		echo "      <vmshield:source-host>$SRC_HOST</vmshield:source-host>"
	[ -n "$1" ] && cat <<XML
    </vmshield:vm>
XML
	cat <<XML
  </metadata>
  <devices>
    $2
    <tpm model='tpm-tis'>
      <backend type='external'>
        <source type='unix' mode='connect' path='$path'/>
      </backend>
    </tpm>
  </devices>
XML
	[ -n "${4:-}" ] && echo "  <qemu:commandline>$4</qemu:commandline>"
	echo "</domain>"
}

# hook XML-FILE [OP SUB]: run the hook as libvirtd does
hook() { python3 "$HOOK" vm01 "${2:-prepare}" "${3:-begin}" - <"$1"; }

export VMSHIELD_HOOK_CHECK_ONLY=1
domain shielded "" >clean.xml
check "a shielded domain without a way into the guest may start" hook clean.xml
hook clean.xml 2>err.txt
check "... a domain without <acpi/> gets a warning: the firmware would not find the vTPM" \
	grep -q "no <features><acpi/></features>: the firmware and the guest will not find the vTPM (warning)" err.txt
sed 's|<devices>|<features><acpi/></features><devices>|' clean.xml >acpi.xml
hook acpi.xml 2>err.txt
check "... and with <acpi/> no warning at all" test ! -s err.txt
domain shielded "<serial type='pty'><target port='0'/></serial><console type='pty'/>" >serial.xml
fails "a serial console to the host is refused" "<serial type='pty'>: a serial port to the host" hook serial.xml
fails "... and so is its console, and the refusal says so" "refusing to start shielded domain vm01" hook serial.xml
domain shielded "<graphics type='vnc' port='-1'/>" >vnc.xml
fails "graphics are refused" "<graphics type='vnc'>" hook vnc.xml
domain shielded "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" >chan.xml
fails "a channel to the host is refused" "<channel type='unix'>: a channel" hook chan.xml
domain shielded "" "" "<qemu:arg value='-gdb'/><qemu:arg value='tcp::1234'/>" >gdb.xml
fails "a gdb stub on the QEMU command line is refused" "'-gdb': a gdb stub" hook gdb.xml
domain shielded "" "" "<qemu:arg value='-monitor'/><qemu:arg value='unix:/tmp/m,server'/>" >mon.xml
fails "a second monitor is refused" "'-monitor': a monitor" hook mon.xml
domain shielded "" /run/other.sock >tpm.xml
fails "a TPM backend other than the worker's socket is refused" "backend is not vmshield-worker's socket" hook tpm.xml
domain encryption-supported "<serial type='pty'/><graphics type='vnc'/>" >es.xml
hook es.xml >out.txt 2>err.txt
rc=$?
if [ $rc -eq 0 ] && grep -q "(warning)" err.txt && grep -q "graphics" err.txt; then
	ok "encryption-supported: the same findings are warnings, the domain starts"
else
	nok "encryption-supported: warnings only" "exit $rc" "$(cat err.txt)"
fi
domain "" "<serial type='pty'/><graphics type='vnc'/>" >plain.xml
check "a domain that is not shielded is none of the hook's business" hook plain.xml
echo "<domain" >bad.xml
fails "XML the hook cannot read fails the start" "cannot read the domain XML" hook bad.xml

# --- starting the worker (a stub in its place) --------------------------------
unset VMSHIELD_HOOK_CHECK_ONLY
cat >refuse.sh <<'STUB'
#!/bin/sh
echo "worker: asking hgs-agent for VM $3's key (key protector x, 10 bytes)"
echo "worker: no key for VM $3: the host has no valid health certificate (agent HostNotAttested)" >&2
exit 1
STUB
cat >serve.sh <<'STUB'
#!/bin/sh
# the socket path follows path= in the --ctrl argument
for a; do case $a in type=unixio,path=*) p=${a#type=unixio,path=}; p=${p%%,*};; esac; done
: >"$p"
exec sleep 30
STUB
chmod +x refuse.sh serve.sh
VMSHIELD_WORKER=$T/refuse.sh fails "a host that cannot attest fails the start with the agent's reason" \
	"cannot start the vTPM of $UUID: worker: no key for VM $UUID: the host has no valid health certificate" \
	hook clean.xml
VMSHIELD_WORKER=$T/serve.sh check "the worker is started and its socket comes up" hook clean.xml
check "its pid is recorded" test -s "$T/run/$UUID.pid"
pid=$(cat "$T/run/$UUID.pid")
check "release stops it" hook clean.xml release end
sleep 0.2
# gone, or a zombie its new parent has not reaped yet
check "the worker is gone" sh -c "! kill -0 $pid 2>/dev/null || grep -q ') Z ' /proc/$pid/stat"

# --- an incoming migration: "migrate begin" notes the source, serve --incoming ----
# a TLS-forcing qemu.conf, so migrate begin lets a shielded domain come in
mkdir -p pki
: >pki/ca-cert.pem; : >pki/server-cert.pem; : >pki/server-key.pem
printf 'migrate_tls_force = 1\nmigrate_tls_x509_cert_dir = "%s/pki"\n' "$T" >qemu.conf
export VMSHIELD_QEMU_CONF=$T/qemu.conf
cat >argv.sh <<'STUB'
#!/bin/sh
# records its argument vector (one per line), then serves as serve.sh does
printf '%s\n' "$@" >"$VMSHIELD_RUN_DIR/argv"
for a; do case $a in type=unixio,path=*) p=${a#type=unixio,path=}; p=${p%%,*};; esac; done
: >"$p"
exec sleep 30
STUB
chmod +x argv.sh
export VMSHIELD_WORKER=$T/argv.sh
# start_in XML: prepare begin, then release end (the worker stopped)
start_in() { hook "$1" && hook "$1" release end; }
SRC_HOST=mig-src domain shielded "" >src.xml
hook src.xml migrate begin 2>err.txt
check "migrate begin: the source named in <vmshield:source-host> is noted" \
	eval 'grep -q "migrates in from mig-src (<vmshield:source-host>)" err.txt &&
	      test "$(cat "$T/run/$UUID.incoming")" = mig-src'
check "... and the prepare begin that follows starts serve --incoming mig-src" start_in src.xml
check "... its argument vector: serve, the VM, --incoming mig-src, no --no-roll" \
	eval 'grep -qx serve run/argv && grep -qx -- "$UUID" run/argv &&
	      grep -A1 -x -- --incoming run/argv | tail -1 | grep -qx mig-src &&
	      ! grep -qx -- --no-roll run/argv && test ! -e "run/$UUID.incoming"'
check "the next start (no migration) is an ordinary one: no --incoming" \
	eval 'start_in src.xml && ! grep -qx -- --incoming run/argv'
fails "a shielded domain whose source host is unknown is refused at migrate begin" \
	"its source host is unknown (no <vmshield:source-host> in its metadata and no VMSHIELD_VM_STATUS" \
	hook clean.xml migrate begin
check "... and nothing is noted" test ! -e "run/$UUID.incoming"
cat >status.sh <<'STUB'
#!/bin/sh
# shieldctl vm --json status UUID, as HGS answers it
echo "$*" >"$VMSHIELD_RUN_DIR/status-args"
echo '{"status":"Passed","vm":{"vm_id":"'"$3"'","version":4,"host":"mig-b"}}'
STUB
chmod +x status.sh
VMSHIELD_VM_STATUS="$T/status.sh --json" hook clean.xml migrate begin 2>err.txt
check "without it, HGS's last release of the VM names the source (VMSHIELD_VM_STATUS)" \
	eval 'grep -q "migrates in from mig-b (HGS.s last release)" err.txt &&
	      grep -qx -- "--json status $UUID" run/status-args &&
	      start_in clean.xml && grep -A1 -x -- --incoming run/argv | tail -1 | grep -qx mig-b'
SRC_HOST="mig-src; rm -rf x" domain shielded "" >badsrc.xml
fails "a source host that is not a host name is refused" "is not a host name" \
	hook badsrc.xml migrate begin
unset VMSHIELD_WORKER VMSHIELD_QEMU_CONF

# --- without libvirt: the worker prints QEMU's arguments and the rules -----------
W=$TESTS_DIR/../../build/bin/vmshield-worker
if [ -x "$W" ]; then
	"$W" serve --ctrl "type=unixio,path=$T/x.ctrl" --print-qemu-args >out.txt 2>err.txt
	rc=$?
	if [ $rc -eq 0 ] && grep -qF -- "-chardev socket,id=chrtpm,path=$T/x.ctrl -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0" out.txt &&
	   grep -q "no -gdb" err.txt; then
		ok "vmshield-worker serve --print-qemu-args: QEMU's TPM options and a shielded VM's rules"
	else
		nok "vmshield-worker serve --print-qemu-args" "exit $rc" "$(cat out.txt err.txt)"
	fi
fi
echo "1..$n"
exit $failed
