# SPDX-License-Identifier: GPL-2.0
# hyplib.sh - sourced by the hypervisor-placement tests (boot 4): lib.sh,
# plus the rig's enclave lever and saving a key release for later.

. "$(dirname "$0")/../tests/lib.sh"

# Not booted with --placement hypervisor: nothing here can run.
if [ "${VMS_PLACEMENT:-}" != hypervisor ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP not booted with --placement hypervisor"
	exit 4
fi

# enclave_ctl WORD: the rig acts on vmshield-enclaved (kill, stop, cont,
# restart, garbage, sane); 0 once it acknowledged, within 10 s.
enclave_ctl() {
	local i
	rm -f "$VMS_ENCLAVE_CTL.ack"
	echo "$1" >"$VMS_ENCLAVE_CTL"
	for i in $(seq 1 100); do
		[ "$(cat "$VMS_ENCLAVE_CTL.ack" 2>/dev/null)" = "done:$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# save_release VM FILE: what KPS releases for VM to the enclave key of the
# agent's current certificate (public: it opens only in that enclave).
save_release() {
	local cert kp
	cert=$(sed '/^-----/d' "$F/agent-state/health.pem" | tr -d '\n')
	kp=$(base64 -w0 "$F/vms/$1.kp")
	printf '{"health_certificate":"%s","key_protector":"%s","vm_id":"%s"}' \
		"$cert" "$kp" "$(uuid_of "$1")" >"$2.req"
	curl -sS --cacert "$F/hgs-tls.pem" -H 'Content-Type: application/json' \
		--data-binary @"$2.req" "$HGS_URL/v1/kps/release" |
		jq -r .key_release | base64 -d >"$2" 2>/dev/null
	rm -f "$2.req"
	test -s "$2"
}

# load_release VM FILE: add_key of a saved release into this session's
# keyring; prints the serial, or nothing (keyctl's error in FILE.err).
load_release() {
	keyctl padd vmshield "vm:$(uuid_of "$1")" @s <"$2" 2>"$2.err"
}

# wait_q JQ-EXPR WANT [SECONDS]: until the agent's status gives WANT.
wait_q() {
	local i
	for i in $(seq 1 "$((${3:-60} * 2))"); do
		[ "$(status_q "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.5
	done
	status_json | diag
	return 1
}
