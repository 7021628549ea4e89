// SPDX-License-Identifier: GPL-2.0
/*
 * enclave_proto.c - encoder and strict decoder of the enclave channel's
 * frames (Documentation/enclave-protocol.md). No crypto, no allocation:
 * a decoded message points into the frame it came from.
 */
#include "enclave_proto.h"

/* errno of each wire status code; index = code */
static const int vms_ep_errnos[VMS_EP_S_MAX + 1] = {
	[VMS_EP_S_OK] = 0,
	[VMS_EP_S_EINVAL] = -EINVAL,
	[VMS_EP_S_EMSGSIZE] = -EMSGSIZE,
	[VMS_EP_S_EILSEQ] = -EILSEQ,
	[VMS_EP_S_EPROTONOSUPPORT] = -EPROTONOSUPPORT,
	[VMS_EP_S_ENOKEY] = -ENOKEY,
	[VMS_EP_S_EKEYREJECTED] = -EKEYREJECTED,
	[VMS_EP_S_EBADMSG] = -EBADMSG,
	[VMS_EP_S_EKEYEXPIRED] = -EKEYEXPIRED,
	[VMS_EP_S_EKEYREVOKED] = -EKEYREVOKED,
	[VMS_EP_S_EDQUOT] = -EDQUOT,
	[VMS_EP_S_ENOSPC] = -ENOSPC,
	[VMS_EP_S_ENOMEM] = -ENOMEM,
	[VMS_EP_S_ENOBUFS] = -ENOBUFS,
	[VMS_EP_S_EFBIG] = -EFBIG,
	[VMS_EP_S_EPROTO] = -EPROTO,
	[VMS_EP_S_EOPNOTSUPP] = -EOPNOTSUPP,
	[VMS_EP_S_EIO] = -EIO,
	[VMS_EP_S_ESTALE] = -ESTALE,
	[VMS_EP_S_ETIME] = -ETIME,
	[VMS_EP_S_EPERM] = -EPERM,
	[VMS_EP_S_EBUSY] = -EBUSY,
};

/* the vTPM's codes, from VMS_EP_S_VTPM_FIRST */
static const int vms_ep_vtpm_errnos[] = {
	-EPIPE, -ENODEV, -EEXIST,
};

u32 vms_ep_status_of(int err)
{
	u32 i;

	if (err > 0)
		err = -err;
	for (i = 0; i <= VMS_EP_S_MAX; i++)
		if (vms_ep_errnos[i] == err)
			return i;
	for (i = 0; i < sizeof(vms_ep_vtpm_errnos) / sizeof(int); i++)
		if (vms_ep_vtpm_errnos[i] == err)
			return VMS_EP_S_VTPM_FIRST + i;
	return VMS_EP_S_EIO;
}

int vms_ep_errno_of(u32 status, int *err)
{
	if (status >= VMS_EP_S_VTPM_FIRST && status <= VMS_EP_S_VTPM_LAST) {
		*err = vms_ep_vtpm_errnos[status - VMS_EP_S_VTPM_FIRST];
		return 0;
	}
	if (status > VMS_EP_S_MAX)
		return -EPROTO;
	*err = vms_ep_errnos[status];
	return 0;
}

bool vms_ep_type_known(u16 type)
{
	return (type && type <= VMS_EP_TYPE_MAX) ||
	       (type >= VMS_EP_VTPM_FIRST && type <= VMS_EP_VTPM_LAST);
}

static bool vms_ep_zero(const u8 *p, size_t n)
{
	u8 acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return !acc;
}

static bool vms_ep_sealed_len_ok(size_t n)
{
	return n >= VMS_SS_OVERHEAD && n - VMS_SS_OVERHEAD <= VMS_EP_MAX_STATE;
}

static bool vms_ep_text_ok(const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\n' && (p[i] < 0x20 || p[i] > 0x7e))
			return false;
	return true;
}

