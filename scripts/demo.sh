#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot a guarded host in the rig and show what vmshield.ko
# reports, before and after lockdown is raised. (Later issues grow this into
# the whole shielded-VM power-on flow.)
set -o pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
echo "demo: booting the guarded host (QEMU, Debian's kernel, swtpm TPM 2.0) ..."
start=$(date +%s)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$REPO/selftests/vm/run" --timeout 300 "$REPO/scripts/demo-guest.sh" >"$out" 2>&1
rc=$?
# the rig prints each test's own lines as TAP comments: show ours plainly
grep -E 'demo:|^# rig: (accel|boot-to-tests)|^not ok' "$out" | sed -E 's/^#[[:space:]]+//'
if ((rc != 0)); then
	echo "demo: FAILED (rig exit $rc); full log:" >&2
	tail -40 "$out" >&2
	exit 1
fi
echo "demo: done in $(( $(date +%s) - start )) s"
