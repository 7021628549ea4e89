#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root forges the binding: it runs the TPM-mode exchange itself (shieldctl
# tpm, curl) with an enclave key of its own in the qualifying data and a
# report naming that key. The TPM quotes it faithfully, but the kernel's
# own IMA entry names the module's key: HGS refuses with ImaReportMismatch
# and certifies nothing. Needs 10-tpm-attest (EK registered, baseline).
. "$(dirname "$0")/lib.sh"
plan 4

SC=$R/build/bin/shieldctl
D=$F/tpm/forge
mkdir -p "$D"
post() {	# PATH BODY-FILE
	curl -sS --max-time 60 --cacert "$F/hgs-tls.pem" -H 'Content-Type: application/json' \
		--data-binary "@$2" "$HGS_URL$1"
}
"$SC" tpm ek --out "$D/ek.pub" >/dev/null && "$SC" tpm ak --out "$D/ak.pub" >/dev/null
jq -n --arg ek "$(base64 -w0 "$D/ek.pub")" --arg ak "$(base64 -w0 "$D/ak.pub")" \
	'{host: "fabric-tpm", ek_public: $ek, ak_public: $ak}' >"$D/ch.json"
ch=$(post /v1/attest/tpm/challenge "$D/ch.json")
echo "$ch" | jq -c '{status, substatus, pcrs}' | diag
check "HGS gives root a challenge for the registered EK" \
	test "$(echo "$ch" | jq -r .status)" = Passed

# the credential in tpm2_makecredential's file layout, activated by the TPM
{ printf '\xba\xdc\xc0\xde\x00\x00\x00\x01'
  echo "$ch" | jq -r .credential.id_object | base64 -d
  echo "$ch" | jq -r .credential.secret | base64 -d; } >"$D/cred.bin"
check "the TPM activates the credential (the AK is genuine)" \
	eval '"$SC" tpm activate --credential "$D/cred.bin" --out "$D/cred.out" >/dev/null'

# root's own enclave key, a report naming it, the qualifying data over both
# (the module's current report: its latest ima-buf entry, the buffer in hex)
report=$(grep ' vmshield-report ' /sys/kernel/security/ima/ascii_runtime_measurements |
	tail -1 | awk '{ print $NF }' | xxd -r -p | sed 's/enclave_pk=.*//')
pk=$(head -c 32 /dev/urandom | xxd -p -c 64)
report="${report}enclave_pk=$pk"
nonce=$(echo "$ch" | jq -r .nonce)
qd=$({ printf 'vmshield-quote v1\0'; echo "$nonce" | base64 -d; echo "$pk" | xxd -r -p
       printf '%s' "$report"; } | sha256sum | cut -c1-64)
"$SC" tpm quote --pcrs "$(echo "$ch" | jq -r '.pcrs | map(tostring) | join(",")')" \
	--qualifying "$qd" --attest-out "$D/attest2b" --sig-out "$D/sig" \
	--pcrs-out "$D/pcrs" >/dev/null
tail -c +3 "$D/attest2b" >"$D/attest"	# TPMS_ATTEST without its TPM2B size
base64 -w0 /sys/kernel/security/tpm0/binary_bios_measurements >"$D/evl.b64"
base64 -w0 /sys/kernel/security/ima/binary_runtime_measurements >"$D/ima.b64"
jq -n --arg s "$(echo "$ch" | jq -r .session)" --arg n "$nonce" \
	--arg c "$(base64 -w0 "$D/cred.out")" --arg a "$(base64 -w0 "$D/attest")" \
	--arg g "$(base64 -w0 "$D/sig")" --arg p "$(base64 -w0 "$D/pcrs")" \
	--rawfile e "$D/evl.b64" --rawfile i "$D/ima.b64" --arg k "$pk" --arg r "$report" \
	'{session: $s, nonce: $n, host: "fabric-tpm", activated_credential: $c, attest: $a,
	  signature: $g, pcr_values: $p, event_log: $e, ima_log: $i, enclave_pk: $k,
	  report: $r}' >"$D/attest.json"
ans=$(post /v1/attest/tpm "$D/attest.json")
echo "$ans" | jq -c '{status, substatus, message, detail}' | diag
check "HGS refuses root's key: ImaReportMismatch" \
	test "$(echo "$ans" | jq -r .substatus)" = ImaReportMismatch
check "no certificate was issued" test "$(echo "$ans" | jq -r '.health_certificate // "none"')" = none
finish