/* The data bound of a vTPM request of @type; -1: no data allowed. */
static long vms_ep_vtpm_req_max(u16 type)
{
	switch (type) {
	case VMS_EP_VTPM_CREATE:
		return VMS_EP_MAX_STATE + VMS_SS_OVERHEAD;
	case VMS_EP_VTPM_COMMAND:	/* the enclave checks the TPM's bound */
		return VMS_EP_MAX_STATE;
	default:
		return -1;
	}
}

/* Which request fields a vTPM type may set (the others must be zero). */
static bool vms_ep_vtpm_req_ok(u16 type, u64 generation, u32 op, u32 arg,
			       size_t data_len)
{
	long max = vms_ep_vtpm_req_max(type);

	if (max < 0 ? data_len != 0 : data_len > (size_t)max)
		return false;
	if (type == VMS_EP_VTPM_COMMAND && !data_len)
		return false;
	if (type == VMS_EP_VTPM_CREATE && data_len &&
	    !vms_ep_sealed_len_ok(data_len))
		return false;
	if (generation && type != VMS_EP_VTPM_CONFIRM)
		return false;
	if (type == VMS_EP_VTPM_CONTROL)
		return op && op <= VMS_VTPM_CTRL_MAX;
	return !op && !arg;
}

static size_t vms_ep_vtpm_payload_len(const struct vms_ep_msg *m, bool *ok)
{
	if (!m->response) {
		*ok = vms_ep_vtpm_req_ok(m->type, m->generation, m->vtpm_op,
					 m->vtpm_arg, m->data_len);
		return VMS_EP_VTPM_REQ_LEN + m->data_len;
	}
	*ok = !(m->vtpm_flags & ~VMS_EP_VTPM_F_ALL) &&
	      m->data_len <= VMS_EP_MAX_STATE + VMS_SS_OVERHEAD;
	return VMS_EP_VTPM_RESP_LEN + m->data_len;
}

static void vms_ep_vtpm_encode(const struct vms_ep_msg *m, u8 *p)
{
	size_t hl = m->response ? VMS_EP_VTPM_RESP_LEN : VMS_EP_VTPM_REQ_LEN;

	if (m->response) {
		vms_put_be64(p, m->generation);
		vms_put_be32(p + 8, m->vtpm_result);
		vms_put_be32(p + 12, m->vtpm_flags);
	} else {
		vms_put_be64(p, m->handle);
		vms_put_be64(p + 8, m->generation);
		vms_put_be32(p + 16, m->vtpm_op);
		vms_put_be32(p + 20, m->vtpm_arg);
	}
	if (m->data_len)
		memcpy(p + hl, m->data, m->data_len);
}

static int vms_ep_vtpm_decode(const u8 *p, size_t n, struct vms_ep_msg *m)
{
	if (m->response) {
		if (n < VMS_EP_VTPM_RESP_LEN)
			return -EPROTO;
		m->generation = vms_get_be64(p);
		m->vtpm_result = vms_get_be32(p + 8);
		m->vtpm_flags = vms_get_be32(p + 12);
		m->data = p + VMS_EP_VTPM_RESP_LEN;
		m->data_len = n - VMS_EP_VTPM_RESP_LEN;
	} else {
		if (n < VMS_EP_VTPM_REQ_LEN)
			return -EPROTO;
		m->handle = vms_get_be64(p);
		m->generation = vms_get_be64(p + 8);
		m->vtpm_op = vms_get_be32(p + 16);
		m->vtpm_arg = vms_get_be32(p + 20);
		m->data = p + VMS_EP_VTPM_REQ_LEN;
		m->data_len = n - VMS_EP_VTPM_REQ_LEN;
	}
	if (!m->data_len)
		m->data = NULL;
	if (m->response ? (m->vtpm_flags & ~VMS_EP_VTPM_F_ALL) ||
			  m->data_len > VMS_EP_MAX_STATE + VMS_SS_OVERHEAD :
			  !vms_ep_vtpm_req_ok(m->type, m->generation,
					      m->vtpm_op, m->vtpm_arg,
					      m->data_len))
		return -EPROTO;
	return 0;
}

