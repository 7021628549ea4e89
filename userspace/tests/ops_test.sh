#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ops_test.sh SHIELDCTL HGSD - hgsd's operations endpoints on a real hgsd
# (127.0.0.1, a free port): /v1/health (the store and the key process),
# GET /metrics parsed by Debian's prometheus_client text parser (who may
# read it; requests by route and result; latency histograms; each store
# statement's latency by class, moved by a registration; no series per
# strange path), request log lines (client address, latency), a
# reload (SIGHUP) that serves a new TLS certificate and refuses a broken
# configuration or a key that does not match, and the OpenAPI file
# against the daemon's route tables (openapi_check.py). Prints TAP.
set -u
S=${1:?usage: ops_test.sh shieldctl hgsd}
H=${2:?usage: ops_test.sh shieldctl hgsd}
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
S=$(abspath "$S")
H=$(abspath "$H")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vms-ops.XXXXXX")
PID=
KP=
cleanup() {
	[ -n "$KP" ] && kill -CONT "$KP" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

. "$HERE/tap.sh"

"$H" --init "$T/hgs" --port 0 >/dev/null 2>&1
"$H" -c "$T/hgs/hgsd.conf" --log-level debug 2>"$T/hgsd.log" &
PID=$!
i=0
while [ ! -S "$T/hgs/admin.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/hgs/hgsd.port" 2>/dev/null)
if [ -z "$PORT" ]; then echo "Bail out! hgsd did not start: $(cat "$T/hgsd.log")"; exit 1; fi
URL="https://127.0.0.1:$PORT"
SOCK="$T/hgs/admin.sock"
CA="$T/hgs/tls.pem"
# hcurl ARGS...: HTTPS to hgsd, "BODY\nHTTP-STATUS" on stdout
hcurl() { curl -s --cacert "$CA" -w '\n%{http_code}' "$@"; }
# acurl PATH: the admin socket
acurl() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "http://hgsd$1"; }
# wait_count PATTERN N: the hgsd log has N lines with PATTERN within 10 s
wait_count() {
	wc_i=0
	while [ "$(grep -c -- "$1" "$T/hgsd.log")" -lt "$2" ] && [ $wc_i -lt 100 ]; do
		sleep 0.1
		wc_i=$((wc_i + 1))
	done
	[ "$(grep -c -- "$1" "$T/hgsd.log")" -eq "$2" ]
}
# wait_log PATTERN: the hgsd log shows PATTERN within 10 s
wait_log() {
	wl_i=0
	while ! grep -q -- "$1" "$T/hgsd.log" && [ $wl_i -lt 100 ]; do sleep 0.1; wl_i=$((wl_i + 1)); done
	grep -q -- "$1" "$T/hgsd.log"
}

# ---- /v1/health ----
hcurl "$URL/v1/health" >health.out
check "GET /v1/health: 200, store and key process ok" sh -c \
	"tail -n1 health.out | grep -qx 200 && grep -q '\"key_process\":\"ok\"' health.out && grep -q '\"store\":\"ok\"' health.out"

# ---- /metrics: who may read it ----
hcurl "$URL/metrics" >m_https.out
check "GET /metrics over HTTPS without an admin certificate: refused (403), no metrics" sh -c \
	"tail -n1 m_https.out | grep -qx 403 && grep -q AdminCredentialsRequired m_https.out && ! grep -q hgsd_requests_total m_https.out"
hcurl -X POST -d '{}' "$URL/metrics" >m_post.out
check "POST /metrics: MethodNotAllowed" sh -c "tail -n1 m_post.out | grep -qx 405"

# some traffic to count: a refused release, an unknown path, strange paths
for _ in 1 2 3; do hcurl -X POST -d '{}' "$URL/v1/kps/release" >/dev/null; done
for p in nope-1 nope-2 nope-3 'a%20b'; do hcurl "$URL/$p" >/dev/null; done
hcurl -X POST -d '{}' "$URL/v1/attest" >/dev/null
hcurl -X POST -d '{}' "$URL/v1/attest/nonce" >/dev/null

