#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vtpm_needles.py - the tenant's side of hypervisor/01b's secrecy scan.

  vtpm_needles.py TK STATE KIND EXTEND-DATA OUT

Runs on the outer machine, which holds the VM's transport key (TK) as its
tenant does. Opens STATE, the sealed vTPM state the guarded host stores
(KIND "enclave": sealed by vmshield-enclaved under the vTPM-state key,
Documentation/vtpm-in-enclave.md section 2; KIND "local": sealed by the
worker under the VM's seal key), finds the three primary seeds in
libtpms' permanent state, and writes OUT: one masked needle per secret
for vtpm_scan (name, first byte, a random mask, the other 31 bytes XORed
with it): the TK, the endorsement, storage and platform seeds (their first
32 bytes), and the NV index the test extended with EXTEND-DATA (hex) inside
the vTPM, SHA-256(32 zero bytes || data): NV contents at rest that never
crossed the host. The plaintext secrets never reach the guarded host.
Exit 0, or 1 with a message.
"""
import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SS_SALT = b"vmshield sealed-state v1"
VTPM_LABEL = b"vmshield vtpm-in-enclave v1"
SS_HDR = 80


def hkdf_expand(prk, info, n):
    t, out, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def open_state(tk, blob, kind):
    """The plaintext of a sealed-state blob (formats.md, VMSS v1)."""
    if blob[:4] != b"VMSS" or len(blob) < SS_HDR + 16:
        raise ValueError("not a sealed state")
    prk = hmac.new(SS_SALT, tk, hashlib.sha256).digest()
    if kind == "enclave":
        prk = hkdf_expand(prk, VTPM_LABEL, 32)
    hdr = blob[:SS_HDR]
    vm, kid, nonce = hdr[8:24], hdr[24:40], hdr[48:72]
    key = hkdf_expand(prk, SS_SALT + b" key" + vm + kid + nonce[:12], 32)
    return AESGCM(key).decrypt(nonce[12:], blob[SS_HDR:], hdr)


def permanent_state(container):
    """libtpms' permanent state out of the worker's container (VWTS v1)."""
    if container[:4] != b"VWTS":
        raise ValueError("not a vmshield-worker state container")
    perm_len, = struct.unpack(">I", container[8:12])
    return container[16:16 + perm_len]


def looks_random(b):
    return len(set(b)) >= 24


def seeds(perm):
    """
    The primary seeds: in libtpms' marshalled PERSISTENT_DATA (the
    endorsement, storage and platform seeds, in that order), the first run
    of three 2-byte-length-prefixed random values of one size, 32 to 64
    bytes.
    """
    for p in range(len(perm) - 3 * 66):
        out, q = [], p
        for _ in range(3):
            n, = struct.unpack(">H", perm[q:q + 2])
            if n not in (32, 48, 64) or not looks_random(perm[q + 2:q + 2 + n]):
                break
            out.append(perm[q + 2:q + 2 + n])
            q += 2 + n
        if len(out) == 3 and len({len(x) for x in out}) == 1:
            return out
    raise ValueError("no primary seeds found in the permanent state")


def needle(name, secret):
    mask = os.urandom(31)
    masked = bytes(a ^ b for a, b in zip(secret[1:32], mask))
    return f"{name} {secret[0]:02x} {mask.hex()} {masked.hex()}\n"


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 1
    tk = open(argv[1], "rb").read()
    kind = argv[3]
    try:
        perm = permanent_state(open_state(tk, open(argv[2], "rb").read(), kind))
        eps, sps, pps = seeds(perm)
    except (ValueError, OSError) as e:
        print(f"vtpm_needles: {argv[2]}: {e}", file=sys.stderr)
        return 1
    nv = hashlib.sha256(b"\0" * 32 + bytes.fromhex(argv[4])).digest()
    if nv not in perm:
        print("vtpm_needles: the extended NV index is not in the permanent state",
              file=sys.stderr)
        return 1
    with open(argv[5], "w") as f:
        for name, s in (("tk", tk), ("endorsement-seed", eps),
                        ("storage-seed", sps), ("platform-seed", pps),
                        ("nv-index", nv)):
            f.write(needle(name, s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
