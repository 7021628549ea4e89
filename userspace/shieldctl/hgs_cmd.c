// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_cmd.c - `shieldctl hgs ...`: the HGS admin CLI, over hgsd's admin
 * socket (root, or a uid in hgsd.conf's admin_uids) or over HTTPS with an
 * admin client certificate. One function per subcommand; hgs_cmds[] at
 * the end is both the dispatch and the usage text.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "shieldctl.h"
#include "vms_audit_chain.h"
#include "vms_b64.h"
#include "vms_cleanup_json.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_hgs_client.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"
#include "worker_image.h"

#define DEFAULT_SOCKET "/var/lib/hgsd/admin.sock"
#define MAX_WORDS 4	/* positional words: "policy set NAME VALUE" */

/* The options of every hgs subcommand (opts[] in shieldctl_hgs_main). */
enum {
	O_SOCKET, O_JSON, O_KEY, O_FILE, O_DESC, O_HELP, O_URL, O_CA, O_CERT,
	O_TLSKEY, O_EK, O_CLASS, O_LOG, O_NAME, O_VERSION, O_OUT, O_KIND,
	O_TYPE, O_PROGRAM, N_OPTS
};

/* `platform add --program D` may be given this many times. */
#define MAX_PROGRAMS 16

/* Where the admin API is: hgsd's admin socket, or (--url) its HTTPS. */
struct hgs_conn {
	const char *sock;
	const char *url, *ca, *cert, *key;
	const char *programs[MAX_PROGRAMS];	/* every --program, in order */
	unsigned int n_programs;
};

static void hgs_usage(FILE *f);

/* Wrong words for a subcommand: the usage, exit code 2. */
static int hgs_usage_error(void)
{
	return shieldctl_usage_exit("hgs", hgs_usage);
}

/* A client of the admin API; prints the failure and returns 1, or 0. */
static int admin_open(const char *what, const struct hgs_conn *h,
		      struct vms_hgs_client **cl)
{
	int r;

	if (!h->url) {
		r = vms_hgs_client_open(cl, NULL, NULL, h->sock);
		if (r)
			return shieldctl_fail(what, "cannot set up a client for %s: %s",
					      h->sock, strerror(-r));
		return 0;
	}
	r = vms_hgs_client_open(cl, h->url, h->ca, NULL);
	if (r)
		return shieldctl_fail(what, "cannot set up a client for %s: %s",
				      h->url, strerror(-r));
	if (!h->cert)
		return 0;
	r = vms_hgs_client_use_cert(*cl, h->cert, h->key ? h->key : h->cert);
	if (r)
		return shieldctl_fail(what, "cannot use --cert %s: %s", h->cert,
				      strerror(-r));
	return 0;
}

/*
 * POST @req (NULL: GET) to the admin API at @path; takes @req. Prints the
 * failure and returns 1, or 0 with the answer in *@resp.
 */
static int admin_call(const struct shieldctl_call *c, const char *what,
		      const char *path, json_t *req, json_t **resp)
{
	_cleanup_(vms_hgs_client_closep) struct vms_hgs_client *cl = NULL;
	_cleanup_(vms_json_decrefp) json_t *body = req;
	_cleanup_(vms_json_decrefp) json_t *ans = NULL;
	const struct hgs_conn *h = c->family;
	const char *detail;
	long http = 0;
	int r;

	*resp = NULL;
	if (admin_open(what, h, &cl))
		return 1;
	r = vms_hgs_call(cl, path, body, &http, &ans);
	if (r == -EFBIG)
		return shieldctl_fail(what, "hgsd at %s: %s", h->url ? h->url : h->sock,
				      vms_hgs_client_error(cl));
	if (r)
		return shieldctl_unreachable(what, "cannot reach hgsd at %s: %s (is it running? are you an HGS admin?)",
				      h->url ? h->url : h->sock, vms_hgs_client_error(cl));
	if (http != 200) {
		detail = json_string_value(json_object_get(ans, "detail"));
		return shieldctl_fail(what, "%s: %s%s%s", vms_hgs_substatus(ans),
				      json_string_value(json_object_get(ans, "message")),
				      detail ? " - " : "", detail ? detail : "");
	}
	*resp = VMS_TAKE_PTR(ans);
	return 0;
}

static void print_json(json_t *j)
{
	_cleanup_(vms_freep) char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
}

/* What a command prints unless --json; @resp is the admin API's answer. */
typedef void (*hgs_printer)(const struct shieldctl_call *c, json_t *resp);

/* Call the admin API; print the answer with @human, or as JSON. */
static int admin_show(const struct shieldctl_call *c, const char *what,
		      const char *path, json_t *req, hgs_printer human)
{
	_cleanup_(vms_json_decrefp) json_t *resp = NULL;

	if (admin_call(c, what, path, req, &resp))
		return 1;
	if (human && !c->v[O_JSON])
		human(c, resp);
	else
		print_json(resp);
	return 0;
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *already(json_t *resp, const char *text)
{
	return json_is_true(json_object_get(resp, "unchanged")) ? text : "";
}

/* "/v1/admin/FAMILY/VERB" for the verb the command line gave. */
static const char *verb_path(const struct shieldctl_call *c, const char *family,
			     char *buf, size_t len)
{
	snprintf(buf, len, "/v1/admin/%s/%s", family, c->words[1]);
	return buf;
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

/* ---- FAMILY list ------------------------------------------------------ */

/* The admin path, the array its answer holds and the columns shown. */
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
	{ "platform", "/v1/admin/platforms", "platforms",
	  { "name", "type", "enabled", "platform_id", "programs", NULL } },
};

static const struct list_cmd *list_cmd_of(const char *family)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(list_cmds); i++)
		if (!strcmp(list_cmds[i].family, family))
			return &list_cmds[i];
	return NULL;
}

