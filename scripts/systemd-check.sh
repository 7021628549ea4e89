#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The shipped systemd units, checked by Debian 12's systemd-analyze verify
# as TAP: each must verify with no message at all (systemd only warns
# about an unknown or misspelt directive and then ignores it, which for a
# hardening line means silently running without it), and a copy with one
# misspelt directive must be reported (the check can fail). The ExecStart
# binary is pointed at the build, since nothing is installed here, and
# the man pages of Documentation= are looked up among the built ones. The
# units cannot be started here: the rig and CI have no systemd as PID 1.
# Then, for each unit: `systemd-analyze security --offline` exposure at
# most 2.0 (printed), Type=notify, no ConditionPathExists (a missing
# config must fail the start loudly, not skip it). And hgsd run as its
# ExecStart runs it, with a NOTIFY_SOCKET this script listens on: READY=1
# arrives once it serves, STOPPING=1 at SIGTERM; with JOURNAL_STREAM
# naming its stderr every line has a "<N>" priority prefix that matches
# its level=; --log-level warning drops the info lines. Both units have
# WatchdogSec= and hgsd's ExecReload=; with WATCHDOG_USEC set hgsd sends
# WATCHDOG=1 twice per interval, and none while its key process is
# stopped; SIGHUP gives RELOADING=1, a reload and READY=1.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
B=$REPO/build
units=("userspace/agent/hgs-agent.service:/usr/sbin/hgs-agent:$B/bin/hgs-agent"
       "userspace/hgsd/hgsd.service:/usr/sbin/hgsd:$B/bin/hgsd")
echo "TAP version 13"
echo "1..$(( 4 * ${#units[@]} + 1 + 6 + 4 ))"
if ! command -v systemd-analyze >/dev/null; then
	echo "Bail out! systemd-analyze is missing: run scripts/install-deps.sh"
	exit 1
fi
W=$(mktemp -d)
# verify looks up the units' Documentation=man:... pages: the built ones
make -s -C "$REPO" man >/dev/null 2>&1 || echo "# make man failed: the man: lookups will fail"
for m in "$B"/man/*; do
	mkdir -p "$W/man/man${m##*.}" && ln -s "$m" "$W/man/man${m##*.}/"
done
export MANPATH=$W/man
trap '[[ -n ${LISTENER:-} ]] && kill "$LISTENER" 2>/dev/null; rm -rf "$W"' EXIT
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

# --- exposure, notify, no hidden skip -------------------------------------------
for u in "${units[@]}"; do
	IFS=: read -r file installed built <<<"$u"
	name=$(basename "$file")
	out=$(systemd-analyze security --offline=yes --no-pager "$REPO/$file" 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	n=$((n + 1))
	if [[ -n $level ]] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
		echo "ok $n $name: systemd-analyze security exposure $level (at most 2.0)"
	else
		echo "not ok $n $name: systemd-analyze security exposure ${level:-unknown} (at most 2.0)"
		grep '✗' <<<"$out" | sed 's/^/# /'
	fi
	n=$((n + 1))
	if grep -qx 'Type=notify' "$REPO/$file"; then
		echo "ok $n $name is Type=notify"
	else
		echo "not ok $n $name is Type=notify"
	fi
	n=$((n + 1))
	if grep -q '^Condition' "$REPO/$file"; then
		echo "not ok $n $name has no Condition*= that would skip a misconfigured start"
	else
		echo "ok $n $name has no Condition*= that would skip a misconfigured start"
	fi
done

# --- hgsd's readiness and log priorities ------------------------------------------
# notify_listen SOCK OUT: collect datagrams on SOCK into OUT (one per line)
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    print("bound", file=out, flush=True)
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", "|"), file=out, flush=True)
' "$1" "$2" &
	LISTENER=$!
	for _ in $(seq 50); do grep -q bound "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# wait_for PATTERN FILE SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
H=$W/hgs
"$B/bin/hgsd" --init "$H" --port 0 >"$W/init.log" 2>&1
exec_start=$(sed -n 's/^ExecStart=//p' "$REPO/userspace/hgsd/hgsd.service")
read -r -a cmd <<<"${exec_start//\/usr\/sbin\/hgsd/$B/bin/hgsd}"
cmd=("${cmd[@]//\/var\/lib\/hgsd/$H}")
: >"$W/stderr"
js=$(stat -c '%d:%i' "$W/stderr")
LISTENER=
notify_listen "$W/notify.sock" "$W/notify.out"
NOTIFY_SOCKET=$W/notify.sock JOURNAL_STREAM=$js "${cmd[@]}" 2>>"$W/stderr" &
pid=$!
n=$((n + 1))
if wait_for '^READY=1' "$W/notify.out" 20; then
	echo "ok $n hgsd (${cmd[*]##*/}) sends READY=1 to NOTIFY_SOCKET once it serves"
else
	echo "not ok $n hgsd sends READY=1 to NOTIFY_SOCKET once it serves"
	sed 's/^/# /' "$W/notify.out" "$W/stderr"
fi
n=$((n + 1))
# readiness comes after the listeners: the port file is written by then
if [[ -s $H/hgsd.port ]] && grep -q 'level=info event=started' "$W/stderr"; then
	echo "ok $n READY=1 comes after the listeners and the started line"
else
	echo "not ok $n READY=1 comes after the listeners and the started line"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
n=$((n + 1))
if wait_for '^STOPPING=1' "$W/notify.out" 5; then
	echo "ok $n hgsd sends STOPPING=1 at SIGTERM"
else
	echo "not ok $n hgsd sends STOPPING=1 at SIGTERM"
