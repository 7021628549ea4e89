#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh - the module builds with W=1 and not one compiler warning
# against the headers of every supported kernel (TAP 13).
#
#   selftests/dkms/kbuild.sh          KVER="<version> ..." to pick kernels
#
# The kernels are those scripts/kernels.sh --headers all names (Debian 12's
# 6.1, then 6.12). Each is built by scripts/kmod-build.sh in its own copy of
# the sources (build/kmod-check/VER/: not build/kmod/VER/, the copy that
# selftests/kmod/run.sh boots, because a guest may be loading that module;
# KBUILD_DIR=build/kmod builds into the rig's copies instead, as make
# check's host lane does before any guest needs the second kernel's
# module), and the feature probes of kmod/Kbuild.compat that held are printed, so a
# reader sees which side of each API change each kernel took.
#
# Exit: 0 pass, 1 fail, 4 skip (no supported kernel's headers installed).
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
read -r -a KVERS <<<"${KVER:-$("$REPO/scripts/kernels.sh" --headers all | tr '\n' ' ')}"
if ((${#KVERS[@]} == 0)); then
	printf 'TAP version 13\n1..0 # SKIP no supported kernel headers installed (run make deps)\n'
	exit 4
fi

echo "TAP version 13"
echo "1..${#KVERS[@]}"
N=0
FAILS=0
for k in "${KVERS[@]}"; do
	N=$((N + 1))
	t0=$SECONDS
	dir=${KBUILD_DIR:-$REPO/build/kmod-check}/$k
	if out=$("$REPO/scripts/kmod-build.sh" "$k" "$dir" 2>&1); then
		echo "ok $N vmshield.ko for $k: W=1, no warnings ($((SECONDS - t0)) s)"
	else
		FAILS=$((FAILS + 1))
		echo "not ok $N vmshield.ko for $k: W=1, no warnings"
		grep -E 'warning:|error:' <<<"$out" | head -n 20 | sed 's/^/# /'
		tail -n 3 <<<"$out" | sed 's/^/# /'
	fi
	probes=$(cat "$dir"/kmod/.*.o.cmd 2>/dev/null |
		grep -o -- '-DVMS_HAVE_[A-Z0-9_]*' | sort -u | sed 's/^-D//' | paste -sd ' ')
	echo "# $k: probes that held: ${probes:-none}"
done
echo "# $((N - FAILS)) of $N passed"
((FAILS == 0))
