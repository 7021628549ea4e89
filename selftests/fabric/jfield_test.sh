#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# jfield_test.sh - host unit test of jfield, the fabric tests' JSON field
# reader (make check-unit's jfield suite): the fields the guest-side tests
# read, arrays by index, optional fields, and every bad input refused with
# a clear error, exit 1 and nothing on stdout.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JF=${JFIELD:-$REPO/build/selftests/fabric/jfield}
[ -x "$JF" ] || { echo "1..0 # SKIP $JF not built (make -C selftests/fabric jfield)"; exit 4; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n $*"; }
# expect DESC WANT-RC WANT-STDOUT ARGS...: stdin from $IN
expect() {
	local d=$1 rc=$2 want=$3 got r
	shift 3
	got=$("$JF" "$@" <<<"$IN" 2>"$W/err")
	r=$?
	if [ "$r" = "$rc" ] && [ "$got" = "$want" ]; then
		ok "$d"
	else
		nok "$d"
		echo "# rc $r (want $rc), stdout: $got"
		echo "# want: $want"
		sed 's/^/# stderr: /' "$W/err"
	fi
}
# errs DESC PATTERN: the last call's stderr names the error
errs() { if grep -q -- "$2" "$W/err"; then ok "$1"; else nok "$1"; sed 's/^/# /' "$W/err"; fi; }

echo "1..31"
IN='{"attestation":{"state":"valid","last_error":{"substatus":"HgsUnreachable","message":"line one\nline two","detail":null},"certificate":{"subject_cn":"fabric-host","isolation_level":"kernel-locked","n":3,"ok":true}},"hgs":[{"state":"up","failures":0},{"state":"unreachable","failures":7}],"agent":{"clients":2}}'
echo "$IN" >"$W/st.json"

expect "a string is printed raw" 0 valid - attestation.state
expect "a leading dot is allowed" 0 valid - .attestation.state
expect "several paths, one line each, in order" 0 "$(printf 'HgsUnreachable\nfabric-host\n2')" \
	- attestation.last_error.substatus attestation.certificate.subject_cn agent.clients
expect "a string's newlines are printed as spaces (one line a field)" 0 "line one line two" \
	- attestation.last_error.message
expect "numbers and booleans as JSON" 0 "$(printf '3\ntrue')" - attestation.certificate.n attestation.certificate.ok
expect "an array by index" 0 "$(printf 'unreachable\n7\n0')" - hgs.1.state hgs.1.failures hgs.0.failures
expect "an object as compact JSON, in document order" 0 '{"state":"up","failures":0}' - hgs.0
expect "an array as compact JSON" 0 '[{"state":"up","failures":0},{"state":"unreachable","failures":7}]' - hgs
expect "null is printed as null" 0 null - attestation.last_error.detail
expect "a FILE argument reads the file" 0 fabric-host "$W/st.json" attestation.certificate.subject_cn
expect "an optional path present" 0 HgsUnreachable - attestation.last_error.substatus?
expect "an optional path missing or null: an empty line" 0 "$(printf 'unreachable\n\n\nvalid')" \
	- hgs.1.state\? attestation.nothing? attestation.last_error.detail? attestation.state
expect "* goes on with every element, one line each" 0 "$(printf 'up\nunreachable')" - hgs.*.state
expect "[KEY=VALUE] goes on with the elements whose KEY is the string VALUE" 0 7 - 'hgs[state=unreachable].failures'
expect "[KEY=VALUE] matches a number by its JSON" 0 up - 'hgs[failures=0].state'
expect "an unreadable FILE: exit 1" 1 "" "$W/none.json" a
IN='{"a":{"b":1},"l":[1,2]}'
expect "a missing field: exit 1, nothing printed" 1 "" - a.b a.c
errs "... and stderr names the path" "no field a.c"
expect "an index past the array's end: exit 1" 1 "" - l.2
expect "an index into an object, a key into an array: exit 1" 1 "" - l.x
expect "a path through a number: exit 1" 1 "" - a.b.c
expect "an empty component or a trailing dot: exit 1" 1 "" - a..b
IN='{"a": {"x": [ ]}}'
expect "\".\" is the whole document, compact" 0 '{"a":{"x":[]}}' - .
expect "* over an empty array prints nothing and succeeds" 0 "" - a.x.*
IN='{"l":[{"k":"a","v":1},{"k":"b","v":2}],"o":{"k":"a"}}'
expect "a filter no element passes: exit 1" 1 "" - 'l[k=c].v'
expect "a filter or * on an object: exit 1" 1 "" - 'o[k=a]' o.*
expect "under *, an optional field: an empty line for each element without it" 0 "$(printf '\n\n1\n2')" \
	- 'l.*.w?' 'l.*.v'
expect "an element without the field under *: exit 1, nothing printed" 1 "" - l.0.k 'l.*.k' 'l.*.w'
IN='{"a": 1,'
expect "bad JSON: exit 1, nothing printed" 1 "" - a
errs "... and stderr says bad JSON" "bad JSON"
IN='{"a":1}'
expect "no PATH: usage, exit 2" 2 "" -
exit $failed
