// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_cmd.c - `shieldctl hgs ...`: the HGS admin CLI, over hgsd's admin
 * socket (root, or a uid in hgsd.conf's admin_uids). Also the small option
 * parser that the hgs, guardian and kp families share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "shieldctl.h"
#include "vms_b64.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_hgs_client.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"

#define DEFAULT_SOCKET "/var/lib/hgsd/admin.sock"

int shieldctl_opts(const char *what, int argc, char **argv,
		   const struct shieldctl_opt *opts, const char **vals,
		   const char **pos, int npos)
{
	int i, j, np = 0;

	for (i = 0; opts[i].name; i++)
		vals[i] = NULL;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2)) {
			if (np == npos)
				return shieldctl_fail(what, "unexpected argument '%s'", argv[i]);
			pos[np++] = argv[i];
			continue;
		}
		for (j = 0; opts[j].name && strcmp(opts[j].name, argv[i] + 2); j++)
			;
		if (!opts[j].name)
			return shieldctl_fail(what, "unknown option '%s'; see 'shieldctl %s --help'",
					      argv[i], what);
		if (!opts[j].has_value) {
			vals[j] = "1";
			continue;
		}
		if (i + 1 >= argc)
			return shieldctl_fail(what, "option '%s' needs a value", argv[i]);
		if (vals[j] && !opts[j].multi)
			return shieldctl_fail(what, "option '%s' given twice", argv[i]);
		vals[j] = argv[++i];
	}
	if (np < npos)
		return shieldctl_fail(what, "missing argument; see 'shieldctl %s --help'", what);
	return 0;
}

/* Admin over HTTPS with a client certificate, when --url is given. */
static const char *https_url, *https_ca, *https_cert, *https_key;

/* Call the admin API; prints the failure and returns 1, or 0 with *resp. */
static int admin_call(const char *what, const char *sock, const char *path,
		      json_t *req, json_t **resp)
{
	struct vms_hgs_client *c;
	long http = 0;
	int r;

	*resp = NULL;
	if (https_url) {
		r = vms_hgs_client_open(&c, https_url, https_ca, NULL);
		if (!r && https_cert)
			r = vms_hgs_client_use_cert(c, https_cert, https_key ? https_key : https_cert);
		if (!r)
			sock = https_url;
	} else {
		r = vms_hgs_client_open(&c, NULL, NULL, sock);
	}
	if (r) {
		json_decref(req);
		return shieldctl_fail(what, "%s", strerror(-r));
	}
	r = vms_hgs_call(c, path, req, &http, resp);
	json_decref(req);
	if (r) {
		r = shieldctl_fail(what, "cannot reach hgsd at %s: %s (is it running? are you an HGS admin?)",
				   sock, vms_hgs_client_error(c));
		vms_hgs_client_close(c);
		return r;
	}
	vms_hgs_client_close(c);
	if (http != 200) {
		const char *detail = json_string_value(json_object_get(*resp, "detail"));

		r = shieldctl_fail(what, "%s: %s%s%s", vms_hgs_substatus(*resp),
				   json_string_value(json_object_get(*resp, "message")),
				   detail ? " - " : "", detail ? detail : "");
		json_decref(*resp);
		*resp = NULL;
		return r;
	}
	return 0;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

static void print_rows(json_t *rows, const char *const *cols)
{
	size_t i;
	int c;
	json_t *row;

	for (c = 0; cols[c]; c++)
		printf("%s%s", c ? "\t" : "", cols[c]);
	printf("\n");
	json_array_foreach(rows, i, row) {
		for (c = 0; cols[c]; c++) {
			json_t *v = json_object_get(row, cols[c]);

			if (json_is_string(v))
				printf("%s%s", c ? "\t" : "", json_string_value(v));
			else
				printf("%s%lld", c ? "\t" : "", (long long)json_integer_value(v));
		}
		printf("\n");
	}
}

/* pos[0] is @a and, when @b is given, pos[1] is @b. */
static int is_cmd(const char *const *pos, const char *a, const char *b)
{
	if (strcmp(pos[0], a))
		return 0;
	return !b || (pos[1] && !strcmp(pos[1], b));
}

/*
 * `shieldctl hgs FAMILY list`: the admin path, the array its answer holds
 * and the columns shown (--json: the whole answer).
 */
struct list_cmd {
	const char *family, *path, *array;
	const char *const cols[8];
};

static const struct list_cmd list_cmds[] = {
	{ "host", "/v1/admin/hosts", "hosts",
	  { "name", "key_alg", "enabled", "key_fpr", "ek_fpr",
	    "hardware_class", NULL } },
	{ "baseline", "/v1/admin/baselines", "baselines",
	  { "name", "version", "hardware_class", "enabled", "in_use",
	    "events", NULL } },
	{ "tpm-digest", "/v1/admin/tpm/digests", "digests",
	  { "kind", "digest", "description", NULL } },
	{ "ima-key", "/v1/admin/tpm/ima-keys", "ima_keys",
	  { "sha256", "keyid", "key_type", "subject", "description", NULL } },
	{ "worker", "/v1/admin/workers", "workers",
	  { "id", "enabled", "digest", "description", NULL } },
	{ "admin-cert", "/v1/admin/admin-certs", "admin_certs",
	  { "sha256", "state", "subject", "last_seen", NULL } },
	{ "guardian", "/v1/admin/guardians", "guardians",
	  { "name", "is_primary", "enabled", "created_at", NULL } },
};

static const struct list_cmd *list_cmd_of(const char *family)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(list_cmds); i++)
		if (!strcmp(list_cmds[i].family, family))
			return &list_cmds[i];
	return NULL;
}

