#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - which installed kernels vmshield builds and tests for. The
# one place that decides; the Makefile, the rig, the DKMS and kbuild suites
# and the scripts all ask it.
#
#   scripts/kernels.sh [--headers|--boot] main|alt|all|VER
#
#   main  Debian 12's own kernel: the newest installed 6.1.x
#         (linux-image-amd64). `make`, `make demo`, the rig and the fabric
#         and worker tests use it unless told otherwise.
#   alt   the second kernel: the newest installed 6.12.x (Debian 12's
#         linux-image-6.12-amd64, from bookworm-security). Built and tested
#         explicitly: `make module-alt`, the kbuild and dkms suites,
#         `selftests/kmod/run.sh --kernel alt` (suite rig-kmod-alt).
#   all   main, then alt, one a line (those installed).
#   VER   that exact release, if installed.
#
#   --headers  only kernels with headers (/lib/modules/VER/build/Makefile)
#   --boot     only kernels the rig can boot (/boot/vmlinuz-VER and
#              /lib/modules/VER/modules.dep)
#
# A release belongs to series S when it starts with "S." (6.1.0-57-amd64
# is 6.1, 6.12.118+deb12-amd64 is 6.12). VMS_KERNEL_MAIN and VMS_KERNEL_ALT
# name other series (default 6.1 and 6.12). This only chooses targets:
# the module itself never looks at version numbers (kmod/Kbuild.compat).
#
# Prints the release(s); exits 1, printing nothing, when none is installed.
set -euo pipefail

MAIN_SERIES=${VMS_KERNEL_MAIN:-6.1}
ALT_SERIES=${VMS_KERNEL_ALT:-6.12}
need=any

usage() {
	sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [[ $# -gt 1 ]]; do
	case $1 in
	--headers) need=headers ;;
	--boot) need=boot ;;
	*) usage ;;
	esac
	shift
done
[[ $# -eq 1 ]] || usage

usable() {
	local v=$1
	case $need in
	headers) [[ -e /lib/modules/$v/build/Makefile ]] ;;
	boot) [[ -r /boot/vmlinuz-$v && -r /lib/modules/$v/modules.dep ]] ;;
	*) [[ -e /lib/modules/$v/build/Makefile || -r /boot/vmlinuz-$v ]] ;;
	esac
}

# installed: every release /lib/modules or /boot knows of, once each
installed() {
	{
		ls -1 /lib/modules 2>/dev/null || true
		ls -1 /boot 2>/dev/null | sed -n 's/^vmlinuz-//p'
	} | sort -u
}

# newest SERIES: the newest usable release of SERIES
newest() {
	local series=$1 v
	installed | while read -r v; do
		if [[ $v == "$series".* ]] && usable "$v"; then
			echo "$v"
		fi
	done | sort -V | tail -n 1
}

case $1 in
main) out=$(newest "$MAIN_SERIES") ;;
alt) out=$(newest "$ALT_SERIES") ;;
all) out=$(newest "$MAIN_SERIES"; newest "$ALT_SERIES") ;;
-*) usage ;;
*) out=$(usable "$1" && echo "$1" || true) ;;
esac
out=$(sed '/^$/d' <<<"$out")
[[ -n $out ]] || exit 1
echo "$out"