static void print_rows(const struct shieldctl_call *c, json_t *resp)
{
	const struct list_cmd *l = list_cmd_of(c->words[0]);
	json_t *row;
	size_t i;
	int k;

	for (k = 0; l->cols[k]; k++)
		printf("%s%s", k ? "\t" : "", l->cols[k]);
	printf("\n");
	json_array_foreach(json_object_get(resp, l->array), i, row) {
		for (k = 0; l->cols[k]; k++) {
			json_t *v = json_object_get(row, l->cols[k]);

			if (json_is_string(v))
				printf("%s%s", k ? "\t" : "", json_string_value(v));
			else
				printf("%s%lld", k ? "\t" : "", (long long)json_integer_value(v));
		}
		printf("\n");
	}
}

static int hgs_list(const struct shieldctl_call *c)
{
	const struct list_cmd *l = list_cmd_of(c->words[0]);

	assert(l);	/* every "FAMILY list" line has its list_cmds[] entry */
	return admin_show(c, c->what, l->path, NULL, print_rows);
}

/* ---- status, audit, events, policy --------------------------------------- */

static int hgs_status(const struct shieldctl_call *c)
{
	return admin_show(c, "hgs status", "/v1/admin/status", NULL, NULL);
}

static int hgs_audit(const struct shieldctl_call *c)
{
	return admin_show(c, "hgs audit", "/v1/admin/audit", NULL, NULL);
}

/*
 * One page of the chain after @since: each row's hash recomputed and
 * linked to the one before (@prev: its hash, "" before the chain began).
 * 0 with the last id in *@since (unchanged: no more rows), or 1 said why.
 */
static int verify_page(const struct shieldctl_call *c, long long *since, char *prev,
		       unsigned long *n, unsigned long *before)
{
	_cleanup_(vms_json_decrefp) json_t *resp = NULL;
	const char *what = "hgs audit verify";
	char path[96], hash[VMS_AUDIT_HASH_HEX];
	json_t *row;
	size_t i;

	snprintf(path, sizeof(path), "/v1/admin/audit?since=%lld&limit=1000", *since);
	if (admin_call(c, what, path, NULL, &resp))
		return 1;
	json_array_foreach(json_object_get(resp, "audit"), i, row) {
		long long id = json_integer_value(json_object_get(row, "id"));
		struct vms_audit_row r = {
			.at = json_integer_value(json_object_get(row, "at")),
			.node = str_of(row, "node"), .who = str_of(row, "who"),
			.action = str_of(row, "action"), .detail = str_of(row, "detail"),
			.result = str_of(row, "result"), .prev_hash = str_of(row, "prev_hash"),
		};
		const char *have = str_of(row, "hash");

		if (!have || !r.prev_hash)
			return shieldctl_fail(what, "row %lld: no hash fields (an hgsd before schema 9?)", id);
		if (!*have) {	/* written before the chain began (schema < 9) */
			if (*n)
				return shieldctl_fail(what, "row %lld: no hash after the chain began: inserted or edited", id);
			(*before)++;
			*since = id;
			continue;
		}
		if (*n && strcmp(r.prev_hash, prev))
			return shieldctl_fail(what, "row %lld: its previous-row hash does not match row %lld's: a row was removed, inserted or edited there",
					      id, *since);
		if (vms_audit_row_hash(&r, hash))
			return shieldctl_fail(what, "row %lld: cannot hash it", id);
		if (strcmp(hash, have))
			return shieldctl_fail(what, "row %lld: its contents do not match its hash: the row was edited", id);
		snprintf(prev, VMS_AUDIT_HASH_HEX, "%s", have);
		(*n)++;
		*since = id;
	}
	return 0;
}

static int hgs_audit_verify(const struct shieldctl_call *c)
{
	char prev[VMS_AUDIT_HASH_HEX] = "";
	unsigned long n = 0, before = 0;
	long long since = 0, last;

	do {
		last = since;
		if (verify_page(c, &since, prev, &n, &before))
			return 1;
	} while (since != last);
	printf("audit chain: %lu rows verified, up to row %lld%s\n", n, since,
	       before ? " (older rows, from before the chain, carry no hash)" : "");
	return 0;
}

/* FILE: the store's state as JSON (0600), online and consistent. */
static int hgs_backup(const struct shieldctl_call *c)
{
	_cleanup_(vms_json_decrefp) json_t *resp = NULL;
	_cleanup_(vms_freep) char *text = NULL;
	const char *what = "hgs backup";
	json_t *b;
	int r;

	if (admin_call(c, what, "/v1/admin/backup", NULL, &resp))
		return 1;
	b = json_object_get(resp, "backup");
	text = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text)
		return shieldctl_fail(what, "hgsd's answer holds no backup");
	r = vms_write_file_atomic(c->args[0], text, strlen(text), 0600, VMS_WRITE_NOCLOBBER);
	if (r)
		return shieldctl_fail(what, "cannot write %s: %s", c->args[0], strerror(-r));
	printf("backup of schema %lld written to %s (%zu bytes)\n",
	       (long long)json_integer_value(json_object_get(b, "schema_version")), c->args[0],
	       strlen(text));
	return 0;
}

static void print_restored(const struct shieldctl_call *c, json_t *resp)
{
	printf("restored %s: %lld rows added; counters kept at their highest, revocations kept, hosts the store did not hold come back disabled\n",
	       c->args[0], (long long)json_integer_value(json_object_get(resp, "rows_added")));
}

