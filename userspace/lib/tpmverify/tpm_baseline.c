// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_baseline.c - capture, serialize and compare boot baselines.
 * Format and rules: vms_tpm_baseline.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vms_hex.h"
#include "vms_tpm_baseline.h"

static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	size_t i;

	if (n == 0 || n > VMS_BASELINE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* An event on a PCR of @mask that the log can vouch for, and extended. */
static int in_baseline(uint32_t pcr, uint32_t type, uint32_t mask)
{
	mask &= VMS_TPM_LOG_PCRS;
	return pcr < VMS_TPM_PCRS && (mask & 1u << pcr) &&
	       type != VMS_EV_NO_ACTION;
}

void vms_baseline_free(struct vms_baseline *b)
{
	free(b->ev);
	memset(b, 0, sizeof(*b));
}

int vms_baseline_capture(const struct vms_tpm_eventlog *log, const char *name,
			 const char *hw_class, uint32_t version,
			 struct vms_baseline *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	if (!name_ok(name) || !name_ok(hw_class) || version == 0 ||
	    version > INT32_MAX)
		return -EINVAL;
	b->ev = calloc(log->n_events ? log->n_events : 1, sizeof(*b->ev));
	if (!b->ev)
		return -ENOMEM;
	for (i = 0; i < log->n_events; i++) {
		const struct vms_tpm_event *e = &log->events[i];

		if (!in_baseline(e->pcr, e->type, VMS_TPM_LOG_PCRS))
			continue;
		b->ev[b->n].pcr = e->pcr;
		b->ev[b->n].type = e->type;
		memcpy(b->ev[b->n].sha256, e->sha256, VMS_SHA256_LEN);
		b->n++;
	}
	strcpy(b->name, name);
	strcpy(b->hw_class, hw_class);
	b->version = version;
	b->enabled = 1;
	return 0;
}

char *vms_baseline_to_json(const struct vms_baseline *b)
{
	json_t *root, *evs;
	char *out;
	size_t i;

	evs = json_array();
	root = json_pack("{s:s, s:s, s:s, s:I, s:b, s:o}",
			 "format", VMS_BASELINE_FORMAT, "name", b->name,
			 "hardware_class", b->hw_class,
			 "version", (json_int_t)b->version,
			 "enabled", b->enabled, "events", evs);
	if (!root)
		return NULL;
	for (i = 0; i < b->n; i++) {
		char hex[2 * VMS_SHA256_LEN + 1], tmp[16];
		json_t *e;

		vms_hex_encode(b->ev[i].sha256, VMS_SHA256_LEN, hex);
		e = json_pack("{s:I, s:s, s:s}", "pcr",
			      (json_int_t)b->ev[i].pcr, "type",
			      vms_tpm_event_type_name(b->ev[i].type, tmp),
			      "sha256", hex);
		if (!e || json_array_append_new(evs, e)) {
			json_decref(root);
			return NULL;
		}
	}
	out = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}

/* TCG name or EV_0x<8 hex> back to the number. */
static int type_from_name(const char *s, uint32_t *t)
{
	char tmp[16];
	uint32_t cand;
	char *end;

	if (!strncmp(s, "EV_0x", 5) && strlen(s) == 13) {
		unsigned long v = strtoul(s + 5, &end, 16);

		if (*end)
			return -EINVAL;
		*t = (uint32_t)v;
		return 0;
	}
	/* the names table is small: try the types it knows */
	for (cand = 0; cand <= 0x12; cand++)
		if (!strcmp(vms_tpm_event_type_name(cand, tmp), s))
			goto found;
	for (cand = 0x80000001; cand <= 0x80000009; cand++)
		if (!strcmp(vms_tpm_event_type_name(cand, tmp), s))
			goto found;
	cand = 0x800000e0;
	if (!strcmp(vms_tpm_event_type_name(cand, tmp), s))
		goto found;
	return -EINVAL;
found:
	*t = cand;
	return 0;
}

static int fail(char err[128], const char *msg)
{
	snprintf(err, 128, "%s", msg);
	return -EINVAL;
}

static int event_from_json(json_t *o, struct vms_baseline_event *e,
			   char err[128])
{
	const char *type, *hex;
	json_int_t pcr;
	json_error_t je;

	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:I, s:s, s:s}", "pcr", &pcr,
			   "type", &type, "sha256", &hex))
		return fail(err, "an event is not {pcr, type, sha256}");
	if (pcr < 0 || pcr >= VMS_TPM_PCRS ||
	    !(VMS_TPM_LOG_PCRS & 1u << pcr))
		return fail(err, "an event's pcr is not one a boot log covers (0-9, 11-15)");
	if (type_from_name(type, &e->type) || e->type == VMS_EV_NO_ACTION)
		return fail(err, "an event's type is not a TCG event type");
	if (strlen(hex) != 2 * VMS_SHA256_LEN ||
	    vms_hex_decode_exact(hex, e->sha256, VMS_SHA256_LEN))
		return fail(err, "an event's sha256 is not 64 hex digits");
	e->pcr = (uint32_t)pcr;
	return 0;
}

