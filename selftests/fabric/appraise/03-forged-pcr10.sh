#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root forges the binding and extends PCR 10 by hand: it builds an IMA
# record of the module's report naming an enclave key of its own, extends
# that record's SHA-256 template digest into PCR 10 with tpm2_pcrextend,
# and sends the kernel's list with the record appended, so the list
# replays to the quoted PCR 10 and its latest report names root's key.
# HGS still refuses: the module's genuine entries in the same list name
# the module's key, and one boot has one enclave key (ImaReportConflict).
# Sending the kernel's own list instead no longer replays
# (ImaLogReplayMismatch). Last in its boot: PCR 10 stays broken.
# Needs 01-tpm-baseline-rom (this boot's EK registered as fabric-ima).
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/../tests/tpmlib.sh"
plan 7

check "the admin stops requiring appraisal (this test is about the binding)" \
	ctl tpm-appraisal-off
pk=$(head -c 32 /dev/urandom | xxd -p -c 64)
report=$(rogue_report "$pk")
t256=$(ima_buf_record "$report" "$FORGE/rogue.rec")
echo "forged record: $(stat -c %s "$FORGE/rogue.rec") bytes, template sha256:$t256" | diag
check "root extends its forged record into PCR 10 by hand" \
	env TPM2TOOLS_TCTI=device:/dev/tpmrm0 tpm2_pcrextend "10:sha256=$t256"
cat "$IMA_BIN" "$FORGE/rogue.rec" >"$FORGE/ima-forged.bin"

check "HGS gives root a challenge; the TPM activates its credential" forge_challenge fabric-ima
forge_attest fabric-ima "$pk" "$report" "$FORGE/ima-forged.bin"
check "the forged list replays, but names two enclave keys: ImaReportConflict" \
	test "$(ans_substatus)" = ImaReportConflict
check "no certificate was issued" ans_has_no_cert

check "a second challenge" forge_challenge fabric-ima
forge_attest fabric-ima "$pk" "$report" "$IMA_BIN"
check "the kernel's own list no longer replays to PCR 10: ImaLogReplayMismatch" \
	test "$(ans_substatus)" = ImaLogReplayMismatch
finish
