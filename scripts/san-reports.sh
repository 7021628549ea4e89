#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# san-reports.sh DIR - the sanitizer tier's last test, as TAP: no process
# it ran (test binaries, hgsd and its key process, shieldctl, hgs-agent)
# left an AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer
# report in DIR (their log_path, set by `make -C userspace SAN=1 check`).
# A report there fails the tier even when the test that caused it passed
# (a child's error can be invisible to its parent), and is printed.
set -u
DIR=${1:?usage: san-reports.sh DIR}
echo "TAP version 13"
echo "1..1"
shopt -s nullglob
reports=("$DIR"/asan.* "$DIR"/ubsan.*)
if ((${#reports[@]} == 0)); then
	echo "ok 1 no sanitizer report from any process of the tier"
	exit 0
fi
echo "not ok 1 ${#reports[@]} sanitizer report(s) in $DIR"
for r in "${reports[@]}"; do
	echo "# ---- $r"
	head -n 40 "$r" | sed 's/^/# /'
done
exit 1