/* Payload length of @m, or 0 with *@ok false when out of range. */
static size_t vms_ep_payload_len(const struct vms_ep_msg *m, bool *ok)
{
	*ok = true;
	if (m->response && m->err)
		return 0;
	if (m->type >= VMS_EP_VTPM_FIRST)
		return vms_ep_vtpm_payload_len(m, ok);
	if (!m->response) {
		switch (m->type) {
		case VMS_EP_PING:
		case VMS_EP_INFO:
		case VMS_EP_STATUS:
			return 0;
		case VMS_EP_LOAD_RELEASE:
			if (!m->vm_id || m->data_len < VMS_KR_MIN_LEN ||
			    m->data_len > VMS_KR_ROLL_MAX_LEN)
				break;
			return VMS_KR_ID_LEN + m->data_len;
		case VMS_EP_REVOKE:
			return 8;
		case VMS_EP_SEAL:
			if (m->data_len > VMS_EP_MAX_STATE)
				break;
			return 16 + m->data_len;
		case VMS_EP_UNSEAL:
			if (!vms_ep_sealed_len_ok(m->data_len))
				break;
			return 8 + m->data_len;
		case VMS_EP_REPORT:
			if (!m->nonce)
				break;
			return VMS_EP_NONCE_LEN;
		case VMS_EP_RELEASE_CHALLENGE:
			if (!m->kps_pk)
				break;
			return VMS_KR_CHALLENGE_LEN;
		}
		*ok = false;
		return 0;
	}
	switch (m->type) {
	case VMS_EP_PING:
	case VMS_EP_REVOKE:
		return 0;
	case VMS_EP_INFO:
		if (!m->pk || !m->boot_id || !m->max_state ||
		    m->max_state > VMS_EP_MAX_STATE)
			break;
		return VMS_EP_INFO_LEN;
	case VMS_EP_LOAD_RELEASE:
		if (!m->vm_id || !m->key_id || !m->handle ||
		    (m->policy != VMS_KR_POLICY_ENCRYPTION_SUPPORTED &&
		     m->policy != VMS_KR_POLICY_SHIELDED) ||
		    !m->lifetime_s || m->lifetime_s > VMS_KR_MAX_LIFETIME ||
		    m->n_digests > VMS_KR_MAX_DIGESTS ||
		    (m->n_digests && !m->digests))
			break;
		return VMS_EP_LOAD_RESP_LEN +
		       (size_t)m->n_digests * VMS_KR_DIGEST_LEN;
	case VMS_EP_SEAL:
		if (!vms_ep_sealed_len_ok(m->data_len))
			break;
		return m->data_len;
	case VMS_EP_UNSEAL:
		if (m->data_len > VMS_EP_MAX_STATE)
			break;
		return 8 + m->data_len;
	case VMS_EP_REPORT:
		if (!m->data_len || m->data_len > VMS_EP_REPORT_MAX ||
		    !m->sig || m->sig_len < 8 || m->sig_len > VMS_EP_SIG_MAX)
			break;
		return 8 + m->data_len + m->sig_len;
	case VMS_EP_STATUS:
		if (m->data_len > VMS_EP_STATUS_MAX ||
		    !vms_ep_text_ok(m->data, m->data_len))
			break;
		return m->data_len;
	case VMS_EP_RELEASE_CHALLENGE:
		if (!m->challenge)
			break;
		return VMS_EP_CHALLENGE_RESP_LEN;
	}
	*ok = false;
	return 0;
}

size_t vms_ep_size(const struct vms_ep_msg *m)
{
	size_t n;
	bool ok;

	if (!vms_ep_type_known(m->type))
		return 0;
	if (m->data_len && !m->data)
		return 0;
	n = vms_ep_payload_len(m, &ok);
	return ok ? VMS_EP_HDR_LEN + n : 0;
}

