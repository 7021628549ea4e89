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
	local i ack
	rm -f "$VMS_ENCLAVE_CTL.ack"
	echo "$1" >"$VMS_ENCLAVE_CTL"
	for ((i = 0; i < 100; i++)); do
		ack=
		read -r ack 2>/dev/null <"$VMS_ENCLAVE_CTL.ack"
		[ "$ack" = "done:$1" ] && return 0
		nap 0.1
	done
	return 1
}

# kps_release VM CHALLENGE_ARGS: POST /v1/kps/release for VM with the
# agent's current certificate, plus CHALLENGE_ARGS (a JSON fragment, or
# nothing); prints KPS's answer.
kps_release() {
	local cert kp
	cert=$(sed '/^-----/d' "$F/agent-state/health.pem" | tr -d '\n')
	kp=$(base64 -w0 "$F/vms/$1.kp")
	printf '{"health_certificate":"%s","key_protector":"%s","vm_id":"%s"%s}' \
		"$cert" "$kp" "$(uuid_of "$1")" "$2" |
		curl -sS --cacert "$F/hgs-tls.pem" -H 'Content-Type: application/json' \
			--data-binary @- "$HGS_URL/v1/kps/release"
}

# save_release VM FILE: what KPS releases for VM to the enclave key of the
# agent's current certificate (public: it opens only in that enclave),
# made as the agent makes one (release format v2): KPS names its key in
# the EnclaveChallengeRequired answer, the enclave issues a single-use
# challenge for it (release_challenge: VMSHIELD_IOC_RELEASE_CHALLENGE),
# KPS binds the release to that challenge. So FILE opens once, in this
# enclave instance, within the challenge's 300 s. Fails unless FILE is a
# release (magic VMKR).
save_release() {
	local kps ch
	kps=$(kps_release "$1" "" | jf kps_public_key?)
	if [ "${#kps}" != 64 ]; then
		echo "save_release: KPS named no key" | diag
		return 1
	fi
	echo "$kps" | xxd -r -p >"$2.kps"
	ch=$("$R/build/selftests/worker/release_challenge" "$2.kps" 2>&1)
	rm -f "$2.kps"
	case "$ch" in
	*[!0-9a-f\ ]* | "")
		echo "save_release: no challenge: $ch" | diag
		return 1
		;;
	esac
	kps_release "$1" ",\"enclave_challenge\":\"${ch% *}\",\"challenge_ns\":${ch#* }" |
		jf key_release? | base64 -d >"$2" 2>/dev/null
	[ "$(head -c 4 "$2" 2>/dev/null)" = VMKR ]
}

# load_err FILE: the error load_release left in FILE.err (keyctl's
# strerror text), for the diagnostics and the refusal checks.
load_err() {
	cat "$1.err" 2>/dev/null
}

# load_release VM FILE: add_key of a saved release into this session's
# keyring; prints the serial, or nothing (keyctl's error in FILE.err).
load_release() {
	keyctl padd vmshield "vm:$(uuid_of "$1")" @s <"$2" 2>"$2.err"
}

# wait_q JQ-EXPR WANT [SECONDS]: until the agent's status gives WANT
# (asked as status_poll schedules it); wait_f the same for a jfield PATH
# (no jq start each time it asks)
status_q_is() { [ "$(status_q "$1" 2>/dev/null)" = "$2" ]; }
status_f_is() { [ "$(status_f "$1" 2>/dev/null)" = "$2" ]; }
wait_q() {
	status_poll "${3:-60}" status_q_is "$1" "$2" && return 0
	status_json | diag
	return 1
}
wait_f() {
	status_poll "${3:-60}" status_f_is "$1" "$2" && return 0
	status_json | diag
	return 1
}
