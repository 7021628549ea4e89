// SPDX-License-Identifier: GPL-2.0
/*
 * state.c - the snapshot of hosts, policy and worker digests that request
 * handlers read without touching SQLite. Rebuilt from the store at start
 * and after every admin change (under the write lock), so a disabled or
 * removed host, a new revocation cut-off or a worker change takes effect
 * on the next request.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hgsd.h"
#include "log.h"
#include "platform.h"
#include "state.h"
#include "store.h"
#include "vms_cleanup_json.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_tpm_eventlog.h"
#include "vms_x509.h"

static void hosts_free(struct host_entry *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		EVP_PKEY_free(hosts[i].key);
	free(hosts);
}

/* One row of the hosts table into @e; -EIO (logged) if it is unreadable. */
static int host_from_row(json_t *row, struct host_entry *e)
{
	const char *pem = json_string_value(json_object_get(row, "public_key"));
	const char *ek = json_string_value(json_object_get(row, "ek_public"));

	snprintf(e->name, sizeof(e->name), "%s",
		 json_string_value(json_object_get(row, "name")));
	snprintf(e->alg, sizeof(e->alg), "%s",
		 json_string_value(json_object_get(row, "key_alg")));
	snprintf(e->fpr, sizeof(e->fpr), "%s",
		 json_string_value(json_object_get(row, "key_fpr")));
	e->enabled = (int)json_integer_value(json_object_get(row, "enabled"));
	snprintf(e->ek_fpr, sizeof(e->ek_fpr), "%s",
		 json_string_value(json_object_get(row, "ek_fpr")));
	snprintf(e->hw_class, sizeof(e->hw_class), "%s",
		 json_string_value(json_object_get(row, "hardware_class")));
	if (!ek || (*ek && vms_hex_decode(ek, e->ek, sizeof(e->ek), &e->ek_len))) {
		log_err("state", "host=%s msg=\"stored EK unreadable\"", e->name);
		return -EIO;
	}
	if (pem && !*pem)	/* registered by its EK only */
		return 0;
	if (!pem || vms_pkey_from_pem(pem, strlen(pem), &e->key)) {
		log_err("state", "host=%s msg=\"stored host key unreadable\"", e->name);
		return -EIO;
	}
	return 0;
}

static int load_hosts(struct store *st, struct host_entry **out, size_t *n)
{
	_cleanup_json_ json_t *rows = store_list(st, STORE_LIST_HOST_KEYS, 0);
	struct host_entry *hosts;
	json_t *row;
	size_t i;

	if (!rows)
		return log_errno(-ENOMEM, "state", "step=\"reading the hosts\"");
	hosts = calloc(json_array_size(rows) + 1, sizeof(*hosts));
	if (!hosts)
		return log_errno(-ENOMEM, "state", "step=\"reading the hosts\"");
	json_array_foreach(rows, i, row) {
		if (host_from_row(row, &hosts[i])) {
			hosts_free(hosts, i + 1);
			return -EIO;
		}
	}
	*out = hosts;
	*n = json_array_size(rows);
	return 0;
}

/* Setting @name of the store into @v; -EIO (logged) if it cannot be read. */
static int setting(struct store *st, const char *name, char *v, size_t len)
{
	int r = store_setting_get(st, name, v, len);

	if (r)
		return log_errno(r == -ENOENT ? -EIO : r, "state", "step=\"reading the setting\" setting=%s",
				 name);
	return 0;
}

/* The enabled worker digests, in the order they were added. */
static int load_worker_digests(struct store *st, struct policy *p)
{
	_cleanup_json_ json_t *rows = store_list(st, STORE_LIST_ENABLED_WORKER_DIGESTS,
						 0);
	json_t *row;
	size_t i;

	if (!rows)
		return log_errno(-ENOMEM, "state", "step=\"reading the worker digests\"");
	json_array_foreach(rows, i, row) {
		if (p->n_digests == VMS_KR_MAX_DIGESTS ||
		    vms_hex_decode_exact(json_string_value(json_object_get(row, "digest")),
					 p->digests[p->n_digests], 32))
			return log_errno(-EIO, "state", "step=\"reading the worker digests\" msg=\"more than %d, or one is not a SHA-256\"",
					 VMS_KR_MAX_DIGESTS);
		p->n_digests++;
	}
	return 0;
}

