// SPDX-License-Identifier: GPL-2.0
/*
 * kp_cmd.c - `shieldctl kp ...`: key protectors. One function per
 * subcommand; kp_cmds[] is the dispatch and the usage text.
 * A KP is DER CMS: `openssl cms -cmsout -print -inform DER -in KP` shows it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "keyrelease.h"
#include "shieldctl.h"
#include "vms_cleanup_ssl.h"
#include "vms_enclave_report.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_kp.h"
#include "vms_prim.h"
#include "vms_x509.h"

#define MAX_GUARDIANS 16

/* The options of every kp subcommand (opts[] in shieldctl_kp_main). */
enum {
	O_OWNER, O_GUARDIAN, O_VM, O_POLICY, O_OUT, O_IN, O_TK, O_TKOUT, O_PW,
	O_HELP, O_MINATT, O_PLACEMENT, O_PLATFORMS, O_VTPM, O_ROLL_SIGNER, N_OPTS
};

/* --guardian, which may be repeated (c->family). */
struct kp_guardians {
	const char *paths[MAX_GUARDIANS];
	unsigned int n;
};

/* The owner guardian (with its keys) and the --guardian public ones. */
struct kp_keys {
	struct vms_guardian owner;
	struct vms_guardian gs[MAX_GUARDIANS];
	X509 *certs[MAX_GUARDIANS];	/* their encryption certificates */
	unsigned int n;
};

static void kp_keys_free(struct kp_keys *k)
{
	while (k->n)
		vms_guardian_free(&k->gs[--k->n]);
	vms_guardian_free(&k->owner);
}

static const char *kp_strerror(int r)
{
	switch (r) {
	case -EINVAL: return "not a vmshield key protector (malformed CMS or attributes)";
	case -EBADMSG: return "the owner signature does not verify: the key protector was altered";
	case -ENOKEY: return "the owner guardian is not a recipient of this key protector";
	case -EKEYREJECTED: return "the envelope does not open with the owner's key";
	case -EPERM: return "this guardian is not the key protector's owner";
	case -EEXIST: return "that guardian is already granted";
	case -ENOENT: return "that guardian is not granted";
	case -E2BIG: return "too many guardians (at most 64)";
	case -EOPNOTSUPP: return "HGS rolled this key protector's transport key: give --roll-signer PUB, the HGS guardian (public, as 'shieldctl guardian import' gives it) you trust to have rolled it";
	case -EACCES: return "the roll in this key protector is not signed by the --roll-signer guardian: nothing written";
	default: return vms_file_strerror(r);
	}
}

static int load_pub(const char *what, const char *path, struct vms_guardian *g)
{
	int r = vms_guardian_read(path, NULL, g);

	if (r == -EKEYREJECTED)	/* a full guardian with encrypted keys: certs suffice */
		return shieldctl_fail(what, "%s: give the exported (public) guardian", path);
	if (r)
		return shieldctl_fail(what, "%s: %s", path, shieldctl_guardian_strerror(r));
	return 0;
}

/* The owner (--owner, --password-file) and each --guardian, or 1. */
static int kp_keys_load(const struct shieldctl_call *c, struct kp_keys *k)
{
	_cleanup_(vms_secret_free) struct vms_secret pw = { 0 };
	const struct kp_guardians *gp = c->family;
	const char *owner = c->v[O_OWNER];
	int r;

	r = shieldctl_read_password(c->v[O_PW], &pw);
	if (r)
		return shieldctl_fail(c->what, "%s: cannot read the password", c->v[O_PW]);
	r = vms_guardian_read(owner, (const char *)pw.p, &k->owner);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", owner, shieldctl_guardian_strerror(r));
	if (!k->owner.sign_key)
		return shieldctl_fail(c->what, "%s: %s", owner,
				      shieldctl_guardian_strerror(-ENOKEY));
	for (k->n = 0; k->n < gp->n; k->n++) {
		if (load_pub(c->what, gp->paths[k->n], &k->gs[k->n]))
			return 1;
		k->certs[k->n] = k->gs[k->n].enc_cert;
	}
	return 0;
}

/* Write the new KP (never over a file) and say so. */
static int write_kp(const struct shieldctl_call *c, const uint8_t *der, size_t len)
{
	int r = vms_write_file_atomic(c->v[O_OUT], der, len, vms_public_file_mode(),
				      VMS_WRITE_NOCLOBBER);

	if (r)
		return shieldctl_fail(c->what, "cannot write %s: %s", c->v[O_OUT],
				      shieldctl_write_strerror(r));
	printf("wrote key protector %s (%zu bytes)\n", c->v[O_OUT], len);
	return 0;
}