int vms_baseline_from_json(const char *text, size_t len,
			   struct vms_baseline *b, char err[128])
{
	const char *fmt, *name, *cls;
	json_t *root, *evs, *o;
	json_int_t version;
	json_error_t je;
	int enabled, ret = 0;
	size_t i;

	memset(b, 0, sizeof(*b));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, "not JSON");
	if (json_unpack_ex(root, &je, JSON_STRICT,
			   "{s:s, s:s, s:s, s:I, s:b, s:o}", "format", &fmt,
			   "name", &name, "hardware_class", &cls,
			   "version", &version, "enabled", &enabled,
			   "events", &evs) ||
	    !json_is_array(evs)) {
		ret = fail(err, "not a baseline object (format, name, hardware_class, version, enabled, events)");
	} else if (strcmp(fmt, VMS_BASELINE_FORMAT)) {
		ret = fail(err, "format is not \"" VMS_BASELINE_FORMAT "\"");
	} else if (!name_ok(name) || !name_ok(cls)) {
		ret = fail(err, "name or hardware_class is not 1-64 of [A-Za-z0-9._-]");
	} else if (version < 1 || version > INT32_MAX) {
		ret = fail(err, "version is not 1..2^31-1");
	} else if (json_array_size(evs) > VMS_BASELINE_MAX_EVENTS) {
		ret = fail(err, "too many events");
	}
	if (ret)
		goto out;
	b->ev = calloc(json_array_size(evs) + 1, sizeof(*b->ev));
	if (!b->ev) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(evs, i, o) {
		ret = event_from_json(o, &b->ev[i], err);
		if (ret)
			goto out;
	}
	b->n = json_array_size(evs);
	strcpy(b->name, name);
	strcpy(b->hw_class, cls);
	b->version = (uint32_t)version;
	b->enabled = enabled;
out:
	json_decref(root);
	if (ret)
		vms_baseline_free(b);
	return ret;
}

/* The next baseline event at or after @k on a PCR of @mask. */
static size_t next_expected(const struct vms_baseline *b, size_t k,
			    uint32_t mask)
{
	while (k < b->n && !in_baseline(b->ev[k].pcr, b->ev[k].type, mask))
		k++;
	return k;
}

enum vms_hgs_reason vms_baseline_compare(const struct vms_baseline *b,
					 const struct vms_tpm_eventlog *log,
					 uint32_t pcr_mask,
					 struct vms_baseline_diff *d)
{
	size_t i, k = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < log->n_events; i++) {
		const struct vms_tpm_event *e = &log->events[i];

		if (!in_baseline(e->pcr, e->type, pcr_mask))
			continue;
		k = next_expected(b, k, pcr_mask);
		d->found.pcr = e->pcr;
		d->found.type = e->type;
		memcpy(d->found.sha256, e->sha256, VMS_SHA256_LEN);
		if (k == b->n) {
			d->index = k;
			d->kind = VMS_DIFF_EXTRA;
			return HGS_R_TPM_BASELINE_MISMATCH;
		}
		d->expected = b->ev[k];
		if (e->pcr != b->ev[k].pcr || e->type != b->ev[k].type ||
		    memcmp(e->sha256, b->ev[k].sha256, VMS_SHA256_LEN)) {
			d->index = k;
			d->kind = VMS_DIFF_DIGEST;
			return HGS_R_TPM_BASELINE_MISMATCH;
		}
		k++;
	}
	k = next_expected(b, k, pcr_mask);
	if (k < b->n) {
		memset(&d->found, 0, sizeof(d->found));
		d->expected = b->ev[k];
		d->index = k;
		d->kind = VMS_DIFF_MISSING;
		return HGS_R_TPM_BASELINE_MISMATCH;
	}
	memset(d, 0, sizeof(*d));
	return HGS_PASSED;
}

int vms_baseline_diff_format(const struct vms_baseline_diff *d, char *buf,
			     size_t len)
{
	char eh[2 * VMS_SHA256_LEN + 1], fh[2 * VMS_SHA256_LEN + 1];
	char t1[16], t2[16];
	int n;

	vms_hex_encode(d->expected.sha256, VMS_SHA256_LEN, eh);
	vms_hex_encode(d->found.sha256, VMS_SHA256_LEN, fh);
	switch (d->kind) {
	case VMS_DIFF_DIGEST:
		n = snprintf(buf, len,
			     "event %zu: expected PCR %u %s sha256:%s, found PCR %u %s sha256:%s",
			     d->index, d->expected.pcr,
			     vms_tpm_event_type_name(d->expected.type, t1), eh,
			     d->found.pcr,
			     vms_tpm_event_type_name(d->found.type, t2), fh);
		break;
	case VMS_DIFF_MISSING:
		n = snprintf(buf, len,
			     "event %zu: expected PCR %u %s sha256:%s, the host's log ends",
			     d->index, d->expected.pcr,
			     vms_tpm_event_type_name(d->expected.type, t1), eh);
		break;
	case VMS_DIFF_EXTRA:
		n = snprintf(buf, len,
			     "event %zu: the baseline ends, found PCR %u %s sha256:%s",
			     d->index, d->found.pcr,
			     vms_tpm_event_type_name(d->found.type, t2), fh);
		break;
	default:
		n = snprintf(buf, len, "no difference");
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
