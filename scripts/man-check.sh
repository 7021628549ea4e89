#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# man-check.sh - every program and every subcommand answers --help, every
# program --version, and the man pages (man/*.scd) say what the --help
# texts say; as TAP. Walks the built programs' help:
#   * shieldctl, hgsd, hgs-agent, vmshield-worker, vmshield-enclaved, the
#     selftest runner:
#     --help and --version exit 0 on stdout ("NAME VERSION", dkms.conf's);
#   * vmshield-migrate (the worker's migration driver, a Python script):
#     --help exits 0 with its usage; it has no --version;
#   * each shieldctl family (from shieldctl --help) and each of its
#     subcommands (the indented words of the family's help), each worker
#     command: COMMAND --help exits 0 with a Usage line;
#   * every --option and every subcommand word a help shows appears in
#     the page of its program or family, and every page has a program;
#   * every page renders with no man/groff warning;
#   * the bash completion offers the families, subcommands and options.
# Exit 1 on a failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
B=$REPO/build
S=$B/bin/shieldctl
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-man.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	printf '%s\n' "$@" | sed 's/^/# /'
}
echo "TAP version 13"
if ! make -s -C "$REPO" man >"$T/make.log" 2>&1; then
	nok "make man" "$(cat "$T/make.log")"
	echo "1..$n"
	exit 1
fi

# words HELPFILE: the subcommand words of a help text (two-space indented
# lines that start with a word; "grant|revoke" gives both)
words() { sed -n 's/^  \([a-z][a-z0-9|-]*\)\( .*\)\{0,1\}$/\1/p' "$1" | tr '|' '\n' | sort -u; }
opts() { grep -o -- '--[a-z][a-z0-9-]*' "$1" | sort -u; }
# in_page PAGE WORD...: the words the page's source lacks
in_page() {
	local page=$REPO/man/$1.scd w miss=""
	shift
	for w in "$@"; do
		grep -qF -- "$w" "$page" || miss+="$w "
	done
	echo "$miss"
}
# help_ok NAME CMD...: CMD --help exits 0 with a usage on stdout into $T/help
help_ok() {
	local name=$1
	shift
	if "$@" --help >"$T/help" 2>"$T/err" && grep -q '^Usage:' "$T/help"; then
		return 0
	fi
	nok "$name --help exits 0 with its usage" "$(cat "$T/err")"
	return 1
}
# page_covers PAGE HELPFILE NAME: every option and word of the help in PAGE
page_covers() {
	local miss
	if [[ ! -f $REPO/man/$1.scd ]]; then
		nok "$3: man page $1" "no man/$1.scd"
		return
	fi
	# shellcheck disable=SC2046 # words
	miss=$(in_page "$1" $(opts "$2") $(words "$2"))
	if [[ -z $miss ]]; then ok "$3: --help and man page $1 agree"; else nok "$3: man page $1 lacks $miss"; fi
}

# --- the programs -------------------------------------------------------------------
declare -A page=([shieldctl]=shieldctl.1 [hgsd]=hgsd.8 [hgs-agent]=hgs-agent.8
	[vmshield-worker]=vmshield-worker.8 [vmshield-enclaved]=vmshield-enclaved.8)
for p in shieldctl hgsd hgs-agent vmshield-worker vmshield-enclaved; do
	out=$("$B/bin/$p" --version 2>&1)
	[[ $out == "$p $VER" ]] && ok "$p --version: $out" || nok "$p --version says '$p $VER'" "$out"
	help_ok "$p" "$B/bin/$p" && page_covers "${page[$p]}" "$T/help" "$p"
done
R=$REPO/selftests/kmod/run_kselftest.sh
if "$R" --help >"$T/help" 2>&1; then
	page_covers vmshield-selftests.8 "$T/help" vmshield-selftests
else
	nok "vmshield-selftests --help exits 0"
fi

# vmshield-migrate: argparse's help ("usage:"), its directions and options
M=$REPO/userspace/worker/vmshield-migrate.py
if python3 -B "$M" --help >"$T/help" 2>"$T/err" && grep -q '^usage: vmshield-migrate' "$T/help"; then
	miss=$(in_page vmshield-migrate.8 "*out*" "*in*" $(opts "$T/help"))
	[[ -z $miss ]] && ok "vmshield-migrate: --help and man page vmshield-migrate.8 agree" ||
		nok "vmshield-migrate: man page vmshield-migrate.8 lacks $miss"
else
	nok "vmshield-migrate --help exits 0 with its usage" "$(cat "$T/err")"
fi

# --- shieldctl's families and their subcommands -------------------------------------
"$S" --help >"$T/top"
fams=$(words "$T/top")
[[ $(wc -w <<<"$fams") -ge 7 ]] && ok "shieldctl --help lists $(wc -w <<<"$fams") families" ||
	nok "shieldctl --help lists the families" "$fams"
