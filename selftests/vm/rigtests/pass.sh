#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: a passing kselftest-style program.  It also checks what every
# guarded host must provide (TPM 2.0, the BIOS event log, IMA, the network and
# the results share), so a rig that silently loses one of them fails here.
# securityfs files report size 0: read a few bytes instead of test -s.
nonempty() { [ "$(head -c 64 "$1" 2>/dev/null | wc -c)" -gt 0 ]; }

echo "TAP version 13"
echo "1..7"
n=0
fail=0
check() {
	n=$((n + 1))
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		fail=1
	fi
}
check "kernel $(uname -r)" test -d "/lib/modules/$(uname -r)/kernel"
check "/dev/tpm0 and /dev/tpmrm0" test -c /dev/tpm0 -a -c /dev/tpmrm0
check "TPM event log (binary_bios_measurements)" nonempty /sys/kernel/security/tpm0/binary_bios_measurements
check "IMA ascii_runtime_measurements" nonempty /sys/kernel/security/ima/ascii_runtime_measurements
check "lockdown file" test -r /sys/kernel/security/lockdown
check "eth0 has 10.0.2.15" sh -c 'ip -4 addr show dev eth0 | grep -q "inet 10.0.2.15/24"'
check "results share writable" sh -c 'echo hi > "$VMSHIELD_RIG_OUT/pass.probe" && rm "$VMSHIELD_RIG_OUT/pass.probe"'
exit $fail
