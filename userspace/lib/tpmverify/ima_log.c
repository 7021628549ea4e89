// SPDX-License-Identifier: GPL-2.0
/*
 * ima_log.c - parse and replay the IMA binary measurement list, find the
 * module's report entry. Formats and the extend rule: vms_ima_log.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vms_ima_log.h"

struct cur {
	uint8_t *p;
	size_t left;
};

static int take(struct cur *c, size_t n, uint8_t **out)
{
	if (n > c->left)
		return -EBADMSG;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static int take_u32(struct cur *c, uint32_t *v)
{
	uint8_t *b;

	if (take(c, 4, &b))
		return -EBADMSG;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	     (uint32_t)b[3] << 24;
	return 0;
}

static int all_zero(const uint8_t *b, size_t n)
{
	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* One template field: u32 length + bytes. */
static int take_field(struct cur *c, uint8_t **f, uint32_t *flen)
{
	return take_u32(c, flen) || take(c, *flen, f) ? -EBADMSG : 0;
}

/* d-ng: "<algo>:" NUL digest (the old "ima" layout without algo refused). */
static int parse_dng(struct vms_ima_entry *e, uint8_t *f, uint32_t flen)
{
	uint8_t *colon = memchr(f, ':', flen);
	size_t alen;

	if (!colon)
		return -EBADMSG;
	alen = (size_t)(colon - f);
	if (alen == 0 || alen >= sizeof(e->algo) ||
	    (size_t)flen < alen + 2 || colon[1] != 0)
		return -EBADMSG;
	memcpy(e->algo, f, alen);
	e->algo[alen] = 0;
	e->digest = colon + 2;
	e->digest_len = flen - (uint32_t)alen - 2;
	if (e->digest_len == 0 || e->digest_len > 64)
		return -EBADMSG;
	return 0;
}

static int parse_template(struct vms_ima_entry *e, uint8_t *data,
			  uint32_t dlen)
{
	struct cur c = { data, dlen };
	uint8_t *f;
	uint32_t flen;

	if (take_field(&c, &f, &flen) || parse_dng(e, f, flen))
		return -EBADMSG;
	/* n-ng: NUL-terminated, no NUL inside */
	if (take_field(&c, &f, &flen) || flen == 0 || f[flen - 1] != 0 ||
	    memchr(f, 0, flen) != f + flen - 1)
		return -EBADMSG;
	e->name = (const char *)f;
	if (e->tmpl != VMS_IMA_NG) {
		if (take_field(&c, &f, &flen))
			return -EBADMSG;
		if (e->tmpl == VMS_IMA_BUF) {
			e->buf = f;
			e->buf_len = flen;
		} else {
			e->sig = f;
			e->sig_len = flen;
		}
	}
	return c.left ? -EBADMSG : 0;
}

/*
 * One context and explicitly fetched algorithms for the whole list: a
 * fresh context and an implicit fetch per entry cost more than the hash.
 */
struct hashers {
	EVP_MD_CTX *ctx;
	EVP_MD *sha256, *sha1;
};

static int hashers_init(struct hashers *h)
{
	h->ctx = EVP_MD_CTX_new();
	h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	return h->ctx && h->sha256 && h->sha1 ? 0 : -ENOMEM;
}

static void hashers_free(struct hashers *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->sha256);
	EVP_MD_free(h->sha1);
}

static int digest(EVP_MD_CTX *md, const EVP_MD *alg, const void *d,
		  size_t len, uint8_t *out)
{
	return EVP_DigestInit_ex(md, alg, NULL) &&
	       EVP_DigestUpdate(md, d, len) &&
	       EVP_DigestFinal_ex(md, out, NULL) ? 0 : -ENOMEM;
}

static int parse_entry(struct cur *c, struct vms_ima_entry *e,
		       struct hashers *h)
{
	uint8_t *sha1, *tname, *data, d1[20];
	uint32_t nlen, dlen;

