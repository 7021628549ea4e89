// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - write and parse the isolation report (version 2); the names
 * of the placement, isolation level and lockdown level values.
 *
 * The one definition of the format and of the name tables: the module,
 * the agent, HGS and the tools all go through here. The parser finishes
 * with the same rule check the writer starts with, so the two accept
 * exactly the same reports.
 */
#include <linux/vmshield.h>
#include "report.h"

struct vms_name {
	u32 value;
	const char *name;
};

static const struct vms_name placement_names[] = {
	{ VMSHIELD_PLACEMENT_KERNEL, "kernel" },
	{ VMSHIELD_PLACEMENT_HYPERVISOR, "hypervisor" },
};

static const struct vms_name isolation_names[] = {
	{ VMSHIELD_ISOLATION_KERNEL_OPEN, "kernel-open" },
	{ VMSHIELD_ISOLATION_KERNEL_LOCKED, "kernel-locked" },
	{ VMSHIELD_ISOLATION_HYPERVISOR, "hypervisor" },
};

static const struct vms_name lockdown_names[] = {
	{ VMSHIELD_LOCKDOWN_NONE, "none" },
	{ VMSHIELD_LOCKDOWN_INTEGRITY, "integrity" },
	{ VMSHIELD_LOCKDOWN_CONFIDENTIALITY, "confidentiality" },
};

#define NAMES_LEN(t)	(sizeof(t) / sizeof((t)[0]))

/* A table and its length. */
struct vms_names {
	const struct vms_name *t;
	size_t n;
};

static const struct vms_names placements = {
	placement_names, NAMES_LEN(placement_names)
};

static const struct vms_names isolations = {
	isolation_names, NAMES_LEN(isolation_names)
};

static const struct vms_names lockdowns = {
	lockdown_names, NAMES_LEN(lockdown_names)
};

/* The name of @value, or NULL when the table has none. */
static const char *name_of(const struct vms_names *names, u32 value)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (names->t[i].value == value)
			return names->t[i].name;
	return NULL;
}

static const char *name_or_unknown(const char *name)
{
	return name ? name : "unknown";
}

/* The value named by the @len bytes at @s (not NUL-terminated), or -EINVAL. */
static int value_of(const struct vms_names *names, const char *s, size_t len)
{
	const struct vms_name *e;
	size_t i;

	for (i = 0; i < names->n; i++) {
		e = &names->t[i];
		if (strlen(e->name) == len && !memcmp(e->name, s, len))
			return (int)e->value;
	}
	return -EINVAL;
}

const char *vms_placement_name(u32 placement)
{
	return name_or_unknown(name_of(&placements, placement));
}

const char *vms_isolation_name(u32 level)
{
	return name_or_unknown(name_of(&isolations, level));
}

const char *vms_lockdown_level_name(u32 lockdown)
{
	return name_or_unknown(name_of(&lockdowns, lockdown));
}

int vms_placement_from_name(const char *name)
{
	return name ? value_of(&placements, name, strlen(name)) :
		      -EINVAL;
}

int vms_isolation_from_name(const char *name)
{
	return name ? value_of(&isolations, name, strlen(name)) :
		      -EINVAL;
}

int vms_lockdown_level_from_name(const char *name)
{
	return name ? value_of(&lockdowns, name, strlen(name)) :
		      -EINVAL;
}

u32 vms_isolation_level_of(u32 lockdown, bool sig_enforced)
{
	if (lockdown == VMSHIELD_LOCKDOWN_CONFIDENTIALITY && sig_enforced)
		return VMSHIELD_ISOLATION_KERNEL_LOCKED;
	return VMSHIELD_ISOLATION_KERNEL_OPEN;
}

/* ---- the host facts block (lockdown at load, Yama) ------------------------ */

