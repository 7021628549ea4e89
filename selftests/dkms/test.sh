#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS packaging test (TAP 13): the tree's module sources, as DKMS would get
# them from a package, are added, built and installed for every supported
# kernel (Debian 12's 6.1 and 6.12, whichever is running) and removed again.
#
#   selftests/dkms/test.sh            KVER="<version> ..." to pick kernels
#
# The kernels are those scripts/kernels.sh --headers all names (main, then
# alt). It copies Kbuild, dkms.conf, kmod/, core/ and include/ (git-tracked
# and untracked-but-not-ignored files when in a git checkout) to
# /usr/src/<name>-<version>, runs `dkms add`, then for each kernel `dkms
# build -k KVER` and `dkms install -k KVER`, checks the module with modinfo
# and that modprobe would find the installed one, then `dkms remove --all`
# and deletes the source dir -- on every exit path -- and checks that
# nothing is left in /var/lib/dkms, /usr/src or any kernel's module tree.
# Signing keys, which dkms would otherwise create as
# /var/lib/dkms/mok.{key,pub}, go to a temporary directory.
#
# Exit: 0 pass, 1 fail, 4 skip (not root, no dkms, no headers, or this
# name/version is already registered with DKMS: a real install is never
# touched).

set -u -o pipefail
# Checks are strings eval'd later, so single quotes are intended.
# shellcheck disable=SC2016

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
# What the module build needs (see Kbuild); overridable for other layouts.
read -r -a SRC_PATHS <<<"${DKMS_SRC_PATHS:-Kbuild dkms.conf kmod core include}"

N=0
FAILS=0
ok() { N=$((N + 1)); echo "ok $N $*"; }
not_ok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N $*"; }
check() { # DESCRIPTION COMMAND...
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}
comment_file() { [[ -s $1 ]] && tail -n "${2:-30}" "$1" | sed 's/^/#   /'; }

# --- preconditions ---------------------------------------------------------------

[[ $(id -u) == 0 ]] || skip_all "needs root (dkms writes /usr/src and /var/lib/dkms)"
command -v dkms >/dev/null || skip_all "dkms not installed"
command -v modinfo >/dev/null || skip_all "modinfo (kmod) not installed"
[[ -r $REPO/dkms.conf ]] || skip_all "no dkms.conf in $REPO"

# dkms_status ARGS...: what `dkms status ARGS` prints. Read whole, never
# piped into grep -q: with pipefail, a grep that stops reading early makes
# dkms die of SIGPIPE and the test take "registered" for "not registered".
dkms_status() { dkms status "$@" 2>/dev/null || true; }

conf_value() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*$/\1/p" "$REPO/dkms.conf" | head -n 1; }
NAME=$(conf_value PACKAGE_NAME)
VER=$(conf_value PACKAGE_VERSION)
MODNAME=$(conf_value 'BUILT_MODULE_NAME\[0\]')
MODNAME=${MODNAME:-$NAME}
[[ -n $NAME && -n $VER ]] || skip_all "dkms.conf lacks PACKAGE_NAME or PACKAGE_VERSION"

