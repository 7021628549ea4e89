// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_eventlog.c - parse and replay the TCG crypto-agile boot event log.
 * Layout and bounds: vms_tpm_eventlog.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vms_compiler.h"
#include "vms_tpm_eventlog.h"

#define TPM_ALG_SHA1	0x0004u
#define TPM_ALG_SHA256	0x000bu
#define SPEC_ID_SIG	"Spec ID Event03"	/* 16 bytes with its NUL */
#define LOCALITY_SIG	"StartupLocality"	/* 16 bytes with its NUL */

struct bank {
	uint16_t alg;
	uint16_t size;
};

/* A cursor over the untrusted buffer: every read is bounds-checked. */
struct cur {
	const uint8_t *p;
	size_t left;
};

static int take(struct cur *c, size_t n, const uint8_t **out)
{
	if (n > c->left)
		return -EBADMSG;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static int take_u16(struct cur *c, uint16_t *v)
{
	const uint8_t *b;

	if (take(c, 2, &b))
		return -EBADMSG;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return 0;
}

static int take_u32(struct cur *c, uint32_t *v)
{
	const uint8_t *b;

	if (take(c, 4, &b))
		return -EBADMSG;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	     (uint32_t)b[3] << 24;
	return 0;
}

static uint64_t le64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

const char *vms_tpm_event_type_name(uint32_t type, char tmp[16])
{
	static const struct { uint32_t t; const char *n; } names[] = {
		{ 0x00000000, "EV_PREBOOT_CERT" },
		{ 0x00000001, "EV_POST_CODE" },
		{ 0x00000003, "EV_NO_ACTION" },
		{ 0x00000004, "EV_SEPARATOR" },
		{ 0x00000005, "EV_ACTION" },
		{ 0x00000006, "EV_EVENT_TAG" },
		{ 0x00000007, "EV_S_CRTM_CONTENTS" },
		{ 0x00000008, "EV_S_CRTM_VERSION" },
		{ 0x00000009, "EV_CPU_MICROCODE" },
		{ 0x0000000a, "EV_PLATFORM_CONFIG_FLAGS" },
		{ 0x0000000b, "EV_TABLE_OF_DEVICES" },
		{ 0x0000000c, "EV_COMPACT_HASH" },
		{ 0x0000000d, "EV_IPL" },
		{ 0x0000000e, "EV_IPL_PARTITION_DATA" },
		{ 0x0000000f, "EV_NONHOST_CODE" },
		{ 0x00000010, "EV_NONHOST_CONFIG" },
		{ 0x00000011, "EV_NONHOST_INFO" },
		{ 0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS" },
		{ 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
		{ 0x80000002, "EV_EFI_VARIABLE_BOOT" },
		{ 0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION" },
		{ 0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER" },
		{ 0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
		{ 0x80000006, "EV_EFI_GPT_EVENT" },
		{ 0x80000007, "EV_EFI_ACTION" },
		{ 0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
		{ 0x80000009, "EV_EFI_HANDOFF_TABLES" },
		{ 0x800000e0, "EV_EFI_VARIABLE_AUTHORITY" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(tmp, 16, "EV_0x%08x", type);
	return tmp;
}

/*
 * The first event: SHA-1 format, EV_NO_ACTION, PCR 0, zero digest, data =
 * TCG_EfiSpecIdEvent naming the banks. Returns the banks.
 */
static int parse_spec_id(struct cur *c, struct bank *banks, uint32_t *nbanks)
{
	const uint8_t *digest, *sig, *fixed, *vendor;
	uint32_t pcr, type, size, n, i;
	uint8_t vsize;
	struct cur ev;
	int have256 = 0;

	if (take_u32(c, &pcr) || take_u32(c, &type) || take(c, 20, &digest) ||
	    take_u32(c, &size))
		return -EBADMSG;
	if (pcr != 0 || type != VMS_EV_NO_ACTION)
		return -EBADMSG;
	for (i = 0; i < 20; i++)
		if (digest[i])
			return -EBADMSG;
	if (take(c, size, &fixed))
		return -EBADMSG;
	ev.p = fixed;
	ev.left = size;
	/* signature[16], platformClass u32, minor, major, errata, uintnSize */
	if (take(&ev, 16, &sig) || memcmp(sig, SPEC_ID_SIG, 16))
		return -EBADMSG;
	if (take(&ev, 8, &fixed) || take_u32(&ev, &n))
		return -EBADMSG;
	if (fixed[5] != 2)		/* specVersionMajor: crypto agile is 2 */
		return -EBADMSG;
	if (n == 0 || n > VMS_EVLOG_MAX_BANKS)
		return n ? -E2BIG : -EBADMSG;
	for (i = 0; i < n; i++) {
		uint32_t j;

		if (take_u16(&ev, &banks[i].alg) || take_u16(&ev, &banks[i].size))
			return -EBADMSG;
		if (banks[i].size == 0 || banks[i].size > 64)
			return -EBADMSG;
		for (j = 0; j < i; j++)
			if (banks[j].alg == banks[i].alg)
				return -EBADMSG;
		if (banks[i].alg == TPM_ALG_SHA256) {
			if (banks[i].size != VMS_SHA256_LEN)
				return -EBADMSG;
			have256 = 1;
		}
		if (banks[i].alg == TPM_ALG_SHA1 && banks[i].size != 20)
			return -EBADMSG;
	}
	if (take(&ev, 1, &vendor))
		return -EBADMSG;
	vsize = vendor[0];
	if (take(&ev, vsize, &vendor) || ev.left != 0)
		return -EBADMSG;
	*nbanks = n;
	return have256 ? 0 : -ENOTSUP;
}

static int extend(uint8_t pcr[VMS_SHA256_LEN], const uint8_t d[VMS_SHA256_LEN])
{
	uint8_t in[2 * VMS_SHA256_LEN];
	unsigned int olen;

	memcpy(in, pcr, VMS_SHA256_LEN);
	memcpy(in + VMS_SHA256_LEN, d, VMS_SHA256_LEN);
	if (!EVP_Digest(in, sizeof(in), pcr, &olen, EVP_sha256(), NULL))
		return -ENOMEM;
	return 0;
}

/* UEFI_VARIABLE_DATA naming SecureBoot in EFI_GLOBAL_VARIABLE. */
static int secure_boot_value(const uint8_t *d, uint32_t len)
{
	static const uint8_t global_guid[16] = {
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
		0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
	};
	static const char name[] = "SecureBoot";
	uint64_t nlen, dlen;
	size_t i;

	if (len < 32 || memcmp(d, global_guid, 16))
		return -1;
	nlen = le64(d + 16);
	dlen = le64(d + 24);
	if (nlen != sizeof(name) - 1 || dlen != 1 ||
	    len != 32 + 2 * nlen + dlen)
		return -1;
	for (i = 0; i < nlen; i++)
		if (d[32 + 2 * i] != (uint8_t)name[i] || d[33 + 2 * i])
			return -1;
	return d[32 + 2 * nlen] == 1;
}

/* 1 if SHA-256(@data) is @digest, 0 if not, -ENOMEM. */
static int data_matches_digest(const uint8_t *data, uint32_t size,
			       const uint8_t digest[VMS_SHA256_LEN])
{
	uint8_t h[VMS_SHA256_LEN];

	if (!EVP_Digest(data, size, h, NULL, EVP_sha256(), NULL))
		return -ENOMEM;
	return !memcmp(h, digest, VMS_SHA256_LEN);
}

/*
 * GRUB's PCR 8 record of the kernel command line: keep the first line,
 * count them all, and note the first one whose line is not what its
 * digest covers (GRUB hashes the line without prefix and NUL).
 */
static int note_cmdline(struct vms_tpm_eventlog *log,
			const struct vms_tpm_event *e, const uint8_t *data,
			uint32_t size)
{
	static const char prefix[] = "kernel_cmdline: ";
	const size_t plen = sizeof(prefix) - 1;
	size_t llen;
	int ok;

	if (e->pcr != VMS_KERNEL_CMDLINE_PCR || e->type != VMS_EV_IPL ||
	    size < plen || memcmp(data, prefix, plen))
		return 0;
	log->n_cmdlines++;
	llen = size - plen;
	if (llen && !data[size - 1])
		llen--;
	ok = !memchr(data + plen, 0, llen);
	if (ok) {
		int ret = data_matches_digest(data + plen, (uint32_t)llen,
					      e->sha256);

		if (ret < 0)
			return ret;
		ok = ret;
	}
	if (!ok && !log->cmdline_bad_event)
		log->cmdline_bad_event = e->index + 1;
	if (log->cmdline)
		return 0;
	log->cmdline = strndup((const char *)data + plen, llen);
	if (!log->cmdline)
		return -ENOMEM;
	log->cmdline_event = e->index;
	return 0;
}

static int parse_event2(struct cur *c, const struct bank *banks,
			uint32_t nbanks, struct vms_tpm_eventlog *log,
			struct vms_tpm_event *e)
{
	const uint8_t *d, *sha256 = NULL, *data;
	uint32_t count, size, i, j, seen = 0;
	uint16_t alg;

	if (take_u32(c, &e->pcr) || take_u32(c, &e->type) ||
	    take_u32(c, &count))
		return -EBADMSG;
	if (e->pcr >= VMS_TPM_PCRS || count != nbanks)
		return -EBADMSG;
	for (i = 0; i < count; i++) {
		if (take_u16(c, &alg))
			return -EBADMSG;
		for (j = 0; j < nbanks && banks[j].alg != alg; j++)
			;
		if (j == nbanks || (seen & (1u << j)))
			return -EBADMSG;
		seen |= 1u << j;
		if (take(c, banks[j].size, &d))
			return -EBADMSG;
		if (alg == TPM_ALG_SHA256)
			sha256 = d;
	}
	if (take_u32(c, &size) || take(c, size, &data))
		return -EBADMSG;
	memcpy(e->sha256, sha256, VMS_SHA256_LEN);
	e->data_len = size;
	memcpy(e->data, data,
	       size < VMS_EVLOG_DATA_SHORT ? size : VMS_EVLOG_DATA_SHORT);

	if (e->type == VMS_EV_NO_ACTION) {
		/* Not extended; StartupLocality sets PCR 0's initial value. */
		if (size == 17 && !memcmp(data, LOCALITY_SIG, 16)) {
			if (e->pcr != 0 || log->pcr_touched & 1u)
				return -EBADMSG;
			log->pcr[0][VMS_SHA256_LEN - 1] = data[16];
		}
		return 0;
	}
	if (e->type == VMS_EV_EFI_VARIABLE_DRIVER_CONFIG && e->pcr == 7) {
		int sb = secure_boot_value(data, size);

		if (sb >= 0) {
			int ret = data_matches_digest(data, size, e->sha256);

			if (ret < 0)
				return ret;
			log->secure_boot = ret ? sb : VMS_SB_DATA_MISMATCH;
			log->secure_boot_event = e->index;
		}
	}
	if (e->type == VMS_EV_IPL) {
		int ret = note_cmdline(log, e, data, size);

		if (ret)
			return ret;
	}
	log->pcr_touched |= 1u << e->pcr;
	return extend(log->pcr[e->pcr], e->sha256);
}

void vms_tpm_eventlog_free(struct vms_tpm_eventlog *log)
{
	free(log->events);
	free(log->cmdline);
	memset(log, 0, sizeof(*log));
	log->secure_boot = -1;
}

int vms_tpm_eventlog_parse(const uint8_t *buf, size_t len,
			   struct vms_tpm_eventlog *log)
{
	struct bank banks[VMS_EVLOG_MAX_BANKS];
	struct cur c = { buf, len };
	uint32_t nbanks = 0;
	size_t cap = 0;
	int ret;

	memset(log, 0, sizeof(*log));
	log->secure_boot = -1;
	if (!buf || len > VMS_EVLOG_MAX_BYTES)
		return buf ? -E2BIG : -EBADMSG;
	ret = parse_spec_id(&c, banks, &nbanks);
	if (ret)
		return ret;
	while (c.left) {
		struct vms_tpm_event *e;

		if (log->n_events == VMS_EVLOG_MAX_EVENTS) {
			ret = -E2BIG;
			break;
		}
		if (log->n_events == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *p = realloc(log->events, ncap * sizeof(*e));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			log->events = p;
			cap = ncap;
		}
		e = &log->events[log->n_events];
		memset(e, 0, sizeof(*e));
		e->index = (uint32_t)log->n_events;
		ret = parse_event2(&c, banks, nbanks, log, e);
		if (ret)
			break;
		log->n_events++;
	}
	if (ret)
		vms_tpm_eventlog_free(log);
	return ret;
}

int vms_tpm_eventlog_check_pcrs(const struct vms_tpm_eventlog *log,
				uint32_t mask,
				const uint8_t values[VMS_TPM_PCRS][VMS_SHA256_LEN],
				unsigned int *bad_pcr)
{
	unsigned int i;

	for (i = 0; i < VMS_TPM_PCRS; i++) {
		if (!(mask & (1u << i)))
			continue;
		/* Public values: a plain compare leaks nothing secret. */
		if (memcmp(log->pcr[i], values[i], VMS_SHA256_LEN)) {
			if (bad_pcr)
				*bad_pcr = i;
			return -EBADMSG;
		}
	}
	return 0;
}