int vms_ep_encode(const struct vms_ep_msg *m, u8 *out, size_t cap,
		  size_t *outlen)
{
	size_t n = vms_ep_size(m);
	u8 *p;

	if (!n || (!m->response && m->err))
		return -EINVAL;
	if (n > cap)
		return -ENOSPC;
	memcpy(out, VMS_EP_MAGIC, 4);
	vms_put_be16(out + 4, VMS_EP_VERSION);
	vms_put_be16(out + 6, m->type | (m->response ? VMS_EP_RESPONSE : 0));
	vms_put_be64(out + 8, m->req_id);
	vms_put_be32(out + 16, m->response ? vms_ep_status_of(m->err) : 0);
	vms_put_be32(out + 20, (u32)(n - VMS_EP_HDR_LEN));
	p = out + VMS_EP_HDR_LEN;
	*outlen = n;
	if (m->response && m->err)
		return 0;
	if (m->type >= VMS_EP_VTPM_FIRST) {
		vms_ep_vtpm_encode(m, p);
		return 0;
	}

	if (!m->response) {
		switch (m->type) {
		case VMS_EP_LOAD_RELEASE:
			memcpy(p, m->vm_id, VMS_KR_ID_LEN);
			memcpy(p + VMS_KR_ID_LEN, m->data, m->data_len);
			break;
		case VMS_EP_REVOKE:
			vms_put_be64(p, m->handle);
			break;
		case VMS_EP_SEAL:
			vms_put_be64(p, m->handle);
			vms_put_be64(p + 8, m->generation);
			if (m->data_len)
				memcpy(p + 16, m->data, m->data_len);
			break;
		case VMS_EP_UNSEAL:
			vms_put_be64(p, m->handle);
			memcpy(p + 8, m->data, m->data_len);
			break;
		case VMS_EP_REPORT:
			memcpy(p, m->nonce, VMS_EP_NONCE_LEN);
			break;
		case VMS_EP_RELEASE_CHALLENGE:
			memcpy(p, m->kps_pk, VMS_KR_CHALLENGE_LEN);
			break;
		}
		return 0;
	}

	switch (m->type) {
	case VMS_EP_INFO:
		memcpy(p, m->pk, 32);
		memcpy(p + 32, m->boot_id, VMS_EP_BOOT_ID_LEN);
		vms_put_be32(p + 48, m->max_state);
		vms_put_be32(p + 52, m->n_keys);
		memset(p + 56, 0, 8);
		break;
	case VMS_EP_LOAD_RELEASE:
		vms_put_be64(p, m->handle);
		memcpy(p + 8, m->vm_id, VMS_KR_ID_LEN);
		memcpy(p + 24, m->key_id, VMS_KR_ID_LEN);
		vms_put_be32(p + 40, m->policy);
		vms_put_be32(p + 44, m->lifetime_s);
		vms_put_be16(p + 48, m->n_digests);
		memset(p + 50, 0, 6);
		if (m->n_digests)
			memcpy(p + VMS_EP_LOAD_RESP_LEN, m->digests,
			       (size_t)m->n_digests * VMS_KR_DIGEST_LEN);
		break;
	case VMS_EP_SEAL:
	case VMS_EP_STATUS:
		if (m->data_len)
			memcpy(p, m->data, m->data_len);
		break;
	case VMS_EP_UNSEAL:
		vms_put_be64(p, m->generation);
		if (m->data_len)
			memcpy(p + 8, m->data, m->data_len);
		break;
	case VMS_EP_REPORT:
		vms_put_be16(p, (u16)m->data_len);
		vms_put_be16(p + 2, (u16)m->sig_len);
		memset(p + 4, 0, 4);
		memcpy(p + 8, m->data, m->data_len);
		memcpy(p + 8 + m->data_len, m->sig, m->sig_len);
		break;
	case VMS_EP_RELEASE_CHALLENGE:
		memcpy(p, m->challenge, VMS_KR_CHALLENGE_LEN);
		vms_put_be64(p + VMS_KR_CHALLENGE_LEN, m->challenge_ns);
		break;
	}
	return 0;
}

