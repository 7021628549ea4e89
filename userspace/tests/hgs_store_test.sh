#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hgs_store_test.sh SHIELDCTL HGSD - hgsd's configuration and store end to
# end (split from hgs_test.sh so the two run side by side): config file
# errors, an unwritable or foreign store, schema migrations step by step,
# retention and the audit chain, on stores of their own (h2, h3, h4...).
# Prints TAP; exits 1 if any test failed.
# HGSD_TEST_STORE=postgresql: every hgsd on a private PostgreSQL (a
# database each; tests/pg_serve.c, VMS_PG_SERVE), the same tests.
set -u
S=${1:?usage: hgs_store_test.sh shieldctl hgsd}
H=${2:?usage: hgs_store_test.sh shieldctl hgsd}
HGS_TMP_PREFIX=vms-hgst
. "$(cd "$(dirname "$0")" && pwd)/hgs_setup.sh"

# ---- configuration and store checks ----
# a host key for the admin commands below
openssl genpkey -algorithm ed25519 -out host1.key 2>/dev/null
openssl pkey -in host1.key -pubout -out host1.pub
init_hgsd "$T/h2" --port 0 >/dev/null 2>&1
cp "$T/h2/hgsd.conf" "$T/h2/good.conf"
echo "nonce_ttl = 5" >> "$T/h2/hgsd.conf"
fails_rc 2 "an unknown config key stops hgsd with file:line" "hgsd.conf:[0-9]*: unknown key 'nonce_ttl' (Documentation/hgs-admin-guide.md lists every key)" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "max_body_bytes = lots" >> "$T/h2/hgsd.conf"
fails_rc 2 "a bad config value stops hgsd" "bad value for 'max_body_bytes'" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "retention_interval_s = 0" >> "$T/h2/hgsd.conf"
fails_rc 2 "retention_interval_s = 0 is refused" "bad value for 'retention_interval_s'" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "keyproc_seccomp = 2" >> "$T/h2/hgsd.conf"
fails_rc 2 "keyproc_seccomp must be 0 or 1" "bad value for 'keyproc_seccomp'" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "keyproc_seccomp = 0" >> "$T/h2/hgsd.conf"
rm -f "$T/h2/hgsd.port"
: > "$T/hgsd5.log"
"$H" -c "$T/h2/hgsd.conf" 2>"$T/hgsd5.log" &
PID=$!
i=0
while ! grep -q "event=started" "$T/hgsd5.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
KPID=$(pgrep -P "$PID" -x hgsd | head -1)
check "keyproc_seccomp = 0 runs the key process unconfined, and says so" sh -c \
	"grep -q '^Seccomp:[[:space:]]*0' /proc/$KPID/status && grep -q 'seccomp=off' '$T/hgsd5.log'"
kill "$PID" && wait "$PID"
PID=
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "events_max_rows = -5" >> "$T/h2/hgsd.conf"
fails_rc 2 "a negative events_max_rows is refused" "bad value for 'events_max_rows'" "$H" -c "$T/h2/hgsd.conf"
# Numbers are digits only, as in hgs-agent.conf (lib/util/conf_parse.c).
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
printf 'max_nonces = \v100\n' >> "$T/h2/hgsd.conf"
fails_rc 2 "a number with a leading blank is refused, saying digits only" \
	"hgsd.conf:[0-9]*: bad value for 'max_nonces': must be a whole number from 16 to 10000000, digits only (no sign, space or unit)" \
	"$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "threads = +2" >> "$T/h2/hgsd.conf"
fails_rc 2 "a signed number is refused" "bad value for 'threads': must be a whole number from 1 to 64, digits only" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "nonce_ttl_s = 60s" >> "$T/h2/hgsd.conf"
fails_rc 2 "a number with a unit is refused" "bad value for 'nonce_ttl_s': must be a whole number" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "admin_uids = 0, +1" >> "$T/h2/hgsd.conf"
fails_rc 2 "a signed admin uid is refused" "bad value for 'admin_uids': must be a comma list" "$H" -c "$T/h2/hgsd.conf"
for v in 10.0.0.0 10.0.0.0/33 10.0.0.0/ 10.0.0.300/8 ::1/128; do
	cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
	echo "challenge_rate_exempt = $v" >> "$T/h2/hgsd.conf"
	fails_rc 2 "challenge_rate_exempt = $v is refused" \
		"bad value for 'challenge_rate_exempt': must be empty or an IPv4 network" "$H" -c "$T/h2/hgsd.conf"
