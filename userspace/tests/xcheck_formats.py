#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent implementation of Documentation/formats.md (Python with
pyca/cryptography), used to cross-check the C format core:

  xcheck_formats.py kat SELFTEST_KAT_H      recompute core/selftest_kat.h
  xcheck_formats.py hpke-auth VECTORS       check RFC 9180 A.1.3 (auth mode)
  xcheck_formats.py open-release BLOB SK KPS_PK   print the TK of a key release
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
    from cryptography.hazmat.primitives.serialization import (
        Encoding, PublicFormat)
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
    # public_bytes(Raw, Raw), not public_bytes_raw(): that came in
    # cryptography 40, Debian 12's python3-cryptography is 38
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def dh(sk, pk):
    return X25519PrivateKey.from_private_bytes(sk).exchange(
        X25519PublicKey.from_public_bytes(pk))


def schedule(dhv, enc, pk_r, info, aead, pk_s=b""):
    """Base mode (pk_s empty) or auth mode (RFC 9180 5.1.3)."""
    ss = lexpand(KEM, lextract(KEM, b"", b"eae_prk", dhv), b"shared_secret",
                 enc + pk_r + pk_s, 32)
    s = suite(aead)
    ksc = (bytes([2 if pk_s else 0]) + lextract(s, b"", b"psk_id_hash", b"") +
           lextract(s, b"", b"info_hash", info))
    secret = lextract(s, ss, b"secret", b"")
    nk = 16 if aead == 1 else 32
    return (lexpand(s, secret, b"key", ksc, nk),
            lexpand(s, secret, b"base_nonce", ksc, 12),
            lexpand(s, secret, b"exp", ksc, 32))


KR_INFO = b"vmshield key-release v2"


def kr_build(vm, kid, policy, life, digests, pk_r, tk, sk_e, sk_s, chal,
             chal_ns, issued_at):
    enc, pk_s = pub(sk_e), pub(sk_s)
    key, nonce, _ = schedule(dh(sk_e, pk_r) + dh(sk_s, pk_r), enc, pk_r,
                             KR_INFO, 2, pk_s)
    hdr = (b"VMKR" + struct.pack(">HH", 2, 0) + vm + kid +
           struct.pack(">IIHH", policy, life, len(digests), 0) + pk_r + enc +
           pk_s + chal +
           struct.pack(">QQQ", chal_ns, chal_ns + life * 10**9, issued_at) +
           b"".join(digests))
    return hdr + AESGCM(key).encrypt(nonce, tk, hdr)


def kr_open(blob, sk_r, pk_s):
    assert blob[:4] == b"VMKR" and struct.unpack(">HH", blob[4:8]) == (2, 0)
    life = struct.unpack(">I", blob[44:48])[0]
    n = struct.unpack(">H", blob[48:50])[0]
    assert len(blob) == 252 + 32 * n
    pk_r, enc = blob[52:84], blob[84:116]
    assert pk_r == pub(sk_r) and blob[116:148] == pk_s
    chal_ns, not_after = struct.unpack(">QQ", blob[180:196])
    assert not_after == chal_ns + life * 10**9
    key, nonce, _ = schedule(dh(sk_r, enc) + dh(sk_r, pk_s), enc, pk_r,
                             KR_INFO, 2, pk_s)
    aad_len = 204 + 32 * n
    return AESGCM(key).decrypt(nonce, blob[aad_len:], blob[:aad_len])


def hpke_auth(path):
    """RFC 9180 A.1.3 from the test data: this code, not the C, checks it."""
    v, encs, exps = {}, [], []
    for line in open(path):
        if line.startswith("#") or ": " not in line:
            continue
        k, val = line.strip().split(": ", 1)
        if k.startswith("enc_"):
            encs.append(val.split())
        elif k.startswith("exp_"):
            exps.append(val.split())
        else:
            v[k] = val
    h = {k: bytes.fromhex(x) for k, x in v.items() if k not in
         ("mode", "kem_id", "kdf_id", "aead_id")}
    ok = pub(h["skSm"]) == h["pkSm"] and pub(h["skEm"]) == h["enc"]
    key, nonce, exp = schedule(dh(h["skEm"], h["pkRm"]) + dh(h["skSm"], h["pkRm"]),
                               h["enc"], h["pkRm"], h["info"], 1, h["pkSm"])
    ok &= key == h["key"] and nonce == h["base_nonce"]
    ok &= exp == h["exporter_secret"]
    for seq, aad, ct in encs:
        nn = bytes(a ^ b for a, b in zip(nonce, int(seq).to_bytes(12, "big")))
        ok &= AESGCM(key).encrypt(nn, h["pt"], bytes.fromhex(aad)) == bytes.fromhex(ct)
    s = suite(1)
    for ctx, val in exps:
        c = b"" if ctx == "-" else bytes.fromhex(ctx)
        ok &= lexpand(s, exp, b"sec", c, 32) == bytes.fromhex(val)
    return ok and len(encs) == 6 and len(exps) == 3


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
    a1_ikm_e = bytes.fromhex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234")
    # core/selftest.c: the A.1 recipient plays the enclave, A.1's skEm the
    # KPS key, A.1's ikmE the ephemeral key
    ok = c_array(text, "st_kr_kat") == kr_build(
        vm, kid, 2, 3600, [dg], a1_pk_r, tk, a1_ikm_e, a1_sk_e,
        c_array(text, "st_kr_challenge"), 5 * 10**9, 1764892800)
    ok &= c_array(text, "st_ss_kat") == ss_seal(tk, vm, kid, 7, b"vTPM state bytes",
                                               bytes(range(1, 25)))
    return ok


def main(argv):
    if argv[1] == "kat":
        return 0 if kat(argv[2]) else 1
    if argv[1] == "hpke-auth":
        return 0 if hpke_auth(argv[2]) else 1
    if argv[1] == "open-release":
        blob = open(argv[2], "rb").read()
        print(kr_open(blob, open(argv[3], "rb").read(),
                      open(argv[4], "rb").read()).hex())
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
