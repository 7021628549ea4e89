// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_enclave_report - libFuzzer harness: the enclave report of the
 * hypervisor placement (../lib/hgs/enclave_report.c), which HGS reads
 * from host evidence. The input is parsed as a body; a body that parses
 * must be the one canonical rendering of what it says, a refused one
 * leaves the output zeroed. The input is also tried as the signature of
 * a valid body for a fixed emulated platform key (strict DER, low-S),
 * and must never verify. Seeds: ../tests/data/enclave-report/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vms_enclave_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *plat;
static char good[VMS_ER_BODY_MAX + 1];
static size_t good_len;

static void hex(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

/* The one text a report's facts have. */
static size_t render(const struct vms_enclave_report *r, char *buf, size_t len)
{
	char id[65], nonce[65], key[65], prog[65], boot[33], kps[65] = "none";

	hex(r->platform_id, 32, id);
	hex(r->nonce, 32, nonce);
	hex(r->enclave_key, 32, key);
	hex(r->program, 32, prog);
	hex(r->boot_id, 16, boot);
	if (r->kps_set)
		hex(r->kps_key, 32, kps);
	return (size_t)snprintf(buf, len,
				"vmshield-enclave-report v2\nplatform=%s\nplatform_id=%s\nplacement=hypervisor\nnonce=%s\nenclave_key=%s\nprogram=%s\nboot_id=%s\nkps_key=%s\n",
				vms_platform_name(r->platform), id, nonce, key, prog, boot, kps);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

static void setup(void)
{
	struct vms_enclave_report r = { .platform = VMS_PLATFORM_EMULATED };

	plat = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!plat || vms_platform_id_of(plat, r.platform_id))
		abort();
	good_len = render(&r, good, sizeof(good));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_enclave_report r;
	struct vms_enclave_evidence ev;
	char again[2 * VMS_ER_BODY_MAX];
	int e;

	if (!plat)
		setup();
	e = vms_enclave_report_parse(data, size, &r);
	if (e == 0) {
		if (render(&r, again, sizeof(again)) != size || memcmp(again, data, size))
			abort();	/* accepted a second spelling */
	} else if (!all_zero(&r, sizeof(r))) {
		abort();		/* a refused body left facts behind */
	}
	ev = (struct vms_enclave_evidence) { (const uint8_t *)good, good_len, data, size };
	e = vms_enclave_report_verify(&ev, plat, &r);
	if (e == 0 || !all_zero(&r, sizeof(r)))
		abort();		/* a signature nobody made */
	return 0;
}
