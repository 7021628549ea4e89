#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""enclave_garbage.py - a hostile enclave for the rig: answer every request
in the mailbox file (core/enclave_mailbox.h) with garbage, in turn: random
bytes, a valid header with a wrong request id, a wrong type, an oversized
length field, an impossible resp_len. Run by selftests/vm/run's enclave
lever ("garbage") in place of vmshield-enclaved until it is stopped.

    enclave_garbage.py MAILBOX_FILE
"""
import mmap
import os
import struct
import sys
import time

REQ_SEQ, RESP_SEQ, RESP_LEN, RESP_AREA = 64, 128, 136, 4096 + (4 * 2**20 - 4096) // 2


def answer(mb, n, seq):
    kind = n % 5
    hdr = mb[4096:4096 + 24]
    rtype = struct.unpack(">H", hdr[6:8])[0] | 0x8000 if len(hdr) == 24 else 0x8001
    if kind == 0:
        body = os.urandom(24 + n % 200)
    elif kind == 1:
        body = b"VMEP" + struct.pack(">HHQII", 1, rtype, seq + 7, 0, 0)
    elif kind == 2:
        body = b"VMEP" + struct.pack(">HHQII", 1, 0x8008 if rtype != 0x8008 else 0x8001, seq, 0, 0)
    elif kind == 3:
        body = b"VMEP" + struct.pack(">HHQII", 1, rtype, seq, 0, 0xFFFFFFF0)
    else:
        body = b""
    mb[RESP_AREA:RESP_AREA + len(body)] = body
    length = len(body) if kind != 4 else 0xFFFFFFFF
    mb[RESP_LEN:RESP_LEN + 4] = struct.pack("<I", length)
    mb[RESP_SEQ:RESP_SEQ + 8] = struct.pack("<Q", seq)


def main():
    fd = os.open(sys.argv[1], os.O_RDWR)
    mb = mmap.mmap(fd, 4 * 2**20)
    last, n = struct.unpack("<Q", mb[REQ_SEQ:REQ_SEQ + 8])[0], 0
    while True:
        seq = struct.unpack("<Q", mb[REQ_SEQ:REQ_SEQ + 8])[0]
        if seq != last:
            last = seq
            answer(mb, n, seq)
            n += 1
        time.sleep(0.0005)


if __name__ == "__main__":
    main()
