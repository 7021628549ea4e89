#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload and reload of vmshield.ko while the enclave holds a key (boot 4,
# before lockdown: the rig's module is unsigned). rmmod wipes the key's
# handle in the module (and asks the enclave to revoke it); the reloaded
# module binds the mailbox again and finds the same enclave, whose key
# did not change (the enclave, not the module, is the identity here);
# the agent's certificate still names it and the VM's key is released
# again. A release opens once per load of the module.
. "$(dirname "$0")/hyplib.sh"
plan 11

check "the agent attests" eval 'start_agent agent && wait_state valid 90'
pk1=$(status_q .attestation.certificate.enclave_pk)
check "kept a release of VM hyp-es for this enclave" \
	save_release hyp-es "$F/vms/hyp-es.enclave1.release"
stop_agent
serial=$(load_release hyp-es "$F/vms/hyp-es.enclave1.release")
echo "add_key: ${serial} $(cat "$F/vms/hyp-es.enclave1.release.err" 2>/dev/null)" | diag
check "it opens in the enclave: a key handle in this session's keyring" test -n "$serial"
bound=$(dmesg | grep -c "enclave mailbox bound")
out=$(rmmod vmshield 2>&1)
rc=$?
echo "rmmod: rc=$rc $out" | diag
check "rmmod vmshield with the key loaded" test "$rc" = 0
check "the key is gone from /proc/keys" no_key hyp-es
out=$(insmod "$VMSHIELD_MODULE" 2>&1)
rc=$?
echo "insmod: rc=$rc $out" | diag
dmesg | grep -E "vmshield" | tail -5 | diag
check "insmod again: it binds the mailbox again (placement hypervisor)" \
	test "$rc" = 0 -a "$(dmesg | grep -c "enclave mailbox bound")" -gt "$bound"
check "the agent's certificate still names the enclave's key (the enclave did not restart)" \
	eval 'start_agent agent && wait_state valid 90 &&
	      test "$(status_q .attestation.certificate.enclave_pk)" = "$pk1" &&
	      status_q .attestation.module.report | grep -q "enclave_pk=$pk1 "'
worker hyp-es --roundtrip
check "VM hyp-es: released again, state opens, round trip" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" \
	-a -n "$(echo "$OUT" | grep 'roundtrip ok')"
stop_agent
# The kept release: the enclave still has the key it was made for, and
# this load of the module has not opened it yet; a second add_key of the
# same release in the same load is a replay.
serial=$(load_release hyp-es "$F/vms/hyp-es.enclave1.release")
echo "add_key: ${serial} $(cat "$F/vms/hyp-es.enclave1.release.err" 2>/dev/null)" | diag
check "the kept release opens once in the new load (the enclave kept its key)" test -n "$serial"
again=$(load_release hyp-es "$F/vms/hyp-es.enclave1.release")
echo "add_key: ${again} $(cat "$F/vms/hyp-es.enclave1.release.err" 2>/dev/null)" | diag
check "a second add_key of it in the same load is refused (replay)" test -z "$again"
keyctl unlink "$serial" @s >/dev/null 2>&1
check "the host is still below kernel-locked (03 raises it)" \
	grep -q '\[none\]' /sys/kernel/security/lockdown
finish
