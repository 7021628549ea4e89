// SPDX-License-Identifier: GPL-2.0
/*
 * tpm_cmd.c - `shieldctl tpm ...`: the guarded host's TPM identity and
 * evidence for TPM-mode attestation (vms_host_tpm.h): the EK's public key
 * an HGS admin registers, the AK, a quote, and credential activation.
 * Every file is in TPM wire format (what tpm2-tools calls "tss").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shieldctl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_host_tpm.h"

/* tpm2_makecredential's output file: magic, version, then the two TPM2Bs */
#define CRED_FILE_MAGIC		0xBADCC0DEu
#define CRED_FILE_VERSION	1u
/* The largest credential ActivateCredential returns (a TPM2B_DIGEST). */
#define CRED_MAX		64

/* The options of every tpm subcommand (opts[] in shieldctl_tpm_main). */
enum {
	O_TCTI, O_OUT, O_NAMEOUT, O_PCRS, O_QUALIFYING, O_ATTESTOUT, O_SIGOUT,
	O_PCRSOUT, O_CREDENTIAL, N_OPTS
};

/* The host's TPM, closed when it goes out of scope. */
VMS_DEFINE_CLEANUP(struct vms_host_tpm, vms_host_tpm_close)

static int write_out(const char *what, const char *path, const void *p,
		     size_t len, mode_t mode)
{
	int r = vms_write_file_atomic(path, p, len, mode, 0);

	if (r)
		return shieldctl_fail(what, "cannot write %s: %s", path, strerror(-r));
	return 0;
}

