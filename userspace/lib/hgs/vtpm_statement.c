// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_statement.c - parse and verify the enclave's vTPM statement
 * (vms_vtpm_statement.h). Strict: one accepted encoding of every field,
 * so a statement cannot be re-encoded into a "different" valid one.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vms_enclave_report.h"
#include "vms_vtpm_statement.h"

struct vs_cursor {
	const char *p, *end;
};

/* "NAME=VALUE\n": the value in *@v (*@n bytes), the cursor past it. */
static int vs_line(struct vs_cursor *c, const char *name, const char **v, size_t *n)
{
	size_t k = strlen(name);
	const char *nl;

	if ((size_t)(c->end - c->p) < k + 2 || memcmp(c->p, name, k) || c->p[k] != '=')
		return -EINVAL;
	*v = c->p + k + 1;
	nl = memchr(*v, '\n', (size_t)(c->end - *v));
	if (!nl)
		return -EINVAL;
	*n = (size_t)(nl - *v);
	c->p = nl + 1;
	return 0;
}

static int vs_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;	/* upper case too: one encoding */
}

static int vs_hex(struct vs_cursor *c, const char *name, uint8_t *out, size_t len)
{
	const char *v;
	size_t n, i;
	int hi, lo;

	if (vs_line(c, name, &v, &n) || n != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		hi = vs_nibble(v[2 * i]);
		lo = vs_nibble(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int vs_u64(struct vs_cursor *c, const char *name, uint64_t *out)
{
	const char *v;
	size_t n, i;
	uint64_t x = 0;

	if (vs_line(c, name, &v, &n) || n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* The body of @len bytes at @b into @s. */
static int vs_body(const uint8_t *b, size_t len, struct vms_vtpm_statement *s)
{
	struct vs_cursor c = { (const char *)b, (const char *)b + len };
	static const char head[] = VMS_VS_MAGIC "\n";
	const char *v;
	size_t n;
	int t;

	if (len < sizeof(head) - 1 || memcmp(b, head, sizeof(head) - 1))
		return -EINVAL;
	c.p += sizeof(head) - 1;
	if (vs_line(&c, "platform", &v, &n))
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
	if (vs_hex(&c, "platform_id", s->platform_id, 32) ||
	    vs_hex(&c, "enclave_key", s->enclave_key, 32) ||
	    vs_hex(&c, "boot_id", s->boot_id, 16) ||
	    vs_hex(&c, "vm_id", s->vm_id, 16) ||
	    vs_hex(&c, "key_id", s->key_id, 16) ||
	    vs_u64(&c, "generation", &s->generation))
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
