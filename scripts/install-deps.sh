#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, with apt-get, every Debian 12 package vmshield builds, tests or
# demos with. Idempotent: when everything is present it only checks (about
# a second) and changes nothing.
set -euo pipefail

# Two kernels, image and headers, by their meta packages (newest point
# release): Debian 12's own 6.1, the main target, and 6.12 from
# bookworm-security, the second one (scripts/kernels.sh tells them apart;
# the newest installed kernel is never taken to mean "the" kernel). The
# packaging tools (debhelper, dh-dkms, lintian, devscripts' hardening-check,
# scdoc for the man pages) are for make deb, make install and check-pkg. On a
# machine that boots with GRUB, installing 6.12 makes it the default at
# the next reboot; the rig boots whichever it is told to, whatever runs.
PACKAGES=(
	build-essential pkg-config git kmod cpio xz-utils python3
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	dkms sparse dwarves
	qemu-system-x86 qemu-utils seabios ipxe-qemu busybox-static
	swtpm swtpm-tools swtpm-dev libtpms-dev tpm2-tools libtss2-dev ima-evm-utils attr
	libssl-dev openssl libkeyutils-dev keyutils
	libcmocka-dev libmicrohttpd-dev libjansson-dev
	libcurl4-openssl-dev libsqlite3-dev sqlite3 libseccomp-dev
	valgrind python3-cryptography curl procps xxd gdb jq util-linux systemd
	clang-14 libclang-rt-14-dev
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	debhelper dh-dkms dpkg-dev fakeroot devscripts lintian scdoc
	postgresql-15 libpq-dev
	python3-yaml python3-prometheus-client
)
# postgresql-15 and libpq-dev: hgsd's PostgreSQL store (issue 18). The
# tests start their own PostgreSQL (userspace/tests/pg_fixture.c) and never
# use a system cluster, so none is made: postgresql-common reads
# create_main_cluster from createcluster.conf when the package installs.
# libvirt without libvirt-daemon-system: no system-wide libvirtd, no users,
# no networks; the fabric's libvirt test (selftests/fabric/tests/
# 05e-libvirt.sh) starts its own libvirtd inside the guarded host, in a
# private mount namespace on tmpfs.

missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$st" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'sudo make deps' (needs root for apt-get)" >&2
	exit 1
fi

echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
	mkdir -p /etc/postgresql-common
	conf=/etc/postgresql-common/createcluster.conf
	if ! grep -qs '^create_main_cluster *= *false' "$conf"; then
		echo "deps: $conf: create_main_cluster = false (no system-wide PostgreSQL)"
		echo "create_main_cluster = false" >> "$conf"
	fi
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
