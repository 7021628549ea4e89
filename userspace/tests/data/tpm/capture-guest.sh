#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# capture-guest.sh - run INSIDE the guarded-host rig (selftests/vm/run) to
# capture the TPM-mode test artifacts of userspace/tests/data/tpm/ from a
# real guest: event log, IMA list, PCRs, EK and AKs, quotes. Writes into
# $TPM_CAPTURE_OUT (a --share directory). Prints TAP. See README.md.
set -u
out=${TPM_CAPTURE_OUT:?set TPM_CAPTURE_OUT to a --share directory}
# HGS's KPS key (64 hex), named to the enclave before the quotes as
# hgs-agent does (issue 17: HGS refuses a report that names none): the
# key of the HGS whose signer is hgs_signer.key (test_hgsd_tpm prints it)
kps=${TPM_CAPTURE_KPS_PK:?set TPM_CAPTURE_KPS_PK to the test HGS KPS key}
export TPM2TOOLS_TCTI=device:/dev/tpmrm0
n=0
fail=0
step() {
	local what=$1; shift
	n=$((n + 1))
	if "$@" >>"$out/capture.log" 2>&1; then
		echo "ok $n $what"
	else
		echo "not ok $n $what"
		fail=1
	fi
}
echo "TAP version 13"
echo "1..16"
cd "$out" || exit 1
rm -f host.txt ./*.bin ./*.pub ./*.name ./*.ctx ./*.attest ./*.sig ./*.pcrs ./*.txt capture.log
# The module measures a changed report (lockdown raised by the rig after
# load) when it is next asked: ask it, so the list holds the current one.
repo=$(cd "$(dirname "$0")/../../../.." && pwd)
"$repo/build/bin/shieldctl" host info >host.txt 2>&1 || true
# Warm up: run every tool once so that IMA has measured them all before the
# quote (tcb policy measures an executable at its first run only).
for t in cp cat python3 tpm2_pcrread tpm2_quote tpm2_createek tpm2_createak \
	 tpm2_readpublic tpm2_flushcontext; do
	"$t" --version >/dev/null 2>&1 || true
done
# HGS's KPS key named first (VMSHIELD_IOC_RELEASE_CHALLENGE, _IOWR(0xB9,
# 0x04, 96 bytes): kps_pk, challenge, ns, flags, reserved); the module
# measures its report again, now naming it: the list's last report.
name_kps_key() {
	python3 - "$1" <<'PY'
import fcntl, os, sys
arg = bytearray(bytes.fromhex(sys.argv[1]) + bytes(64))
fd = os.open('/dev/vmshield', os.O_RDWR)
try:
    fcntl.ioctl(fd, 0xC060B904, arg)
finally:
    os.close(fd)
PY
}
step "HGS's KPS key named before the quotes" name_kps_key "$kps"
step "EK (RSA-2048, default template)" \
	tpm2_createek -c ek.ctx -G rsa -u ek_rsa.pub
step "AK RSA-2048 RSASSA-SHA256 under the EK" \
	tpm2_createak -C ek.ctx -c ak_rsa.ctx -G rsa -g sha256 -s rsassa \
		-u ak_rsa.pub -n ak_rsa.name
step "AK ECC P-256 ECDSA-SHA256 under the EK" \
	tpm2_createak -C ek.ctx -c ak_ecc.ctx -G ecc -g sha256 -s ecdsa \
		-u ak_ecc.pub -n ak_ecc.name
# The report line, from the module's own IMA entry (ima-buf carries it):
# the last one, into $1 (default report.txt).
last_report() {
	python3 - "${1:-report.txt}" <<'PY'
import struct, sys
data = open('/sys/kernel/security/ima/binary_runtime_measurements', 'rb').read()
off, report = 0, None
while off < len(data):
    pcr, = struct.unpack_from('<I', data, off); off += 4 + 20
    nl, = struct.unpack_from('<I', data, off); off += 4
    name = data[off:off + nl].decode(); off += nl
    tl, = struct.unpack_from('<I', data, off); off += 4
    tdata = data[off:off + tl]; off += tl
    if name != 'ima-buf':
        continue
    p = 0
    fields = []
    while p < len(tdata):
        fl, = struct.unpack_from('<I', tdata, p); p += 4
        fields.append(tdata[p:p + fl]); p += fl
    if fields[1] == b'vmshield-report\0':
        report = fields[2]
open(sys.argv[1], 'wb').write(report)
PY
}
step "isolation report from the IMA list" last_report report.txt
step "qualifying data = SHA-256(label || 0 || nonce || enclave_pk || report)" python3 - <<'PY'
import hashlib
report = open('report.txt', 'rb').read()
pk = bytes.fromhex(report.split(b'enclave_pk=')[1][:64].decode())
nonce = bytes(range(32))
open('nonce.bin', 'wb').write(nonce)
qd = hashlib.sha256(b'vmshield-quote v1\0' + nonce + pk + report).digest()
open('qualifying.bin', 'wb').write(qd)
open('qualifying.txt', 'w').write(qd.hex())
PY
qd=$(cat qualifying.txt)
sel=sha256:0,1,2,3,4,5,6,7,10
step "quote RSA over $sel" tpm2_quote -c ak_rsa.ctx -l $sel -q "$qd" \
	-g sha256 -F values -m quote_rsa.attest -s quote_rsa.sig -o quote_rsa.pcrs
step "quote ECC over $sel" tpm2_quote -c ak_ecc.ctx -l $sel -q "$qd" \
	-g sha256 -F values -m quote_ecc.attest -s quote_ecc.sig -o quote_ecc.pcrs
# Read the lists right after the quotes: everything they hold up to the
# quote is covered; entries added later are not (the verifier replays the
# prefix that reaches the quoted PCR 10).
step "IMA binary list" cp /sys/kernel/security/ima/binary_runtime_measurements ima_measurements.bin
step "IMA ascii list" cp /sys/kernel/security/ima/ascii_runtime_measurements ima_measurements.txt
step "TCG event log" cp /sys/kernel/security/tpm0/binary_bios_measurements bios_measurements.bin
step "PCR values (sha256 0-7,10)" tpm2_pcrread $sel -o pcrs_sha256.bin
tpm2_pcrread sha1:0,1,2,3,4,5,6,7,10+$sel >pcrs.txt 2>&1 || true
step "quote RSA over sha256:0-7 (no PCR 10)" tpm2_quote -c ak_rsa.ctx \
	-l sha256:0,1,2,3,4,5,6,7 -q "$qd" -g sha256 \
	-m quote_rsa_no10.attest -s quote_rsa_no10.sig -o quote_rsa_no10.pcrs
step "quote RSA over the SHA-1 bank" tpm2_quote -c ak_rsa.ctx \
	-l sha1:0,1,2,3,4,5,6,7,10 -q "$qd" -g sha256 \
	-m quote_rsa_sha1.attest -s quote_rsa_sha1.sig -o quote_rsa_sha1.pcrs
# Last: root tries to name its own KPS key (issue 17 item 5); the
# enclave took HGS's already, so the module refuses (EPERM).
root_key_refused() {	# SHA-256("root's own KPS key")
	! name_kps_key c0be821d5dcd066866be579ba6c0fd240575ee5969182713700aa609e09a06db
}
step "root's own KPS key refused (EPERM: HGS's is named)" root_key_refused
cat /sys/kernel/security/lockdown >lockdown.txt 2>&1
uname -r >kernel.txt
n=$((n + 1)); echo "ok $n facts: $(cat lockdown.txt)"
rm -f ./*.ctx
exit $fail
