#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: a --share directory is the outer directory, read-write, at
# the same path (RIG_SELFTEST_SHARE names it).
echo "TAP version 13"
echo "1..2"
d=${RIG_SELFTEST_SHARE:-/nonexistent}
[ "$(cat "$d/from-outer" 2>/dev/null)" = "outer says hi" ] && echo "ok 1 shared directory shows the outer file" || echo "not ok 1 shared directory shows the outer file"
echo "guest says hi" >"$d/from-guest" && sync && echo "ok 2 shared directory is writable" || echo "not ok 2 shared directory is writable"
