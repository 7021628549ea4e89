// SPDX-License-Identifier: GPL-2.0
/*
 * guardian_cmd.c - `shieldctl guardian ...`: a tenant's guardians. One
 * function per subcommand; guardian_cmds[] is the dispatch and the usage.
 * Also the password-file reader the guardian and kp families share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shieldctl.h"
#include "vms_cleanup_json.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hgs_client.h"
#include "vms_x509.h"

#define PASSWORD_FILE_MAX 255

/* The options of every guardian subcommand (opts[] below). */
enum { O_NAME, O_OUT, O_IN, O_PW, O_URL, O_CA, O_DAYS, O_HELP, N_OPTS };

int shieldctl_read_password(const char *path, struct vms_secret *pw)
{
	_cleanup_(vms_secret_free) struct vms_secret file = { 0 };
	size_t n = 0;
	int r;

	pw->p = NULL;
	pw->len = 0;
	if (!path)
		return 0;
	r = vms_read_file(path, PASSWORD_FILE_MAX, &file.p, &file.len);
	if (r)
		return r == -EFBIG ? -EINVAL : r;
	while (n < file.len && file.p[n] != '\n' && file.p[n] != '\r')
		n++;
	if (!n)
		return -EINVAL;
	pw->p = malloc(n + 1);
	if (!pw->p)
		return -ENOMEM;
	memcpy(pw->p, file.p, n);
	pw->p[n] = 0;
	pw->len = n + 1;
	return 0;
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

/* The password of --password-file (NULL: none), read before dispatch. */
static const char *password(const struct shieldctl_call *c)
{
	const struct vms_secret *pw = c->family;

	return (const char *)pw->p;
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

static int guardian_new(const struct shieldctl_call *c)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	const char *name = c->v[O_NAME], *out = c->v[O_OUT];
	long days = c->v[O_DAYS] ? atol(c->v[O_DAYS]) : 3650;
	int r;

	if (!name || !out)
		return shieldctl_usage_error(c->what, "needs --name and --out");
	if (days < 1 || days > 36500)
		return shieldctl_fail(c->what, "--days must be 1..36500");
	r = vms_guardian_new(name, days, &g);
	if (r == -EINVAL)
		return shieldctl_fail(c->what, "the name must match [A-Za-z0-9._-]{1,64}");
	if (r)
		return shieldctl_fail(c->what, "cannot generate the key pairs: %s", strerror(-r));
	r = vms_guardian_write(out, &g, 1, password(c), VMS_WRITE_NOCLOBBER);
	if (r)
		return shieldctl_fail(c->what, "cannot write %s: %s", out,
				      shieldctl_write_strerror(r));
	printf("wrote guardian %s to %s (private keys %s)\n", g.name, out,
	       c->v[O_PW] ? "encrypted" : "in the clear, file mode 0600");
	return 0;
}

/* --in, read with the password; or 1. */
static int read_in(const struct shieldctl_call *c, struct vms_guardian *g)
{
	const char *in = c->v[O_IN];
	int r;

	if (!in)
		return shieldctl_usage_error(c->what, "needs --in");
	r = vms_guardian_read(in, password(c), g);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", in, shieldctl_guardian_strerror(r));
	return 0;
}

static int guardian_export(const struct shieldctl_call *c)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	const char *out = c->v[O_OUT];
	int r;

	if (read_in(c, &g))
		return 1;
	if (!out)
		return shieldctl_usage_error(c->what, "needs --out");
	r = vms_guardian_write(out, &g, 0, NULL, VMS_WRITE_NOCLOBBER);
	if (r)
		return shieldctl_fail(c->what, "cannot write %s: %s", out,
				      shieldctl_write_strerror(r));
	printf("wrote public guardian %s to %s\n", g.name, out);
	return 0;
}

static int guardian_show(const struct shieldctl_call *c)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };

	if (read_in(c, &g))
		return 1;
	show(&g);
	return 0;
}

/* In HGS metadata: the guardian called @name, or the primary one. */
static const char *metadata_guardian(json_t *md, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(md, "guardians"), i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		const char *pem = json_string_value(json_object_get(e, "certificates"));

		if (!n || !pem)
			continue;
		if (name ? !strcmp(n, name) : json_is_true(json_object_get(e, "primary")))
			return pem;
	}
	return NULL;
}

