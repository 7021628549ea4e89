#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [TIER...] - the test tiers (Documentation/testing.md, "Test
# tiers"), each a list of suites leaving TAP in build/tap/:
#
#   unit    unit tests (cmocka, shell), systemd units, docs
#                                                         make check-unit
#   hgs     hgsd's end-to-end suites on SQLite (every test that drives a
#           real hgsd over HTTPS; check-pg: the same on PostgreSQL)
#                                                         make check-hgs
#   static  checkpatch on every file, make install into a DESTDIR,
#           --help and man pages, the W=1 module build on the second
#           kernel, sparse + W=1 on the main one          make check-static
#   san     the unit and hgsd tests on the ASan+UBSan build, the fuzz
#           corpus replayed, fuzzing (FUZZ_BUDGET, default 40 s of wall
#           time for all harnesses together)              make check-san
#   rig     DKMS (both kernels), the rig's verdict tests
#           (selftest_rig.sh --quick), the module tests in the rig
#           (both kernels), placement hypervisor          make check-rig
#   fabric  fabric end to end, worker rig tests, crash test
#           (CRASH_ROUNDS, default 5, each crashing the worker and
#           serve at once), hgsd's tests on PostgreSQL     make check-fabric
#   soak    all of the rig's own tests, every fabric test (check-fabric
#           leaves 06b and four of boot 4's out), crash tests with
#           SOAK_CRASH_ROUNDS and SOAK_CRASH_SERVE_ROUNDS (50) boots,
#           SOAK_FUZZ_RUNS (10 million) executions per fuzz harness,
#           SOAK_KMOD_FUZZ_CALLS (1000000) ioctl fuzzer calls in the rig,
#           then SOAK_STRESS_SECONDS (600) of concurrency_test
#                                                         make soak
#   rig-self  all of the rig's own tests (9 boots): run it when you
#           change selftests/vm/                          make check-rig-self
#   pkg     the Debian packages built, linted, installed (DKMS for the
#           main kernel), their module and selftests booted in the rig,
#           purged, nothing left                          make check-pkg
#
# Default: unit san static rig fabric (make check). The Makefile builds first.
# (hgs is not in it: check-san runs the same suites on the ASan+UBSan build
# and check-pg on PostgreSQL, so a third run on SQLite adds 65 CPU-seconds
# and no path; make check-hgs runs it.)
#
# --lanes (make check): the tiers that boot no guest (unit, hgs, san, static,
# fabric's PostgreSQL suite as the tier pg, rig's DKMS cycle as the tier
# dkms) run in a second lane at a lower priority (VMS_HOST_NICE, default
# 10), alongside the guest tiers (rig, fabric), their lines prefixed
# "[host] ". That lane first builds what only it needs (the fuzzers and the
# ASan+UBSan build: tier hostbuild). The guests are TCG and spend part of
# their time waiting (timeouts, an HGS outage, the guest's own sleeps); the
# host tiers fill it. Every suite's end line gives its wall time and the
# CPU-seconds it used. Nothing the lanes share is rebuilt while the other lane runs
# (the sparse and W=1 module builds use copies of their own).
# Each tier ends with "check-TIER: N passed, N failed, N skipped in T s";
# with several tiers, every tier's line again, the build time when
# VMS_CHECK_START (epoch seconds, set by make check) says when it began,
# and the total line "check: N passed, N failed, N skipped in T s".
# A suite that dies without reporting counts as a failure; one that exits
# 4 (kselftest's skip) with a "1..0 # SKIP why" plan counts as one skip.
# Exit 1 if anything failed.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
TAP="$REPO/build/tap"
mkdir -p "$TAP"

# Suites that also leave one TAP file per test program (<suite>-*.tap):
# those are counted instead of the suite's combined stream.
PERPROG=" unit hgs san pg "

# Each suite runs under tests/leftovers.c's --cpu mode: a child subreaper
# that waits for all the suite's descendants (orphans included) and writes
# the CPU-seconds they used (user + system) to a file. The suite's own
# figure, whatever else this shell (or the other lane) has running: bash's
# `times` counted any child this shell reaped meanwhile, and a lane's
# subshell reaped late put the whole lane into one suite (CI-10:
# worker-crash 1040.9 CPU-seconds in 171 s). Built here if missing.
CPUW=$REPO/build/tests/leftovers
[[ -x $CPUW ]] || make -s -C "$REPO/userspace" "$CPUW" >/dev/null ||
	echo "check.sh: cannot build $CPUW: the suites' CPU-seconds read 0" >&2