static int list_command(const struct list_cmd *l, const char *sock, int json)
{
	json_t *resp;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "hgs %s list", l->family);
	r = admin_call(what, sock, l->path, NULL, &resp);
	if (r)
		return r;
	if (json)
		print_json(resp);
	else
		print_rows(json_object_get(resp, l->array), l->cols);
	json_decref(resp);
	return 0;
}

/* An SHA-256 fingerprint as openssl prints it (AB:CD:...) or plain hex. */
static void fingerprint_plain(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 1 < size; in++)
		if (*in != ':')
			out[o++] = *in;
	out[o] = 0;
}

static void hgs_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl hgs [--socket PATH | --url URL --ca TLS.pem --cert C --tls-key K]\n"
		"                     [--json] COMMAND\n\n"
		"HGS administration over hgsd's admin socket (default %s,\n"
		"or $HGSD_ADMIN_SOCKET), or over HTTPS with an admin client certificate\n"
		"(hgsd.conf admin_client_ca). Every change is audited by hgsd.\n\n"
		"  status                          service, policy, counters, recent events\n"
		"  host list\n"
		"  host add NAME --key PUBKEY.pem  register a host key (Ed25519 or ECDSA P-256)\n"
		"  host add NAME --ek EK.pub [--class CLASS]\n"
		"                                  TPM mode: register the host's EK (the file\n"
		"                                  `shieldctl tpm ek` writes) and its hardware\n"
		"                                  class (default 'default'); another EK for a\n"
		"                                  registered one is refused (TpmEkConflict)\n"
		"  host disable|enable|remove NAME\n"
		"  policy show\n"
		"  policy set NAME VALUE           min_isolation_level kernel-open|kernel-locked\n"
		"                                  require_module_sig 0|1\n"
		"                                  revocation_cutoff now|UNIX-SECONDS|0\n"
		"                                  admin_cert_allow_list 0|1 (1: only allowed\n"
		"                                  admin certificates may use the admin API)\n"
		"                                  tpm_pcrs LIST (default 0-7,10; must hold both)\n"
		"                                  tpm_check_module_digest 0|1\n"
		"                                  tpm_runtime_allowlist 0|1\n"
		"                                  tpm_require_ima_appraisal 0|1\n"
		"                                  tpm_require_secure_boot 0|1\n"
		"                                  tpm_report_at_load 0|1\n"
		"                                  tpm_allow_ima_violations 0|1\n"
		"  baseline capture --log BIOS_LOG --name NAME --class CLASS [--version N] --out F\n"
		"                                  (local, no HGS) a boot baseline from a reference\n"
		"                                  host's binary_bios_measurements\n"
		"  baseline add FILE | baseline list | baseline show NAME\n"
		"  baseline enable|disable NAME    the latest version of a name is the one used\n"
		"  tpm-digest add --kind module|allow FILE\n"
		"                                  approved vmshield.ko digests or the runtime\n"
		"                                  allowlist, from `sha256sum` output lines\n"
		"  tpm-digest list | tpm-digest remove --kind module|allow DIGEST\n"
		"  ima-key add CERT [--description TEXT]\n"
		"                                  approve an IMA signing key (its X.509\n"
		"                                  certificate, PEM or DER, as loaded into the\n"
		"                                  IMA keyring) for tpm_require_ima_appraisal\n"
		"  ima-key list | ima-key remove SHA256\n"
		"                                  by the certificate's SHA-256 (AB:CD:.. or hex)\n"
		"  worker list\n"
		"  worker add (DIGEST | --file BINARY) [--description TEXT]\n"
		"  worker disable|enable DIGEST\n"
		"  worker history [VERSION]        every worker policy version and its digests\n"
		"  guardian list | guardian add NAME | guardian primary NAME\n"
		"  guardian disable|enable NAME    a disabled guardian unwraps no KP and is not\n"
		"                                  in metadata (never the primary or the last)\n"
		"  guardian remove NAME            a disabled one; its key file is kept, renamed\n"
		"  admin-cert list                 admin client certificates seen, allowed, revoked\n"
		"  admin-cert revoke|allow SHA256  by the certificate's SHA-256 (openssl x509\n"
		"                                  -noout -fingerprint -sha256); revoked is final\n"
		"  audit | events                  recent admin actions / attestations and releases\n",
		DEFAULT_SOCKET);
}

