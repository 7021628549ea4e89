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

# jstr S: S as a JSON string, with builtins (no jq start: about a second
# of the TCG guest's one vCPU each). Its values here are base64, hex and
# the module's report (printable): \, " and line ends escaped.
jstr() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	s=${s//$'\t'/\\t}
	printf '"%s"' "$s"
}

# forge_challenge HOST: ask HGS for a challenge with this TPM's EK and a
# fresh AK, activate its credential in the TPM; CH holds the answer, and
# CH_NONCE, CH_PCRS (comma-separated), CH_SESSION its fields (read with
# one jfield start). 0 when HGS answered Passed and the TPM activated the
# credential.
forge_challenge() {
	local st sub id secret
	"$SC" tpm ek --out "$FORGE/ek.pub" >/dev/null &&
		"$SC" tpm ak --out "$FORGE/ak.pub" >/dev/null || return 1
	printf '{"host":%s,"ek_public":"%s","ak_public":"%s"}' "$(jstr "$1")" \
		"$(base64 -w0 "$FORGE/ek.pub")" "$(base64 -w0 "$FORGE/ak.pub")" >"$FORGE/ch.json"
	CH=$(forge_post /v1/attest/tpm/challenge "$FORGE/ch.json")
	{ read -r st; read -r sub; read -r CH_PCRS; read -r id; read -r secret
	  read -r CH_NONCE; read -r CH_SESSION; } <<<"$(echo "$CH" | jf status substatus? \
		pcrs? credential.id_object? credential.secret? nonce? session?)"
	echo "status $st, substatus $sub, pcrs $CH_PCRS" | diag
	CH_PCRS=${CH_PCRS#[}
	CH_PCRS=${CH_PCRS%]}
	[ "$st" = Passed ] || return 1
	# the credential in tpm2_makecredential's file layout
	{ printf '\xba\xdc\xc0\xde\x00\x00\x00\x01'
	  echo "$id" | base64 -d
	  echo "$secret" | base64 -d; } >"$FORGE/cred.bin"
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
	nonce=$CH_NONCE
	qd=$({ printf 'vmshield-quote v1\0'; echo "$nonce" | base64 -d
	       echo "$2" | xxd -r -p; printf '%s' "$3"; } | sha256sum | cut -c1-64)
	"$SC" tpm quote --pcrs "$CH_PCRS" \
		--qualifying "$qd" --attest-out "$FORGE/attest2b" --sig-out "$FORGE/sig" \
		--pcrs-out "$FORGE/pcrs" >/dev/null || return 1
	tail -c +3 "$FORGE/attest2b" >"$FORGE/attest"	# no TPM2B size
	base64 -w0 /sys/kernel/security/tpm0/binary_bios_measurements >"$FORGE/evl.b64"
	base64 -w0 "$4" >"$FORGE/ima.b64"
	printf '{"session":%s,"nonce":%s,"host":%s,"activated_credential":"%s","attest":"%s",' \
		"$(jstr "$CH_SESSION")" "$(jstr "$nonce")" "$(jstr "$1")" \
		"$(base64 -w0 "$FORGE/cred.out")" "$(base64 -w0 "$FORGE/attest")" >"$FORGE/attest.json"
	printf '"signature":"%s","pcr_values":"%s","event_log":"%s","ima_log":"%s",' \
		"$(base64 -w0 "$FORGE/sig")" "$(base64 -w0 "$FORGE/pcrs")" \
		"$(<"$FORGE/evl.b64")" "$(<"$FORGE/ima.b64")" >>"$FORGE/attest.json"
	printf '"enclave_pk":%s,"report":%s}' "$(jstr "$2")" "$(jstr "$3")" >>"$FORGE/attest.json"
	ANS=$(forge_post /v1/attest/tpm "$FORGE/attest.json")
	# HGS's answer's fields, from one jfield start
	{ read -r ANS_STATUS; read -r ANS_SUB; IFS= read -r ANS_MSG; IFS= read -r ANS_DETAIL
	  read -r ANS_CERT; } <<<"$(echo "$ANS" | jf status? substatus? message? detail? health_certificate?)"
	echo "status $ANS_STATUS, substatus $ANS_SUB, message $ANS_MSG, detail $ANS_DETAIL" | diag
}

ans_substatus() { echo "$ANS_SUB"; }
ans_has_no_cert() { [ -n "$ANS_STATUS" ] && [ -z "$ANS_CERT" ]; }

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
