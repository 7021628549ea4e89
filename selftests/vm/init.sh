#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guarded-host rig's initramfs (see selftests/vm/run and
# Documentation/testing.md).  Runs as PID 1 under busybox ash inside the QEMU
# guest.  Its only job is to turn Debian's stock kernel into a "guarded host"
# whose root is the outer machine's filesystem:
#
#   1. mount proc/sys/devtmpfs (Debian has CONFIG_DEVTMPFS_MOUNT unset);
#   2. insmod the virtio/9p/net modules shipped in /modules, in dependency
#      order (the rig computed the order from modules.dep when it built us);
#   3. mount the outer root read-only over 9p (tag "hostroot") and the run's
#      writable results share (tag "rigout") at the same absolute path the
#      outer side uses, so paths mean the same thing on both sides;
#   4. tmpfs on /tmp and /run, /proc /sys /dev bound into the new root,
#      securityfs for lockdown/IMA/TPM event logs, devpts for shells;
#   5. configure 10.0.2.15/24 via 10.0.2.2 (QEMU user networking);
#   6. move the 9p root onto /, chroot there and exec selftests/vm/guest.sh
#      as PID 1 (it powers the guest off when done).
#
# Parameters come from the kernel command line (rig_mode, rig_run, rig_guest).
# Every step logs "rig-init: ..." to the serial console so a failed boot can be
# diagnosed from the serial log the outer side keeps.

PATH=/bin
export PATH

log() { echo "rig-init: $*"; }

# Power off, never return.  PID 1 must not exit (that panics the kernel and
# the outer side would report a panic instead of the real cause).
die() {
	log "FATAL: $*"
	sync
	poweroff -f
	sleep 1000
}

/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

RIG_MODE=test
RIG_RUN=
RIG_GUEST=
RIG_ROOTCACHE=none
RIG_KEEP=
set -f
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rig_mode=*)  RIG_MODE=${arg#rig_mode=} ;;
	rig_run=*)   RIG_RUN=${arg#rig_run=} ;;
	rig_guest=*) RIG_GUEST=${arg#rig_guest=} ;;
	rig_rootcache=*) RIG_ROOTCACHE=${arg#rig_rootcache=} ;;
	rig_keep=*)  RIG_KEEP=${arg#rig_keep=} ;;
	rig_share=*) RIG_SHARE=${arg#rig_share=} ;;
	esac
done

log "start (mode=$RIG_MODE uptime=$(cut -d' ' -f1 /proc/uptime))"

# Modules, in the order the rig wrote them (dependencies first).
while read -r ko; do
	[ -n "$ko" ] || continue
	insmod "/modules/$ko" || log "insmod $ko failed (continuing)"
done < /modules/order

NEWROOT=/newroot
mkdir -p "$NEWROOT"

# The virtio devices are probed synchronously when the drivers register, but
# be tolerant of a slow probe rather than failing the whole run.
P9OPTS=trans=virtio,version=9p2000.L,msize=262144
i=0
until mount -t 9p -o "$P9OPTS,ro,cache=$RIG_ROOTCACHE" hostroot "$NEWROOT" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || die "cannot mount 9p root (tag hostroot)"
	usleep 100000
done
log "9p root mounted"

if [ "$RIG_MODE" = probe ]; then
	# KVM probe: reaching this point proves the CPU, interrupts and virtio
	# work under this accelerator.  The outer side greps for this marker.
	echo "RIG-PROBE-OK"
	sync
	poweroff -f
	sleep 1000
fi

[ -n "$RIG_RUN" ] || die "rig_run= missing from the kernel command line"
[ -d "$NEWROOT$RIG_RUN/out" ] || die "run dir $RIG_RUN/out not visible through 9p"
mount -t 9p -o "$P9OPTS,rw" rigout "$NEWROOT$RIG_RUN/out" ||
	die "cannot mount results share (tag rigout)"
# run --share DIR: a writable outer directory at the same path
if [ -n "$RIG_SHARE" ]; then
	mount -t 9p -o "$P9OPTS,rw,cache=none" rigshare "$NEWROOT$RIG_SHARE" ||
		die "cannot mount shared directory $RIG_SHARE (tag rigshare)"
	log "shared $RIG_SHARE read-write"
fi

# securityfs before binding /sys, so the chroot sees lockdown, IMA and the TPM
# event log at /sys/kernel/security.
mount -t securityfs securityfs /sys/kernel/security || log "securityfs mount failed"

# The repository may live under /tmp or /run on the outer machine (CI clones
# wherever it likes): keep that one tree, with the results share inside it,
# visible through the guest's own tmpfs.
if [ -n "$RIG_KEEP" ]; then
	mkdir -p /keep && mount -o rbind "$NEWROOT$RIG_KEEP" /keep ||
		die "cannot hold $RIG_KEEP"
fi
mount -t tmpfs -o mode=1777 tmpfs "$NEWROOT/tmp" || die "tmpfs /tmp"
mount -t tmpfs -o mode=755 tmpfs "$NEWROOT/run" || die "tmpfs /run"
if [ -n "$RIG_KEEP" ]; then
	mkdir -p "$NEWROOT$RIG_KEEP" && mount --move /keep "$NEWROOT$RIG_KEEP" ||
		die "cannot keep $RIG_KEEP visible"
	log "kept $RIG_KEEP visible over the guest's tmpfs"
fi
mount -o bind /proc "$NEWROOT/proc" || die "bind /proc"
mount -o rbind /sys "$NEWROOT/sys" || die "bind /sys"
mount -o bind /dev "$NEWROOT/dev" || die "bind /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$NEWROOT/dev/pts" || log "devpts failed"
mount -t tmpfs -o mode=1777 tmpfs "$NEWROOT/dev/shm" || log "tmpfs /dev/shm failed"

# Networking: QEMU user networking puts the outer machine's loopback at
# 10.0.2.2.  Only configured if the NIC driver was available.
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up &&
		ip addr add 10.0.2.15/24 dev eth0 &&
		ip route add default via 10.0.2.2 &&
		log "eth0 10.0.2.15/24 gw 10.0.2.2"
else
	log "no eth0: networking not configured"
fi

log "switching root (uptime=$(cut -d' ' -f1 /proc/uptime))"
[ -n "$RIG_GUEST" ] && [ -f "$NEWROOT$RIG_GUEST" ] || die "guest script '$RIG_GUEST' not found"
# What switch_root does: move the 9p root (with everything mounted under it)
# onto / and chroot there, so paths in the guest -- and in IMA's measurement
# list -- are the outer machine's paths (/usr/bin/..., not /newroot/...).
# It must be PID 1 that chroots: PID 1 shares its fs_struct with the kernel
# threads, so the kernel's own request_module() (the crypto API loading
# gcm(aes) and friends on demand) then finds /sbin/modprobe and the shared
# /lib/modules.  guest.sh becomes PID 1 and powers the guest off when done.
cd "$NEWROOT" || die "cd $NEWROOT"
mount --move . / || die "cannot move the 9p root onto /"
exec chroot . /bin/bash "$RIG_GUEST" "$RIG_RUN"
die "cannot exec /bin/bash $RIG_GUEST in the 9p root"