# run_suite NAME CMD...: run CMD with TAP on stdout into $TAP/NAME.tap; if
# CMD fails but its TAP shows no failure, record the failure ourselves.
run_suite() {
	local name=$1 out="$TAP/$1.tap" rc t0=$(date +%s) cpu="$TAP/.cpu.$1" c0
	shift
	rm -f "$out" "$cpu"
	[[ $PERPROG == *" $name "* ]] && rm -f "$TAP/$name"-*.tap
	echo "== $name: $*"
	# (the group: tee is this shell's child, not the wrapper's, which
	# would wait for it while holding its pipe open)
	if [[ -x $CPUW ]]; then
		{ "$CPUW" --cpu "$cpu" "$name" "$@"; } > >(tee "$out") 2>&1
	else
		{ "$@"; } > >(tee "$out") 2>&1
	fi
	rc=$?
	sleep 0.2 # let tee flush
	# exit 4 with a "1..0 # SKIP why" plan: the whole suite skipped
	if ((rc == 4)) && ! grep -qE '^(not )?ok' "$out" &&
	   grep -q '^1\.\.0 # SKIP' "$out"; then
		echo "ok 1 $name # SKIP $(sed -n 's/^1\.\.0 # SKIP *//p' "$out" | head -1)" |
			tee -a "$out"
	elif ((rc != 0)) && ! grep -q '^not ok' "$out"; then
		echo "not ok 1 $name exited with status $rc" | tee -a "$out"
	fi
	if ! grep -qE '^(not )?ok' "$out"; then
		echo "not ok 1 $name reported no result" | tee -a "$out"
	fi
	# CPU-seconds x10, rounded: "USER SYS" from the wrapper
	c0=$(awk '{ printf "%d", ($1 + $2) * 10 + 0.5 }' "$cpu" 2>/dev/null)
	rm -f "$cpu"
	c0=${c0:-0}
	echo "== $name: $(($(date +%s) - t0)) s, $((c0 / 10)).$((c0 % 10)) CPU-s"
}

# suite_files NAME...: the TAP files that count for these suites
suite_files() {
	local name
	for name in "$@"; do
		if [[ $PERPROG == *" $name "* ]] && compgen -G "$TAP/$name-*.tap" >/dev/null; then
			ls "$TAP/$name"-*.tap
			grep -q "^not ok 1 $name " "$TAP/$name.tap" 2>/dev/null && echo "$TAP/$name.tap"
		else
			echo "$TAP/$name.tap"
		fi
	done
}

tier_unit() {
	local side

	SUITES=(unit systemd docs jfield)
	# The three small suites (a few CPU-seconds, mostly waiting on
	# systemd-analyze and process start-up) run beside the unit tests and
	# are printed after them.
	{
		run_suite systemd "$REPO/scripts/systemd-check.sh"
		run_suite docs "$REPO/scripts/docs-check.py"
		run_suite jfield "$REPO/selftests/fabric/jfield_test.sh"
	} >"$TAP/.unit-side.log" 2>&1 &
	side=$!
	run_suite unit make -s -C "$REPO/userspace" check
	wait "$side"
	cat "$TAP/.unit-side.log"
}

tier_hgs() {
	SUITES=(hgs)
	run_suite hgs make -s -C "$REPO/userspace" check-hgs
}

tier_san() {
	SUITES=(san fuzz)
	run_suite san make -s -C "$REPO/userspace" SAN=1 check
	# fuzz: libFuzzer runs every input of a harness's seeds and corpus
	# before it mutates (fuzz.sh's line gives how many), so the replay is
	# part of it; a suite that replayed them once more just before (it
	# was fuzz-replay) repeated that work (session 11)
	if [[ -n ${FUZZ_SECONDS:-} ]]; then
		run_suite fuzz env FUZZ_BUDGET= "$REPO/scripts/fuzz.sh"
	else
		run_suite fuzz env FUZZ_BUDGET="${FUZZ_BUDGET:-40}" "$REPO/scripts/fuzz.sh"
	fi
}