/* FILE: merged into the store (hgsd's rules: nothing goes back). */
static int hgs_restore(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *text = NULL;
	const char *what = "hgs restore";
	json_error_t err;
	json_t *b;
	size_t len;
	int r;

	r = vms_read_file(c->args[0], 256 << 20, &text, &len);
	if (r)
		return shieldctl_fail(what, "cannot read %s: %s", c->args[0], strerror(-r));
	b = json_loadb((const char *)text, len, 0, &err);
	if (!b)
		return shieldctl_fail(what, "%s is not JSON (line %d: %s)", c->args[0], err.line,
				      err.text);
	return admin_show(c, what, "/v1/admin/restore", json_pack("{s:o}", "backup", b),
			  print_restored);
}

static int hgs_events(const struct shieldctl_call *c)
{
	return admin_show(c, "hgs events", "/v1/admin/events", NULL, NULL);
}

static int hgs_policy_show(const struct shieldctl_call *c)
{
	return admin_show(c, "hgs policy show", "/v1/admin/policy", NULL, NULL);
}

static int hgs_policy_set(const struct shieldctl_call *c)
{
	return admin_show(c, "hgs policy set", "/v1/admin/policy/set",
			  json_pack("{s:s, s:s}", "name", c->args[0], "value", c->args[1]),
			  NULL);
}

/* ---- host ------------------------------------------------------------------ */

static void print_host_added_ek(const struct shieldctl_call *c, json_t *resp)
{
	printf("host %s registered by its EK (sha256 %s, hardware class %s)%s\n",
	       c->args[0], str_of(resp, "ek_fpr"), str_of(resp, "hardware_class"),
	       already(resp, " - already was"));
}

static void print_host_added_key(const struct shieldctl_call *c, json_t *resp)
{
	printf("host %s registered (%s, key sha256 %s)%s\n", c->args[0],
	       str_of(resp, "key_alg"), str_of(resp, "key_fpr"),
	       already(resp, " - already was"));
}

/* TPM mode: the host's EK public key (the file `shieldctl tpm ek` writes). */
static int host_add_ek(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *ek = NULL;
	_cleanup_(vms_freep) char *b64 = NULL;
	const char *what = "hgs host add", *ekfile = c->v[O_EK];
	json_t *req;
	size_t len;
	int r;

	r = vms_read_file(ekfile, 4096, &ek, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s", ekfile, strerror(-r));
	b64 = vms_b64_encode(ek, len);
	req = json_pack("{s:s, s:s}", "name", c->args[0], "ek_public", b64 ? b64 : "");
	if (req && c->v[O_CLASS])
		json_object_set_new(req, "hardware_class", json_string(c->v[O_CLASS]));
	return admin_show(c, what, "/v1/admin/hosts/add", req, print_host_added_ek);
}

/* Host-key mode: the host's public key (PEM). */
static int host_add_key(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *pem = NULL;
	const char *what = "hgs host add", *keyfile = c->v[O_KEY];
	size_t len;
	int r;

	if (!keyfile)
		return shieldctl_usage_error(what, "missing --key PUBKEY.pem");
	r = vms_read_file(keyfile, 16384, &pem, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s", keyfile, strerror(-r));
	return admin_show(c, what, "/v1/admin/hosts/add",
			  json_pack("{s:s, s:s%}", "name", c->args[0], "public_key",
				    (char *)pem, len),
			  print_host_added_key);
}

static int hgs_host_add(const struct shieldctl_call *c)
{
	return c->v[O_EK] ? host_add_ek(c) : host_add_key(c);
}

static void print_host_state(const struct shieldctl_call *c, json_t *resp)
{
	(void)resp;
	printf("host %s: %sd\n", c->args[0], c->words[1]);
}

static int hgs_host_state(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs host", verb_path(c, "hosts", path, sizeof(path)),
			  json_pack("{s:s}", "name", c->args[0]), print_host_state);
}

/* ---- baseline --------------------------------------------------------------- */

/* Local: a reference host's boot event log -> a baseline file (JSON). */
static int hgs_baseline_capture(const struct shieldctl_call *c)
{
	_cleanup_(vms_tpm_eventlog_free) struct vms_tpm_eventlog ev = { 0 };
	_cleanup_(vms_baseline_free) struct vms_baseline b = { 0 };
	_cleanup_(vms_freep) uint8_t *buf = NULL;
	_cleanup_(vms_freep) char *text = NULL;
	const char *what = "hgs baseline capture";
	const char *log = c->v[O_LOG], *name = c->v[O_NAME], *cls = c->v[O_CLASS];
	const char *version = c->v[O_VERSION], *out = c->v[O_OUT];
	unsigned long ver = 1;
	char *end;
	size_t len;
	int r;

	if (!log || !name || !cls || !out)
		return shieldctl_usage_error(what, "needs --log BIOS_LOG --name NAME --class CLASS --out FILE");
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
	if (r)
		return shieldctl_fail(what, "%s is not a TCG crypto-agile event log with a SHA-256 bank (%s): give the reference host's /sys/kernel/security/tpm0/binary_bios_measurements",
				      log, strerror(-r));
	r = vms_baseline_capture(&ev, name, cls, (uint32_t)ver, &b);
	if (r == -EINVAL)
		return shieldctl_fail(what, "--name and --class must match [A-Za-z0-9._-]{1,64}");
	if (r)
		return shieldctl_fail(what, "cannot capture: %s", strerror(-r));
	text = vms_baseline_to_json(&b);
	if (!text)
		return shieldctl_fail(what, "out of memory");
	r = vms_write_file_atomic(out, text, strlen(text), vms_public_file_mode(), 0);
	if (r)
		return shieldctl_fail(what, "cannot write %s: %s", out, strerror(-r));
	printf("baseline %s version %u (class %s): %zu boot events of PCRs 0-7 written to %s\n",
	       b.name, b.version, b.hw_class, b.n, out);
	return 0;
}

static void print_baseline_added(const struct shieldctl_call *c, json_t *resp)
{
	(void)c;
	printf("baseline %s version %lld (class %s, %lld events) %s\n",
	       str_of(resp, "name"),
	       (long long)json_integer_value(json_object_get(resp, "version")),
	       str_of(resp, "hardware_class"),
	       (long long)json_integer_value(json_object_get(resp, "events")),
	       json_is_true(json_object_get(resp, "unchanged")) ? "already there" : "added");
}

static int hgs_baseline_add(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *text = NULL;
	const char *what = "hgs baseline add", *file = c->args[0];
	size_t len;
	int r;

	r = vms_read_file(file, VMS_EVLOG_MAX_BYTES, &text, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s", file, strerror(-r));
	return admin_show(c, what, "/v1/admin/baselines/add",
			  json_pack("{s:s%}", "baseline", (char *)text, len),
			  print_baseline_added);
}

static int hgs_baseline_show(const struct shieldctl_call *c)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/admin/baselines/show/%.64s", c->args[0]);
	return admin_show(c, "hgs baseline show", path, NULL, NULL);
}

static void print_baseline_state(const struct shieldctl_call *c, json_t *resp)
{
	(void)resp;
	printf("baseline %s: %sd\n", c->args[0], c->words[1]);
}

static int hgs_baseline_state(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs baseline", verb_path(c, "baselines", path, sizeof(path)),
			  json_pack("{s:s}", "name", c->args[0]), print_baseline_state);
}