acurl /metrics >metrics.out
check "GET /metrics on the admin socket (root): 200" sh -c "tail -n1 metrics.out | grep -qx 200"
sed '$d' metrics.out >metrics.txt
# promcheck: the text parsed by prometheus_client; prints what is wrong
promcheck() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
def val(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
mode = sys.argv[2]
if mode == "up":
    want(fams.get("hgsd_requests") and fams["hgsd_requests"].type == "counter", "hgsd_requests_total is a counter")
    want(val("hgsd_requests_total", route="/v1/kps/release", result="InvalidRequest") == 3, "3 refused releases counted")
    want(val("hgsd_requests_total", route="/v1/health", result="Passed") == 1, "1 health request counted")
    want(val("hgsd_requests_total", route="other", result="UnknownEndpoint") == 4, "4 unknown paths as route other")
    want(val("hgsd_requests_total", route="/v1/attest/nonce", result="Passed") == 1, "the nonce counted")
    routes = {s.labels["route"] for s in fams["hgsd_requests"].samples}
    want(not any("nope" in r for r in routes), "no series per strange path")
    want(fams.get("hgsd_release_duration_seconds") and fams["hgsd_release_duration_seconds"].type == "histogram", "release histogram")
    want(val("hgsd_release_duration_seconds_count") == 3, "3 releases timed")
    want(val("hgsd_release_duration_seconds_bucket", le="+Inf") == 3, "the +Inf bucket holds them")
    want(val("hgsd_attest_duration_seconds_count", mode="host-key") == 1, "1 host-key attestation timed")
    want(val("hgsd_attest_duration_seconds_count", mode="tpm") == 0, "no TPM attestation")
    want((val("hgsd_store_probe_duration_seconds_count") or 0) >= 1, "the store probe timed")
    want(val("hgsd_cert_cache_lookups_total", result="hit") == 0, "cache hits counted (0)")
    want(val("hgsd_store_up") == 1, "store up")
    want(val("hgsd_key_process_up") == 1, "key process up")
    want(val("hgsd_change_feed_lag") == 0, "change feed lag 0")
    want(val("hgsd_hosts") == 0, "0 hosts")
else:
    want(val("hgsd_key_process_up") == 0, "key process down")
    want(val("hgsd_store_up") == 1, "store still up")
for b in bad:
    print(b)
print("families:", len(fams))
sys.exit(1 if bad else 0)
EOF
}
if promcheck metrics.txt up >prom.out 2>&1; then
	ok "/metrics parses as Prometheus text: requests by route and result, histograms, state ($(tail -n1 prom.out))"
else
	nok "/metrics parses as Prometheus text with the expected series" "$(cat prom.out)" "$(head -c 1500 metrics.txt)"
fi
check "metrics name no host, address or key" sh -c "! grep -Eq '127\\.0\\.0\\.1|host=\"' metrics.txt"

# ---- store latency: every statement timed by class; a registration moves them ----
openssl genpkey -algorithm ed25519 -out host-m.key 2>/dev/null
openssl pkey -in host-m.key -pubout -out host-m.pub 2>/dev/null
"$S" hgs --socket "$SOCK" host add host-m --key host-m.pub >hostadd.out 2>&1
acurl /metrics | sed '$d' >metrics_store.txt
if /usr/bin/python3 - metrics.txt metrics_store.txt >store.out 2>&1 <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
def load(path):
    fams = {f.name: f for f in text_string_to_metric_families(open(path).read())}
    f = fams.get("hgsd_store_statement_duration_seconds")
    e = fams.get("hgsd_store_statement_errors")
    if not f or f.type != "histogram" or not e or e.type != "counter":
        print(path, "lacks the store statement histogram or its errors counter")
        sys.exit(1)
    got = {}
    for s in f.samples:
        k = (s.labels["backend"], s.labels["op"], s.labels["table"])
        if s.name.endswith("_count"):
            got.setdefault(k, {})["count"] = s.value
        elif s.name.endswith("_sum"):
            got.setdefault(k, {})["sum"] = s.value
        elif s.labels.get("le") == "+Inf":
            got.setdefault(k, {})["inf"] = s.value
    return got
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = []
def count(d, op, table):
    return d.get(("sqlite", op, table), {}).get("count", 0)