/* An HGS's guardian (public), from its /v1/metadata. */
static int guardian_import(const struct shieldctl_call *c)
{
	_cleanup_(vms_hgs_client_closep) struct vms_hgs_client *cl = NULL;
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	_cleanup_(vms_json_decrefp) json_t *md = NULL;
	const char *url = c->v[O_URL], *name = c->v[O_NAME], *out = c->v[O_OUT];
	const char *pem;
	long http;
	int r;

	if (!url || !c->v[O_CA] || !out)
		return shieldctl_usage_error(c->what, "needs --url, --ca and --out");
	r = vms_hgs_client_open(&cl, url, c->v[O_CA], NULL);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", url, strerror(-r));
	r = vms_hgs_call(cl, "/v1/metadata", NULL, &http, &md);
	if (r)
		return shieldctl_fail(c->what, "%s: %s", url, vms_hgs_client_error(cl));
	pem = metadata_guardian(md, name);
	if (!pem)
		return shieldctl_fail(c->what, "HGS has no guardian %s",
				      name ? name : "marked primary");
	if (vms_guardian_from_pem(pem, strlen(pem), NULL, &g))
		return shieldctl_fail(c->what, "HGS sent a malformed guardian");
	r = vms_guardian_write(out, &g, 0, NULL, VMS_WRITE_NOCLOBBER);
	if (r)
		return shieldctl_fail(c->what, "cannot write %s: %s", out,
				      shieldctl_write_strerror(r));
	show(&g);
	return 0;
}

static const struct shieldctl_cmd guardian_cmds[] = {
	{ "new", "--name NAME --out FILE [--password-file F] [--days N]",
	  "a full guardian (file mode 0600)", 0, 0, guardian_new },
	{ "export", "--in FILE --out PUB [--password-file F]",
	  "its certificates only: what others are given", 0, 0, guardian_export },
	{ "import", "--url https://HGS:PORT --ca TLS.pem --out PUB [--name NAME]",
	  "an HGS's guardian (the primary, or --name)", 0, 0, guardian_import },
	{ "show", "--in FILE [--password-file F]",
	  "its name, fingerprints, whether it has keys", 0, 0, guardian_show },
};

static void usage(FILE *f)
{
	shieldctl_usage_synopses(f, "guardian", guardian_cmds, ARRAY_SIZE(guardian_cmds));
	fputc('\n', f);
	shieldctl_usage_list(f, guardian_cmds, ARRAY_SIZE(guardian_cmds), 10, 0);
	fprintf(f,
		"\nA guardian is an encryption and a signing key pair (P-256) with their\n"
		"certificates. The owner guardian of a key protector signs it and can grant\n"
		"or revoke; each guardian it lists can unwrap the VM's transport key. Give\n"
		"others only the exported (public) file. 'import' fetches an HGS's guardian.\n");
}

int shieldctl_guardian_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[N_OPTS + 1] = {
		[O_NAME] = { "name", 1, 0 }, [O_OUT] = { "out", 1, 0 },
		[O_IN] = { "in", 1, 0 }, [O_PW] = { "password-file", 1, 0 },
		[O_URL] = { "url", 1, 0 }, [O_CA] = { "ca", 1, 0 },
		[O_DAYS] = { "days", 1, 0 }, [O_HELP] = { "help", 0, 0 },
		[N_OPTS] = { NULL, 0, 0 },
	};
	_cleanup_(vms_secret_free) struct vms_secret pw = { 0 };
	const char *v[N_OPTS + 1], *pos[1];
	struct shieldctl_call c;
	char what[64];
	int r;

	if (argc < 2)
		return shieldctl_usage_exit("guardian", usage);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!shieldctl_cmd_find(guardian_cmds, ARRAY_SIZE(guardian_cmds), "guardian",
				(const char *const *)argv + 1, 1, &c, what, sizeof(what)))
		return shieldctl_usage_error("guardian", "unknown command '%s'; see 'shieldctl guardian --help'",
				      argv[1]);
	if (shieldctl_opts(c.what, argc - 2, argv + 2, opts, v, pos, 0))
		return 1;
	if (v[O_HELP]) {
		usage(stdout);
		return 0;
	}
	r = shieldctl_read_password(v[O_PW], &pw);
	if (r)
		return shieldctl_fail(c.what, "%s: cannot read the password: %s", v[O_PW],
				      strerror(-r));
	c.v = v;
	c.family = &pw;
	return c.cmd->run(&c);
}
