#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the guarded-host rig.  init.sh runs this inside the chroot
# (the outer machine's root, read-only over 9p) as
#
#     /bin/bash selftests/vm/guest.sh RUNDIR
#
# RUNDIR/guest.conf was written by selftests/vm/run (bash `declare -p` output)
# and RUNDIR/out is the writable results share.  Everything the outer side
# needs to build its report is a file in RUNDIR/out:
#
#   guest-start            uptime when this script started
#   module.status          "ok" or "fail"; module.err holds the reason
#   lockdown.status        "ok" or "fail: reason" when --lockdown was given
#   tests-started          uptime when the first test started
#   <name>.started         the test is running (left alone if the guest dies)
#   <name>.tap/.err        the test's stdout (TAP) and stderr
#   <name>.rc              "RC SECONDS" once the test has finished
#   dmesg.txt              the kernel log after all tests
#   done                   written last: the guest finished normally
#
# This script is PID 1.  It must never simply exit (the kernel would panic):
# every way out goes through power_off, which uses sysrq so that no binary
# is needed and nothing in the guest can delay it.

RUN=${1:?usage: guest.sh RUNDIR}
OUT=$RUN/out

power_off() {
	trap - EXIT
	# Wait on a FIFO with the read builtin, not sleep(1): once the power-off
	# starts, virtio (and with it the 9p root holding every binary) goes away.
	mkfifo /tmp/.rig-poweroff 2>/dev/null && exec 9<>/tmp/.rig-poweroff
	echo o >/proc/sysrq-trigger
	while :; do
		read -r -t 60 -u 9 _ 2>/dev/null || sleep 1 2>/dev/null
	done
}
trap power_off EXIT

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8
# The 9p root is read-only: give programs a writable HOME.
export HOME=/tmp/home
mkdir -p "$HOME"

say() { echo "rig-guest: $*" >/dev/console; }
uptime_s() { local u _; read -r u _ </proc/uptime; echo "$u"; }

# shellcheck source=/dev/null
source "$RUN/guest.conf" || { say "cannot read $RUN/guest.conf"; power_off; }

uptime_s >"$OUT/guest-start"
echo vmshield-rig >/proc/sys/kernel/hostname

# --- CPU-feature drivers ---------------------------------------------------

# On a real host udev loads the drivers that match the CPU's modalias
# (aesni_intel, ghash_clmulni_intel, ...) at boot. The rig has no udev, so do
# the same here: otherwise the kernel would build gcm(aes) from generic C and
# benchmarks would measure a path no real host takes.
load_cpu_drivers() {
	# only the ones vmshield.ko's primitives use, when the CPU has the
	# feature (the full modalias would also pull in kvm and friends)
	grep -qw aes /proc/cpuinfo && modprobe -q aesni_intel 2>/dev/null
	grep -qw pclmulqdq /proc/cpuinfo && modprobe -q ghash_clmulni_intel 2>/dev/null
	return 0
}
load_cpu_drivers

# --- the module under test -------------------------------------------------

# Load the module's dependencies from the shared /lib/modules with modprobe,
# then insmod the freshly built .ko itself (it is not installed anywhere).
load_module() {
	local ko=$1 deps d err

	if ! deps=$(modinfo -F depends "$ko" 2>&1); then
		printf 'modinfo %s failed: %s\n' "$ko" "$deps" >"$OUT/module.err"
		return 1
	fi
	for d in ${deps//,/ }; do
		if ! err=$(modprobe "$d" 2>&1); then
			printf 'modprobe %s (dependency) failed: %s\n' "$d" "$err" >"$OUT/module.err"
			return 1
		fi
	done
	if ! err=$(insmod "$ko" 2>&1); then
		printf 'insmod %s failed: %s\n' "$ko" "$err" >"$OUT/module.err"
		return 1
	fi
	return 0
}

if [[ -n $RIG_MODULE ]]; then
	if load_module "$RIG_MODULE"; then
		echo ok >"$OUT/module.status"
		say "module $RIG_MODULE loaded"
	else
		{
			echo "--- dmesg tail ---"
			dmesg | tail -n 20
		} >>"$OUT/module.err"
		echo fail >"$OUT/module.status"
		say "module load FAILED: $(head -n 1 "$OUT/module.err")"
	fi
fi

# Lockdown can only be raised at runtime after the unsigned module is in
# (lockdown= on the command line would make the kernel reject it).
if [[ -n $RIG_LOCKDOWN ]]; then
	if err=$(echo "$RIG_LOCKDOWN" 2>&1 >/sys/kernel/security/lockdown); then
		echo ok >"$OUT/lockdown.status"
	else
		echo "fail: $err" >"$OUT/lockdown.status"
	fi
fi

# --- environment for tests and shells --------------------------------------

export VMSHIELD_RIG=1
export VMSHIELD_RIG_OUT=$OUT
export VMSHIELD_MODULE=$RIG_MODULE
for kv in "${RIG_ENV[@]}"; do
	export "${kv?}"
done

# --- interactive shell -----------------------------------------------------

if [[ $RIG_MODE == shell ]]; then
	export TERM=${RIG_TERM:-linux}
	stty -F /dev/ttyS0 rows "${RIG_ROWS:-24}" cols "${RIG_COLS:-80}" 2>/dev/null
	cat >/dev/ttyS0 <<-EOF

	=== vmshield guarded host (kernel $(uname -r)) ===
	  module:  ${RIG_MODULE:-<none>} ($(cat "$OUT/module.status" 2>/dev/null || echo "not loaded"))
	  root:    outer filesystem, read-only 9p; /tmp and /run are tmpfs
	  results: $OUT (writable, visible outside)
	  network: 10.0.2.15, outer machine's 127.0.0.1 is 10.0.2.2
	  leave:   exit (or Ctrl-A x to kill QEMU)

	EOF
	cd /tmp || exit 1
	# A real controlling tty gives job control and Ctrl-C to the shell.
	setsid --ctty --wait /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	power_off
fi

# --- tests -----------------------------------------------------------------

uptime_s >"$OUT/tests-started"
say "tests start at uptime $(<"$OUT/tests-started") s"

for i in "${!RIG_TESTS[@]}"; do
	t=${RIG_TESTS[$i]}
	name=${RIG_TEST_NAMES[$i]}

	if [[ -n $RIG_MODULE && $(<"$OUT/module.status") != ok ]]; then
		break   # the outer side reports every test as failed with the reason
	fi

	say "test $name: start"
	uptime_s >"$OUT/$name.started"
	t0=$(uptime_s)
	# kselftest's runner runs each test from its own directory.  timeout(1)
	# signals the whole process group, and SIGKILLs 5 s later if needed.
	(cd "$(dirname "$t")" &&
		exec timeout --kill-after=5 "$RIG_TEST_TIMEOUT" "$t") \
		</dev/null >"$OUT/$name.tap" 2>"$OUT/$name.err"
	rc=$?
	t1=$(uptime_s)
	echo "$rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >"$OUT/$name.rc"
	say "test $name: exit $rc"
done

dmesg >"$OUT/dmesg.txt" 2>&1
[[ -r /sys/kernel/security/ima/ascii_runtime_measurements ]] &&
	wc -l </sys/kernel/security/ima/ascii_runtime_measurements >"$OUT/ima-count"
uptime_s >"$OUT/done"
say "done"
power_off
