#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: runs inside the guarded host (the rig has
# loaded vmshield.ko). Prints what the module reports, raises lockdown to
# confidentiality, and prints it again. TAP, so the rig can judge it.
REPO=$(cd "$(dirname "$0")/.." && pwd)
SHIELDCTL=$REPO/build/bin/shieldctl
echo "TAP version 13"
echo "1..2"
say() { echo "demo: $*"; }

say "guarded host up: $(uname -r), TPM: $(ls /dev/tpm0 /dev/tpmrm0 2>/dev/null | tr '\n' ' ')"
say "step 1: the module as loaded (lockdown not yet raised)"
"$SHIELDCTL" host info | sed 's/^/demo:   /'
ok1=$?
say "IMA entries for the module's report: $(grep -c vmshield-report /sys/kernel/security/ima/ascii_runtime_measurements)"
[[ $ok1 -eq 0 ]] && echo "ok 1 host info before lockdown" || echo "not ok 1 host info before lockdown"

say "step 2: echo confidentiality > /sys/kernel/security/lockdown"
echo confidentiality > /sys/kernel/security/lockdown
say "lockdown now: $(cat /sys/kernel/security/lockdown)"
"$SHIELDCTL" host info | sed 's/^/demo:   /'
level=$("$SHIELDCTL" host info --json | sed -n 's/.*"isolation_level":"\([^"]*\)".*/\1/p')
say "IMA entries for the module's report: $(grep -c vmshield-report /sys/kernel/security/ima/ascii_runtime_measurements)"
say "/proc/kcore now: $(head -c1 /proc/kcore 2>&1 >/dev/null | sed 's/.*: //')"
[[ $level == kernel-locked ]] && echo "ok 2 kernel-locked after lockdown" || echo "not ok 2 kernel-locked after lockdown (got $level)"
