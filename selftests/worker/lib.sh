# SPDX-License-Identifier: GPL-2.0
# selftests/worker/lib.sh - shell helpers the worker tests share (sourced):
# TAP output, and key releases for the running enclave built the way KPS
# builds them (shieldctl crypto release-build), loaded as vmshield keys.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORKER=${WORKER:-$REPO/build/bin/vmshield-worker}
SHIELDCTL=${SHIELDCTL:-$REPO/build/bin/shieldctl}
PROBE=${PROBE:-$REPO/build/selftests/worker/unseal_probe}
CHALLENGE=${CHALLENGE:-$REPO/build/selftests/worker/release_challenge}

T_N=0
T_FAILED=0
ok() { T_N=$((T_N + 1)); echo "ok $T_N $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N $*"; }
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { sed 's/^/# /'; }

sha256() { sha256sum "$1" | cut -c1-64; }

# pause SECS: sleep without a fork: read's timeout on a FIFO no one
# writes (the guest's own /tmp). Under TCG a fork and exec of sleep(1)
# costs tens of milliseconds of CPU, and the tests poll for seconds.
PAUSE_FD=
pause() {
	local f
	if [[ -z $PAUSE_FD ]]; then
		if ! f=$(mktemp -u /tmp/.pause.XXXXXX) || ! mkfifo -m 600 "$f"; then
			sleep "$1"
			return 0
		fi
		exec {PAUSE_FD}<>"$f"
		rm -f "$f"
	fi
	read -r -t "$1" -u "$PAUSE_FD" _
	return 0
}
# image_digests PROGRAM: the SHA-256 of every file of PROGRAM's image (the
# program, ld.so, its libraries), each on a line: since issue 16 a shielded
# key serves only a caller whose whole image the release approves. The outer
# side may have listed them already (run.sh: IMAGE_DIGESTS_DIR/PATH with
# its slashes as underscores; the same files over the 9p root): hashing
# some 7 MiB of libraries costs seconds of TCG per call
image_digests() {
	local f=${IMAGE_DIGESTS_DIR:-}/${1//\//_}

	if [[ -n ${IMAGE_DIGESTS_DIR:-} && -s $f ]]; then
		cat "$f"
	else
		"$SHIELDCTL" hgs worker image "$1" | cut -d' ' -f1
	fi
}

# The enclave's public key (raw 32 bytes) into $1; fails unless the host
# is kernel-locked when $2 is "locked".
enclave_public() {
	local json pk
	json=$("$SHIELDCTL" host info --json) || return 1
	if [[ ${2:-} == locked && $json != *'"isolation_level":"kernel-locked"'* ]]; then
		echo "# host is not kernel-locked: $json"
		return 1
	fi
	pk=$(sed -n 's/.*"enclave_pk":"\([0-9a-f]\{64\}\)".*/\1/p' <<<"$json")
	[[ -n $pk ]] || return 1
	xxd -r -p <<<"$pk" >"$1"
}

# make_release OUT VM_UUID KEY_ID TK_FILE POLICY ENCLAVE_PUB [DIGEST...]
# As KPS does (release format v2): from the tests' KPS key (made once per
# boot in the guest's own /tmp, so every test of a boot names the same key:
# the enclave takes only the first it is told), for a fresh challenge.
make_release() {
	local out=$1 vm=$2 kid=$3 tk=$4 policy=$5 pub=$6 d args=() kps ch
	shift 6
	for d in "$@"; do args+=(--worker-digest "$d"); done
	kps=${KPS_KEY:-/tmp/vmshield-tests-kps}
	[[ -s $kps.pub ]] ||
		"$SHIELDCTL" crypto keygen --private "$kps.key" --public "$kps.pub" >/dev/null ||
		return 1
	ch=$("$CHALLENGE" "$kps.pub") || return 1
	"$SHIELDCTL" crypto release-build --vm-id "$vm" --key-id "$kid" \
		--policy "$policy" --lifetime 3600 "${args[@]}" \
		--enclave-public "$pub" --kps-private "$kps.key" \
		--challenge "${ch% *}" --challenge-ns "${ch#* }" \
		--tk "$tk" --out "$out" >/dev/null
}

# load_release VM_UUID RELEASE: add it to the session keyring, print the serial.
load_release() {
	keyctl padd vmshield "vm:$1" @s <"$2"
}

new_uuid() { cat /proc/sys/kernel/random/uuid; }
new_key_id() { head -c 16 /dev/urandom | xxd -p; }