done
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
echo "port_file = relative" >> "$T/h2/hgsd.conf"
fails_rc 2 "a relative path is refused, saying what it must be" "bad value for 'port_file': must be an absolute path" "$H" -c "$T/h2/hgsd.conf"
cp "$T/h2/good.conf" "$T/h2/hgsd.conf"
chmod 644 "$T/h2/keys/master.key"
fails "a readable master key stops hgsd" "must not be readable" "$H" -c "$T/h2/hgsd.conf"
chmod 600 "$T/h2/keys/master.key"
set_schema "$T/h2" 99
fails "a store newer than hgsd is refused" "newer than this hgsd" "$H" -c "$T/h2/hgsd.conf"
set_schema "$T/h2" 15
# A schema-1 store (as the previous hgsd left it: two workers, one
# disabled, worker_policy_version 3; made here by undoing schemas 3 and 2
# on a new store) is migrated to 2 and 3 at start: the
# history starts from the set in force.
init_hgsd "$T/h3" --port 0 >/dev/null 2>&1
D1=$(printf 'a%.0s' $(seq 64)); D2=$(printf 'b%.0s' $(seq 64))
db_sql "$T/h3" "DROP TABLE admin_certs; DROP TABLE worker_history;
	DROP TABLE baselines; DROP TABLE tpm_digests; DROP TABLE tpm_clock; DROP TABLE ima_keys;
	ALTER TABLE hosts DROP COLUMN ek_public; ALTER TABLE hosts DROP COLUMN ek_fpr;
	ALTER TABLE hosts DROP COLUMN hardware_class;
	DELETE FROM settings WHERE name LIKE 'tpm_%';
	DELETE FROM settings WHERE name = 'admin_cert_allow_list';
	DROP TABLE platforms; DELETE FROM settings WHERE name = 'platform_types';
	DROP TABLE shared_secrets; DROP TABLE spent_nonces; DROP TABLE tpm_challenges;
	DELETE FROM settings WHERE name = 'change_seq';
	DELETE FROM settings WHERE name IN ('tpm_allow_key_level_history',
	  'tpm_require_locked_at_load', 'tpm_require_ptrace_scope3', 'tpm_require_no_crash_kernel');
	ALTER TABLE audit DROP COLUMN node; ALTER TABLE audit DROP COLUMN prev_hash;
	ALTER TABLE audit DROP COLUMN hash;
	DELETE FROM settings WHERE name LIKE 'release_lifetime_%';
	DROP TABLE vm_key_rolls; DROP TABLE vm_keys; DROP TABLE vm_migrations; DROP TABLE vm_vtpm;
	UPDATE settings SET value = '3' WHERE name = 'worker_policy_version';
	INSERT INTO workers(digest, description, enabled, added_at, updated_at) VALUES ('$D1', '', 1, 1, 1), ('$D2', '', 0, 1, 1);"
set_schema "$T/h3" 1
: > "$T/hgsd6.log"
"$H" -c "$T/h3/hgsd.conf" 2>"$T/hgsd6.log" &
PID=$!
i=0
while ! grep -q "event=started" "$T/hgsd6.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a schema-1 store is migrated to schema 2" grep -q "event=store migrated_to=2" "$T/hgsd6.log"
check "... and on to schema 3 (TPM mode)" grep -q "event=store migrated_to=3" "$T/hgsd6.log"
check "... and on to schema 4 (IMA keys)" grep -q "event=store migrated_to=4" "$T/hgsd6.log"
check "... and on to schema 5 (tpm_report_at_load, off)" sh -c \
	"grep -q 'event=store migrated_to=5' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"report_at_load\": false'"
check "... and on to schema 6 (tpm_allow_ima_violations, off)" sh -c \
	"grep -q 'event=store migrated_to=6' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"allow_ima_violations\": false'"
check "... and on to schema 7 (no enclave platform, every platform type)" sh -c \
	"grep -q 'event=store migrated_to=7' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"platform_types\": \"emulated,sev-snp,nitro\"' &&
	 [ \$($S hgs --socket '$T/h3/admin.sock' platform list | grep -c .) -eq 1 ]"
