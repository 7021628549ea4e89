#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# install-test.sh - `make install` into a scratch DESTDIR, checked as TAP:
#   * exactly the files of scripts/install-manifest.txt are installed
#     (a missing one and an unexpected one are both failures), with the
#     modes a package needs (programs 0755, the rest 0644);
#   * every installed ELF file is hardened: full RELRO (GNU_RELRO and
#     BIND_NOW), PIE or a shared object, no executable stack, fortified
#     calls, stack protector, endbr64 at function entry (-fcf-protection);
#     devscripts' hardening-check agrees where it is installed;
#   * a program built with exactly the documented link line,
#     `cc prog.c $(pkg-config --cflags --libs libvmshield)`, against the
#     DESTDIR's libvmshield.pc compiles, links libvmshield.so.0 and runs;
#   * the libvirt hook finds the worker where it was installed;
#   * a second install with every directory set to another place puts
#     everything there (units, hook and pkg-config file following).
# Builds what make install needs first. Exits 1 on any failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
D=$T/dest
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	printf '%s\n' "$@" | sed 's/^/# /'
}
echo "TAP version 13"

if ! make -s -C "$REPO" install DESTDIR="$D" >"$T/install.log" 2>&1; then
	nok "make install DESTDIR=..." "$(tail -n 20 "$T/install.log")"
	echo "1..$n"
	exit 1
fi
ok "make install DESTDIR=..."

# --- the file list --------------------------------------------------------------
(cd "$D" && find . \( -type f -o -type l \) | sed 's#^\.##' | sort) >"$T/got"
grep -v '^#' "$REPO/scripts/install-manifest.txt" | sed '/^$/d' | sort >"$T/want"
missing=$(comm -13 "$T/got" "$T/want")
extra=$(comm -23 "$T/got" "$T/want")
if [[ -z $missing && -z $extra ]]; then
	ok "the installed files are the manifest's ($(wc -l <"$T/want") files)"
else
	nok "the installed files are the manifest's" "missing: ${missing:-none}" "unexpected: ${extra:-none}"
fi

bad=""
while read -r f; do
	[[ -L $D$f ]] && continue
	m=$(stat -c %a "$D$f")
	case $f in
	*/selftests/TESTS | */selftests/DESTRUCTIVE | */selftests/VERSION) want=644 ;;
	*/bin/* | */sbin/* | */hooks/qemu.d/* | */libexec/vmshield/selftests/*) want=755 ;;
	*) want=644 ;;
	esac
	[[ $m == "$want" ]] || bad+="$f mode $m (want $want) "
done <"$T/got"
if [[ -z $bad ]]; then ok "every installed file has a package's mode"; else nok "every installed file has a package's mode" "$bad"; fi

# --- hardening -------------------------------------------------------------------
elfs=()
while read -r f; do
	[[ -L $D$f ]] && continue
	head -c 4 "$D$f" | grep -q $'\x7fELF' && elfs+=("$D$f")
done <"$T/got"
((${#elfs[@]} >= 5)) && ok "${#elfs[@]} ELF files installed" || nok "ELF files installed" "only ${#elfs[@]}"

harden() {
	local f=$1 why=""
	local hdr dyn syms
	hdr=$(readelf -lW "$f") dyn=$(readelf -dW "$f")
	syms=$(readelf -sW --dyn-syms "$f")
	grep -q GNU_RELRO <<<"$hdr" || why+="no GNU_RELRO; "
	grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$dyn" || why+="no BIND_NOW; "
	grep -q 'Type:.*DYN' < <(readelf -hW "$f") || why+="not PIE; "
	grep -E 'GNU_STACK' <<<"$hdr" | grep -q 'RWE' && why+="executable stack; "
	# -fcf-protection: functions begin with endbr64 (the GNU property
	# note is not there: Debian 12's crt objects lack it, and ld ANDs it)
	local fn=main
	[[ $f == *.so* ]] && fn=vms_dev_open
	[[ $f == */preload_lib.so ]] && fn=vms_preload_marker
	objdump -d --disassemble="$fn" "$f" | grep -A1 "<$fn>:" | grep -q endbr64 ||
		why+="$fn does not begin with endbr64 (-fcf-protection); "
	# the selftests' preload_lib.so (locked_test's LD_PRELOAD fixture) is
	# one function returning a constant: no buffer to protect or fortify
	[[ $f == */preload_lib.so ]] && { echo "$why"; return; }
	grep -q '__stack_chk_fail' <<<"$syms" || why+="no stack protector; "
	grep -q '_chk@' <<<"$syms" || why+="no fortified call (_FORTIFY_SOURCE); "
	echo "$why"
}
for f in "${elfs[@]}"; do
	why=$(harden "$f")
	if [[ -z $why ]]; then ok "hardened: ${f#"$D"}"; else nok "hardened: ${f#"$D"}" "$why"; fi
done
if command -v hardening-check >/dev/null; then
	# control flow protection is checked above (endbr64); hardening-check
	# looks for the property note only
	# (preload_lib.so: the fixture above, checked for RELRO and BIND_NOW)
	if out=$(hardening-check --nocfprotection $(printf '%s\n' "${elfs[@]}" | grep -v '/preload_lib\.so$') 2>&1); then
		ok "hardening-check passes every installed ELF file"
	else
		nok "hardening-check passes every installed ELF file" "$(grep -v ': yes' <<<"$out")"
	fi
