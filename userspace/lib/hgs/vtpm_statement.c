// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_statement.c - parse and verify the enclave's vTPM statement
 * (vms_vtpm_statement.h). Strict: one accepted encoding of every field,
 * so a statement cannot be re-encoded into a "different" valid one.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kv_body.h"
#include "vms_enclave_report.h"
#include "vms_vtpm_statement.h"

/* The body of @len bytes at @b into @s. */
static int vs_body(const uint8_t *b, size_t len, struct vms_vtpm_statement *s)
{
	struct kv_cursor c = { (const char *)b, (const char *)b + len };
	static const char head[] = VMS_VS_MAGIC "\n";
	const char *v;
	size_t n;
	int t;

	if (len < sizeof(head) - 1 || memcmp(b, head, sizeof(head) - 1))
		return -EINVAL;
	c.p += sizeof(head) - 1;
	if (kv_line(&c, "platform", &v, &n))
		return -EINVAL;
	{
		char name[16];

		if (n >= sizeof(name))
			return -EINVAL;
		memcpy(name, v, n);
		name[n] = 0;
		t = vms_platform_from_name(name);
	}
	if (t < 0)
		return -EINVAL;
	s->platform = (unsigned int)t;
	if (kv_hex(&c, "platform_id", s->platform_id, 32) ||
	    kv_hex(&c, "enclave_key", s->enclave_key, 32) ||
	    kv_hex(&c, "boot_id", s->boot_id, 16) ||
	    kv_hex(&c, "vm_id", s->vm_id, 16) ||
	    kv_hex(&c, "key_id", s->key_id, 16) ||
	    kv_u64(&c, "generation", &s->generation))
		return -EINVAL;
	return c.p == c.end ? 0 : -EINVAL;	/* nothing after the last line */
}

/* Framing: the body and the signature of @blob. */
static int vs_frame(const uint8_t *blob, size_t len, size_t *body_len)
{
	size_t n;

	if (!blob || len < 3 || len > VMS_VS_MAX)
		return -EMSGSIZE;
	n = (size_t)blob[0] << 8 | blob[1];
	if (n == 0 || n + 2 >= len)
		return -EMSGSIZE;
	*body_len = n;
	return 0;
}

int vms_vtpm_statement_parse(const uint8_t *blob, size_t len,
			     struct vms_vtpm_statement *out)
{
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	r = vs_frame(blob, len, &n);
	if (!r)
		r = vs_body(blob + 2, n, out);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

int vms_vtpm_statement_verify(const uint8_t *blob, size_t len, EVP_PKEY *platform_key,
			      struct vms_vtpm_statement *out)
{
	uint8_t id[32];
	size_t n;
	int r;

	r = vms_vtpm_statement_parse(blob, len, out);
	if (r)
		return r;
	n = (size_t)blob[0] << 8 | blob[1];
	if (out->platform != VMS_PLATFORM_EMULATED)
		r = -EPROTONOSUPPORT;	/* the only signer this build verifies */
	else if (!platform_key || vms_platform_id_of(platform_key, id) ||
		 CRYPTO_memcmp(id, out->platform_id, sizeof(id)))
		r = -EKEYREJECTED;
	else
		r = vms_er_p256_verify(platform_key, blob + 2, n, blob + 2 + n, len - 2 - n);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}