check "... and on to schema 8 (what cluster nodes share) and 9 (roles, the audit chain)" sh -c \
	"grep -q 'event=store migrated_to=8' '$T/hgsd6.log' &&
	 grep -q 'event=store migrated_to=9' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' audit verify | grep -q 'audit chain: '"
check "... and on to schema 10 (release lifetimes per KP policy: 1 h shielded, 8 h otherwise)" sh -c \
	"grep -q 'event=store migrated_to=10' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' --json policy show |
	 tr -d ' \n' | grep -q '\"release_lifetime_s\":{[^}]*\"shielded\":3600' &&
	 $S hgs --socket '$T/h3/admin.sock' --json policy show |
	 tr -d ' \n' | grep -q '\"release_lifetime_s\":{[^}]*\"encryption_supported\":28800'"
nvk=$(db_sql "$T/h3" "SELECT COUNT(*) FROM vm_keys" 2>&1)
check "... and on to schema 11 (the TK versions: none yet, $nvk rows)" sh -c \
	"grep -q 'event=store migrated_to=11' '$T/hgsd6.log' && [ '$nvk' = 0 ]"
check "... and on to schema 12 (issue 16's TPM host-fact policies, off)" sh -c \
	"grep -q 'event=store migrated_to=12' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"require_ptrace_scope3\": false' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"allow_key_level_history\": false'"
check "... and on to schema 13 (issue 16's policies from the measured boot, off)" sh -c \
	"grep -q 'event=store migrated_to=13' '$T/hgsd6.log' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"require_lockdown_cmdline\": false' &&
	 $S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"ima_policy_digests\": 0'"
nmig=$(db_sql "$T/h3" "SELECT COUNT(*) FROM vm_migrations" 2>&1)
check "... and on to schema 14 (live migrations: none yet, $nmig rows)" sh -c \
	"grep -q 'event=store migrated_to=14' '$T/hgsd6.log' && [ '$nmig' = 0 ]"
nvt=$(db_sql "$T/h3" "SELECT COUNT(*) FROM vm_vtpm" 2>&1)
check "... and on to schema 15 (vTPM generations: none yet, $nvt rows)" sh -c \
	"grep -q 'event=store migrated_to=15' '$T/hgsd6.log' && [ '$nvt' = 0 ]"
check "the migrated store has the TPM policy at its defaults" sh -c \
	"$S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"pcrs\": \"0-7,10\"'"
check "hosts of schema 1 keep their host keys and have no EK" \
	test "$(db_sql "$T/h3" "SELECT COUNT(*) FROM hosts WHERE ek_fpr <> ''")" = 0
check "the migrated history starts at the version in force, with its digests" sh -c \
	"$S hgs --socket '$T/h3/admin.sock' worker history 3 | tr '\n' ' ' | grep -qx '$D1 '"
check "the migrated store has the new policy, off" sh -c \
	"$S hgs --socket '$T/h3/admin.sock' policy show | grep -q '\"admin_cert_allow_list\": false'"
kill "$PID" && wait "$PID"
PID=
# A schema-3 store (TPM mode, no IMA keys; made by undoing schema 4 on a
# new store) with an approved module digest and the appraisal policy on:
# migrated to 4 at start, its TPM state kept, no IMA key approved (so
# appraisal fails closed until the admin approves one).
init_hgsd "$T/h4" --port 0 >/dev/null 2>&1
db_sql "$T/h4" "DROP TABLE ima_keys;
	INSERT INTO tpm_digests VALUES ('module', '$D1', 'vmshield.ko', 1);
	UPDATE settings SET value = '1' WHERE name = 'tpm_require_ima_appraisal';
	DELETE FROM settings WHERE name IN ('tpm_report_at_load', 'tpm_allow_ima_violations');
	DROP TABLE platforms; DELETE FROM settings WHERE name = 'platform_types';
	DROP TABLE shared_secrets; DROP TABLE spent_nonces; DROP TABLE tpm_challenges;
	DELETE FROM settings WHERE name = 'change_seq';
	DELETE FROM settings WHERE name IN ('tpm_allow_key_level_history',
	  'tpm_require_locked_at_load', 'tpm_require_ptrace_scope3', 'tpm_require_no_crash_kernel');
	ALTER TABLE admin_certs DROP COLUMN role;
	ALTER TABLE audit DROP COLUMN node; ALTER TABLE audit DROP COLUMN prev_hash;
	ALTER TABLE audit DROP COLUMN hash;
	DELETE FROM settings WHERE name LIKE 'release_lifetime_%';
	DROP TABLE vm_key_rolls; DROP TABLE vm_keys; DROP TABLE vm_migrations; DROP TABLE vm_vtpm;
	DELETE FROM settings WHERE name IN ('tpm_allow_key_level_history',
	  'tpm_require_locked_at_load', 'tpm_require_ptrace_scope3', 'tpm_require_no_crash_kernel');
	DELETE FROM settings WHERE name IN ('tpm_require_lockdown_cmdline', 'tpm_ima_policy_digests');"
