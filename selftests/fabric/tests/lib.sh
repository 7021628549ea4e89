# SPDX-License-Identifier: GPL-2.0
# lib.sh - sourced by every guest-side fabric test: TAP helpers, starting
# and stopping hgs-agent, the fabric worker, and the control channel to the
# outer driver (README.md). Paths come from the rig's --env: FABRIC_DIR
# (the shared dir) and FABRIC_REPO.

set -u
F=${FABRIC_DIR:?FABRIC_DIR is not set: run this through selftests/fabric/run}
R=${FABRIC_REPO:?FABRIC_REPO is not set}
AGENT=$R/build/bin/hgs-agent
WORKER=$R/build/selftests/fabric/fabric_worker
JFIELD=$R/build/selftests/fabric/jfield
SOCK=/run/vmshield/agent.sock
PIDFILE=/run/fabric-agent.pid
TEST=$(basename "$0" .sh)

T_N=0
T_FAILED=0
plan() { echo "TAP version 13"; echo "1..$1"; }
ok() { T_N=$((T_N + 1)); echo "ok $T_N $*"; }
nok() { T_N=$((T_N + 1)); T_FAILED=1; echo "not ok $T_N $*"; }
# check DESCRIPTION CMD...: ok when CMD succeeds; a CMD that took 1 s or
# more says how long (where a test's time goes; bash's clock, no exec)
check() {
	local d=$1 _ck_t0=${EPOCHREALTIME/./} _ck_ms
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
	_ck_ms=$(((${EPOCHREALTIME/./} - _ck_t0) / 1000))
	((_ck_ms < 1000)) || echo "# ($((_ck_ms / 1000)).$((_ck_ms % 1000 / 100)) s)"
}
# diag: stdin as TAP comments (builtins: a sed per call was one more
# process start in the guest, and the tests call it a few hundred times)
diag() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		echo "# $l"
	done
}

# nap SECONDS: sleep without starting a process. sleep(1) is one more exec,
# about 17 ms of the TCG guest's only vCPU (taken from the agent the loops
# below wait for), and they polled every 0.1 s; read(1)'s timeout on a FIFO
# nobody writes costs nothing. One FIFO per boot, opened once per test.
NAP_FD=
nap() {
	if [ -z "$NAP_FD" ]; then
		[ -p /run/fabric-nap ] || mkfifo /run/fabric-nap 2>/dev/null
		exec {NAP_FD}<>/run/fabric-nap 2>/dev/null || NAP_FD=none
	fi
	if [ "$NAP_FD" = none ]; then
		sleep "$1"
	else
		read -r -t "$1" -u "$NAP_FD" _
		return 0
	fi
}

# --- hgs-agent ---------------------------------------------------------------

AGENT_PID=
AGENT_CONF=
AGENT_LOG=
AGENT_SOCK=
AGENT_LOG_FD=
AGENT_LOG_PART=

# agent_logged WORD: 0 when the agent's log got a line with event=WORD...
# since the last call (the log read from where start_agent opened it:
# builtins only)
agent_logged() {
	local line='' hit=1
	[ -n "$AGENT_LOG_FD" ] || return 1
	while IFS= read -r -u "$AGENT_LOG_FD" line; do
		line=$AGENT_LOG_PART$line
		AGENT_LOG_PART=
		[[ $line == *" event=$1"* ]] && hit=0
	done
	AGENT_LOG_PART+=$line	# a line not ended yet
	return $hit
}

