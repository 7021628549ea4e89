// SPDX-License-Identifier: GPL-2.0
/*
 * kp_cmd.c - `shieldctl kp ...`: key protectors.
 *
 *   new --owner G --vm-id UUID --policy P --out KP [--guardian PUB]...
 *       [--tk TKFILE | --tk-out TKFILE] [--password-file F]
 *   grant  --in KP --owner G --guardian PUB --out NEW [--password-file F]
 *   revoke --in KP --owner G --guardian PUB --out NEW [--password-file F]
 *   show   --in KP
 * A KP is DER CMS: `openssl cms -cmsout -print -inform DER -in KP` shows it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "keyrelease.h"
#include "shieldctl.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_kp.h"
#include "vms_prim.h"
#include "vms_x509.h"

#define MAX_GUARDIANS 16

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl kp new --owner GUARDIAN --vm-id UUID --policy shielded|encryption-supported\n"
		"                        --out KP [--guardian PUB]... [--tk TK | --tk-out TK]\n"
		"                        [--min-attestation host-key|tpm]\n"
		"       shieldctl kp grant  --in KP --owner GUARDIAN --guardian PUB --out NEW\n"
		"       shieldctl kp revoke --in KP --owner GUARDIAN --guardian PUB --out NEW\n"
		"       shieldctl kp show --in KP\n"
		"Options: --password-file F (the owner guardian's password).\n\n"
		"A key protector holds the VM's transport key (TK), enveloped to the owner\n"
		"and each guardian listed (e.g. an HGS's, from 'shieldctl guardian import'),\n"
		"signed by the owner, with the VM id and policy. Grant and revoke need the\n"
		"owner's full guardian. The file is DER CMS ('openssl cms -cmsout -print\n"
		"-inform DER -in KP').\n");
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
	default: return vms_file_strerror(r);
	}
}

static int load_pub(const char *what, const char *path, struct vms_guardian *g)
{
	int r = vms_guardian_read(path, NULL, g);

	if (r == -EKEYREJECTED)	/* a full guardian with encrypted keys: certs suffice */
		r = shieldctl_fail(what, "%s: give the exported (public) guardian", path);
	else if (r)
		r = shieldctl_fail(what, "%s: %s", path, shieldctl_guardian_strerror(r));
	return r;
}

static int show(const char *what, const char *path)
{
	struct vms_kp_info info;
	STACK_OF(X509) *sk = NULL;
	char vm[VMS_UUID_STR_LEN], kid[33], name[80], fpr[VMS_FPR_HEX_LEN];
	uint8_t *der;
	size_t len;
	int r, i;

	r = vms_read_file(path, VMS_KP_MAX_LEN, &der, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s", path, vms_file_strerror(r));
	r = vms_kp_verify(der, len, &info);
	if (!r)
		r = vms_kp_recipients(der, len, &sk);
	free(der);
	if (r)
		return shieldctl_fail(what, "%s: %s", path, kp_strerror(r));
	vms_uuid_format(info.vm_id, vm);
	vms_hex_encode(info.key_id, 16, kid);
	printf("key_protector: %s\nversion: 1\nsignature: valid\n", path);
	printf("vm_id: %s\nkey_id: %s\npolicy: %s\n", vm, kid,
	       info.policy == VMS_KR_POLICY_SHIELDED ? "shielded" : "encryption-supported");
	printf("min_attestation: %s\n", info.min_attestation == VMS_KP_ATTEST_TPM ? "tpm" : "host-key");
	printf("owner: %s (signing certificate sha256 %s)\n", info.owner, info.owner_fpr);
	printf("guardians: %u\n", info.n_recipients);
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *c = sk_X509_value(sk, i);

		if (vms_cert_subject_cn(c, name, sizeof(name)))
			strcpy(name, "?");
		vms_cert_fingerprint(c, fpr);
		printf("guardian: %s (encryption certificate sha256 %s)\n", name, fpr);
	}
	sk_X509_pop_free(sk, X509_free);
	return 0;
}