set_schema "$T/h4" 3
: > "$T/hgsd7.log"
"$H" -c "$T/h4/hgsd.conf" 2>"$T/hgsd7.log" &
PID=$!
i=0
while ! grep -q "event=started" "$T/hgsd7.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a schema-3 store is migrated to schema 4 (and only that step)" sh -c \
	"grep -q 'event=store migrated_to=4' '$T/hgsd7.log' && ! grep -q 'migrated_to=3' '$T/hgsd7.log'"
check "... keeping its TPM digests and policy" sh -c \
	"$S hgs --socket '$T/h4/admin.sock' tpm-digest list | grep -q '^module	$D1	vmshield.ko' &&
	 $S hgs --socket '$T/h4/admin.sock' policy show | grep -q '\"require_ima_appraisal\": true'"
check "... with no IMA key approved" sh -c \
	"$S hgs --socket '$T/h4/admin.sock' --json ima-key list | grep -q '\"ima_keys\": \[\]'"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout imakey.key \
	-out imakey.pem -subj "/CN=vendor IMA key" -days 2 2>/dev/null
check "hgs ima-key add on the migrated store" sh -c \
	"$S hgs --socket '$T/h4/admin.sock' ima-key add imakey.pem --description vendor | grep -q 'IMA key approved: sha256 .* (EC, '"
check "hgs ima-key list shows it" sh -c \
	"$S hgs --socket '$T/h4/admin.sock' ima-key list | grep -q 'EC	.*vendor IMA key	vendor'"
fails "hgs ima-key add twice is refused" "approved already" $S hgs --socket "$T/h4/admin.sock" ima-key add imakey.pem
fails "hgs ima-key add of a key file is refused" "must be one X.509 certificate" $S hgs --socket "$T/h4/admin.sock" ima-key add imakey.key
check "hgsd status counts it" sh -c \
	"$S hgs --socket '$T/h4/admin.sock' status | grep -q '\"ima_keys\": 1'"
kill "$PID" && wait "$PID"
PID=
# Admin over HTTPS: client certificates from an admin CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout adminca.key \
	-out adminca.pem -subj "/CN=hgs admin CA" -days 2 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout admin.key \
	-out admin.csr -subj "/CN=alice" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > admin.ext
openssl x509 -req -in admin.csr -CA adminca.pem -CAkey adminca.key -CAcreateserial \
	-out admin.pem -days 1 -extfile admin.ext 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
	-out rogue.pem -subj "/CN=alice" -days 1 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout bob.key \
	-out bob.csr -subj "/CN=bob" 2>/dev/null
openssl x509 -req -in bob.csr -CA adminca.pem -CAkey adminca.key -CAcreateserial \
	-out bob.pem -days 1 -extfile admin.ext 2>/dev/null