if {k[0] for k in b} != {"sqlite"}:
    bad.append("backends: %s" % sorted({k[0] for k in b}))
for op, table, n in (("insert", "hosts", 1), ("insert", "audit", 1), ("commit", "-", 1)):
    if count(b, op, table) < count(a, op, table) + n:
        bad.append("%s %s: %s -> %s, want +%d" % (op, table, count(a, op, table), count(b, op, table), n))
for k, v in b.items():
    if v.get("inf") != v.get("count") or v.get("sum", -1) < 0:
        bad.append("%s: +Inf bucket %s, count %s, sum %s" % (k, v.get("inf"), v.get("count"), v.get("sum")))
if ("sqlite", "select", "hosts") not in b:
    bad.append("no select from hosts timed (the snapshot's load)")
for x in bad:
    print(x)
print("%d statement classes, insert hosts %d -> %d" % (len(b), count(a, "insert", "hosts"), count(b, "insert", "hosts")))
sys.exit(1 if bad else 0)
EOF
then
	ok "/metrics: store statement latency by class on sqlite; a registration moved insert hosts, insert audit and commit ($(tail -n1 store.out))"
else
	nok "/metrics: store statement latency by class, moved by a registration" "$(cat store.out)" "$(cat hostadd.out)" \
		"$(grep hgsd_store_statement metrics_store.txt | head -n 40)"
fi
check "request lines: client address, route, result and latency" \
	grep -Eq "level=info event=request client=127\\.0\\.0\\.1 method=POST path=/v1/kps/release result=InvalidRequest latency_ms=[0-9.]+$" "$T/hgsd.log"
check "a passed request's line is at debug level" \
	grep -Eq "level=debug event=request client=127\\.0\\.0\\.1 method=GET path=/v1/health result=Passed latency_ms=" "$T/hgsd.log"

# ---- the key process stopped: health 503, metrics say so ----
KP=$(ps -o pid= --ppid "$PID" | tr -d ' ' | head -n1)
if [ -n "$KP" ] && kill -STOP "$KP"; then
	hcurl "$URL/v1/health" >h503.out
	check "key process stopped: /v1/health 503 Busy saying so" sh -c \
		"tail -n1 h503.out | grep -qx 503 && grep -q 'key process stopped' h503.out && grep -q '\"substatus\":\"Busy\"' h503.out"
	acurl /metrics | sed '$d' >metrics_down.txt
	if promcheck metrics_down.txt down >prom2.out 2>&1; then ok "key process stopped: hgsd_key_process_up 0"; else nok "key process stopped: hgsd_key_process_up 0" "$(cat prom2.out)"; fi
	kill -CONT "$KP"
	KP=
	hcurl "$URL/v1/health" >h200.out
	check "key process running again: /v1/health 200" sh -c "tail -n1 h200.out | grep -qx 200"
else
	nok "found hgsd's key process" "ps --ppid $PID: nothing"
fi