static int needs_owner_out(const struct shieldctl_call *c)
{
	if (!c->v[O_OWNER] || !c->v[O_OUT])
		return shieldctl_usage_error(c->what, "needs --owner and --out");
	return 0;
}

/* "emulated,nitro" -> mask of 1 << type; 0 if not such a list. */
static uint32_t platform_mask_of(const char *s)
{
	char buf[64], *save = NULL, *tok;
	uint32_t mask = 0;
	int t;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',')
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		t = vms_platform_from_name(tok);
		if (t < 0)
			return 0;
		mask |= 1u << t;
	}
	return mask;
}

/*
 * --require-placement hypervisor [--platform-types LIST]
 * [--require-vtpm-in-enclave]; or 1.
 */
static int kp_new_placement(const struct shieldctl_call *c, struct vms_kp_info *b)
{
	const char *const *v = c->v;

	if (v[O_PLACEMENT] && strcmp(v[O_PLACEMENT], "hypervisor"))
		return shieldctl_fail(c->what, "--require-placement is hypervisor (without it, any placement)");
	if (v[O_PLATFORMS] && !v[O_PLACEMENT])
		return shieldctl_fail(c->what, "--platform-types needs --require-placement hypervisor");
	if (v[O_VTPM] && !v[O_PLACEMENT])
		return shieldctl_fail(c->what, "--require-vtpm-in-enclave needs --require-placement hypervisor");
	if (v[O_PLACEMENT])
		b->min_placement = VMS_KP_PLACEMENT_HYPERVISOR;
	if (v[O_VTPM])
		b->vtpm = VMS_KP_VTPM_IN_ENCLAVE;
	if (!v[O_PLATFORMS])
		return 0;
	b->platform_mask = platform_mask_of(v[O_PLATFORMS]);
	if (!b->platform_mask)
		return shieldctl_fail(c->what, "--platform-types is a comma list of emulated, sev-snp, nitro");
	return 0;
}

/* The binding of a new KP from the command line, checked; or 1. */
static int kp_new_binding(const struct shieldctl_call *c, struct vms_kp_info *b)
{
	const char *const *v = c->v;

	memset(b, 0, sizeof(*b));
	if (!v[O_VM] || vms_uuid_parse(v[O_VM], b->vm_id))
		return shieldctl_usage_error(c->what, "needs --vm-id UUID");
	if (v[O_POLICY] && !strcmp(v[O_POLICY], "shielded"))
		b->policy = VMS_KR_POLICY_SHIELDED;
	else if (v[O_POLICY] && !strcmp(v[O_POLICY], "encryption-supported"))
		b->policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED;
	else
		return shieldctl_usage_error(c->what, "needs --policy shielded|encryption-supported");
	if (v[O_TK] && v[O_TKOUT])
		return shieldctl_usage_error(c->what, "give --tk or --tk-out, not both");
	b->min_attestation = VMS_KP_ATTEST_ANY;
	if (v[O_MINATT] && !strcmp(v[O_MINATT], "host-key"))
		b->min_attestation = VMS_KP_ATTEST_HOST_KEY;
	else if (v[O_MINATT] && !strcmp(v[O_MINATT], "tpm"))
		b->min_attestation = VMS_KP_ATTEST_TPM;
	else if (v[O_MINATT])
		return shieldctl_fail(c->what, "--min-attestation is host-key or tpm");
	return kp_new_placement(c, b);
}

/* The transport key: --tk's 32 bytes, or a new random one; or 1. */
static int kp_new_tk(const struct shieldctl_call *c, uint8_t tk[32])
{
	const char *path = c->v[O_TK];
	int r;

	if (!path) {
		r = vms_prim_random(tk, 32);
		if (r)
			return shieldctl_fail(c->what, "cannot generate a transport key: %s",
					      strerror(-r));
		return 0;
	}
	r = vms_read_file_exact(path, tk, 32);
	if (r == -EMSGSIZE)
		return shieldctl_fail(c->what, "--tk %s must hold exactly 32 bytes (a transport key)",
				      path);
	if (r)
		return shieldctl_fail(c->what, "cannot read --tk %s: %s", path, strerror(-r));
	return 0;
}

