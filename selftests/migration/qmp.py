#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py - one QMP command to an inner QEMU, for the migration tests.

    qmp.py SOCKET COMMAND [JSON-ARGUMENTS]   prints the command's return (JSON)
    qmp.py SOCKET status                     prints the VM's run state
    qmp.py SOCKET wait-migration SECONDS     until query-migrate says completed,
                                             failed or cancelled; prints it

Host root's moves in the tests go through here (a plain `migrate` that
vmshield-migrate.py would refuse). Exit 0, or 1 with QEMU's error.
"""
import json
import socket
import sys
import time


def qmp(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    f = s.makefile("rwb")

    def call(name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        f.write(json.dumps(req).encode() + b"\n")
        f.flush()
        while True:
            msg = json.loads(f.readline() or b"{}")
            if not msg:
                raise OSError("QEMU closed its QMP socket")
            if "event" in msg:
                continue
            if "error" in msg:
                raise OSError(f"{name}: {msg['error'].get('desc')}")
            return msg.get("return")

    json.loads(f.readline())        # the greeting
    call("qmp_capabilities")
    return call


def main():
    call = qmp(sys.argv[1])
    what = sys.argv[2]
    if what == "status":
        print(call("query-status")["status"])
    elif what == "wait-migration":
        end = time.monotonic() + float(sys.argv[3])
        st = call("query-migrate")
        while st.get("status") not in ("completed", "failed", "cancelled") \
                and time.monotonic() < end:
            time.sleep(0.2)
            st = call("query-migrate")
        print(st.get("status"), st.get("error-desc", ""))
    else:
        args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
        print(json.dumps(call(what, args)))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, IndexError) as e:
        print(f"qmp.py: {e}", file=sys.stderr)
        sys.exit(1)
