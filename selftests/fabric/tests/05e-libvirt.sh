#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rig-smp: 2
# libvirt starts a shielded VM on vmshield-worker (issue 14): a real
# libvirtd, started here inside the guarded host in a private mount
# namespace on tmpfs (nothing system-wide), with the project's qemu hook
# (userspace/worker/libvirt-hook.py) in /etc/libvirt/hooks/qemu.
#   * `virsh define` + `virsh start` of vt-shielded (the state 05b sealed,
#     copied to tmpfs) with <backend type='external'> on the worker's
#     socket: the hook starts `vmshield-worker serve`, which gets the key
#     from hgs-agent; QEMU's SeaBIOS talks to the vTPM (the generation of
#     the sealed state grows); `virsh destroy` stops the worker; the state
#     then resumes with its NV tag.
#   * a domain with a serial console is refused by the hook, its message
#     in virsh's error, and no worker is started;
#   * with the agent of an unregistered host, `virsh start` fails with the
#     agent's reason (HostNotRegistered).
. "$(dirname "$0")/lib.sh"
VTPM=$R/build/bin/vmshield-worker
HOOK=$R/userspace/worker/libvirt-hook.py

if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "1..0 # SKIP libvirtd and virsh are not installed (make deps installs them)"
	exit 4
fi
# The rest runs in a mount namespace of its own: tmpfs over the paths
# libvirtd writes, gone with the namespace.
if [[ -z ${LV_NS:-} ]]; then
	LV_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
plan 12