static int file_digest(const char *path, char hex[65])
{
	uint8_t *data, md[32];
	size_t len;
	int r = vms_read_file(path, (size_t)1 << 31, &data, &len);

	if (r)
		return r;
	r = EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) ? 0 : -EIO;
	free(data);
	if (!r)
		vms_hex_encode(md, 32, hex);
	return r;
}

static int host_add_ek(const char *sock, const char *name, const char *ekfile,
		       const char *cls, json_t **resp)
{
	uint8_t *ek;
	size_t len;
	char *b64;
	json_t *req;
	int r = vms_read_file(ekfile, 4096, &ek, &len);

	if (r)
		return shieldctl_fail("hgs host add", "%s: %s", ekfile, strerror(-r));
	b64 = vms_b64_encode(ek, len);
	free(ek);
	req = json_pack("{s:s, s:s}", "name", name, "ek_public", b64 ? b64 : "");
	free(b64);
	if (req && cls)
		json_object_set_new(req, "hardware_class", json_string(cls));
	return admin_call("hgs host add", sock, "/v1/admin/hosts/add", req, resp);
}

/* An IMA signing key's certificate file (PEM or DER), sent as it is. */
static int ima_key_add(const char *sock, const char *file, const char *desc,
		       json_t **resp)
{
	const char *what = "hgs ima-key add";
	uint8_t *cert;
	size_t len;
	char *b64;
	json_t *req;
	int r = vms_read_file(file, 16384, &cert, &len);

	if (r)
		return shieldctl_fail(what, "%s: %s (give the X.509 certificate, PEM or DER, of the key loaded into the hosts' IMA keyring)",
				      file, strerror(-r));
	b64 = vms_b64_encode(cert, len);
	free(cert);
	if (!b64)
		return shieldctl_fail(what, "out of memory");
	req = json_pack("{s:s}", "certificate", b64);
	free(b64);
	if (req && desc)
		json_object_set_new(req, "description", json_string(desc));
	return admin_call(what, sock, "/v1/admin/tpm/ima-keys/add", req, resp);
}

