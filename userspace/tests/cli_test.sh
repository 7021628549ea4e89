#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cli_test.sh SHIELDCTL - drive `shieldctl crypto ...` end to end: round
# trips, and failures that must exit 1 with a message, print no secret and
# leave no output file. Prints TAP on stdout; exits 1 if any test failed.
set -u
S=${1:?usage: cli_test.sh path/to/shieldctl}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# flip_byte; ok/nok/check below are this script's own (fails differs)
. "$HERE/tap.sh"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # NAME CONDITION... (its output is kept off the TAP stream)
	name=$1; shift
	if "$@" >check.out 2>&1; then ok "$name"; else nok "$name" "failed: $*" "$(cat check.out)"; fi
}
# fails NAME PATTERN OUTFILE CMD...: exit 1, PATTERN on stderr, no OUTFILE;
# usage_fails and unreachable_fails: the same with exit 2 and 3
# (man/vmshield-exit-codes.7.scd)
fails() { fails_rc 1 "$@"; }
usage_fails() { fails_rc 2 "$@"; }
unreachable_fails() { fails_rc 3 "$@"; }
fails_rc() {
	want=$1 name=$2 pat=$3 outf=$4; shift 4
	"$@" >out.txt 2>err.txt; rc=$?
	if [ $rc -ne "$want" ]; then nok "$name" "exit $rc, want $want" "$(cat err.txt)"; return; fi
	if ! grep -q -- "$pat" err.txt; then nok "$name" "stderr lacks '$pat'" "$(cat err.txt)"; return; fi
	if [ "$outf" != - ] && [ -e "$outf" ]; then nok "$name" "$outf was left behind"; return; fi
	if ls -A | grep -q '\.tmp-'; then nok "$name" "temporary file left behind"; return; fi
	ok "$name"
}
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

VM=6f1c2a5e-930d-4b71-8a42-0c5de177309b
KID=00112233445566778899aabbccddeeff
DG=$(printf worker | sha256sum | cut -c1-64)
head -c 32 /dev/urandom > tk
head -c 100000 /dev/urandom > state
: > empty

# ---- keys ----
check "keygen raw" $S crypto keygen --private e.key --public e.pub
check "raw keys are 32 bytes, private 0600" \
	test "$(wc -c < e.key)" = 32 -a "$(wc -c < e.pub)" = 32 -a "$(stat -c %a e.key)" = 600
check "keygen pem" $S crypto keygen --private p.key --public p.pub --format pem
if command -v openssl >/dev/null; then
	check "openssl reads the PEM private key" sh -c 'openssl pkey -in p.key -noout -text | grep -q X25519'
	check "PEM public matches openssl's derivation" sh -c 'openssl pkey -in p.key -pubout | cmp -s - p.pub'
fi
cp e.key e.key.orig
fails "keygen refuses to overwrite" "already exists" - $S crypto keygen --private e.key --public new.pub
check "  ... and left the old key and no public key" sh -c 'cmp -s e.key e.key.orig && test ! -e new.pub'
check "keygen --force replaces" $S crypto keygen --private e.key --public e.pub --force
check "  ... with a new key" sh -c '! cmp -s e.key e.key.orig'
fails "keygen bad format" "raw or pem" - $S crypto keygen --private x.key --public x.pub --format der
$S crypto keygen --private o.key --public o.pub >/dev/null 2>&1

# ---- hpke ----
for aead in aes128gcm aes256gcm; do
	check "hpke-seal $aead" $S crypto hpke-seal --public e.pub --in state --out h.$aead --info 0a0b --aad cafe --aead $aead
	check "hpke-seal output is enc||ct||tag" test "$(wc -c < h.$aead)" = $((100000 + 48))
	check "hpke-open $aead round trip" sh -c "$S crypto hpke-open --private e.key --in h.$aead --out h.$aead.out --info 0a0b --aad cafe --aead $aead && cmp -s state h.$aead.out"