LV=/run/vms-libvirt
VIRSH=(virsh -q -c qemu:///system)
LVPID=
cleanup() {
	local d
	for d in vt-lv vt-lv-serial; do
		"${VIRSH[@]}" destroy "$d" >/dev/null 2>&1
		"${VIRSH[@]}" undefine "$d" >/dev/null 2>&1
	done
	[[ -n $LVPID ]] && kill -TERM "$LVPID" 2>/dev/null
	[[ -n $AGENT_PID ]] && stop_agent
	umount "$LV" 2>/dev/null
	rmdir "$LV" 2>/dev/null
}
trap cleanup EXIT

# --- libvirtd on tmpfs ---------------------------------------------------
start_libvirtd() {
	local i
	mkdir -p "$LV" && mount -t tmpfs -o mode=0755 lv "$LV" || return 1
	mount -t tmpfs lv /var/lib && mount -t tmpfs lv /etc/libvirt &&
		mount -t tmpfs lv /var/log && mount -t tmpfs lv /var/cache || return 1
	mkdir -p /var/lib/libvirt /var/log/libvirt /var/cache/libvirt \
		/run/libvirt /etc/libvirt/hooks
	# libvirt's QEMU driver looks up its default user even when qemu.conf
	# names another: add Debian's libvirt-qemu, in this namespace only.
	cp /etc/passwd /etc/group "$LV/"
	echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/nonexistent:/usr/sbin/nologin" >>"$LV/passwd"
	echo "libvirt-qemu:x:64055:" >>"$LV/group"
	mount --bind "$LV/passwd" /etc/passwd && mount --bind "$LV/group" /etc/group || return 1
	# QEMU runs as root here: the guarded host's rig has no libvirt-qemu
	# user, cgroups or virtlogd; nothing in the test depends on them.
	cat >/etc/libvirt/qemu.conf <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	namespaces = [ ]
	cgroup_controllers = [ ]
	stdio_handler = "file"
	EOF
	echo 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' >/etc/libvirt/libvirtd.conf
	# libvirtd runs hooks with a clean environment: the installed hook's
	# settings come from this wrapper.
	cat >/etc/libvirt/hooks/qemu <<-EOF
	#!/bin/sh
	export VMSHIELD_WORKER=$VTPM VMSHIELD_QEMU_USER=root
	exec python3 $HOOK "\$@"
	EOF
	chmod 0755 /etc/libvirt/hooks/qemu
	libvirtd -d -p /run/libvirt/libvirtd.pid || return 1
	for i in $(seq 1 300); do
		"${VIRSH[@]}" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	LVPID=$(cat /run/libvirt/libvirtd.pid 2>/dev/null)
	"${VIRSH[@]}" version >/dev/null
}

# domain_xml NAME UUID STATE [EXTRA-DEVICE-XML]
domain_xml() {
	cat <<-EOF
	<domain type='qemu'>
	  <name>$1</name>
	  <uuid>$2</uuid>
	  <memory unit='MiB'>64</memory>
	  <metadata>
	    <vmshield:vm xmlns:vmshield='urn:vmshield:domain:1'>
	      <vmshield:policy>shielded</vmshield:policy>
	      <vmshield:kp>$F/vms/vt-shielded.kp</vmshield:kp>
	      <vmshield:state>$3</vmshield:state>
	    </vmshield:vm>
	  </metadata>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <features><acpi/></features>
	  <devices>
	    <emulator>$(command -v qemu-system-x86_64)</emulator>
	    <tpm model='tpm-tis'>
	      <backend type='external'>
	        <source type='unix' mode='connect' path='/run/vmshield/$2.ctrl'/>
	      </backend>
	    </tpm>
	    ${4:-}
	  </devices>
	</domain>
	EOF
}

gen_of() { "$VTPM" status --state "$1" | sed -n 's/.*generation=\([0-9]*\).*/\1/p'; }
worker_alive() { [[ -s /run/vmshield/$1.pid ]] && kill -0 "$(cat "/run/vmshield/$1.pid")" 2>/dev/null; }

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
t0=$SECONDS
start_libvirtd
check "libvirtd runs inside the guarded host (private namespace, tmpfs state; $((SECONDS - t0)) s)" test $? = 0
check "the agent starts and attests (kernel-locked)" eval 'start_agent agent && wait_state valid 90'

uuid=$(uuid_of vt-shielded)
tag=$(cat "$F/vms/vt-shielded.tag")
STATE=$LV/vt-shielded.vtpm
cp "$F/vms/vt-shielded.vtpm" "$STATE"
G0=$(gen_of "$STATE")
domain_xml vt-lv "$uuid" "$STATE" >"$LV/vt-lv.xml"
"${VIRSH[@]}" define "$LV/vt-lv.xml" 2>&1 | diag
t0=$SECONDS
out=$("${VIRSH[@]}" start vt-lv 2>&1)
rc=$?
echo "$out" | diag
check "virsh start of a shielded domain on the worker's socket ($((SECONDS - t0)) s)" test $rc = 0
check "the hook started vmshield-worker serve for it" worker_alive "$uuid"
# SeaBIOS's TPM2_Startup is sealed before it is answered: the generation
# of the state grows once the VM's firmware reached the vTPM.
# (SeaBIOS needs about 25 s under double TCG; each status is a process
# start from the 9p root, so poll once a second, at most 120 s.)
while ((SECONDS - t0 < 120)); do
	G1=$(gen_of "$STATE")
	((${G1:-0} > ${G0:-0} + 1)) && break
	sleep 1
done
# (the TK roll at the start re-seals once before the VM runs: the firmware
# reached the vTPM only when the generation grew by more than that one)
check "the VM's firmware reached the vTPM (generation $G0 -> ${G1:-?} after $((SECONDS - t0)) s, one of them the start's TK roll)" \
	test "${G1:-0}" -gt "$((${G0:-0} + 1))"
if ((${G1:-0} <= ${G0:-0} + 1)); then
	{
		"${VIRSH[@]}" domstate vt-lv
		tail -n 20 "/run/vmshield/$uuid.log" /var/log/libvirt/qemu/vt-lv.log
		"$VTPM" status --state "$STATE"
	} 2>&1 | diag
fi
check "libvirt gave QEMU the worker's socket as an emulator TPM" \
	eval 'grep -q -- "-tpmdev emulator" /var/log/libvirt/qemu/vt-lv.log &&
		grep -q "/run/vmshield/$uuid.ctrl" /var/log/libvirt/qemu/vt-lv.log'
"${VIRSH[@]}" destroy vt-lv 2>&1 | diag
for _ in $(seq 1 100); do worker_alive "$uuid" || break; sleep 0.1; done
check "virsh destroy: the hook stopped the worker" eval '! worker_alive "$uuid"'
out=$("$VTPM" resume --vm "$uuid" --state "$STATE" --kp "$F/vms/vt-shielded.kp" \
	--expect "$tag" --min-generation "${G1:-1}" 2>&1)
rc=$?
echo "$out" | tail -3 | diag
check "the state libvirt's VM left resumes with its NV tag" test $rc = 0
# The starts rolled the VM's TK: the shared KP is the rolled one, so the
# state under it goes back beside it (reboot/01 resumes that pair).
cp "$STATE" "$F/vms/vt-shielded.vtpm"

# --- refusals --------------------------------------------------------------
G2=$(gen_of "$STATE")
domain_xml vt-lv-serial "$(cat /proc/sys/kernel/random/uuid)" "$STATE" \
	"<serial type='pty'><target port='0'/></serial>" >"$LV/vt-lv-serial.xml"
"${VIRSH[@]}" define "$LV/vt-lv-serial.xml" 2>&1 | diag
out=$("${VIRSH[@]}" start vt-lv-serial 2>&1)
rc=$?
echo "$out" | diag
check "a shielded domain with a serial console is refused, the hook's reason in virsh's error" \
	eval '[[ $rc != 0 ]] && grep -q "a serial port to the host" <<<"$out" &&
		grep -q "refusing to start shielded domain vt-lv-serial" <<<"$out"'
check "refused: the domain is shut off and its state untouched" \
	eval '[[ $("${VIRSH[@]}" domstate vt-lv-serial) == "shut off" && $(gen_of "$STATE") == "$G2" ]]'

stop_agent
start_agent agent-unreg && wait_state failed 90
out=$("${VIRSH[@]}" start vt-lv 2>&1)
rc=$?
echo "$out" | diag
check "a host that cannot attest: virsh start fails with the agent's reason" \
	eval '[[ $rc != 0 ]] && grep -q "HostNotRegistered" <<<"$out"'
check "refused: no worker left, the domain shut off, the state untouched" \
	eval '! worker_alive "$uuid" && [[ $("${VIRSH[@]}" domstate vt-lv) == "shut off" && $(gen_of "$STATE") == "$G2" ]]'
finish