static void vms_report_host_facts_from_info(const struct vmshield_info *info,
					    struct vms_isolation_report *r)
{
	if (!(info->facts & VMSHIELD_FACT_HOST_FACTS))
		return;
	r->has_host_facts = true;
	r->lockdown_at_load = info->lockdown_at_load;
	r->ptrace_scope = info->ptrace_scope;
	r->crash_kernel = info->facts & VMSHIELD_FACT_CRASH_KERNEL;
}

/* Yama's scope as the report spells it: "0".."3" or "unknown". */
static const char *scope_name(u32 scope)
{
	static const char *const names[] = { "0", "1", "2", "3" };

	return scope < 4 ? names[scope] : "unknown";
}

static int host_facts_check(const struct vms_isolation_report *r)
{
	if (!r->has_host_facts)
		return 0;
	if (!name_of(&lockdowns, r->lockdown_at_load))
		return -EINVAL;
	/* lockdown only rises: the key's level cannot be below the load's */
	if (r->lockdown < r->lockdown_at_load)
		return -EINVAL;
	if (r->ptrace_scope > 3 &&
	    r->ptrace_scope != VMSHIELD_PTRACE_SCOPE_UNKNOWN)
		return -EINVAL;
	return 0;
}

void vms_report_from_info(const struct vmshield_info *info,
			  struct vms_isolation_report *r)
{
	memset(r, 0, sizeof(*r));
	r->placement = info->placement;
	r->level = info->isolation_level;
	r->lockdown = info->lockdown;
	r->sig_enforced = info->facts & VMSHIELD_FACT_SIG_ENFORCED;
	r->module_sig_ok = info->facts & VMSHIELD_FACT_MODULE_SIG_OK;
	/*
	 * GET_INFO says "hypervisor" for the enclave's level; the report
	 * carries the host kernel's own, as the module measures it: only
	 * HGS, with the platform's report, lifts it to hypervisor.
	 */
	if (r->placement == VMSHIELD_PLACEMENT_HYPERVISOR)
		r->level = vms_isolation_level_of(r->lockdown, r->sig_enforced);
	memcpy(r->enclave_pk, info->enclave_pk, VMS_REPORT_PK_LEN);
	r->kps_set = info->facts & VMSHIELD_FACT_KPS_SET;
	if (r->kps_set)
		memcpy(r->kps_pk, info->kps_pk, VMS_REPORT_PK_LEN);
	vms_report_host_facts_from_info(info, r);
}

/*
 * kps_pk: "none" is exactly kps_set 0 with an all-zero key (one spelling);
 * a named key is never all zero (the module refuses that key).
 */
static int report_kps_check(const struct vms_isolation_report *r)
{
	size_t i;
	u8 any = 0;

	for (i = 0; i < VMS_REPORT_PK_LEN; i++)
		any |= r->kps_pk[i];
	if (!r->kps_set != !any)
		return -EINVAL;
	return 0;
}

/* The rules of report.h, shared by the writer and the parser. */
static int report_check(const struct vms_isolation_report *r)
{
	if (r->placement != VMSHIELD_PLACEMENT_KERNEL &&
	    r->placement != VMSHIELD_PLACEMENT_HYPERVISOR)
		return -EINVAL;
	if (!name_of(&lockdowns, r->lockdown))
		return -EINVAL;
	if (r->level != vms_isolation_level_of(r->lockdown, r->sig_enforced))
		return -EINVAL;
	if (report_kps_check(r))
		return -EINVAL;
	return host_facts_check(r);
}

/* ---- writing ------------------------------------------------------------ */

struct out {
	char *p;
	size_t len;		/* room at p, NUL included */
	int err;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->err)
		return;
	if (n >= o->len) {
		o->err = -ENOSPC;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->len -= n;
	*o->p = '\0';
}

static void put_field(struct out *o, const char *key, const char *value)
{
	put(o, " ");
	put(o, key);
	put(o, "=");
	put(o, value);
}