int vms_ep_frame_len(const u8 hdr[VMS_EP_HDR_LEN], size_t *len)
{
	u32 plen;

	if (memcmp(hdr, VMS_EP_MAGIC, 4))
		return -EILSEQ;
	if (vms_get_be16(hdr + 4) != VMS_EP_VERSION)
		return -EPROTONOSUPPORT;
	plen = vms_get_be32(hdr + 20);
	if (plen > VMS_EP_MAX_PAYLOAD)
		return -EMSGSIZE;
	*len = VMS_EP_HDR_LEN + (size_t)plen;
	return 0;
}

/* The payload of a request; @m has type and id. */
static int vms_ep_decode_req(const u8 *p, size_t n, struct vms_ep_msg *m)
{
	switch (m->type) {
	case VMS_EP_PING:
	case VMS_EP_INFO:
	case VMS_EP_STATUS:
		return n ? -EPROTO : 0;
	case VMS_EP_LOAD_RELEASE:
		if (n < VMS_KR_ID_LEN + VMS_KR_MIN_LEN ||
		    n > VMS_KR_ID_LEN + VMS_KR_ROLL_MAX_LEN)
			return -EPROTO;
		m->vm_id = p;
		m->data = p + VMS_KR_ID_LEN;
		m->data_len = n - VMS_KR_ID_LEN;
		return 0;
	case VMS_EP_REVOKE:
		if (n != 8)
			return -EPROTO;
		m->handle = vms_get_be64(p);
		return 0;
	case VMS_EP_SEAL:
		if (n < 16 || n - 16 > VMS_EP_MAX_STATE)
			return -EPROTO;
		m->handle = vms_get_be64(p);
		m->generation = vms_get_be64(p + 8);
		m->data = p + 16;
		m->data_len = n - 16;
		return 0;
	case VMS_EP_UNSEAL:
		if (n < 8 || !vms_ep_sealed_len_ok(n - 8))
			return -EPROTO;
		m->handle = vms_get_be64(p);
		m->data = p + 8;
		m->data_len = n - 8;
		return 0;
	case VMS_EP_REPORT:
		if (n != VMS_EP_NONCE_LEN)
			return -EPROTO;
		m->nonce = p;
		return 0;
	case VMS_EP_RELEASE_CHALLENGE:
		if (n != VMS_KR_CHALLENGE_LEN)
			return -EPROTO;
		m->kps_pk = p;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* The payload of a successful response; @m has type and id. */
static int vms_ep_decode_resp(const u8 *p, size_t n, struct vms_ep_msg *m)
{
	size_t bl, sl;

	switch (m->type) {
	case VMS_EP_PING:
	case VMS_EP_REVOKE:
		return n ? -EPROTO : 0;
	case VMS_EP_INFO:
		if (n != VMS_EP_INFO_LEN || !vms_ep_zero(p + 56, 8))
			return -EPROTO;
		m->pk = p;
		m->boot_id = p + 32;
		m->max_state = vms_get_be32(p + 48);
		m->n_keys = vms_get_be32(p + 52);
		if (!m->max_state || m->max_state > VMS_EP_MAX_STATE)
			return -EPROTO;
		return 0;
	case VMS_EP_LOAD_RELEASE:
		if (n < VMS_EP_LOAD_RESP_LEN || !vms_ep_zero(p + 50, 6))
			return -EPROTO;
		m->handle = vms_get_be64(p);
		m->vm_id = p + 8;
		m->key_id = p + 24;
		m->policy = vms_get_be32(p + 40);
		m->lifetime_s = vms_get_be32(p + 44);
		m->n_digests = vms_get_be16(p + 48);
		if (!m->handle || m->n_digests > VMS_KR_MAX_DIGESTS ||
		    n != VMS_EP_LOAD_RESP_LEN +
			 (size_t)m->n_digests * VMS_KR_DIGEST_LEN)
			return -EPROTO;
		if (m->policy != VMS_KR_POLICY_ENCRYPTION_SUPPORTED &&
		    m->policy != VMS_KR_POLICY_SHIELDED)
			return -EPROTO;
		if (!m->lifetime_s || m->lifetime_s > VMS_KR_MAX_LIFETIME)
			return -EPROTO;
		m->digests = m->n_digests ? p + VMS_EP_LOAD_RESP_LEN : NULL;
		return 0;
	case VMS_EP_SEAL:
		if (!vms_ep_sealed_len_ok(n))
			return -EPROTO;
		m->data = p;
		m->data_len = n;
		return 0;
	case VMS_EP_UNSEAL:
		if (n < 8 || n - 8 > VMS_EP_MAX_STATE)
			return -EPROTO;
		m->generation = vms_get_be64(p);
		m->data = p + 8;
		m->data_len = n - 8;
		return 0;
	case VMS_EP_REPORT:
		if (n < 8 || !vms_ep_zero(p + 4, 4))
			return -EPROTO;
		bl = vms_get_be16(p);
		sl = vms_get_be16(p + 2);
		if (!bl || bl > VMS_EP_REPORT_MAX || sl < 8 ||
		    sl > VMS_EP_SIG_MAX || n != 8 + bl + sl)
			return -EPROTO;
		m->data = p + 8;
		m->data_len = bl;
		m->sig = p + 8 + bl;
		m->sig_len = sl;
		return 0;
	case VMS_EP_STATUS:
		if (n > VMS_EP_STATUS_MAX || !vms_ep_text_ok(p, n))
			return -EPROTO;
		m->data = p;
		m->data_len = n;
		return 0;
	case VMS_EP_RELEASE_CHALLENGE:
		if (n != VMS_EP_CHALLENGE_RESP_LEN)
			return -EPROTO;
		m->challenge = p;
		m->challenge_ns = vms_get_be64(p + VMS_KR_CHALLENGE_LEN);
		return 0;
	}
	return -EOPNOTSUPP;
}

int vms_ep_decode(const u8 *frame, size_t len, bool want_response,
		  struct vms_ep_msg *m)
{
	size_t flen;
	u16 type;
	u32 status;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len < VMS_EP_HDR_LEN)
		return -EMSGSIZE;
	ret = vms_ep_frame_len(frame, &flen);
	if (ret)
		return ret;
	if (flen != len)
		return -EMSGSIZE;
	type = vms_get_be16(frame + 6);
	if (!!(type & VMS_EP_RESPONSE) != want_response)
		return -EOPNOTSUPP;
	type &= 0x7fff;	/* without VMS_EP_RESPONSE */
	if (!vms_ep_type_known(type))
		return -EOPNOTSUPP;
	m->type = type;
	m->response = want_response;
	m->req_id = vms_get_be64(frame + 8);
	status = vms_get_be32(frame + 16);

	if (!want_response) {
		ret = status ? -EPROTO :
		      type >= VMS_EP_VTPM_FIRST ?
		      vms_ep_vtpm_decode(frame + VMS_EP_HDR_LEN,
					 len - VMS_EP_HDR_LEN, m) :
		      vms_ep_decode_req(frame + VMS_EP_HDR_LEN,
					len - VMS_EP_HDR_LEN, m);
	} else {
		ret = vms_ep_errno_of(status, &m->err);
		if (!ret && m->err)
			ret = len != VMS_EP_HDR_LEN ? -EPROTO : 0;
		else if (!ret && type >= VMS_EP_VTPM_FIRST)
			ret = vms_ep_vtpm_decode(frame + VMS_EP_HDR_LEN,
						 len - VMS_EP_HDR_LEN, m);
		else if (!ret)
			ret = vms_ep_decode_resp(frame + VMS_EP_HDR_LEN,
						 len - VMS_EP_HDR_LEN, m);
	}
	if (ret)
		memset(m, 0, sizeof(*m));
	return ret;
}
