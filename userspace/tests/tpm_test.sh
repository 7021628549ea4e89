#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tpm_test.sh SHIELDCTL - `shieldctl tpm` (userspace/lib/hosttpm/host_tpm.c) against
# a real TPM 2.0: swtpm (libtpms) on 127.0.0.1, provisioned with an EK by
# swtpm_setup, reached through tpm2-tss's swtpm TCTI. The results are
# checked with tpm2-tools, an independent implementation: tpm2_checkquote
# verifies our quotes, tpm2_makecredential makes the credentials we
# activate, tpm2_pcrread reads the PCRs. Prints TAP; exits 1 on a failure.
set -u
S=${1:?usage: tpm_test.sh shieldctl}
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-tpm.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

. "$TESTS_DIR/tap.sh"

for t in swtpm swtpm_setup tpm2_checkquote tpm2_makecredential tpm2_pcrread xxd; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed (make deps)"; exit 0; }
done

# start_tpm DIR: provision a TPM with an EK in DIR and serve it on a free
# port pair; sets PORT.
start_tpm() {
	mkdir -p "$1"
	swtpm_setup --tpm2 --createek --tpmstate "$1" >"$1.setup.log" 2>&1 || return 1
	p=$((20000 + ($$ * 7 + $(od -An -N2 -tu2 /dev/urandom)) % 20000 * 2))
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((p + 2))
		swtpm socket --tpm2 --daemon --server type=tcp,bindaddr=127.0.0.1,port=$p \
			--ctrl type=tcp,bindaddr=127.0.0.1,port=$((p + 1)) \
			--tpmstate dir="$1" --flags not-need-init,startup-clear \
			--pid file="$1.pid" >"$1.log" 2>&1 || continue
		PIDS="$PIDS $(cat "$1.pid")"
		PORT=$p
		return 0
	done
	return 1
}

echo "TAP version 13"
start_tpm "$T/tpm1" || { echo "1..0 # SKIP cannot start swtpm: $(tail -n 2 "$T/tpm1.log" "$T/tpm1.setup.log" 2>/dev/null)"; exit 0; }
TA="swtpm:host=127.0.0.1,port=$PORT"
start_tpm "$T/tpm2" || { echo "Bail out! cannot start a second swtpm"; exit 1; }
TB="swtpm:host=127.0.0.1,port=$PORT"
PCRS=0,1,2,3,4,5,6,7,10
Q=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# ---- identity ----
check "tpm ek writes the EK public key" "$S" tpm --tcti "$TA" ek --out ek.pub
check "the EK is RSA 2048 (TPM2B_PUBLIC, type 0x0001, 316 bytes)" sh -c \
	'[ $(stat -c %s ek.pub) = 316 ] && [ "$(xxd -s 2 -l 2 -p ek.pub)" = 0001 ]'
"$S" tpm --tcti "$TA" ek --out ek2.pub >/dev/null 2>&1
check "the EK is the same on every call" cmp ek.pub ek2.pub
"$S" tpm --tcti "$TB" ek --out ekB.pub >/dev/null 2>&1
check "another TPM has another EK" sh -c '! cmp -s ek.pub ekB.pub'
check "tpm ak writes the AK and its Name" "$S" tpm --tcti "$TA" ak --out ak.pub --name-out ak.name
check "the AK Name is SHA-256 (0x000b || 32 bytes)" sh -c \
	'[ $(stat -c %s ak.name) = 34 ] && [ "$(xxd -l 2 -p ak.name)" = 000b ]'
"$S" tpm --tcti "$TA" ak --out ak2.pub >/dev/null 2>&1
check "the AK is stable (a primary derived from the endorsement seed)" cmp ak.pub ak2.pub

# ---- quote ----
check "tpm quote over PCRs $PCRS" "$S" tpm --tcti "$TA" quote --pcrs $PCRS \
	--qualifying $Q --attest-out q.attest --sig-out q.sig --pcrs-out q.pcrs
tail -c +3 q.attest >q.msg	# tpm2-tools wants the TPMS_ATTEST without its size
check "tpm2_checkquote verifies the quote with the AK and qualifying data" \
	tpm2_checkquote -u ak.pub -m q.msg -s q.sig -q $Q -g sha256