static void hex_key(const u8 key[VMS_REPORT_PK_LEN],
		    char out[2 * VMS_REPORT_PK_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < VMS_REPORT_PK_LEN; i++) {
		out[2 * i] = hex[key[i] >> 4];
		out[2 * i + 1] = hex[key[i] & 0xf];
	}
	out[2 * VMS_REPORT_PK_LEN] = '\0';
}

static void put_host_facts(struct out *o, const struct vms_isolation_report *r)
{
	if (!r->has_host_facts)
		return;
	put_field(o, "lockdown_at_load", vms_lockdown_level_name(r->lockdown_at_load));
	put_field(o, "ptrace_scope", scope_name(r->ptrace_scope));
	put_field(o, "crash_kernel", r->crash_kernel ? "1" : "0");
}

int vms_report_format(const struct vms_isolation_report *r, char *buf,
		      size_t len)
{
	char pk[2 * VMS_REPORT_PK_LEN + 1], kps[2 * VMS_REPORT_PK_LEN + 1];
	struct out o = { buf, len, 0 };
	int ret;

	if (!buf || !len)
		return -ENOSPC;
	memset(buf, 0, len);
	if (!r)
		return -EINVAL;
	ret = report_check(r);
	if (ret)
		return ret;
	hex_key(r->enclave_pk, pk);
	if (r->kps_set)
		hex_key(r->kps_pk, kps);
	else
		memcpy(kps, "none", sizeof("none"));

	put(&o, VMS_REPORT_MAGIC " v2");
	put_field(&o, "placement", vms_placement_name(r->placement));
	put_field(&o, "level", vms_isolation_name(r->level));
	put_field(&o, "lockdown", vms_lockdown_level_name(r->lockdown));
	put_field(&o, "sig_enforced", r->sig_enforced ? "1" : "0");
	put_field(&o, "module_sig_ok", r->module_sig_ok ? "1" : "0");
	put_field(&o, "enclave_pk", pk);
	put_field(&o, "kps_pk", kps);
	put_host_facts(&o, r);
	if (o.err) {
		memset(buf, 0, len);	/* no part of a line is left */
		return o.err;
	}
	return (int)(o.p - buf);
}

/* ---- parsing ------------------------------------------------------------ */

struct in {
	const char *p;
	const char *end;
};

/*
 * Take " key=" and then the value, up to the next space (or the end of
 * the line for the last field); the value may not be empty.
 */
static int take(struct in *c, const char *key, const char **val,
		size_t *vlen)
{
	size_t klen = strlen(key);
	const char *q = c->p;

	if ((size_t)(c->end - q) < klen + 2 || q[0] != ' ' ||
	    memcmp(q + 1, key, klen) || q[1 + klen] != '=')
		return -EINVAL;
	q += klen + 2;
	*val = q;
	while (q < c->end && *q != ' ')
		q++;
	*vlen = (size_t)(q - *val);
	c->p = q;
	return *vlen ? 0 : -EINVAL;
}

static int take_name(struct in *c, const char *key,
		     const struct vms_names *names, u32 *out)
{
	const char *v;
	size_t vlen;
	int x;

	if (take(c, key, &v, &vlen))
		return -EINVAL;
	x = value_of(names, v, vlen);
	if (x < 0)
		return x;
	*out = (u32)x;
	return 0;
}

static int take_bit(struct in *c, const char *key, bool *out)
{
	const char *v;
	size_t vlen;

	if (take(c, key, &v, &vlen) || vlen != 1 || (v[0] != '0' && v[0] != '1'))
		return -EINVAL;
	*out = v[0] == '1';
	return 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;	/* upper case too: the report has one spelling */
}

