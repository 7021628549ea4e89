// SPDX-License-Identifier: GPL-2.0
/*
 * vms_memwalk - a TEST-ONLY module: host root with kernel code execution
 * searching kernel memory for secrets, as an attacker's module would
 * (issue 15's decisive secrecy test; selftests/kmod/hypervisor_test).
 * Never installed, never packaged: it reads all of RAM.
 *
 * At load it walks the direct map page by page over every System RAM range
 * of the resource tree (what the kernel's own walk_system_ram_range sees),
 * then, if asked, the vmalloc areas the caller names, and looks for
 * needles. A needle is given masked, so the module never holds a secret
 * and cannot find its own copy: the first byte, then the other 31 bytes
 * XORed with a mask. With pk= (the enclave's X25519 public key), every
 * 8-byte-aligned 32 bytes within 256 bytes of an occurrence of it is also
 * tried as its secret key.
 *
 *   insmod vms_memwalk.ko mask=HEX32 needles=NAME:HEX32[,NAME:HEX32...] \
 *          [pk=HEX32] [vranges=START-END[,START-END...]]
 *
 * The verdict is in /sys/module/vms_memwalk/parameters/result, one line
 * ("NAME=HITS ... sk=HITS pk=HITS pages=N unreadable=N vpages=N"), and in
 * the kernel log; it names no secret. Pages that fault (not mapped in the
 * direct map) are counted, not read: copy_from_kernel_nofault.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <crypto/curve25519.h>

#define KEY_LEN		32
#define MAX_NEEDLES	8
/* kept from the page before when the next one is contiguous */
#define LEAD		256
#define RESULT_LEN	512

static char *mask;
module_param(mask, charp, 0);
MODULE_PARM_DESC(mask, "32-byte XOR mask, hex");
static char *needles;
module_param(needles, charp, 0);
MODULE_PARM_DESC(needles, "NAME:HEX32[,...]: first byte, then 31 masked bytes");
static char *pk;
module_param(pk, charp, 0);
MODULE_PARM_DESC(pk, "an X25519 public key, hex: look for its secret key nearby");
/* a list of any length: charp stops at 1024 bytes */
static char *vranges;
static int vranges_set(const char *val, const struct kernel_param *kp)
{
	kfree(vranges);
	vranges = kstrdup(val, GFP_KERNEL);
	return vranges ? 0 : -ENOMEM;
}

static const struct kernel_param_ops vranges_ops = { .set = vranges_set };
module_param_cb(vranges, &vranges_ops, NULL, 0);
MODULE_PARM_DESC(vranges, "vmalloc and module areas to read too: START-END[,...] (hex)");
static char result[RESULT_LEN];
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "the verdict (read-only)");

struct needle {
	char name[16];
	u8 first;
	u8 masked[KEY_LEN];
	unsigned long hits;
};

struct walk {
	u8 mask[KEY_LEN];
	struct needle n[MAX_NEEDLES];
	int nr;
	bool want_sk;
	u8 pk[KEY_LEN];
	/* the first bytes of the needles and of pk */
	bool first[256];
	unsigned long sk_hits, pk_hits;
	unsigned long pages, unreadable, vpages;
	/* LEAD bytes of the page before, then the page */
	u8 *buf;
	bool have_lead;
};

static int parse_hex32(const char *s, size_t len, u8 out[KEY_LEN])
{
	if (len != 2 * KEY_LEN)
		return -EINVAL;
	return hex2bin(out, s, KEY_LEN);
}

static int parse_needles(struct walk *w, char *list)
{
	char *item;

	while ((item = strsep(&list, ","))) {
		char *colon = strchr(item, ':');
		struct needle *n = &w->n[w->nr];
		u8 raw[KEY_LEN];
		size_t nl;

		if (w->nr == MAX_NEEDLES || !colon)
			return -EINVAL;
		nl = colon - item;
		if (!nl || nl >= sizeof(n->name))
			return -EINVAL;
		if (parse_hex32(colon + 1, strlen(colon + 1), raw))
			return -EINVAL;
		memcpy(n->name, item, nl);
		n->name[nl] = 0;
		n->first = raw[0];
		w->first[raw[0]] = true;
		memcpy(n->masked, raw, KEY_LEN);
		w->nr++;
	}
	return w->nr ? 0 : -EINVAL;
}

static bool masked_match(const struct walk *w, const struct needle *n, const u8 *p)
{
	int i;

	for (i = 1; i < KEY_LEN; i++)
		if ((p[i] ^ w->mask[i]) != n->masked[i])
			return false;
	return true;
}

static bool secret_of_pk(const u8 *cand, const u8 pub[KEY_LEN])
{
	u8 sk[KEY_LEN], got[KEY_LEN];
	bool ok;

	memcpy(sk, cand, KEY_LEN);
	ok = memchr_inv(sk, 0, KEY_LEN) && curve25519_generate_public(got, sk) &&
	     !memcmp(got, pub, KEY_LEN);
	memzero_explicit(sk, sizeof(sk));
	memzero_explicit(got, sizeof(got));
	return ok;
}

/*
 * The secret key within LEAD bytes either side of a public key at q, at
 * offsets from it that are multiples of 8 (fields of one structure).
 */
static void look_near_pk(struct walk *w, const u8 *start, const u8 *end, const u8 *q)
{
	const u8 *c = q - min_t(size_t, LEAD, round_down(q - start, 8));

	for (; c <= q + LEAD && c + KEY_LEN <= end; c += 8)
		if (c != q && secret_of_pk(c, w->pk))
			w->sk_hits++;
}

/*
 * Scan w->buf[@from, @len) for needles starting there; bytes before @from
 * down to @valid are context only (the lead: the page before, already
 * scanned, read again for what straddles into this page).
 */
