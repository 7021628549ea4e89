#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""libvirt-hook.py - libvirt's qemu hook for shielded VMs.

Installed as /etc/libvirt/hooks/qemu.d/vmshield (make install; libvirt runs
every hook in qemu.d/ as it runs /etc/libvirt/hooks/qemu) as
    qemu DOMAIN OPERATION SUB-OPERATION EXTRA    (domain XML on stdin)

A domain is shielded when its <metadata> carries

    <vmshield:vm xmlns:vmshield="urn:vmshield:domain:1">
      <vmshield:policy>shielded</vmshield:policy>   (or encryption-supported)
      <vmshield:kp>/var/lib/vmshield/vm01.kp</vmshield:kp>
      <vmshield:state>/var/lib/vmshield/vm01.state</vmshield:state>
      <vmshield:roll>off</vmshield:roll>     (optional; see below)
    </vmshield:vm>

At "prepare begin" the hook refuses to start a shielded domain that offers
the host admin a way into the guest (a serial, console, parallel port or
channel to the host, graphics, a gdb stub or extra monitor on the QEMU
command line, a TPM backend other than the worker's socket); for an
encryption-supported domain the same findings are warnings. It then
starts `vmshield-worker serve`, which asks hgs-agent for the VM's key: a
host that cannot attest fails the start with the agent's reason (libvirt
shows the hook's stderr in `virsh start`'s error). At "release end" it
stops a worker that is still running. At "migrate begin" (libvirt runs it
on the destination before an incoming migration) it refuses a shielded
domain unless this host's libvirt forces TLS on migrations
(qemu.conf: migrate_tls_force = 1, peers verified, the x509 directory
holding the CA and this host's server certificate and key): "shielded
VMs migrate only over TLS to an attested host". It then finds the host
the domain comes from: <vmshield:source-host>NAME</vmshield:source-host>
in the metadata (set by whoever starts the migration: the name HGS knows
the source by), else HGS's last release of the VM (VMSHIELD_VM_STATUS: a
`shieldctl vm ... --json` command with reviewer credentials, the VM id
appended after "status"); a shielded domain whose source is unknown is
refused. It notes the source in <run dir>/<uuid>.incoming, and the
"prepare begin" that follows (within 10 minutes) starts the worker with
`serve --incoming SOURCE`: the destination gets the migration's roll
(Documentation/migration.md §2.4), not a start's. Other domains and
operations pass.

The worker rolls the VM's transport key at every start (KPS releases the
current TK and a new one, the state is re-sealed under the new one and the
KP file replaced: Documentation/migration.md §1). <vmshield:roll>off</...>
starts an encryption-supported domain without the roll (the worker's
--no-roll: its admin may revert snapshots, vTPM state included); for a
shielded domain it is refused here, and the worker refuses it too (it reads
the policy from the owner-signed KP, not from this XML).

The worker's control socket is /run/vmshield/<uuid>.ctrl; the domain's
TPM must be
    <tpm model='tpm-tis'><backend type='external'>
      <source type='unix' mode='connect' path='/run/vmshield/<uuid>.ctrl'/>
    </backend></tpm>

