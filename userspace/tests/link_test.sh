#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# link_test.sh SHIELDCTL [HGSD] - each library links only its own
# dependencies (userspace/lib/README.md): a VMM worker built on the device
# API alone needs no OpenSSL, libcurl, tss2 or server library; the device
# API's archive calls nothing of theirs; hgsd and the worker need only
# what they use. Reads the ELF files of the build next to SHIELDCTL.
# Prints TAP; exits 1 on a failure.
set -u
S=${1:?usage: link_test.sh shieldctl [hgsd]}
B=$(cd "$(dirname "$S")/.." && pwd)
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-link.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$TESTS_DIR/tap.sh"

needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }

# expect_needed NAME FILE ALLOWED-REGEX: every NEEDED entry matches, and
# there is at least one (an unreadable file is a failure, not a pass).
expect_needed() {
	name=$1 f=$2 allowed=$3
	got=$(needed "$f")
	if [ -z "$got" ]; then nok "$name" "no NEEDED entries read from $f"; return; fi
	bad=$(for l in $got; do echo "$l" | grep -Eqx "$allowed" || echo "$l"; done | tr '\n' ' ')
	if [ -n "$bad" ]; then nok "$name" "$f needs $bad(allowed: $allowed)"; else ok "$name"; fi
}

expect_needed "example worker (device API) needs libc, libkeyutils and jansson only" \
	"$B/examples/example_worker" 'lib(c|keyutils|jansson)\.so\.[0-9]+'
expect_needed "vmshield-worker needs no HGS server or client library" \
	"$B/bin/vmshield-worker" 'lib(c|keyutils|jansson|crypto|tpms|tss2-esys|tss2-mu|tss2-rc)\.so\.[0-9]+'
expect_needed "hgsd needs no TPM software stack beyond tss2-mu, no keyutils" \
	"$B/bin/hgsd" 'lib(c|crypto|curl|jansson|microhttpd|gnutls|sqlite3|pq|seccomp|tss2-mu)\.so\.[0-9]+'
expect_needed "shieldctl needs no server library (microhttpd, SQLite, GnuTLS, seccomp)" \
	"$B/bin/shieldctl" 'lib(c|crypto|curl|jansson|keyutils|tss2-[a-z]+)\.so\.[0-9]+'

# The archive itself: undefined symbols of libvmshield.a and libvms-util.a
# are libc's, libkeyutils' and jansson's, never OpenSSL's or libcurl's.
und=$(nm -u "$B/lib/libvmshield.a" "$B/lib/libvms-util.a" 2>/dev/null |
	awk 'NF == 2 { print $2 }' | grep -E '^(EVP_|OPENSSL_|CRYPTO_|RAND_|curl_|Esys_|Tss2_|MHD_|sqlite3_)' |
	sort -u | tr '\n' ' ')
if [ ! -s "$B/lib/libvmshield.a" ]; then
	nok "libvmshield.a calls no OpenSSL, libcurl, tss2 or server function" "no $B/lib/libvmshield.a"
elif [ -n "$und" ]; then
	nok "libvmshield.a calls no OpenSSL, libcurl, tss2 or server function" "undefined: $und"
else
	ok "libvmshield.a calls no OpenSSL, libcurl, tss2 or server function"
fi

echo "1..$n"
exit $failed
