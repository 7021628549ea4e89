# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2034 # the variables are the test's
# pytools.sh - the preamble the shell tests of the worker's Python tools
# (libvirt-hook.py, vmshield-migrate.py) source first (POSIX sh):
#   set -u
#   T_NAME=vms-hook
#   . "$(dirname "$0")/pytools.sh"
# It sets TESTS_DIR, HOOK and MIG (the tools), makes the scratch
# directory $T (/tmp/T_NAME.XXXXXX) the current one, sources tap.sh,
# prints the TAP header, skips the whole test without python3, and sets
# UUID (the test VM's). At exit: the test's test_cleanup, if it defines
# one (the QEMUs it started), then $T removed, whatever the test's end
# (HUP, INT and TERM too).
# No bytecode is written next to the tools (PYTHONDONTWRITEBYTECODE).
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
HOOK=$TESTS_DIR/../worker/libvirt-hook.py
MIG=$TESTS_DIR/../worker/vmshield-migrate.py
export PYTHONDONTWRITEBYTECODE=1
T=$(mktemp -d "${TMPDIR:-/tmp}/$T_NAME.XXXXXX") || exit 1
pytools_exit() {
	if command -v test_cleanup >/dev/null 2>&1; then
		test_cleanup
	fi
	rm -rf "$T"
}
trap pytools_exit EXIT
# a signal ends the test through its EXIT trap too
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$T" || exit 1
. "$TESTS_DIR/tap.sh"
echo "TAP version 13"
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 missing"
	exit 0
fi
UUID=6f1c2a5e-930d-4b71-8a42-0c5de177309b
