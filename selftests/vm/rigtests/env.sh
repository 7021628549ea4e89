#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: --env values reach the test; the test runs from its own
# directory (kselftest convention).
echo "TAP version 13"
echo "1..2"
[ "${RIG_SELFTEST_VALUE:-}" = "hello world" ] && echo "ok 1 --env passed through" || echo "not ok 1 --env passed through (got '${RIG_SELFTEST_VALUE:-}')"
[ "$(pwd)" = "$(dirname "$(readlink -f "$0")")" ] && echo "ok 2 cwd is the test's directory" || echo "not ok 2 cwd is the test's directory (got $(pwd))"