pages_used=" shieldctl.1 hgsd.8 hgs-agent.8 vmshield-worker.8 vmshield-enclaved.8 vmshield-selftests.8 vmshield-migrate.8 vmshield-exit-codes.7 "
for f in $fams; do
	pages_used+="shieldctl-$f.1 "
	help_ok "shieldctl $f" "$S" "$f" || continue
	cp "$T/help" "$T/fam"
	page_covers "shieldctl-$f.1" "$T/fam" "shieldctl $f"
	bad=""
	for w in $(words "$T/fam"); do
		if ! "$S" "$f" "$w" --help >"$T/sub" 2>"$T/err" || ! grep -q '^Usage:' "$T/sub"; then
			bad+="$w "
			continue
		fi
		miss=$(in_page "shieldctl-$f.1" $(opts "$T/sub"))
		[[ -z $miss ]] || bad+="$w($miss) "
	done
	[[ -z $bad ]] && ok "shieldctl $f SUBCOMMAND --help: each exits 0, its options in the page" ||
		nok "shieldctl $f SUBCOMMAND --help: each exits 0, its options in the page" "failing or undocumented: $bad"
done
"$B/bin/vmshield-worker" --help >"$T/w"
bad=""
for c in $(words "$T/w"); do
	if ! "$B/bin/vmshield-worker" "$c" --help >"$T/sub" 2>&1 || ! grep -q '^Usage:' "$T/sub"; then
		bad+="$c "
		continue
	fi
	miss=$(in_page vmshield-worker.8 "$c" $(opts "$T/sub"))
	[[ -z $miss ]] || bad+="$c($miss) "
done
[[ -z $bad ]] && ok "vmshield-worker COMMAND --help: each exits 0, its options in the page" ||
	nok "vmshield-worker COMMAND --help: each exits 0, its options in the page" "$bad"

# the daemons' subcommands: --help after them is the usage too
bad=""
for c in "hgsd status" "hgs-agent status" "hgs-agent identity"; do
	read -r p sub <<<"$c"
	"$B/bin/$p" "$sub" --help >"$T/sub" 2>&1 && grep -q '^Usage:' "$T/sub" || bad+="'$c' "
done
[[ -z $bad ]] && ok "hgsd status, hgs-agent status, identity: --help exits 0" ||
	nok "hgsd status, hgs-agent status, identity: --help exits 0" "failing: $bad"

# --- the pages ---------------------------------------------------------------------
stale=""
for src in "$REPO"/man/*.scd; do
	p=$(basename "$src" .scd)
	[[ $pages_used == *" $p "* ]] || stale+="$p "
done
[[ -z $stale ]] && ok "every man page belongs to a program or family" || nok "every man page belongs to a program or family" "stale: $stale"
warn=""
for m in "$B"/man/*; do
	w=$(groff -t -man -Tutf8 -ww -z "$m" 2>&1)
	[[ -z $w ]] || warn+="$(basename "$m"): $w "
done
[[ -z $warn ]] && ok "$(ls "$B"/man | wc -l) pages render without a warning" || nok "the pages render without a warning" "$warn"

# every page of a program or family has the one exit status table
# (man/exit-status.scdi, put in where the source says %EXIT_STATUS%)
miss=""
for m in "$B"/man/*; do
	# their own statuses: kselftest's; vmshield-migrate has no status 3
	case $(basename "$m") in vmshield-selftests.8 | vmshield-migrate.8) continue ;; esac
	grep -q 'a service cannot be reached' "$m" || miss+="$(basename "$m") "
done
[[ -z $miss ]] && ok "every program's page has the exit status table (vmshield-exit-codes(7))" ||
	nok "every program's page has the exit status table" "missing in: $miss"

# --- bash completion ------------------------------------------------------------------
# complete_words LINE: what the completion offers for LINE (the last
# word is the one being completed)
complete_words() {
	bash -c '
		PATH=$1:$PATH
		. "$2"
		read -r -a COMP_WORDS <<<"$3"
		[[ $3 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vmshield
		printf "%s\n" "${COMPREPLY[@]}"' _ "$B/bin" "$REPO/completion/shieldctl" "$1"
}
c1=$(complete_words "shieldctl ")
c2=$(complete_words "shieldctl crypto ")
c3=$(complete_words "shieldctl crypto keygen --p")
c4=$(complete_words "vmshield-worker serve --c")
c5=$(complete_words "hgsd --log-level w")
c6=$(complete_words "vmshield-enclaved --m")
if grep -qx tpm <<<"$c1" && grep -qx keygen <<<"$c2" && grep -qx -- --private <<<"$c3" &&
	grep -qx -- --public <<<"$c3" && grep -qx -- --ctrl <<<"$c4" && [[ $c5 == warning ]] &&
	[[ $c6 == --mailbox ]]; then
	ok "bash completion: families, subcommands, options, log levels"
else
	nok "bash completion: families, subcommands, options, log levels" \
		"shieldctl: $(echo $c1)" "crypto: $(echo $c2)" "keygen --p: $(echo $c3)" \
		"serve --c: $(echo $c4)" "--log-level w: $c5" "enclaved --m: $c6"
fi
echo "1..$n"
exit $failed
