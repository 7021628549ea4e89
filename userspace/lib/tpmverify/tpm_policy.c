// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_policy.c - the enclave key binding and the code-integrity and
 * hardening policies of TPM mode. What each proves: vms_tpm_policy.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vms_cleanup.h"
#include "vms_hex.h"
#include "vms_tpm_policy.h"
#include <linux/vmshield.h>

static int is_report_entry(const struct vms_ima_entry *e)
{
	return e->tmpl == VMS_IMA_BUF && !e->violation &&
	       !strcmp(e->name, VMS_IMA_REPORT_EVENT);
}

/*
 * The module makes one enclave key per load, so every report it measured
 * in this boot names the same key. Root can extend PCR 10 by hand and
 * append a forged report entry to the list it sends, and the list still
 * replays; but the module's genuine entry is in the list too, and the two
 * keys conflict. A reloaded module (a second key) is refused the same way.
 */
static enum vms_hgs_reason one_enclave_key(const struct vms_ima_log *ima,
					   size_t covered,
					   const uint8_t enclave_pk[32])
{
	struct vms_isolation_report other;
	size_t i;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!is_report_entry(e))
			continue;
		if (vms_ima_buf_digest_check(e))
			return HGS_R_IMA_LOG_MALFORMED;
		if (vms_report_parse((const char *)e->buf, e->buf_len, &other) ||
		    CRYPTO_memcmp(other.enclave_pk, enclave_pk, 32))
			return HGS_R_IMA_REPORT_CONFLICT;
	}
	return HGS_PASSED;
}

/*
 * A key is never certified above the lowest level it lived at (issue 16,
 * defect 1). one_enclave_key() refuses every report that names another
 * key; this refuses a report of the same key at a lower level or lockdown
 * than @r, the one being certified: the key lived where root could read it,
 * whatever the kernel proves now. The module makes a new key when the
 * level rises (since issue 16), so a list of a current module never
 * shows this; a module from before that fix does, in the rig's normal
 * order (loaded open, lockdown raised after). In placement hypervisor the
 * key lives outside the host, whatever the host's level, and does not
 * change when lockdown rises: its reports at a lower host level are no
 * sign that root held it (the host level itself is the at-load and
 * command-line policies' to judge). A report of the same key in
 * placement kernel still is.
 */
enum vms_hgs_reason vms_tpm_key_history(const struct vms_ima_log *ima,
					size_t covered,
					const struct vms_isolation_report *r)
{
	struct vms_isolation_report other;
	size_t i;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!is_report_entry(e) ||
		    vms_report_parse((const char *)e->buf, e->buf_len, &other) ||
		    CRYPTO_memcmp(other.enclave_pk, r->enclave_pk, 32))
			continue;	/* another key: one_enclave_key's */
		if (r->placement == VMSHIELD_PLACEMENT_HYPERVISOR &&
		    other.placement == VMSHIELD_PLACEMENT_HYPERVISOR)
			continue;
		if (other.level < r->level || other.lockdown < r->lockdown)
			return HGS_R_IMA_REPORT_LEVEL_LOWER;
	}
	return HGS_PASSED;
}

enum vms_hgs_reason vms_tpm_bind_report(const struct vms_ima_log *ima,
					const uint8_t pcr10[32],
					const uint8_t enclave_pk[32],
					const char *report, size_t rlen,
					size_t *covered,
					struct vms_isolation_report *r)
{
	const struct vms_ima_entry *e;
	int idx;

	if (vms_ima_log_replay(ima, pcr10, covered))
		return HGS_R_IMA_LOG_REPLAY_MISMATCH;
	idx = vms_ima_log_find_report(ima, *covered);
	if (idx == -ENOENT)
		return HGS_R_IMA_REPORT_ENTRY_MISSING;
	if (idx < 0)
		return HGS_R_IMA_LOG_MALFORMED;
	e = &ima->e[idx];
	if (e->buf_len != rlen || memcmp(e->buf, report, rlen))
		return HGS_R_IMA_REPORT_MISMATCH;
	if (vms_report_parse(report, rlen, r))
		return HGS_R_REPORT_MALFORMED;
	if (CRYPTO_memcmp(r->enclave_pk, enclave_pk, 32))
		return HGS_R_IMA_REPORT_MISMATCH;
	return one_enclave_key(ima, *covered, enclave_pk);
}

