#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload and reload of vmshield.ko while the enclave holds a key (boot 4,
# before lockdown: the rig's module is unsigned). rmmod wipes the key's
# handle in the module (and asks the enclave to revoke it); the reloaded
# module binds the mailbox again and finds the same enclave, whose key
# did not change (the enclave, not the module, is the identity here);
# the agent's certificate still names it and the VM's key is released
# again. Root's view: within one load the module refuses a release it
# opened before (EALREADY); its record goes with rmmod, but a release is
# bound to a single-use challenge the enclave keeps, so a release that
# opened before the reload stays used up after it (ESTALE, from the
# enclave), and one whose challenge was never used opens once, in the
# new load as in the old.
. "$(dirname "$0")/hyplib.sh"
plan 14

A=$F/vms/hyp-es.reload-a.release
B=$F/vms/hyp-es.reload-b.release
check "the agent attests" eval 'start_agent agent && wait_state valid 90'
pk1=$(status_q .attestation.certificate.enclave_pk)
check "kept two releases of VM hyp-es for this enclave, each for its own challenge" \
	eval 'save_release hyp-es "$A" && save_release hyp-es "$B" && ! cmp -s "$A" "$B"'
stop_agent
serial=$(load_release hyp-es "$A")
echo "add_key A: ${serial} $(load_err "$A")" | diag
check "release A opens in the enclave: a key handle in this session's keyring" test -n "$serial"
again=$(load_release hyp-es "$A")
echo "add_key A again: ${again} $(load_err "$A")" | diag
check "A again in the same load: refused, EALREADY (the module's record of what this load opened)" \
	eval 'test -z "$again" && load_err "$A" | grep -q "Operation already in progress"'
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
# Root replays what it kept across the reload.
keys=$(grep -c " vmshield *vm:$(uuid_of hyp-es)" /proc/keys)
serial=$(load_release hyp-es "$A")
echo "add_key A after the reload: ${serial} $(load_err "$A")" | diag
check "A after the reload (the module's record gone with it): refused by the enclave, ESTALE (its challenge stays used)" \
	eval 'test -z "$serial" && load_err "$A" | grep -q "Stale file handle"'
check "... and nothing changed: the same vmshield keys for hyp-es in /proc/keys" \
	test "$(grep -c " vmshield *vm:$(uuid_of hyp-es)" /proc/keys)" = "$keys"
serial=$(load_release hyp-es "$B")
echo "add_key B after the reload: ${serial} $(load_err "$B")" | diag
check "B (its challenge issued before the reload, never used) opens once in the new load" \
	test -n "$serial"
again=$(load_release hyp-es "$B")
echo "add_key B again: ${again} $(load_err "$B")" | diag
check "B again: refused, EALREADY (replay in this load)" \
	eval 'test -z "$again" && load_err "$B" | grep -q "Operation already in progress"'
keyctl unlink "$serial" @s >/dev/null 2>&1
check "the host is still below kernel-locked (03 raises it)" \
	grep -q '\[none\]' /sys/kernel/security/lockdown
finish
