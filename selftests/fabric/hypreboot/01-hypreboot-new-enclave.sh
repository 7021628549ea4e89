#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot 5: the guarded host of boot 4 rebooted, again in placement
# hypervisor. The enclave does not outlive the host's boot: the rig starts
# a new vmshield-enclaved with the guest, as a real platform ends an
# enclave with its parent (the argument: enclave-protocol.md, "Lifetime"),
# so it comes back with a new key. The release boot 4 kept (06, for the
# enclave after its restart: real, for a challenge never used) is refused
# (ENOKEY: addressed to another enclave), before and after the new
# attestation; the agent attests (same host key, same disk) naming the new
# enclave key, and the VM's key is released to the new enclave; the
# tenant's state opens.
. "$(dirname "$0")/../hypervisor/hyplib.sh"
plan 9

OLD=$F/vms/hyp-es.prereboot.release
pk1=$(cat "$F/vms/hyp-es.prereboot.pk" 2>/dev/null)
check "boot 4 kept a release of VM hyp-es and its enclave's key" \
	test "$(head -c 4 "$OLD" 2>/dev/null)" = VMKR -a ${#pk1} = 64
check "the agent starts and attests after the reboot" \
	eval 'start_agent agent && wait_state valid 120'
report=$(status_q .attestation.module.report)
echo "module report: $report" | diag
check "the module reports a new enclave key (the enclave restarted with the host)" \
	eval 'echo "$report" | grep -q "^vmshield-report v2 placement=hypervisor " &&
	      ! echo "$report" | grep -q " enclave_pk=$pk1 "'
check "the new certificate: placement hypervisor, platform emulated, level kernel-open" \
	test "$(status_q '.attestation.certificate | "\(.placement) \(.platform) \(.isolation_level)"')" = \
	"hypervisor emulated kernel-open"
check "... naming the new key" \
	eval 'pk2=$(status_q .attestation.certificate.enclave_pk); test -n "$pk2" -a "$pk2" != "$pk1" &&
	      echo "$report" | grep -q " enclave_pk=$pk2 "'
serial=$(load_release hyp-es "$OLD")
echo "add_key: ${serial} $(load_err "$OLD")" | diag
check "the release kept before the reboot does not open: ENOKEY (addressed to another enclave)" \
	eval 'test -z "$serial" && load_err "$OLD" | grep -q "Required key not available"'
check "... and no key for VM hyp-es" no_key hyp-es
worker hyp-es --roundtrip
check "VM hyp-es: released again to the new enclave, the tenant's state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" \
	-a -n "$(echo "$OUT" | grep 'roundtrip ok')"
serial=$(load_release hyp-es "$OLD")
echo "add_key after the new release: ${serial} $(load_err "$OLD")" | diag
check "the old release after the new attestation and release: still refused, ENOKEY" \
	eval 'test -z "$serial" && load_err "$OLD" | grep -q "Required key not available"'
finish