static void scan(struct walk *w, size_t valid, size_t from, size_t len)
{
	const u8 *b = w->buf;
	size_t i;
	int k;

	for (i = from; i + KEY_LEN <= len; i++) {
		/* one table look-up per byte: TCG makes every instruction count */
		if (!w->first[b[i]])
			continue;
		for (k = 0; k < w->nr; k++)
			if (b[i] == w->n[k].first && masked_match(w, &w->n[k], b + i))
				w->n[k].hits++;
		if (w->want_sk && !memcmp(b + i, w->pk, KEY_LEN)) {
			w->pk_hits++;
			look_near_pk(w, b + valid, b + len, b + i);
		}
	}
}

/* one page at @addr (direct map or vmalloc); @contig: follows the last one */
static void scan_page(struct walk *w, const void *addr, bool contig)
{
	u8 *page = w->buf + LEAD;

	if (copy_from_kernel_nofault(page, addr, PAGE_SIZE)) {
		w->unreadable++;
		w->have_lead = false;
		return;
	}
	if (contig && w->have_lead)
		scan(w, 0, LEAD - KEY_LEN + 1, LEAD + PAGE_SIZE);
	else
		scan(w, LEAD, LEAD, LEAD + PAGE_SIZE);
	memcpy(w->buf, page + PAGE_SIZE - LEAD, LEAD);
	w->have_lead = true;
	cond_resched();
}

static int walk_ram_range(struct resource *res, void *arg)
{
	struct walk *w = arg;
	unsigned long pfn, first = PFN_UP(res->start), last = PFN_DOWN(res->end + 1);
	unsigned long prev = 0;

	w->have_lead = false;
	for (pfn = first; pfn < last; pfn++) {
		struct page *pg = pfn_to_online_page(pfn);

		if (!pg) {
			w->have_lead = false;
			continue;
		}
		scan_page(w, page_address(pg), pfn == prev + 1);
		prev = pfn;
		w->pages++;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/* vmalloc()'s window, or the modules' (module_alloc() is a vmalloc too) */
static bool in_vmalloc_space(unsigned long start, unsigned long end)
{
	return (is_vmalloc_addr((void *)start) && is_vmalloc_addr((void *)(end - 1))) ||
	       (start >= MODULES_VADDR && end <= MODULES_END);
}

/*
 * vmalloc areas: only addresses inside the vmalloc window, page by page;
 * @w NULL: only check the list (before anything is walked).
 */
static int walk_vranges(struct walk *w, char *list)
{
	char *item;

	while ((item = strsep(&list, ","))) {
		unsigned long start, end, a;
		char *dash = strchr(item, '-');

		if (!dash)
			return -EINVAL;
		*dash = 0;
		if (kstrtoul(item, 16, &start) || kstrtoul(dash + 1, 16, &end) ||
		    start >= end || !PAGE_ALIGNED(start) || !in_vmalloc_space(start, end)) {
			pr_err("not a vmalloc or module area: %s-%s\n", item, dash + 1);
			return -EINVAL;
		}
		*dash = '-';
		if (!w)
			continue;
		w->have_lead = false;
		for (a = start; a < end; a += PAGE_SIZE) {
			scan_page(w, (void *)a, true);
			w->vpages++;
			if (fatal_signal_pending(current))
				return -EINTR;
		}
	}
	return 0;
}

static void report(const struct walk *w)
{
	int k, off = 0;

	for (k = 0; k < w->nr; k++)
		off += scnprintf(result + off, sizeof(result) - off, "%s=%lu ",
				 w->n[k].name, w->n[k].hits);
	scnprintf(result + off, sizeof(result) - off,
		  "sk=%lu pk=%lu pages=%lu unreadable=%lu vpages=%lu",
		  w->sk_hits, w->pk_hits, w->pages, w->unreadable, w->vpages);
	pr_info("%s\n", result);
}

static int __init vms_memwalk_init(void)
{
	struct walk *w;
	char *list = NULL;
	int r = -EINVAL;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->buf = kmalloc(LEAD + PAGE_SIZE, GFP_KERNEL);
	if (!w->buf) {
		r = -ENOMEM;
		goto out;
	}
	if (!mask || parse_hex32(mask, strlen(mask), w->mask) || !needles) {
		pr_err("needs mask=HEX32 and needles=NAME:HEX32[,...]\n");
		goto out;
	}
	list = kstrdup(needles, GFP_KERNEL);
	if (!list || parse_needles(w, list)) {
		pr_err("bad needles= (at most %d, NAME:HEX32 each)\n", MAX_NEEDLES);
		goto out;
	}
	if (pk) {
		if (parse_hex32(pk, strlen(pk), w->pk)) {
			pr_err("bad pk=\n");
			goto out;
		}
		w->want_sk = true;
		w->first[w->pk[0]] = true;
	}
	if (vranges) {
		kfree(list);
		list = kstrdup(vranges, GFP_KERNEL);
		if (!list || walk_vranges(NULL, list)) {
			pr_err("bad vranges= (START-END[,...], hex, in vmalloc space)\n");
			goto out;
		}
	}
	r = walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				0, -1, w, walk_ram_range);
	/* -EINVAL: no range at all, which no booted kernel has */
	if (r)
		goto out;
	if (vranges) {
		kfree(list);
		list = kstrdup(vranges, GFP_KERNEL);
		r = list ? walk_vranges(w, list) : -ENOMEM;
		if (r)
			goto out;
	}
	report(w);
out:
	kfree(list);
	kfree(vranges);
	vranges = NULL;
	kfree_sensitive(w->buf);
	kfree_sensitive(w);
	return r;
}

static void __exit vms_memwalk_exit(void)
{
}

module_init(vms_memwalk_init);
module_exit(vms_memwalk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmshield test only: walk kernel memory for masked needles");