	if (take_u32(c, &e->pcr) || take(c, 20, &sha1) ||
	    take_u32(c, &nlen) || take(c, nlen, &tname) ||
	    take_u32(c, &dlen) || take(c, dlen, &data))
		return -EBADMSG;
	if (e->pcr != VMS_IMA_PCR)
		return -EBADMSG;
	if (nlen == 6 && !memcmp(tname, "ima-ng", 6))
		e->tmpl = VMS_IMA_NG;
	else if (nlen == 7 && !memcmp(tname, "ima-buf", 7))
		e->tmpl = VMS_IMA_BUF;
	else if (nlen == 7 && !memcmp(tname, "ima-sig", 7))
		e->tmpl = VMS_IMA_SIG;
	else
		return -ENOTSUP;
	if (parse_template(e, data, dlen))
		return -EBADMSG;
	if (digest(h->ctx, h->sha256, data, dlen, e->template_sha256) ||
	    digest(h->ctx, h->sha1, data, dlen, d1))
		return -ENOMEM;
	/* A violation lists a zero digest and extends all-ones. */
	if (all_zero(sha1, 20)) {
		e->violation = 1;
		memset(e->template_sha256, 0xff, sizeof(e->template_sha256));
	} else if (memcmp(sha1, d1, 20)) {
		return -EBADMSG;
	}
	return 0;
}

void vms_ima_log_free(struct vms_ima_log *log)
{
	free(log->copy);
	free(log->e);
	memset(log, 0, sizeof(*log));
}

int vms_ima_log_parse(const uint8_t *buf, size_t len, struct vms_ima_log *log)
{
	struct hashers h = { NULL, NULL, NULL };
	struct cur c;
	size_t cap = 0;
	int ret = 0;

	memset(log, 0, sizeof(*log));
	if (!buf || len == 0)
		return -EBADMSG;
	if (len > VMS_IMA_MAX_BYTES)
		return -E2BIG;
	log->copy = malloc(len);
	if (!log->copy || hashers_init(&h)) {
		hashers_free(&h);
		free(log->copy);
		log->copy = NULL;
		return -ENOMEM;
	}
	memcpy(log->copy, buf, len);
	c.p = log->copy;
	c.left = len;
	while (c.left) {
		if (log->n == VMS_IMA_MAX_ENTRIES) {
			ret = -E2BIG;
			break;
		}
		if (log->n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			void *p = realloc(log->e, ncap * sizeof(*log->e));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			log->e = p;
			cap = ncap;
		}
		memset(&log->e[log->n], 0, sizeof(log->e[0]));
		ret = parse_entry(&c, &log->e[log->n], &h);
		if (ret)
			break;
		log->n++;
	}
	hashers_free(&h);
	if (ret)
		vms_ima_log_free(log);
	return ret;
}

int vms_ima_log_replay(const struct vms_ima_log *log, const uint8_t pcr10[32],
		       size_t *covered)
{
	struct hashers h = { NULL, NULL, NULL };
	uint8_t pcr[64];
	int ret = -EBADMSG;
	size_t i;

	if (hashers_init(&h)) {
		hashers_free(&h);
		return -ENOMEM;
	}
	memset(pcr, 0, 32);
	for (i = 0; i < log->n; i++) {
		memcpy(pcr + 32, log->e[i].template_sha256, 32);
		if (digest(h.ctx, h.sha256, pcr, 64, pcr)) {
			ret = -ENOMEM;
			break;
		}
		if (!memcmp(pcr, pcr10, 32)) {
			*covered = i + 1;
			ret = 0;
			break;
		}
	}
	hashers_free(&h);
	return ret;
}

int vms_ima_log_find_report(const struct vms_ima_log *log, size_t covered)
{
	size_t i;

	if (covered > log->n)
		covered = log->n;
	for (i = covered; i-- > 0;) {
		const struct vms_ima_entry *e = &log->e[i];

		if (e->tmpl != VMS_IMA_BUF || e->violation ||
		    strcmp(e->name, VMS_IMA_REPORT_EVENT))
			continue;
		if (vms_ima_buf_digest_check(e))
			return -EBADMSG;
		return (int)i;
	}
	return -ENOENT;
}

int vms_ima_buf_digest_check(const struct vms_ima_entry *e)
{
	uint8_t d[32];

	if (strcmp(e->algo, "sha256") || e->digest_len != 32 ||
	    !EVP_Digest(e->buf, e->buf_len, d, NULL, EVP_sha256(), NULL) ||
	    memcmp(d, e->digest, 32))
		return -EBADMSG;
	return 0;
}

int vms_ima_entry_is_file(const struct vms_ima_entry *e)
{
	if (e->violation || e->tmpl == VMS_IMA_BUF)
		return 0;
	return strcmp(e->name, "boot_aggregate") != 0;
}
