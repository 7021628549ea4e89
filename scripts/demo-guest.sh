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


# --- step 9: VM01 boots on its shielded vTPM ---------------------------------
# A stock QEMU (inside the guarded host, double TCG) boots Debian's kernel
# with a tiny busybox initramfs of ours; vmshield-worker serves VM01's vTPM
# to it (the key again through hgs-agent). Inside the VM, /dev/tpm0: PCR
# 0-7 as SeaBIOS measured them, and the tenant's NV tag read with
# TPM2_NV_Read. (The demo VM prints on a serial console so you can see
# it; the libvirt hook refuses a console on a real shielded VM.)
inner_initramfs() {	# DIR: build $DIR/inner.cpio
	local r=$1/root tag len
	tag=$(cat "$D/vm01.tag")
	len=${#tag}
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev"
	cp /bin/busybox "$r/bin/busybox"
	# TPM2_NV_Read of index 0x01500016 (its empty auth), LEN bytes from 0
	printf '\200\002\000\000\000\043\000\000\001\116\001\120\000\026\001\120\000\026\000\000\000\011\100\000\000\011\000\000\000\000\000'"$(printf '\\%03o\\%03o' $((len >> 8)) $((len & 255)))"'\000\000' >"$r/nvread.cmd"
	echo "$len" >"$r/taglen"
	cat >"$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "vm01: Linux $(uname -r) up; TPM $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null) at /dev/tpm0"
for i in 0 1 2 3 4 5 6 7; do
	echo "vm01: PCR $i sha256 $(cat /sys/class/tpm/tpm0/pcr-sha256/$i)"
done
exec 3<>/dev/tpm0
cat /nvread.cmd >&3
dd bs=4096 count=1 <&3 2>/dev/null >/resp
echo "vm01: NV 0x01500016 holds '$(dd if=/resp bs=1 skip=16 count=$(cat /taglen) 2>/dev/null)'"
exec 3>&-
echo "vm01: done"
poweroff -f
INIT
	chmod +x "$r/init"
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null) >"$1/inner.cpio"
}

boot_vm01() {
	local run=/run/vmshield-demo ctrl kernel
	mkdir -p "$run"
	ctrl=$run/vm01.ctrl
	kernel=/boot/vmlinuz-$(uname -r)
	inner_initramfs "$run"
	step 9 "the worker serves VM01's vTPM to a stock QEMU (swtpm's protocol); VM01 boots on it"
	"$WORKER" serve --vm "$VM" --state "$D/vm01.vtpm" --agent "$SOCK" --kp "$D/vm01.kp" \
		--ctrl "type=unixio,path=$ctrl" --terminate >"$D/serve.out" 2>&1 &
	local wpid=$! t0=$SECONDS
	for _ in $(seq 300); do [[ -S $ctrl ]] && break; sleep 0.1; done
	check "vmshield-worker serve is up (VM01's key from hgs-agent)" test -S "$ctrl"
	say "QEMU: -tpmdev emulator on $ctrl, -device tpm-tis, $kernel, a busybox initramfs"
	timeout 400 qemu-system-x86_64 -M pc -accel tcg -m 256 -nodefaults -display none \
		-no-reboot -chardev "socket,id=chrtpm,path=$ctrl" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
		-kernel "$kernel" -initrd "$run/inner.cpio" \
		-append "console=ttyS0 quiet panic=-1" -serial "file:$run/console" \
		</dev/null >"$run/qemu.out" 2>&1
	wait "$wpid"
	local rc=$?
	tr -d '\r' <"$run/console" >"$run/console.txt"
	grep '^vm01:' "$run/console.txt" | sed 's/^vm01: /VM01 says: /' | while read -r l; do say "$l"; done
	say "VM01 powered off after $((SECONDS - t0)) s; QEMU sent CMD_SHUTDOWN and the worker ended (exit $rc)"
	say "the worker sealed $(grep -c 'sealed generation' "$D/serve.out") changes while VM01 ran, each before answering; last: $(grep 'sealed generation' "$D/serve.out" | tail -1)"
	check "VM01 read its tenant's NV tag through /dev/tpm0" grep -qF "holds '$(cat "$D/vm01.tag")'" "$run/console.txt"
	check "SeaBIOS's measurements are in VM01's PCR 0-7" \
		eval '[[ $(grep -c "PCR [0-7] sha256 [0-9A-Fa-f]\{64\}$" "$run/console.txt") == 8 ]] && ! grep -q "PCR [0-7] sha256 0\{64\}$" "$run/console.txt"'
	check "the worker ended cleanly with VM01" test "$rc" = 0
}

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
[[ ${DEMO_VM_BOOT:-1} == 1 ]] && boot_vm01
finish