# The target kernels: KVER (a list), else every supported kernel with
# headers (which need not be -- and in CI is not -- the running kernel).
read -r -a KVERS <<<"${KVER:-$("$REPO/scripts/kernels.sh" --headers all | tr '\n' ' ')}"
((${#KVERS[@]} > 0)) || skip_all "no supported kernel's headers installed (run 'make deps')"
for k in "${KVERS[@]}"; do
	[[ -e /lib/modules/$k/build/Makefile ]] || skip_all "no kernel headers under /lib/modules/$k/build"
done

SRC=/usr/src/$NAME-$VER
TREE=/var/lib/dkms/$NAME
if [[ -e $SRC || -e $TREE/$VER ]] || [[ -n $(dkms_status -m "$NAME" -v "$VER") ]]; then
	skip_all "$NAME/$VER is already present in DKMS or $SRC; not touching a real install"
fi
TREE_EXISTED=0
[[ -e $TREE ]] && TREE_EXISTED=1
MOK_EXISTED=0
[[ -e /var/lib/dkms/mok.key ]] && MOK_EXISTED=1

WORK=$(mktemp -d /tmp/dkms-test.XXXXXX)
# dkms generates a MOK signing key pair when none is configured; keep that
# out of /var/lib/dkms (the variables are read from the environment too).
export mok_signing_key=$WORK/mok.key mok_certificate=$WORK/mok.pub

# --- clean-up, on every exit path ---------------------------------------------------

CLEANED=0
cleanup() {
	[[ $CLEANED == 1 ]] && return
	CLEANED=1
	if [[ -n $(dkms_status -m "$NAME" -v "$VER") ]]; then
		dkms remove "$NAME/$VER" --all >"$WORK/remove.log" 2>&1 ||
			{ echo "# dkms remove failed:"; comment_file "$WORK/remove.log"; }
	fi
	rm -rf "$SRC"
	# dkms leaves the empty per-module dir behind; it was not there before.
	[[ $TREE_EXISTED == 0 && -d $TREE ]] && rmdir "$TREE" 2>/dev/null
	rm -rf "$WORK"
}
on_exit() {
	local rc=$?
	cleanup
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "TAP version 13"
echo "1..$((3 + 10 * ${#KVERS[@]}))"
echo "# $NAME/$VER for kernels ${KVERS[*]} (running: $(uname -r)); sources from $REPO"

# --- copy the sources as a package would ship them --------------------------------

copy_sources() {
	mkdir -p "$SRC" || return 1
	if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files plus new files not yet committed, never build output.
		(cd "$REPO" && git ls-files -z --cached --others --exclude-standard -- "${SRC_PATHS[@]}" |
			xargs -0 -r cp --parents -t "$SRC") || return 1
	else
		(cd "$REPO" && cp -r --parents -t "$SRC" "${SRC_PATHS[@]}") || return 1
	fi
	[[ -s $SRC/dkms.conf ]]
}
check "copy ${SRC_PATHS[*]} to $SRC" copy_sources
echo "# $(find "$SRC" -type f | wc -l) files copied"

# --- add, build --------------------------------------------------------------------

if dkms add -m "$NAME" -v "$VER" >"$WORK/add.log" 2>&1; then
	ok "dkms add $NAME/$VER"
else
	not_ok "dkms add $NAME/$VER"
	comment_file "$WORK/add.log"
fi

# Debian's dkms puts modules in /updates/dkms whatever DEST_MODULE_LOCATION says.
installed_ko() { echo "/lib/modules/$1/updates/dkms/$MODNAME.ko"; }

for KVER in "${KVERS[@]}"; do
	t0=$SECONDS
	if dkms build -m "$NAME" -v "$VER" -k "$KVER" >"$WORK/build.log" 2>&1; then
		ok "dkms build -k $KVER ($((SECONDS - t0)) s)"
	else
		not_ok "dkms build -k $KVER"
		comment_file "$WORK/build.log" 15
		echo "# make.log:"
		comment_file "$TREE/$VER/build/make.log" 40
	fi

	check "dkms status says built for $KVER" \
		eval '[[ $(dkms_status -m "$NAME" -v "$VER" -k "$KVER") =~ (built|installed) ]]'

	# DKMS cleans its fresh copy of the sources before each build, and
	# ignores a failure: the Kbuild's config checks once failed there (no
	# config is read when cleaning). The same step, on a copy of our own
	# (DKMS removes its build tree after a build).
	check "make clean on a copy of the sources, as DKMS runs it, for $KVER" \
		eval 'rm -rf "$WORK/clean" && cp -r "$SRC" "$WORK/clean" &&
			make -s -C "/lib/modules/$KVER/build" M="$WORK/clean" clean \
			>"$WORK/clean.log" 2>&1 || { comment_file "$WORK/clean.log" 5; false; }'

	KO=$(find "$TREE/$VER/$KVER" -name "$MODNAME.ko*" -type f 2>/dev/null | head -n 1)
	check "built module exists (${KO:-none})" test -n "$KO"

	# modinfo reads .ko and compressed .ko.xz/.ko.zst alike.
	modf() { modinfo -F "$1" "$KO" 2>/dev/null; }
	check "modinfo name: $MODNAME" eval '[[ -n $KO && $(modf name) == "$MODNAME" ]]'
	check "modinfo vermagic is for $KVER" eval '[[ -n $KO && $(modf vermagic) == "$KVER "* ]]'
	check "modinfo version: $VER (same as dkms.conf)" eval '[[ -n $KO && $(modf version) == "$VER" ]]'
	[[ -n $KO ]] && echo "# license: $(modf license); signer: $(modf signer)"

	# --- install into the kernel's tree, as a host admin would ---------------------
	INSTALLED=$(installed_ko "$KVER")
	if dkms install -m "$NAME" -v "$VER" -k "$KVER" >"$WORK/install.log" 2>&1; then
		ok "dkms install -k $KVER"
	else
		not_ok "dkms install -k $KVER"
		comment_file "$WORK/install.log" 15
	fi
	check "modprobe would load the installed module ($INSTALLED)" \
		eval '[[ $(modinfo -k "$KVER" -F filename "$MODNAME" 2>/dev/null) == "$INSTALLED"* ]]'
done

# --- remove, and check nothing is left -------------------------------------------------

cleanup
for KVER in "${KVERS[@]}"; do
	INSTALLED=$(installed_ko "$KVER")
	check "uninstalled: no $MODNAME module left for $KVER" \
		eval '! modinfo -k "$KVER" "$MODNAME" >/dev/null 2>&1 && ! ls "$INSTALLED"* >/dev/null 2>&1'
done
no_trace() {
	[[ -z $(dkms_status -m "$NAME") ]] &&
		[[ ! -e $SRC && ! -e $TREE/$VER ]] &&
		[[ $TREE_EXISTED == 1 || ! -e $TREE ]] &&
		[[ $MOK_EXISTED == 1 || ! -e /var/lib/dkms/mok.key ]]
}
check "dkms remove --all leaves no trace (dkms status, $TREE, $SRC, mok key)" no_trace

echo "# $((N - FAILS)) of $N passed"
[[ $FAILS == 0 ]]
