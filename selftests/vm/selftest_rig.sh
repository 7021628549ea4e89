#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the guarded-host rig itself (selftests/vm/run), TAP 13 output.
# Each scenario boots a guest with --no-module and checks that the rig's
# verdict, exit status and messages are right, and that it leaves no QEMU or
# swtpm behind (every such process carries the run dir in its command line).
#
#   selftests/vm/selftest_rig.sh           all scenarios (9 boots, ~2-3 min)
#   selftests/vm/selftest_rig.sh --quick   the verdict scenarios only: argument
#                                          errors, pass with fail + dmesg
#                                          WARN + KVM fallback in the same
#                                          boot, module load failure
#                                          (2 boots; make check). The rest
#                                          (timeouts, guest death, panic,
#                                          signals, repo under /tmp) run in
#                                          make soak and make check-rig-self.
#
# Exit: 0 all passed, 1 something failed, 4 the rig cannot run here (skip).

set -u -o pipefail
# Checks are strings eval'd later, so single quotes are intended.
# shellcheck disable=SC2016

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
RIG=$HERE/run
T=$HERE/rigtests
CACHE=${RIG_CACHE:-$(cd "$HERE/../.." && pwd)/build/rig}
FULL=1
case ${1:-} in
--quick) FULL=0 ;;
"") ;;
*)
	echo "usage: $0 [--quick]" >&2
	exit 2
	;;
esac
# 31 checks in the verdict scenarios (one boot for (a) and (b)); 22 more
# in full: (b) in a boot of its own with two checks more, the robustness
# scenarios
PLAN=$((31 + 22 * FULL))