Environment (tests): VMSHIELD_WORKER (the worker binary),
VMSHIELD_RUN_DIR (instead of /run/vmshield), VMSHIELD_HOOK_CHECK_ONLY=1
(check the XML, start nothing), VMSHIELD_QEMU_USER (who QEMU runs as,
default libvirt-qemu), VMSHIELD_AGENT (hgs-agent's socket),
VMSHIELD_QEMU_CONF (instead of /etc/libvirt/qemu.conf), VMSHIELD_VM_STATUS
(the command that asks HGS for a VM's status, e.g. "shieldctl vm --url URL
--ca CA --cert C --tls-key K --json"; unset: no lookup).
Exit 0: go on; 1: refused (the reason on stderr).
"""
import json
import os
import pwd
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

NS = "urn:vmshield:domain:1"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
WORKER = os.environ.get("VMSHIELD_WORKER", "/usr/libexec/vmshield-worker")
RUN_DIR = os.environ.get("VMSHIELD_RUN_DIR", "/run/vmshield")
# QEMU command-line options that open a way into the guest
RISKY_ARGS = {
    "-gdb": "a gdb stub", "-s": "a gdb stub", "-monitor": "a monitor",
    "-qmp": "a QMP monitor", "-serial": "a serial port",
    "-chardev": "a character device to the host", "-vnc": "a VNC display",
    "-spice": "a SPICE display", "-display": "a display",
    "-device": None,    # checked by value below
}


def say(msg):
    print(f"vmshield: {msg}", file=sys.stderr)


def shielding(dom):
    """(policy, kp, state, roll) from the domain's metadata, or None."""
    vm = dom.find(f"metadata/{{{NS}}}vm")
    if vm is None:
        return None
    get = lambda tag: (vm.findtext(f"{{{NS}}}{tag}") or "").strip()
    return get("policy"), get("kp"), get("state"), get("roll") or "on"


def socket_path(uuid):
    return os.path.join(RUN_DIR, f"{uuid}.ctrl")


def findings(dom, uuid):
    """What offers the host a way into the guest, one sentence each."""
    out = []
    devices = dom.find("devices")
    devices = devices if devices is not None else ET.Element("devices")
    for tag, what in (("serial", "a serial port"), ("console", "a console"),
                      ("parallel", "a parallel port"),
                      ("channel", "a channel")):
        for d in devices.findall(tag):
            out.append(f"<{tag} type='{d.get('type', '?')}'>: {what} to the host")
    for g in devices.findall("graphics"):
        out.append(f"<graphics type='{g.get('type', '?')}'>: the guest's screen and keyboard to the host")
    tpms = devices.findall("tpm")
    want = socket_path(uuid)
    if not tpms:
        out.append("no <tpm>: the VM needs its vTPM from vmshield-worker")
    for t in tpms:
        b = t.find("backend")
        src = b.find("source") if b is not None else None
        if b is None or b.get("type") != "external" or src is None or \
                src.get("type") != "unix" or src.get("path") != want:
            out.append(f"<tpm> backend is not vmshield-worker's socket: use <backend type='external'><source type='unix' mode='connect' path='{want}'/></backend>")
    cmdline = dom.find(f"{{{QEMU_NS}}}commandline")
    args = [a.get("value", "") for a in cmdline.findall(f"{{{QEMU_NS}}}arg")] \
        if cmdline is not None else []
    for i, a in enumerate(args):
        if a in RISKY_ARGS and RISKY_ARGS[a]:
            out.append(f"qemu:commandline '{a}': {RISKY_ARGS[a]}")
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a == "-device" and nxt.split(",")[0] in ("isa-debugcon",
                                                    "pci-serial"):
            out.append(f"qemu:commandline '-device {nxt}': a port to the host")
    return out


def qemu_ids():
    user = os.environ.get("VMSHIELD_QEMU_USER", "libvirt-qemu")
    try:
        pw = pwd.getpwnam(user)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return None


def start_worker(uuid, kp, state, roll, incoming=None):
    """Start serve; 0 when its socket is up, 1 with the worker's reason."""
    os.makedirs(RUN_DIR, mode=0o700, exist_ok=True)
    sock = socket_path(uuid)
    ctrl = f"type=unixio,path={sock}"
    ids = qemu_ids()
    if ids:
        ctrl += f",mode=0600,uid={ids[0]},gid={ids[1]}"
    log = os.path.join(RUN_DIR, f"{uuid}.log")
    args = [WORKER, "serve", "--vm", uuid, "--state", state, "--kp", kp,
            "--ctrl", ctrl, "--terminate"]
    if incoming:
        args += ["--incoming", incoming]    # the migration's roll, not a start's
    elif roll == "off":
        args.append("--no-roll")
    if os.environ.get("VMSHIELD_AGENT"):
        args += ["--agent", os.environ["VMSHIELD_AGENT"]]
    with open(log, "ab") as f:
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(RUN_DIR, f"{uuid}.pid"), "w") as f:
        f.write(f"{p.pid}\n")
    for _ in range(600):            # the agent may attest first
        if os.path.exists(sock):
            return 0
        if p.poll() is not None:
            break
        time.sleep(0.1)
    else:
        p.kill()
    lines = open(log, errors="replace").read().splitlines()
    why = [l for l in lines if "no key" in l or "no rolled key" in l or
           "refus" in l or "cannot" in l]
    say(f"cannot start the vTPM of {uuid}: " +
        ((why or lines or ["the worker did not start"])[-1]))
    return 1


def stop_worker(uuid):
    try:
        pid = int(open(os.path.join(RUN_DIR, f"{uuid}.pid")).read())
        os.kill(pid, 15)
    except (OSError, ValueError):
        pass
    return 0


MIGRATION_REFUSAL = "shielded VMs migrate only over TLS to an attested host"
MIGRATION_TLS_FILES = ("ca-cert.pem", "server-cert.pem", "server-key.pem")


def qemu_conf():
    """qemu.conf's simple 'key = value' settings (strings unquoted)."""
    path = os.environ.get("VMSHIELD_QEMU_CONF", "/etc/libvirt/qemu.conf")
    conf = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if "=" in line:
                    k, v = (x.strip() for x in line.split("=", 1))
                    conf[k] = v.strip('"')
    except OSError as e:
        say(f"cannot read {path}: {e.strerror}")
        return None
    return conf


def check_migration(name, policy):
    """migrate begin: a shielded domain comes in only over verified TLS."""
    if policy != "shielded":
        return 0
    conf = qemu_conf()
    why = None
    if conf is None:
        why = "libvirt's qemu.conf cannot be read"
    elif conf.get("migrate_tls_force") != "1":
        why = "this host's libvirt does not force TLS on migrations (qemu.conf: migrate_tls_force = 1)"
    elif conf.get("migrate_tls_x509_verify",
                  conf.get("default_tls_x509_verify", "1")) != "1":
        why = "migration TLS does not verify the peer's certificate (migrate_tls_x509_verify)"
    else:
        d = conf.get("migrate_tls_x509_cert_dir",
                     conf.get("default_tls_x509_cert_dir", "/etc/pki/qemu"))
        missing = [f for f in MIGRATION_TLS_FILES
                   if not os.path.isfile(os.path.join(d, f))]
        if missing:
            why = f"the migration TLS directory {d} lacks {', '.join(missing)}"
    if why:
        say(f"refusing the incoming migration of shielded domain {name}: {MIGRATION_REFUSAL}: {why}")
        return 1
    return 0


HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
INCOMING_TTL_S = 600


def incoming_path(uuid):
    return os.path.join(RUN_DIR, f"{uuid}.incoming")


def source_host(dom, uuid):
    """(host, how) the domain migrates in from, or (None, why not)."""
    vm = dom.find(f"metadata/{{{NS}}}vm")
    named = (vm.findtext(f"{{{NS}}}source-host") or "").strip()
    if named:
        return named, "<vmshield:source-host>"
    cmd = os.environ.get("VMSHIELD_VM_STATUS")
    if not cmd:
        return None, "no <vmshield:source-host> in its metadata and no VMSHIELD_VM_STATUS to ask HGS"
    try:
        p = subprocess.run(shlex.split(cmd) + ["status", uuid], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
        ans = json.loads(p.stdout or b"null") if p.returncode == 0 else None
        host = ((ans or {}).get("vm") or ans or {}).get("host")
    except (OSError, ValueError, AttributeError, subprocess.TimeoutExpired) as e:
        return None, f"asking HGS for the VM's last release failed: {e}"
    if not isinstance(host, str) or not host:
        return None, "HGS names no last release of this VM (exit " + \
            f"{p.returncode}: {p.stderr.decode(errors='replace').strip()[:200]})"
    return host, "HGS's last release"


def note_incoming(name, policy, dom, uuid):
    """migrate begin: note where the domain comes from for prepare begin."""
    host, how = source_host(dom, uuid)
    if host is not None and not HOST_NAME.match(host):
        host, how = None, f"'{host[:80]}' is not a host name"
    if host is None:
        if policy != "shielded":
            return 0    # encryption-supported: an ordinary start, as before
        say(f"refusing the incoming migration of shielded domain {name}: its source host is unknown ({how}): the destination would get a start's roll, not the migration's; set <vmshield:source-host> to the name HGS knows the source by")
        return 1
    os.makedirs(RUN_DIR, mode=0o700, exist_ok=True)
    tmp = incoming_path(uuid) + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{host}\n")
    os.replace(tmp, incoming_path(uuid))
    say(f"domain {name} migrates in from {host} ({how})")
    return 0


def take_incoming(uuid):
    """The source noted by migrate begin (consumed), or None."""
    path = incoming_path(uuid)
    try:
        age = time.time() - os.stat(path).st_mtime
        host = open(path).read().strip()
        os.unlink(path)
    except OSError:
        return None
    if age > INCOMING_TTL_S or not HOST_NAME.match(host):
        return None     # stale: not this start's migration
    return host


def main():
    if len(sys.argv) < 3:
        return 0
    op, sub = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "-"
    if (op, sub) not in (("prepare", "begin"), ("release", "end"),
                         ("migrate", "begin")):
        return 0
    try:
        dom = ET.fromstring(sys.stdin.read())
    except ET.ParseError as e:
        say(f"cannot read the domain XML: {e}")
        return 1
    s = shielding(dom)
    if s is None:
        return 0
    policy, kp, state, roll = s
    uuid = (dom.findtext("uuid") or "").strip().lower()
    name = dom.findtext("name") or sys.argv[1]
    if op == "release":
        return stop_worker(uuid)
    if op == "migrate":
        if check_migration(name, policy):
            return 1
        if os.environ.get("VMSHIELD_HOOK_CHECK_ONLY") == "1" or not uuid:
            return 0
        return note_incoming(name, policy, dom, uuid)
    if policy not in ("shielded", "encryption-supported") or not kp or \
            not state or not uuid:
        say(f"domain {name}: vmshield metadata needs <policy> shielded or encryption-supported, <kp> and <state>, and the domain a <uuid>")
        return 1
    if roll not in ("on", "off"):
        say(f"domain {name}: <vmshield:roll> is on or off, not '{roll}'")
        return 1
    if roll == "off" and policy == "shielded":
        say(f"refusing to start shielded domain {name} with <vmshield:roll>off: a shielded VM's transport key rolls at every start (only encryption-supported may opt out)")
        return 1
    if dom.find("features/acpi") is None:
        # libvirt then gives QEMU -no-acpi: no TPM2 table, so neither the
        # firmware nor the guest finds the vTPM (a warning: nothing leaks)
        say(f"domain {name}: no <features><acpi/></features>: the firmware and the guest will not find the vTPM (warning)")
    found = findings(dom, uuid)
    for f in found:
        say(f"domain {name} ({policy}): {f}" +
            ("" if policy == "shielded" else " (warning)"))
    if found and policy == "shielded":
        say(f"refusing to start shielded domain {name}: remove what the lines above name")
        return 1
    if os.environ.get("VMSHIELD_HOOK_CHECK_ONLY") == "1":
        return 0
    return start_worker(uuid, kp, state, roll, take_incoming(uuid))


if __name__ == "__main__":
    sys.exit(main())
