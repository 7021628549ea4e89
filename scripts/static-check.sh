#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel-style checks as TAP: checkpatch.pl (from Debian's linux-source-6.1)
# on every kernel-side file must report 0 errors and 0 warnings, and a
# sparse build (C=2) of the module must print no diagnostic.
#   static-check.sh [--checkpatch | --sparse]   (default: both)
# make check-static runs both (check.sh's static tier). checkpatch runs on all CPUs, and a file that passed is not
# checked again while it, its path, the options and checkpatch itself
# are unchanged (build/static-cache/, keyed by their SHA-256).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
MODE=${1:-all}
case $MODE in
all | --checkpatch | --sparse) ;;
*) echo "usage: $0 [--checkpatch | --sparse]" >&2; exit 2 ;;
esac
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
nk=$(( ${#files[@]} + ${#ufiles[@]} ))
case $MODE in
--checkpatch) plan=$nk; files_sparse=0 ;;
--sparse) plan=1; files=(); ufiles=(); files_sparse=1 ;;
*) plan=$((nk + 1)); files_sparse=1 ;;
esac
echo "TAP version 13"
echo "1..$plan"
n=0 failed=0
CACHE=$REPO/build/static-cache
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$CACHE"
# A file's verdict is cached under the hash of checkpatch and its data
# files, then the options, then the file's path and content hash.
tools=$(cat "$CP" "${CP%/*}/spelling.txt" "${CP%/*}/const_structs.checkpatch" \
	scripts/checkpatch-typedefs 2>/dev/null | sha256sum | cut -c1-16)
KOPTS=(-f)
UOPTS=(--ignore "$USTYLE_IGNORE" --typedefsfile scripts/checkpatch-typedefs -f)
optsum() { echo "$*" | sha256sum | cut -c1-8; }
KCACHE=$CACHE/$tools-$(optsum "${KOPTS[@]}")
UCACHE=$CACHE/$tools-$(optsum "${UOPTS[@]}")
declare -A sum
while read -r h f; do
	sum[$f]=$h
done < <(sha256sum "${files[@]}" "${ufiles[@]}" </dev/null 2>/dev/null)
# check_one I KEY ARGS... FILE: checkpatch's verdict on FILE into $W/I
check_one() {
	local i=$1 key=$2 out
	shift 2
	out=$("$CP" --no-tree --show-types --terse "$@" 2>&1)
	if grep -qE '(ERROR|WARNING):' <<<"$out"; then
		{ echo "not ok"; grep -E '(ERROR|WARNING):' <<<"$out" | sed 's/^/# /'; } >"$W/$i"
	else
		echo ok >"$W/$i"
		mkdir -p "${key%/*}" && touch "$key"
	fi
}
i=0 running=0
for f in "${files[@]}" "${ufiles[@]}"; do
	i=$((i + 1))
	if ((i <= ${#files[@]})); then
		opts=("${KOPTS[@]}") key=$KCACHE
	else
		opts=("${UOPTS[@]}") key=$UCACHE
	fi
	key=$key/${f//\//_}.${sum[$f]:-none}
	if [[ -e $key ]]; then
		echo ok >"$W/$i"
		continue
	fi
	if ((running >= $(nproc))); then wait -n; running=$((running - 1)); fi
	check_one "$i" "$key" "${opts[@]}" "$f" &
	running=$((running + 1))
done
wait
i=0
for f in "${files[@]}" "${ufiles[@]}"; do
	i=$((i + 1)) n=$((n + 1))
	{ read -r verdict; diag=$(cat); } <"$W/$i"
	echo "$verdict $n checkpatch $f"
	[[ $verdict == ok ]] || failed=1
	[[ -z $diag ]] || echo "$diag"
done
((files_sparse)) || exit $failed
n=$((n + 1))
# sparse on the main kernel's headers (Debian 12's 6.1; scripts/kernels.sh),
# in a copy of the sources of its own (build/kmod-sparse/): make check runs
# this while guests boot the tree's vmshield.ko, which must not be rebuilt
# under them. Every file is recompiled so W=1 speaks for all of them.
SPARSE_OUT=$REPO/build/kmod-sparse
touch "$SPARSE_OUT"/kmod/*.c "$SPARSE_OUT"/core/*.c 2>/dev/null
out=$(KMOD_BUILD_ARGS=C=2 "$REPO/scripts/kmod-build.sh" main "$SPARSE_OUT" 2>&1)
diag=$(grep -vE '^(make|  (CC|LD|MODPOST|BTF|CHECK))|Skipping BTF|^kmod-build: .*no warnings' \
	<<<"$out" || true)
if [[ -n "$diag" ]]; then
	echo "not ok $n sparse/W=1 build of vmshield.ko is clean"
	sed 's/^/# /' <<<"$diag"
	failed=1
else
	echo "ok $n sparse/W=1 build of vmshield.ko is clean"
fi
exit $failed
