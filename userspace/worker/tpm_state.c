// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_state.c - the vTPM state container (see tpm_state.h). Big-endian,
 * like every other vmshield format.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tpm_state.h"

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

int vts_build(uint16_t flags, const uint8_t *perm, size_t perm_len,
	      const uint8_t *vol, size_t vol_len, struct vms_secret *out)
{
	size_t len;
	uint8_t *p;

	vms_secret_free(out);
	if (!perm || !perm_len || perm_len > UINT32_MAX ||
	    vol_len > UINT32_MAX || (vol_len && !vol) ||
	    (flags & ~VTS_FLAGS_ALL) || flags == VTS_FLAGS_ALL ||
	    ((flags & VTS_F_SUSPENDED) && !vol_len))
		return -EINVAL;
	len = VTS_HDR_LEN + perm_len + vol_len;
	p = OPENSSL_malloc(len);
	if (!p)
		return -ENOMEM;
	memcpy(p, VTS_MAGIC, 4);
	put_be16(p + 4, VTS_VERSION);
	put_be16(p + 6, flags);
	put_be32(p + 8, (uint32_t)perm_len);
	put_be32(p + 12, (uint32_t)vol_len);
	memcpy(p + VTS_HDR_LEN, perm, perm_len);
	if (vol_len)
		memcpy(p + VTS_HDR_LEN + perm_len, vol, vol_len);
	out->p = p;
	out->len = len;
	return 0;
}

int vts_parse(const uint8_t *p, size_t len, struct vts_view *v)
{
	uint32_t perm_len, vol_len;

	if (len < VTS_HDR_LEN || memcmp(p, VTS_MAGIC, 4))
		return -EILSEQ;
	if (get_be16(p + 4) != VTS_VERSION)
		return -EPROTONOSUPPORT;
	v->flags = get_be16(p + 6);
	/* one of ORDERLY and SUSPENDED at most */
	if ((v->flags & ~VTS_FLAGS_ALL) || v->flags == VTS_FLAGS_ALL)
		return -EINVAL;
	perm_len = get_be32(p + 8);
	vol_len = get_be32(p + 12);
	/* compared without adding, so nothing can wrap */
	if (!perm_len || perm_len > len - VTS_HDR_LEN ||
	    vol_len != len - VTS_HDR_LEN - perm_len)
		return -EMSGSIZE;
	v->perm = p + VTS_HDR_LEN;
	v->perm_len = perm_len;
	v->vol = vol_len ? p + VTS_HDR_LEN + perm_len : NULL;
	v->vol_len = vol_len;
	if ((v->flags & VTS_F_SUSPENDED) && !vol_len)
		return -EMSGSIZE;
	return 0;
}

int vsb_build(uint16_t type, const uint8_t *data, size_t len,
	      struct vms_secret *out)
{
	uint8_t *p;

	vms_secret_free(out);
	if (len > UINT32_MAX || (len && !data))
		return -EINVAL;
	p = OPENSSL_malloc(VSB_HDR_LEN + len);
	if (!p)
		return -ENOMEM;
	memcpy(p, VSB_MAGIC, 4);
	put_be16(p + 4, VSB_VERSION);
	put_be16(p + 6, type);
	put_be32(p + 8, (uint32_t)len);
	if (len)
		memcpy(p + VSB_HDR_LEN, data, len);
	out->p = p;
	out->len = VSB_HDR_LEN + len;
	return 0;
}

int vsb_parse(const uint8_t *p, size_t len, struct vsb_view *v)
{
	if (len < VSB_HDR_LEN || memcmp(p, VSB_MAGIC, 4))
		return -EILSEQ;
	if (get_be16(p + 4) != VSB_VERSION)
		return -EPROTONOSUPPORT;
	if (get_be32(p + 8) != len - VSB_HDR_LEN)
		return -EMSGSIZE;
	v->type = get_be16(p + 6);
	v->data = p + VSB_HDR_LEN;
	v->len = len - VSB_HDR_LEN;
	return 0;
}