/* ---- tpm-digest ------------------------------------------------------------- */

/* One line of `sha256sum` output ("HEX  PATH") appended to @entries. */
static int digest_line(char *line, json_t *entries)
{
	char *p = line + strspn(line, " \t"), *path;
	uint8_t raw[32];
	char hex[65];

	line[strcspn(line, "\n")] = 0;
	if (!*p || *p == '#')
		return 0;
	path = p + strcspn(p, " \t");
	if (*path)
		*path++ = 0;
	path += strspn(path, " \t*");
	if (vms_hex_decode_exact(p, raw, 32))
		return -EINVAL;
	vms_hex_encode(raw, 32, hex);
	json_array_append_new(entries, json_pack("{s:s, s:s}", "digest", hex,
						 "description", path));
	return 0;
}

/* `sha256sum` output -> {kind, entries}; NULL after printing why. */
static json_t *digests_from_sha256sum(const char *what, const char *kind, const char *file)
{
	_cleanup_(vms_fclosep) FILE *f = fopen(file, "r");
	_cleanup_(vms_json_decrefp) json_t *entries = json_array();
	unsigned long n = 0;
	char line[4200];

	if (!f || !entries) {
		shieldctl_fail(what, "%s: %s", file, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (digest_line(line, entries)) {
			shieldctl_fail(what, "%s:%lu: not a SHA-256 digest (use sha256sum output)",
				       file, n);
			return NULL;
		}
	}
	if (!json_array_size(entries)) {
		shieldctl_fail(what, "%s holds no digest", file);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "kind", kind, "entries", VMS_TAKE_PTR(entries));
}

static int hgs_tpm_digest_add(const struct shieldctl_call *c)
{
	const char *what = "hgs tpm-digest add";
	json_t *req;

	if (!c->v[O_KIND])
		return shieldctl_usage_error(what, "missing --kind module|allow");
	req = digests_from_sha256sum(what, c->v[O_KIND], c->args[0]);
	if (!req)
		return 1;
	return admin_show(c, what, "/v1/admin/tpm/digests/add", req, NULL);
}

static int hgs_tpm_digest_remove(const struct shieldctl_call *c)
{
	const char *what = "hgs tpm-digest remove";

	if (!c->v[O_KIND])
		return shieldctl_usage_error(what, "missing --kind module|allow");
	return admin_show(c, what, "/v1/admin/tpm/digests/remove",
			  json_pack("{s:s, s:s}", "kind", c->v[O_KIND], "digest", c->args[0]),
			  NULL);
}

/* ---- ima-key ------------------------------------------------------------------ */

static void print_ima_key_added(const struct shieldctl_call *c, json_t *resp)
{
	(void)c;
	printf("IMA key approved: sha256 %s keyid %s (%s, %s)\n",
	       str_of(resp, "sha256"), str_of(resp, "keyid"),
	       str_of(resp, "key_type"), str_of(resp, "subject"));
}

/* An IMA signing key's certificate file (PEM or DER), sent as it is. */
static int hgs_ima_key_add(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *cert = NULL;
	_cleanup_(vms_freep) char *b64 = NULL;
	const char *what = "hgs ima-key add", *file = c->args[0];
	json_t *req;
	size_t len;
	int r;

	r = vms_read_file(file, 16384, &cert, &len);
	if (r)
		return shieldctl_fail(what, "%s: %s (give the X.509 certificate, PEM or DER, of the key loaded into the hosts' IMA keyring)",
				      file, strerror(-r));
	b64 = vms_b64_encode(cert, len);
	if (!b64)
		return shieldctl_fail(what, "out of memory");
	req = json_pack("{s:s}", "certificate", b64);
	if (req && c->v[O_DESC])
		json_object_set_new(req, "description", json_string(c->v[O_DESC]));
	return admin_show(c, what, "/v1/admin/tpm/ima-keys/add", req, print_ima_key_added);
}

static void print_ima_key_removed(const struct shieldctl_call *c, json_t *resp)
{
	(void)c;
	printf("IMA key %s removed: hosts that still load it fail PolicyImaKeyNotApproved\n",
	       str_of(resp, "sha256"));
}

static int hgs_ima_key_remove(const struct shieldctl_call *c)
{
	char fpr[128];

	fingerprint_plain(c->args[0], fpr, sizeof(fpr));
	return admin_show(c, "hgs ima-key remove", "/v1/admin/tpm/ima-keys/remove",
			  json_pack("{s:s}", "sha256", fpr), print_ima_key_removed);
}

/* ---- worker ------------------------------------------------------------------- */

/* SHA-256 of a file, in hex: what an approved worker digest is. */
static int file_digest(const char *path, char hex[65])
{
	_cleanup_(vms_freep) uint8_t *data = NULL;
	uint8_t md[32];
	size_t len;
	int r;

	r = vms_read_file(path, (size_t)1 << 31, &data, &len);
	if (r)
		return r;
	if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
		return -EIO;
	vms_hex_encode(md, 32, hex);
	return 0;
}

static int hgs_worker_add(const struct shieldctl_call *c)
{
	const char *what = "hgs worker add", *file = c->v[O_FILE];
	const char *desc = c->v[O_DESC];
	char hex[65];
	int r;

	if (!file && !c->nargs)	/* neither DIGEST nor --file */
		return hgs_usage_error();
	if (file) {
		r = file_digest(file, hex);
		if (r)
			return shieldctl_fail(what, "%s: %s", file, strerror(-r));
	}
	return admin_show(c, what, "/v1/admin/workers/add",
			  json_pack("{s:s, s:s}", "digest", file ? hex : c->args[0],
				    "description", desc ? desc : (file ? file : "")),
			  NULL);
}

/*
 * The digests to register for a worker program: its own, its ELF
 * interpreter's and every library the interpreter loads for it, as
 * sha256sum prints them ("DIGEST  PATH"); local, no hgsd call.
 */
static int hgs_worker_image(const struct shieldctl_call *c)
{
	_cleanup_free_ struct worker_image *img = calloc(1, sizeof(*img));
	const char *what = "hgs worker image";
	char hex[65];
	size_t i;
	int r;

	if (!img)
		return shieldctl_fail(what, "%s", strerror(ENOMEM));
	r = worker_image_resolve(c->args[0], img);
	if (r == -ENOEXEC)
		return shieldctl_fail(what, "%s: not a 64-bit ELF program its loader accepts",
				      c->args[0]);
	if (r)
		return shieldctl_fail(what, "%s: %s", c->args[0], strerror(-r));
	for (i = 0; i < img->n; i++) {
		r = file_digest(img->path[i], hex);
		if (r)
			return shieldctl_fail(what, "%s: %s", img->path[i], strerror(-r));
		printf("%s  %s\n", hex, img->path[i]);
	}
	return 0;
}

static int hgs_worker_state(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs worker", verb_path(c, "workers", path, sizeof(path)),
			  json_pack("{s:s}", "digest", c->args[0]), NULL);
}

