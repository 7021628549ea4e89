// SPDX-License-Identifier: GPL-2.0
/*
 * guardian_cmd.c - `shieldctl guardian ...`: a tenant's guardians.
 *
 *   new --name NAME --out FILE [--password-file F]   a full guardian (0600)
 *   export --in FILE --out PUB                       its certificates only
 *   import --url URL --ca TLS.pem --out PUB [--name NAME]
 *                                                    an HGS's guardian, from
 *                                                    its /v1/metadata
 *   show --in FILE [--password-file F]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "shieldctl.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hgs_client.h"
#include "vms_x509.h"

/* Read a password file (first line); NULL path: no password. */
int shieldctl_read_password(const char *path, char *out, size_t len)
{
	uint8_t *data;
	size_t n, i;
	int r;

	out[0] = 0;
	if (!path)
		return 0;
	r = vms_read_file(path, len - 1, &data, &n);
	if (r)
		return r == -EFBIG ? -EINVAL : r;
	for (i = 0; i < n && data[i] != '\n' && data[i] != '\r'; i++)
		out[i] = (char)data[i];
	out[i] = 0;
	OPENSSL_clear_free(data, n ? n : 1);
	return i ? 0 : -EINVAL;
}

const char *shieldctl_guardian_strerror(int r)
{
	switch (r) {
	case -EINVAL: return "not a guardian file (two certificates, and optionally their two keys)";
	case -EKEYREJECTED: return "wrong password, or keys that do not match the certificates";
	case -ENOKEY: return "this is a public guardian (no private keys): use the full guardian file";
	default: return vms_file_strerror(r);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl guardian new --name NAME --out FILE [--password-file F] [--days N]\n"
		"       shieldctl guardian export --in FILE --out PUB [--password-file F]\n"
		"       shieldctl guardian import --url https://HGS:PORT --ca TLS.pem --out PUB [--name NAME]\n"
		"       shieldctl guardian show --in FILE [--password-file F]\n\n"
		"A guardian is an encryption and a signing key pair (P-256) with their\n"
		"certificates. The owner guardian of a key protector signs it and can grant\n"
		"or revoke; each guardian it lists can unwrap the VM's transport key. Give\n"
		"others only the exported (public) file. 'import' fetches an HGS's guardian.\n");
}

static void show(const struct vms_guardian *g)
{
	char fe[VMS_FPR_HEX_LEN], fs[VMS_FPR_HEX_LEN];

	vms_cert_fingerprint(g->enc_cert, fe);
	vms_cert_fingerprint(g->sign_cert, fs);
	printf("guardian: %s\n", g->name);
	printf("encryption certificate sha256: %s\n", fe);
	printf("signing certificate sha256: %s\n", fs);
	printf("private keys: %s\n", g->enc_key ? "yes" : "no (public guardian)");
}

