// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_reason.c - the table of HGS reason codes: name, HTTP status, advice.
 */
#include <string.h>

#include "vms_hgs_reason.h"

struct reason {
	const char *name;
	unsigned int http;
	const char *message;
};

static const struct reason reasons[HGS_R__MAX] = {
	[HGS_PASSED] = { "Passed", 200, "ok" },
	[HGS_R_INVALID_REQUEST] = { "InvalidRequest", 400,
		"the request is not valid JSON of the documented shape (see Documentation/hgs-protocol.md)" },
	[HGS_R_REQUEST_TOO_LARGE] = { "RequestTooLarge", 413,
		"the request body exceeds the server's max_body limit" },
	[HGS_R_UNKNOWN_ENDPOINT] = { "UnknownEndpoint", 404,
		"no such endpoint" },
	[HGS_R_METHOD_NOT_ALLOWED] = { "MethodNotAllowed", 405,
		"this endpoint does not accept that HTTP method" },
	[HGS_R_INTERNAL_ERROR] = { "InternalError", 500,
		"internal error in HGS; the HGS admin should check the hgsd log" },
	[HGS_R_BUSY] = { "Busy", 503,
		"HGS is busy; retry later" },
	[HGS_R_HOST_NOT_REGISTERED] = { "HostNotRegistered", 403,
		"the host is not registered with this HGS; the HGS admin must add it (shieldctl hgs host add)" },
	[HGS_R_HOST_DISABLED] = { "HostDisabled", 403,
		"the host is registered but disabled; the HGS admin must enable it (shieldctl hgs host enable)" },
	[HGS_R_HOST_SIGNATURE_INVALID] = { "HostSignatureInvalid", 403,
		"the attestation signature does not verify with the registered host key; check that the host signs with the key the HGS admin registered" },
	[HGS_R_NONCE_UNKNOWN] = { "NonceUnknown", 403,
		"the nonce was not issued by this HGS; ask for a new nonce" },
	[HGS_R_NONCE_REPLAYED] = { "NonceReplayed", 403,
		"the nonce was already used; ask for a new nonce for every attestation" },
	[HGS_R_NONCE_EXPIRED] = { "NonceExpired", 403,
		"the nonce expired before the attestation arrived; ask for a new nonce and answer within nonce_ttl_s" },
	[HGS_R_NONCE_SESSION_MISMATCH] = { "NonceSessionMismatch", 403,
		"the nonce was issued to another session; use the session id returned with the nonce" },
	[HGS_R_REPORT_MALFORMED] = { "IsolationReportMalformed", 400,
		"the isolation report is not a well-formed 'vmshield-report v2' line, or its facts contradict each other; send the module's report unchanged" },
	[HGS_R_ENCLAVE_KEY_MISMATCH] = { "EnclaveKeyMismatch", 403,
		"the enclave key in the isolation report differs from the enclave key sent; send the report of the running module" },
	[HGS_R_ISOLATION_LEVEL_TOO_LOW] = { "IsolationLevelTooLow", 403,
		"the host's isolation level is below this HGS's min_isolation_level policy; raise lockdown to confidentiality and enforce module signatures on the host" },
	[HGS_R_MODULE_SIGNATURE_NOT_VERIFIED] = { "ModuleSignatureNotVerified", 403,
		"policy require_module_sig is on and the host reports that vmshield.ko's signature was not verified; install a signed module" },
	[HGS_R_CERT_MALFORMED] = { "HealthCertificateMalformed", 400,
		"the health certificate is not a vmshield health certificate (bad DER or missing extensions)" },
	[HGS_R_CERT_UNTRUSTED_SIGNER] = { "HealthCertificateUntrustedSigner", 403,
		"the health certificate was not issued by this HGS's attestation signer; attest to this HGS" },
	[HGS_R_CERT_EXPIRED] = { "HealthCertificateExpired", 403,
		"the health certificate is expired or not yet valid; attest again (check the host clock)" },
	[HGS_R_CERT_REVOKED] = { "HealthCertificateRevoked", 403,
		"the health certificate was issued before this HGS's revocation cut-off; attest again" },
	[HGS_R_HOST_KEY_CHANGED] = { "HostKeyChanged", 403,
		"the host was re-registered with another key since the certificate was issued; attest again" },
	[HGS_R_KP_MALFORMED] = { "KeyProtectorMalformed", 400,
		"the key protector is not a valid vmshield key protector (CMS); recreate it with shieldctl kp" },
	[HGS_R_KP_SIGNATURE_INVALID] = { "KeyProtectorSignatureInvalid", 403,
		"the key protector's owner signature does not verify (tampered or corrupted); restore it from the tenant's copy" },
	[HGS_R_KP_NOT_FOR_THIS_HGS] = { "KeyProtectorNotForThisHgs", 403,
		"the key protector does not list a guardian of this HGS; the owner must grant this HGS's guardian (shieldctl kp grant)" },
	[HGS_R_KP_UNWRAP_FAILED] = { "KeyProtectorUnwrapFailed", 403,
		"the transport key could not be unwrapped with this HGS's guardian; the key protector's envelope is damaged" },
	[HGS_R_VM_ID_MISMATCH] = { "VmIdMismatch", 403,
		"the key protector belongs to another VM than the one named in the request" },
	[HGS_R_ISOLATION_INSUFFICIENT_FOR_POLICY] = { "IsolationLevelInsufficientForPolicy", 403,
		"the VM's policy (shielded) needs an isolation level of kernel-locked or higher; raise the host's lockdown and attest again, or run the VM on another host" },
	[HGS_R_NO_APPROVED_WORKER] = { "NoApprovedWorker", 403,
		"a shielded release needs at least one enabled worker digest; the HGS admin must add one (shieldctl hgs worker add)" },
	[HGS_R_ATTESTATION_MODE_INSUFFICIENT] = { "AttestationModeInsufficient", 403,
		"the key protector demands a stronger attestation mode (e.g. tpm) than the health certificate's (host-key); attest the host in that mode" },
	[HGS_R_ADMIN_CREDENTIALS_REQUIRED] = { "AdminCredentialsRequired", 403,
		"admin operations are only served on the local admin socket, to an authorised user" },
	[HGS_R_ADMIN_NOT_AUTHORIZED] = { "AdminNotAuthorized", 403,
		"this user is not an HGS admin (admin_uids in hgsd.conf)" },
	[HGS_R_HOST_KEY_CONFLICT] = { "HostKeyConflict", 409,
		"a host of this name is registered with another key; remove it first if the key really changed" },
	[HGS_R_HOST_KEY_UNSUPPORTED] = { "HostKeyTypeUnsupported", 400,
		"host keys must be Ed25519 or ECDSA P-256 public keys in PEM (SubjectPublicKeyInfo)" },
	[HGS_R_NO_SUCH_OBJECT] = { "NoSuchObject", 404,
		"no host, worker digest or setting of that name" },
	[HGS_R_ADMIN_CERT_REVOKED] = { "AdminCertificateRevoked", 403,
		"this admin client certificate was revoked by an HGS admin (shieldctl hgs admin-cert list); use another admin certificate or the admin socket" },
	[HGS_R_ADMIN_CERT_NOT_ALLOWED] = { "AdminCertificateNotAllowed", 403,
		"admin_cert_allow_list is on and this admin client certificate is not on the allow list; an HGS admin must allow it (shieldctl hgs admin-cert allow SHA256)" },
	[HGS_R_KP_GUARDIAN_DISABLED] = { "KeyProtectorGuardianDisabled", 403,
		"the key protector names a guardian of this HGS that is disabled; the HGS admin must enable it (shieldctl hgs guardian enable), or the tenant must grant an enabled guardian" },
	[HGS_R_GUARDIAN_PROTECTED] = { "GuardianProtected", 409,
		"the primary guardian and the last enabled guardian cannot be disabled or removed, and a guardian must be disabled before it is removed" },
	/* TPM mode */
	[HGS_R_TPM_EK_NOT_REGISTERED] = { "TpmEkNotRegistered", 403,
		"the host's TPM endorsement key is not registered and its EK certificate does not chain to a trusted TPM manufacturer root; the HGS admin must register the host's EK" },
	[HGS_R_TPM_EK_CONFLICT] = { "TpmEkConflict", 409,
		"the host is registered with another TPM endorsement key; remove the host first if its TPM really changed" },
	[HGS_R_TPM_AK_INVALID] = { "TpmAkInvalid", 400,
		"the attestation key is not a TPM-resident restricted signing key (fixedTPM, fixedParent, RSA-2048 RSASSA-SHA256 or ECC P-256 ECDSA-SHA256); create the AK with the documented template" },
	[HGS_R_TPM_AK_NOT_ACTIVATED] = { "TpmAkNotActivated", 403,
		"the attestation key was not proven to live in the registered TPM (credential activation failed); create the AK under the registered EK and attest again" },
	[HGS_R_TPM_QUOTE_MALFORMED] = { "TpmQuoteMalformed", 400,
		"the quote is not a well-formed TPMS_ATTEST or TPMT_SIGNATURE; send the TPM's output unchanged" },
	[HGS_R_TPM_QUOTE_MAGIC_INVALID] = { "TpmQuoteMagicInvalid", 403,
		"the attestation structure was not generated by a TPM (magic is not TPM_GENERATED_VALUE)" },
	[HGS_R_TPM_QUOTE_TYPE_INVALID] = { "TpmQuoteTypeInvalid", 403,
		"the attestation structure is not a quote (TPM_ST_ATTEST_QUOTE); send a TPM2_Quote result" },
	[HGS_R_TPM_QUOTE_SIGNATURE_INVALID] = { "TpmQuoteSignatureInvalid", 403,
		"the quote signature does not verify with the activated attestation key (quote or signature altered)" },
	[HGS_R_TPM_QUOTE_SCHEME_UNSUPPORTED] = { "TpmQuoteSchemeUnsupported", 403,
		"the quote is signed with a scheme HGS does not accept; sign with RSASSA-SHA256 or ECDSA-P256-SHA256" },
	[HGS_R_TPM_QUOTE_QUALIFYING_DATA_MISMATCH] = { "TpmQuoteQualifyingDataMismatch", 403,
		"the quote's qualifying data is not the hash of this attestation's nonce, enclave key and isolation report; quote again with the current nonce" },
	[HGS_R_TPM_QUOTE_PCR_SELECTION_MISMATCH] = { "TpmQuotePcrSelectionMismatch", 403,
		"the quote does not cover exactly the PCRs the policy names; quote the PCRs HGS asked for" },
	[HGS_R_TPM_QUOTE_PCR_BANK_UNSUPPORTED] = { "TpmQuotePcrBankUnsupported", 403,
		"the quote uses a PCR bank other than SHA-256; quote the SHA-256 bank" },
	[HGS_R_TPM_QUOTE_PCR_DIGEST_MISMATCH] = { "TpmQuotePcrDigestMismatch", 403,
		"the PCR values sent do not match the digest the TPM quoted; send the PCR values read with the quote" },
	[HGS_R_TPM_QUOTE_REPLAYED] = { "TpmQuoteReplayed", 403,
		"this quote (same TPM clock and counters) was already presented; quote again" },
	[HGS_R_TPM_RESET_COUNT_WENT_BACKWARDS] = { "TpmResetCountWentBackwards", 403,
		"the TPM reset counter is lower than in an earlier quote of this host; the TPM state was rolled back or replaced" },
	[HGS_R_TPM_RESTART_COUNT_WENT_BACKWARDS] = { "TpmRestartCountWentBackwards", 403,
		"the TPM restart counter is lower than in an earlier quote of this host in the same boot; the TPM state was rolled back" },
	[HGS_R_TPM_CLOCK_WENT_BACKWARDS] = { "TpmClockWentBackwards", 403,
		"the TPM clock is behind an earlier quote of this host in the same boot; an old quote was replayed" },
	[HGS_R_TPM_EVENT_LOG_MALFORMED] = { "TpmEventLogMalformed", 400,
		"the boot event log is not a well-formed TCG crypto-agile log with a SHA-256 bank; send binary_bios_measurements unchanged" },
	[HGS_R_TPM_EVENT_LOG_REPLAY_MISMATCH] = { "TpmEventLogReplayMismatch", 403,
		"the boot event log does not replay to the quoted PCR values (events missing, added or reordered)" },
	[HGS_R_TPM_BASELINE_MISMATCH] = { "TpmBaselineMismatch", 403,
		"the host's boot differs from every enabled baseline of its hardware class; the detail names the first differing event" },
	[HGS_R_TPM_NO_BASELINE] = { "TpmNoBaseline", 403,
		"no enabled boot baseline for this host's hardware class; the HGS admin must capture and add one" },
	[HGS_R_IMA_LOG_MALFORMED] = { "ImaLogMalformed", 400,
		"the IMA measurement list is not a well-formed binary list (templates ima-ng, ima-buf, ima-sig); send binary_runtime_measurements unchanged" },
	[HGS_R_IMA_LOG_REPLAY_MISMATCH] = { "ImaLogReplayMismatch", 403,
		"the IMA measurement list does not replay to the quoted PCR 10 (PCR 10 was extended outside the list, or the list was altered)" },
	[HGS_R_IMA_REPORT_ENTRY_MISSING] = { "ImaReportEntryMissing", 403,
		"the quoted IMA list holds no vmshield-report entry of the module; IMA must record critical data (ima_policy=critical_data)" },
	[HGS_R_IMA_REPORT_MISMATCH] = { "ImaReportMismatch", 403,
		"the module's latest IMA entry does not name the enclave key and isolation report sent; send the running module's report" },
	[HGS_R_IMA_REPORT_CONFLICT] = { "ImaReportConflict", 403,
		"the quoted IMA list names more than one enclave key in this boot (an entry forged by extending PCR 10, or vmshield.ko reloaded); reboot the host and attest again" },
	[HGS_R_POLICY_IMA_VIOLATION] = { "PolicyImaViolation", 403,
		"the quoted IMA list records a measurement violation: a file was measured while open for writing, so what ran is unknown; stop the writer the detail names, then reboot the host (the list keeps the entry until reboot)" },
	[HGS_R_POLICY_LOCKDOWN_INSUFFICIENT] = { "PolicyLockdownInsufficient", 403,
		"the module's measured report shows kernel lockdown below the policy's level; boot with lockdown=confidentiality" },
	[HGS_R_POLICY_MODULE_SIG_NOT_ENFORCED] = { "PolicyModuleSigNotEnforced", 403,
		"the module's measured report shows module signatures not enforced, or vmshield.ko not verified; enforce module signatures and load a signed module" },
	[HGS_R_POLICY_MODULE_NOT_MEASURED] = { "PolicyModuleNotMeasured", 403,
		"the IMA list does not show an approved vmshield.ko being loaded; load an approved build, or the HGS admin must approve its digest" },
	[HGS_R_POLICY_EXECUTABLE_NOT_ALLOWED] = { "PolicyExecutableNotAllowed", 403,
		"the IMA list shows a file whose digest is not in the runtime allowlist; the detail names it" },
	[HGS_R_POLICY_IMA_APPRAISAL_NOT_PROVEN] = { "PolicyImaAppraisalNotProven", 403,
		"the IMA list does not prove signature appraisal: every measured file must carry an IMA signature (template ima-sig) that verifies with an approved IMA key the list shows loaded; the detail names the first file that does not" },
	[HGS_R_POLICY_SECURE_BOOT_NOT_PROVEN] = { "PolicySecureBootNotProven", 403,
		"the boot event log does not show UEFI Secure Boot enabled" },
	[HGS_R_TPM_EK_CERT_INVALID] = { "TpmEkCertificateInvalid", 400,
		"the EK certificate is not DER X.509 or does not certify the EK sent; send the certificate from the TPM's EK certificate NV index" },
	[HGS_R_TPM_AK_HIERARCHY] = { "TpmAkNotInEndorsementHierarchy", 403,
		"the quote's signer is not an AK in the registered EK's endorsement hierarchy (a primary there, or a child of the EK); a TPM hides its reset and restart counters from other keys, so rollback could not be seen: create the AK as hgs-agent does (an endorsement-hierarchy primary)" },
	[HGS_R_TPM_EK_IN_USE] = { "TpmEkInUse", 409,
		"another host is registered with this EK: one TPM attests as one host; the HGS admin must remove the other host first if the TPM really moved" },
	[HGS_R_POLICY_IMA_KEY_NOT_APPROVED] = { "PolicyImaKeyNotApproved", 403,
		"the IMA list shows a key loaded into the IMA keyring that HGS has not approved; if it is yours, approve it with `shieldctl hgs ima-key add CERT`, else find out who loaded it" },
	/* the hypervisor placement */
	[HGS_R_ENCLAVE_REPORT_MALFORMED] = { "EnclaveReportMalformed", 400,
		"the enclave report is not a well-formed 'vmshield-enclave-report v2' body with a platform signature; send the enclave's report unchanged" },
	[HGS_R_ENCLAVE_PLATFORM_UNKNOWN] = { "EnclavePlatformUnknown", 403,
		"the enclave report names a platform that is not registered with this HGS; the HGS admin must register the platform (shieldctl hgs platform add)" },
	[HGS_R_ENCLAVE_PLATFORM_DISABLED] = { "EnclavePlatformDisabled", 403,
		"the enclave report's platform is registered but disabled; the HGS admin must enable it (shieldctl hgs platform enable)" },
	[HGS_R_ENCLAVE_PLATFORM_NOT_SUPPORTED] = { "EnclavePlatformNotSupported", 403,
		"this HGS build has no verifier for the enclave report's platform type; only the platform types it verifies can earn the hypervisor placement" },
	[HGS_R_ENCLAVE_REPORT_SIGNATURE_INVALID] = { "EnclaveReportSignatureInvalid", 403,
		"the enclave report's signature does not verify with the registered platform key (or is not canonical DER, low-S); the report was not signed by that platform" },
	[HGS_R_ENCLAVE_REPORT_NONCE_MISMATCH] = { "EnclaveReportNonceMismatch", 403,
		"the enclave report was made for another nonce than this attestation's; have the enclave sign a report for the current nonce" },
	[HGS_R_ENCLAVE_PROGRAM_NOT_APPROVED] = { "EnclaveProgramNotApproved", 403,
		"the enclave program's digest is not one the registered platform approves; run an approved vmshield-enclaved, or the HGS admin must approve its digest (shieldctl hgs platform add --program)" },
	[HGS_R_ENCLAVE_REPORT_MISSING] = { "EnclaveReportMissing", 403,
		"the host claims the hypervisor placement without an enclave report signed by its platform; send the enclave report" },
	[HGS_R_PLATFORM_TYPE_NOT_ALLOWED] = { "PlatformTypeNotAllowed", 403,
		"the enclave's platform type is not among the types the HGS policy (platform_types) or the key protector accepts" },
	[HGS_R_PLACEMENT_NOT_ALLOWED] = { "PlacementNotAllowed", 403,
		"the key protector requires the hypervisor placement and the health certificate shows the kernel placement; attest a host whose enclave runs in a platform-isolated domain" },
	[HGS_R_PLATFORM_CONFLICT] = { "PlatformConflict", 409,
		"a platform of this name is registered with another key, or this key under another name; remove it first if the key really changed" },
	[HGS_R_VTPM_IN_ENCLAVE_UNAVAILABLE] = { "VtpmInEnclaveUnavailable", 403,
		"the key protector requires the VM's vTPM in the enclave and the health certificate shows a host that cannot run it there (kernel placement); attest a host in the hypervisor placement" },
	[HGS_R_ENCLAVE_CHALLENGE_REQUIRED] = { "EnclaveChallengeRequired", 400,
		"a key release answers one enclave challenge: get one from the module (VMSHIELD_IOC_RELEASE_CHALLENGE, naming kps_public_key from this answer) and send it as enclave_challenge and challenge_ns" },
	[HGS_R_ENCLAVE_REPORT_UNEXPECTED] = { "EnclaveReportUnexpected", 403,
		"the host's isolation report says its enclave is inside the kernel (placement kernel), yet an enclave report came with it: the evidence disagrees about where the keys live; run an agent and a module of the same release" },
	[HGS_R_KP_SUPERSEDED] = { "KeyProtectorSuperseded", 403,
		"HGS has rolled this VM's transport key past the version this key protector holds: use the VM's newest key protector (the one the last start wrote); an older one, and state sealed under it, stay refused" },
	[HGS_R_TK_ROLL_NOT_PENDING] = { "TkRollNotPending", 409,
		"nothing to confirm: this version of the VM's transport key is not the roll HGS released to this host (superseded by a later start, or released to another host)" },
	[HGS_R_KPS_KEY_MISMATCH] = { "KpsKeyMismatch", 403,
		"the host's enclave accepts key releases from another KPS key than this HGS's (someone named theirs first): restart the enclave (reload the module, or restart vmshield-enclaved) and let the agent name kps_public_key from /v1/metadata before anything else does" },
	[HGS_R_IMA_REPORT_LEVEL_LOWER] = { "ImaReportLevelLower", 403,
		"the quoted IMA list shows the enclave key being certified at a lower isolation level earlier in this boot (the key lived where root could read it): reboot the host with the level on its kernel command line (lockdown=confidentiality), then attest again" },
	[HGS_R_POLICY_LOCKDOWN_AT_LOAD_INSUFFICIENT] = { "PolicyLockdownAtLoadInsufficient", 403,
		"vmshield.ko was loaded below the lockdown level the policy needs (tpm_require_locked_at_load): raise lockdown before the module loads (kernel command line lockdown=confidentiality), reboot and attest again" },
	[HGS_R_POLICY_PTRACE_SCOPE_INSUFFICIENT] = { "PolicyPtraceScopeInsufficient", 403,
		"the host's Yama ptrace_scope is not 3 (tpm_require_ptrace_scope3): set kernel.yama.ptrace_scope=3 (sysctl, final until reboot) and attest again" },
	[HGS_R_POLICY_CRASH_KERNEL_LOADED] = { "PolicyCrashKernelLoaded", 403,
		"a crash kernel is loaded on the host (tpm_require_no_crash_kernel); a kdump kernel can read every key after a panic: unload it (kexec -p -u) or remove crashkernel= and attest again" },
	[HGS_R_POLICY_LOCKDOWN_NOT_ON_CMDLINE] = { "PolicyLockdownNotOnCmdline", 403,
		"lockdown does not come from the measured kernel command line (tpm_require_lockdown_cmdline): boot through a loader that measures it (GRUB, PCR 8, quoted in tpm_pcrs) with lockdown=confidentiality on it, and attest again" },
	[HGS_R_POLICY_IMA_POLICY_NOT_PROVEN] = { "PolicyImaPolicyNotProven", 403,
		"the host's IMA appraisal policy is not proven (tpm_ima_policy_digests): the measured kernel command line must leave appraisal enforcing and the quoted IMA list must show an approved policy file loaded by path; see the detail" },
};

const char *vms_hgs_reason_name(enum vms_hgs_reason r)
{
	if ((unsigned int)r >= HGS_R__MAX)
		r = HGS_R_INTERNAL_ERROR;
	return reasons[r].name;
}

unsigned int vms_hgs_reason_http(enum vms_hgs_reason r)
{
	if ((unsigned int)r >= HGS_R__MAX)
		r = HGS_R_INTERNAL_ERROR;
	return reasons[r].http;
}

const char *vms_hgs_reason_message(enum vms_hgs_reason r)
{
	if ((unsigned int)r >= HGS_R__MAX)
		r = HGS_R_INTERNAL_ERROR;
	return reasons[r].message;
}

int vms_hgs_reason_from_name(const char *name)
{
	int i;

	for (i = 0; name && i < HGS_R__MAX; i++)
		if (!strcmp(reasons[i].name, name))
			return i;
	return -1;
}
