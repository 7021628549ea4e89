// SPDX-License-Identifier: GPL-2.0
/*
 * prim_kernel.c - core/vms_prim.h on the kernel crypto API.
 *
 * X25519 is the curve25519() library; HMAC-SHA256 is the "hmac(sha256)"
 * shash (6.1 has no HKDF, so core/hkdf.c builds it over this); AES-GCM is
 * the "gcm(aes)" AEAD, which may be the async SIMD implementation, so every
 * request waits with crypto_wait_req().
 */
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/scatterlist.h>
#include <linux/sched/task_stack.h>
#include <linux/random.h>
#include <crypto/hash.h>
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>
#include "vms_prim.h"
#include "vmshield.h"

void vms_prim_wipe(void *p, size_t len)
{
	memzero_explicit(p, len);
}

int vms_prim_memneq(const void *a, const void *b, size_t len)
{
	return crypto_memneq(a, b, len) ? 1 : 0;
}

int vms_prim_random(u8 *buf, size_t len)
{
	get_random_bytes(buf, len);
	return 0;
}

int vms_prim_x25519(u8 out[VMS_X25519_LEN], const u8 scalar[VMS_X25519_LEN],
		    const u8 point[VMS_X25519_LEN])
{
	/* curve25519() returns false for an all-zero (low-order) result */
	if (!curve25519(out, scalar, point)) {
		memzero_explicit(out, VMS_X25519_LEN);
		return -EINVAL;
	}
	return 0;
}

int vms_prim_x25519_base(u8 out[VMS_X25519_LEN],
			 const u8 scalar[VMS_X25519_LEN])
{
	if (!curve25519_generate_public(out, scalar)) {
		memzero_explicit(out, VMS_X25519_LEN);
		return -EINVAL;
	}
	return 0;
}

/*
 * Transforms are kept for the module's lifetime in two small pools, not
 * allocated per call: allocating one (an algorithm lookup and an
 * instance) cost more than sealing 4 KiB. A transform holds one caller's
 * key at a time (setkey changes its state): it is taken from the pool,
 * keyed, used and, before it goes back, keyed again with zeros so that no
 * caller's key schedule stays in it. Above VMS_TFM_POOL_MAX concurrent
 * users the extra ones are allocated and freed as before.
 */
#define VMS_TFM_POOL_MAX	8

struct vms_tfm_pool {
	struct mutex lock;
	unsigned int n;
	void *tfm[VMS_TFM_POOL_MAX];
};

static struct vms_tfm_pool vms_hmac_pool = {
	.lock = __MUTEX_INITIALIZER(vms_hmac_pool.lock),
};
static struct vms_tfm_pool vms_gcm_pool = {
	.lock = __MUTEX_INITIALIZER(vms_gcm_pool.lock),
};
static const u8 vms_zero_key[32];

static void *vms_pool_take(struct vms_tfm_pool *pool)
{
	void *tfm = NULL;

	mutex_lock(&pool->lock);
	if (pool->n)
		tfm = pool->tfm[--pool->n];
	mutex_unlock(&pool->lock);
	return tfm;
}

/* false: the pool is full, the caller frees @tfm */
static bool vms_pool_give(struct vms_tfm_pool *pool, void *tfm)
{
	bool kept = false;

	mutex_lock(&pool->lock);
	if (pool->n < VMS_TFM_POOL_MAX) {
		pool->tfm[pool->n++] = tfm;
		kept = true;
	}
	mutex_unlock(&pool->lock);
	return kept;
}

static struct crypto_shash *vms_hmac_get(void)
{
	struct crypto_shash *tfm = vms_pool_take(&vms_hmac_pool);

	return tfm ? tfm : crypto_alloc_shash("hmac(sha256)", 0, 0);
}

static void vms_hmac_put(struct crypto_shash *tfm)
{
	/* a zero key replaces the caller's; failing that, never pooled */
	if (crypto_shash_setkey(tfm, vms_zero_key, sizeof(vms_zero_key)) ||
	    !vms_pool_give(&vms_hmac_pool, tfm))
		crypto_free_shash(tfm);	/* kfree_sensitive of the keyed state */
}

static struct crypto_aead *vms_gcm_get(void)
{
	struct crypto_aead *tfm = vms_pool_take(&vms_gcm_pool);
	int ret;