done
check "hpke with PEM keys, empty file" sh -c "$S crypto hpke-seal --public p.pub --in empty --out hp && $S crypto hpke-open --private p.key --in hp --out hp.out && cmp -s empty hp.out"
fails "hpke-open wrong aad" "decryption failed" h.bad $S crypto hpke-open --private e.key --in h.aes256gcm --out h.bad --info 0a0b --aad caff
fails "hpke-open wrong info" "decryption failed" h.bad $S crypto hpke-open --private e.key --in h.aes256gcm --out h.bad --aad cafe
fails "hpke-open wrong aead" "decryption failed" h.bad $S crypto hpke-open --private e.key --in h.aes256gcm --out h.bad --info 0a0b --aad cafe --aead aes128gcm
fails "hpke-open wrong key" "decryption failed" h.bad $S crypto hpke-open --private o.key --in h.aes256gcm --out h.bad --info 0a0b --aad cafe
fails "hpke-seal bad hex" "hex digits" h.bad $S crypto hpke-seal --public e.pub --in state --out h.bad --aad abc
printf '\340\353\172\174\073\101\270\256\026\126\343\372\361\237\304\152\332\011\215\353\234\062\261\375\206\142\005\026\137\111\270\000' > low.pub
check "low-order key file is 32 bytes" test "$(wc -c < low.pub)" = 32
fails "hpke-seal to a low-order public key" "low order" h.bad $S crypto hpke-seal --public low.pub --in state --out h.bad
fails "hpke-seal with a non-key file" "not a key file" h.bad $S crypto hpke-seal --public state --in state --out h.bad
fails "hpke-open of a short file" "too short" h.bad $S crypto hpke-open --private e.key --in empty --out h.bad

# ---- key release ----
$S crypto keygen --private k.key --public k.pub >/dev/null 2>&1
check "release-build shielded" $S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 3600 --worker-digest $DG --enclave-public e.pub --kps-private k.key --tk tk --out rel
check "release is 252 + 32 bytes" test "$(wc -c < rel)" = 284
$S crypto release-open --kps-public k.pub --enclave-private e.key --in rel --tk-out tk.out --vm-id $VM --key-id $KID > open.txt 2> open.err
check "release-open recovers the TK" cmp -s tk tk.out
check "release-open TK file is 0600" test "$(stat -c %a tk.out)" = 600
check "release-open prints the binding" sh -c "grep -q 'vm_id: $VM' open.txt && grep -q 'policy: shielded' open.txt && grep -q 'worker_digest: $DG' open.txt && grep -q 'lifetime_s: 3600' open.txt && grep -q 'version: 2' open.txt"
check "release-build binds the given challenge and its time" sh -c "$S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public e.pub --kps-private k.key --challenge $(printf 'ab%.0s' $(seq 32)) --challenge-ns 7000000000 --tk tk --out relc >/dev/null && $S crypto release-open --kps-public k.pub --enclave-private e.key --in relc --tk-out tkc.out | grep -q 'challenge: $(printf 'ab%.0s' $(seq 32))' && $S crypto release-open --kps-public k.pub --enclave-private e.key --in relc --tk-out tkc.out --force | grep -q 'not_after_ns: 67000000000'"
fails "release-build bad challenge" "64 hex digits" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public e.pub --kps-private k.key --challenge abcd --tk tk --out rel.bad2
check "release-open prints no secret" sh -c "! grep -qi '$(hex tk)' open.txt open.err"
check "release with PEM enclave key, encryption-supported" sh -c "$S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public p.pub --kps-private k.key --tk tk --out relp && $S crypto release-open --kps-public k.pub --enclave-private p.key --in relp --tk-out tkp.out >/dev/null && cmp -s tk tkp.out"
fails "release-open refuses to overwrite the TK file" "already exists" - $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel --tk-out tk.out
fails "release-open from another KPS key" "another KPS key" tk.bad $S crypto release-open --kps-public o.pub --enclave-private e.key --in rel --tk-out tk.bad
fails "release-open for another enclave" "another enclave" tk.bad $S crypto release-open --kps-public k.pub --enclave-private o.key --in rel --tk-out tk.bad
fails "release-open wrong vm id" "another VM" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel --tk-out tk.bad --vm-id 6f1c2a5e-930d-4b71-8a42-0c5de177309c
fails "release-open wrong key id" "another VM or key id" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel --tk-out tk.bad --key-id 00112233445566778899aabbccddee00
cp rel rel.bad; flip_byte rel.bad 283
fails "release-open tampered" "authentication" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel.bad --tk-out tk.bad
head -c 100 rel > rel.short
fails "release-open truncated" "wrong length" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel.short --tk-out tk.bad
cat rel tk > rel.long
fails "release-open trailing bytes" "wrong length" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in rel.long --tk-out tk.bad
head -c 284 state > notrel
fails "release-open not a release" "bad magic" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in notrel --tk-out tk.bad
fails "release-open of a large file" "wrong length" tk.bad $S crypto release-open --kps-public k.pub --enclave-private e.key --in state --tk-out tk.bad
fails "release-build shielded without digest" "at least one --worker-digest" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 3600 --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build lifetime 0" "1..604800" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 0 --worker-digest $DG --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build lifetime over 7 days" "1..604800" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 604801 --worker-digest $DG --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build bad policy" "--policy must be" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy none --lifetime 60 --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build bad uuid" "not a UUID" rel.bad2 $S crypto release-build --vm-id 6f1c2a5e930d4b718a420c5de177309b --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build bad digest" "64 hex digits" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 60 --worker-digest abcd --enclave-public e.pub --kps-private k.key --tk tk --out rel.bad2
fails "release-build TK of wrong size" "exactly 32 bytes" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public e.pub --kps-private k.key --tk state --out rel.bad2
usage_fails "release-build missing option" "missing --tk" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public e.pub --kps-private k.key --out rel.bad2
fails "release-build low-order enclave key" "invalid X25519" rel.bad2 $S crypto release-build --vm-id $VM --key-id $KID --policy encryption-supported --lifetime 60 --enclave-public low.pub --kps-private k.key --tk tk --out rel.bad2

