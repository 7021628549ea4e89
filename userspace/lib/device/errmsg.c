// SPDX-License-Identifier: GPL-2.0
/*
 * errmsg.c - messages for the format core's errors, one table per format
 * (the same errno means different things in each; formats.md lists them).
 */
#include <errno.h>
#include <string.h>

#include "vms_errmsg.h"

const char *vms_kr_strerror(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return "the key release has the wrong length (truncated or with trailing bytes); fetch it again from KPS";
	case -EILSEQ:
		return "this is not a key release (bad magic); check the file";
	case -EPROTONOSUPPORT:
		return "the key release has a version this tool does not support (version 1 releases are refused: unauthenticated); update vmshield and KPS";
	case -EINVAL:
		return "the key release or its binding is malformed (unknown flag or policy, lifetime out of 1..604800 s, more than 16 worker digests, shielded without a worker digest, expiry not challenge time + lifetime, no issue time, or an invalid X25519 key)";
	case -ENOKEY:
		return "the key release is for another enclave (its enclave public key is not this one); have KPS release it to this enclave";
	case -EPERM:
		return "the key release was made by another KPS key than the one this enclave accepts; only your HGS's KPS can release to it";
	case -EKEYREJECTED:
		return "the key release is for another VM or key id than expected; check --vm-id/--key-id";
	case -EBADMSG:
		return "the key release failed authentication (tampered, forged without the KPS key, or not for this enclave key); fetch it again";
	case -ENOSPC:
		return "output buffer too small (internal error)";
	default:
		return strerror(-err);
	}
}

const char *vms_ss_strerror(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return "the sealed state has the wrong length (truncated, trailing bytes, or payload over 16 MiB); restore it from a backup";
	case -EILSEQ:
		return "this is not sealed vTPM state (bad magic); check the file";
	case -EPROTONOSUPPORT:
		return "the sealed state has a version this tool does not support; update vmshield";
	case -EINVAL:
		return "the sealed state has an unknown flag set";
	case -EKEYEXPIRED:
		return "the seal key has expired; load the key release again";
	case -EKEYREJECTED:
		return "the sealed state belongs to another VM or key id; check --vm-id/--key-id";
	case -EBADMSG:
		return "the sealed state failed authentication (tampered, corrupted, or sealed under another transport key)";
	case -EFBIG:
		return "the state is larger than 16 MiB, the sealed-state limit";
	case -EDQUOT:
		return "this seal key has reached its limit of 2^32 seals; load the key release again";
	case -ENOSPC:
		return "output buffer too small (internal error)";
	default:
		return strerror(-err);
	}
}

const char *vms_hpke_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "invalid X25519 public key or encapsulated key (all-zero or low order), or bad argument";
	case -EBADMSG:
		return "decryption failed: the ciphertext, --info, --aad, --aead or the private key do not match";
	case -EOVERFLOW:
		return "HPKE sequence number exhausted";
	default:
		return strerror(-err);
	}
}

const char *vms_file_strerror(int err)
{
	switch (err) {
	case -EEXIST:
		return "the file already exists (use --force to replace it)";
	case -EMSGSIZE:
		return "the file has the wrong size";
	case -EKEYREJECTED:
		return "the PEM file is not an X25519 key of the expected kind (private/public)";
	case -EINVAL:
		return "not a key file: expected 32 raw bytes or a PEM X25519 key";
	default:
		return strerror(-err);
	}
}