/* Local: a reference host's boot event log -> a baseline file (JSON). */
static int baseline_capture(const char *log, const char *name, const char *cls,
			    const char *version, const char *out)
{
	const char *what = "hgs baseline capture";
	struct vms_tpm_eventlog ev = { 0 };
	struct vms_baseline b = { 0 };
	unsigned long ver = 1;
	uint8_t *buf;
	char *text, *end;
	size_t len;
	int r;

	if (!log || !name || !cls || !out)
		return shieldctl_fail(what, "needs --log BIOS_LOG --name NAME --class CLASS --out FILE");
	if (version) {
		errno = 0;
		ver = strtoul(version, &end, 10);
		if (errno || *end || !*version || !ver || ver > 0x7fffffff)
			return shieldctl_fail(what, "--version is a number from 1 to 2147483647");
	}
	r = vms_read_file(log, VMS_EVLOG_MAX_BYTES, &buf, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s", log, strerror(-r));
	r = vms_tpm_eventlog_parse(buf, len, &ev);
	free(buf);
	if (r)
		return shieldctl_fail(what, "%s is not a TCG crypto-agile event log with a SHA-256 bank (%s): give the reference host's /sys/kernel/security/tpm0/binary_bios_measurements",
				      log, strerror(-r));
	r = vms_baseline_capture(&ev, name, cls, (uint32_t)ver, &b);
	vms_tpm_eventlog_free(&ev);
	if (r)
		return shieldctl_fail(what, r == -EINVAL ?
				      "--name and --class must match [A-Za-z0-9._-]{1,64}" :
				      "cannot capture: %s", strerror(-r));
	text = vms_baseline_to_json(&b);
	if (!text) {
		vms_baseline_free(&b);
		return shieldctl_fail(what, "out of memory");
	}
	r = vms_write_file_atomic(out, text, strlen(text), vms_public_file_mode(), 0);
	free(text);
	if (r) {
		vms_baseline_free(&b);
		return shieldctl_fail(what, "cannot write %s: %s", out, strerror(-r));
	}
	printf("baseline %s version %u (class %s): %zu boot events of PCRs 0-7 written to %s\n",
	       b.name, b.version, b.hw_class, b.n, out);
	vms_baseline_free(&b);
	return 0;
}

/* `sha256sum` output ("HEX  PATH" per line) -> {kind, entries}. */
static json_t *digests_from_sha256sum(const char *what, const char *kind, const char *file)
{
	json_t *entries = json_array();
	char line[4200];
	unsigned long n = 0;
	FILE *f = fopen(file, "r");

	if (!f || !entries) {
		json_decref(entries);
		if (f)
			fclose(f);
		shieldctl_fail(what, "%s: %s", file, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *path;
		uint8_t raw[32];
		char hex[65];

		n++;
		line[strcspn(line, "\n")] = 0;
		if (!*p || *p == '#')
			continue;
		path = p + strcspn(p, " \t");
		if (*path)
			*path++ = 0;
		path += strspn(path, " \t*");
		if (vms_hex_decode_exact(p, raw, 32)) {
			fclose(f);
			json_decref(entries);
			shieldctl_fail(what, "%s:%lu: not a SHA-256 digest (use sha256sum output)",
				       file, n);
			return NULL;
		}
		vms_hex_encode(raw, 32, hex);
		json_array_append_new(entries, json_pack("{s:s, s:s}", "digest", hex,
							 "description", path));
	}
	fclose(f);
	if (!json_array_size(entries)) {
		json_decref(entries);
		shieldctl_fail(what, "%s holds no digest", file);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "kind", kind, "entries", entries);
}

int shieldctl_hgs_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[] = {
		{ "socket", 1, 0 }, { "json", 0, 0 }, { "key", 1, 0 }, { "file", 1, 0 },
		{ "description", 1, 0 }, { "help", 0, 0 }, { "url", 1, 0 }, { "ca", 1, 0 },
		{ "cert", 1, 0 }, { "tls-key", 1, 0 }, { "ek", 1, 0 }, { "class", 1, 0 },
		{ "log", 1, 0 }, { "name", 1, 0 }, { "version", 1, 0 }, { "out", 1, 0 },
		{ "kind", 1, 0 }, { NULL, 0, 0 },
	};
	enum { O_SOCKET, O_JSON, O_KEY, O_FILE, O_DESC, O_HELP, O_URL, O_CA, O_CERT, O_TLSKEY,
	       O_EK, O_CLASS, O_LOG, O_NAME, O_VERSION, O_OUT, O_KIND };
	const char *v[18], *pos[4] = { 0 }, *sock, *what = "hgs";
	char path[128], hex[65];
	json_t *resp = NULL, *req = NULL;
	int np, i, r;

	/* positional words: up to 4 */
	for (np = 0, i = 1; i < argc; i++)
		if (strncmp(argv[i], "--", 2))
			np++;
		else if (strcmp(argv[i], "--json") && strcmp(argv[i], "--help"))
			i++;
	if (np > 4)
		return shieldctl_fail(what, "too many arguments; see 'shieldctl hgs --help'");
	if (shieldctl_opts(what, argc - 1, argv + 1, opts, v, pos, np))
		return 1;
	if (v[O_HELP] || np == 0) {
		hgs_usage(np ? stdout : (v[O_HELP] ? stdout : stderr));
		return v[O_HELP] ? 0 : 1;
	}
	https_url = v[O_URL];
	https_ca = v[O_CA];
	https_cert = v[O_CERT];
	https_key = v[O_TLSKEY];
	sock = v[O_SOCKET] ? v[O_SOCKET] : getenv("HGSD_ADMIN_SOCKET");
	if (!sock)
		sock = DEFAULT_SOCKET;

	if (np == 2 && !strcmp(pos[1], "list") && list_cmd_of(pos[0]))
		return list_command(list_cmd_of(pos[0]), sock, !!v[O_JSON]);
#define IS(a, b) is_cmd(pos, a, b)
	if (IS("status", NULL) && np == 1) {
		r = admin_call("hgs status", sock, "/v1/admin/status", NULL, &resp);
	} else if (IS("host", "add") && np == 3 && v[O_EK]) {
		r = host_add_ek(sock, pos[2], v[O_EK], v[O_CLASS], &resp);
		if (!r && !v[O_JSON]) {
			printf("host %s registered by its EK (sha256 %s, hardware class %s)%s\n",
			       pos[2], json_string_value(json_object_get(resp, "ek_fpr")),
			       json_string_value(json_object_get(resp, "hardware_class")),
			       json_is_true(json_object_get(resp, "unchanged")) ? " - already was" : "");
			json_decref(resp);
			return 0;
		}
	} else if (IS("baseline", "capture") && np == 2) {
		return baseline_capture(v[O_LOG], v[O_NAME], v[O_CLASS], v[O_VERSION], v[O_OUT]);
	} else if (IS("baseline", "add") && np == 3) {
		uint8_t *text;
		size_t len;

		r = vms_read_file(pos[2], VMS_EVLOG_MAX_BYTES, &text, &len);
		if (r)
			return shieldctl_fail("hgs baseline add", "%s: %s", pos[2], strerror(-r));
		req = json_pack("{s:s%}", "baseline", (char *)text, len);
		free(text);
		r = admin_call("hgs baseline add", sock, "/v1/admin/baselines/add", req, &resp);
		if (!r && !v[O_JSON]) {
			printf("baseline %s version %lld (class %s, %lld events) %s\n",
			       json_string_value(json_object_get(resp, "name")),
			       (long long)json_integer_value(json_object_get(resp, "version")),
			       json_string_value(json_object_get(resp, "hardware_class")),
			       (long long)json_integer_value(json_object_get(resp, "events")),
			       json_is_true(json_object_get(resp, "unchanged")) ? "already there" : "added");
			json_decref(resp);
			return 0;
		}
	} else if (IS("baseline", "show") && np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/baselines/show/%.64s", pos[2]);
		r = admin_call("hgs baseline show", sock, path, NULL, &resp);
	} else if ((IS("baseline", "enable") || IS("baseline", "disable")) && np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/baselines/%s", pos[1]);
		r = admin_call("hgs baseline", sock, path, json_pack("{s:s}", "name", pos[2]), &resp);
		if (!r && !v[O_JSON]) {
			printf("baseline %s: %sd\n", pos[2], pos[1]);
			json_decref(resp);
			return 0;
		}
	} else if (IS("tpm-digest", "add") && np == 3) {
		if (!v[O_KIND])
			return shieldctl_fail("hgs tpm-digest add", "missing --kind module|allow");
		req = digests_from_sha256sum("hgs tpm-digest add", v[O_KIND], pos[2]);
		if (!req)
			return 1;
		r = admin_call("hgs tpm-digest add", sock, "/v1/admin/tpm/digests/add", req, &resp);
	} else if (IS("tpm-digest", "remove") && np == 3) {
		if (!v[O_KIND])
			return shieldctl_fail("hgs tpm-digest remove", "missing --kind module|allow");
		r = admin_call("hgs tpm-digest remove", sock, "/v1/admin/tpm/digests/remove",
			       json_pack("{s:s, s:s}", "kind", v[O_KIND], "digest", pos[2]), &resp);
	} else if (IS("ima-key", "add") && np == 3) {
		r = ima_key_add(sock, pos[2], v[O_DESC], &resp);
		if (!r && !v[O_JSON]) {
			printf("IMA key approved: sha256 %s keyid %s (%s, %s)\n",
			       json_string_value(json_object_get(resp, "sha256")),
			       json_string_value(json_object_get(resp, "keyid")),
			       json_string_value(json_object_get(resp, "key_type")),
			       json_string_value(json_object_get(resp, "subject")));
			json_decref(resp);
			return 0;
		}
	} else if (IS("ima-key", "remove") && np == 3) {
		char fpr[128];

		fingerprint_plain(pos[2], fpr, sizeof(fpr));
		r = admin_call("hgs ima-key remove", sock, "/v1/admin/tpm/ima-keys/remove",
			       json_pack("{s:s}", "sha256", fpr), &resp);
		if (!r && !v[O_JSON]) {
			printf("IMA key %s removed: hosts that still load it fail PolicyImaKeyNotApproved\n",
			       json_string_value(json_object_get(resp, "sha256")));
			json_decref(resp);
			return 0;
		}
	} else if (IS("ima-key", NULL)) {
		return shieldctl_fail("hgs ima-key", "use 'ima-key add CERT [--description TEXT]', 'ima-key list' or 'ima-key remove SHA256'");
	} else if (IS("host", "add") && np == 3) {
		uint8_t *pem;
		size_t len;

		if (!v[O_KEY])
			return shieldctl_fail("hgs host add", "missing --key PUBKEY.pem");
		r = vms_read_file(v[O_KEY], 16384, &pem, &len);
		if (r)
			return shieldctl_fail("hgs host add", "%s: %s", v[O_KEY], strerror(-r));
		req = json_pack("{s:s, s:s%}", "name", pos[2], "public_key", (char *)pem, len);
		free(pem);
		r = admin_call("hgs host add", sock, "/v1/admin/hosts/add", req, &resp);
		if (!r && !v[O_JSON]) {
			printf("host %s registered (%s, key sha256 %s)%s\n", pos[2],
			       json_string_value(json_object_get(resp, "key_alg")),
			       json_string_value(json_object_get(resp, "key_fpr")),
			       json_is_true(json_object_get(resp, "unchanged")) ? " - already was" : "");
			json_decref(resp);
			return 0;
		}
	} else if ((IS("host", "disable") || IS("host", "enable") || IS("host", "remove")) &&
		   np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/hosts/%s", pos[1]);
		r = admin_call("hgs host", sock, path, json_pack("{s:s}", "name", pos[2]), &resp);
		if (!r && !v[O_JSON]) {
			printf("host %s: %sd\n", pos[2], pos[1]);
			json_decref(resp);
			return 0;
		}
	} else if (IS("policy", "show") && np == 2) {
		r = admin_call("hgs policy show", sock, "/v1/admin/policy", NULL, &resp);
	} else if (IS("policy", "set") && np == 4) {
		r = admin_call("hgs policy set", sock, "/v1/admin/policy/set",
			       json_pack("{s:s, s:s}", "name", pos[2], "value", pos[3]), &resp);
	} else if (IS("worker", "add") && (np == 3 || (np == 2 && v[O_FILE]))) {
		if (v[O_FILE]) {
			r = file_digest(v[O_FILE], hex);
			if (r)
				return shieldctl_fail("hgs worker add", "%s: %s", v[O_FILE], strerror(-r));
		}
		r = admin_call("hgs worker add", sock, "/v1/admin/workers/add",
			       json_pack("{s:s, s:s}", "digest", v[O_FILE] ? hex : pos[2],
					 "description", v[O_DESC] ? v[O_DESC] :
					 (v[O_FILE] ? v[O_FILE] : "")), &resp);
	} else if ((IS("worker", "enable") || IS("worker", "disable")) && np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/workers/%s", pos[1]);
		r = admin_call("hgs worker", sock, path, json_pack("{s:s}", "digest", pos[2]), &resp);
	} else if (IS("worker", "history") && (np == 2 || np == 3)) {
		char *end = NULL;
		long want = np == 3 ? strtol(pos[2], &end, 10) : -1;

		if (np == 3 && (!*pos[2] || *end || want < 0))
			return shieldctl_fail("hgs worker history", "VERSION must be a number");
		r = admin_call("hgs worker history", sock, "/v1/admin/workers/history", NULL, &resp);
		if (!r && (np == 3 || !v[O_JSON])) {
			json_t *rows = json_object_get(resp, "history"), *row, *d;
			size_t k, j;
			int found = 0;

			if (np == 2)
				printf("version\tat\twho\tchange\tdigests\n");
			json_array_foreach(rows, k, row) {
				long ver = (long)json_integer_value(json_object_get(row, "version"));

				if (np == 3 && ver != want)
					continue;
				found = 1;
				if (np == 3 && v[O_JSON]) {
					print_json(row);
					break;
				}
				if (np == 3) {
					json_array_foreach(json_object_get(row, "digests"), j, d)
						printf("%s\n", json_string_value(d));
					break;
				}
				printf("%ld\t%lld\t%s\t%s\t%zu\n", ver,
				       (long long)json_integer_value(json_object_get(row, "at")),
				       json_string_value(json_object_get(row, "who")),
				       json_string_value(json_object_get(row, "change")),
				       json_array_size(json_object_get(row, "digests")));
			}
			json_decref(resp);
			if (np == 3 && !found)
				return shieldctl_fail("hgs worker history",
						      "no worker policy version %ld", want);
			return 0;
		}
	} else if ((IS("admin-cert", "revoke") || IS("admin-cert", "allow")) && np == 3) {
		char fpr[128];

		fingerprint_plain(pos[2], fpr, sizeof(fpr));
		snprintf(path, sizeof(path), "/v1/admin/admin-certs/%s", pos[1]);
		r = admin_call("hgs admin-cert", sock, path, json_pack("{s:s}", "sha256", fpr),
			       &resp);
		if (!r && !v[O_JSON]) {
			printf("admin certificate %s: %s%s\n",
			       json_string_value(json_object_get(resp, "sha256")),
			       json_string_value(json_object_get(resp, "state")),
			       json_is_true(json_object_get(resp, "unchanged")) ? " - already was" : "");
			json_decref(resp);
			return 0;
		}
	} else if ((IS("guardian", "disable") || IS("guardian", "enable") ||
		    IS("guardian", "remove")) && np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/guardians/%s", pos[1]);
		r = admin_call("hgs guardian", sock, path, json_pack("{s:s}", "name", pos[2]), &resp);
		if (!r && !v[O_JSON]) {
			const char *kf = json_string_value(json_object_get(resp, "key_file"));

			printf("guardian %s: %s%s%s%s\n", pos[2],
			       IS("guardian", "remove") ? "removed" :
			       IS("guardian", "enable") ? "enabled" : "disabled",
			       json_is_true(json_object_get(resp, "unchanged")) ? " - already was" : "",
			       kf && *kf ? "; key file kept as " : "", kf && *kf ? kf : "");
			json_decref(resp);
			return 0;
		}
	} else if ((IS("guardian", "add") || IS("guardian", "primary")) && np == 3) {
		snprintf(path, sizeof(path), "/v1/admin/guardians/%s", pos[1]);
		r = admin_call("hgs guardian", sock, path, json_pack("{s:s}", "name", pos[2]), &resp);
	} else if (IS("audit", NULL) && np == 1) {
		r = admin_call("hgs audit", sock, "/v1/admin/audit", NULL, &resp);
	} else if (IS("events", NULL) && np == 1) {
		r = admin_call("hgs events", sock, "/v1/admin/events", NULL, &resp);
	} else {
		hgs_usage(stderr);
		return 1;
	}
#undef IS
	if (r)
		return r;
	print_json(resp);
	json_decref(resp);
	return 0;
}