# ---- sealed state ----
check "state-seal" sh -c "$S crypto state-seal --tk tk --vm-id $VM --key-id $KID --generation 7 --in state --out st.sealed > seal.txt"
check "sealed size is payload + 96" test "$(wc -c < st.sealed)" = $((100000 + 96))
$S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in st.sealed --out st.out > unseal.txt 2>&1
check "state-unseal round trip" cmp -s state st.out
check "state-unseal reports the generation" grep -q "generation 7" unseal.txt
check "state-unseal output is 0600" test "$(stat -c %a st.out)" = 600
check "state seal/unseal of an empty file" sh -c "$S crypto state-seal --tk tk --vm-id $VM --key-id $KID --generation 0 --in empty --out e.sealed >/dev/null && $S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in e.sealed --out e.out >/dev/null && cmp -s empty e.out && test \$(wc -c < e.sealed) = 96"
cp st.sealed st.prev
check "state-seal replaces the output atomically" sh -c "$S crypto state-seal --tk tk --vm-id $VM --key-id $KID --generation 8 --in state --out st.sealed >/dev/null && ! cmp -s st.sealed st.prev && ! ls -A | grep -q '\.tmp-'"
cp st.sealed st.bad; printf '\377' | dd of=st.bad bs=1 seek=500 conv=notrunc 2>/dev/null
fails "state-unseal tampered" "authentication" st.bad.out $S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in st.bad --out st.bad.out
fails "state-unseal wrong vm id" "another VM" st.bad.out $S crypto state-unseal --tk tk --vm-id 6f1c2a5e-930d-4b71-8a42-0c5de177309c --key-id $KID --in st.sealed --out st.bad.out
fails "state-unseal wrong key id" "another VM or key id" st.bad.out $S crypto state-unseal --tk tk --vm-id $VM --key-id 00112233445566778899aabbccddee00 --in st.sealed --out st.bad.out
fails "state-unseal wrong TK" "authentication" st.bad.out $S crypto state-unseal --tk o.key --vm-id $VM --key-id $KID --in st.sealed --out st.bad.out
head -c 50 st.sealed > st.short
fails "state-unseal truncated" "wrong length" st.bad.out $S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in st.short --out st.bad.out
cp st.out st.keep
fails "state-unseal failure keeps an existing output" "authentication" - $S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in st.bad --out st.out
check "  ... unchanged" cmp -s st.out st.keep
fails "state-seal bad generation" "--generation must be" st.bad.out $S crypto state-seal --tk tk --vm-id $VM --key-id $KID --generation -1 --in state --out st.bad.out
fails "state-seal missing input" "cannot read" st.bad.out $S crypto state-seal --tk tk --vm-id $VM --key-id $KID --generation 1 --in nosuch --out st.bad.out

# ---- cross-check against an independent implementation of formats.md ----
X="python3 $HERE/xcheck_formats.py"
XDIR=$(cd "$HERE/../.." && pwd)
if python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' 2>/dev/null; then
	check "independent implementation reproduces core/selftest_kat.h" $X kat "$XDIR/core/selftest_kat.h"
	$S crypto keygen --private xr.key --public xr.pub >/dev/null 2>&1
	$S crypto release-build --vm-id $VM --key-id $KID --policy shielded --lifetime 60 --worker-digest $DG --worker-digest $DG --enclave-public xr.pub --kps-private k.key --tk tk --out xrel >/dev/null 2>&1
	check "independent implementation opens a shieldctl key release" sh -c "test \"\$($X open-release xrel xr.key k.pub)\" = $(hex tk)"
	check "independent implementation checks RFC 9180 A.1.3 (auth mode)" $X hpke-auth "$HERE/data/hpke/rfc9180-a1-auth.txt"
	check "shieldctl unseals independently sealed state" sh -c "$X seal-state tk $VM $KID 99 state xst && $S crypto state-unseal --tk tk --vm-id $VM --key-id $KID --in xst --out xst.out | grep -q 'generation 99' && cmp -s state xst.out"
else
	for t in "reproduces core/selftest_kat.h" "opens a shieldctl key release" "checks RFC 9180 A.1.3 (auth mode)" "shieldctl unseals independently sealed state"; do
		n=$((n + 1)); echo "ok $n - cross-check: $t # SKIP python3 cryptography not installed"
	done
