// SPDX-License-Identifier: GPL-2.0
/*
 * sealedstate.c - seal and unseal vTPM state blobs (version 1).
 *
 * Nonce strategy: every seal draws 24 random bytes. The first 12 salt a
 * one-blob AES-256-GCM key, the last 12 are its IV, so a GCM (key, IV)
 * pair repeats only on a 192-bit collision, and the TK itself never
 * encrypts anything.
 */
#include "sealedstate.h"
#include "kat_hooks.h"
#include "hkdf.h"

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_FLAGS	6
#define OFF_VM_ID	8
#define OFF_KEY_ID	24
#define OFF_GENERATION	40
#define OFF_NONCE	48
#define OFF_PAYLOAD_LEN	72
#define OFF_CT		VMS_SS_HDR_LEN

#define NSEC_PER_S	1000000000ULL

static const u8 ss_salt[] = VMS_SS_SALT_LABEL;
static const u8 ss_key_label[] = VMS_SS_KEY_LABEL;

int vms_seal_key_init(struct vms_seal_key *k, const u8 tk[32],
		      const u8 vm_id[VMS_SS_ID_LEN],
		      const u8 key_id[VMS_SS_ID_LEN],
		      u32 lifetime_s, u64 now_ns)
{
	struct vms_buf ikm = { tk, 32 };
	int ret;

	if (!k)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	if (!tk || !vm_id || !key_id)
		return -EINVAL;
	ret = vms_hkdf_extract(ss_salt, sizeof(ss_salt) - 1, &ikm, 1, k->prk);
	if (ret) {
		vms_seal_key_wipe(k);
		return ret;
	}
	memcpy(k->vm_id, vm_id, VMS_SS_ID_LEN);
	memcpy(k->key_id, key_id, VMS_SS_ID_LEN);
	if (lifetime_s) {
		k->expires_ns = now_ns + (u64)lifetime_s * NSEC_PER_S;
		/* Saturate rather than wrap into the past. */
		if (k->expires_ns < now_ns)
			k->expires_ns = (u64)-1;
	}
	return 0;
}

void vms_seal_key_wipe(struct vms_seal_key *k)
{
	if (k)
		vms_prim_wipe(k, sizeof(*k));
}

size_t vms_ss_size(u64 ptlen)
{
	if (ptlen > VMS_SS_MAX_PAYLOAD)
		return 0;
	return (size_t)ptlen + VMS_SS_OVERHEAD;
}

static bool key_expired(const struct vms_seal_key *k, u64 now_ns)
{
	return k->expires_ns && now_ns >= k->expires_ns;
}

/* k = HKDF-Expand(prk, label || vm_id || key_id || salt, 32) */
static int blob_key(const struct vms_seal_key *k, const u8 *salt, u8 key[32])
{
	struct vms_buf info[4] = {
		{ ss_key_label, sizeof(ss_key_label) - 1 },
		{ k->vm_id, VMS_SS_ID_LEN },
		{ k->key_id, VMS_SS_ID_LEN },
		{ salt, VMS_SS_SALT_LEN },
	};

	return vms_hkdf_expand(k->prk, info, 4, key, 32);
}

/*
 * A seal in two steps around its one random input, the nonce: begin checks
 * the arguments and the key and counts the seal; finish writes the header
 * around the nonce already at OFF_NONCE and encrypts. The production
 * vms_ss_seal() draws the nonce between them; the known-answer
 * vms_ss_seal_kat() (kat_hooks.h) puts a fixed one there instead and is
 * otherwise this same path.
 */
static int ss_seal_begin(struct vms_seal_key *k, u64 now_ns,
			 const u8 *pt, size_t ptlen, u8 *out, size_t outlen)
{
	if (!k || !out || (ptlen && !pt))
		return -EINVAL;
	if (ptlen > VMS_SS_MAX_PAYLOAD)
		return -EFBIG;
	if (outlen < vms_ss_size(ptlen))
		return -ENOSPC;
	if (key_expired(k, now_ns))
		return -EKEYEXPIRED;
	if (k->seals >= VMS_SS_MAX_SEALS)
		return -EDQUOT;
	/* Counted before use: a nonce drawn is a nonce spent. */
	k->seals++;
	return 0;
}

