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
	userspace/tests selftests/kmod selftests/fabric selftests/worker userspace/enclave; do
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
# check_batch LIST ARGS...: one checkpatch run over the files named in LIST
# (lines "I KEY FILE"); each file's verdict into $W/I, its key touched when
# it passed. One run for many files: checkpatch's start-up (about 0.3
# CPU-seconds) was most of the cost of a cold cache, paid once per file.
# GIT_DIR=/nonexistent: where .git exists (a clone's directory, a
# worktree's file) checkpatch runs `git ls-files -- FILE` for every file,
# only to set the -f flag we pass anyway (a sh and a git per file: 16% of
# checkpatch's CPU time on the kernel files); its output on all 383 files
# was byte-identical with and without it (session 12, without --terse).
# One awk reads the list and checkpatch's output and writes every verdict
# (an awk, a subshell, mkdir and touch per file, then a subshell per file
# to print them: with a checkpatch that does nothing, 20 CPU-seconds for
# the 383 files at load 16, now 3.5).
check_batch() {
	local list=$1 out rc=0 flagged i key f
	shift
	out=$(cut -d' ' -f3- "$list" | tr '\n' '\0' |
		GIT_DIR=/nonexistent xargs -0 "$CP" --no-tree --show-types --terse "$@" 2>&1) || rc=$?
	# a diagnostic is a line "FILE:...: ERROR|WARNING: ..." of that file;
	# prints how many files were flagged, the passed ones' keys to $list.ok
	flagged=$(awk -v W="$W" -v ok="$list.ok" '
		FNR == NR {
			n++; id[n] = $1; key[n] = $2
			f = $0; sub(/^[^ ]* [^ ]* /, "", f); file[n] = f ":"
			next
		}
		/(ERROR|WARNING):/ {
			for (k = 1; k <= n; k++)
				if (index($0, file[k]) == 1)
					diag[k] = diag[k] "# " $0 "\n"
		}
		END {
			for (k = 1; k <= n; k++) {
				out = W "/" id[k]
				if (k in diag) {
					printf "not ok\n%s", diag[k] > out
					bad++
				} else {
					print "ok" > out
					print key[k] > ok
				}
				close(out)
			}
			printf "%d\n", bad
			close(ok)
		}' "$list" - <<<"$out")
	# checkpatch failed and blamed no file (a bad option, a crash): none
	# of them passed
	if ((rc != 0 && flagged == 0)); then
		while read -r i key f; do
			{ echo "not ok"; echo "# checkpatch exited $rc:"; head -n 5 <<<"$out" |
				sed 's/^/#   /'; } >"$W/$i"
		done <"$list"
		return
	fi
	[[ -s $list.ok ]] || return 0
	sed 's,/[^/]*$,,' "$list.ok" | sort -u | tr '\n' '\0' | xargs -0 mkdir -p &&
		tr '\n' '\0' <"$list.ok" | xargs -0 touch
}
i=0
: >"$W/k.todo"
: >"$W/u.todo"
for f in "${files[@]}" "${ufiles[@]}"; do
	i=$((i + 1))
	if ((i <= ${#files[@]})); then
		key=$KCACHE todo=$W/k.todo
	else
		key=$UCACHE todo=$W/u.todo
	fi
	key=$key/${f//\//_}.${sum[$f]:-none}
	if [[ -e $key ]]; then
		echo ok >"$W/$i"
		continue
	fi
	echo "$i $key $f" >>"$todo"
done
# the files to check, in batches of about 20 per option set (one batch
# per file would pay checkpatch's start-up per file; a few large ones would
# leave a CPU idle at the end), nproc batches at a time
jobs=$(nproc) running=0
for set in k u; do
	[[ -s $W/$set.todo ]] || continue
	split -l 20 "$W/$set.todo" "$W/$set.batch."
	for list in "$W/$set".batch.*; do
		if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
		if [[ $set == k ]]; then
			check_batch "$list" "${KOPTS[@]}" &
		else
			check_batch "$list" "${UOPTS[@]}" &
		fi
		running=$((running + 1))
	done
done
wait
i=0
for f in "${files[@]}" "${ufiles[@]}"; do
	i=$((i + 1)) n=$((n + 1))
	read -r verdict <"$W/$i"
	echo "$verdict $n checkpatch $f"
	[[ $verdict == ok ]] && continue
	failed=1
	tail -n +2 "$W/$i"
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