# ---- reload: a new certificate is served, a broken config is refused ----
subject() {
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=ops-reloaded -keyout new.plain -out new.pem \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
openssl pkcs8 -topk8 -v2 aes-256-cbc -in new.plain -passout "file:$T/hgs/keys/master.key" \
	-out new.key 2>/dev/null
cp "$T/hgs/tls.pem" old.pem
cp new.pem "$T/hgs/tls.pem"
cp new.key "$T/hgs/keys/tls.key"
kill -HUP "$PID"
check "SIGHUP: hgsd says it reloaded" wait_log "event=reloaded"
check "after the reload a client sees the new certificate" sh -c "$(printf '%s' "openssl s_client -connect 127.0.0.1:$PORT </dev/null 2>/dev/null | openssl x509 -noout -subject | grep -q ops-reloaded")"
check "a client verifying against the new certificate is served" sh -c \
	"curl -s --cacert new.pem '$URL/v1/health' | grep -q Passed"
check "hgsd still runs (same pid)" kill -0 "$PID"
cp "$T/hgs/hgsd.conf" good.conf
echo "no_such_setting = 1" >>"$T/hgs/hgsd.conf"
cp old.pem "$T/hgs/tls.pem"
kill -HUP "$PID"
check "a broken configuration is refused at reload" wait_log "event=reload config=.*refused"
check "... and the previous certificate serves on" sh -c "$(printf '%s' "openssl s_client -connect 127.0.0.1:$PORT </dev/null 2>/dev/null | openssl x509 -noout -subject | grep -q ops-reloaded")"
# log_requests applies at the reload; another changed setting is named as waiting for a restart
sed -e 's/^log_requests = 1$/log_requests = 0/' -e 's/^max_nonces = .*/max_nonces = 5000/' \
	good.conf >"$T/hgs/hgsd.conf"
cp new.pem "$T/hgs/tls.pem"
kill -HUP "$PID"
check "a changed setting other than log_requests is named as waiting for a restart" \
	wait_log "level=warning event=reload msg=\"settings other than log_requests changed"
check "... and the reload goes through" wait_count "event=reloaded" 2
hcurl -X POST -d '{}' "$URL/v1/kps/release" --cacert new.pem >/dev/null
sleep 0.3
check "log_requests = 0 applies at once: no request line for a refused release" sh -c \
	"[ \$(grep -c 'event=request .*path=/v1/kps/release' '$T/hgsd.log') -eq 3 ]"
cp good.conf "$T/hgs/hgsd.conf"
cp old.pem "$T/hgs/tls.pem"
# old.pem with new.key: not a pair
kill -HUP "$PID"
check "a certificate that does not match the key is refused at reload" \
	wait_log 'step="matching keys/tls.key to tls.pem"'
check "... and the previous certificate serves on" sh -c \
	"curl -s --cacert new.pem '$URL/v1/health' | grep -q Passed"
if grep -q -- "-----BEGIN" "$T/hgsd.log"; then nok "no PEM in the log"; else ok "no PEM in the log"; fi

# ---- the OpenAPI description against the route tables and the daemon ----
if /usr/bin/python3 "$HERE/openapi_check.py" "$REPO/Documentation/hgs-openapi.yaml" "$REPO/userspace/hgsd" \
	"$URL" new.pem "$SOCK" >openapi.out 2>&1; then
	ok "Documentation/hgs-openapi.yaml: valid, and its routes are the daemon's ($(tail -n1 openapi.out))"
else
	nok "Documentation/hgs-openapi.yaml: valid, and its routes are the daemon's" "$(cat openapi.out)"
fi
# the check can fail: a route left out, a $ref that resolves nowhere
grep -v '^  /v1/admin/events:$' "$REPO/Documentation/hgs-openapi.yaml" |
	sed '/^    get: {tags: \[admin\], summary: Recent attestation/d' >dropped.yaml
sed 's|#/components/schemas/Hex64|#/components/schemas/Hex65|' \
	"$REPO/Documentation/hgs-openapi.yaml" >badref.yaml
/usr/bin/python3 "$HERE/openapi_check.py" dropped.yaml "$REPO/userspace/hgsd" "$URL" new.pem "$SOCK" >dropped.out 2>&1
rc1=$?
/usr/bin/python3 "$HERE/openapi_check.py" badref.yaml "$REPO/userspace/hgsd" "$URL" new.pem "$SOCK" >badref.out 2>&1
rc2=$?
if [ $rc1 -eq 1 ] && grep -q 'served but not in the spec: GET /v1/admin/events' dropped.out &&
	[ $rc2 -eq 1 ] && grep -q 'Hex65 does not resolve' badref.out; then
	ok "the OpenAPI check refuses a spec missing a route, and one with a dangling \$ref"
else
	nok "the OpenAPI check refuses a spec missing a route, and one with a dangling \$ref" \
		"exit $rc1: $(cat dropped.out)" "exit $rc2: $(cat badref.out)"
fi

kill "$PID"
wait "$PID"
PID=
echo "1..$n"
exit $failed