# checkpatch (cached per file in build/static-cache/: cold, about 100
# CPU-seconds), then the module's warning-free builds: sparse's C=2 W=1
# build is the main kernel's W=1 build, so kbuild builds only the second
# kernel's (scripts/kernels.sh: Debian 12's 6.1 and 6.12).
tier_static() {
	local alt

	run_suite static "$REPO/scripts/static-check.sh" --checkpatch
	run_suite install "$REPO/scripts/install-test.sh"
	run_suite man "$REPO/scripts/man-check.sh"
	if ((!KBUILD_IN_HOST_LANE)); then
		SUITES=(static install man kbuild sparse)
		tier_kbuild_suite
	else
		SUITES=(static install man sparse)
	fi
	run_suite sparse "$REPO/scripts/static-check.sh" --sparse
}

# the second kernel's W=1 build, into the copy selftests/kmod/run.sh boots
# (build/kmod/VER/, under kmod-build.sh's lock): with --lanes it is the
# host lane's first suite, so rig-kmod-alt finds its module built instead
# of building it in the guest lane (about 30 s there)
tier_kbuild_suite() {
	local alt
	alt=$("$REPO/scripts/kernels.sh" --headers alt 2>/dev/null) || alt=
	run_suite kbuild env ${alt:+KVER="$alt"} KBUILD_DIR="$REPO/build/kmod" \
		"$REPO/selftests/dkms/kbuild.sh"
}

tier_kbuild() {
	SUITES=(kbuild)
	tier_kbuild_suite
}

# the DKMS cycle on both kernels: part of the rig tier, or (--lanes) a tier
# of its own at the end of the host lane: it boots nothing, and what it
# installs under /lib/modules (a vmshield.ko and depmod's atomically
# replaced indexes) is never loaded by a guest (the rig insmods the tree's
# module; no guest runs udev)
suite_dkms() {
	run_suite dkms "$REPO/selftests/dkms/test.sh"
}

tier_dkms() {
	SUITES=(dkms)
	suite_dkms
}

tier_rig() {
	local t

	SUITES=(rig-self rig-kmod rig-kmod-alt rig-hyp)
	if ((!DKMS_IN_HOST_LANE)); then
		SUITES=(dkms "${SUITES[@]}")
		suite_dkms
	fi
	# the verdict scenarios; the robustness ones are in make soak
	run_suite rig-self "$REPO/selftests/vm/selftest_rig.sh" --quick
	# Module tests in one guest, in the order selftests/kmod/TESTS gives
	# (lockdown only goes up and unloading ends the module's life, so
	# order matters): on the main kernel, then once more on the second one.
	# init_on_free=1: hypervisor_test's kcore scan needs freed pages zeroed;
	# in placement kernel it is the positive control (the secrets are
	# found). It proves the scan, which does not depend on the kernel, so
	# it runs on the main kernel only (575 MiB of /proc/kcore under TCG
	# with 512M: RAM, the kernel image, the loaded modules).
	# concurrency_test's stress runs 10 s here (30 s alone, make soak)
	# --smp 2: concurrency_test's threads race on two vCPUs (multi-threaded
	# TCG); every other guest has one (selftests/vm/run, testing.md)
	# --memory 512M (rig-kmod, rig-hyp): both scans read all of the
	# guest's RAM, and init_on_free=1 zeroes it at boot; half the RAM, half
	# the haystack, the same needles (575 MiB of kcore scanned, not 1095)
	run_suite rig-kmod "$REPO/selftests/kmod/run.sh" --kernel main --smp 2 \
		--memory 512M --append init_on_free=1 --env VMS_STRESS_SECONDS=10
	run_suite rig-kmod-alt "$REPO/selftests/kmod/run.sh" --kernel alt \
		--except hypervisor_test --env VMS_STRESS_SECONDS=10
	# placement hypervisor: the enclave on the outer machine, the same scan
	# finds nothing (issue 15's decisive secrecy test)
	# (vtpm_test first: the vTPM in the enclave, before the enclave faults)
	run_suite rig-hyp "$REPO/selftests/vm/run" --placement hypervisor \
		--memory 512M --append init_on_free=1 "$REPO/build/selftests/vtpm_test" \
		"$REPO/build/selftests/mailbox_abuse_test" \
		"$REPO/build/selftests/hypervisor_test"
	for t in rig-kmod rig-kmod-alt; do
		grep -h '^# rig: \(kernel\|boot-to-tests\|total\)' "$TAP/$t.tap" 2>/dev/null |
			sed "s/^# rig:/# $t:/"
	done
}

