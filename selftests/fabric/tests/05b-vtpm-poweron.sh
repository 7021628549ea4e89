#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The power-on flow with the reference worker and a real vTPM (libtpms):
# for a shielded and an encryption-supported VM, vmshield-worker asks
# hgs-agent for the key (--kp), provisions a fresh vTPM with a tag in an NV
# index, seals it to the shared disk, resumes it and finds the tag, then
# runs it (reseals with the counter going up). The state stays for the
# reboot phase (reboot/), with the release KPS gave this boot's enclave.
. "$(dirname "$0")/lib.sh"
plan 9
VTPM=$R/build/bin/vmshield-worker

grep -q '\[confidentiality\]' /sys/kernel/security/lockdown ||
	echo confidentiality >/sys/kernel/security/lockdown
check "the agent starts and attests (kernel-locked)" eval 'start_agent agent && wait_state valid 90'
for vm in vt-shielded vt-es; do
	uuid=$(uuid_of $vm)
	tag="tag of $vm $(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	echo "$tag" >"$F/vms/$vm.tag"
	out=$("$VTPM" provision --vm "$uuid" --state "$F/vms/$vm.vtpm" --kp "$F/vms/$vm.kp" \
		--nv-text "$tag" 2>&1)
	rc=$?
	echo "$out" | diag
	check "$vm: provisioned through the agent and sealed" test $rc = 0 -a -s "$F/vms/$vm.vtpm"
	out=$("$VTPM" run --vm "$uuid" --state "$F/vms/$vm.vtpm" --kp "$F/vms/$vm.kp" \
		--reseal-every 0 --count 3 2>&1)
	rc=$?
	echo "$out" | tail -3 | diag
	check "$vm: ran and resealed 3 times" test $rc = 0
	out=$("$VTPM" resume --vm "$uuid" --state "$F/vms/$vm.vtpm" --kp "$F/vms/$vm.kp" \
		--expect "$tag" 2>&1)
	rc=$?
	echo "$out" | diag
	check "$vm: resumed, the NV index holds the tag, the counter moved" \
		eval 'test $rc = 0 && echo "$out" | grep -q "NV counter 0x01500017 = [4-9]"'
done
! grep -qF "$(cat "$F/vms/vt-shielded.tag")" "$F/vms/vt-shielded.vtpm"
check "the sealed file does not contain the tag" test $? = 0
# What KPS released to this boot's enclave, kept for the reboot phase: the
# health certificate is public, the release opens only in this enclave
# (and only for a challenge it issued: this one is made up, so even here it
# would be ESTALE; in boot 2 the enclave key itself is new, ENOKEY). Marked a
# renewal: for a VM HGS holds a version of, KPS serves no other release
# without the roll (TkRollRequired; Documentation/migration.md §1.3b).
cert=$(sed '/^-----/d' "$F/agent-state/health.pem" | tr -d '\n')
kp=$(base64 -w0 "$F/vms/vt-shielded.kp")
printf '{"health_certificate":"%s","key_protector":"%s","vm_id":"%s","enclave_challenge":"%s","challenge_ns":1,"renewal":true}' \
	"$cert" "$kp" "$(uuid_of vt-shielded)" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	>"$F/vms/old-release.req"
curl -sS --cacert "$F/hgs-tls.pem" -H 'Content-Type: application/json' \
	--data-binary @"$F/vms/old-release.req" "$HGS_URL/v1/kps/release" |
	jf key_release | base64 -d >"$F/vms/vt-shielded.boot1.release" 2>/dev/null
status_f attestation.certificate.enclave_pk >"$F/vms/boot1.enclave_pk"
check "kept boot 1's release of vt-shielded and the enclave key" \
	test -s "$F/vms/vt-shielded.boot1.release" -a -s "$F/vms/boot1.enclave_pk"
finish
