#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Who may talk to the agent: root and members of socket_group (4242 here).
# The socket is 0660 root:4242; a process outside the group cannot connect;
# even when an admin opens the socket's mode, the agent's SO_PEERCRED check
# refuses it (logged). A member gets its key, owned by its uid, and can
# use it.
. "$(dirname "$0")/lib.sh"
plan 9

NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)
MEMBER=(setpriv --reuid 65534 --regid 65534 --groups 4242)

check "the agent starts with socket_group = 4242" eval 'start_agent agent-group && wait_state valid 90'
check "socket is 0660 root:4242" test "$(stat -c '%a %u:%g' "$SOCK")" = "660 0:4242"
# a worker group owns the device too, as on a real host
chgrp 4242 /dev/vmshield && chmod 0660 /dev/vmshield
# the shared dir is root-only: give uid 65534 copies of its VMs' files
V=/tmp/peer-vms.$$
mkdir -m 0755 -p "$V" && cp "$F"/vms/peer.* "$F"/vms/member.* "$V"/ && chmod 0644 "$V"/*

OUT=$("${NOBODY[@]}" "$WORKER" --vm "$(uuid_of peer)" --kp "$V/peer.kp" 2>&1)
RC=$?
echo "$OUT" | diag
check "outside the group: cannot connect (EACCES)" test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'errno=13')"

chmod 0666 "$SOCK"	# a careless admin
OUT=$("${NOBODY[@]}" "$WORKER" --vm "$(uuid_of peer)" --kp "$V/peer.kp" 2>&1)
RC=$?
echo "$OUT" | diag
check "socket opened up: the agent still refuses the peer (PeerNotAllowed)" \
	test "$RC" = 1 -a -n "$(echo "$OUT" | grep 'substatus=PeerNotAllowed')"
check "the refusal is logged with the peer's uid" grep -q 'event=peer_refused uid=65534' "$AGENT_LOG"
check "no key was loaded for that peer" no_key peer
chmod 0660 "$SOCK"

OUT=$("${MEMBER[@]}" "$WORKER" --vm "$(uuid_of member)" --kp "$V/member.kp" \
	--unseal "$V/member.sealed" --expect "$V/member.plain" --roundtrip 2>&1)
RC=$?
echo "$OUT" | diag
check "a member of socket_group gets its key and seals/unseals with it" \
	test "$RC" = 0 -a -n "$(echo "$OUT" | grep 'unseal matches')" -a -n "$(echo "$OUT" | grep 'roundtrip ok')"
serial=$(echo "$OUT" | sed -n 's/^released serial=\([0-9]*\) .*/\1/p')
desc=$("${MEMBER[@]}" keyctl rdescribe "$serial" 2>&1)
echo "key $serial: $desc" | diag
check "the key belongs to the member's uid (the kernel says: $desc)" \
	test "$(echo "$desc" | cut -d';' -f1,2,5)" = "vmshield;65534;vm:$(uuid_of member)"
check "status lists it with the member's uid" \
	test "$(status_f "keys.loaded_keys[vm_id=$(uuid_of member)].uid")" = 65534
chmod 0600 /dev/vmshield; chgrp 0 /dev/vmshield
rm -rf "$V"
finish
