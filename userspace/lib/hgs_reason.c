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
		"the isolation report is not a well-formed 'vmshield-report v1' line, or its facts contradict each other; send the module's report unchanged" },
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