# start_agent CONF-NAME: run hgs-agent -c $F/CONF-NAME.conf in the
# background (its own session: timeout(1) must not kill it, stop_agent
# does), wait until it answers on its socket (asked only once the socket
# exists: each status is a process start).
start_agent() {
	local i k v mode='' cmdline=''
	if [ -s "$PIDFILE" ]; then	# one left by a test that died
		kill -TERM "$(cat "$PIDFILE")" 2>/dev/null
		sleep 1
	fi
	AGENT_CONF=$F/$1.conf
	AGENT_LOG=$F/$1.$TEST.log
	AGENT_SOCK=$SOCK
	while read -r k _ v; do
		[ "$k" = socket ] && AGENT_SOCK=$v
		[ "$k" = attestation_mode ] && mode=$v
	done <"$AGENT_CONF"
	# the log from its end: agent_logged sees this start's lines. Not in
	# TPM mode under IMA's tcb policy: it measures root's reads of the
	# share, so the log read while the agent writes it would be a new
	# IMA entry (and a violation) that the host's attestation is judged
	# on (reboot/04's runtime allowlist refuses it)
	[ -n "$AGENT_LOG_FD" ] && exec {AGENT_LOG_FD}<&-
	AGENT_LOG_FD='' AGENT_LOG_PART=''
	read -r cmdline </proc/cmdline
	if [ "$mode" = tpm ] && [[ " $cmdline" == *" ima_policy="*tcb* ]]; then
		:
	elif : >>"$AGENT_LOG" && exec {AGENT_LOG_FD}<"$AGENT_LOG"; then
		agent_logged -
	else
		AGENT_LOG_FD=''
	fi
	setsid "$AGENT" -c "$AGENT_CONF" >>"$AGENT_LOG" 2>&1 </dev/null &
	AGENT_PID=$!
	echo "$AGENT_PID" >"$PIDFILE"
	for ((i = 0; i < 600; i++)); do
		[ -S "$AGENT_SOCK" ] &&
			"$AGENT" status -c "$AGENT_CONF" >/dev/null 2>&1 && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		nap 0.05
	done
	echo "hgs-agent did not come up; its log:" | diag
	tail -20 "$AGENT_LOG" | diag
	return 1
}

# stop_agent: SIGTERM, wait; 0 when it exited 0 within 30 s.
stop_agent() {
	local i rc
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < 600; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		nap 0.05
	done
	wait "$AGENT_PID"
	rc=$?
	AGENT_PID=
	rm -f "$PIDFILE"
	return $rc
}

status_json() { "$AGENT" status --json -c "$AGENT_CONF"; }
# jf PATH...: fields of the JSON on stdin, one line each (jfield.c: a jq
# start costs the TCG guest's one vCPU about 0.3-0.6 s, jfield 20 ms)
jf() { "$JFIELD" - "$@"; }
# jfl PATH...: the same on one line, separated by spaces (no tr start)
jfl() { local v; v=$(jf "$@") || return 1; echo "${v//$'\n'/ }"; }
# status_f PATH...: fields of the agent's status: status_f attestation.state
status_f() { status_json | jf "$@"; }
status_fl() { status_json | jfl "$@"; }
# jq over the status, for what jfield does not do
status_q() { status_json | jq -r "$1"; }

# status_poll SECONDS CMD...: until CMD (which reads the status) succeeds,
# at most SECONDS. CMD runs at once, every 0.2 s for a second after the
# agent logged an attempt's end (attested, attest_failed: "attested" is
# logged just before the state turns valid) and every 2 s besides; every
# 0.5 s when start_agent left the log alone. Before, every 0.5 s with a
# status and a jq start each, which under TCG cost the one vCPU as much
# as the attestation they waited for.
status_poll() {
	local i n=$(($1 * 10)) next=0 hot=0 every=20
	shift
	[ -n "$AGENT_LOG_FD" ] || every=5
	for ((i = 0; i < n; i++)); do
		agent_logged attest && hot=5 next=$i
		if ((i >= next)); then
			"$@" && return 0
			if ((hot > 0)); then
				hot=$((hot - 1)) next=$((i + 2))
			else
				next=$((i + every))
			fi
		fi
		nap 0.1
	done
	return 1
}

