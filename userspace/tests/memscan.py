#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# memscan.py PID HEX... - exit 0 if any of the byte strings (given in hex,
# searched as written and byte-reversed, as OpenSSL's BIGNUM limbs hold
# them on little-endian machines) occurs in the writable memory of PID,
# 1 if none does, 2 if the memory cannot be read. Used by hgs_test.sh to
# show which hgsd process holds the service keys.
import sys


def main():
    pid = int(sys.argv[1])
    needles = []
    for h in sys.argv[2:]:
        b = bytes.fromhex(h)
        needles += [b, b[::-1]]
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError:
        return 2
    for line in maps:
        fields = line.split()
        if len(fields) < 2 or "w" not in fields[1]:
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        if hi - lo > (1 << 32):  # e.g. a sanitizer's shadow: not heap
            continue
        # Read in chunks, overlapping by the needle length.
        step = 16 << 20
        for off in range(lo, hi, step):
            try:
                mem.seek(off)
                data = mem.read(min(step + 64, hi - off))
            except (OSError, OverflowError, ValueError, MemoryError):
                continue
            if any(n in data for n in needles):
                return 0
    return 1


sys.exit(main())
