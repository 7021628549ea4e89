# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# cluster.sh - the outer machine's half of the fabric's HGS cluster (issue
# 18; tests/06c-cluster-failover.sh, 06d-cluster-revocation.sh), sourced by
# selftests/fabric/run after it has set W, S, H, T, HOST, WORKER and
# HERE, defined make_vm and sourced outer.sh. Its control actions:
#   cluster-start    a private PostgreSQL 15 (tests/pg_serve: initdb as an
#                    unprivileged user into /tmp, 127.0.0.1, a free port),
#                    three hgsd nodes on it, copies of the fabric's HGS
#                    directory (the same keys: the tenant's KPs and the
#                    agent's host key fit), each on a port of its own; the
#                    host and the workers registered; the agent
#                    configurations share/agent-cluster{,-b}.conf
#   cluster-kill-a   SIGKILL node A (the agents' primary)
#   cluster-start-a  node A again, on its port
#   (cluster_start is a no-op when the cluster runs: 06c and 06d share it)
#   cluster-tk-check the TK invariant of hgs-cluster.md §5 on the database,
#                    and the roll VM's version, in share/cluster/tk.txt
#   cluster-revoke-a the host disabled through node A's admin socket, then
#                    node B asked (POST /v1/host/status with the agent's
#                    certificate, cluster_probe.py) every 10 ms until it
#                    refuses (10 s at most): share/cluster/revoke.txt says
#                    how long it took
#   cluster-enable   the host enabled again (through node C)
#   cluster-stop     the nodes and PostgreSQL stopped (also at the end)
# Each prints "ok" or "error: why" (the control channel's answer).

CL=
CL_PG_PID=
CL_STORE=
CL_NODES="a b c"
declare -A CL_PID=() CL_PORT=()
PSQL=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
CL_BOUND_MS=1000	# hgs-cluster.md §3: the revocation bound between nodes

