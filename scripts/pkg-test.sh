#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pkg-test.sh - the Debian packages end to end on this machine, as TAP
# (suite pkg of `make check-pkg`; needs root, apt-get and dkms):
#   1. `make deb` builds every package (PKG_NO_BUILD=1: take build/deb/ as
#      it is); lintian reports no error and no warning (what debian/
#      *.lintian-overrides keep is justified there);
#   2. `apt-get install ./build/deb/*.deb` (not the -dbgsym ones);
#   3. DKMS: the module is added, `dkms install` builds it for the main
#      6.1 kernel (scripts/kernels.sh), `dkms status` says installed,
#      modinfo gives the package's version; the MOK pair DKMS signs with
#      is kept out of /var/lib/dkms (mok_signing_key, as selftests/dkms);
#   4. the installed programs: --version, the units verify (with their
#      man pages) and systemd-analyze security prints their exposure; the
#      hgsd user, /var/lib/hgsd (0700) and the agent's conffile exist; a
#      missing config fails the agent with status 2; a program built with
#      `pkg-config --cflags --libs libvmshield` against the installed
#      library runs;
#   5. the guarded-host rig boots the main kernel with the module DKMS
#      installed and runs the installed vmshield-selftests (default,
#      non-destructive mode) inside (PKG_NO_RIG=1 leaves it out);
#   6. `apt-get purge` of every package: nothing is left: no package, no
#      file of any package, no hgsd user, no /var/lib/hgsd, no DKMS tree,
#      no module in any kernel's tree, no /etc/vmshield.
# Refuses to run (skip, exit 4) when vmshield is already installed or
# present in DKMS: it never touches a real install. Exit 1 on a failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEB=$REPO/build/deb
PKGS=(vmshield-dkms hgsd hgs-agent vmshield-worker shieldctl libvmshield0
      libvmshield-dev vmshield-selftests vmshield-enclaved)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	printf '%s\n' "$@" | sed 's/^/# /'
}
skip_all() { printf 'TAP version 13\n1..0 # SKIP %s\n' "$*"; exit 4; }
tail_of() { tail -n "${2:-25}" "$1" | sed 's/^/  /'; }
# check NAME CMD...: ok when CMD exits 0; its output's end otherwise
check() {
	local name=$1
	shift
	if "$@" >"$W/check.out" 2>&1; then ok "$name"; else nok "$name" "$(tail_of "$W/check.out")"; fi
}

[[ $(id -u) == 0 ]] || skip_all "needs root (apt-get, dkms)"
command -v apt-get >/dev/null && command -v dkms >/dev/null || skip_all "apt-get or dkms missing"
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null | grep -v '^un' | grep -v '^n')
if [[ -n $installed || -e /usr/src/vmshield-$VER || -e /var/lib/dkms/vmshield ]]; then
	skip_all "vmshield is already installed or in DKMS (${installed:-/usr/src or /var/lib/dkms}); not touching a real install"
fi
KVER=$("$REPO/scripts/kernels.sh" --headers main)
[[ -n $KVER ]] || skip_all "no Debian 12 6.1 kernel headers: run 'make deps'"

W=$(mktemp -d /tmp/vms-pkg.XXXXXX)
MOK_EXISTED=0
[[ -e /var/lib/dkms/mok.key ]] && MOK_EXISTED=1
export mok_signing_key=$W/mok.key mok_certificate=$W/mok.pub
HGSD_USER_EXISTED=0
getent passwd hgsd >/dev/null && HGSD_USER_EXISTED=1
RUN_EXISTED=0
[[ -e /run/vmshield ]] && RUN_EXISTED=1

