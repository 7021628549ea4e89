#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hgs-agent attests at start: status shows a valid health certificate for
# this host and the module's current isolation level; SIGTERM stops it
# cleanly.
. "$(dirname "$0")/lib.sh"
plan 9

out=$("$AGENT" status -c "$F/agent.conf" 2>&1)
rc=$?
echo "$out" | diag
check "status without a daemon says it is not running and how to start it" \
	test $rc = 3 -a -n "$(echo "$out" | grep 'not running')" \
	-a -n "$(echo "$out" | grep -- "hgs-agent -c $F/agent.conf")"

check "the agent starts and answers on its socket" start_agent agent
check "it attests at start: state valid" wait_state valid 90
st=$(status_json)
# the fields below from one jfield start (each is a process start in the guest)
{ read -r att; read -r mod_level; read -r cn; read -r level; read -r mode; read -r left
  read -r renew_at; read -r not_after; read -r hgs0; } <<<"$(
	echo "$st" | jf attestation attestation.module.isolation_level \
		attestation.certificate.{subject_cn,isolation_level,attestation_mode} \
		attestation.certificate.{seconds_left,renew_at,not_after} hgs.0.state)"
echo "$att" | diag
check "the certificate names this host and the module's level ($mod_level), host-key mode" \
	test "$cn $level $mode" = "fabric-host $mod_level host-key"
check "the certificate is valid for hours ($left s left) and renewal is scheduled before expiry" \
	test "$left" -gt 3600 -a "$renew_at" -lt "$not_after"
check "the primary HGS URL is reachable" \
	test "$hgs0" = reachable
human=$("$AGENT" status -c "$AGENT_CONF")
echo "$human" | diag
check "human status shows state, certificate and HGS" \
	test -n "$(echo "$human" | grep '^attestation:  valid')" \
	-a -n "$(echo "$human" | grep '^certificate:  CN=fabric-host')" \
	-a -n "$(echo "$human" | grep 'primary.*reachable')"
check "socket is root-only (0600, root) without socket_group" \
	test "$(stat -c '%a %U' "$SOCK")" = "600 root"
stop_agent
rc=$?
check "SIGTERM stops it cleanly (exit $rc, socket removed, logged)" \
	test $rc = 0 -a ! -e "$SOCK" -a -n "$(grep 'event=stopped' "$AGENT_LOG")"
finish
