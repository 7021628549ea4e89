// SPDX-License-Identifier: GPL-2.0
/*
 * audit_chain.c - the audit log's hash chain (vms_audit_chain.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "vms_audit_chain.h"
#include "vms_hex.h"

static const char label[] = "vmshield hgs audit v1";

/* @s with its length first: no field can run into the next one. */
static int field(EVP_MD_CTX *md, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			   (uint8_t)n };

	if (n > UINT32_MAX)
		return -EINVAL;
	return EVP_DigestUpdate(md, len, 4) == 1 &&
	       (!n || EVP_DigestUpdate(md, s, n) == 1) ? 0 : -EIO;
}

int vms_audit_row_hash(const struct vms_audit_row *r, char out[VMS_AUDIT_HASH_HEX])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	unsigned int dlen = 0;
	char at[24];
	int e = -EIO;

	if (!md)
		return -ENOMEM;
	snprintf(at, sizeof(at), "%lld", r->at);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, label, sizeof(label)) == 1 &&
	    !field(md, r->prev_hash) && !field(md, at) && !field(md, r->node) &&
	    !field(md, r->who) && !field(md, r->action) && !field(md, r->detail) &&
	    !field(md, r->result) && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32) {
		vms_hex_encode(digest, 32, out);
		e = 0;
	}
	EVP_MD_CTX_free(md);
	return e;
}
