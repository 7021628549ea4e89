#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vmm_probe.py - play the VMM on `vmshield-worker serve`'s control socket.

Connects to the control channel, passes a data channel with CMD_SET_DATAFD
(as QEMU does) and sends TPM 2.0 commands on it, so a rig test can look at
the vTPM after (or instead of) a VM:

  vmm_probe.py SOCKET pcrs            PCR 0-7 (SHA-256), one hex line each
  vmm_probe.py SOCKET nvread INDEX N  N bytes of NV INDEX (its empty auth), raw
  vmm_probe.py SOCKET nvwrite-loop INDEX COUNT [START]
                                      define INDEX (16 bytes) if needed, then
                                      write "value <i>" for i = START (0) ..
                                      START + COUNT - 1, printing "acked <i>"
                                      after each answer
  vmm_probe.py SOCKET init            CMD_INIT and TPM2_Startup(CLEAR)
  vmm_probe.py SOCKET nv-round INDEX FLOOR ACKS
                                      the crash test's one process a boot:
                                      init; read INDEX (16 bytes) unless FLOOR
                                      is "-"; print "value N" (N as read, -1
                                      with "-"); then wait for a line on
                                      stdin: "go" writes N+1, N+2... as
                                      nvwrite-loop does, "acked i" lines into
                                      the file ACKS; "stop" sends CMD_SHUTDOWN
  vmm_probe.py SOCKET shutdown        CMD_SHUTDOWN

