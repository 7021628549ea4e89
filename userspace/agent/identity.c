// SPDX-License-Identifier: GPL-2.0
/*
 * identity.c - `hgs-agent identity`: in TPM mode the host's identity is
 * its TPM's endorsement key. This reads the EK's public area from the TPM
 * at tpm_tcti (vms_host_tpm.h) and writes it (TPM2B_PUBLIC, the format
 * `shieldctl hgs host add NAME --ek FILE` registers) to --out, or prints
 * its fingerprint (SHA-256 of the TPMT_PUBLIC, as HGS lists it) and what
 * to do with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "agent.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_host_tpm.h"

int tpm_identity(const struct agent_config *c, const char *out)
{
	struct vms_host_tpm *t;
	uint8_t *ek = NULL, md[32];
	char hex[65];
	size_t len;
	int r;

	r = vms_host_tpm_open(&t, c->tpm_tcti);
	if (r) {
		fprintf(stderr, "hgs-agent identity: cannot open the TPM at %s: %s (is there a TPM, and are you root?)\n",
				c->tpm_tcti, strerror(-r));
		return r;
	}
	r = vms_host_tpm_ek_public(t, &ek, &len);
	if (r) {
		fprintf(stderr, "hgs-agent identity: reading the EK failed: %s\n",
			r == -EIO ? vms_host_tpm_error(t) : strerror(-r));
		vms_host_tpm_close(t);
		return r;
	}
	vms_host_tpm_close(t);
	/* the fingerprint HGS shows: SHA-256 over the TPMT_PUBLIC */
	if (len < 2 || !EVP_Digest(ek + 2, len - 2, md, NULL, EVP_sha256(), NULL)) {
		free(ek);
		fprintf(stderr, "hgs-agent identity: the TPM returned a malformed EK\n");
		return -EBADMSG;
	}
	vms_hex_encode(md, 32, hex);
	if (out) {
		r = vms_write_file_atomic(out, ek, len, vms_public_file_mode(), 0);
		if (r) {
			free(ek);
			fprintf(stderr, "hgs-agent identity: cannot write %s: %s\n", out,
				strerror(-r));
			return r;
		}
	}
	free(ek);
	printf("host %s, TPM at %s\nEK sha256 %s\n", c->host_name, c->tpm_tcti, hex);
	if (out)
		printf("EK public key written to %s: have the HGS admin run\n"
		       "  shieldctl hgs host add %s --ek %s --class HARDWARE_CLASS\n",
		       out, c->host_name, out);
	else
		printf("write it with --out FILE for the HGS admin (shieldctl hgs host add %s --ek FILE)\n",
		       c->host_name);
	return 0;
}
