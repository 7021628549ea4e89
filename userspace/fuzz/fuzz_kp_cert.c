// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_kp_cert - libFuzzer harness: what KPS reads from a release
 * request before any key is used: the key protector (CMS, owner
 * signature: vms_kp_verify) and the health certificate (DER, then its
 * profile: vms_health_cert_parse, and the check against a signer). The
 * first input byte chooses which. Seeds: corpus/fuzz_kp_cert/ (KPs and
 * certificates made by the tests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "vms_hgs_cert.h"
#include "vms_kp.h"
#include "vms_x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void health_cert(const uint8_t *der, size_t len)
{
	struct vms_health_cert_info info;
	X509 *c = NULL;

	if (vms_cert_from_der(der, len, &c))
		return;
	if (!vms_health_cert_parse(c, &info)) {
		if (!memchr(info.host, 0, sizeof(info.host)))
			abort();
	}
	/* self as signer: exercises the issuer and signature checks */
	vms_health_cert_verify(c, c, time(NULL));
	X509_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_kp_info info;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		health_cert(data + 1, size - 1);
	else
		vms_kp_verify(data + 1, size - 1, &info);
	return 0;
}