Exit 0 on success; 1 with a message on stderr otherwise.
"""
import socket
import struct
import sys
import time

CMD_INIT, CMD_SHUTDOWN, CMD_SET_DATAFD = 0x02, 0x03, 0x10
PW_SESSION = struct.pack(">IIHBH", 9, 0x40000009, 0, 0, 0)   # empty owner auth
OWNER = 0x40000001


def ctrl(sock, cmd, body=b"", fds=None, rlen=4):
    msg = struct.pack(">I", cmd) + body
    if fds:
        socket.send_fds(sock, [msg], fds)
    else:
        sock.sendall(msg)
    data = b""
    while len(data) < rlen:
        chunk = sock.recv(rlen - len(data))
        if not chunk:
            raise OSError("control channel closed")
        data += chunk
    return struct.unpack(">I", data[:4])[0]


RETRY_CODES = (0x908, 0x920, 0x922)    # YIELDED, NV_RATE, RETRY


def tpm(dsock, cc, body, tag=0x8001):
    """One command; repeated (as a TSS does) while the TPM says retry."""
    for _ in range(50):
        rc, rest = tpm_once(dsock, cc, body, tag)
        if rc not in RETRY_CODES:
            break
        time.sleep(0.05)
    return rc, rest


def tpm_once(dsock, cc, body, tag):
    cmd = struct.pack(">HII", tag, 10 + len(body), cc) + body
    dsock.sendall(cmd)
    hdr = b""
    while len(hdr) < 10:
        chunk = dsock.recv(10 - len(hdr))
        if not chunk:
            raise OSError("data channel closed without an answer")
        hdr += chunk
    _, size, rc = struct.unpack(">HII", hdr)
    rest = b""
    while len(rest) < size - 10:
        chunk = dsock.recv(size - 10 - len(rest))
        if not chunk:
            raise OSError("data channel closed mid-answer")
        rest += chunk
    return rc, rest


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    mine, theirs = socket.socketpair()
    res = ctrl(sock, CMD_SET_DATAFD, fds=[theirs.fileno()])
    theirs.close()
    if res:
        raise OSError(f"CMD_SET_DATAFD: 0x{res:x}")
    return sock, mine


def pcrs(dsock):
    body = struct.pack(">IHB3s", 1, 0x000B, 3, b"\xff\x00\x00")
    rc, rest = tpm(dsock, 0x17E, body)
    if rc:
        raise OSError(f"TPM2_PCR_Read: 0x{rc:x}")
    off = 4 + 10
    (count,) = struct.unpack(">I", rest[off:off + 4])
    off += 4
    for i in range(count):
        (n,) = struct.unpack(">H", rest[off:off + 2])
        print(f"{i} {rest[off + 2:off + 2 + n].hex()}")
        off += 2 + n


def nvread(dsock, index, size):
    # the index's own (empty) auth: the worker's indices are AUTHREAD
    body = struct.pack(">II", index, index) + PW_SESSION + struct.pack(">HH", size, 0)
    rc, rest = tpm(dsock, 0x14E, body, tag=0x8002)
    if rc:
        raise OSError(f"TPM2_NV_Read 0x{index:08x}: 0x{rc:x}")
    (n,) = struct.unpack(">H", rest[4:6])
    sys.stdout.buffer.write(rest[6:6 + n])


def nv_define(dsock, index, size):
    # OWNERWRITE|AUTHWRITE|OWNERREAD|AUTHREAD, and NO_DA: every crash round
    # is a power cut without TPM2_Shutdown, which raises the TPM's
    # dictionary-attack counter at the next start; on a DA-protected index
    # the fifth round's read met TPM_RC_LOCKOUT (0x921), as a real TPM's
    # would. The crash test proves durability, not DA, so its index is
    # outside DA.
    public = struct.pack(">IHIHH", index, 0x000B, 0x02060006, 0, size)
    body = (struct.pack(">I", OWNER) + PW_SESSION + struct.pack(">H", 0) +
            struct.pack(">H", len(public)) + public)
    rc, _ = tpm(dsock, 0x12A, body, tag=0x8002)
    return rc


def nvwrite_loop(dsock, index, count, start=0):
    rc = nv_define(dsock, index, 16)
    if rc not in (0, 0x14C):          # TPM_RC_NV_DEFINED
        raise OSError(f"TPM2_NV_DefineSpace: 0x{rc:x}")
    for i in range(start, start + count):
        data = f"value {i}".encode().ljust(16, b"\0")
        body = (struct.pack(">II", OWNER, index) + PW_SESSION +
                struct.pack(">H", len(data)) + data + struct.pack(">H", 0))
        rc, _ = tpm(dsock, 0x137, body, tag=0x8002)
        if rc:
            raise OSError(f"TPM2_NV_Write: 0x{rc:x}")
        print(f"acked {i}", flush=True)


def init(sock, dsock):
    res = ctrl(sock, CMD_INIT, struct.pack(">I", 0))
    if res:
        raise OSError(f"CMD_INIT: 0x{res:x}")
    rc, _ = tpm(dsock, 0x144, struct.pack(">H", 0))
    if rc not in (0, 0x100):   # TPM_RC_INITIALIZE: already started
        raise OSError(f"TPM2_Startup: 0x{rc:x}")


def shutdown(sock):
    res = ctrl(sock, CMD_SHUTDOWN)
    if res:
        raise OSError(f"CMD_SHUTDOWN: 0x{res:x}")


def nv_round(sock, dsock, index, floor, acks):
    """One python start a crash boot instead of three (each costs seconds
    under TCG): the caller checks the value and records the state's
    generation before it says go, so nothing is written before that."""
    init(sock, dsock)
    start = -1
    if floor != "-":
        body = struct.pack(">II", index, index) + PW_SESSION + struct.pack(">HH", 16, 0)
        rc, rest = tpm(dsock, 0x14E, body, tag=0x8002)
        if rc:
            raise OSError(f"TPM2_NV_Read 0x{index:08x}: 0x{rc:x}")
        (n,) = struct.unpack(">H", rest[4:6])
        text = rest[6:6 + n].replace(b"\0", b"").decode(errors="replace")
        print(text, flush=True)
        fields = text.split()
        if len(fields) == 2 and fields[0] == "value" and fields[1].isdigit():
            start = int(fields[1])
    else:
        print("value -1", flush=True)
    word = sys.stdin.readline().strip()
    if word == "stop":
        shutdown(sock)
    elif word == "go":
        with open(acks, "w") as out:
            sys.stdout = out
            nvwrite_loop(dsock, index, 1000000, start + 1)
    else:
        raise OSError(f"nv-round: told '{word}', not go or stop")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, what = sys.argv[1], sys.argv[2]
    try:
        sock, dsock = connect(path)
        if what == "pcrs":
            pcrs(dsock)
        elif what == "nvread":
            nvread(dsock, int(sys.argv[3], 0), int(sys.argv[4]))
        elif what == "nvwrite-loop":
            nvwrite_loop(dsock, int(sys.argv[3], 0), int(sys.argv[4]),
                         int(sys.argv[5]) if len(sys.argv) > 5 else 0)
        elif what == "init":
            init(sock, dsock)
        elif what == "nv-round":
            nv_round(sock, dsock, int(sys.argv[3], 0), sys.argv[4], sys.argv[5])
        elif what == "shutdown":
            shutdown(sock)
        else:
            print(f"vmm_probe: unknown action {what}", file=sys.stderr)
            return 2
    except OSError as e:
        print(f"vmm_probe: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
