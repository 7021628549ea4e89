# hgs_setup.sh - what hgs_test.sh and hgs_store_test.sh share (POSIX sh,
# sourced after S and H are set, with HGS_TMP_PREFIX naming the scratch
# directory): absolute S and H, the scratch directory $T (the cwd, removed
# at exit with the hgsd in $PID), tap.sh, the store (SQLite, or with
# HGSD_TEST_STORE=postgresql a private PostgreSQL through pg_serve), and
#   init_hgsd DIR [ARGS...]   hgsd --init on this run's store
#   db_sql DIR SQL            SQL on DIR's store, rows as sqlite3 prints them
#   set_schema DIR N          the store's schema version, as an older hgsd left it
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
S=$(abspath "$S")
H=$(abspath "$H")
HERE=${HERE:-$(cd "$(dirname "$0")" && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/$HGS_TMP_PREFIX.XXXXXX")
PID=
PGPID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$PGPID" ] && exec 7>&- && wait "$PGPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

. "$HERE/tap.sh"

# ---- the store: SQLite (hgsd's default) or PostgreSQL ----
if [ "${HGSD_TEST_STORE:-sqlite}" = postgresql ]; then
	mkfifo "$T/pg.in" "$T/pg.out" || exit 1
	"${VMS_PG_SERVE:-$(dirname "$H")/../tests/pg_serve}" <"$T/pg.in" >"$T/pg.out" &
	PGPID=$!
	exec 7>"$T/pg.in" 8<"$T/pg.out"
	PSQL=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
elif [ "${HGSD_TEST_STORE:-sqlite}" != sqlite ]; then
	echo "Bail out! HGSD_TEST_STORE=$HGSD_TEST_STORE: sqlite or postgresql"; exit 1
fi
# init_hgsd DIR [ARGS...]: hgsd --init on this run's store (a new database)
init_hgsd() {
	ih_dir=$1; shift
	if [ -z "$PGPID" ]; then "$H" --init "$ih_dir" "$@"; return; fi
	echo "$(basename "$ih_dir")" >&7
	read -r ih_store <&8
	[ "$ih_store" != error ] || { echo "# no PostgreSQL database for $ih_dir" >&2; return 1; }
	"$H" --init "$ih_dir" --store "$ih_store" "$@"
}
# db_sql DIR SQL: run SQL on DIR's store, rows as sqlite3 prints them
db_sql() {
	if [ -z "$PGPID" ]; then sqlite3 -cmd ".timeout 5000" "$1/hgsd.db" "$2"; return; fi
	"$PSQL" "$(sed -n 's/^store = postgresql://p' "$1/hgsd.conf")" -X -q -A -t \
		-v ON_ERROR_STOP=1 -c "$2"
}
# set_schema DIR N: the store's schema version, as an older hgsd left it
set_schema() {
	if [ -z "$PGPID" ]; then db_sql "$1" "PRAGMA user_version = $2"; return; fi
	db_sql "$1" "UPDATE hgsd_schema SET version = $2"
}