/* A release lifetime setting: whole seconds in the range policy/set accepts. */
static int load_lifetime(struct store *st, const char *name, unsigned int *out)
{
	char v[64];

	if (setting(st, name, v, sizeof(v)))
		return -EIO;
	if (release_lifetime_parse(v, out))
		return log_errno(-EIO, "state", "step=\"reading the setting\" setting=%s msg=\"not a lifetime in seconds (%u..%u)\"",
				 name, RELEASE_LIFETIME_MIN_S, VMS_KR_MAX_LIFETIME);
	return 0;
}

unsigned int policy_release_lifetime(const struct policy *p, unsigned int kp_policy)
{
	return kp_policy == VMS_KR_POLICY_SHIELDED ? p->lifetime_shielded_s :
	       p->lifetime_encryption_supported_s;
}

int release_lifetime_parse(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 7)
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (v < RELEASE_LIFETIME_MIN_S || v > VMS_KR_MAX_LIFETIME)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int load_policy(struct store *st, struct policy *p)
{
	char v[64];
	int x;

	memset(p, 0, sizeof(*p));
	if (setting(st, "min_isolation_level", v, sizeof(v)))
		return -EIO;
	x = vms_isolation_from_name(v);
	if (x < 0)
		return log_errno(-EIO, "state", "step=\"reading the setting\" setting=min_isolation_level msg=\"not an isolation level\"");
	p->min_isolation_level = (unsigned int)x;
	if (setting(st, "require_module_sig", v, sizeof(v)))
		return -EIO;
	p->require_module_sig = !strcmp(v, "1");
	if (setting(st, "revocation_cutoff", v, sizeof(v)))
		return -EIO;
	p->revocation_cutoff = (time_t)atoll(v);
	if (setting(st, "worker_policy_version", v, sizeof(v)))
		return -EIO;
	p->worker_policy_version = (unsigned int)atol(v);
	if (setting(st, "admin_cert_allow_list", v, sizeof(v)))
		return -EIO;
	p->admin_cert_allow_list = !strcmp(v, "1");
	if (setting(st, "platform_types", v, sizeof(v)))
		return -EIO;
	if (platform_types_parse(v, &p->platform_types))
		return log_errno(-EIO, "state", "step=\"reading the setting\" setting=platform_types msg=\"not a list of platform types\"");
	if (load_lifetime(st, "release_lifetime_shielded_s", &p->lifetime_shielded_s) ||
	    load_lifetime(st, "release_lifetime_encryption_supported_s",
			  &p->lifetime_encryption_supported_s))
		return -EIO;
	return load_worker_digests(st, p);
}

int tpm_pcrs_parse(const char *s, uint32_t *mask)
{
	const uint32_t need = 0xffu | 1u << 10;
	unsigned long a, b;
	char *end;

	*mask = 0;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			b = strtoul(s, &end, 10);
		}
		if (a > b || b > 23 || (*end && *end != ','))
			return -EINVAL;
		for (; a <= b; a++)
			*mask |= 1u << a;
		s = *end ? end + 1 : end;
		if (*end && !*s)
			return -EINVAL;
	}
	/* only PCRs HGS can verify: 10 by IMA, the others by the boot log */
	if (*mask & ~VMS_TPM_VERIFIABLE_PCRS)
		return -EINVAL;
	return (*mask & need) == need ? 0 : -EINVAL;
}

void tpm_pcrs_format(uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;
	int i = 0, j;

	buf[0] = 0;
	while (i < 24) {
		if (!(mask & 1u << i)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < 24 && mask & 1u << (j + 1); j++)
			;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					j > i ? "%s%d-%d" : "%s%d", off ? "," : "", i, j);
		i = j + 1;
	}
}

