# SPDX-License-Identifier: GPL-2.0
# tap.sh - TAP helpers the shell tests source (POSIX sh). They run in the
# test's scratch directory (check.out, out.txt and err.txt land there).
#   ok NAME / nok NAME [DETAIL...]   one result line
#   check NAME CMD...                ok if CMD exits 0
#   fails NAME PATTERN CMD...        ok if CMD exits 1 with PATTERN on stderr
#   fails_rc RC NAME PATTERN CMD...  the same with exit RC (2 usage, 3 unreachable)
# End with: echo "1..$n"; exit $failed
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { name=$1; shift
	if "$@" >check.out 2>&1; then ok "$name"; else nok "$name" "failed: $*" "$(tail -n 20 check.out)"; fi; }
fails() { fails_rc 1 "$@"; }
fails_rc() { want=$1 name=$2 pat=$3; shift 3
	"$@" >out.txt 2>err.txt; rc=$?
	if [ $rc -ne "$want" ]; then nok "$name" "exit $rc, want $want" "$(cat err.txt)"; return; fi
	if ! grep -q -- "$pat" err.txt; then nok "$name" "stderr lacks '$pat'" "$(cat err.txt)"; return; fi
	ok "$name"; }
# flip_byte FILE OFFSET: XOR one byte of FILE with 1, so the file always
# changes (writing a fixed value is no change when the byte already held it)
flip_byte() {
	fb_v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$fb_v" ] || return 1
	printf "\\$(printf %o $((fb_v ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