purge() { apt-get purge -y -q "${PKGS[@]}" >"$W/purge.log" 2>&1; }
cleanup() {
	local rc=$?
	# never leave the packages behind, whatever failed
	if dpkg-query -W -f='${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null | grep -q '^[ih]'; then
		purge || true
	fi
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "TAP version 13"
echo "# packages ${PKGS[*]} $VER; DKMS for $KVER (running $(uname -r))"

# --- 1. build and lint -------------------------------------------------------------
if [[ ${PKG_NO_BUILD:-0} != 1 ]]; then
	t0=$(date +%s)
	if make -s -C "$REPO" deb >"$W/deb.log" 2>&1; then
		ok "make deb ($(($(date +%s) - t0)) s)"
	else
		nok "make deb" "$(tail_of "$W/deb.log" 40)"
	fi
fi
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$DEB/${p}_${VER}_"*.deb 2>/dev/null | head -n 1)
	[[ -n $f ]] && debs+=("$f")
done
if ((${#debs[@]} == ${#PKGS[@]})); then
	ok "build/deb/ holds the ${#PKGS[@]} packages"
else
	nok "build/deb/ holds the ${#PKGS[@]} packages" "found: ${debs[*]##*/}"
	echo "1..$n"
	exit 1
fi
lintian -I --fail-on error,warning "$DEB"/vmshield_"$VER"_*.changes >"$W/lintian.log" 2>&1
lrc=$?
tags=$(grep -cE '^[EW]: ' "$W/lintian.log")
if ((lrc == 0 && tags == 0)); then
	ok "lintian: no error, no warning ($(grep -c '^I: ' "$W/lintian.log") info tags)"
else
	nok "lintian: no error, no warning" "$(grep -E '^[EW]: ' "$W/lintian.log")" "exit $lrc"
fi

# --- 2. install ------------------------------------------------------------------------
t0=$(date +%s)
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" \
	>"$W/install.log" 2>&1; then
	ok "apt-get install of the ${#debs[@]} packages ($(($(date +%s) - t0)) s)"
else
	nok "apt-get install of the packages" "$(tail_of "$W/install.log" 40)"
	echo "1..$n"
	exit 1
fi
bad=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" | awk '$2 != "ii" { print }')
[[ -z $bad ]] && ok "every package is installed (ii)" || nok "every package is installed (ii)" "$bad"

# --- 3. DKMS ----------------------------------------------------------------------------
st=$(dkms status vmshield 2>&1)
[[ $st == *"vmshield/$VER"* ]] && ok "the package added vmshield/$VER to DKMS" ||
	nok "the package added vmshield/$VER to DKMS" "$st"
t0=$(date +%s)
check "dkms install vmshield/$VER -k $KVER" dkms install "vmshield/$VER" -k "$KVER"
st=$(dkms status vmshield -k "$KVER" 2>&1)
[[ $st == *"vmshield/$VER, $KVER, "*": installed"* ]] && ok "dkms status: $st ($(($(date +%s) - t0)) s)" ||
	nok "dkms status says installed for $KVER" "$st"
ko=$(find "/lib/modules/$KVER" -name 'vmshield.ko*' 2>/dev/null | head -n 1)
mv_=$(modinfo -k "$KVER" -F version vmshield 2>&1)
[[ -n $ko && $mv_ == "$VER" ]] && ok "modinfo -k $KVER: version $mv_ at ${ko#/lib/modules/$KVER/}" ||
	nok "modinfo -k $KVER: version $VER" "$mv_ ${ko:-no module file}"
[[ ! -e /var/lib/dkms/mok.key || $MOK_EXISTED == 1 ]] && ok "DKMS signed with the test's MOK pair, none left in /var/lib/dkms" ||
	nok "DKMS signed with the test's MOK pair, none left in /var/lib/dkms"

# --- 4. the installed programs ----------------------------------------------------------
bad=""
for p in /usr/bin/shieldctl /usr/sbin/hgsd /usr/sbin/hgs-agent /usr/sbin/vmshield-worker \
	/usr/sbin/vmshield-selftests /usr/sbin/vmshield-enclaved; do
	out=$("$p" --version 2>&1)
	[[ $out == "$(basename "$p") $VER" ]] || bad+="$p: '$out' "
done
[[ -z $bad ]] && ok "the installed programs print their version" || nok "the installed programs print their version" "$bad"
for u in hgsd hgs-agent; do
	out=$(systemd-analyze verify "/lib/systemd/system/$u.service" 2>&1)
	[[ -z $out ]] && ok "systemd-analyze verify of the installed $u.service (man page found)" ||
		nok "systemd-analyze verify of the installed $u.service" "$out"
	lvl=$(systemd-analyze security --offline=yes --no-pager "/lib/systemd/system/$u.service" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	awk -v l="${lvl:-99}" 'BEGIN { exit !(l <= 2.0) }' && ok "installed $u.service: exposure $lvl" ||
		nok "installed $u.service: exposure ${lvl:-unknown} (at most 2.0)"
done
st=$(stat -c '%U %a' /var/lib/hgsd 2>&1)
getent passwd hgsd >/dev/null && [[ $st == "hgsd 700" ]] && ok "sysusers made hgsd, tmpfiles /var/lib/hgsd ($st)" ||
	nok "sysusers made hgsd, tmpfiles /var/lib/hgsd" "$st"
dpkg-query -W -f='${Conffiles}\n' hgs-agent | grep -q '/etc/vmshield/hgs-agent.conf' &&
	dpkg-query -W -f='${Conffiles}\n' vmshield-worker | grep -q '/etc/libvirt/hooks/qemu.d/vmshield' &&
	ok "conffiles: /etc/vmshield/hgs-agent.conf, /etc/libvirt/hooks/qemu.d/vmshield" ||
	nok "conffiles: /etc/vmshield/hgs-agent.conf, /etc/libvirt/hooks/qemu.d/vmshield"
/usr/sbin/hgs-agent -c /etc/vmshield/absent.conf --check-config >"$W/agent.out" 2>&1
rc=$?
((rc == 2)) && grep -q absent.conf "$W/agent.out" && ok "a missing config fails hgs-agent loudly (exit 2, names the file)" ||
	nok "a missing config fails hgs-agent loudly (exit 2, names the file)" "exit $rc: $(cat "$W/agent.out")"
cat >"$W/prog.c" <<'C'
#include <stdio.h>
#include <vmshield.h>

int main(void)
{
	int fd = vms_dev_open();

	printf("%s\n", fd < 0 ? vms_dev_strerror(fd) : "opened");
	if (fd >= 0)
		vms_dev_close(fd);
	return 0;
}
C
# shellcheck disable=SC2046 # the documented link line
if cc -o "$W/prog" "$W/prog.c" $(pkg-config --cflags --libs libvmshield) >"$W/cc.log" 2>&1 &&
	out=$("$W/prog" 2>&1) && ldd "$W/prog" | grep -Eq 'libvmshield.so.0 => /(usr/)?lib/'; then
	ok "cc prog.c \$(pkg-config --cflags --libs libvmshield) links the installed library: $out"
else
	nok "cc prog.c \$(pkg-config --cflags --libs libvmshield) links the installed library" "$(cat "$W/cc.log")"
fi

# --- 5. the rig, with the installed module and selftests --------------------------------
if [[ ${PKG_NO_RIG:-0} == 1 ]]; then
	echo "# the rig boot left out (PKG_NO_RIG=1)"
elif ! "$REPO/scripts/kernels.sh" --boot main >/dev/null 2>&1; then
	nok "the rig boots $KVER" "kernel $KVER is not bootable here"
else
	t0=$(date +%s)
	"$REPO/selftests/vm/run" --kernel "$KVER" --module "$ko" --timeout 900 \
		--env VMS_STRESS_SECONDS=5 /usr/sbin/vmshield-selftests >"$W/rig.tap" 2>&1
	rc=$?
	# the runner's own lines (one per test, its totals), not each test's
	runner='Totals: pass:[0-9]* fail:[0-9]* skip:[0-9]*'
	grep -E "^#   (not )?ok [0-9]+ |$runner" "$W/rig.tap" | sed 's/^/# rig: /'
	totals=$(grep -o "$runner" "$W/rig.tap" | tail -n 1)
	if ((rc == 0)) && [[ $totals =~ ^Totals:\ pass:[1-9][0-9]*\ fail:0\  ]] &&
		grep -q 'SKIP destructive: raises kernel lockdown' "$W/rig.tap"; then
		ok "the rig ran the installed vmshield-selftests on the DKMS module: the runner's $totals ($(($(date +%s) - t0)) s)"
	else
		nok "the rig ran the installed vmshield-selftests on the DKMS module (exit $rc)" "$(tail_of "$W/rig.tap" 40)"
	fi
fi

# --- 6. purge -----------------------------------------------------------------------------
files=$(for d in "${debs[@]}"; do dpkg-deb -c "$d"; done | awk '{ print $6 }' | sed 's#^\./#/#' |
	grep -v '/$' | sed 's/ -> .*//')
t0=$(date +%s)
if purge; then ok "apt-get purge of every package ($(($(date +%s) - t0)) s)"; else nok "apt-get purge" "$(tail_of "$W/purge.log")"; fi
left=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null | awk '$2 !~ /^(un|pn)/')
[[ -z $left ]] && ok "no package left (not even config-files)" || nok "no package left" "$left"
lf=""
for f in $files; do [[ -e $f || -L $f ]] && lf+="$f "; done
[[ -z $lf ]] && ok "none of the packages' $(wc -w <<<"$files") files is left" || nok "none of the packages' files is left" "$lf"
lf=""
for p in /usr/src/vmshield-"$VER" /var/lib/dkms/vmshield /var/lib/hgsd /etc/vmshield /var/lib/hgs-agent \
	/usr/libexec/vmshield /usr/include/vmshield; do
	[[ -e $p ]] && lf+="$p "
done
[[ $RUN_EXISTED == 0 && -e /run/vmshield ]] && lf+="/run/vmshield "
lf+=$(find /lib/modules -name 'vmshield.ko*' 2>/dev/null | tr '\n' ' ')
[[ -z ${lf// /} ]] && ok "no DKMS tree, module, state or config directory is left" || nok "no DKMS tree, module, state or config directory is left" "$lf"
if [[ $HGSD_USER_EXISTED == 0 ]]; then
	if getent passwd hgsd >/dev/null || getent group hgsd >/dev/null; then
		nok "the hgsd user and group are gone" "$(getent passwd hgsd) $(getent group hgsd)"
	else
		ok "the hgsd user and group are gone"
	fi
fi
st=$(dkms status vmshield 2>&1)
[[ -z $st ]] && ok "dkms status knows no vmshield" || nok "dkms status knows no vmshield" "$st"
echo "1..$n"
exit $failed