static void tpm_state_free(struct tpm_state *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_baselines; i++)
		vms_baseline_free(&t->baselines[i]);
	free(t->baselines);
	for (i = 0; i < t->n_ima_keys; i++)
		vms_ima_key_free(&t->ima_keys[i]);
	free(t->ima_keys);
	free(t->module_digests);
	free(t->allowlist);
	free(t->ima_policy_digests);
	free(t);
}

VMS_DEFINE_CLEANUP(struct tpm_state, tpm_state_free)

/* The 0/1 settings of TPM mode and the field each one sets. */
static const struct {
	const char *name;
	size_t off;
} tpm_flags[] = {
	{ "tpm_check_module_digest", offsetof(struct tpm_state, check_module_digest) },
	{ "tpm_runtime_allowlist", offsetof(struct tpm_state, runtime_allowlist) },
	{ "tpm_require_ima_appraisal", offsetof(struct tpm_state, require_ima_appraisal) },
	{ "tpm_require_secure_boot", offsetof(struct tpm_state, require_secure_boot) },
	{ "tpm_report_at_load", offsetof(struct tpm_state, report_at_load) },
	{ "tpm_allow_ima_violations", offsetof(struct tpm_state, allow_ima_violations) },
	{ "tpm_allow_key_level_history", offsetof(struct tpm_state, allow_key_level_history) },
	{ "tpm_require_locked_at_load", offsetof(struct tpm_state, require_locked_at_load) },
	{ "tpm_require_ptrace_scope3", offsetof(struct tpm_state, require_ptrace_scope3) },
	{ "tpm_require_no_crash_kernel", offsetof(struct tpm_state, require_no_crash_kernel) },
	{ "tpm_require_lockdown_cmdline", offsetof(struct tpm_state, require_lockdown_cmdline) },
};

static int load_tpm_flags(struct store *st, struct tpm_state *t)
{
	char v[128];
	size_t i;

	if (setting(st, "tpm_pcrs", v, sizeof(v)))
		return -EIO;
	if (tpm_pcrs_parse(v, &t->pcr_mask))
		return log_errno(-EIO, "state", "step=\"reading the setting\" setting=tpm_pcrs msg=\"not a PCR list with 0-7 and 10\"");
	for (i = 0; i < ARRAY_SIZE(tpm_flags); i++) {
		if (setting(st, tpm_flags[i].name, v, sizeof(v)))
			return -EIO;
		*(int *)((char *)t + tpm_flags[i].off) = !strcmp(v, "1");
	}
	return 0;
}

int tpm_ima_policy_digests_parse(const char *s, uint8_t out[][32], size_t *n)
{
	size_t count = 0;

	*n = 0;
	if (!strcmp(s, "none"))
		return 0;
	for (;;) {
		char hex[65];
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (count == VMS_IMA_POLICY_DIGESTS_MAX || len != 64)
			return -EINVAL;
		memcpy(hex, s, 64);
		hex[64] = 0;
		if (vms_hex_decode_exact(hex, out[count], 32))
			return -EINVAL;
		count++;
		if (!end)
			break;
		s = end + 1;
	}
	*n = count;
	return 0;
}

/* tpm_ima_policy_digests (a setting: a short list, set with the policy) */
static int load_ima_policy_digests(struct store *st, struct tpm_state *t)
{
	char v[VMS_IMA_POLICY_DIGESTS_TEXT];

	if (setting(st, "tpm_ima_policy_digests", v, sizeof(v)))
		return -EIO;
	t->ima_policy_digests = calloc(VMS_IMA_POLICY_DIGESTS_MAX, 32);
	if (!t->ima_policy_digests)
		return log_errno(-ENOMEM, "state", "step=\"reading the setting\" setting=tpm_ima_policy_digests");
	if (tpm_ima_policy_digests_parse(v, t->ima_policy_digests,
					 &t->n_ima_policy_digests))
		return log_errno(-EIO, "state", "step=\"reading the setting\" setting=tpm_ima_policy_digests msg=\"not none or a list of SHA-256 digests\"");
	return 0;
}