# the fabric tests only make soak runs (each costs 30-70 s of boot 4;
# 01b-hyp-vtpm, the inner VM on the vTPM in the enclave and root's scan of
# all memory and disk for its secrets, 115-145 s; 06b, renewal and
# revocation reaching the module, waits out 20 s release lifetimes: about
# 2 minutes of boot 1; 00-kps-named-first, three attestations and a module
# reload: 68 s of boot 1 at load 16; 05g-roll, the TK roll's crash points
# with the agent, hgsd and the worker killed and restarted: 154-200 s;
# 05e-libvirt, a real libvirtd starting the shielded VM through the hook:
# 91 s of boot 1; make check keeps the hook's logic (libvirt_hook_test.sh,
# check-unit) and a stock QEMU booting on the worker's vTPM (serve_test.sh,
# the worker tier); 06c/06d, issue 18's agent against three hgsd nodes on
# PostgreSQL: 155-169 s and 74-90 s at load 22-24; boot 5 (hypreboot/),
# the hypervisor-placement host rebooted: 176 s with its boot at load 25;
# hostcrash/, the whole host killed during a TK roll: three boots)
FABRIC_SOAK_ONLY="06b-revocation-reaches-keys 01b-hyp-vtpm 02-hyp-reload 05-hyp-tpm 06-hyp-enclave-restart 00-kps-named-first 05g-roll 05e-libvirt"
FABRIC_SOAK_ONLY+=" 06c-cluster-failover 06d-cluster-revocation 01-hypreboot-new-enclave 05b-hyp-vtpm-floor"
FABRIC_SOAK_ONLY+=" 01-host-crash-release 02-host-crash-reseal 03-host-crash-after"

# hgsd's test suites again on PostgreSQL (a private cluster each): part of
# the fabric tier, or a tier of its own in the host lane (--lanes)
suite_pg() {
	run_suite pg make -s -C "$REPO/userspace" check-pg
}

tier_pg() {
	SUITES=(pg)
	suite_pg
}

# --lanes: the builds only the host lane needs, while the guests boot
tier_hostbuild() {
	SUITES=(hostbuild)
	run_suite hostbuild sh -c "make --no-print-directory -C '$REPO' -j$(nproc) fuzz >/dev/null &&
		make --no-print-directory -C '$REPO/userspace' -j$(nproc) SAN=1 check-build >/dev/null &&
		echo 'ok 1 the fuzzers and the ASan+UBSan build'"
}

tier_fabric() {
	SUITES=(fabric worker worker-crash)
	if ((!PG_IN_HOST_LANE)); then
		SUITES+=(pg)
		suite_pg
	fi
	# boot 4 (placement hypervisor) without the module reload, TPM mode
	# and enclave restart tests: make soak runs them (soak-fabric)
	run_suite fabric env FABRIC_EXCEPT="${FABRIC_EXCEPT-$FABRIC_SOAK_ONLY}" \
		"$REPO/selftests/fabric/run"
	run_suite worker "$REPO/selftests/worker/run.sh"
	# CRASH_ROUNDS boots, each crashing the worker sealing and
	# `vmshield-worker serve` taking NV writes at once (CRASH_BOTH; the
	# first provisions before its round), and one that checks the last
	run_suite worker-crash env CRASH_BOTH=1 CRASH_ROUNDS="${CRASH_ROUNDS:-5}" \
		"$REPO/selftests/worker/crash_test.sh"
}

tier_rig-self() {
	SUITES=(rig-self-full)
	run_suite rig-self-full "$REPO/selftests/vm/selftest_rig.sh"
}

