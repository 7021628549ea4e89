#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vmshield-migrate.py - live-migrate a VM whose vTPM is vmshield-worker's.

    vmshield-migrate.py out --qmp SOCK --vm UUID --state FILE --uri URI
                            --dst-host NAME [--tls-creds DIR]
                            [--tls-hostname NAME] [--policy P] [--timeout S]
                            [--agent SOCK]
    vmshield-migrate.py in  --qmp SOCK --uri URI [--tls-creds DIR]
                            [--policy P] [--timeout S]

`out` (the source host) refuses, before it asks QEMU for anything, a
shielded VM's migration that is not over TLS (no --tls-creds, or a URI
other than tcp: or unix:) or names no destination host; then gives QEMU a
tls-creds-x509 object (endpoint client, the peer verified) and the
migration parameters tls-creds / tls-hostname, checks QEMU took them,
announces the migration to the VM's worker (FILE.migrate-out: the
worker's state blobs leave only while it is there, see
userspace/worker/migrate_gate.h), starts the migration and waits for its
end. The announcement is removed at the end, whatever happened. Once
QEMU says completed (never before: until then the VM may resume here),
with --agent it tells hgs-agent `migrated` (Documentation/agent.md): the
agent revokes the VM's key in this host's module, then tells KPS; while
KPS answers MigrationNotConfirmed (the destination has not confirmed its
roll yet) it asks again, for up to a minute.

`in` (the destination, QEMU started with -incoming defer) sets up the
server side: tls-creds-x509 (endpoint server, client certificates
verified), tls-creds, migrate-incoming URI; it waits until the VM runs.

QEMU's TLS directory holds ca-cert.pem and, for the client (source),
client-cert.pem + client-key.pem, for the server (destination)
server-cert.pem + server-key.pem (QEMU's names). How the fabric provides
them: Documentation/migration.md §2.4.

--policy is the VM's KP policy (default shielded: fail closed); an
encryption-supported VM may migrate without TLS (a warning). Prints one
line per step and, at the end, `migration: completed in S s, N bytes of
RAM, downtime D ms`. Exit 0: the migration completed; 1: refused or
failed (the VM keeps running where it was); 2: usage.
"""
import argparse
import json
import os
import signal
import socket
import sys
import tempfile
import time

TLS_ID = "vmshield-migration-tls"
REFUSAL = "shielded VMs migrate only over TLS to an attested host"
ANNOUNCE_MAGIC = "vmshield-migrate-out 1"
ANNOUNCE_SUFFIX = ".migrate-out"
# A test hold (migrate_tls_test.sh), as VMSHIELD_WORKER_ROLL_WAIT is the
# worker's: VMSHIELD_MIGRATE_WAIT=announced stops `out` once the
# announcement is written, before QEMU is asked to migrate, until SIGUSR1,
# so that a test sees a state that stays (a migration of a VM without RAM
# ends in under a millisecond). Only a test sets it: any other value, or
# together with --agent (every migration of the fabric tells the agent),
# is a usage error before anything is done; a hold never released ends
# with the announcement's expiry (--timeout): the migration fails, the VM
# runs on here, the announcement is removed.
HOLD_ENV = "VMSHIELD_MIGRATE_WAIT"
HOLD_STEP = "announced"
TLS_FILES = {"client": ("ca-cert.pem", "client-cert.pem", "client-key.pem"),
             "server": ("ca-cert.pem", "server-cert.pem", "server-key.pem")}


def say(msg):
    print(f"vmshield-migrate: {msg}", flush=True)


class Refused(Exception):
    pass


class Qmp:
    """QEMU's QMP on a Unix socket: one command at a time, events skipped."""

    def __init__(self, path, timeout):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self._read()                    # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("QEMU closed its QMP socket")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n")
        self.f.flush()
        msg = self._read()
        if "error" in msg:
            raise OSError(f"QEMU: {name}: {msg['error'].get('desc', msg['error'])}")
        return msg.get("return")


def transport(uri):
    return uri.split(":", 1)[0] if ":" in uri else ""


def check_tls(a, endpoint):
    """Refuse (Refused) what a shielded VM may not do; nothing is sent yet."""
    if a.policy != "shielded":
        if not a.tls_creds:
            say(f"warning: migrating an {a.policy} VM without TLS")
        return
    if transport(a.uri) not in ("tcp", "unix"):
        raise Refused(f"{REFUSAL}: the URI {a.uri!r} is not a tcp: or unix: "
                      "socket QEMU can run TLS on")
    if not a.tls_creds:
        raise Refused(f"{REFUSAL}: a plain {transport(a.uri)}: migration "
                      "(give --tls-creds with the fabric's migration certificates)")
    if endpoint == "client" and not a.dst_host:
        raise Refused(f"{REFUSAL}: no destination host named (--dst-host)")
    missing = [f for f in TLS_FILES[endpoint]
               if not os.path.isfile(os.path.join(a.tls_creds, f))]
    if missing:
        raise Refused(f"{REFUSAL}: {a.tls_creds} lacks {', '.join(missing)}")


def tls_setup(q, a, endpoint):
    """tls-creds-x509 with the peer verified; check QEMU took it."""
    if not a.tls_creds:
        return
    q.cmd("object-add", **{"qom-type": "tls-creds-x509", "id": TLS_ID,
                           "dir": a.tls_creds, "endpoint": endpoint,
                           "verify-peer": True})
    params = {"tls-creds": TLS_ID}
    if endpoint == "client":
        params["tls-hostname"] = a.tls_hostname or a.dst_host
    q.cmd("migrate-set-parameters", **params)
    got = q.cmd("query-migrate-parameters")
    if got.get("tls-creds") != TLS_ID:
        raise Refused(f"{REFUSAL}: QEMU did not take the TLS credentials")
    say(f"TLS: QEMU's migration uses {a.tls_creds} ({endpoint}, peer verified)")


def announce(a):
    """FILE.migrate-out, written atomically, mode 0600 (migrate_gate.h)."""
    path = a.state + ANNOUNCE_SUFFIX
    line = (f"{ANNOUNCE_MAGIC} vm={a.vm} transport=tls dst={a.dst_host} "
            f"expires={int(time.time()) + a.timeout}\n")
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=".migrate-out.")
    with os.fdopen(fd, "w") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    return path


