#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A reboot of the guarded host (the second boot of the fabric run, same
# disk, same HGS): the module has a new enclave key; the agent attests
# again and the key is released again, to the new key; the vTPM state
# sealed in the first boot unseals; boot 1's release is useless here.
. "$(dirname "$0")/../tests/lib.sh"
plan 6
VTPM=$R/build/bin/vmshield-worker

echo confidentiality >/sys/kernel/security/lockdown
check "the agent attests again after the reboot" eval 'start_agent agent && wait_state valid 90'
pk=$(status_f attestation.certificate.enclave_pk)
check "the new certificate names a new enclave key" \
	test -n "$pk" -a "$pk" != "$(cat "$F/vms/boot1.enclave_pk")"
uuid=$(uuid_of vt-shielded)
serial=$(keyctl padd vmshield "vm:$uuid" @s <"$F/vms/vt-shielded.boot1.release" 2>"$F/old.err")
echo "add_key of boot 1's release: $(cat "$F/old.err")" | diag
check "boot 1's release does not open in the new enclave (another enclave: ENOKEY)" \
	eval 'test -z "$serial" && grep -qi "key not available\|required key" "$F/old.err"'
check "... and no key for the VM was made" no_key vt-shielded
for vm in vt-shielded vt-es; do
	out=$("$VTPM" resume --vm "$(uuid_of $vm)" --state "$F/vms/$vm.vtpm" \
		--kp "$F/vms/$vm.kp" --expect "$(cat "$F/vms/$vm.tag")" 2>&1)
	rc=$?
	echo "$out" | diag
	check "$vm: released again, the same vTPM state unseals with its tag" \
		eval 'test $rc = 0 && echo "$out" | grep -q "NV counter 0x01500017 = [4-9]"'
done
finish
