#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# IMA appraisal in TPM mode, in a boot of its own (fabric/run: IMA's
# built-in policy only critical_data, template ima-sig). Needs
# 01-tpm-baseline-rom (this boot's EK registered, its baseline approved). A vendor signs
# the agent and the worker (evmctl, security.ima on tmpfs); root loads an
# appraisal policy (executables on tmpfs measured and appraised, keys
# loaded into _ima and the module's reports measured) and the vendor's
# key, whose loading the IMA list records. The admin approves the vendor
# key and requires appraisal; the signed
# agent attests and the signed worker opens a TPM-only VM's state. Then
# the kernel refuses an unsigned executable, and the attempt (measured,
# no signature) fails the next attestation (PolicyImaAppraisalNotProven);
# root's own key in _ima fails it too (PolicyImaKeyNotApproved). Last, a
# file mapped executable while root holds it open for writing: IMA lists
# a violation (no digest), and the runtime policy refuses it before any
# other (PolicyImaViolation).
. "$(dirname "$0")/../tests/lib.sh"
plan 15

IMA_ASCII=/sys/kernel/security/ima/ascii_runtime_measurements
SIGNED=/run/signed
C=$F/agent-ima.conf
mkdir -p /run/hgs-agent-ima "$SIGNED"
check "this boot: IMA template ima-sig, no built-in tcb policy" \
	eval 'grep -q "ima_template=ima-sig" /proc/cmdline && ! grep -q "ima_policy=tcb" /proc/cmdline'

# the vendor's build: the agent and the worker, signed (v2, SHA-256)
cp "$AGENT" "$WORKER" "$SIGNED/"
AGENT=$SIGNED/hgs-agent
WORKER=$SIGNED/fabric_worker
for f in "$AGENT" "$WORKER"; do	# (evmctl signs one file per call)
	out=$(evmctl ima_sign --hashalgo sha256 --key "$F/ima/vendor.key" "$f" 2>&1)
	echo "$out" | head -1 | diag
done
sig_of() { getfattr --only-values -n security.ima "$1" 2>/dev/null | xxd -p -c 4 | head -1; }
check "the vendor signed the agent and the worker (security.ima: v2 signature header)" \
	eval '[ "$(sig_of "$AGENT" | cut -c1-6)" = 030204 ] && [ "$(sig_of "$WORKER" | cut -c1-6)" = 030204 ]'

cat >/run/ima-policy <<'POLICY'
measure func=KEY_CHECK keyrings=_ima template=ima-buf
measure func=CRITICAL_DATA label=vmshield template=ima-buf
measure func=BPRM_CHECK fsmagic=0x01021994
measure func=MMAP_CHECK mask=MAY_EXEC fsmagic=0x01021994
appraise func=BPRM_CHECK fsmagic=0x01021994 appraise_type=imasig
appraise func=MMAP_CHECK fsmagic=0x01021994 appraise_type=imasig
POLICY
check "root loads the appraisal policy (executables on tmpfs: measured, signature required)" \
	eval 'echo /run/ima-policy >/sys/kernel/security/ima/policy'
ring=$(keyctl newring _ima @u)
keyctl padd asymmetric "" "$ring" <"$F/ima/vendor.der" >/dev/null
check "the vendor's key is in _ima and the IMA list records its loading (the certificate)" \
	test "$(awk '$3 == "ima-buf" && $5 == "_ima" { print $6 }' "$IMA_ASCII" | head -1)" \
	= "$(xxd -p -c 100000 "$F/ima/vendor.der")"

out=$("$AGENT" status -c "$C" 2>&1)
rc=$?
echo "$out" | head -3 | diag
check "the signed agent runs (status: not running yet, exit 3)" \
	test $rc = 3 -a -n "$(echo "$out" | grep 'not running')"
check "the admin approves the vendor key and requires appraisal (control channel)" \
	ctl tpm-appraisal-on

fresh_start() { rm -f /run/hgs-agent-ima/health.pem; start_agent agent-ima; }
check "the agent attests in TPM mode with IMA appraisal required" \
	eval 'fresh_start && wait_state valid 150'
st=$(status_json)
{ read -r cert_json; read -r cn; read -r level; read -r mode; read -r binding; } <<<"$(echo "$st" |
	jf attestation.certificate attestation.certificate.{subject_cn,isolation_level,attestation_mode,binding})"
echo "$cert_json" | diag
check "the certificate: fabric-ima, kernel-locked, mode tpm, binding ima-entry" \
	test "$cn $level $mode $binding" = "fabric-ima kernel-locked tpm ima-entry"
worker tpm --roundtrip
check "the signed worker gets the TPM-only VM's key; the tenant's state opens" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')"
stop_agent

# root runs an executable nobody signed
cp /bin/true "$SIGNED/unsigned-tool"
"$SIGNED/unsigned-tool" 2>&1 | diag
rc=${PIPESTATUS[0]}
measured=$(awk -v f="$SIGNED/unsigned-tool" '$5 == f && NF == 5' "$IMA_ASCII")
echo "$measured" | diag
check "the kernel refuses the unsigned executable; IMA measured the attempt, no signature" \
	test "$rc" != 0 -a -n "$measured"
check "the next attestation fails: PolicyImaAppraisalNotProven, naming the file" \
	eval 'fresh_start && wait_state failed 150 &&
	      read_last_error && [ "$LE_SUB" = PolicyImaAppraisalNotProven ] &&
	      [[ $LE_MSG == *unsigned-tool* ]]'
echo "$LE_MSG" | diag
stop_agent

# root's own key, and a tool signed with it: the kernel runs it
openssl req -x509 -newkey rsa:2048 -nodes -keyout /run/rogue.key -out /run/rogue.pem \
	-days 1 -subj "/CN=root's own IMA key" 2>/dev/null
openssl x509 -in /run/rogue.pem -outform DER -out /run/rogue.der
keyctl padd asymmetric "" "$ring" </run/rogue.der >/dev/null
cp /bin/true "$SIGNED/root-tool"
evmctl ima_sign --hashalgo sha256 --key /run/rogue.key "$SIGNED/root-tool" >/dev/null 2>&1
check "root loads its own key into _ima; a tool it signed runs" "$SIGNED/root-tool"
check "the next attestation fails: PolicyImaKeyNotApproved" \
	eval 'fresh_start && wait_state failed 150 &&
	      read_last_error && [ "$LE_SUB" = PolicyImaKeyNotApproved ]'
echo "$LE_MSG" | diag

# root keeps a file open for writing while a loader maps it executable
cp /bin/true "$SIGNED/held-open"
exec 7>>"$SIGNED/held-open"
/lib64/ld-linux-x86-64.so.2 "$SIGNED/held-open" 2>&1 | diag
exec 7>&-
violation=$(awk -v f="$SIGNED/held-open" '$5 == f && $2 ~ /^0+$/' "$IMA_ASCII")
echo "$violation" | diag
check "mapped executable while open for writing: IMA lists a violation (zero digest)" \
	test -n "$violation"
check "the next attestation fails: PolicyImaViolation, naming the file" \
	eval 'fresh_start && wait_state failed 150 &&
	      read_last_error && [ "$LE_SUB" = PolicyImaViolation ] &&
	      [[ $LE_MSG == *held-open* ]]'
echo "$LE_MSG" | diag
finish