static int kp_new(const struct shieldctl_call *c)
{
	_cleanup_(kp_keys_free) struct kp_keys k = { 0 };
	_cleanup_(vms_key32_wipe) struct vms_key32 tk;
	_cleanup_(vms_freep) uint8_t *der = NULL;
	const char *tk_out = c->v[O_TKOUT];
	struct vms_kp_info b;
	size_t len = 0;
	int r;

	/* Validate every argument before touching a key. */
	if (needs_owner_out(c) || kp_new_binding(c, &b) || kp_keys_load(c, &k) ||
	    kp_new_tk(c, tk.b))
		return 1;
	r = vms_prim_random(b.key_id, 16);
	if (r)
		return shieldctl_fail(c->what, "cannot generate a key id: %s", strerror(-r));
	r = vms_kp_create_ex(&k.owner, k.certs, k.n, &b, tk.b, &der, &len);
	if (r)
		return shieldctl_fail(c->what, "%s", kp_strerror(r));
	if (tk_out) {
		r = vms_write_file_atomic(tk_out, tk.b, 32, 0600, VMS_WRITE_NOCLOBBER);
		if (r)
			return shieldctl_fail(c->what, "cannot write --tk-out %s: %s", tk_out,
					      shieldctl_write_strerror(r));
	}
	r = write_kp(c, der, len);
	if (r && tk_out)
		unlink(tk_out);	/* no transport key of a KP that was not written */
	return r;
}

/* grant, revoke: the KP re-signed with one guardian more or less. */
static int kp_change(const struct shieldctl_call *c)
{
	_cleanup_(kp_keys_free) struct kp_keys k = { 0 };
	_cleanup_(vms_guardian_free) struct vms_guardian signer = { 0 };
	_cleanup_(vms_freep) uint8_t *in = NULL, *der = NULL;
	const struct kp_guardians *gp = c->family;
	int grant = !strcmp(c->words[0], "grant");
	size_t inlen, len = 0;
	int r;

	if (needs_owner_out(c))
		return 1;
	if (!c->v[O_IN] || gp->n != 1)
		return shieldctl_usage_error(c->what, "needs --in KP and one --guardian PUB");
	if (kp_keys_load(c, &k))
		return 1;
	if (!grant && !X509_cmp(k.certs[0], k.owner.enc_cert))
		return shieldctl_fail(c->what, "the owner cannot be revoked: it stays a recipient so it can grant and revoke");
	r = vms_read_file(c->v[O_IN], VMS_KP_MAX_LEN, &in, &inlen);
	if (r)
		return shieldctl_fail(c->what, "cannot read %s: %s", c->v[O_IN],
				      vms_file_strerror(r));
	if (c->v[O_ROLL_SIGNER]) {
		if (load_pub(c->what, c->v[O_ROLL_SIGNER], &signer))
			return 1;
		if (!signer.sign_cert)
			return shieldctl_fail(c->what, "%s: the guardian has no signing certificate",
					      c->v[O_ROLL_SIGNER]);
	}
	r = grant ? vms_kp_grant(in, inlen, &k.owner, k.certs[0], signer.sign_cert, &der, &len) :
		    vms_kp_revoke(in, inlen, &k.owner, k.certs[0], signer.sign_cert, &der, &len);
	if (r)
		return shieldctl_fail(c->what, "%s", kp_strerror(r));
	return write_kp(c, der, len);
}

static int kp_show(const struct shieldctl_call *c)
{
	_cleanup_(vms_x509_stack_freep) STACK_OF(X509) *sk = NULL;
	_cleanup_(vms_freep) uint8_t *der = NULL;
	char vm[VMS_UUID_STR_LEN], kid[33], name[80], fpr[VMS_FPR_HEX_LEN];
	const char *path = c->v[O_IN];
	struct vms_kp_info info;
	size_t len;
	int r, i;

	if (!path)
		return shieldctl_usage_error(c->what, "needs --in KP");
	r = vms_read_file(path, VMS_KP_MAX_LEN, &der, &len);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", path, vms_file_strerror(r));
	r = vms_kp_verify(der, len, &info);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", path, kp_strerror(r));
	r = vms_kp_recipients(der, len, &sk);
	if (r)
		return shieldctl_fail(c->what, "%s: cannot list its guardians: %s", path,
				      kp_strerror(r));
	vms_uuid_format(info.vm_id, vm);
	vms_hex_encode(info.key_id, 16, kid);
	printf("key_protector: %s\nversion: 1\nsignature: valid\n", path);
	printf("vm_id: %s\nkey_id: %s\npolicy: %s\n", vm, kid,
	       info.policy == VMS_KR_POLICY_SHIELDED ? "shielded" : "encryption-supported");
	printf("min_attestation: %s\n", info.min_attestation == VMS_KP_ATTEST_TPM ? "tpm" : "host-key");
	printf("placement: %s\n", info.min_placement ? "hypervisor" : "any");
	printf("vtpm: %s\n", info.vtpm ? "in-enclave" : "any");
	if (info.platform_mask) {
		unsigned int t;

		printf("platform_types:");
		for (t = VMS_PLATFORM_EMULATED; t < VMS_PLATFORM__MAX; t++)
			if (info.platform_mask & (1u << t))
				printf(" %s", vms_platform_name(t));
		printf("\n");
	}
	printf("owner: %s (signing certificate sha256 %s)\n", info.owner, info.owner_fpr);
	printf("tk_version: %llu\n", (unsigned long long)info.tk_version);
	if (info.roll_signer_fpr[0])
		printf("rolled_by: HGS guardian (signing certificate sha256 %s)\n",
		       info.roll_signer_fpr);
	printf("guardians: %u\n", info.n_recipients);
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);

		if (vms_cert_subject_cn(x, name, sizeof(name)))
			strcpy(name, "?");
		vms_cert_fingerprint(x, fpr);
		printf("guardian: %s (encryption certificate sha256 %s)\n", name, fpr);
	}
	return 0;
}