tier_soak() {
	SUITES=(rig-self-full soak-fabric soak-crash soak-crash-serve soak-fuzz soak-kmod-fuzz
		soak-migration soak-migration-hyp)
	run_suite rig-self-full "$REPO/selftests/vm/selftest_rig.sh"
	run_suite soak-fabric env FABRIC_EXCEPT= "$REPO/selftests/fabric/run"
	run_suite soak-crash env CRASH_ROUNDS="${SOAK_CRASH_ROUNDS:-50}" \
		"$REPO/selftests/worker/crash_test.sh"
	run_suite soak-crash-serve env CRASH_SERVE=1 \
		CRASH_ROUNDS="${SOAK_CRASH_SERVE_ROUNDS:-50}" \
		CRASH_DIR="$REPO/build/worker-crash-serve" "$REPO/selftests/worker/crash_test.sh"
	run_suite soak-fuzz env FUZZ_BUDGET= FUZZ_RUNS="${SOAK_FUZZ_RUNS:-10000000}" \
		"$REPO/scripts/fuzz.sh"
	# the module's ioctl fuzzer (selftests/kmod/fuzz_test.c) in one guest
	# of the main kernel: SOAK_KMOD_FUZZ_CALLS (1000000) calls; then
	# concurrency_test's 8 racing threads for SOAK_STRESS_SECONDS (600;
	# make check runs 10 s of it on each kernel)
	run_suite soak-kmod-fuzz "$REPO/selftests/vm/run" \
		--kernel "$("$REPO/scripts/kernels.sh" --boot main)" \
		--module "$REPO/vmshield.ko" --timeout 7200 --test-timeout 3600 --smp 2 \
		--env VMS_FUZZ_CALLS="${SOAK_KMOD_FUZZ_CALLS:-1000000}" \
		--env VMS_STRESS_SECONDS="${SOAK_STRESS_SECONDS:-600}" \
		"$REPO/build/selftests/fuzz_test" "$REPO/build/selftests/concurrency_test"
	# two guarded hosts at once, a shielded VM migrated over TLS (issue 20)
	run_suite soak-migration "$REPO/selftests/migration/run"
	# the same in placement hypervisor: the vTPM in each host's enclave
	run_suite soak-migration-hyp "$REPO/selftests/migration/run" --placement hypervisor
}

# Not in make check (a Debian build, an install and a guest boot: about
# 11 minutes, Documentation/testing.md): make check-pkg.
tier_pkg() {
	SUITES=(pkg)
	run_suite pkg "$REPO/scripts/pkg-test.sh"
}

lanes=0
if [[ ${1:-} == --lanes ]]; then
	lanes=1
	shift
