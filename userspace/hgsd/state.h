/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state.h - the in-memory snapshot request handlers read instead of the
 * store (state.c): registered hosts, the policy, the enabled worker
 * digests and TPM mode's policy, baselines, digests and IMA keys.
 * Rebuilt from the store at start and after every admin change.
 *
 * Included by hgsd.h (struct hgsd holds the snapshot), by the request
 * handlers (admin.c, attest*.c, kps.c), by http.c (the admin certificate
 * allow list) and by tpm_session.h (HGSD_EK_MAX).
 */
#ifndef HGSD_STATE_H
#define HGSD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "keyrelease.h"
#include "vms_ima_sig.h"
#include "vms_tpm_baseline.h"

#define HGSD_EK_MAX	640	/* a marshalled TPM2B_PUBLIC */

struct hgsd;

struct host_entry {
	char name[65];
	char alg[16];
	char fpr[65];		/* host key; "" when registered by EK only */
	int enabled;
	EVP_PKEY *key;		/* NULL when registered by EK only */
	/* TPM mode: the registered EK (ek_len 0: none) */
	uint8_t ek[HGSD_EK_MAX];
	size_t ek_len;
	char ek_fpr[65];
	char hw_class[65];
};

struct policy {
	unsigned int min_isolation_level;	/* VMSHIELD_ISOLATION_* */
	int require_module_sig;
	time_t revocation_cutoff;		/* 0 = none */
	unsigned int worker_policy_version;
	int admin_cert_allow_list;		/* only allowed admin certificates */
	unsigned int platform_types;		/* 1 << platform type a hypervisor claim may rest on */
	unsigned int lifetime_shielded_s;	/* a release's lifetime, per KP policy */
	unsigned int lifetime_encryption_supported_s;
	unsigned int n_digests;
	uint8_t digests[VMS_KR_MAX_DIGESTS][32];
};

/* TPM mode's part of the snapshot: read-only once built, shared. */
struct tpm_state {
	int refs;
	uint32_t pcr_mask;
	int check_module_digest, runtime_allowlist, require_ima_appraisal,
	    require_secure_boot, report_at_load, allow_ima_violations;
	int allow_key_level_history, require_locked_at_load, require_ptrace_scope3,
	    require_no_crash_kernel;
	uint8_t (*module_digests)[32];
	size_t n_module_digests;
	uint8_t (*allowlist)[32];
	size_t n_allowlist;
	struct vms_baseline *baselines;	/* the latest version of each name */
	size_t n_baselines;
	struct vms_ima_key *ima_keys;	/* approved IMA signing keys */
	size_t n_ima_keys;
	/* issue 16, from the measured boot: lockdown on the command line */
	int require_lockdown_cmdline;
	/* approved IMA policy files (tpm_ima_policy_digests); none: off */
	uint8_t (*ima_policy_digests)[32];
	size_t n_ima_policy_digests;
};

int state_reload(struct hgsd *h);
void state_free(struct hgsd *h);
/* Copy of the host's entry (key referenced); -ENOENT if unknown. */
int state_host(struct hgsd *h, const char *name, struct host_entry *out);
void host_entry_release(struct host_entry *e);
void state_policy(struct hgsd *h, struct policy *out);
/*
 * The issue time of a certificate made now: time(NULL), or the revocation
 * cut-off when `revocation_cutoff now` was set within this second (the
 * cut-off is then the next second, so that certificates issued before it
 * in this second are cut and the ones issued after it are not).
 */
time_t state_issue_time(struct hgsd *h);
/* A reference to TPM mode's snapshot; state_tpm_put() it (NULL is fine). */
struct tpm_state *state_tpm_get(struct hgsd *h);
void state_tpm_put(struct tpm_state *t);
/* "0-7,10" <-> mask; -EINVAL unless 0-7 and 10 are in and all are < 24. */
int tpm_pcrs_parse(const char *s, uint32_t *mask);
void tpm_pcrs_format(uint32_t mask, char *buf, size_t len);
/*
 * tpm_ima_policy_digests: "none", or 1..VMS_IMA_POLICY_DIGESTS_MAX
 * SHA-256 digests in hex separated by commas. 0 with the digests in @out
 * (VMS_IMA_POLICY_DIGESTS_MAX of them) and their count in *@n; -EINVAL.
 */
#define VMS_IMA_POLICY_DIGESTS_MAX	8
#define VMS_IMA_POLICY_DIGESTS_TEXT	(VMS_IMA_POLICY_DIGESTS_MAX * 65 + 1)
int tpm_ima_policy_digests_parse(const char *s, uint8_t out[][32], size_t *n);

/*
 * The release lifetime per KP policy (issue 18): settings
 * release_lifetime_shielded_s and release_lifetime_encryption_supported_s,
 * shared by the cluster. A release lives for the smaller of its policy's
 * lifetime, the node's release_lifetime_s and what is left of the health
 * certificate (kps.c). Below 10 s a renewal could not keep up.
 */
#define RELEASE_LIFETIME_MIN_S	10
unsigned int policy_release_lifetime(const struct policy *p, unsigned int kp_policy);
/* Digits only, RELEASE_LIFETIME_MIN_S..VMS_KR_MAX_LIFETIME: 0 or -EINVAL. */
int release_lifetime_parse(const char *s, unsigned int *out);

#endif /* HGSD_STATE_H */