/* On error nothing of @out is left but zeros. */
static int ss_seal_finish(const struct vms_seal_key *k, u64 generation,
			  const u8 *pt, size_t ptlen, u8 *out)
{
	u8 key[32];
	int ret;

	memcpy(out + OFF_MAGIC, VMS_SS_MAGIC, 4);
	vms_put_be16(out + OFF_VERSION, VMS_SS_VERSION);
	vms_put_be16(out + OFF_FLAGS, 0);
	memcpy(out + OFF_VM_ID, k->vm_id, VMS_SS_ID_LEN);
	memcpy(out + OFF_KEY_ID, k->key_id, VMS_SS_ID_LEN);
	vms_put_be64(out + OFF_GENERATION, generation);
	vms_put_be64(out + OFF_PAYLOAD_LEN, (u64)ptlen);

	ret = blob_key(k, out + OFF_NONCE, key);
	if (!ret)
		ret = vms_prim_aead_seal(key, sizeof(key),
					 out + OFF_NONCE + VMS_SS_SALT_LEN,
					 out, VMS_SS_HDR_LEN, pt, ptlen,
					 out + OFF_CT);
	vms_prim_wipe(key, sizeof(key));
	if (ret)
		memset(out, 0, vms_ss_size(ptlen));
	return ret;
}

int vms_ss_seal(struct vms_seal_key *k, u64 now_ns, u64 generation,
		const u8 *pt, size_t ptlen, u8 *out, size_t outlen)
{
	int ret;

	ret = ss_seal_begin(k, now_ns, pt, ptlen, out, outlen);
	if (ret)
		return ret;
	ret = vms_prim_random(out + OFF_NONCE, VMS_SS_NONCE_LEN);
	if (ret) {
		memset(out, 0, vms_ss_size(ptlen));
		return ret;
	}
	return ss_seal_finish(k, generation, pt, ptlen, out);
}

/* Known answers only (kat_hooks.h): vms_ss_seal() with @nonce for its draw. */
int vms_ss_seal_kat(struct vms_seal_key *k, u64 now_ns, u64 generation,
		    const u8 nonce[VMS_SS_NONCE_LEN],
		    const u8 *pt, size_t ptlen, u8 *out, size_t outlen)
{
	int ret;

	if (!nonce)
		return -EINVAL;
	ret = ss_seal_begin(k, now_ns, pt, ptlen, out, outlen);
	if (ret)
		return ret;
	memcpy(out + OFF_NONCE, nonce, VMS_SS_NONCE_LEN);
	return ss_seal_finish(k, generation, pt, ptlen, out);
}

int vms_ss_parse(const u8 *blob, size_t len, struct vms_ss_header *h)
{
	u64 plen;

	if (!h)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	if (!blob)
		return -EINVAL;
	if (len < VMS_SS_OVERHEAD)
		return -EMSGSIZE;
	if (memcmp(blob + OFF_MAGIC, VMS_SS_MAGIC, 4))
		return -EILSEQ;
	if (vms_get_be16(blob + OFF_VERSION) != VMS_SS_VERSION)
		return -EPROTONOSUPPORT;
	if (vms_get_be16(blob + OFF_FLAGS) & ~VMS_SS_FLAGS_ALL)
		return -EINVAL;
	plen = vms_get_be64(blob + OFF_PAYLOAD_LEN);
	/* Compare without computing plen + 96, which could wrap. */
	if (plen > VMS_SS_MAX_PAYLOAD || len - VMS_SS_OVERHEAD != plen)
		return -EMSGSIZE;

	h->version = VMS_SS_VERSION;
	h->flags = 0;
	memcpy(h->vm_id, blob + OFF_VM_ID, VMS_SS_ID_LEN);
	memcpy(h->key_id, blob + OFF_KEY_ID, VMS_SS_ID_LEN);
	h->generation = vms_get_be64(blob + OFF_GENERATION);
	memcpy(h->nonce, blob + OFF_NONCE, VMS_SS_NONCE_LEN);
	h->payload_len = plen;
	return 0;
}

int vms_ss_unseal(const struct vms_seal_key *k, u64 now_ns,
		  const u8 *blob, size_t len, u8 *out, size_t outlen,
		  u64 *generation)
{
	struct vms_ss_header h;
	u8 key[32];
	int ret;

	if (!k)
		return -EINVAL;
	ret = vms_ss_parse(blob, len, &h);
	if (ret)
		return ret;
	if (key_expired(k, now_ns))
		return -EKEYEXPIRED;
	if (memcmp(h.vm_id, k->vm_id, VMS_SS_ID_LEN) ||
	    memcmp(h.key_id, k->key_id, VMS_SS_ID_LEN))
		return -EKEYREJECTED;
	if (outlen < h.payload_len)
		return -ENOSPC;
	if (h.payload_len && !out)
		return -EINVAL;

	ret = blob_key(k, h.nonce, key);
	/* The primitive verifies the tag before @out holds plaintext. */
	if (!ret)
		ret = vms_prim_aead_open(key, sizeof(key),
					 h.nonce + VMS_SS_SALT_LEN,
					 blob, VMS_SS_HDR_LEN, blob + OFF_CT,
					 len - VMS_SS_HDR_LEN, out);
	vms_prim_wipe(key, sizeof(key));
	if (ret) {
		if (out)
			memset(out, 0, (size_t)h.payload_len);
		return ret;
	}
	if (generation)
		*generation = h.generation;
	return 0;
}