fi

# ---- usage ----
for sub in keygen hpke-seal hpke-open release-build release-open state-seal state-unseal selftest; do
	check "$sub --help" sh -c "$S crypto $sub --help | grep -q '^Usage: shieldctl crypto $sub'"
done
check "shieldctl --help lists crypto" sh -c "$S --help | grep -q crypto"
check "crypto --help lists subcommands" sh -c "$S crypto --help | grep -q release-open"
usage_fails "unknown command" "unknown command" - $S frobnicate
usage_fails "unknown subcommand" "unknown subcommand" - $S crypto frobnicate
usage_fails "unknown option" "unknown option" - $S crypto keygen --frob
usage_fails "missing option value" "needs a value" - $S crypto keygen --private
usage_fails "stray argument" "unexpected argument" - $S crypto selftest extra
check "selftest" sh -c "$S crypto selftest | grep -q passed"

# ---- the families' subcommand tables (no HGS, guardian or TPM needed) ----
for f in hgs kp guardian tpm; do
	check "$f --help exits 0 with its usage" sh -c "$S $f --help | grep -q '^Usage: shieldctl $f'"
	usage_fails "$f alone prints the usage and exits 2" "^Usage: shieldctl $f" - $S $f
done
check "hgs --help lists each word of a grouped line" sh -c \
	"$S hgs --help | grep -q '^  host disable|enable|remove NAME\$'"
check "kp --help has a line per subcommand" sh -c \
	"$S kp --help | grep -q '^       shieldctl kp grant|revoke --in KP'"
usage_fails "hgs: an unknown subcommand gets the usage" "^Usage: shieldctl hgs" - $S hgs host frob h1
usage_fails "hgs: a known subcommand with a word too many gets the usage" "^Usage: shieldctl hgs" - \
	$S hgs status extra
usage_fails "hgs: worker add without DIGEST or --file gets the usage" "^Usage: shieldctl hgs" - \
	$S hgs worker add
# hgs worker image: the program, its ld.so and every library the loader
# resolves for it, each as sha256sum prints it (issue 16)
check "hgs worker image: shieldctl's own image" sh -c "$S hgs worker image $S > image.txt"
check "  ... starts with the program, then its ELF interpreter" sh -c \
	"head -1 image.txt | grep -q ' $(readlink -f $S)\$' && sed -n 2p image.txt | grep -q '/ld-linux'"
# every path ldd prints for $1 is a line of image.txt
ldd_paths_in_image() {
	grep -q '/libc\.so' image.txt && grep -q '/libcrypto\.so' image.txt || return 1
	ldd "$1" | awk '/\// { print ($2 == "=>") ? $3 : $1 }' > ldd.txt
	while read -r p; do grep -q "  $p\$" image.txt || return 1; done < ldd.txt
}
check "  ... names libc and libcrypto, and every file ldd names" ldd_paths_in_image $S
check "  ... each digest is the file's SHA-256" sh -c "sha256sum -c --quiet image.txt"
printf 'not an ELF program\n' > notelf
fails "hgs worker image: a file that is not ELF" "not a 64-bit ELF program" - \
	$S hgs worker image notelf
fails "hgs worker image: no such file" "No such file" - $S hgs worker image ./missing
usage_fails "hgs: an ima-key mistake lists the ima-key commands" \
	"use 'ima-key add CERT \[--description TEXT\]', 'ima-key list' or 'ima-key remove SHA256'" - \
	$S hgs ima-key frob
usage_fails "hgs: more than four words" "too many arguments" - $S hgs a b c d e
usage_fails "hgs: an unknown option" "unknown option '--frob'" - $S hgs --frob status
fails "hgs: worker history wants a number" "VERSION must be a number" - $S hgs worker history x
usage_fails "hgs: tpm-digest add needs --kind" "missing --kind module|allow" - $S hgs tpm-digest add f
unreachable_fails "hgs: an unreachable socket is named" "cannot reach hgsd at $T/none.sock" - \
	$S hgs --socket "$T/none.sock" policy show
usage_fails "kp: an unknown subcommand" "unknown command 'frob'" - $S kp frob
usage_fails "kp grant needs one --guardian" "needs --in KP and one --guardian PUB" - \
	$S kp grant --in a --owner b --out c
usage_fails "guardian: an unknown subcommand" "unknown command 'frob'" - $S guardian frob
usage_fails "guardian show needs --in" "guardian show: needs --in" - $S guardian show
usage_fails "tpm: an unknown subcommand" "unknown command 'frob' or missing options" - $S tpm frob
usage_fails "tpm ek without --out" "unknown command 'ek' or missing options" - $S tpm ek

echo "1..$n"
exit $failed
