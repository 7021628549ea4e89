#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent implementation of Documentation/formats.md (Python with
pyca/cryptography), used to cross-check the C format core:

  xcheck_formats.py kat SELFTEST_KAT_H      recompute core/selftest_kat.h
  xcheck_formats.py open-release BLOB SK    print the TK of a key release
  xcheck_formats.py seal-state TK VM KEY GEN IN OUT   write a sealed blob
Exit 0 on success, 1 on a mismatch, 77 when pyca/cryptography is missing.
"""
import hashlib
import hmac
import os
import re
import struct
import sys

try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey, X25519PublicKey)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:
    sys.exit(77)


def hmac256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def extract(salt, ikm):
    return hmac256(salt or b"\0" * 32, ikm)


def expand(prk, info, n):
    t, out, i = b"", b"", 1
    while len(out) < n:
        t = hmac256(prk, t + info + bytes([i]))
        out += t
        i += 1
    return out[:n]


KEM = b"KEM" + struct.pack(">H", 0x20)


def suite(aead):
    return b"HPKE" + struct.pack(">HHH", 0x20, 1, aead)


def lextract(s, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + s + label + ikm)


def lexpand(s, prk, label, info, n):
    return expand(prk, struct.pack(">H", n) + b"HPKE-v1" + s + label + info, n)


def pub(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes_raw()


def schedule(dh, enc, pk_r, info, aead):
    ss = lexpand(KEM, lextract(KEM, b"", b"eae_prk", dh), b"shared_secret",
                 enc + pk_r, 32)
    s = suite(aead)
    ksc = (b"\0" + lextract(s, b"", b"psk_id_hash", b"") +
           lextract(s, b"", b"info_hash", info))
    secret = lextract(s, ss, b"secret", b"")
    nk = 16 if aead == 1 else 32
    return lexpand(s, secret, b"key", ksc, nk), lexpand(s, secret, b"base_nonce", ksc, 12)


KR_INFO = b"vmshield key-release v1"


def kr_build(vm, kid, policy, life, digests, pk_r, tk, sk_e):
    enc = pub(sk_e)
    dh = X25519PrivateKey.from_private_bytes(sk_e).exchange(
        X25519PublicKey.from_public_bytes(pk_r))
    key, nonce = schedule(dh, enc, pk_r, KR_INFO, 2)
    hdr = (b"VMKR" + struct.pack(">HH", 1, 0) + vm + kid +
           struct.pack(">IIHH", policy, life, len(digests), 0) + pk_r + enc +
           b"".join(digests))
    return hdr + AESGCM(key).encrypt(nonce, tk, hdr)


def kr_open(blob, sk_r):
    assert blob[:4] == b"VMKR" and struct.unpack(">HH", blob[4:8]) == (1, 0)
    n = struct.unpack(">H", blob[48:50])[0]
    assert len(blob) == 164 + 32 * n
    pk_r, enc = blob[52:84], blob[84:116]
    assert pk_r == pub(sk_r)
    dh = X25519PrivateKey.from_private_bytes(sk_r).exchange(
        X25519PublicKey.from_public_bytes(enc))
    key, nonce = schedule(dh, enc, pk_r, KR_INFO, 2)
    aad_len = 116 + 32 * n
    return AESGCM(key).decrypt(nonce, blob[aad_len:], blob[:aad_len])


def ss_seal(tk, vm, kid, gen, pt, nonce):
    prk = extract(b"vmshield sealed-state v1", tk)
    k = expand(prk, b"vmshield sealed-state v1 key" + vm + kid + nonce[:12], 32)
    hdr = (b"VMSS" + struct.pack(">HH", 1, 0) + vm + kid +
           struct.pack(">Q", gen) + nonce + struct.pack(">Q", len(pt)))
    return hdr + AESGCM(k).encrypt(nonce[12:], pt, hdr)


def c_array(text, name):
    m = re.search(name + r"\[\d+\] = \{([^}]*)\}", text)
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(1)))


def kat(path):
    text = open(path).read()
    a1_sk_e = bytes.fromhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
    a1_pk_r = bytes.fromhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
    vm = bytes.fromhex("6f1c2a5e930d4b718a420c5de177309b")
    kid = bytes.fromhex("00112233445566778899aabbccddeeff")
    tk = b"TK-for-selftest-only-not-a-key!!"
    dg = bytes.fromhex("d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    ok = c_array(text, "st_kr_kat") == kr_build(vm, kid, 2, 3600, [dg], a1_pk_r, tk, a1_sk_e)
    ok &= c_array(text, "st_ss_kat") == ss_seal(tk, vm, kid, 7, b"vTPM state bytes",
                                               bytes(range(1, 25)))
    return ok


def main(argv):
    if argv[1] == "kat":
        return 0 if kat(argv[2]) else 1
    if argv[1] == "open-release":
        blob = open(argv[2], "rb").read()
        print(kr_open(blob, open(argv[3], "rb").read()).hex())
        return 0
    if argv[1] == "seal-state":
        tk = open(argv[2], "rb").read()
        vm = bytes.fromhex(argv[3].replace("-", ""))
        kid = bytes.fromhex(argv[4])
        blob = ss_seal(tk, vm, kid, int(argv[5]), open(argv[6], "rb").read(),
                       os.urandom(24))
        open(argv[7], "wb").write(blob)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
