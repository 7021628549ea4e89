// SPDX-License-Identifier: GPL-2.0
/*
 * state.c - the snapshot of hosts, policy and worker digests that request
 * handlers read without touching SQLite. Rebuilt from the store at start
 * and after every admin change (under the write lock), so a disabled or
 * removed host, a new revocation cut-off or a worker change takes effect
 * on the next request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hgsd.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_x509.h"

static void hosts_free(struct host_entry *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		EVP_PKEY_free(hosts[i].key);
	free(hosts);
}

static int load_hosts(struct store *st, struct host_entry **out, size_t *n)
{
	json_t *rows = store_query(st, "SELECT name, key_alg, public_key, key_fpr, enabled FROM hosts ORDER BY name", 0);
	struct host_entry *hosts;
	size_t i;
	json_t *row;

	if (!rows)
		return -ENOMEM;
	hosts = calloc(json_array_size(rows) + 1, sizeof(*hosts));
	if (!hosts) {
		json_decref(rows);
		return -ENOMEM;
	}
	json_array_foreach(rows, i, row) {
		const char *pem = json_string_value(json_object_get(row, "public_key"));

		snprintf(hosts[i].name, sizeof(hosts[i].name), "%s",
			 json_string_value(json_object_get(row, "name")));
		snprintf(hosts[i].alg, sizeof(hosts[i].alg), "%s",
			 json_string_value(json_object_get(row, "key_alg")));
		snprintf(hosts[i].fpr, sizeof(hosts[i].fpr), "%s",
			 json_string_value(json_object_get(row, "key_fpr")));
		hosts[i].enabled = (int)json_integer_value(json_object_get(row, "enabled"));
		if (!pem || vms_pkey_from_pem(pem, strlen(pem), &hosts[i].key)) {
			log_err("state", "host=%s msg=\"stored host key unreadable\"", hosts[i].name);
			hosts_free(hosts, i + 1);
			json_decref(rows);
			return -EIO;
		}
	}
	*out = hosts;
	*n = json_array_size(rows);
	json_decref(rows);
	return 0;
}

static int load_policy(struct store *st, struct policy *p)
{
	char v[64];
	json_t *rows, *row;
	size_t i;
	int x;

	memset(p, 0, sizeof(*p));
	if (store_setting_get(st, "min_isolation_level", v, sizeof(v)) ||
	    (x = vms_isolation_from_name(v)) < 0)
		return -EIO;
	p->min_isolation_level = (unsigned int)x;
	if (store_setting_get(st, "require_module_sig", v, sizeof(v)))
		return -EIO;
	p->require_module_sig = !strcmp(v, "1");
	if (store_setting_get(st, "revocation_cutoff", v, sizeof(v)))
		return -EIO;
	p->revocation_cutoff = (time_t)atoll(v);
	if (store_setting_get(st, "worker_policy_version", v, sizeof(v)))
		return -EIO;
	p->worker_policy_version = (unsigned int)atol(v);
	if (store_setting_get(st, "admin_cert_allow_list", v, sizeof(v)))
		return -EIO;
	p->admin_cert_allow_list = !strcmp(v, "1");
	rows = store_query(st, "SELECT digest FROM workers WHERE enabled = 1 ORDER BY id", 0);
	if (!rows)
		return -ENOMEM;
	json_array_foreach(rows, i, row) {
		if (p->n_digests == VMS_KR_MAX_DIGESTS ||
		    vms_hex_decode_exact(json_string_value(json_object_get(row, "digest")),
					 p->digests[p->n_digests], 32)) {
			json_decref(rows);
			return -EIO;
		}
		p->n_digests++;
	}
	json_decref(rows);
	return 0;
}

int state_reload(struct hgsd *h)
{
	struct host_entry *hosts, *old;
	size_t n, old_n;
	struct policy p;
	int r;

	r = load_hosts(h->st, &hosts, &n);
	if (r)
		return r;
	r = load_policy(h->st, &p);
	if (r) {
		hosts_free(hosts, n);
		return r;
	}
	pthread_rwlock_wrlock(&h->lock);
	old = h->hosts;
	old_n = h->n_hosts;
	h->hosts = hosts;
	h->n_hosts = n;
	h->pol = p;
	pthread_rwlock_unlock(&h->lock);
	hosts_free(old, old_n);
	return 0;
}

void state_free(struct hgsd *h)
{
	hosts_free(h->hosts, h->n_hosts);
	h->hosts = NULL;
	h->n_hosts = 0;
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

void state_policy(struct hgsd *h, struct policy *out)
{
	pthread_rwlock_rdlock(&h->lock);
	*out = h->pol;
	pthread_rwlock_unlock(&h->lock);
}