cl_adm() { "$SHIELDCTL" hgs --socket "$CL/$1/admin.sock" "${@:2}"; }
cl_sql() { "$PSQL" "${CL_STORE#postgresql:}" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
cl_log() { log "$(date +%T.%3N) cluster: $*"; }

# cl_node_start N: node N in the background; its port pinned in its
# configuration once chosen, so a restart comes back on it.
cl_node_start() {
	local n=$1 d=$CL/$1 i
	rm -f "$d/hgsd.port"
	"$HGSD" -c "$d/hgsd.conf" >>"$CL/node-$n.log" 2>&1 &
	CL_PID[$n]=$!
	for ((i = 0; i < 600; i++)); do
		if [[ -s $d/hgsd.port ]]; then
			CL_PORT[$n]=$(<"$d/hgsd.port")
			sed -i "s/^port = .*/port = ${CL_PORT[$n]}/" "$d/hgsd.conf"
			return 0
		fi
		kill -0 "${CL_PID[$n]}" 2>/dev/null || break
		sleep 0.05
	done
	cl_log "node $n did not start: $(tail -3 "$CL/node-$n.log")"
	CL_PID[$n]=
	return 1
}

cl_node_stop() {	# N SIGNAL
	local pid=${CL_PID[$1]:-}
	[[ -n $pid ]] || return 0
	kill "-$2" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	CL_PID[$1]=
}

# cl_agent_conf NAME FIRST SECOND THIRD: the agent's configuration with
# the three nodes' URLs in that order, its own state (a copy of the
# fabric agent's host key, no cached certificate), revocation polled
# every second
cl_agent_conf() {
	local f=$S/$1.conf
	sed -e '/^hgs_url/d' -e '/^state_dir/d' -e '/^revocation_poll_s/d' \
		"$S/agent.conf" >"$f" || return 1
	{
		echo "hgs_url = https://10.0.2.2:${CL_PORT[$2]}"
		echo "hgs_fallback_url = https://10.0.2.2:${CL_PORT[$3]}"
		echo "hgs_fallback_url = https://10.0.2.2:${CL_PORT[$4]}"
		echo "state_dir = $S/agent-cluster-state"
		echo "revocation_poll_s = 1"
	} >>"$f"
}

cluster_start() {
	local n pem
	[[ -n $CL_PG_PID ]] && return 0
	CL=$W/cluster
	mkdir -p "$CL" "$S/cluster" || return 1
	mkfifo "$CL/pg.in" "$CL/pg.out" || return 1
	"$B/tests/pg_serve" <"$CL/pg.in" >"$CL/pg.out" 2>"$CL/pg_serve.log" &
	CL_PG_PID=$!
	exec {CL_PG_IN}>"$CL/pg.in" {CL_PG_OUT}<"$CL/pg.out"
	echo hgs >&"$CL_PG_IN"
	read -r -t 180 CL_STORE <&"$CL_PG_OUT"
	[[ $CL_STORE == postgresql:* ]] || {
		cl_log "no PostgreSQL: $(tail -3 "$CL/pg_serve.log")"
		return 1
	}
	# The store: hgsd --init makes its schema and publishes a first
	# guardian; that row becomes the fabric HGS's own guardian (whose keys
	# the nodes hold), as in the fabric's SQLite store. hgsd has no tool
	# that moves a SQLite store to PostgreSQL: this is the test's way.
	"$HGSD" --init "$CL/seed" --store "$CL_STORE" --port 0 >"$CL/seed.log" 2>&1 || {
		cl_log "hgsd --init on PostgreSQL failed: $(tail -3 "$CL/seed.log")"
		return 1
	}
	rm -rf "$CL/seed"
	pem=$(sqlite3 -cmd ".timeout 5000" "$H/hgsd.db" \
		"SELECT certificates FROM guardians WHERE name = 'hgs-guardian-1'") && [[ -n $pem ]] &&
		echo "UPDATE guardians SET certificates = :'pem' WHERE name = 'hgs-guardian-1';" |
		"$PSQL" "${CL_STORE#postgresql:}" -X -q -v ON_ERROR_STOP=1 -v pem="$pem" || return 1
	for n in $CL_NODES; do
		# the fabric HGS's keys and configuration, not its SQLite store
		cp -a "$H" "$CL/$n" && rm -f "$CL/$n"/hgsd.db* "$CL/$n/admin.sock" || return 1
		printf '%s\n' "store = $CL_STORE" "state_dir = $CL/$n" "port = 0" \
			"port_file = $CL/$n/hgsd.port" "admin_socket = $CL/$n/admin.sock" \
			"master_key_file = $CL/$n/keys/master.key" "db_file = $CL/$n/unused.db" \
			"node_name = node-$n" >>"$CL/$n/hgsd.conf"
	done
	# A first: it creates the schema; then the others join
	for n in $CL_NODES; do
		cl_node_start "$n" || return 1
	done
	cl_adm a host add "$HOST" --key "$S/agent-state/host.pub.pem" >/dev/null &&
		fabric_worker_image_add "$CL/a/admin.sock" "$WORKER" "fabric test worker" &&
		fabric_worker_image_add "$CL/a/admin.sock" "$B/bin/vmshield-worker" \
			"reference worker" || return 1
	# the tenant's VMs for the burst (make_vm: run's)
	for n in 1 2 3 4; do
		make_vm "cluster$n" encryption-supported || return 1
	done
	make_vm cluster-roll encryption-supported || return 1
	rm -rf "$S/agent-cluster-state"
	mkdir -p "$S/agent-cluster-state" &&
		cp -a "$S/agent-state"/host* "$S/agent-cluster-state/" || return 1
	cl_agent_conf agent-cluster a b c && cl_agent_conf agent-cluster-b b c a || return 1
	cl_log "nodes a b c on 127.0.0.1:${CL_PORT[a]} ${CL_PORT[b]} ${CL_PORT[c]}, $CL_STORE"
}

cluster_stop() {
	local n
	for n in $CL_NODES; do
		cl_node_stop "$n" TERM
	done
	if [[ -n $CL_PG_PID ]]; then
		exec {CL_PG_IN}>&- {CL_PG_OUT}<&-
		wait "$CL_PG_PID" 2>/dev/null
		CL_PG_PID=
		cp "$CL"/node-*.log "$B/fabric/" 2>/dev/null
	fi
}

# The invariant (hgs-cluster.md §5): VMs whose version is not the number
# of their confirmed rolls, or with a confirmed roll above it.
cluster_tk_check() {
	local uuid viol ver conf pend
	uuid=$(<"$S/vms/cluster-roll.uuid") || return 1
	viol=$(cl_sql "SELECT COUNT(*) FROM vm_keys k WHERE
  k.version <> (SELECT COUNT(*) FROM vm_key_rolls r WHERE r.vm_id = k.vm_id
                AND r.confirmed = 1 AND r.version >= 1 AND r.version <= k.version)
  OR EXISTS (SELECT 1 FROM vm_key_rolls r WHERE r.vm_id = k.vm_id
             AND r.confirmed = 1 AND r.version > k.version)") || return 1
	ver=$(cl_sql "SELECT version FROM vm_keys WHERE vm_id = '$uuid'") || return 1
	conf=$(cl_sql "SELECT COUNT(*) FROM vm_key_rolls WHERE vm_id = '$uuid' AND confirmed = 1") ||
		return 1
	pend=$(cl_sql "SELECT pending_version FROM vm_keys WHERE vm_id = '$uuid'") || return 1
	echo "violations=$viol version=${ver:-none} confirmed=$conf pending=${pend:-none}" \
		>"$S/cluster/tk.txt"
}

# The host disabled through node A; node B asked on one keep-alive
# connection every 10 ms until it refuses (cluster_probe.py). revoke.txt
# (its ms: from the change to node B's refusal) lets the guest place the
# change on its own clock: its answer arrives about ms after it.
cluster_revoke_a() {
	local cert line
	cert=$(sed '1d;$d' "$S/agent-cluster-state/health.pem" | tr -d '\n') &&
		[[ -n $cert ]] || return 1
	printf '{"health_certificate":"%s"}\n' "$cert" >"$CL/status.json"
	line=$(python3 "$HERE/cluster_probe.py" "https://127.0.0.1:${CL_PORT[b]}/v1/host/status" \
		"$H/tls.pem" "$CL/status.json" HostDisabled 10 -- \
		"$SHIELDCTL" hgs --socket "$CL/a/admin.sock" host disable "$HOST")
	cl_log "disabled at node A; node B: $line"
	echo "$line bound_ms=$CL_BOUND_MS" >"$S/cluster/revoke.txt"
	[[ $line == status=HostDisabled* ]]
}

# cluster_do ACTION: one control action (the list above)
cluster_do() {
	cl_log "$1"
	case $1 in
	cluster-start) cluster_start ;;
	cluster-kill-a) cl_node_stop a KILL ;;
	cluster-start-a) [[ -n ${CL_PID[a]:-} ]] || cl_node_start a ;;
	cluster-tk-check) cluster_tk_check ;;
	cluster-revoke-a) cluster_revoke_a ;;
	cluster-enable) cl_adm c host enable "$HOST" >/dev/null ;;
	cluster-stop) cluster_stop ;;
	*) return 2 ;;
	esac
}
