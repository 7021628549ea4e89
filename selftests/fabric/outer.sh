# SPDX-License-Identifier: GPL-2.0
# outer.sh - the outer machine's half of a guarded fabric, sourced (bash) by
# selftests/fabric/run and scripts/demo.sh: an HGS on 127.0.0.1 that the
# rig's guest reaches at 10.0.2.2, and hgs-agent configurations for the
# guest. The caller sets REPO and defines log() before sourcing.

B=$REPO/build
HGSD=$B/bin/hgsd
AGENT=$B/bin/hgs-agent
SHIELDCTL=$B/bin/shieldctl
HGSD_PID=
PORT=

# fabric_worker_image_add SOCKET PROGRAM DESCRIPTION: approve PROGRAM's
# whole image at HGS (the program, ld.so, every library; issue 16: a
# shielded key serves only a caller whose every executable file is
# approved), one worker row per file; a file another worker already
# brought (libc) is answered "unchanged".
fabric_worker_image_add() {
	local sock=$1 prog=$2 desc=$3 img d path
	img=$("$SHIELDCTL" hgs worker image "$prog") || return 1
	while read -r d path; do
		"$SHIELDCTL" hgs --socket "$sock" worker add "$d" \
			--description "$desc: $path" >/dev/null || return 1
	done <<<"$img"
}

# fabric_hgsd_init DIR LOG: a new HGS in DIR whose HTTPS certificate also
# names 10.0.2.2, the outer machine as the rig's guest sees it.
fabric_hgsd_init() {
	"$HGSD" --init "$1" --port 0 --tls-name 10.0.2.2 >"$2" 2>&1
}

# fabric_hgsd_start DIR LOG: run hgsd on DIR's config in the background
# (HGSD_PID) and wait for its port (PORT). Later starts reuse the port
# the first one chose, so the guest's URL stays valid.
fabric_hgsd_start() {
	local dir=$1 logf=$2 i
	rm -f "$dir/hgsd.port"
	"$HGSD" -c "$dir/hgsd.conf" >>"$logf" 2>&1 &
	HGSD_PID=$!
	for ((i = 0; i < 200; i++)); do
		if [[ -s $dir/hgsd.port ]]; then
			PORT=$(<"$dir/hgsd.port")
			sed -i "s/^port = .*/port = $PORT/" "$dir/hgsd.conf"
			return 0
		fi
		kill -0 "$HGSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "hgsd did not start; its log:"
	tail -20 "$logf" >&2
	HGSD_PID=
	return 1
}

fabric_hgsd_stop() {
	if [[ -n $HGSD_PID ]]; then
		kill -TERM "$HGSD_PID" 2>/dev/null
		wait "$HGSD_PID" 2>/dev/null
		HGSD_PID=
	fi
}

# fabric_agent_conf FILE HOST-NAME STATE-DIR CA-FILE [extra lines...]:
# an hgs-agent configuration for the guest, pointing at this HGS.
fabric_agent_conf() {
	local f=$1 host=$2 state=$3 ca=$4
	shift 4
	{
		echo "# hgs-agent configuration written by ${PROG:-selftests/fabric}"
		echo "host_name = $host"
		echo "hgs_url = https://10.0.2.2:$PORT"
		echo "hgs_ca_file = $ca"
		echo "state_dir = $state"
		echo "socket = /run/vmshield/agent.sock"
		echo "request_deadline_s = 150"
		echo "retry_initial_ms = 250"
		echo "retry_max_ms = 3000"
		echo "attempt_timeout_s = 10"
		printf '%s\n' "$@"
	} >"$f"
}