def wait_out(q, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = q.cmd("query-migrate")
        if st.get("status") in ("completed", "failed", "cancelled"):
            return st
        time.sleep(0.2)
    q.cmd("migrate_cancel")
    return {"status": "failed", "error-desc": f"not done in {timeout} s: cancelled"}


def agent_call(path, req, timeout=120):
    """One request line to hgs-agent, its one answer line (JSON)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(json.dumps(req).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data or b"{}")


def tell_migrated(a):
    """migrated: the source's key revoked here, KPS told."""
    end = time.monotonic() + 60
    while True:
        ans = agent_call(a.agent, {"op": "migrated", "vm_id": a.vm})
        if ans.get("status") == "Passed":
            say(f"hgs-agent: the VM's key revoked here ({ans.get('revoked')} "
                f"key(s)), KPS at TK version {ans.get('tk_version')}")
            return 0
        if ans.get("substatus") != "MigrationNotConfirmed" or \
                time.monotonic() > end:
            say(f"hgs-agent: migrated: {ans.get('message', ans)} "
                f"({ans.get('substatus', '')})")
            return 1
        time.sleep(1)


def cmd_out(a):
    check_tls(a, "client")
    if a.policy == "shielded" and not a.state:
        raise Refused(f"{REFUSAL}: --state names the VM's sealed state (the worker's announcement goes next to it)")
    q = Qmp(a.qmp, 180)
    tls_setup(q, a, "client")
    if a.hold:      # blocked before it is announced: no SIGUSR1 is lost
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    path = announce(a) if a.tls_creds else None
    t0 = time.monotonic()
    try:
        if a.hold and not hold(a):
            print(f"vmshield-migrate: migration failed: {HOLD_ENV}={HOLD_STEP}: "
                  f"not released in {a.timeout} s; the VM is "
                  f"{q.cmd('query-status').get('status')} on this host",
                  file=sys.stderr, flush=True)
            return 1
        q.cmd("migrate", uri=a.uri)
        say(f"migrating {a.vm} to {a.dst_host or a.uri} over "
            f"{'TLS' if a.tls_creds else 'plain ' + transport(a.uri)}")
        st = wait_out(q, a.timeout)
    finally:
        if path:
            os.unlink(path)
    secs = time.monotonic() - t0
    if st.get("status") != "completed":
        say(f"migration failed: {st.get('error-desc', st.get('status'))}; "
            f"the VM is {q.cmd('query-status').get('status')} on this host")
        return 1
    ram = st.get("ram", {})
    print(f"migration: completed in {secs:.1f} s, {ram.get('transferred', 0)} "
          f"bytes of RAM, downtime {st.get('downtime', 0)} ms", flush=True)
    if not a.agent:
        say("no --agent: the VM's key stays loaded on this host")
        return 0
    return tell_migrated(a)


def hold(a):
    """The test hold: wait for SIGUSR1, at most until the announcement expires."""
    say(f"{HOLD_ENV}={HOLD_STEP}: waiting here (pid {os.getpid()}; SIGUSR1 goes on)")
    return signal.sigtimedwait([signal.SIGUSR1], a.timeout) is not None


def cmd_in(a):
    check_tls(a, "server")
    q = Qmp(a.qmp, 180)
    tls_setup(q, a, "server")
    q.cmd("migrate-incoming", uri=a.uri)
    say(f"listening for the incoming migration on {a.uri}")
    end = time.monotonic() + a.timeout
    while time.monotonic() < end:
        status = q.cmd("query-status").get("status")
        if status == "running":
            say("the migrated VM runs here")
            return 0
        if status not in ("inmigrate", "prelaunch", "paused", "finish-migrate"):
            break
        time.sleep(0.2)
    say(f"the incoming migration did not complete (VM {status})")
    return 1


def main():
    p = argparse.ArgumentParser(prog="vmshield-migrate")
    p.add_argument("direction", choices=("out", "in"))
    p.add_argument("--qmp", required=True, help="QEMU's QMP Unix socket")
    p.add_argument("--uri", required=True)
    p.add_argument("--vm", default="")
    p.add_argument("--state", default="")
    p.add_argument("--dst-host", default="")
    p.add_argument("--tls-creds", default="")
    p.add_argument("--tls-hostname", default="")
    p.add_argument("--policy", default="shielded",
                   choices=("shielded", "encryption-supported"))
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--agent", default="",
                   help="hgs-agent's socket: tell it `migrated` afterwards")
    a = p.parse_args()
    if a.direction == "out" and not a.vm:
        p.error("out needs --vm")
    a.hold = os.environ.get(HOLD_ENV)
    if a.hold is not None:
        if a.direction != "out" or a.hold != HOLD_STEP:
            p.error(f"{HOLD_ENV} (a test hold) is only {HOLD_ENV}={HOLD_STEP}, for out")
        if a.agent:
            p.error(f"{HOLD_ENV} is a test hold: never with --agent")
    try:
        return cmd_out(a) if a.direction == "out" else cmd_in(a)
    except Refused as e:
        print(f"vmshield-migrate: refused: {e}", file=sys.stderr, flush=True)
        return 1
    except OSError as e:
        print(f"vmshield-migrate: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
