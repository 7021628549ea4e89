#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel-style checks as TAP: checkpatch.pl (from Debian's linux-source-6.1)
# on every kernel-side file must report 0 errors and 0 warnings, and a
# sparse build (C=2) of the module must print no diagnostic.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
make -s "$REPO/build/linux-tools/scripts/checkpatch.pl" >/dev/null
CP=$REPO/build/linux-tools/scripts/checkpatch.pl
files=(kmod/*.c kmod/*.h core/*.c core/*.h include/uapi/linux/vmshield.h)
# Userspace follows the same style, minus the types listed in
# Documentation/testing.md; only the directories already converted are
# checked (USTYLE_DIRS in the top-level Makefile keeps the same list).
# scripts/checkpatch-typedefs names the library types (X509, json_t...)
# checkpatch cannot know are types.
USTYLE_IGNORE=VOLATILE,AVOID_EXTERNS
ufiles=()
for d in userspace/examples userspace/worker userspace/fuzz userspace/agent \
	userspace/hgsd userspace/shieldctl userspace/lib/* userspace/bench \
	userspace/tests selftests/kmod selftests/fabric selftests/worker; do
	for f in "$d"/*.c "$d"/*.h; do
		[[ -e "$f" ]] && ufiles+=("$f")
	done
done
echo "TAP version 13"
echo "1..$(( ${#files[@]} + ${#ufiles[@]} + 1 ))"
n=0
check() {
	n=$((n + 1))
	out=$("$CP" --no-tree --show-types --terse "$@" 2>&1)
	f=${*: -1}
	if grep -qE '(ERROR|WARNING):' <<<"$out"; then
		echo "not ok $n checkpatch $f"
		grep -E '(ERROR|WARNING):' <<<"$out" | sed 's/^/# /'
	else
		echo "ok $n checkpatch $f"
	fi
}
for f in "${files[@]}"; do
	check -f "$f"
done
for f in "${ufiles[@]}"; do
	check --ignore "$USTYLE_IGNORE" \
		--typedefsfile scripts/checkpatch-typedefs -f "$f"
done
n=$((n + 1))
# sparse on the main kernel's headers (Debian 12's 6.1; scripts/kernels.sh)
KDIR=${KDIR:-/lib/modules/$("$REPO/scripts/kernels.sh" --headers main)/build}
touch kmod/*.c core/*.c
diag=$(make -s -C "$KDIR" M="$REPO" C=2 W=1 modules 2>&1 |
	grep -vE '^(make|  (CC|LD|MODPOST|BTF|CHECK))|Skipping BTF' || true)
if [[ -n "$diag" ]]; then
	echo "not ok $n sparse/W=1 build of vmshield.ko is clean"
	sed 's/^/# /' <<<"$diag"
else
	echo "ok $n sparse/W=1 build of vmshield.ko is clean"
fi