WORK=$(mktemp -d /tmp/selftest_rig.XXXXXX)
mkdir -p "$WORK/tmpshare"
BGPID=
cleanup() {
	# A rig we started in the background for the signal test.
	[[ -n $BGPID ]] && kill -TERM "$BGPID" 2>/dev/null && wait "$BGPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

N=0
FAILS=0
# check DESCRIPTION COMMAND...: one TAP line; on failure show the rig's output.
check() {
	local desc=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N $desc"
	else
		echo "not ok $N $desc"
		FAILS=$((FAILS + 1))
		if [[ -s $WORK/out ]]; then
			echo "# rig exit status $RC after ${SECS}s; its output:"
			sed 's/^/#   /' "$WORK/out" "$WORK/err" | tail -n 40
		fi
	fi
}

# rig ARGS...: run the rig, set RC, SECS, RUNDIR; output in $WORK/out, err.
rig() {
	local t0=$SECONDS
	"$RIG" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	SECS=$((SECONDS - t0))
	RUNDIR=$(sed -n 's/^# rig: run dir //p' "$WORK/out" | head -n 1)
	[[ -n $RUNDIR ]] || RUNDIR=$(sed -n 's/.*, run dir //p' "$WORK/err" | head -n 1)
	if [[ $RC == 4 ]]; then
		echo "1..0 # SKIP rig cannot run here: $(head -n 1 "$WORK/err")"
		exit 4
	fi
}

has() { grep -qE -- "$1" "$WORK/out"; }
hasnt() { ! grep -qE -- "$1" "$WORK/out"; }
rc_is() { [[ $RC == "$1" ]]; }
rc_not() { [[ $RC != "$1" ]]; }
lt() { (($1 < $2)); }

# Nothing the run started is alive: no process mentions its run dir, and the
# pid files were cleaned up.
nothing_left() {
	[[ -n $RUNDIR && -d $RUNDIR ]] || return 1
	! pgrep -f -- "$RUNDIR" >/dev/null &&
		[[ ! -e $RUNDIR/qemu.pid && ! -e $RUNDIR/swtpm.pid ]]
}

echo "TAP version 13"
echo "1..$PLAN"

# --- argument errors: no boot, exit 2, Bail out ---------------------------------
rig --no-module --bogus-option "$T/pass.sh"
check "unknown option: exit 2 with 'Bail out!'" eval 'rc_is 2 && has "^Bail out!"'
cp "$T/pass.sh" "$WORK/pass.sh"
rig --no-module "$WORK/pass.sh"
check "test under /tmp (hidden in the guest) is refused" eval 'rc_is 2 && has "not visible in the guest"'
rig --no-module --ima-policy 'tcb|everything' "$T/pass.sh"
check "unknown built-in IMA policy is refused before booting" eval 'rc_is 2 && has "ima-policy wants"'
rig --no-module --ima-template ima-xyz "$T/pass.sh"
check "unknown IMA template is refused before booting" eval 'rc_is 2 && has "ima-template wants"'
rig --module /nonexistent/vmshield.ko "$T/pass.sh"
check "missing module is refused before booting" eval 'rc_is 2 && has "not found"'

# --- (a) a passing program passes; skips and --env -------------------------------
rig --no-module --share "$WORK/tmpshare" "$T/pass.sh"
check "--share under /tmp (hidden in the guest) is refused" eval 'rc_is 2 && has "not visible in the guest"'
mkdir -p "$CACHE"
SHARE=$(mktemp -d "$CACHE/selftest-share.XXXXXX")
echo "outer says hi" >"$SHARE/from-outer"
# rig_no_kvm ARGS...: a run whose KVM probe fails on any machine (a fake
# device, a too-short timeout): it must fall back to TCG, not hang
rig_no_kvm() {
	rm -f "$CACHE/kvm-probe_dev_null"
	RIG_KVM_DEV=/dev/null RIG_KVM_PROBE_TIMEOUT=0.5 rig --no-module --tap-out "$WORK/tap" "$@"
}
# --quick: (a) and (b) share one boot (the failing and warning tests run
# beside the passing ones); every check of both still runs.
# (a)'s first QEMU dies by SIGSEGV at once (RIG_SELFTEST_QEMU_KILL, as
# CI-10d's QEMU did in the kernel's SMP bring-up): the rig boots once more
export RIG_SELFTEST_QEMU_KILL="11 1"
if ((FULL)); then
	rig --no-module --env "RIG_SELFTEST_VALUE=hello world" --env "RIG_SELFTEST_SHARE=$SHARE" --share "$SHARE" \
		"$T/pass.sh" "$T/skip.sh" "$T/env.sh" "$T/share.sh"
	check "(a) passing run exits 0" rc_is 0
	check "(a) nothing is 'not ok'" hasnt '^not ok'
else
	rig_no_kvm --env "RIG_SELFTEST_VALUE=hello world" --env "RIG_SELFTEST_SHARE=$SHARE" --share "$SHARE" \
		"$T/pass.sh" "$T/skip.sh" "$T/env.sh" "$T/share.sh" "$T/fail.sh" "$T/warn.sh"
	check "(a+b) a run with a failing test exits non-zero" rc_not 0
	check "(a+b) only fail.sh's failing subtest and 'dmesg clean' are 'not ok'" \
		eval '[[ $(grep -c "^not ok" "$WORK/out") == 2 ]]'
fi
unset RIG_SELFTEST_QEMU_KILL
check "(a) QEMU killed by a signal before the first test: retried once, said in the TAP" \
	eval 'has "^# rig: QEMU died by signal 11 before the first test; retrying once$" && [[ -s $RUNDIR/serial-try1.log || -e $RUNDIR/qemu-try1.out ]]'
check "(a) subtests flattened as 'ok N pass.sh: ...'" has '^ok [0-9]+ pass.sh: /dev/tpm0 and /dev/tpmrm0$'
check "(a) guest has TPM event log and IMA list" eval 'has "^ok [0-9]+ pass.sh: TPM event log" && has "^ok [0-9]+ pass.sh: IMA ascii_runtime"'
check "(a) exit 4 reported as a SKIP directive with its reason" has '^ok [0-9]+ skip.sh # SKIP nothing to test here$'
check "(a) --env reaches the test, cwd is its dir" eval 'has "^ok [0-9]+ env.sh: --env passed through" && has "^ok [0-9]+ env.sh: cwd is"'
check "(a) plan matches the result lines" eval '[[ $(grep -cE "^(not )?ok [0-9]+" "$WORK/out") == $(sed -n "s/^1\.\.//p" "$WORK/out") ]]'
check "(a) reports boot-to-tests time and accelerator" eval 'has "^# rig: boot-to-tests [0-9]+\.[0-9] s" && has "^# rig: accel (tcg|kvm)"'
check "(a) TAP saved per test in out/" eval '[[ -s $RUNDIR/out/pass.sh.tap && -s $RUNDIR/out/dmesg.txt ]]'
check "(a) --share: the guest reads and writes the outer directory" eval 'has "^ok [0-9]+ share.sh: shared directory is writable" && [[ $(cat "$SHARE/from-guest") == "guest says hi" ]]'
rm -rf "$SHARE"
check "(a) nothing left running" nothing_left

# --- (b) a failing program fails the run; KVM probe fallback ---------------------
# The probe is forced on a fake device with a too-short timeout, so it fails
# on any machine and must fall back to TCG instead of hanging.
if ((FULL)); then
	rig_no_kvm "$T/fail.sh" "$T/warn.sh"
	check "(b) failing run exits non-zero" rc_not 0
fi
check "(b) failing subtest is 'not ok'" has '^not ok [0-9]+ fail.sh: this one fails on purpose$'
check "(b) passing subtest of it still 'ok'" has '^ok [0-9]+ fail.sh: this one passes$'
check "(b) a WARNING in dmesg fails 'dmesg clean' and is shown" eval 'has "^not ok [0-9]+ dmesg clean$" && has "^#.*WARNING: .*injected by the rig self-test"'
check "(b) --tap-out holds the same TAP" cmp -s "$WORK/out" "$WORK/tap"
check "(b) failed KVM probe falls back to TCG" has '^# rig: accel tcg \(probe boot failed'
check "(b) one vCPU under TCG unless asked (decision 63)" has '^# rig: accel tcg .*, 1 vCPU\(s\)$'
((FULL)) && check "(b) nothing left running" nothing_left

# --- the retry is once: a second QEMU killed by a signal fails the run -------------
# (no guest boots: both QEMUs die at once)
RIG_SELFTEST_QEMU_KILL="11 2" rig --no-module "$T/pass.sh"
check "QEMU killed twice before the first test: one retry, then 'guest did not finish'" \
	eval '[[ $(grep -c "retrying once" "$WORK/out") == 1 ]] && has "^not ok [0-9]+ guest did not finish: QEMU exited with status 139" && has "^not ok [0-9]+ pass.sh: not run"'
check "QEMU killed twice: run exits non-zero, nothing left running" eval 'rc_not 0 && nothing_left'

# --- the robustness scenarios (not with --quick) -----------------------------------
robustness_c_d() {
	# --- (c) a hanging test is stopped by --test-timeout; the run goes on ------------
	# 10 s, not less: pass.sh must finish inside the same per-test timeout even
	# on a loaded machine (it once took 5.9 s while other guests were running)
	rig --no-module --test-timeout 10 "$T/hang.sh" "$T/pass.sh" "$T/warn.sh"
	check "(c) hanging test reported 'timed out after 10s'" has '^not ok [0-9]+ hang.sh: timed out after 10s$'
	check "(c) it was stopped within the timeout (+5 s kill grace)" \
		eval 'secs=$(sed -n "s/^# ---- hang.sh: exit [0-9]* after \([0-9]*\).*/\1/p" "$WORK/out"); [[ -n $secs ]] && lt "$secs" 16'
	check "(c) the next test still ran and passed" has '^ok [0-9]+ pass.sh: results share writable$'
	check "(c) a WARNING in dmesg fails 'dmesg clean' and is shown" eval 'has "^not ok [0-9]+ dmesg clean$" && has "^#.*WARNING: .*injected by the rig self-test"'
	check "(c) run exits non-zero" rc_not 0
	check "(c) nothing left running" nothing_left

	# --- (d) the guest dies mid-test ---------------------------------------------------
	rig --no-module "$T/poweroff.sh" "$T/pass.sh"
	check "(d) power-off mid-test: 'guest did not finish'" has '^not ok [0-9]+ guest did not finish: '
	check "(d) the running test is blamed, the next one not run" \
		eval 'has "^not ok [0-9]+ poweroff.sh: guest stopped while it was running" && has "^not ok [0-9]+ pass.sh: not run"'
	check "(d) serial console tail is shown" has '^# last 30 lines of the serial console'
	check "(d) run exits non-zero, nothing left running" eval 'rc_not 0 && nothing_left'

	rig --no-module "$T/panic.sh"
	check "(d) kernel panic mid-test: reported with the panic message" \
		has '^not ok [0-9]+ guest did not finish: Kernel panic - not syncing: sysrq triggered crash'
	check "(d) a panic stops the guest at once (no whole-run timeout)" eval 'rc_not 0 && lt "$SECS" 120 && hasnt "whole-run timeout"'
	check "(d) nothing left running after the panic" nothing_left
}
((FULL)) && robustness_c_d

# --- the module fails to load: every test fails with the reason ---------------------
# A module init.sh has already loaded cannot be inserted again ("File exists").
# The kernel the rig boots by default (scripts/kernels.sh main).
KV=$("$HERE/../../scripts/kernels.sh" --boot main || true)
LOADED_KO=$(ls /lib/modules/"$KV"/kernel/fs/9p/9p.ko* /lib/modules/"$KV"/kernel/drivers/net/virtio_net.ko* 2>/dev/null | head -n 1)
if [[ -n $LOADED_KO ]]; then
	rig --module "$LOADED_KO" --lockdown integrity "$T/pass.sh" "$T/env.sh"
	check "module load failure: 'not ok N load ...' with the insmod error" has '^not ok [0-9]+ load 9p.ko: insmod .* failed: .*File exists|^not ok [0-9]+ load virtio_net.ko: insmod .* failed: .*File exists'
	check "module load failure: every test 'not ok ... failed to load'" \
		eval 'has "^not ok [0-9]+ pass.sh: not run: .* failed to load: " && has "^not ok [0-9]+ env.sh: not run: .* failed to load: "'
	check "module load failure: dmesg tail shown, run fails" eval 'has "^#   --- dmesg tail ---" && rc_not 0'
	check "--lockdown integrity raised at runtime" has '^ok [0-9]+ lockdown integrity$'
	check "module load failure: nothing left running" nothing_left
else
	for d in "load failure reported" "tests fail with the reason" "dmesg tail shown" "--lockdown" "nothing left"; do
		N=$((N + 1))
		echo "ok $N module load failure: $d # SKIP no loadable copy of an already-loaded module for $KV"
	done
fi

robustness_rest() {
	# --- whole-run timeout ---------------------------------------------------------------
	rig --no-module --timeout 20 "$T/hang.sh"
	check "whole-run timeout: guest killed and reported" has '^not ok [0-9]+ guest did not finish: whole-run timeout \(20s\) expired'
	check "whole-run timeout: the rig returned in time" eval 'rc_not 0 && lt "$SECS" 40'
	check "whole-run timeout: nothing left running" nothing_left

	# --- (e) the rig itself is interrupted -------------------------------------------------
	"$RIG" --no-module "$T/hang.sh" >"$WORK/out" 2>"$WORK/err" &
	BGPID=$!
	for ((i = 0; i < 600; i++)); do
		RUNDIR=$(sed -n 's/.*, run dir //p' "$WORK/err" | head -n 1)
		[[ -n $RUNDIR && -e $RUNDIR/out/hang.sh.started ]] && break
		sleep 0.2
	done
	kill -TERM "$BGPID"
	wait "$BGPID"
	RC=$?
	SECS=0
	BGPID=
	check "(e) SIGTERM during a test: rig exits 143" rc_is 143
	check "(e) SIGTERM: QEMU and swtpm stopped, pid files gone" nothing_left

	# --- (f) a repository under /tmp (CI may clone there) stays visible ----------------
	# The guest mounts its own tmpfs on /tmp; the rig keeps the repo tree visible.
	TMPREPO=$(mktemp -d /tmp/rig-selftest-repo.XXXXXX)
	cp -r "$HERE/.." "$TMPREPO/selftests"
	# the rig asks scripts/kernels.sh which kernel to boot
	mkdir -p "$TMPREPO/scripts"
	cp "$HERE/../../scripts/kernels.sh" "$TMPREPO/scripts/"
	RIG_SAVED=$RIG
	RIG=$TMPREPO/selftests/vm/run
	rig --no-module "$TMPREPO/selftests/vm/rigtests/pass.sh"
	check "(f) repo under /tmp: its test runs and passes" \
		eval 'rc_is 0 && has "^ok [0-9]+ pass.sh: results share writable$"'
	check "(f) repo under /tmp: nothing left running" nothing_left
	RIG=$RIG_SAVED
	rm -rf "$TMPREPO"
}
((FULL)) && robustness_rest

if [[ $N != "$PLAN" ]]; then
	echo "not ok $((N + 1)) selftest_rig.sh ran $N checks but planned $PLAN"
	FAILS=$((FAILS + 1))
fi
echo "# $((N - FAILS)) of $N checks passed"
[[ $FAILS == 0 ]]