int shieldctl_kp_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[] = {
		{ "owner", 1, 0 }, { "guardian", 1, 1 }, { "vm-id", 1, 0 }, { "policy", 1, 0 },
		{ "out", 1, 0 }, { "in", 1, 0 }, { "tk", 1, 0 }, { "tk-out", 1, 0 },
		{ "password-file", 1, 0 }, { "help", 0, 0 }, { "min-attestation", 1, 0 },
		{ NULL, 0, 0 },
	};
	enum { O_OWNER, O_GUARDIAN, O_VM, O_POLICY, O_OUT, O_IN, O_TK, O_TKOUT, O_PW, O_HELP,
	       O_MINATT };
	_cleanup_(key32_wipe) struct key32 tk;
	struct vms_guardian owner, gs[MAX_GUARDIANS];
	X509 *certs[MAX_GUARDIANS];
	const char *v[12], *pos[1], *gpaths[MAX_GUARDIANS], *what;
	uint32_t min_att = VMS_KP_ATTEST_ANY;
	unsigned int ng = 0, i;
	uint8_t vm_id[16], key_id[16], *der = NULL, *in = NULL;
	size_t len = 0, inlen;
	uint32_t policy = 0;
	char pw[256];
	int r, a;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (!strcmp(argv[1], "new"))
		what = "kp new";
	else if (!strcmp(argv[1], "grant"))
		what = "kp grant";
	else if (!strcmp(argv[1], "revoke"))
		what = "kp revoke";
	else if (!strcmp(argv[1], "show"))
		what = "kp show";
	else
		return shieldctl_fail("kp", "unknown command '%s'; see 'shieldctl kp --help'", argv[1]);
	for (a = 2; a + 1 < argc; a++)
		if (!strcmp(argv[a], "--guardian")) {
			if (ng == MAX_GUARDIANS)
				return shieldctl_fail(what, "at most %d --guardian", MAX_GUARDIANS);
			gpaths[ng++] = argv[++a];
		}
	if (shieldctl_opts(what, argc - 2, argv + 2, opts, v, pos, 0))
		return 1;
	if (v[O_HELP]) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "show")) {
		if (!v[O_IN])
			return shieldctl_fail(what, "needs --in KP");
		return show(what, v[O_IN]);
	}
	/* Validate every argument before touching a key. */
	if (!v[O_OWNER] || !v[O_OUT])
		return shieldctl_fail(what, "needs --owner and --out");
	if (!strcmp(argv[1], "new")) {
		if (!v[O_VM] || vms_uuid_parse(v[O_VM], vm_id))
			return shieldctl_fail(what, "needs --vm-id UUID");
		if (v[O_POLICY] && !strcmp(v[O_POLICY], "shielded"))
			policy = VMS_KR_POLICY_SHIELDED;
		else if (v[O_POLICY] && !strcmp(v[O_POLICY], "encryption-supported"))
			policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED;
		else
			return shieldctl_fail(what, "needs --policy shielded|encryption-supported");
		if (v[O_TK] && v[O_TKOUT])
			return shieldctl_fail(what, "give --tk or --tk-out, not both");
		if (v[O_MINATT] && !strcmp(v[O_MINATT], "host-key"))
			min_att = VMS_KP_ATTEST_HOST_KEY;
		else if (v[O_MINATT] && !strcmp(v[O_MINATT], "tpm"))
			min_att = VMS_KP_ATTEST_TPM;
		else if (v[O_MINATT])
			return shieldctl_fail(what, "--min-attestation is host-key or tpm");
	} else {
		if (!v[O_IN] || ng != 1)
			return shieldctl_fail(what, "needs --in KP and one --guardian PUB");
	}
	r = shieldctl_read_password(v[O_PW], pw, sizeof(pw));
	if (r)
		return shieldctl_fail(what, "%s: cannot read the password", v[O_PW]);
	r = vms_guardian_read(v[O_OWNER], pw[0] ? pw : NULL, &owner);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r)
		return shieldctl_fail(what, "%s: %s", v[O_OWNER], shieldctl_guardian_strerror(r));
	if (!owner.sign_key) {
		vms_guardian_free(&owner);
		return shieldctl_fail(what, "%s: %s", v[O_OWNER], shieldctl_guardian_strerror(-ENOKEY));
	}
	for (i = 0; i < ng; i++) {
		if (load_pub(what, gpaths[i], &gs[i])) {
			while (i--)
				vms_guardian_free(&gs[i]);
			vms_guardian_free(&owner);
			return 1;
		}
		certs[i] = gs[i].enc_cert;
	}
	if (!strcmp(argv[1], "revoke") && !X509_cmp(certs[0], owner.enc_cert)) {
		vms_guardian_free(&gs[0]);
		vms_guardian_free(&owner);
		return shieldctl_fail(what, "the owner cannot be revoked: it stays a recipient so it can grant and revoke");
	}
	if (!strcmp(argv[1], "new")) {
		if (v[O_TK])
			r = vms_read_file_exact(v[O_TK], tk.b, 32);
		else
			r = vms_prim_random(tk.b, 32);
		if (!r)
			r = vms_prim_random(key_id, 16);
		if (!r) {
			struct vms_kp_info bind = { .policy = policy, .min_attestation = min_att };

			memcpy(bind.vm_id, vm_id, 16);
			memcpy(bind.key_id, key_id, 16);
			r = vms_kp_create_ex(&owner, certs, ng, &bind, tk.b, &der, &len);
		}
		if (!r && v[O_TKOUT])
			r = vms_write_file_atomic(v[O_TKOUT], tk.b, 32, 0600, VMS_WRITE_NOCLOBBER);
	} else {
		r = vms_read_file(v[O_IN], VMS_KP_MAX_LEN, &in, &inlen);
		if (!r)
			r = !strcmp(argv[1], "grant") ?
				vms_kp_grant(in, inlen, &owner, certs[0], &der, &len) :
				vms_kp_revoke(in, inlen, &owner, certs[0], &der, &len);
		free(in);
	}
	if (!r)
		r = vms_write_file_atomic(v[O_OUT], der, len, vms_public_file_mode(),
					  VMS_WRITE_NOCLOBBER);
	free(der);
	for (i = 0; i < ng; i++)
		vms_guardian_free(&gs[i]);
	vms_guardian_free(&owner);
	if (r)
		return shieldctl_fail(what, "%s", kp_strerror(r));
	printf("wrote key protector %s (%zu bytes)\n", v[O_OUT], len);
	return 0;
}