static const struct shieldctl_cmd kp_cmds[] = {
	{ "new", "--owner GUARDIAN --vm-id UUID --policy shielded|encryption-supported\n"
		 "--out KP [--guardian PUB]... [--tk TK | --tk-out TK]\n"
		 "[--min-attestation host-key|tpm]\n"
		 "[--require-placement hypervisor [--platform-types LIST]\n"
		 " [--require-vtpm-in-enclave]]",
	  "a key protector for a VM: its transport key (new, or --tk)\n"
	  "for the owner and each --guardian, signed by the owner",
	  0, 0, kp_new },
	{ "grant|revoke", "--in KP --owner GUARDIAN --guardian PUB --out NEW\n"
			  "[--roll-signer PUB]",
	  "the key protector with one guardian more or less (a KP HGS\n"
	  "rolled: --roll-signer, the HGS guardian that rolled it)", 0, 0, kp_change },
	{ "show", "--in KP", "check the owner's signature; print what it binds", 0, 0, kp_show },
};

static void usage(FILE *f)
{
	shieldctl_usage_synopses(f, "kp", kp_cmds, ARRAY_SIZE(kp_cmds));
	fprintf(f, "Options: --password-file F (the owner guardian's password).\n\n");
	shieldctl_usage_list(f, kp_cmds, ARRAY_SIZE(kp_cmds), 16, 0);
	fprintf(f,
		"\nA key protector holds the VM's transport key (TK), enveloped to the owner\n"
		"and each guardian listed (e.g. an HGS's, from 'shieldctl guardian import'),\n"
		"signed by the owner, with the VM id and policy. Grant and revoke need the\n"
		"owner's full guardian. The file is DER CMS ('openssl cms -cmsout -print\n"
		"-inform DER -in KP').\n");
}

int shieldctl_kp_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[N_OPTS + 1] = {
		[O_OWNER] = { "owner", 1, 0 }, [O_GUARDIAN] = { "guardian", 1, 1 },
		[O_VM] = { "vm-id", 1, 0 }, [O_POLICY] = { "policy", 1, 0 },
		[O_OUT] = { "out", 1, 0 }, [O_IN] = { "in", 1, 0 },
		[O_TK] = { "tk", 1, 0 }, [O_TKOUT] = { "tk-out", 1, 0 },
		[O_PW] = { "password-file", 1, 0 }, [O_HELP] = { "help", 0, 0 },
		[O_MINATT] = { "min-attestation", 1, 0 },
		[O_PLACEMENT] = { "require-placement", 1, 0 },
		[O_PLATFORMS] = { "platform-types", 1, 0 },
		[O_VTPM] = { "require-vtpm-in-enclave", 0, 0 },
		[O_ROLL_SIGNER] = { "roll-signer", 1, 0 }, [N_OPTS] = { NULL, 0, 0 },
	};
	struct kp_guardians gp = { .n = 0 };
	const char *v[N_OPTS + 1], *pos[1];
	struct shieldctl_call c;
	char what[64];
	int a;

	if (argc < 2)
		return shieldctl_usage_exit("kp", usage);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!shieldctl_cmd_find(kp_cmds, ARRAY_SIZE(kp_cmds), "kp",
				(const char *const *)argv + 1, 1, &c, what, sizeof(what)))
		return shieldctl_usage_error("kp", "unknown command '%s'; see 'shieldctl kp --help'", argv[1]);
	for (a = 2; a < argc; a++) {
		const char *g = shieldctl_multi_value(argc, argv, &a, "guardian");

		if (!g)
			continue;
		if (gp.n == MAX_GUARDIANS)
			return shieldctl_fail(c.what, "at most %d --guardian", MAX_GUARDIANS);
		gp.paths[gp.n++] = g;
	}
	if (shieldctl_opts(c.what, argc - 2, argv + 2, opts, v, pos, 0))
		return 1;
	if (v[O_HELP]) {
		usage(stdout);
		return 0;
	}
	c.v = v;
	c.family = &gp;
	return c.cmd->run(&c);
}