fi
n=$((n + 1))
bad=$(awk '
	!/^<[3-7]>hgsd / { print "no prefix: " $0; next }
	{ p = substr($0, 2, 1); l = $0; sub(/.* level=/, "", l); sub(/ .*/, "", l)
	  want = (l == "error") ? 3 : (l == "warning") ? 4 : (l == "notice") ? 5 : (l == "info") ? 6 : 7
	  if (p != want) print "prefix " p " for level " l ": " $0 }' "$W/stderr")
lines=$(wc -l <"$W/stderr")
if [[ -z $bad && $lines -ge 2 ]] && grep -q '^<6>hgsd ' "$W/stderr"; then
	echo "ok $n every line on the journal stream carries its priority ($lines lines)"
else
	echo "not ok $n every line on the journal stream carries its priority ($lines lines)"
	sed 's/^/# /' <<<"$bad"
fi
# An error line: a config that names a missing master key file.
n=$((n + 1))
: >"$W/stderr2"
js=$(stat -c '%d:%i' "$W/stderr2")
mv "$H/keys/master.key" "$H/keys/master.key.away"
JOURNAL_STREAM=$js "${cmd[@]}" 2>>"$W/stderr2" &
pid=$!
wait "$pid"
rc=$?
mv "$H/keys/master.key.away" "$H/keys/master.key"
if ((rc != 0)) && grep -q '^<3>hgsd .* level=error ' "$W/stderr2"; then
	echo "ok $n a failed start exits $rc with a <3> error line"
else
	echo "not ok $n a failed start exits non-zero with a <3> error line (exit $rc)"
	sed 's/^/# /' "$W/stderr2"
fi
# --log-level warning: no info line (it still gets ready); a bad level is refused
n=$((n + 1))
NOTIFY_SOCKET=$W/notify.sock "${cmd[@]}" --log-level warning 2>"$W/stderr3" &
pid=$!
ready=0
for _ in $(seq 200); do
	(($(grep -c '^READY=1' "$W/notify.out") >= 2)) && { ready=1; break; }
	sleep 0.1
done
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"$B/bin/hgsd" --log-level loud -c "$H/hgsd.conf" 2>"$W/stderr4"
rc=$?
if ((ready)) && ! grep -q 'level=info' "$W/stderr3" && ((rc != 0)) &&
	grep -q "unknown log level 'loud'" "$W/stderr4"; then
	echo "ok $n --log-level warning drops the info lines; an unknown level is refused (exit $rc)"
else
	echo "not ok $n --log-level warning drops the info lines; an unknown level is refused"
	sed 's/^/# /' "$W/stderr3" "$W/stderr4"
fi
# WatchdogSec= and ExecReload=: the units ask for them, hgsd answers them
n=$((n + 1))
if grep -q '^WatchdogSec=' "$REPO/userspace/hgsd/hgsd.service" &&
	grep -q '^WatchdogSec=' "$REPO/userspace/agent/hgs-agent.service" &&
	grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$REPO/userspace/hgsd/hgsd.service"; then
	echo "ok $n both units have WatchdogSec=, hgsd.service ExecReload= (SIGHUP)"
else
	echo "not ok $n both units have WatchdogSec=, hgsd.service ExecReload= (SIGHUP)"
fi
# a fresh listener: count this run's datagrams only
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
rm -f "$W/notify.sock" "$W/notify.out"
notify_listen "$W/notify.sock" "$W/notify.out"
NOTIFY_SOCKET=$W/notify.sock WATCHDOG_USEC=1000000 "${cmd[@]}" 2>"$W/stderr5" &
pid=$!
wait_for '^READY=1' "$W/notify.out" 20
sleep 2.2
n=$((n + 1))
wd=$(grep -c '^WATCHDOG=1' "$W/notify.out")
if ((wd >= 3)); then
	echo "ok $n with WATCHDOG_USEC=1000000 hgsd sends WATCHDOG=1 twice a second ($wd in 2.2 s)"
else
	echo "not ok $n with WATCHDOG_USEC=1000000 hgsd sends WATCHDOG=1 twice a second ($wd in 2.2 s)"
	sed 's/^/# /' "$W/notify.out" "$W/stderr5"
fi
n=$((n + 1))
kill -HUP "$pid"
if wait_for '^RELOADING=1' "$W/notify.out" 10 && wait_for 'event=reloaded' "$W/stderr5" 10 &&
	(($(grep -c '^READY=1' "$W/notify.out") >= 2)); then
	echo "ok $n SIGHUP: RELOADING=1, the reload, then READY=1 again"
else
	echo "not ok $n SIGHUP: RELOADING=1, the reload, then READY=1 again"
	sed 's/^/# /' "$W/notify.out" "$W/stderr5"
fi
# the key process stopped: no WATCHDOG=1 until it answers again
n=$((n + 1))
kp=$(ps -o pid= --ppid "$pid" | tr -d ' ' | head -n1)
kill -STOP "$kp"
sleep 0.6
before=$(grep -c '^WATCHDOG=1' "$W/notify.out")
sleep 1.5
after=$(grep -c '^WATCHDOG=1' "$W/notify.out")
kill -CONT "$kp"
sleep 1.2
again=$(grep -c '^WATCHDOG=1' "$W/notify.out")
if ((after == before && again > after)) && kill -0 "$pid" 2>/dev/null; then
	echo "ok $n a stopped key process stops WATCHDOG=1 (systemd would restart hgsd); it resumes after SIGCONT"
else
	echo "not ok $n a stopped key process stops WATCHDOG=1; it resumes after SIGCONT ($before $after $again)"
	sed 's/^/# /' "$W/stderr5"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[[ -n $LISTENER ]] && kill "$LISTENER" 2>/dev/null
