#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmod-build.sh KVER [OUTDIR] - build vmshield.ko with W=1 against the
# headers of kernel KVER (a release, or main/alt as scripts/kernels.sh
# knows them) in OUTDIR (default build/kmod/KVER). KMOD_BUILD_ARGS adds
# make arguments (static-check.sh --sparse: C=2).
#
# Kbuild puts objects next to the sources, so each kernel gets its own copy
# of the module's sources (Kbuild, dkms.conf, kmod/, core/, include/: what
# DKMS ships) and builds for two kernels never mix. The copy is kept in
# step with the tree (changed files copied with their times, removed ones
# removed), so a second build only redoes what changed.
#
# Exit 0 when the module built without a single compiler warning; 1 on a
# build failure or any warning (the log is printed either way, on stderr);
# 2 when KVER's headers are not installed.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 KVER|main|alt [OUTDIR]" >&2; exit 2; }
KVER=$("$REPO/scripts/kernels.sh" --headers "$1") || {
	echo "kmod-build: no headers for kernel '$1' (run 'make deps')" >&2
	exit 2
}
OUT=${2:-$REPO/build/kmod/$KVER}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# One build per copy at a time: make check's host lane builds the second
# kernel's copy while the guest lane may ask for the same one (rig-kmod-alt
# then waits, and finds it built).
exec {lockfd}>"$OUT/.lock"
flock "$lockfd"

# The module's sources, as DKMS gets them (selftests/dkms/test.sh).
mapfile -t srcs < <(cd "$REPO" && find Kbuild dkms.conf kmod core include -type f \
	\( -name Kbuild -o -name 'Kbuild.*' -o -name dkms.conf -o -name '*.[ch]' \) \
	! -name '*.mod.c' | LC_ALL=C sort)
for f in "${srcs[@]}"; do
	cmp -s "$REPO/$f" "$OUT/$f" || (cd "$REPO" && cp -p --parents -t "$OUT" "$f")
done
# A source removed from the tree must not linger in the copy (Kbuild picks
# core/*.c up by wildcard).
declare -A keep=()
for f in "${srcs[@]}"; do keep[$f]=1; done
while read -r f; do
	[[ -n ${keep[$f]:-} ]] || rm -f "$OUT/$f"
done < <(cd "$OUT" && find kmod core include -type f -name '*.[ch]' ! -name '*.mod.c')

log=$OUT/build.log
t0=$SECONDS
rc=0
# shellcheck disable=SC2086 # KMOD_BUILD_ARGS is a list of make words
make -C "/lib/modules/$KVER/build" M="$OUT" W=1 ${KMOD_BUILD_ARGS:-} modules >"$log" 2>&1 || rc=$?
warnings=$(grep -c 'warning:' "$log" || true)
cat "$log" >&2
if ((rc != 0)); then
	echo "kmod-build: $KVER: build failed (exit $rc); log $log" >&2
	exit 1
fi
if ((warnings != 0)); then
	echo "kmod-build: $KVER: $warnings compiler warning(s); log $log" >&2
	exit 1
fi
echo "kmod-build: $KVER: $OUT/vmshield.ko, W=1, no warnings ($((SECONDS - t0)) s)" >&2