fi
tiers=("$@")
((${#tiers[@]})) || tiers=(unit san static rig fabric)
for t in "${tiers[@]}"; do
	[[ $t != hostbuild ]] && declare -F "tier_$t" >/dev/null || {
		echo "usage: $0 [--lanes] [unit|hgs|san|static|rig|fabric|pg|dkms|kbuild|soak|rig-self|pkg]..." >&2
		exit 2
	}
done

# Every tier's Python is Debian's (/usr/bin/python3, what make deps
# installs the modules for): on a machine whose PATH finds a pyenv shim
# first (this one, as root), each `python3` start ran bash and pyenv
# first, about 0.7 CPU-seconds instead of 0.05, and the tests start
# hundreds (libvirt_hook_test.sh: 19.4 CPU-seconds, 3.8 with Debian's).
# The guest tiers' outer sides too (the fabric's scripts, the rig's
# hostile enclave); inside a guest, guest.sh sets its own PATH.
PYPIN=$REPO/build/python-bin
HOST_PATH=$PATH
if [[ -x /usr/bin/python3 && $(command -v python3) != /usr/bin/python3 ]]; then
	mkdir -p "$PYPIN" && ln -sfn /usr/bin/python3 "$PYPIN/python3" &&
		HOST_PATH=$PYPIN:$PATH
fi

# run_tiers TIER...: each tier in turn; its summary line, its TAP files
# and whether it failed go to $TAP/.tier-TIER.* for the total below.
run_tiers() {
	local t t0 secs summary rc files

	for t in "$@"; do
		t0=$(date +%s)
		PATH=$HOST_PATH "tier_$t"
		mapfile -t files < <(suite_files "${SUITES[@]}")
		secs=$(($(date +%s) - t0))
		echo "== check-$t summary"
		rc=0
		summary=$("$REPO/scripts/tap-summary.sh" -l "check-$t" -t "$secs" "${files[@]}") || rc=1
		echo "$summary"
		tail -n 1 <<<"$summary" >"$TAP/.tier-$t.line"
		printf '%s\n' "${files[@]}" >"$TAP/.tier-$t.files"
		echo $rc >"$TAP/.tier-$t.rc"
	done
}

start=$(date +%s)
PG_IN_HOST_LANE=0
DKMS_IN_HOST_LANE=0
KBUILD_IN_HOST_LANE=0
order=("${tiers[@]}")
rm -f "$TAP"/.tier-*
if ((lanes)); then
	host=(hostbuild) guest=() side=()
	if [[ " ${tiers[*]} " == *" rig "* && " ${tiers[*]} " == *" static "* ]]; then
		KBUILD_IN_HOST_LANE=1
		host=(kbuild hostbuild)
	fi
	for t in "${tiers[@]}"; do
		case $t in
		rig | fabric) guest+=("$t") ;;
		*) host+=("$t") ;;
		esac
	done
	# PostgreSQL's suites wait on fsync and start-up more than they
	# compute (185 s, 81 CPU-seconds): a third lane, beside the host lane
	if [[ " ${guest[*]} " == *" fabric "* ]]; then
		PG_IN_HOST_LANE=1
		side+=(pg)
	fi
	if [[ " ${guest[*]} " == *" rig "* ]]; then
		DKMS_IN_HOST_LANE=1
		host+=(dkms)
	fi
	order=("${host[@]}" "${side[@]}" "${guest[@]}")
	echo "== lanes: host ${host[*]}${side[*]:+; side ${side[*]}} (nice ${VMS_HOST_NICE:-10}); guest ${guest[*]}"
	# The guests are the critical path, and TCG slows down far more than
	# the CPU it loses (session 7: the rig tier took 265 s alone, 735 s
	# beside an equal-priority host lane), so the host lane yields to them
	# (VMS_HOST_NICE, default 10) and fills the time they leave idle.
	# sed -u: whole lines, so the lanes' lines do not tear
	(renice -n "${VMS_HOST_NICE:-10}" -p "$BASHPID" >/dev/null
	 run_tiers "${host[@]}") > >(sed -u 's/^/[host] /') 2>&1 &
	host_pid=$!
	side_pid=
	if ((${#side[@]})); then
		(renice -n "${VMS_HOST_NICE:-10}" -p "$BASHPID" >/dev/null
		 run_tiers "${side[@]}") > >(sed -u 's/^/[side] /') 2>&1 &
		side_pid=$!
	fi
	run_tiers "${guest[@]}"
	echo "== guest lane done in $(($(date +%s) - start)) s; waiting for the host lane"
	wait "$host_pid"
	[[ -z $side_pid ]] || wait "$side_pid"
	sleep 0.2 # let sed flush
else
	run_tiers "${tiers[@]}"
fi

all_files=() lines=() failed=0
for t in "${order[@]}"; do
	if [[ -f $TAP/.tier-$t.line ]]; then
		lines+=("$(cat "$TAP/.tier-$t.line")")
		mapfile -t files <"$TAP/.tier-$t.files"
		all_files+=("${files[@]}")
		[[ $(cat "$TAP/.tier-$t.rc") == 0 ]] || failed=1
	else
		lines+=("check-$t: did not finish")
		failed=1
	fi
done

((${#order[@]} > 1)) || exit $failed
end=$(date +%s)
echo "== summary"
printf '%s\n' "${lines[@]}"
since=$start
if [[ ${VMS_CHECK_START:-} =~ ^[0-9]+$ ]] && ((VMS_CHECK_START <= start)); then
	echo "build: $((start - VMS_CHECK_START)) s"
	since=$VMS_CHECK_START
fi
"$REPO/scripts/tap-summary.sh" -q -l check -t "$((end - since))" "${all_files[@]}" || failed=1
exit $failed
