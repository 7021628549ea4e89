#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""cluster_probe.py - how long a change made through one hgsd node takes
to be enforced by another (tests/06d-cluster-revocation, cluster.sh's
cluster-revoke-a).

    cluster_probe.py URL CAFILE BODYFILE WANT TIMEOUT_S -- CMD...

POSTs BODYFILE to URL on one keep-alive HTTPS connection (so the
measure is not a TLS handshake's), checks the node answers Passed, runs
CMD (the admin change, through another node), then POSTs again every
10 ms until the answer's substatus is WANT or TIMEOUT_S passed. Prints
one line: status=S ms=N sent_ms=M last_passed_ms=P cmd_ms=C, N being
the time from CMD's return to the end of the first refused request (the
upper bound asserted), M to its start, P to the start of the last one
still Passed. Exit 0 when WANT was seen, 1 otherwise, 2 on usage.
"""
import http.client
import json
import ssl
import subprocess
import sys
import time
import urllib.parse


def now_ms():
    return time.monotonic() * 1000.0


class Node:
    def __init__(self, url, cafile, body):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.body = body
        self.conn = None

    def status(self):
        """The answer's substatus (or status when it has none)."""
        for _ in range(2):	# one reconnect: the node may close an idle link
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(
                        self.host, self.port, context=self.ctx, timeout=5)
                self.conn.request("POST", self.path, body=self.body,
                                  headers={"Content-Type": "application/json"})
                ans = json.loads(self.conn.getresponse().read() or b"{}")
                return str(ans.get("substatus") or ans.get("status") or "none")
            except (OSError, http.client.HTTPException, ValueError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
        return "unreachable"


def main(argv):
    if len(argv) < 8 or argv[6] != "--":
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    url, cafile, bodyfile, want, timeout_s = argv[1:6]
    with open(bodyfile, "rb") as f:
        node = Node(url, cafile, f.read())
    first = node.status()
    if first != "Passed":
        print("status=%s ms=-1 msg=not honored before the change" % first)
        return 1
    t_cmd = now_ms()
    if subprocess.run(argv[7:], stdout=subprocess.DEVNULL).returncode:
        print("status=%s ms=-1 msg=the change failed" % first)
        return 1
    t0 = now_ms()
    last_passed = 0.0
    st = first
    while True:
        sent = now_ms()
        st = node.status()
        done = now_ms()
        if st == want or done - t0 > float(timeout_s) * 1000:
            break
        if st == "Passed":
            last_passed = sent - t0
        time.sleep(0.01)
    print("status=%s ms=%d sent_ms=%d last_passed_ms=%d cmd_ms=%d" %
          (st, done - t0, sent - t0, max(last_passed, 0), t0 - t_cmd))
    return 0 if st == want else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