/* Every worker policy version, one line each. */
static void print_history(json_t *rows)
{
	json_t *row;
	size_t k;

	printf("version\tat\twho\tchange\tdigests\n");
	json_array_foreach(rows, k, row)
		printf("%lld\t%lld\t%s\t%s\t%zu\n",
		       (long long)json_integer_value(json_object_get(row, "version")),
		       (long long)json_integer_value(json_object_get(row, "at")),
		       str_of(row, "who"), str_of(row, "change"),
		       json_array_size(json_object_get(row, "digests")));
}

/* One version: its digests, one per line (--json: the whole entry). */
static int print_history_version(const struct shieldctl_call *c, json_t *rows, long want)
{
	json_t *row, *d;
	size_t k, j;

	json_array_foreach(rows, k, row) {
		if ((long)json_integer_value(json_object_get(row, "version")) != want)
			continue;
		if (c->v[O_JSON]) {
			print_json(row);
			return 0;
		}
		json_array_foreach(json_object_get(row, "digests"), j, d)
			printf("%s\n", json_string_value(d));
		return 0;
	}
	return shieldctl_fail("hgs worker history", "no worker policy version %ld", want);
}

static int hgs_worker_history(const struct shieldctl_call *c)
{
	_cleanup_(vms_json_decrefp) json_t *resp = NULL;
	const char *what = "hgs worker history";
	char *end = NULL;
	long want = -1;

	if (c->nargs) {
		want = strtol(c->args[0], &end, 10);
		if (!*c->args[0] || *end || want < 0)
			return shieldctl_fail(what, "VERSION must be a number");
	}
	if (admin_call(c, what, "/v1/admin/workers/history", NULL, &resp))
		return 1;
	if (c->nargs)
		return print_history_version(c, json_object_get(resp, "history"), want);
	if (c->v[O_JSON])
		print_json(resp);
	else
		print_history(json_object_get(resp, "history"));
	return 0;
}

/* ---- admin-cert, guardian ------------------------------------------------------ */

static void print_admin_cert(const struct shieldctl_call *c, json_t *resp)
{
	(void)c;
	printf("admin certificate %s: %s%s\n", str_of(resp, "sha256"),
	       str_of(resp, "state"), already(resp, " - already was"));
}