enum vms_hgs_reason vms_tpm_first_report(const struct vms_ima_log *ima,
					 size_t covered,
					 struct vms_isolation_report *r)
{
	size_t i;

	for (i = 0; i < covered && i < ima->n; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!is_report_entry(e))
			continue;
		return vms_report_parse((const char *)e->buf, e->buf_len, r) ?
			HGS_R_REPORT_MALFORMED : HGS_PASSED;
	}
	return HGS_R_IMA_REPORT_ENTRY_MISSING;
}

/*
 * A file name from the host's IMA list, fit for a detail line: at most
 * @len - 1 bytes, anything but printable ASCII shown as '?'.
 */
static const char *printable(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = 0;
	return out;
}

static int digest_in(const uint8_t (*set)[32], size_t n, const uint8_t *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(set[i], d, 32))
			return 1;
	return 0;
}

static int is_sha256(const struct vms_ima_entry *e)
{
	return !strcmp(e->algo, "sha256") && e->digest_len == 32;
}

static int is_vmshield_ko(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	return !strcmp(base, "vmshield.ko") || !strcmp(base, "vmshield.ko.xz") ||
	       !strcmp(base, "vmshield.ko.zst");
}

static enum vms_hgs_reason check_module(const struct vms_tpm_policy *p,
					const struct vms_ima_log *ima,
					size_t covered, char *detail)
{
	size_t i;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (vms_ima_entry_is_file(e) && is_vmshield_ko(e->name) &&
		    is_sha256(e) &&
		    digest_in(p->module_digests, p->n_module_digests,
			      e->digest))
			return HGS_PASSED;
	}
	snprintf(detail, VMS_POLICY_DETAIL_MAX,
		 "no vmshield.ko with an approved digest among %zu quoted IMA entries",
		 covered);
	return HGS_R_POLICY_MODULE_NOT_MEASURED;
}

static enum vms_hgs_reason check_allowlist(const struct vms_tpm_policy *p,
					   const struct vms_ima_log *ima,
					   size_t covered, char *detail)
{
	char hex[65], name[121], algo[16];
	size_t i;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!vms_ima_entry_is_file(e))
			continue;
		if (is_sha256(e) &&
		    digest_in(p->allowlist, p->n_allowlist, e->digest))
			continue;
		vms_hex_encode(e->digest, e->digest_len > 32 ? 32 :
			       e->digest_len, hex);
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "IMA entry %zu: %s %s:%s not in the allowlist", i,
			 printable(e->name, name, sizeof(name)),
			 printable(e->algo, algo, sizeof(algo)), hex);
		return HGS_R_POLICY_EXECUTABLE_NOT_ALLOWED;
	}
	return HGS_PASSED;
}

/*
 * IMA lists a file it measured while the file was open for writing (or
 * opened for writing while measured) as a violation: a zero digest, so
 * nothing shows what actually ran. A runtime claim (allowlist, appraisal)
 * cannot hold over such an entry: refuse it rather than skip it.
 */
static enum vms_hgs_reason check_violations(const struct vms_ima_log *ima,
					    size_t covered, char *detail)
{
	char name[121];
	size_t i;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!e->violation)
			continue;
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "IMA entry %zu: %s was measured while open for writing (an IMA violation): its content is unknown",
			 i, printable(e->name, name, sizeof(name)));
		return HGS_R_POLICY_IMA_VIOLATION;
	}
	return HGS_PASSED;
}

static int approved_key(const struct vms_tpm_policy *p, const uint8_t fpr[32])
{
	size_t j;

	for (j = 0; j < p->n_ima_keys; j++)
		if (!memcmp(p->ima_keys[j].fpr, fpr, 32))
			return (int)j;
	return -1;
}

/*
 * Steps 1 and 2 of the appraisal check: every key the quoted list shows
 * loaded into the IMA keyring is approved, and one at least was loaded.
 * @loaded[j] is set for the approved keys seen.
 */
