#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root names its own KPS key first (issue 17 item 5): before the agent
# ever runs on this enclave identity, root asks the module for a release
# challenge naming a key of its own (VMSHIELD_IOC_RELEASE_CHALLENGE), so
# the enclave would accept releases made by root. The agent names HGS's
# key before it attests; here the module refuses that (EPERM), the
# report HGS checks names root's key, and HGS refuses the attestation
# (KpsKeyMismatch): no certificate, and no release. The remedy, as
# agent.md says: reload vmshield.ko (a new enclave identity); the agent
# then names HGS's key first and attests. First in boot 1 (kernel-open,
# the module unsigned: rmmod/insmod work); 68 s in the rig at load 16, so
# make soak only (FABRIC_SOAK_ONLY in scripts/check.sh).
. "$(dirname "$0")/lib.sh"
plan 8

CHALLENGE=$R/build/selftests/worker/release_challenge
ROOTKEY=$F/kps-root.key
CA=$F/hgs-tls.pem

hgs_kps=$(curl -sS --cacert "$CA" "$HGS_URL/v1/metadata" | jq -r .kps_public_key)
echo "HGS's KPS key: $hgs_kps" | diag
head -c 32 /dev/urandom >"$ROOTKEY"
root_kps=$(od -An -tx1 -v "$ROOTKEY" | tr -d ' \n')
out=$("$CHALLENGE" "$ROOTKEY" 2>&1)
rc=$?
echo "root's release challenge: rc=$rc $out" | diag
check "root names its own KPS key first (a release challenge for it)" \
	test "$rc" = 0 -a ${#hgs_kps} = 64 -a "$root_kps" != "$hgs_kps"

rm -f "$F/agent-state/health.pem"
check "the agent starts" start_agent agent
check "its attestation fails: state failed" wait_state failed 90
st=$(status_json)
echo "$st" | jq -c .attestation | diag
check "HGS refused it with KpsKeyMismatch, no certificate, the remedy named" \
	test "$(echo "$st" | jq -r '"\(.attestation.last_error.substatus) \(.attestation.certificate)"')" \
	= "KpsKeyMismatch null" \
	-a -n "$(echo "$st" | jq -r .attestation.last_error.message | grep 'reload vmshield.ko')"
check "the module's report names root's key, which HGS saw" \
	eval 'echo "$st" | jq -r .attestation.module.report | grep -q " kps_pk=$root_kps"'
worker es
check "no release: the encryption-supported VM is refused, no key loaded" \
	eval 'test "$RC" != 0 && no_key es'
stop_agent

# the remedy: a new enclave identity, whose first key the agent names
out=$(rmmod vmshield 2>&1 && insmod "$VMSHIELD_MODULE" 2>&1)
rc=$?
echo "module reload: rc=$rc $out" | diag
check "rmmod + insmod vmshield.ko (a new enclave identity)" test "$rc" = 0
check "the agent names HGS's key first and attests: state valid, the report names HGS's key" \
	eval 'start_agent agent && wait_state valid 90 &&
	      status_q .attestation.module.report | grep -q " kps_pk=$hgs_kps"'
stop_agent
rm -f "$F/agent-state/health.pem" "$ROOTKEY"
finish
