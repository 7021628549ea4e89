#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root forges the binding: it runs the TPM-mode exchange itself (shieldctl
# tpm, curl) with an enclave key of its own in the qualifying data and a
# report naming that key. The TPM quotes it faithfully, but the kernel's
# own IMA entry names the module's key: HGS refuses with ImaReportMismatch
# and certifies nothing. Needs 02-tpm-attest (EK registered, baseline).
# Root extending PCR 10 by hand as well needs a boot of its own (it breaks
# PCR 10 for every later attestation): appraise/02-forged-pcr10.sh.
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/../tests/tpmlib.sh"
plan 4

check "HGS gives root a challenge for the registered EK; the TPM activates its credential" \
	forge_challenge fabric-tpm
pk=$(head -c 32 /dev/urandom | xxd -p -c 64)
report=$(rogue_report "$pk")
forge_attest fabric-tpm "$pk" "$report" "$IMA_BIN"
check "HGS refuses root's key: ImaReportMismatch" test "$(ans_substatus)" = ImaReportMismatch
check "no certificate was issued" ans_has_no_cert
check "the module's report still names its own key" \
	test -n "$(module_report | grep -v "enclave_pk=$pk")"
finish