static int hgs_admin_cert_state(const struct shieldctl_call *c)
{
	char path[128], fpr[128];

	fingerprint_plain(c->args[0], fpr, sizeof(fpr));
	return admin_show(c, "hgs admin-cert", verb_path(c, "admin-certs", path, sizeof(path)),
			  json_pack("{s:s}", "sha256", fpr), print_admin_cert);
}

static void print_guardian_state(const struct shieldctl_call *c, json_t *resp)
{
	const char *kf = str_of(resp, "key_file");

	printf("guardian %s: %sd%s%s%s\n", c->args[0], c->words[1],
	       already(resp, " - already was"),
	       kf && *kf ? "; key file kept as " : "", kf && *kf ? kf : "");
}

/* disable, enable, remove: says what became of the guardian. */
static void print_admin_cert_role(const struct shieldctl_call *c, json_t *resp)
{
	(void)c;
	printf("admin certificate %s: role %s%s\n", str_of(resp, "sha256"),
	       str_of(resp, "role"), already(resp, " - already was"));
}

/* SHA256 admin|reviewer */
static int hgs_admin_cert_role(const struct shieldctl_call *c)
{
	char fpr[128];

	fingerprint_plain(c->args[0], fpr, sizeof(fpr));
	if (strcmp(c->args[1], "admin") && strcmp(c->args[1], "reviewer"))
		return shieldctl_fail("hgs admin-cert role", "the role is admin or reviewer, not '%s'",
				      c->args[1]);
	return admin_show(c, "hgs admin-cert role", "/v1/admin/admin-certs/role",
			  json_pack("{s:s, s:s}", "sha256", fpr, "role", c->args[1]),
			  print_admin_cert_role);
}

static int hgs_guardian_state(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs guardian", verb_path(c, "guardians", path, sizeof(path)),
			  json_pack("{s:s}", "name", c->args[0]), print_guardian_state);
}

/* add, primary: the answer as JSON. */
static int hgs_guardian_set(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs guardian", verb_path(c, "guardians", path, sizeof(path)),
			  json_pack("{s:s}", "name", c->args[0]), NULL);
}

/* ---- platform (the hypervisor placement) ----------------------------------------- */

static void print_platform_added(const struct shieldctl_call *c, json_t *resp)
{
	json_int_t n = json_integer_value(json_object_get(resp, "programs"));

	printf("platform %s registered (%s, platform_id %s, %s)%s\n", c->v[O_NAME],
	       str_of(resp, "type"), str_of(resp, "platform_id"),
	       n ? "approved programs listed" : "any enclave program",
	       already(resp, " - already was"));
	if (!strcmp(str_of(resp, "type") ? str_of(resp, "type") : "", "emulated"))
		printf("note: an emulated platform is a key the outer machine holds; it proves the hypervisor placement only where that machine really is the hypervisor (a test rig), and certificates name it 'emulated'\n");
}

/* --type T --name N --key PUB.pem [--program SHA256]... */
static int hgs_platform_add(const struct shieldctl_call *c)
{
	_cleanup_(vms_freep) uint8_t *pem = NULL;
	const struct hgs_conn *h = c->family;
	const char *what = "hgs platform add", *keyfile = c->v[O_KEY];
	json_t *req, *progs;
	unsigned int i;
	size_t len;
	int r;

	if (!c->v[O_TYPE] || !c->v[O_NAME] || !keyfile)
		return shieldctl_usage_error(what, "needs --type emulated --name NAME --key PLATFORM-PUBKEY.pem");
	for (i = 0; i < h->n_programs; i++) {
		uint8_t raw[32];

		if (strlen(h->programs[i]) != 64 || vms_hex_decode_exact(h->programs[i], raw, 32))
			return shieldctl_fail(what, "--program %s is not a SHA-256 digest (64 hex digits, e.g. from sha256sum vmshield-enclaved)",
					      h->programs[i]);
	}
	r = vms_read_file(keyfile, 16384, &pem, &len);
	if (r)
		return shieldctl_fail(what, "cannot read --key %s: %s", keyfile, strerror(-r));
	progs = json_array();
	for (i = 0; progs && i < h->n_programs; i++)
		json_array_append_new(progs, json_string(h->programs[i]));
	req = json_pack("{s:s, s:s, s:s%, s:o*}", "type", c->v[O_TYPE], "name", c->v[O_NAME],
			"public_key", (char *)pem, len, "programs", h->n_programs ? progs : NULL);
	if (!h->n_programs)
		json_decref(progs);
	return admin_show(c, what, "/v1/admin/platforms/add", req, print_platform_added);
}

static void print_platform_state(const struct shieldctl_call *c, json_t *resp)
{
	(void)resp;
	printf("platform %s: %sd\n", c->args[0], c->words[1]);
}

static int hgs_platform_state(const struct shieldctl_call *c)
{
	char path[128];

	return admin_show(c, "hgs platform", verb_path(c, "platforms", path, sizeof(path)),
			  json_pack("{s:s}", "name", c->args[0]), print_platform_state);
}

/* ---- the table ------------------------------------------------------------------ */

#define LIST(family) { family " list", "", "", 0, 0, hgs_list }