int shieldctl_guardian_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[] = {
		{ "name", 1, 0 }, { "out", 1, 0 }, { "in", 1, 0 }, { "password-file", 1, 0 },
		{ "url", 1, 0 }, { "ca", 1, 0 }, { "days", 1, 0 }, { "help", 0, 0 },
		{ NULL, 0, 0 },
	};
	enum { O_NAME, O_OUT, O_IN, O_PW, O_URL, O_CA, O_DAYS, O_HELP };
	const char *v[9], *pos[1], *what;
	struct vms_guardian g;
	char pw[256];
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (!strcmp(argv[1], "new"))
		what = "guardian new";
	else if (!strcmp(argv[1], "export"))
		what = "guardian export";
	else if (!strcmp(argv[1], "import"))
		what = "guardian import";
	else if (!strcmp(argv[1], "show"))
		what = "guardian show";
	else
		return shieldctl_fail("guardian", "unknown command '%s'; see 'shieldctl guardian --help'",
				      argv[1]);
	if (shieldctl_opts(what, argc - 2, argv + 2, opts, v, pos, 0))
		return 1;
	if (v[O_HELP]) {
		usage(stdout);
		return 0;
	}
	r = shieldctl_read_password(v[O_PW], pw, sizeof(pw));
	if (r)
		return shieldctl_fail(what, "%s: cannot read the password: %s", v[O_PW], strerror(-r));

	if (!strcmp(argv[1], "new")) {
		long days = v[O_DAYS] ? atol(v[O_DAYS]) : 3650;

		if (!v[O_NAME] || !v[O_OUT])
			return shieldctl_fail(what, "needs --name and --out");
		if (days < 1 || days > 36500)
			return shieldctl_fail(what, "--days must be 1..36500");
		r = vms_guardian_new(v[O_NAME], days, &g);
		if (r)
			return shieldctl_fail(what, "%s", r == -EINVAL ?
					      "the name must match [A-Za-z0-9._-]{1,64}" : strerror(-r));
		r = vms_guardian_write(v[O_OUT], &g, 1, pw[0] ? pw : NULL, VMS_WRITE_NOCLOBBER);
		OPENSSL_cleanse(pw, sizeof(pw));
		if (!r)
			printf("wrote guardian %s to %s (private keys %s)\n", g.name, v[O_OUT],
			       v[O_PW] ? "encrypted" : "in the clear, file mode 0600");
		vms_guardian_free(&g);
		return r ? shieldctl_fail(what, "%s: %s", v[O_OUT], vms_file_strerror(r)) : 0;
	}
	if (!strcmp(argv[1], "import")) {
		struct vms_hgs_client *c;
		json_t *md = NULL, *gs, *e;
		long http;
		size_t i;

		if (!v[O_URL] || !v[O_CA] || !v[O_OUT])
			return shieldctl_fail(what, "needs --url, --ca and --out");
		r = vms_hgs_client_open(&c, v[O_URL], v[O_CA], NULL);
		if (!r)
			r = vms_hgs_call(c, "/v1/metadata", NULL, &http, &md);
		if (r) {
			r = shieldctl_fail(what, "%s: %s", v[O_URL], c ? vms_hgs_client_error(c) :
					   strerror(-r));
			vms_hgs_client_close(c);
			return r;
		}
		vms_hgs_client_close(c);
		gs = json_object_get(md, "guardians");
		r = 1;
		json_array_foreach(gs, i, e) {
			const char *name = json_string_value(json_object_get(e, "name"));
			const char *pem = json_string_value(json_object_get(e, "certificates"));

			if (!name || !pem)
				continue;
			if (v[O_NAME] ? strcmp(name, v[O_NAME]) :
			    !json_is_true(json_object_get(e, "primary")))
				continue;
			if (vms_guardian_from_pem(pem, strlen(pem), NULL, &g)) {
				r = shieldctl_fail(what, "HGS sent a malformed guardian");
				break;
			}
			r = vms_guardian_write(v[O_OUT], &g, 0, NULL, VMS_WRITE_NOCLOBBER);
			if (r)
				r = shieldctl_fail(what, "%s: %s", v[O_OUT], vms_file_strerror(r));
			else
				show(&g);
			vms_guardian_free(&g);
			break;
		}
		if (r == 1 && i == json_array_size(gs))
			r = shieldctl_fail(what, "HGS has no guardian %s", v[O_NAME] ? v[O_NAME] : "marked primary");
		json_decref(md);
		return r;
	}
	if (!v[O_IN])
		return shieldctl_fail(what, "needs --in");
	r = vms_guardian_read(v[O_IN], pw[0] ? pw : NULL, &g);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r)
		return shieldctl_fail(what, "%s: %s", v[O_IN], shieldctl_guardian_strerror(r));
	if (!strcmp(argv[1], "show")) {
		show(&g);
	} else {
		if (!v[O_OUT]) {
			vms_guardian_free(&g);
			return shieldctl_fail(what, "needs --out");
		}
		r = vms_guardian_write(v[O_OUT], &g, 0, NULL, VMS_WRITE_NOCLOBBER);
		if (r)
			r = shieldctl_fail(what, "%s: %s", v[O_OUT], vms_file_strerror(r));
		else
			printf("wrote public guardian %s to %s\n", g.name, v[O_OUT]);
	}
	vms_guardian_free(&g);
	return r;
}
