#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tap-summary.sh [-l LABEL] [-t SECONDS] [-q] FILE... - count TAP results
# over the given files and print one closing line:
#   N passed, N failed, N skipped
# or, with -l and -t, "LABEL: N passed, N failed, N skipped in SECONDS s".
# Only top-level result lines count ("ok", "not ok"; "# SKIP" marks a
# skip, and a "not ok ... # TODO" -- a known gap, TAP's expected failure --
# counts as skipped too); indented subtest lines and comments do not.
# Each failure, skip and TODO is named on a line of its own before the
# count, unless -q. Exit 1 on any failure or when nothing ran at all.
set -u
label="" secs="" quiet=0
while getopts "l:t:q" o; do
	case $o in
	l) label=$OPTARG ;;
	t) secs=$OPTARG ;;
	q) quiet=1 ;;
	*) echo "usage: $0 [-l LABEL] [-t SECONDS] [-q] FILE..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
say() { ((quiet)) || echo "$@"; }
pass=0 fail=0 skip=0
for f in "$@"; do
	[[ -f "$f" ]] || { echo "# missing TAP file: $f"; fail=$((fail + 1)); continue; }
	while IFS= read -r line; do
		case "$line" in
		"not ok "*)
			if [[ "$line" =~ \#\ (SKIP|skip) ]]; then
				skip=$((skip + 1)); say "# skipped ($(basename "$f")): $line"
			elif [[ "$line" =~ \#\ (TODO|todo) ]]; then
				skip=$((skip + 1)); say "# todo ($(basename "$f")): $line"
			else
				fail=$((fail + 1)); say "# FAILED ($(basename "$f")): $line"
			fi ;;
		"ok "*)
			if [[ "$line" =~ \#\ (SKIP|skip) ]]; then
				skip=$((skip + 1)); say "# skipped ($(basename "$f")): $line"
			else
				pass=$((pass + 1))
			fi ;;
		esac
	done < "$f"
done
out="$pass passed, $fail failed, $skip skipped"
[[ -n $label ]] && out="$label: $out"
[[ -n $secs ]] && out="$out in $secs s"
echo "$out"
((fail == 0 && pass + skip > 0))
