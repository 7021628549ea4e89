#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_kselftest.sh - the module's kselftests on a live guarded host, as
# installed by the vmshield-selftests package (vmshield-selftests(8);
# /usr/sbin/vmshield-selftests links here).
#
#   run_kselftest.sh [--destructive] [--list] [-t TEST]... [-h]
#
# Runs the tests in the order TESTS gives, next to this script. By
# default it leaves the host as it was: the tests DESTRUCTIVE names (a
# clock change, raised lockdown, a module unload) are reported as skipped
# with the reason; --destructive runs them too (a fresh, disposable host:
# lockdown stays raised until reboot). -t runs only the named tests.
# Output: TAP version 13, one result per test, each test's own output as
# comments. Exit status as kselftest's: 0 all passed, 1 a test failed,
# 4 nothing ran (all skipped, or vmshield.ko is not loaded), 2 usage.
set -u -o pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4

usage() {
	cat <<USAGE
Usage: vmshield-selftests [--destructive] [--list] [-t TEST]...

Run vmshield.ko's self-tests on this host (as root, with the module
loaded). Without --destructive, the tests that change the host are
skipped and named: $(awk '!/^#/ && NF { printf "%s ", $1 }' "$HERE/DESTRUCTIVE")
  --destructive  run them too (a disposable host: lockdown stays raised)
  --list         print the tests, and which are destructive, and exit
  -t TEST        run only TEST (repeatable)
  -h, --help     this help
  --version      the version
Exit status: 0 passed, 1 a test failed, 4 nothing ran, 2 usage.
USAGE
}

destructive=0 list=0
only=()
while (($#)); do
	case $1 in
	--destructive) destructive=1 ;;
	--list) list=1 ;;
	-t) only+=("${2:?-t needs a test name}"); shift ;;
	-t*) only+=("${1#-t}") ;;
	-h | --help) usage; exit 0 ;;
	--version) echo "vmshield-selftests $(cat "$HERE/VERSION" 2>/dev/null || echo unknown)"; exit 0 ;;
	*) echo "vmshield-selftests: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

declare -A why
while read -r name reason; do
	[[ -z $name || $name == \#* ]] || why[$name]=$reason
done <"$HERE/DESTRUCTIVE"
tests=()
while read -r t; do
	[[ -z $t || $t == \#* ]] && continue
	if ((${#only[@]})) && [[ " ${only[*]} " != *" $t "* ]]; then continue; fi
	tests+=("$t")
done <"$HERE/TESTS"
for t in "${only[@]}"; do
	[[ -x $HERE/$t ]] || { echo "vmshield-selftests: no test '$t' (--list)" >&2; exit 2; }
done

if ((list)); then
	for t in "${tests[@]}"; do
		printf '%-18s %s\n' "$t" "${why[$t]:+destructive: ${why[$t]}}"
	done
	exit 0
fi

echo "TAP version 13"
if [[ ! -c /dev/vmshield ]]; then
	echo "1..0 # SKIP /dev/vmshield is missing: load the module (modprobe vmshield)"
	exit $KSFT_SKIP
fi
if (($(id -u) != 0)); then
	echo "1..0 # SKIP the tests need root"
	exit $KSFT_SKIP
fi
echo "1..${#tests[@]}"
n=0 passed=0 failed=0 skipped=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	if [[ -n ${why[$t]:-} ]] && ((!destructive)); then
		echo "ok $n $t # SKIP destructive: ${why[$t]} (--destructive runs it)"
		skipped=$((skipped + 1))
		continue
	fi
	echo "# $t"
	(cd "$HERE" && "./$t") 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	case $rc in
	0) echo "ok $n $t"; passed=$((passed + 1)) ;;
	4) echo "ok $n $t # SKIP it skipped itself"; skipped=$((skipped + 1)) ;;
	*) echo "not ok $n $t # exit=$rc"; failed=$((failed + 1)) ;;
	esac
done
echo "# Totals: pass:$passed fail:$failed skip:$skipped"
((failed)) && exit $KSFT_FAIL
((passed)) || exit $KSFT_SKIP
exit $KSFT_PASS