else
	nok "hardening-check passes every installed ELF file" "hardening-check missing: run 'make deps' (devscripts)"
fi

# --- libvmshield through pkg-config ---------------------------------------------
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <vmshield.h>

int main(void)
{
	int fd = vms_dev_open();

	/* on a host without the module: a message that says what to do */
	printf("open: %s\n", fd < 0 ? vms_dev_strerror(fd) : "ok");
	if (fd >= 0)
		vms_dev_close(fd);
	return strlen(vms_dev_strerror(-2)) ? 0 : 1;
}
C
pcdir=$(dirname "$(find "$D" -name libvmshield.pc | head -n 1)")
link=$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$pcdir pkg-config --cflags --libs libvmshield 2>&1)
if [[ $link == *"-I$D/usr/include/vmshield"* && $link == *-lvmshield* ]]; then
	ok "pkg-config --cflags --libs libvmshield: $link"
else
	nok "pkg-config --cflags --libs libvmshield" "$link"
fi
# shellcheck disable=SC2086 # the link line is words
if cc -Wall -Werror -o "$T/prog" "$T/prog.c" $link >"$T/cc.log" 2>&1; then
	ok "a program builds with the documented link line"
else
	nok "a program builds with the documented link line" "$(cat "$T/cc.log")"
fi
needed=$(readelf -d "$T/prog" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
[[ $needed == *libvmshield.so.0* ]] && ok "it needs libvmshield.so.0 ($needed)" ||
	nok "it needs libvmshield.so.0" "NEEDED: $needed"
if out=$(LD_LIBRARY_PATH=$pcdir/.. "$T/prog" 2>&1); then
	ok "it runs: $out"
else
	nok "it runs" "$out"
fi
so=$(find "$D" -name 'libvmshield.so.0' | head -n 1)
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libvmshield.so.0 ]] && ok "soname libvmshield.so.0" || nok "soname libvmshield.so.0" "$soname"
priv=$(nm -D --defined-only "$so" | awk '{ sub(/@.*/, "", $3); print $3 }' | grep -Ev '^(vms_dev_|vms_agent_|vms_.*_strerror$|vms_(isolation|lockdown_level|placement)_name$|VMSHIELD_[0-9]+$)')
[[ -z $priv ]] && ok "libvmshield.so.0 exports the device API alone" ||
	nok "libvmshield.so.0 exports the device API alone" "also: $priv"
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
[[ $needed == "libc.so.6 libjansson.so.4 libkeyutils.so.1 " ]] &&
	ok "libvmshield.so.0 needs libc, keyutils, jansson only" ||
	nok "libvmshield.so.0 needs libc, keyutils, jansson only" "$needed"

# --- the libvirt hook --------------------------------------------------------------
hook=$D/etc/libvirt/hooks/qemu.d/vmshield
if grep -q '"/usr/sbin/vmshield-worker"' "$hook" 2>/dev/null && python3 -m py_compile "$hook" 2>/dev/null; then
	ok "the libvirt hook is installed and points at /usr/sbin/vmshield-worker"
else
	nok "the libvirt hook is installed and points at /usr/sbin/vmshield-worker"
fi
# --- every directory settable -------------------------------------------------------
D2=$T/dest2
if make -s -C "$REPO" install DESTDIR="$D2" PREFIX=/opt/vms BINDIR=/opt/vms/b SBINDIR=/opt/vms/sb \
	LIBDIR=/opt/vms/l LIBEXECDIR=/opt/vms/x SYSCONFDIR=/opt/etc MANDIR=/opt/vms/m \
	UNITDIR=/opt/units >"$T/install2.log" 2>&1; then
	miss=""
	for f in /opt/vms/b/shieldctl /opt/vms/sb/hgsd /opt/vms/sb/vmshield-worker /opt/vms/sb/vmshield-enclaved \
		/opt/vms/l/libvmshield.so.0 /opt/vms/l/pkgconfig/libvmshield.pc \
		/opt/vms/x/vmshield/selftests/run_kselftest.sh /opt/etc/vmshield/hgs-agent.conf \
		/opt/vms/m/man1/shieldctl.1 /opt/units/hgsd.service /opt/vms/sb/vmshield-selftests; do
		[[ -e $D2$f ]] || miss+="$f "
	done
	grep -q '^ExecStart=/opt/vms/sb/hgsd ' "$D2/opt/units/hgsd.service" || miss+="(unit ExecStart) "
	grep -q '"/opt/vms/sb/vmshield-worker"' "$D2/opt/etc/libvirt/hooks/qemu.d/vmshield" || miss+="(hook worker) "
	grep -q '^libdir=/opt/vms/l$' "$D2/opt/vms/l/pkgconfig/libvmshield.pc" || miss+="(pc libdir) "
	stray=$(cd "$D2" && find . -type f | grep -v '^\./opt/' | head -n 5)
	[[ -z $miss && -z $stray ]] && ok "PREFIX, BINDIR, SBINDIR, LIBDIR, LIBEXECDIR, SYSCONFDIR, MANDIR, UNITDIR are honoured" ||
		nok "PREFIX, BINDIR, SBINDIR, LIBDIR, LIBEXECDIR, SYSCONFDIR, MANDIR, UNITDIR are honoured" \
			"missing: ${miss:-none}" "outside them: ${stray:-none}"
else
	nok "make install with every directory set" "$(tail -n 20 "$T/install2.log")"
fi
echo "1..$n"
exit $failed