/* The digests (one SHA-256 each) of @kind ("module" or "allow"). */
static int load_digests(struct store *st, enum store_list which, const char *kind,
			uint8_t (**out)[32], size_t *n)
{
	_cleanup_json_ json_t *rows = store_list(st, which, 0);
	json_t *row;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!rows)
		return log_errno(-ENOMEM, "state", "step=\"reading the TPM digests\" kind=%s", kind);
	*out = calloc(json_array_size(rows) + 1, 32);
	if (!*out)
		return log_errno(-ENOMEM, "state", "step=\"reading the TPM digests\" kind=%s", kind);
	json_array_foreach(rows, i, row) {
		if (vms_hex_decode_exact(json_string_value(json_object_get(row, "digest")),
					 (*out)[i], 32))
			return log_errno(-EIO, "state", "step=\"reading the TPM digests\" kind=%s msg=\"one is not a SHA-256\"",
					 kind);
	}
	*n = json_array_size(rows);
	return 0;
}

/* The latest version of every baseline name (enabled or not). */
static int load_baselines(struct store *st, struct tpm_state *t)
{
	_cleanup_json_ json_t *rows = store_list(st, STORE_LIST_BASELINES_IN_USE, 0);
	json_t *row;
	char err[128];
	size_t i;

	if (!rows)
		return log_errno(-ENOMEM, "state", "step=\"reading the baselines\"");
	t->baselines = calloc(json_array_size(rows) + 1, sizeof(*t->baselines));
	if (!t->baselines)
		return log_errno(-ENOMEM, "state", "step=\"reading the baselines\"");
	json_array_foreach(rows, i, row) {
		const char *body = json_string_value(json_object_get(row, "body"));

		if (!body || vms_baseline_from_json(body, strlen(body), &t->baselines[i], err)) {
			log_err("state", "baseline=%s msg=\"stored baseline unreadable\"",
				json_string_value(json_object_get(row, "name")));
			return -EIO;
		}
		t->n_baselines = i + 1;
		t->baselines[i].enabled = (int)json_integer_value(json_object_get(row, "enabled"));
	}
	return 0;
}

/* A stored certificate (DER as hex) as an IMA key. */
static int ima_key_from_hex(const char *hex, struct vms_ima_key *k)
{
	_cleanup_free_ uint8_t *der = NULL;
	size_t len = hex ? strlen(hex) / 2 : 0;

	der = len ? malloc(len) : NULL;
	if (!der || vms_hex_decode_exact(hex, der, len))
		return -EIO;
	return vms_ima_key_from_der(der, len, k);
}

/* The approved IMA signing keys, parsed once per snapshot. */
static int load_ima_keys(struct store *st, struct tpm_state *t)
{
	_cleanup_json_ json_t *rows = store_list(st, STORE_LIST_IMA_KEY_CERTS, 0);
	json_t *row;
	size_t i;

	if (!rows)
		return log_errno(-ENOMEM, "state", "step=\"reading the IMA keys\"");
	t->ima_keys = calloc(json_array_size(rows) + 1, sizeof(*t->ima_keys));
	if (!t->ima_keys)
		return log_errno(-ENOMEM, "state", "step=\"reading the IMA keys\"");
	json_array_foreach(rows, i, row) {
		if (ima_key_from_hex(json_string_value(json_object_get(row, "cert")),
				     &t->ima_keys[i])) {
			log_err("state", "ima_key=%.64s msg=\"stored IMA key unreadable\"",
				json_string_value(json_object_get(row, "fpr")));
			return -EIO;
		}
		t->n_ima_keys = i + 1;
	}
	return 0;
}