static const struct shieldctl_cmd hgs_cmds[] = {
	{ "status", "", "service, policy, counters, recent events", 0, 0, hgs_status },
	LIST("host"),
	{ "host add", "NAME (--key PUBKEY.pem | --ek EK.pub [--class CLASS])",
	  "register a host key (Ed25519 or ECDSA P-256)\n"
	  "or, TPM mode, the host's EK (the file\n"
	  "`shieldctl tpm ek` writes) and its hardware\n"
	  "class (default 'default'); another EK for a\n"
	  "registered one is refused (TpmEkConflict)",
	  1, 1, hgs_host_add },
	{ "host disable|enable|remove", "NAME", "", 1, 1, hgs_host_state },
	{ "policy show", "", "", 0, 0, hgs_policy_show },
	{ "policy set", "NAME VALUE",
	  "min_isolation_level kernel-open|kernel-locked|\n"
	  "  hypervisor\n"
	  "platform_types LIST (of emulated,sev-snp,nitro:\n"
	  "  what a hypervisor claim may rest on)\n"
	  "require_module_sig 0|1\n"
	  "revocation_cutoff now|UNIX-SECONDS|0\n"
	  "admin_cert_allow_list 0|1 (1: only allowed\n"
	  "admin certificates may use the admin API)\n"
	  "release_lifetime_shielded_s SECONDS (10..604800,\n"
	  "  default 3600: the revocation bound)\n"
	  "release_lifetime_encryption_supported_s SECONDS\n"
	  "  (default 28800)\n"
	  "tpm_pcrs LIST (default 0-7,10; must hold both)\n"
	  "tpm_check_module_digest 0|1\n"
	  "tpm_runtime_allowlist 0|1\n"
	  "tpm_require_ima_appraisal 0|1\n"
	  "tpm_require_secure_boot 0|1\n"
	  "tpm_report_at_load 0|1\n"
	  "tpm_allow_ima_violations 0|1\n"
	  "tpm_allow_key_level_history 0|1\n"
	  "tpm_require_locked_at_load 0|1\n"
	  "tpm_require_ptrace_scope3 0|1\n"
	  "tpm_require_no_crash_kernel 0|1\n"
	  "tpm_require_lockdown_cmdline 0|1\n"
	  "tpm_ima_policy_digests none|SHA256[,SHA256...]",
	  2, 2, hgs_policy_set },
	{ "baseline capture",
	  "--log BIOS_LOG --name NAME --class CLASS [--version N] --out F",
	  "(local, no HGS) a boot baseline from a reference\n"
	  "host's binary_bios_measurements",
	  0, 0, hgs_baseline_capture },
	{ "baseline add", "FILE", "", 1, 1, hgs_baseline_add },
	LIST("baseline"),
	{ "baseline show", "NAME", "", 1, 1, hgs_baseline_show },
	{ "baseline enable|disable", "NAME", "the latest version of a name is the one used",
	  1, 1, hgs_baseline_state },
	{ "tpm-digest add", "--kind module|allow FILE",
	  "approved vmshield.ko digests or the runtime\n"
	  "allowlist, from `sha256sum` output lines",
	  1, 1, hgs_tpm_digest_add },
	LIST("tpm-digest"),
	{ "tpm-digest remove", "--kind module|allow DIGEST", "", 1, 1, hgs_tpm_digest_remove },
	{ "ima-key add", "CERT [--description TEXT]",
	  "approve an IMA signing key (its X.509\n"
	  "certificate, PEM or DER, as loaded into the\n"
	  "IMA keyring) for tpm_require_ima_appraisal",
	  1, 1, hgs_ima_key_add },
	LIST("ima-key"),
	{ "ima-key remove", "SHA256", "by the certificate's SHA-256 (AB:CD:.. or hex)",
	  1, 1, hgs_ima_key_remove },
	LIST("worker"),
	{ "worker add", "(DIGEST | --file BINARY) [--description TEXT]", "",
	  0, 1, hgs_worker_add },
	{ "worker image", "BINARY",
	  "the digests a worker needs approved: the\n"
	  "program, ld.so and its libraries (local)",
	  1, 1, hgs_worker_image },
	{ "worker disable|enable", "DIGEST", "", 1, 1, hgs_worker_state },
	{ "worker history", "[VERSION]", "every worker policy version and its digests",
	  0, 1, hgs_worker_history },
	LIST("guardian"),
	{ "guardian add|primary", "NAME", "", 1, 1, hgs_guardian_set },
	{ "guardian disable|enable", "NAME",
	  "a disabled guardian unwraps no KP and is not\n"
	  "in metadata (never the primary or the last)",
	  1, 1, hgs_guardian_state },
	{ "guardian remove", "NAME", "a disabled one; its key file is kept, renamed",
	  1, 1, hgs_guardian_state },
	{ "admin-cert list", "", "admin client certificates seen, allowed, revoked",
	  0, 0, hgs_list },
	{ "admin-cert revoke|allow", "SHA256",
	  "by the certificate's SHA-256 (openssl x509\n"
	  "-noout -fingerprint -sha256); revoked is final",
	  1, 1, hgs_admin_cert_state },
	{ "admin-cert role", "SHA256 admin|reviewer",
	  "what the certificate may do: admin (all) or\n"
	  "reviewer (read only)",
	  2, 2, hgs_admin_cert_role },
	{ "platform add", "--type emulated --name NAME --key PUBKEY.pem [--program SHA256]...",
	  "register an enclave platform (hypervisor\n"
	  "placement); its key signs enclave reports.\n"
	  "--program (up to 16): the approved\n"
	  "vmshield-enclaved digests (none: any).\n"
	  "sev-snp and nitro: not in this build",
	  0, 0, hgs_platform_add },
	LIST("platform"),
	{ "platform disable|enable|remove", "NAME", "", 1, 1, hgs_platform_state },
	{ "audit", "", "recent admin actions", 0, 0, hgs_audit },
	{ "audit verify", "",
	  "check the audit log's hash chain, every row:\n"
	  "an edited, removed or inserted row is named",
	  0, 0, hgs_audit_verify },
	{ "events", "", "recent attestations and releases", 0, 0, hgs_events },
	{ "backup", "FILE",
	  "the store's state, online and consistent, as\n"
	  "JSON (0600; an existing FILE is kept)",
	  1, 1, hgs_backup },
	{ "restore", "FILE",
	  "merge a backup into the store: counters never\n"
	  "go down, revocations stay, spent nonces stay\n"
	  "spent, hosts it lacks come back disabled",
	  1, 1, hgs_restore },
};