static enum vms_hgs_reason check_ima_keys(const struct vms_tpm_policy *p,
					  const struct vms_ima_log *ima,
					  size_t covered, uint8_t *loaded,
					  char *detail)
{
	struct vms_ima_key k;
	uint8_t fpr[32];
	char hex[65], kid[64];
	size_t i, n = 0;
	int j;

	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!vms_ima_entry_is_ima_key(e))
			continue;
		if (vms_ima_buf_digest_check(e)) {
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "IMA entry %zu: keyring %s: the entry's digest is not the SHA-256 of the key it records",
				 i, e->name);
			return HGS_R_IMA_LOG_MALFORMED;
		}
		if (!EVP_Digest(e->buf, e->buf_len, fpr, NULL, EVP_sha256(),
				NULL))
			return HGS_R_INTERNAL_ERROR;
		j = approved_key(p, fpr);
		if (j >= 0) {
			loaded[j] = 1;
			n++;
			continue;
		}
		if (vms_ima_key_from_der(e->buf, e->buf_len, &k)) {
			snprintf(kid, sizeof(kid),
				 "not an X.509 certificate with a subjectKeyIdentifier");
		} else {
			snprintf(kid, sizeof(kid), "keyid %08x", k.keyid);
			vms_ima_key_free(&k);
		}
		vms_hex_encode(fpr, 32, hex);
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "IMA entry %zu: keyring %s: key sha256 %s (%s) is not an approved IMA key",
			 i, e->name, hex, kid);
		return HGS_R_POLICY_IMA_KEY_NOT_APPROVED;
	}
	if (!n) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "no approved IMA key was loaded into the IMA keyring (%zu approved, %zu quoted IMA entries)",
			 p->n_ima_keys, covered);
		return HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN;
	}
	return HGS_PASSED;
}

/* Why @e's signature does not prove appraisal, or NULL if it does. */
static const char *file_sig_problem(const struct vms_tpm_policy *p,
				    const uint8_t *loaded,
				    const struct vms_ima_entry *e,
				    char *why, size_t len)
{
	struct vms_ima_sig s;
	size_t j, candidates = 0;
	char algo[16];
	int r;

	if (e->tmpl != VMS_IMA_SIG || e->sig_len == 0)
		return "carries no IMA signature";
	if (!is_sha256(e)) {
		snprintf(why, len, "is measured with %s; only sha256 file digests are verified",
			 printable(e->algo, algo, sizeof(algo)));
		return why;
	}
	r = vms_ima_sig_parse(e->sig, e->sig_len, &s);
	if (r == -ENOTSUP) {
		snprintf(why, len, "is signed over %s; only sha256 is accepted (evmctl ima_sign --hashalgo sha256)",
			 vms_ima_hash_name(s.hash_algo));
		return why;
	}
	if (r)
		return "carries a malformed signature (not an IMA v2 digital signature)";
	for (j = 0; j < p->n_ima_keys; j++) {
		if (!loaded[j] || p->ima_keys[j].keyid != s.keyid)
			continue;
		candidates++;
		if (!vms_ima_sig_verify(&s, e->digest, p->ima_keys[j].pkey))
			return NULL;
	}
	snprintf(why, len, candidates ?
		 "has a signature by keyid %08x that does not verify" :
		 "is signed by keyid %08x, which the list does not show loaded as an approved key",
		 s.keyid);
	return why;
}

static enum vms_hgs_reason check_appraisal(const struct vms_tpm_policy *p,
					   const struct vms_ima_log *ima,
					   size_t covered, char *detail)
{
	_cleanup_(vms_freep) uint8_t *loaded = NULL;
	enum vms_hgs_reason ret;
	size_t i, files = 0;
	char name[81], why[128];
	const char *bad;

	loaded = calloc(p->n_ima_keys + 1, 1);
	if (!loaded)
		return HGS_R_INTERNAL_ERROR;
	ret = check_ima_keys(p, ima, covered, loaded, detail);
	if (ret != HGS_PASSED)
		return ret;
	for (i = 0; i < covered; i++) {
		const struct vms_ima_entry *e = &ima->e[i];

		if (!vms_ima_entry_is_file(e))
			continue;
		files++;
		bad = file_sig_problem(p, loaded, e, why, sizeof(why));
		if (bad) {
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "IMA entry %zu: %s %s", i,
				 printable(e->name, name, sizeof(name)), bad);
			return HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN;
		}
	}
	if (!files) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "no measured files in the quoted IMA list");
		return HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN;
	}
	return HGS_PASSED;
}

