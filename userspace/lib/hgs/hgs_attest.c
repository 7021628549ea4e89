// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_attest.c - isolation report parsing and the host-key attestation
 * signature.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/vmshield.h>

#include "vms_cleanup_ssl.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_x509.h"
#include "vmshield.h"

int vms_isolation_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	if (!strcmp(name, "kernel-open"))
		return VMSHIELD_ISOLATION_KERNEL_OPEN;
	if (!strcmp(name, "kernel-locked"))
		return VMSHIELD_ISOLATION_KERNEL_LOCKED;
	if (!strcmp(name, "hypervisor"))
		return VMSHIELD_ISOLATION_HYPERVISOR;
	return -EINVAL;
}

static int lockdown_from_name(const char *name)
{
	if (!strcmp(name, "none"))
		return VMSHIELD_LOCKDOWN_NONE;
	if (!strcmp(name, "integrity"))
		return VMSHIELD_LOCKDOWN_INTEGRITY;
	if (!strcmp(name, "confidentiality"))
		return VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	return -EINVAL;
}

/* Take "key=" then a token up to the next space (or the end) from *p. */
static int take(const char **p, const char *end, const char *key, char *val,
		size_t vlen, int last)
{
	size_t klen = strlen(key), n = 0;
	const char *q = *p;

	if ((size_t)(end - q) < klen || memcmp(q, key, klen))
		return -EINVAL;
	q += klen;
	while (q < end && *q != ' ') {
		if (n + 1 >= vlen || *q < 0x21 || *q > 0x7e)
			return -EINVAL;
		val[n++] = *q++;
	}
	val[n] = 0;
	if (!n)
		return -EINVAL;
	if (last) {
		if (q != end)
			return -EINVAL;
	} else {
		if (q == end || *q != ' ')
			return -EINVAL;
		q++;
	}
	*p = q;
	return 0;
}

static int parse_bit(const char *v, int *out)
{
	if (!strcmp(v, "0") || !strcmp(v, "1")) {
		*out = v[0] - '0';
		return 0;
	}
	return -EINVAL;
}

static int report_fields(const char *text, size_t len,
			 struct vms_isolation_report *r)
{
	static const char head[] = "vmshield-report v1 ";
	const char *p = text, *end = text + len;
	char v[80];
	int x;

	if (!text || len > VMS_REPORT_MAX || len < sizeof(head) - 1 ||
	    memcmp(text, head, sizeof(head) - 1) || memchr(text, 0, len))
		return -EINVAL;
	p += sizeof(head) - 1;
	if (take(&p, end, "placement=", v, sizeof(v), 0) || strcmp(v, "kernel"))
		return -EINVAL;
	r->placement = VMSHIELD_PLACEMENT_KERNEL;
	if (take(&p, end, "level=", v, sizeof(v), 0))
		return -EINVAL;
	x = vms_isolation_from_name(v);
	if (x < 0 || x == VMSHIELD_ISOLATION_HYPERVISOR)
		return -EINVAL;
	r->level = (unsigned int)x;
	if (take(&p, end, "lockdown=", v, sizeof(v), 0))
		return -EINVAL;
	x = lockdown_from_name(v);
	if (x < 0)
		return -EINVAL;
	r->lockdown = (unsigned int)x;
	if (take(&p, end, "sig_enforced=", v, sizeof(v), 0) ||
	    parse_bit(v, &r->sig_enforced))
		return -EINVAL;
	if (take(&p, end, "module_sig_ok=", v, sizeof(v), 0) ||
	    parse_bit(v, &r->module_sig_ok))
		return -EINVAL;
	if (take(&p, end, "enclave_pk=", v, sizeof(v), 1) || strlen(v) != 64 ||
	    vms_hex_decode_exact(v, r->enclave_pk, 32))
		return -EINVAL;
	/* The level must follow from the facts (DESIGN.md section 3). */
	x = r->lockdown == VMSHIELD_LOCKDOWN_CONFIDENTIALITY && r->sig_enforced;
	if (x != (r->level == VMSHIELD_ISOLATION_KERNEL_LOCKED))
		return -EINVAL;
	return 0;
}

int vms_report_parse(const char *text, size_t len,
		     struct vms_isolation_report *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = report_fields(text, len, r);
	/* a refused report leaves nothing half-parsed behind */
	if (ret)
		memset(r, 0, sizeof(*r));
	return ret;
}

int vms_report_format_text(const struct vms_isolation_report *r, char *buf,
			   size_t len)
{
	char pk[65];
	int n;

	vms_hex_encode(r->enclave_pk, 32, pk);
	n = snprintf(buf, len,
		     "vmshield-report v1 placement=%s level=%s lockdown=%s sig_enforced=%d module_sig_ok=%d enclave_pk=%s",
		     vms_placement_name(r->placement), vms_isolation_name(r->level),
		     vms_lockdown_level_name(r->lockdown), r->sig_enforced ? 1 : 0,
		     r->module_sig_ok ? 1 : 0, pk);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int attest_message(const uint8_t nonce[VMS_NONCE_LEN],
			  const uint8_t pk[32], const char *report,
			  size_t rlen, uint8_t **msg, size_t *mlen)
{
	size_t llen = sizeof(VMS_ATTEST_LABEL);	/* with its NUL */
	uint8_t *m;

	if (rlen > VMS_REPORT_MAX)
		return -EINVAL;
	*mlen = llen + VMS_NONCE_LEN + 32 + rlen;
	m = malloc(*mlen);
	if (!m)
		return -ENOMEM;
	memcpy(m, VMS_ATTEST_LABEL, llen);
	memcpy(m + llen, nonce, VMS_NONCE_LEN);
	memcpy(m + llen + VMS_NONCE_LEN, pk, 32);
	memcpy(m + llen + VMS_NONCE_LEN + 32, report, rlen);
	*msg = m;
	return 0;
}

static const EVP_MD *host_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

int vms_attest_sign(EVP_PKEY *host_key, const uint8_t nonce[VMS_NONCE_LEN],
		    const uint8_t enclave_pk[32], const char *report,
		    size_t rlen, uint8_t **sig, size_t *siglen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_(vms_freep) uint8_t *msg = NULL;
	size_t mlen, slen = 0;
	int r;

	*sig = NULL;
	if (!vms_pkey_is_host_key_type(host_key))
		return -EINVAL;
	r = attest_message(nonce, enclave_pk, report, rlen, &msg, &mlen);
	if (r)
		return r;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, host_md(host_key), NULL, host_key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, msg, mlen) != 1)
		return -EIO;
	*sig = malloc(slen);
	if (!*sig)
		return -ENOMEM;
	if (EVP_DigestSign(ctx, *sig, &slen, msg, mlen) != 1) {
		free(*sig);
		*sig = NULL;
		return -EIO;
	}
	*siglen = slen;
	return 0;
}

int vms_attest_verify(EVP_PKEY *host_pub, const uint8_t nonce[VMS_NONCE_LEN],
		      const uint8_t enclave_pk[32], const char *report,
		      size_t rlen, const uint8_t *sig, size_t siglen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_(vms_freep) uint8_t *msg = NULL;
	size_t mlen;
	int r;

	if (!vms_pkey_is_host_key_type(host_pub))
		return -EINVAL;
	r = attest_message(nonce, enclave_pk, report, rlen, &msg, &mlen);
	if (r)
		return r;
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, host_md(host_pub), NULL, host_pub) != 1)
		return -EIO;
	return EVP_DigestVerify(ctx, sig, siglen, msg, mlen) == 1 ? 0 : -EBADMSG;
}