check "tpm2_checkquote refuses other qualifying data" sh -c \
	"! tpm2_checkquote -u ak.pub -m q.msg -s q.sig -q ${Q}ff -g sha256"
cp q.msg q.flip
flip_byte q.flip 40
check "tpm2_checkquote refuses a flipped bit in the attest structure" sh -c \
	"! tpm2_checkquote -u ak.pub -m q.flip -s q.sig -q $Q -g sha256"
"$S" tpm --tcti "$TB" ak --out akB.pub >/dev/null 2>&1
check "another TPM's AK does not verify the quote" sh -c \
	"! tpm2_checkquote -u akB.pub -m q.msg -s q.sig -q $Q -g sha256"
tpm2_pcrread -T "$TA" sha256:$PCRS -o pcrs.ref >/dev/null 2>&1
check "the PCR values are tpm2_pcrread's, in PCR order" cmp q.pcrs pcrs.ref
check "9 PCRs: 288 bytes of values" sh -c '[ $(stat -c %s q.pcrs) = 288 ]'

# ---- credential activation ----
head -c 32 /dev/urandom >secret
tpm2_makecredential -T none -u ek.pub -s secret -n "$(xxd -p -c 100 ak.name)" -o cred >/dev/null 2>&1
check "tpm activate recovers a credential made for this EK and AK" \
	"$S" tpm --tcti "$TA" activate --credential cred --out got
check "the activated credential is the secret, in a 0600 file" sh -c \
	'cmp -s secret got && [ $(stat -c %a got) = 600 ]'
tpm2_makecredential -T none -u ekB.pub -s secret -n "$(xxd -p -c 100 ak.name)" -o credB >/dev/null 2>&1
fails "a credential made for another TPM's EK is refused by the TPM" "the TPM refused" \
	"$S" tpm --tcti "$TA" activate --credential credB --out gotB
check "... and nothing is written" test ! -e gotB
"$S" tpm --tcti "$TB" ak --out akB.pub --name-out akB.name >/dev/null 2>&1
tpm2_makecredential -T none -u ek.pub -s secret -n "$(xxd -p -c 100 akB.name)" -o credC >/dev/null 2>&1
fails "a credential made for another AK Name is refused by the TPM" "the TPM refused" \
	"$S" tpm --tcti "$TA" activate --credential credC --out gotC
cp cred credD
printf '\377' | dd of=credD bs=1 seek=60 conv=notrunc 2>/dev/null
fails "a tampered credential blob is refused" "the TPM refused" \
	"$S" tpm --tcti "$TA" activate --credential credD --out gotD

# ---- bad input ----
fails "--pcrs 24 refused" "PCR numbers 0..23" "$S" tpm --tcti "$TA" quote --pcrs 24 \
	--qualifying 00 --attest-out a --sig-out s --pcrs-out p
fails "--pcrs '1,,2' refused" "PCR numbers" "$S" tpm --tcti "$TA" quote --pcrs 1,,2 \
	--qualifying 00 --attest-out a --sig-out s --pcrs-out p
fails "--pcrs '1,' refused" "PCR numbers" "$S" tpm --tcti "$TA" quote --pcrs 1, \
	--qualifying 00 --attest-out a --sig-out s --pcrs-out p
fails "qualifying data over 64 bytes refused" "at most 64 bytes" "$S" tpm --tcti "$TA" quote \
	--pcrs 0 --qualifying "$Q$Q$Q" --attest-out a --sig-out s --pcrs-out p
check "... and no file written" sh -c '! ls a s p 2>/dev/null | grep -q .'
head -c 100 /dev/urandom >junk
fails "a file that is not a credential is refused" "not a credential file" \
	"$S" tpm --tcti "$TA" activate --credential junk --out g
head -c 40 cred >short
fails "a truncated credential file is refused" "not a credential file" \
	"$S" tpm --tcti "$TA" activate --credential short --out g
fails "no TPM at the TCTI: a clear error" "cannot reach the TPM" \
	"$S" tpm --tcti "swtpm:host=127.0.0.1,port=1" ek --out x
fails_rc 2 "unknown command" "unknown command" "$S" tpm frobnicate

echo "1..$n"
exit $failed
