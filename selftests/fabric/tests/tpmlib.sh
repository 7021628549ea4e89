# SPDX-License-Identifier: GPL-2.0
# tpmlib.sh - sourced (after lib.sh) by the tests where root plays the
# TPM-mode exchange itself, with shieldctl tpm and curl instead of the
# agent, to forge an enclave-key binding. Everything lands in $FORGE.

SC=$R/build/bin/shieldctl
FORGE=$F/tpm/forge-$TEST
mkdir -p "$FORGE"
IMA_BIN=/sys/kernel/security/ima/binary_runtime_measurements
IMA_ASCII=/sys/kernel/security/ima/ascii_runtime_measurements

forge_post() {	# PATH BODY-FILE
	curl -sS --max-time 60 --cacert "$F/hgs-tls.pem" \
		-H 'Content-Type: application/json' \
		--data-binary "@$2" "$HGS_URL$1"
}

# forge_challenge HOST: ask HGS for a challenge with this TPM's EK and a
# fresh AK, activate its credential in the TPM; CH holds the answer.
# 0 when HGS answered Passed and the TPM activated the credential.
forge_challenge() {
	"$SC" tpm ek --out "$FORGE/ek.pub" >/dev/null &&
		"$SC" tpm ak --out "$FORGE/ak.pub" >/dev/null || return 1
	jq -n --arg h "$1" --arg ek "$(base64 -w0 "$FORGE/ek.pub")" \
		--arg ak "$(base64 -w0 "$FORGE/ak.pub")" \
		'{host: $h, ek_public: $ek, ak_public: $ak}' >"$FORGE/ch.json"
	CH=$(forge_post /v1/attest/tpm/challenge "$FORGE/ch.json")
	echo "$CH" | jq -c '{status, substatus, pcrs}' | diag
	[ "$(echo "$CH" | jq -r .status)" = Passed ] || return 1
	# the credential in tpm2_makecredential's file layout
	{ printf '\xba\xdc\xc0\xde\x00\x00\x00\x01'
	  echo "$CH" | jq -r .credential.id_object | base64 -d
	  echo "$CH" | jq -r .credential.secret | base64 -d; } >"$FORGE/cred.bin"
	"$SC" tpm activate --credential "$FORGE/cred.bin" \
		--out "$FORGE/cred.out" >/dev/null
}

# module_report: the module's current report (its latest ima-buf entry)
module_report() {
	grep ' vmshield-report ' "$IMA_ASCII" | tail -1 | awk '{ print $NF }' |
		xxd -r -p
}

# rogue_report PK: the module's report, but naming enclave key PK (hex)
rogue_report() {
	module_report | sed "s/ enclave_pk=[0-9a-f]* / enclave_pk=$1 /"
}

# forge_attest HOST PK REPORT IMA-LIST: quote now with the qualifying data
# over the challenge's nonce, PK and REPORT; send it with IMA-LIST as the
# host's IMA list; ANS holds HGS's answer.
forge_attest() {
	local nonce qd
	nonce=$(echo "$CH" | jq -r .nonce)
	qd=$({ printf 'vmshield-quote v1\0'; echo "$nonce" | base64 -d
	       echo "$2" | xxd -r -p; printf '%s' "$3"; } | sha256sum | cut -c1-64)
	"$SC" tpm quote --pcrs "$(echo "$CH" | jq -r '.pcrs | map(tostring) | join(",")')" \
		--qualifying "$qd" --attest-out "$FORGE/attest2b" --sig-out "$FORGE/sig" \
		--pcrs-out "$FORGE/pcrs" >/dev/null || return 1
	tail -c +3 "$FORGE/attest2b" >"$FORGE/attest"	# no TPM2B size
	base64 -w0 /sys/kernel/security/tpm0/binary_bios_measurements >"$FORGE/evl.b64"
	base64 -w0 "$4" >"$FORGE/ima.b64"
	jq -n --arg h "$1" --arg s "$(echo "$CH" | jq -r .session)" --arg n "$nonce" \
		--arg c "$(base64 -w0 "$FORGE/cred.out")" --arg a "$(base64 -w0 "$FORGE/attest")" \
		--arg g "$(base64 -w0 "$FORGE/sig")" --arg p "$(base64 -w0 "$FORGE/pcrs")" \
		--rawfile e "$FORGE/evl.b64" --rawfile i "$FORGE/ima.b64" --arg k "$2" --arg r "$3" \
		'{session: $s, nonce: $n, host: $h, activated_credential: $c, attest: $a,
		  signature: $g, pcr_values: $p, event_log: $e, ima_log: $i, enclave_pk: $k,
		  report: $r}' >"$FORGE/attest.json"
	ANS=$(forge_post /v1/attest/tpm "$FORGE/attest.json")
	echo "$ANS" | jq -c '{status, substatus, message, detail}' | diag
}

ans_substatus() { echo "$ANS" | jq -r .substatus; }
ans_has_no_cert() { [ "$(echo "$ANS" | jq -r '.health_certificate // "none"')" = none ]; }

# --- a forged IMA record -----------------------------------------------------
#
# le32 N: N as 4 little-endian bytes (the list's byte order on x86)
le32() {
	printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))"
	printf "\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"
}

# ima_buf_record TEXT OUT: an ima-buf "vmshield-report" record for TEXT as
# the kernel writes it (PCR 10, SHA-1 template digest, "ima-buf", template
# data d-ng|n-ng|buf) into OUT; prints the SHA-256 template digest, which
# is what the kernel would extend into PCR 10's SHA-256 bank.
ima_buf_record() {
	local d=$FORGE/tdata
	{ le32 40; printf 'sha256:\0'; printf '%s' "$1" | sha256sum | cut -c1-64 | xxd -r -p
	  le32 16; printf 'vmshield-report\0'
	  le32 ${#1}; printf '%s' "$1"; } >"$d"
	{ le32 10; sha1sum <"$d" | cut -c1-40 | xxd -r -p
	  le32 7; printf 'ima-buf'; le32 "$(stat -c %s "$d")"; cat "$d"; } >"$2"
	sha256sum <"$d" | cut -c1-64
}