static int tpm_open(const struct shieldctl_call *c, struct vms_host_tpm **t)
{
	const char *tcti = c->v[O_TCTI];

	if (vms_host_tpm_open(t, tcti))
		return shieldctl_fail(c->what, "cannot reach the TPM through '%s': is there a TPM (/dev/tpmrm0) and are you root? For swtpm, check the port.",
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

static int tpm_usage_error(const struct shieldctl_call *c);

static int cmd_ek(const struct shieldctl_call *c)
{
	_cleanup_(vms_host_tpm_closep) struct vms_host_tpm *t = NULL;
	_cleanup_(vms_freep) uint8_t *pub = NULL;
	const char *out = c->v[O_OUT];
	size_t len;
	int r;

	if (!out || c->v[O_PCRS])
		return tpm_usage_error(c);
	if (tpm_open(c, &t))
		return 1;
	r = vms_host_tpm_ek_public(t, &pub, &len);
	if (r)
		return tpm_error(c->what, t, r);
	if (write_out(c->what, out, pub, len, vms_public_file_mode()))
		return 1;
	printf("EK public key (%zu bytes) written to %s\n", len, out);
	return 0;
}

static int cmd_ak(const struct shieldctl_call *c)
{
	_cleanup_(vms_host_tpm_closep) struct vms_host_tpm *t = NULL;
	_cleanup_(vms_freep) uint8_t *pub = NULL;
	const char *out = c->v[O_OUT], *name_out = c->v[O_NAMEOUT];
	uint8_t name[34];
	size_t len, nlen = 0;
	char hex[69];
	int r;

	if (!out || c->v[O_PCRS])
		return tpm_usage_error(c);
	if (tpm_open(c, &t))
		return 1;
	r = vms_host_tpm_ak_public(t, &pub, &len, name, &nlen);
	if (r)
		return tpm_error(c->what, t, r);
	if (write_out(c->what, out, pub, len, vms_public_file_mode()))
		return 1;
	if (name_out && write_out(c->what, name_out, name, nlen, vms_public_file_mode()))
		return 1;
	vms_hex_encode(name, nlen, hex);
	printf("AK public key (%zu bytes) written to %s; Name %s\n", len, out, hex);
	return 0;
}

static int cmd_quote(const struct shieldctl_call *c)
{
	_cleanup_(vms_host_tpm_closep) struct vms_host_tpm *t = NULL;
	_cleanup_(vms_freep) uint8_t *attest = NULL, *sig = NULL, *pcrs = NULL;
	const char *const *v = c->v;
	size_t qlen, alen, slen, plen;
	uint8_t q[64];
	uint32_t mask;
	int r;

	if (!v[O_PCRS] || !v[O_QUALIFYING] || !v[O_ATTESTOUT] || !v[O_SIGOUT] ||
	    !v[O_PCRSOUT])
		return tpm_usage_error(c);
	if (tpm_open(c, &t))
		return 1;
	if (parse_pcrs(v[O_PCRS], &mask))
		return shieldctl_fail(c->what, "--pcrs wants a comma list of PCR numbers 0..%d, got '%s'",
				      VMS_HOST_TPM_MAX_PCR, v[O_PCRS]);
	if (vms_hex_decode(v[O_QUALIFYING], q, sizeof(q), &qlen))
		return shieldctl_fail(c->what, "--qualifying wants at most 64 bytes in hex");
	r = vms_host_tpm_quote(t, mask, q, qlen, &attest, &alen, &sig, &slen,
			       &pcrs, &plen);
	if (r)
		return tpm_error(c->what, t, r);
	if (write_out(c->what, v[O_ATTESTOUT], attest, alen, vms_public_file_mode()) ||
	    write_out(c->what, v[O_SIGOUT], sig, slen, vms_public_file_mode()) ||
	    write_out(c->what, v[O_PCRSOUT], pcrs, plen, vms_public_file_mode()))
		return 1;
	printf("quote over %d PCRs: attest %zu bytes, signature %zu bytes\n",
	       __builtin_popcount(mask), alen, slen);
	return 0;
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

static int cmd_activate(const struct shieldctl_call *c)
{
	_cleanup_(vms_host_tpm_closep) struct vms_host_tpm *t = NULL;
	_cleanup_(vms_secret_free) struct vms_secret cred = { 0 };
	_cleanup_(vms_freep) uint8_t *file = NULL;
	const char *in = c->v[O_CREDENTIAL], *out = c->v[O_OUT];
	size_t len, idlen, seclen, clen = CRED_MAX;
	int r;

	if (!in || !out)
		return tpm_usage_error(c);
	if (tpm_open(c, &t))
		return 1;
	r = vms_read_file(in, 4096, &file, &len);
	if (r)
		return shieldctl_fail(c->what, "cannot read %s: %s", in, strerror(-r));
	if (cred_file_split(file, len, &idlen, &seclen))
		return shieldctl_fail(c->what, "%s is not a credential file (tpm2_makecredential format)", in);
	cred.p = malloc(CRED_MAX);
	if (!cred.p)
		return shieldctl_fail(c->what, "out of memory");
	cred.len = CRED_MAX;	/* all of it is wiped */
	r = vms_host_tpm_activate(t, file + 8, idlen, file + 8 + idlen, seclen,
				  cred.p, &clen);
	if (r)
		return tpm_error(c->what, t, r);
	if (write_out(c->what, out, cred.p, clen, 0600))
		return 1;
	printf("credential activated (%zu bytes) into %s\n", clen, out);
	return 0;
}

static const struct shieldctl_cmd tpm_cmds[] = {
	{ "ek", "--out FILE",
	  "the EK public key (TPM2B_PUBLIC): what an\n"
	  "HGS admin registers as this host's identity", 0, 0, cmd_ek },
	{ "ak", "--out FILE [--name-out F]", "the attestation key (TPM2B_PUBLIC) and its Name",
	  0, 0, cmd_ak },
	{ "quote", "--pcrs LIST --qualifying HEX --attest-out F --sig-out F --pcrs-out F",
	  "quote SHA-256 PCRs (e.g. 0,1,2,3,4,5,6,7,10)\n"
	  "with the AK; PCR values in PCR order, 32\n"
	  "bytes each", 0, 0, cmd_quote },
	{ "activate", "--credential F --out F",
	  "ActivateCredential with the AK and the EK on\n"
	  "a credential made for them (tpm2_makecredential\n"
	  "file format); writes the credential (0600)", 0, 0, cmd_activate },
};

static void tpm_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl tpm [--tcti TCTI] COMMAND\n\n"
		"The guarded host's TPM, for TPM-mode attestation (tpm2-tss; TCTI\n"
		"default " VMS_HOST_TPM_DEFAULT_TCTI ", e.g. swtpm:port=2321).\n"
		"Files are in TPM wire format (tpm2-tools' \"tss\" format).\n\n");
	shieldctl_usage_list(f, tpm_cmds, ARRAY_SIZE(tpm_cmds), 32, 1);
}

/* An unknown command, or one without the options it needs. */
static int tpm_usage_error(const struct shieldctl_call *c)
{
	shieldctl_usage_exit("tpm", tpm_usage);
	return shieldctl_usage_error("tpm", "unknown command '%s' or missing options", c->words[0]);
}

int shieldctl_tpm_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[N_OPTS + 1] = {
		[O_TCTI] = { "tcti", 1, 0 }, [O_OUT] = { "out", 1, 0 },
		[O_NAMEOUT] = { "name-out", 1, 0 }, [O_PCRS] = { "pcrs", 1, 0 },
		[O_QUALIFYING] = { "qualifying", 1, 0 },
		[O_ATTESTOUT] = { "attest-out", 1, 0 }, [O_SIGOUT] = { "sig-out", 1, 0 },
		[O_PCRSOUT] = { "pcrs-out", 1, 0 },
		[O_CREDENTIAL] = { "credential", 1, 0 }, [N_OPTS] = { NULL, 0, 0 },
	};
	const char *v[N_OPTS + 1] = { NULL }, *pos[1] = { NULL };
	struct shieldctl_call c = { .words = pos };
	char what[64];
	int i;

	if (argc < 2)
		return shieldctl_usage_exit("tpm", tpm_usage);
	/* "tpm --help", "tpm ek --help": one usage covers every command */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tpm_usage(stdout);
			return 0;
		}
	if (shieldctl_opts("tpm", argc - 1, argv + 1, opts, v, pos, 1))
		return 1;
	if (!shieldctl_cmd_find(tpm_cmds, ARRAY_SIZE(tpm_cmds), "tpm", pos, 1, &c,
				what, sizeof(what)))
		return tpm_usage_error(&c);
	c.v = v;
	return c.cmd->run(&c);
}
