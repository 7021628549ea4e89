// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_cmd.c - `shieldctl tpm ...`: the guarded host's TPM identity and
 * evidence for TPM-mode attestation (vms_host_tpm.h): the EK's public key
 * an HGS admin registers, the AK, a quote, and credential activation.
 * Every file is in TPM wire format (what tpm2-tools calls "tss").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "shieldctl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_host_tpm.h"

/* tpm2_makecredential's output file: magic, version, then the two TPM2Bs */
#define CRED_FILE_MAGIC		0xBADCC0DEu
#define CRED_FILE_VERSION	1u

static void tpm_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl tpm [--tcti TCTI] COMMAND\n\n"
		"The guarded host's TPM, for TPM-mode attestation (tpm2-tss; TCTI\n"
		"default " VMS_HOST_TPM_DEFAULT_TCTI ", e.g. swtpm:port=2321).\n"
		"Files are in TPM wire format (tpm2-tools' \"tss\" format).\n\n"
		"  ek --out FILE                 the EK public key (TPM2B_PUBLIC): what an\n"
		"                                HGS admin registers as this host's identity\n"
		"  ak --out FILE [--name-out F]  the attestation key (TPM2B_PUBLIC) and its Name\n"
		"  quote --pcrs LIST --qualifying HEX --attest-out F --sig-out F --pcrs-out F\n"
		"                                quote SHA-256 PCRs (e.g. 0,1,2,3,4,5,6,7,10)\n"
		"                                with the AK; PCR values in PCR order, 32\n"
		"                                bytes each\n"
		"  activate --credential F --out F\n"
		"                                ActivateCredential with the AK and the EK on\n"
		"                                a credential made for them (tpm2_makecredential\n"
		"                                file format); writes the credential (0600)\n");
}

static int write_out(const char *what, const char *path, const void *p,
		     size_t len, mode_t mode)
{
	int r = vms_write_file_atomic(path, p, len, mode, 0);

	if (r)
		return shieldctl_fail(what, "cannot write %s: %s", path, strerror(-r));
	return 0;
}

static int tpm_open(const char *what, const char *tcti, struct vms_host_tpm **t)
{
	int r = vms_host_tpm_open(t, tcti);

	if (r)
		return shieldctl_fail(what, "cannot reach the TPM through '%s': is there a TPM (/dev/tpmrm0) and are you root? For swtpm, check the port.",
				      tcti ? tcti : VMS_HOST_TPM_DEFAULT_TCTI);
	return 0;
}

static int tpm_error(const char *what, struct vms_host_tpm *t, int r)
{
	if (r == -EIO)
		return shieldctl_fail(what, "the TPM refused: %s", vms_host_tpm_error(t));
	return shieldctl_fail(what, "%s", strerror(-r));
}