/*
 * The report's host facts block (issue 16): the lockdown level held when
 * the module was loaded (a kernel open after boot may have been changed
 * before the rise, whatever it proves now), Yama's ptrace_scope (3:
 * nobody, root included, attaches to or writes into a worker), and no
 * crash kernel loaded (a kdump kernel reads all memory after a panic). A
 * report without the block proves none of these.
 */
static enum vms_hgs_reason check_host_facts(const struct vms_tpm_policy *p,
					    const struct vms_isolation_report *r,
					    char *detail)
{
	if (p->require_locked_at_load &&
	    (!r->has_host_facts || r->lockdown_at_load < p->min_lockdown)) {
		if (r->has_host_facts)
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "lockdown %s when vmshield.ko was loaded, policy needs %s",
				 vms_lockdown_level_name(r->lockdown_at_load),
				 vms_lockdown_level_name(p->min_lockdown));
		else
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "the report has no lockdown_at_load (module too old), policy needs %s",
				 vms_lockdown_level_name(p->min_lockdown));
		return HGS_R_POLICY_LOCKDOWN_AT_LOAD_INSUFFICIENT;
	}
	if (p->require_ptrace_scope3 &&
	    (!r->has_host_facts || r->ptrace_scope != 3)) {
		if (!r->has_host_facts || r->ptrace_scope == VMSHIELD_PTRACE_SCOPE_UNKNOWN)
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "Yama's ptrace_scope is not known, policy needs 3");
		else
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "Yama's ptrace_scope is %u, policy needs 3", r->ptrace_scope);
		return HGS_R_POLICY_PTRACE_SCOPE_INSUFFICIENT;
	}
	if (p->require_no_crash_kernel && (!r->has_host_facts || r->crash_kernel)) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX, "%s",
			 r->has_host_facts ? "a crash kernel is loaded (kdump)" :
			 "the report does not say whether a crash kernel is loaded");
		return HGS_R_POLICY_CRASH_KERNEL_LOADED;
	}
	return HGS_PASSED;
}

enum vms_hgs_reason
vms_tpm_policy_evaluate(const struct vms_tpm_policy *p,
			const struct vms_isolation_report *r,
			const struct vms_ima_log *ima, size_t covered,
			const struct vms_tpm_eventlog *boot, char *detail)
{
	enum vms_hgs_reason ret;

	detail[0] = 0;
	if (covered > ima->n)
		return HGS_R_INTERNAL_ERROR;
	if (r->lockdown < p->min_lockdown) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "measured lockdown level %u, policy needs %u",
			 r->lockdown, p->min_lockdown);
		return HGS_R_POLICY_LOCKDOWN_INSUFFICIENT;
	}
	ret = check_host_facts(p, r, detail);
	if (ret != HGS_PASSED)
		return ret;
	if (p->require_module_sig && (!r->sig_enforced || !r->module_sig_ok)) {
		snprintf(detail, VMS_POLICY_DETAIL_MAX,
			 "measured sig_enforced=%d module_sig_ok=%d",
			 r->sig_enforced, r->module_sig_ok);
		return HGS_R_POLICY_MODULE_SIG_NOT_ENFORCED;
	}
	if (p->module_digests) {
		ret = check_module(p, ima, covered, detail);
		if (ret != HGS_PASSED)
			return ret;
	}
	if ((p->allowlist || p->require_ima_appraisal) &&
	    !p->allow_ima_violations) {
		ret = check_violations(ima, covered, detail);
		if (ret != HGS_PASSED)
			return ret;
	}
	if (p->allowlist) {
		ret = check_allowlist(p, ima, covered, detail);
		if (ret != HGS_PASSED)
			return ret;
	}
	if (p->require_ima_appraisal) {
		ret = check_appraisal(p, ima, covered, detail);
		if (ret != HGS_PASSED)
			return ret;
	}
	if (p->require_secure_boot && (!boot || boot->secure_boot != 1)) {
		if (boot && boot->secure_boot == VMS_SB_DATA_MISMATCH)
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "event %u (SecureBoot variable): its data does not hash to its digest; the log was edited",
				 boot->secure_boot_event);
		else
			snprintf(detail, VMS_POLICY_DETAIL_MAX,
				 "the boot event log %s",
				 boot && boot->secure_boot == 0 ?
				 "shows SecureBoot disabled" :
				 "does not show the SecureBoot variable");
		return HGS_R_POLICY_SECURE_BOOT_NOT_PROVEN;
	}
	return HGS_PASSED;
}