/* TPM mode's part of the snapshot: policy flags, digests, baselines, keys. */
static int load_tpm(struct store *st, struct tpm_state **out)
{
	_cleanup_(tpm_state_freep) struct tpm_state *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return log_errno(-ENOMEM, "state", "step=\"reading TPM mode's policy\"");
	t->refs = 1;
	r = load_tpm_flags(st, t);
	if (r)
		return r;
	r = load_digests(st, STORE_LIST_TPM_MODULE_DIGESTS,
			 "module", &t->module_digests, &t->n_module_digests);
	if (r)
		return r;
	r = load_digests(st, STORE_LIST_TPM_ALLOWLIST,
			 "allow", &t->allowlist, &t->n_allowlist);
	if (r)
		return r;
	r = load_baselines(st, t);
	if (r)
		return r;
	r = load_ima_keys(st, t);
	if (r)
		return r;
	r = load_ima_policy_digests(st, t);
	if (r)
		return r;
	*out = VMS_TAKE_PTR(t);
	return 0;
}

struct tpm_state *state_tpm_get(struct hgsd *h)
{
	struct tpm_state *t;

	pthread_rwlock_rdlock(&h->lock);
	t = h->tpm;
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
	pthread_rwlock_unlock(&h->lock);
	return t;
}

void state_tpm_put(struct tpm_state *t)
{
	if (t && !__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		tpm_state_free(t);
}

/*
 * Reloads one at a time (an admin change's and the change feed's): a
 * slower reload that read the store earlier must not install its older
 * snapshot over a newer one.
 */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static int reload(struct hgsd *h);

int state_reload(struct hgsd *h)
{
	int r;

	pthread_mutex_lock(&reload_lock);
	r = reload(h);
	pthread_mutex_unlock(&reload_lock);
	return r;
}

static int reload(struct hgsd *h)
{
	_cleanup_(tpm_state_freep) struct tpm_state *tpm = NULL;
	struct host_entry *hosts = NULL, *old;
	struct tpm_state *old_tpm;
	size_t n = 0, old_n;
	long long seq = -1;
	struct policy p;
	int r;

	/* the feed's position first: the snapshot is at least as new as it */
	if (store_change_seq(h->st, &seq))
		seq = -1;
	r = load_policy(h->st, &p);
	if (r)
		return r;
	r = load_tpm(h->st, &tpm);
	if (r)
		return r;
	r = load_hosts(h->st, &hosts, &n);
	if (r)
		return r;
	pthread_rwlock_wrlock(&h->lock);
	old = h->hosts;
	old_n = h->n_hosts;
	old_tpm = h->tpm;
	h->hosts = hosts;
	h->n_hosts = n;
	h->pol = p;
	h->tpm = VMS_TAKE_PTR(tpm);
	pthread_rwlock_unlock(&h->lock);
	if (seq >= 0)
		__atomic_store_n(&h->snapshot_seq, seq, __ATOMIC_RELEASE);
	hosts_free(old, old_n);
	state_tpm_put(old_tpm);
	return 0;
}

void state_free(struct hgsd *h)
{
	hosts_free(h->hosts, h->n_hosts);
	h->hosts = NULL;
	h->n_hosts = 0;
	state_tpm_put(h->tpm);
	h->tpm = NULL;
}

int state_host(struct hgsd *h, const char *name, struct host_entry *out)
{
	size_t lo = 0, hi, mid;
	int r = -ENOENT, c;

	pthread_rwlock_rdlock(&h->lock);
	hi = h->n_hosts;
	while (lo < hi) {	/* hosts are sorted by name (byte order) */
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, h->hosts[mid].name);
		if (!c) {
			*out = h->hosts[mid];
			if (out->key)
				EVP_PKEY_up_ref(out->key);
			r = 0;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	pthread_rwlock_unlock(&h->lock);
	return r;
}

void host_entry_release(struct host_entry *e)
{
	EVP_PKEY_free(e->key);
	e->key = NULL;
}

time_t state_issue_time(struct hgsd *h)
{
	struct policy p;
	time_t now = time(NULL);

	state_policy(h, &p);
	return p.revocation_cutoff == now + 1 ? p.revocation_cutoff : now;
}

void state_policy(struct hgsd *h, struct policy *out)
{
	pthread_rwlock_rdlock(&h->lock);
	*out = h->pol;
	pthread_rwlock_unlock(&h->lock);
}