	if (tfm)
		return tfm;
	tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_aead_setauthsize(tfm, VMS_GCM_TAG_LEN);
	if (ret) {
		crypto_free_aead(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

static void vms_gcm_put(struct crypto_aead *tfm)
{
	if (crypto_aead_setkey(tfm, vms_zero_key, sizeof(vms_zero_key)) ||
	    !vms_pool_give(&vms_gcm_pool, tfm))
		crypto_free_aead(tfm);
}

/* At unload: free every pooled transform. */
void vms_prim_exit(void)
{
	void *tfm;

	while ((tfm = vms_pool_take(&vms_hmac_pool)))
		crypto_free_shash(tfm);
	while ((tfm = vms_pool_take(&vms_gcm_pool)))
		crypto_free_aead(tfm);
}

int vms_prim_hmac_sha256(const u8 *key, size_t keylen,
			 const struct vms_buf *parts, unsigned int nparts,
			 u8 out[VMS_SHA256_LEN])
{
	struct crypto_shash *tfm;
	unsigned int i;
	int ret;

	tfm = vms_hmac_get();
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);

	ret = crypto_shash_setkey(tfm, key, keylen);
	if (!ret) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc);
		for (i = 0; !ret && i < nparts; i++)
			ret = crypto_shash_update(desc, parts[i].p,
						  parts[i].len);
		if (!ret)
			ret = crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	vms_hmac_put(tfm);
	if (ret)
		memzero_explicit(out, VMS_SHA256_LEN);
	return ret;
}

/*
 * Scatterlists cannot point into the (virtually mapped) stack, and large
 * buffers may come from vmalloc. Small or stack-resident requests go
 * through one kmalloc'ed bounce buffer; large heap buffers are mapped page
 * by page.
 */
#define VMS_BOUNCE_MAX	4096

static bool vms_needs_bounce(const void *p, size_t len)
{
	return len <= VMS_BOUNCE_MAX || object_is_on_stack(p);
}

static unsigned int vms_sg_pages(const void *p, size_t len)
{
	unsigned long start = (unsigned long)p;

	if (!len)
		return 0;
	return (offset_in_page(start) + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/*
 * Fill entries from @sg on with [p, p + len), one per page. The table may
 * be chained (sg_alloc_table() chains past SG_MAX_SINGLE_ALLOC entries,
 * i.e. for buffers over about 508 KiB), so walk it with sg_next(), never
 * by index.
 */
static void vms_sg_add(struct scatterlist *sg, const u8 *p, size_t len)
{
	while (len) {
		size_t off = offset_in_page(p);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page = is_vmalloc_addr(p) ?
				    vmalloc_to_page(p) : virt_to_page(p);

		sg_set_page(sg, page, n, off);
		sg = sg_next(sg);
		p += n;
		len -= n;
	}
}

/*
 * Run one AES-GCM operation. Layout expected by the AEAD API:
 * src = aad || in (inlen), dst = aad || out (outlen).
 */
static int vms_gcm_run(bool enc, const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *in, size_t inlen, u8 *out, size_t outlen)
{
	struct crypto_aead *tfm;
	struct aead_request *req = NULL;
	struct sg_table src = {}, dst = {};
	u8 *abuf = NULL, *bounce = NULL;
	u8 iv[VMS_GCM_NONCE_LEN];
	DECLARE_CRYPTO_WAIT(wait);
	size_t buflen = max(inlen, outlen);
	unsigned int n;
	int ret;

	tfm = vms_gcm_get();
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_aead_setkey(tfm, key, keylen);
	if (ret)
		goto out;

	ret = -ENOMEM;
	req = aead_request_alloc(tfm, GFP_KERNEL);
	abuf = kmemdup(aad ? aad : (const u8 *)"", max_t(size_t, aadlen, 1),
		       GFP_KERNEL);
	if (!req || !abuf)
		goto out;

	if (vms_needs_bounce(in, buflen) || vms_needs_bounce(out, buflen)) {
		bounce = kvmalloc(max_t(size_t, buflen, 1), GFP_KERNEL_ACCOUNT);
		if (!bounce)
			goto out;
		memcpy(bounce, in, inlen);
		in = bounce;
	}

	n = vms_sg_pages(in, inlen);
	if (sg_alloc_table(&src, 1 + n, GFP_KERNEL))
		goto out;
	sg_set_buf(src.sgl, abuf, aadlen);
	vms_sg_add(sg_next(src.sgl), in, inlen);

	n = vms_sg_pages(bounce ? bounce : out, outlen);
	if (sg_alloc_table(&dst, 1 + n, GFP_KERNEL))
		goto out;
	sg_set_buf(dst.sgl, abuf, aadlen);
	vms_sg_add(sg_next(dst.sgl), bounce ? bounce : out, outlen);

	memcpy(iv, nonce, sizeof(iv));
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, aadlen);
	aead_request_set_crypt(req, src.sgl, dst.sgl, inlen, iv);
	ret = crypto_wait_req(enc ? crypto_aead_encrypt(req) :
			      crypto_aead_decrypt(req), &wait);
	if (!ret && bounce)
		memcpy(out, bounce, outlen);
	if (ret)
		memzero_explicit(out, outlen);	/* no unauthenticated plaintext */
out:
	sg_free_table(&src);
	sg_free_table(&dst);
	if (bounce)
		kvfree_sensitive(bounce, max_t(size_t, buflen, 1));
	kfree(abuf);
	aead_request_free(req);	/* kfree_sensitive inside */
	vms_gcm_put(tfm);
	return ret;
}

int vms_prim_aead_seal(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *pt, size_t ptlen, u8 *out)
{
	if (keylen != 16 && keylen != 32)
		return -EINVAL;
	return vms_gcm_run(true, key, keylen, nonce, aad, aadlen,
			   pt, ptlen, out, ptlen + VMS_GCM_TAG_LEN);
}

int vms_prim_aead_open(const u8 *key, size_t keylen,
		       const u8 nonce[VMS_GCM_NONCE_LEN],
		       const u8 *aad, size_t aadlen,
		       const u8 *ct, size_t ctlen, u8 *out)
{
	if (keylen != 16 && keylen != 32)
		return -EINVAL;
	if (ctlen < VMS_GCM_TAG_LEN)
		return -EBADMSG;
	return vms_gcm_run(false, key, keylen, nonce, aad, aadlen,
			   ct, ctlen, out, ctlen - VMS_GCM_TAG_LEN);
}