# state_is STATE: the attestation's state, matched in the compact JSON
# (the agent's "attestation" object leads with "state"; a string value
# cannot match, its quotes are escaped) without a jq start
state_is() {
	local st
	st=$(status_json 2>/dev/null)
	[[ $st == *"\"attestation\":{\"state\":\"$1\""* ]]
}

# read_last_error: the agent's last error from one status read and one
# jfield (not one of each per field): LE_SUB, the substatus; LE_MSG, the
# message on one line (both empty when there is none)
read_last_error() {
	LE_SUB='' LE_MSG=''
	{ read -r LE_SUB; IFS= read -r LE_MSG; } <<<"$(status_json |
		jf attestation.last_error.substatus? attestation.last_error.message?)"
}

# wait_state STATE [SECONDS]
wait_state() {
	status_poll "${2:-60}" state_is "$1" && return 0
	status_json | diag
	return 1
}

# --- the worker ----------------------------------------------------------------

uuid_of() { local u; read -r u <"$F/vms/$1.uuid"; echo "$u"; }

# worker VM [ARGS...]: release VM's key through the agent, unseal the blob
# the tenant sealed for it; output in $OUT, exit code in $RC.
worker() {
	local vm=$1
	shift
	OUT=$("$WORKER" --vm "$(uuid_of "$vm")" --kp "$F/vms/$vm.kp" \
		--unseal "$F/vms/$vm.sealed" --expect "$F/vms/$vm.plain" "$@" 2>&1)
	RC=$?
	echo "$OUT" | diag
}

# has_key VM: a vmshield key for VM is in /proc/keys
has_key() { grep -q " vmshield *vm:$(uuid_of "$1")" /proc/keys; }
no_key() { ! has_key "$1"; }

# --- control channel to the outer driver -----------------------------------------

# ctl ACTION [SECONDS]: ask the outer side to act (hgs-stop, hgs-start,
# host-disable, host-enable); 0 when it answered "ok" within SECONDS
# (default 60).
ctl() {
	local id="$TEST.$$.$RANDOM" i ans
	echo "$1" >"$F/ctl/$id.tmp" && mv "$F/ctl/$id.tmp" "$F/ctl/$id.req"
	for ((i = 0; i < ${2:-60} * 10; i++)); do
		if [ -f "$F/ctl/$id.ans" ]; then
			ans=$(cat "$F/ctl/$id.ans")
			rm -f "$F/ctl/$id.ans"
			echo "control: $1 -> $ans" | diag
			[ "$ans" = ok ]
			return
		fi
		nap 0.1
	done
	echo "control: $1 -> no answer in ${2:-60} s" | diag
	return 1
}

# --- the TK roll at a start (05g-roll, hostcrash/) --------------------------------

# On the VM $uuid, its state $ST and KP $KP, with the worker $VTPM; the
# NV tag it holds is what the test's roll_tag prints.
# rolled_start [VAR=VALUE...]: resume --roll --expect the tag (VAR=VALUE
# in the worker's environment: a crash point); its output in OUT (and the
# diagnostics), its status in RC
rolled_start() {
	OUT=$(env "$@" "$VTPM" resume --vm "$uuid" --state "$ST" --kp "$KP" \
		--roll --expect "$(roll_tag)" 2>&1)
	RC=$?
	echo "$OUT" | diag
}
# started: that start opened the state with the tag and confirmed the roll
started() {
	[ "$RC" = 0 ] && echo "$OUT" | grep -q "NV content matches --expect" &&
		echo "$OUT" | grep -q "TK roll of VM $uuid confirmed"
}
# superseded KPFILE: a start presenting KPFILE is refused by KPS
superseded() {
	local out
	out=$("$VTPM" resume --vm "$uuid" --state "$ST" --kp "$1" 2>&1)
	echo "$out" | tail -1 | diag
	echo "$out" | grep -q KeyProtectorSuperseded
}

# end the test: stop the agent (if running) and exit with the verdict
finish() {
	[ -n "$AGENT_PID" ] && stop_agent
	exit "$T_FAILED"
}