static int take_key(struct in *c, const char *key, u8 pk[VMS_REPORT_PK_LEN])
{
	const char *v;
	size_t vlen, i;

	if (take(c, key, &v, &vlen) || vlen != 2 * VMS_REPORT_PK_LEN)
		return -EINVAL;
	for (i = 0; i < VMS_REPORT_PK_LEN; i++) {
		int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		pk[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

/* kps_pk=<64 hex> (kps_set) or kps_pk=none (not set, all zero). */
static int take_kps(struct in *c, struct vms_isolation_report *r)
{
	const char *v;
	size_t vlen;
	struct in peek = *c;

	if (take(&peek, "kps_pk", &v, &vlen))
		return -EINVAL;
	if (vlen == 4 && !memcmp(v, "none", 4)) {
		*c = peek;
		r->kps_set = false;
		return 0;
	}
	r->kps_set = true;
	return take_key(c, "kps_pk", r->kps_pk);
}

/* The host facts block, when the line goes on with it: both fields. */
static int take_host_facts(struct in *c, struct vms_isolation_report *r)
{
	static const char key[] = " lockdown_at_load=";
	const char *v;
	size_t vlen;

	if ((size_t)(c->end - c->p) < sizeof(key) - 1 ||
	    memcmp(c->p, key, sizeof(key) - 1))
		return 0;
	if (take_name(c, "lockdown_at_load", &lockdowns, &r->lockdown_at_load) ||
	    take(c, "ptrace_scope", &v, &vlen))
		return -EINVAL;
	if (vlen == 1 && v[0] >= '0' && v[0] <= '3')
		r->ptrace_scope = (u32)(v[0] - '0');
	else if (vlen == 7 && !memcmp(v, "unknown", 7))
		r->ptrace_scope = VMSHIELD_PTRACE_SCOPE_UNKNOWN;
	else
		return -EINVAL;
	if (take_bit(c, "crash_kernel", &r->crash_kernel))
		return -EINVAL;
	r->has_host_facts = true;
	return 0;
}

/*
 * "vmshield-report v<N>" then a space or the end: -EILSEQ when the line does
 * not start so, -EPROTONOSUPPORT when N is not 2.
 */
static int take_head(struct in *c)
{
	static const char magic[] = VMS_REPORT_MAGIC " v";
	const char *digits = c->p + sizeof(magic) - 1, *q = digits;

	if ((size_t)(c->end - c->p) < sizeof(magic) - 1 ||
	    memcmp(c->p, magic, sizeof(magic) - 1))
		return -EILSEQ;
	while (q < c->end && *q >= '0' && *q <= '9')
		q++;
	if (q == digits || (q < c->end && *q != ' '))
		return -EILSEQ;
	if (q - digits != 1 || *digits != '0' + VMS_REPORT_VERSION)
		return -EPROTONOSUPPORT;
	c->p = q;
	return 0;
}

static int report_fields(const char *text, size_t len,
			 struct vms_isolation_report *r)
{
	struct in c = { text, text + len };
	size_t i;
	int ret;

	if (!text)
		return -EINVAL;
	if (len >= VMS_REPORT_MAX)
		return -EMSGSIZE;
	for (i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return -EILSEQ;
	ret = take_head(&c);
	if (ret)
		return ret;
	if (take_name(&c, "placement", &placements, &r->placement) ||
	    take_name(&c, "level", &isolations, &r->level) ||
	    take_name(&c, "lockdown", &lockdowns, &r->lockdown) ||
	    take_bit(&c, "sig_enforced", &r->sig_enforced) ||
	    take_bit(&c, "module_sig_ok", &r->module_sig_ok) ||
	    take_key(&c, "enclave_pk", r->enclave_pk) ||
	    take_kps(&c, r) ||
	    take_host_facts(&c, r))
		return -EINVAL;
	if (c.p != c.end)
		return -EINVAL;
	return report_check(r);
}

int vms_report_parse(const char *text, size_t len,
		     struct vms_isolation_report *r)
{
	int ret;

	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	ret = report_fields(text, len, r);
	if (ret)
		memset(r, 0, sizeof(*r));
	return ret;
}