printf 'admin_client_ca = %s\n' "$T/adminca.pem" >> "$T/h2/hgsd.conf"
# Retention: keep 5 events and 30 audit rows, prune every second.
printf 'events_max_rows = 5\naudit_max_rows = 30\nretention_interval_s = 1\n' >> "$T/h2/hgsd.conf"
# Nonces keep no state (issue 17): max_nonces = 16 bounds only the replay
# cache, so 20 outstanding nonces are all issued.
printf 'max_nonces = 16\nnonce_ttl_s = 30\n' >> "$T/h2/hgsd.conf"
rm -f "$T/h2/hgsd.port"
"$H" -c "$T/h2/hgsd.conf" 2>"$T/hgsd3.log" &
PID=$!
i=0
while [ ! -s "$T/h2/hgsd.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL2="https://127.0.0.1:$(cat "$T/h2/hgsd.port")"
busy=0
for j in $(seq 1 20); do
	curl -s --cacert "$T/h2/tls.pem" -X POST -d '{}' "$URL2/v1/attest/nonce" | grep -q '"substatus":"Busy"' && busy=$((busy + 1))
done
check "nonces keep no state (20 of 20 issued with max_nonces = 16)" test "$busy" = 0
A2="--url $URL2 --ca $T/h2/tls.pem"
check "admin over HTTPS with an admin client certificate" \
	sh -c "$S hgs $A2 --cert admin.pem --tls-key admin.key status | grep -q schema_version"
check "admin over HTTPS: host add" $S hgs $A2 --cert admin.pem --tls-key admin.key host add h2host --key host1.pub
check "the audit names the certificate" \
	sh -c "$S hgs --socket '$T/h2/admin.sock' audit | grep -q 'cert=alice sha256='"
fails "admin over HTTPS without a certificate" "AdminCredentialsRequired" $S hgs $A2 status
fails "admin over HTTPS with a certificate of another CA" "AdminCredentialsRequired" \
	$S hgs $A2 --cert rogue.pem --tls-key rogue.key status
# A forged admin certificate: alice's with its CA signature altered.
openssl x509 -in admin.pem -outform DER -out forged.der
python3 -c 'import sys; b = bytearray(open("forged.der", "rb").read()); b[-1] ^= 1; open("forged.der", "wb").write(b)'
openssl x509 -inform DER -in forged.der -out forged.pem 2>/dev/null
fails "admin over HTTPS with a forged certificate" "AdminCredentialsRequired" \
	$S hgs $A2 --cert forged.pem --tls-key admin.key status
# Issue 17 item 8: one answer for the client, that names admin certificates;
# the real reason for each in hgsd's log.
check "the answer says what an admin over HTTPS needs" \
	sh -c "$S hgs $A2 status 2>&1 | grep -q 'admin client certificate issued by'"
check "the log says: no client certificate" grep -q 'result=AdminCredentialsRequired why="no client certificate"' "$T/hgsd3.log"
check "the log says: another CA" grep -q 'why="not issued by admin_client_ca"' "$T/hgsd3.log"
check "the log says: forged" grep -q 'why="signature does not verify (forged or altered)"' "$T/hgsd3.log"
check "hosts need no client certificate" sh -c "curl -s --cacert '$T/h2/tls.pem' '$URL2/v1/health' | grep -q Passed"
# Admin certificates: listed once seen, revoked by fingerprint, refused then.
SOCK2="--socket $T/h2/admin.sock"
ALICE=$(openssl x509 -in admin.pem -noout -fingerprint -sha256 | sed 's/.*=//')
ALICE_HEX=$(echo "$ALICE" | tr -d : | tr 'A-F' 'a-f')
$S hgs $SOCK2 admin-cert list > certs-before.txt
check "hgs admin-cert list shows the certificate seen" grep -q "^$ALICE_HEX	seen	alice" certs-before.txt
fails "hgs admin-cert revoke refuses a malformed fingerprint" "InvalidRequest" \
	$S hgs $SOCK2 admin-cert revoke 12:34
fails "hgs admin-cert allow refuses a fingerprint that is not hex" "InvalidRequest" \
	$S hgs $SOCK2 admin-cert allow "$(echo "$ALICE_HEX" | tr 'a-f' 'x')"
check "refused admin-cert changes leave the list as it was" \
	sh -c "$S hgs $SOCK2 admin-cert list | cmp -s - certs-before.txt"
check "hgs admin-cert revoke (openssl's AB:CD:.. form)" $S hgs $SOCK2 admin-cert revoke "$ALICE"
fails "a revoked admin certificate is refused with its own reason" "AdminCertificateRevoked" \
	$S hgs $A2 --cert admin.pem --tls-key admin.key status
check "the refusal is audited" \
	sh -c "$S hgs $SOCK2 audit | grep -q 'refused-certificate-revoked'"
fails "a revoked admin certificate cannot be allowed again" "revoked, for good" \
	$S hgs $SOCK2 admin-cert allow "$ALICE_HEX"
check "hgs admin-cert list shows it revoked" \
	sh -c "$S hgs $SOCK2 admin-cert list | grep -q '^$ALICE_HEX	revoked	alice'"
check "another certificate of the admin CA still works" \
	sh -c "$S hgs $A2 --cert bob.pem --tls-key bob.key status | grep -q schema_version"
check "hgs policy set admin_cert_allow_list 1" $S hgs $SOCK2 policy set admin_cert_allow_list 1
fails "with the allow list on, an unlisted certificate is refused" "AdminCertificateNotAllowed" \
	$S hgs $A2 --cert bob.pem --tls-key bob.key status
BOB=$(openssl x509 -in bob.pem -noout -fingerprint -sha256 | sed 's/.*=//' | tr -d :)
check "hgs admin-cert allow" $S hgs $SOCK2 admin-cert allow "$BOB"
check "an allowed certificate works with the allow list on" \
	sh -c "$S hgs $A2 --cert bob.pem --tls-key bob.key status | grep -q schema_version"
fails "the revoked one stays refused" "AdminCertificateRevoked" \
	$S hgs $A2 --cert admin.pem --tls-key admin.key status
# Retention: 12 refused releases are 12 events; at most 5 remain, and the
# pruning is in the audit.
for j in $(seq 1 12); do
	curl -s --cacert "$T/h2/tls.pem" -X POST -d '{}' "$URL2/v1/kps/release" >/dev/null
done
i=0
while [ $i -lt 50 ]; do
	ev=$($S hgs $SOCK2 events | grep -c '"kind"')
	$S hgs $SOCK2 audit | grep -q 'table=events rule=max_rows=5' && [ "$ev" -le 5 ] && break
	sleep 0.2; i=$((i + 1))
done
check "retention keeps events_max_rows events" test "$ev" -le 5
check "retention pruning is audited" sh -c "$S hgs $SOCK2 audit | grep -q '\"action\": \"retention-prune\"'"
for k in $(seq 1 40); do $S hgs $SOCK2 host disable nobody >/dev/null 2>&1; done
sleep 2.5
check "retention keeps audit_max_rows audit rows (the pruning's own included)" \
	test "$(db_sql "$T/h2" 'SELECT COUNT(*) FROM audit')" -le 30
# ... and by age: an event 100 days old and an audit row 800 days old
# (defaults: 90 and 730 days) are gone at the next pass.
OLD=$(( $(date +%s) - 100 * 86400 )); OLDER=$(( $(date +%s) - 800 * 86400 ))
db_sql "$T/h2" "
	INSERT INTO events(at, kind, host, result, detail) VALUES ($OLD, 'release', 'old-host', 'Passed', '');
	INSERT INTO audit(at, who, action, detail, result) VALUES ($OLDER, 'test', 'ancient', '', 'ok');"
i=0
while [ $i -lt 50 ] && [ "$(db_sql "$T/h2" "SELECT COUNT(*) FROM events WHERE host = 'old-host'")" != 0 ]; do
	sleep 0.2; i=$((i + 1))
done
check "retention prunes events past events_max_age_days" \
	test "$(db_sql "$T/h2" "SELECT COUNT(*) FROM events WHERE host = 'old-host'")" = 0
ancient=$(db_sql "$T/h2" "SELECT COUNT(*) FROM audit WHERE action = 'ancient'")
db_sql "$T/h2" "SELECT detail FROM audit WHERE action = 'retention-prune'" > prunes.txt
check "retention prunes audit rows past audit_max_age_days, and audits that" sh -c \
	"test '$ancient' = 0 && grep -q 'table=audit rule=max_age_days=730' prunes.txt"
PR="SELECT COUNT(*) FROM audit WHERE action = 'retention-prune'"
p1=$(db_sql "$T/h2" "$PR"); sleep 2.5; p2=$(db_sql "$T/h2" "$PR")
check "a full audit table is not churned (no pruning when nothing is over)" test "$p1" = "$p2"
check "hgsd still serves after the nonce flood" sh -c "curl -s --cacert '$T/h2/tls.pem' '$URL2/v1/health' | grep -q Passed"
kill "$PID" && wait "$PID"
PID=
echo "1..$n"
exit $failed
