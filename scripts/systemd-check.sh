#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The shipped systemd units, checked by Debian 12's systemd-analyze verify
# as TAP: each must verify with no message at all (systemd only warns
# about an unknown or misspelt directive and then ignores it, which for a
# hardening line means silently running without it), and a copy with one
# misspelt directive must be reported (the check can fail). The ExecStart
# binary is pointed at the build, since nothing is installed here. The
# units cannot be started here: the rig and CI have no systemd as PID 1.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
B=$REPO/build
units=("userspace/agent/hgs-agent.service:/usr/sbin/hgs-agent:$B/bin/hgs-agent"
       "userspace/hgsd/hgsd.service:/usr/sbin/hgsd:$B/bin/hgsd")
echo "TAP version 13"
echo "1..$(( ${#units[@]} + 1 ))"
if ! command -v systemd-analyze >/dev/null; then
	echo "Bail out! systemd-analyze is missing: run scripts/install-deps.sh"
	exit 1
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
n=0
# verify FILE: systemd-analyze's output (empty when the unit is clean)
verify() { systemd-analyze verify "$1" 2>&1; }
for u in "${units[@]}"; do
	IFS=: read -r file installed built <<<"$u"
	n=$((n + 1))
	name=$(basename "$file")
	mkdir -p "$W/$n"
	sed "s#$installed#$built#" "$REPO/$file" >"$W/$n/$name"
	out=$(verify "$W/$n/$name")
	if [[ -z $out ]] && grep -q "^ExecStart=$built " "$W/$n/$name"; then
		echo "ok $n systemd-analyze verify $file"
	else
		echo "not ok $n systemd-analyze verify $file"
		sed 's/^/# /' <<<"${out:-ExecStart is not $installed}"
	fi
done
n=$((n + 1))
mkdir -p "$W/bad"
sed 's/^ProtectClock=/ProtectClok=/' "$W/1/hgs-agent.service" >"$W/bad/hgs-agent.service"
out=$(verify "$W/bad/hgs-agent.service")
if grep -q "Unknown key 'ProtectClok'" <<<"$out"; then
	echo "ok $n a misspelt hardening directive is reported"
else
	echo "not ok $n a misspelt hardening directive is reported"
	sed 's/^/# /' <<<"${out:-(nothing)}"
fi
