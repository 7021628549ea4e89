#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Count TAP results over the given files and print one closing line:
#   N passed, N failed, N skipped
# Only top-level result lines count ("ok", "not ok"; "# SKIP" marks a
# skip); indented subtest lines and comments do not. Exit 1 on any failure
# or when nothing ran at all.
set -u
pass=0 fail=0 skip=0
for f in "$@"; do
	[[ -f "$f" ]] || { echo "# missing TAP file: $f"; fail=$((fail + 1)); continue; }
	while IFS= read -r line; do
		case "$line" in
		"not ok "*)
			if [[ "$line" =~ \#\ (SKIP|skip) ]]; then
				skip=$((skip + 1))
			else
				fail=$((fail + 1)); echo "# FAILED ($(basename "$f")): $line"
			fi ;;
		"ok "*)
			if [[ "$line" =~ \#\ (SKIP|skip) ]]; then
				skip=$((skip + 1)); echo "# skipped ($(basename "$f")): $line"
			else
				pass=$((pass + 1))
			fi ;;
		esac
	done < "$f"
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0 && pass + skip > 0))