#undef LIST

static void hgs_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl hgs [--socket PATH | --url URL --ca TLS.pem --cert C --tls-key K]\n"
		"                     [--json] COMMAND\n\n"
		"HGS administration over hgsd's admin socket (default %s,\n"
		"or $HGSD_ADMIN_SOCKET), or over HTTPS with an admin client certificate\n"
		"(hgsd.conf admin_client_ca). Every change is audited by hgsd.\n\n",
		DEFAULT_SOCKET);
	shieldctl_usage_list(f, hgs_cmds, ARRAY_SIZE(hgs_cmds), 34, 1);
}

/*
 * No line of the table fits the words: `hgs ima-key ...` lists the
 * ima-key commands; anything else gets the usage.
 */
static int hgs_no_such_command(const char *family)
{
	const struct shieldctl_cmd *k[ARRAY_SIZE(hgs_cmds)];
	size_t i, n = 0, o = 0, len = strlen(family);
	char list[512];

	if (strcmp(family, "ima-key"))
		return hgs_usage_error();
	for (i = 0; i < ARRAY_SIZE(hgs_cmds); i++)
		if (!strncmp(hgs_cmds[i].name, family, len) && hgs_cmds[i].name[len] == ' ')
			k[n++] = &hgs_cmds[i];
	list[0] = 0;
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s'%s%s%s'",
				      !i ? "" : i + 1 < n ? ", " : " or ", k[i]->name,
				      *k[i]->args ? " " : "", k[i]->args);
	return shieldctl_usage_error("hgs ima-key", "use %s", list);
}

/* Positional words of the command line: not options, not option values. */
static int count_words(int argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--", 2))
			n++;
		else if (strcmp(argv[i], "--json") && strcmp(argv[i], "--help") &&
			 !strchr(argv[i], '='))
			i++;
	return n;
}

/* Every --program value (shieldctl_opts() keeps only the last). */
static int programs_of(int argc, char **argv, struct hgs_conn *h)
{
	const char *v;
	int i;

	for (i = 1; i < argc; i++) {
		v = shieldctl_multi_value(argc, argv, &i, "program");
		if (!v)
			continue;
		if (h->n_programs == MAX_PROGRAMS)
			return shieldctl_fail("hgs platform add", "at most %d --program digests",
					      MAX_PROGRAMS);
		h->programs[h->n_programs++] = v;
	}
	return 0;
}

int shieldctl_hgs_main(int argc, char **argv)
{
	static const struct shieldctl_opt opts[N_OPTS + 1] = {
		[O_SOCKET] = { "socket", 1, 0 }, [O_JSON] = { "json", 0, 0 },
		[O_KEY] = { "key", 1, 0 }, [O_FILE] = { "file", 1, 0 },
		[O_DESC] = { "description", 1, 0 }, [O_HELP] = { "help", 0, 0 },
		[O_URL] = { "url", 1, 0 }, [O_CA] = { "ca", 1, 0 },
		[O_CERT] = { "cert", 1, 0 }, [O_TLSKEY] = { "tls-key", 1, 0 },
		[O_EK] = { "ek", 1, 0 }, [O_CLASS] = { "class", 1, 0 },
		[O_LOG] = { "log", 1, 0 }, [O_NAME] = { "name", 1, 0 },
		[O_VERSION] = { "version", 1, 0 }, [O_OUT] = { "out", 1, 0 },
		[O_KIND] = { "kind", 1, 0 }, [O_TYPE] = { "type", 1, 0 },
		[O_PROGRAM] = { "program", 1, 1 }, [N_OPTS] = { NULL, 0, 0 },
	};
	const char *v[N_OPTS + 1], *pos[MAX_WORDS] = { 0 };
	struct shieldctl_call c;
	struct hgs_conn h;
	char what[64];
	int np = count_words(argc, argv);

	if (np > MAX_WORDS)
		return shieldctl_usage_error("hgs", "too many arguments; see 'shieldctl hgs --help'");
	if (shieldctl_opts("hgs", argc - 1, argv + 1, opts, v, pos, np))
		return 1;
	if (v[O_HELP]) {
		hgs_usage(stdout);
		return 0;
	}
	if (!np)
		return hgs_usage_error();
	h = (struct hgs_conn) {
		.sock = v[O_SOCKET] ? v[O_SOCKET] : getenv("HGSD_ADMIN_SOCKET"),
		.url = v[O_URL], .ca = v[O_CA], .cert = v[O_CERT], .key = v[O_TLSKEY],
	};
	if (!h.sock)
		h.sock = DEFAULT_SOCKET;
	if (programs_of(argc, argv, &h))
		return 1;
	if (!shieldctl_cmd_find(hgs_cmds, ARRAY_SIZE(hgs_cmds), "hgs", pos,
				(unsigned int)np, &c, what, sizeof(what)))
		return hgs_no_such_command(pos[0]);
	c.v = v;
	c.family = &h;
	return c.cmd->run(&c);
}