/* "0,1,2,10" to a mask of PCRs 0..23; -EINVAL on anything else */
static int parse_pcrs(const char *s, uint32_t *mask)
{
	*mask = 0;
	while (*s) {
		char *end;
		unsigned long n = strtoul(s, &end, 10);

		if (end == s || n > VMS_HOST_TPM_MAX_PCR || (*end && *end != ','))
			return -EINVAL;
		*mask |= 1u << n;
		s = *end ? end + 1 : end;
		if (*end && !*s)
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int cmd_ek(struct vms_host_tpm *t, const char *out)
{
	uint8_t *pub = NULL;
	size_t len;
	int r = vms_host_tpm_ek_public(t, &pub, &len);

	if (r)
		return tpm_error("tpm ek", t, r);
	r = write_out("tpm ek", out, pub, len, vms_public_file_mode());
	free(pub);
	if (!r)
		printf("EK public key (%zu bytes) written to %s\n", len, out);
	return r;
}

static int cmd_ak(struct vms_host_tpm *t, const char *out, const char *name_out)
{
	uint8_t *pub = NULL, name[34];
	size_t len, nlen = 0;
	char hex[69];
	int r = vms_host_tpm_ak_public(t, &pub, &len, name, &nlen);

	if (r)
		return tpm_error("tpm ak", t, r);
	r = write_out("tpm ak", out, pub, len, vms_public_file_mode());
	free(pub);
	if (!r && name_out)
		r = write_out("tpm ak", name_out, name, nlen, vms_public_file_mode());
	if (!r) {
		vms_hex_encode(name, nlen, hex);
		printf("AK public key (%zu bytes) written to %s; Name %s\n", len,
		       out, hex);
	}
	return r;
}

static int cmd_quote(struct vms_host_tpm *t, const char **v)
{
	uint8_t q[64], *attest = NULL, *sig = NULL, *pcrs = NULL;
	size_t qlen, alen, slen, plen;
	uint32_t mask;
	int r;

	if (parse_pcrs(v[0], &mask))
		return shieldctl_fail("tpm quote", "--pcrs wants a comma list of PCR numbers 0..%d, got '%s'",
				      VMS_HOST_TPM_MAX_PCR, v[0]);
	if (vms_hex_decode(v[1], q, sizeof(q), &qlen))
		return shieldctl_fail("tpm quote", "--qualifying wants at most 64 bytes in hex");
	r = vms_host_tpm_quote(t, mask, q, qlen, &attest, &alen, &sig, &slen,
			       &pcrs, &plen);
	if (r)
		return tpm_error("tpm quote", t, r);
	r = write_out("tpm quote", v[2], attest, alen, vms_public_file_mode());
	if (!r)
		r = write_out("tpm quote", v[3], sig, slen, vms_public_file_mode());
	if (!r)
		r = write_out("tpm quote", v[4], pcrs, plen, vms_public_file_mode());
	if (!r)
		printf("quote over %d PCRs: attest %zu bytes, signature %zu bytes\n",
		       __builtin_popcount(mask), alen, slen);
	free(attest);
	free(sig);
	free(pcrs);
	return r;
}

/* magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET */
static int cred_file_split(const uint8_t *file, size_t len, size_t *idlen,
			   size_t *seclen)
{
	if (len < 12 || be32(file) != CRED_FILE_MAGIC ||
	    be32(file + 4) != CRED_FILE_VERSION)
		return -EINVAL;
	*idlen = 2 + ((size_t)file[8] << 8 | file[9]);
	if (*idlen > len - 8 - 2)
		return -EINVAL;
	*seclen = 2 + ((size_t)file[8 + *idlen] << 8 | file[9 + *idlen]);
	return *seclen == len - 8 - *idlen ? 0 : -EINVAL;
}

static int cmd_activate(struct vms_host_tpm *t, const char *in, const char *out)
{
	uint8_t *file = NULL, cred[64];
	size_t len, idlen, seclen, clen = sizeof(cred);
	int r = vms_read_file(in, 4096, &file, &len);

	if (r)
		return shieldctl_fail("tpm activate", "cannot read %s: %s", in, strerror(-r));
	if (cred_file_split(file, len, &idlen, &seclen)) {
		free(file);
		return shieldctl_fail("tpm activate", "%s is not a credential file (tpm2_makecredential format)", in);
	}
	r = vms_host_tpm_activate(t, file + 8, idlen, file + 8 + idlen, seclen,
				  cred, &clen);
	free(file);
	if (r)
		return tpm_error("tpm activate", t, r);
	r = write_out("tpm activate", out, cred, clen, 0600);
	OPENSSL_cleanse(cred, sizeof(cred));
	if (!r)
		printf("credential activated (%zu bytes) into %s\n", clen, out);
	return r;
}

int shieldctl_tpm_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[] = {
		{ "tcti", 1, 0 }, { "out", 1, 0 }, { "name-out", 1, 0 },
		{ "pcrs", 1, 0 }, { "qualifying", 1, 0 }, { "attest-out", 1, 0 },
		{ "sig-out", 1, 0 }, { "pcrs-out", 1, 0 }, { "credential", 1, 0 },
		{ NULL, 0, 0 },
	};
	const char *v[9] = { NULL }, *pos[1] = { NULL };
	struct vms_host_tpm *t = NULL;
	const char *cmd;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		tpm_usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (shieldctl_opts("tpm", argc - 1, argv + 1, opts, v, pos, 1))
		return 1;
	cmd = pos[0];
	if (!strcmp(cmd, "ek") && v[1] && !v[3]) {
		r = tpm_open("tpm ek", v[0], &t);
		if (!r)
			r = cmd_ek(t, v[1]);
	} else if (!strcmp(cmd, "ak") && v[1] && !v[3]) {
		r = tpm_open("tpm ak", v[0], &t);
		if (!r)
			r = cmd_ak(t, v[1], v[2]);
	} else if (!strcmp(cmd, "quote") && v[3] && v[4] && v[5] && v[6] && v[7]) {
		r = tpm_open("tpm quote", v[0], &t);
		if (!r)
			r = cmd_quote(t, v + 3);
	} else if (!strcmp(cmd, "activate") && v[8] && v[1]) {
		r = tpm_open("tpm activate", v[0], &t);
		if (!r)
			r = cmd_activate(t, v[8], v[1]);
	} else {
		tpm_usage(stderr);
		return shieldctl_fail("tpm", "unknown command '%s' or missing options", cmd);
	}
	vms_host_tpm_close(t);
	return r;
}
