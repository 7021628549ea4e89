#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - the module's kselftests, in the order TESTS gives, in one boot
# of the guarded-host rig (selftests/vm/run).
#
#   selftests/kmod/run.sh [--kernel main|alt|VER] [--except TEST]...
#                         [more rig options]
#
# main (the default) boots Debian 12's 6.1 with the tree's vmshield.ko
# (`make module`). Any other kernel (alt: Debian 12's 6.12) gets the module
# built for it first by scripts/kmod-build.sh, under build/kmod/VER/.
# The test programs are the ones `make selftests` built in build/selftests/.
# --except TEST leaves that program of TESTS out (make check leaves
# hypervisor_test's kcore scan out of the second kernel's run: it proves
# the scan, which the main kernel's run already does).
# Prints the rig's TAP and exits as the rig does (4: skip, the kernel is
# not installed).
set -u -o pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
want=main
if [[ ${1:-} == --kernel ]]; then
	want=${2:?--kernel needs main, alt or a release}
	shift 2
elif [[ ${1:-} == --kernel=* ]]; then
	want=${1#--kernel=}
	shift
fi
declare -A except=()
while [[ ${1:-} == --except ]]; do
	except[${2:?--except needs a test name}]=1
	shift 2
done

skip_all() {
	printf 'TAP version 13\n1..0 # SKIP %s\n' "$*"
	exit 4
}

KVER=$("$REPO/scripts/kernels.sh" --boot "$want") ||
	skip_all "kernel '$want' is not installed (bootable, with modules): run 'make deps'"
if [[ $want == main ]]; then
	module=$REPO/vmshield.ko
else
	if ! out=$("$REPO/scripts/kmod-build.sh" "$KVER" 2>&1); then
		printf 'TAP version 13\n1..1\nnot ok 1 build vmshield.ko for %s\n' "$KVER"
		tail -n 20 <<<"$out" | sed 's/^/# /'
		exit 1
	fi
	echo "${out##*$'\n'}" >&2
	module=$REPO/build/kmod/$KVER/vmshield.ko
fi

tests=()
while read -r t; do
	[[ -z $t || $t == \#* || -n ${except[$t]:-} ]] ||
		tests+=("$REPO/build/selftests/$t")
done <"$HERE/TESTS"

exec "$REPO/selftests/vm/run" --kernel "$KVER" --module "$module" \
	--timeout 1200 "$@" "${tests[@]}"
