// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_enclave.c - the hypervisor placement on a real hgsd (127.0.0.1):
 * enclave platforms registered by the admin (off by default), host
 * evidence carrying an enclave report signed by an emulated platform key
 * (made here with OpenSSL, reports built by enclave_testreport.c), health
 * certificates naming placement and platform, and key protectors and HGS
 * policy that require the hypervisor placement or some platform types.
 *
 * Every refusal is checked with its reason code and with nothing changed:
 * no certificate issued, no key released, the platform table as it was.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmshield.h>

#include "enclave_testreport.h"
#include "hgsd_fixture.h"
#include "keyrelease.h"
#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_enclave_report.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define VM1 "6f1c2a5e-930d-4b71-8a42-0c5de177309b"
#define VM2 "2b7d8e1f-44a0-4c3b-9f15-7e6a0d9c1b22"	/* issue 21's tests */

static char dir[64];
static struct t_hgsd hgsd = { .pid = -1 };
static struct vms_hgs_client *cli, *adm;
static struct vms_guardian hgs_g, owner;
static EVP_PKEY *plat;		/* the emulated platform's key (the outer machine's) */
static EVP_PKEY *rogue;		/* a key nobody registered */
static uint8_t program[32];	/* "sha256 of vmshield-enclaved" */

/* ---------- helpers ---------- */

static char *pem_of(EVP_PKEY *k)
{
	char *pem = NULL;

	assert_int_equal(vms_pkey_to_pem(k, &pem), 0);
	return pem;
}

static void set_policy(const char *name, const char *value)
{
	t_hgs_call_ok(adm, "/v1/admin/policy/set", json_pack("{s:s, s:s}", "name", name,
							"value", value));
}

/* POST platforms/add: the answer, wanting @http / @sub. */
static json_t *platform_add(const char *type, const char *name, EVP_PKEY *k,
			    const char *const *progs, long http, const char *sub)
{
	char *pem = pem_of(k);
	json_t *req = json_pack("{s:s, s:s, s:s}", "type", type, "name", name, "public_key", pem);
	json_t *arr;

	free(pem);
	if (progs) {
		arr = json_array();
		for (; *progs; progs++)
			json_array_append_new(arr, json_string(*progs));
		json_object_set_new(req, "programs", arr);
	}
	return t_hgs_call(adm, "/v1/admin/platforms/add", req, http, sub);
}

/* The platform table as the admin sees it, serialised (to compare). */
static char *platforms_now(void)
{
	json_t *r = t_hgs_call(adm, "/v1/admin/platforms", NULL, 200, "Passed");
	char *s = json_dumps(json_object_get(r, "platforms"), JSON_SORT_KEYS);

	json_decref(r);
	assert_non_null(s);
	return s;
}

static long audit_rows(const char *action, const char *result)
{
	json_t *r = t_hgs_call(adm, "/v1/admin/audit", NULL, 200, "Passed"), *row;
	long n = 0;
	size_t i;

	json_array_foreach(json_object_get(r, "audit"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "action")), action) &&
		    !strcmp(json_string_value(json_object_get(row, "result")), result))
			n++;
	json_decref(r);
	return n;
}

struct host {
	const char *name;
	EVP_PKEY *key;
	uint8_t esk[32], epk[32];
};

static void host_new(struct host *h, const char *name)
{
	char *pem;

	memset(h, 0, sizeof(*h));
	h->name = name;
	h->key = vms_pkey_gen_ed25519();
	assert_non_null(h->key);
	assert_int_equal(vms_x25519_keygen(h->esk, h->epk), 0);
	pem = pem_of(h->key);
	t_hgs_call_ok(adm, "/v1/admin/hosts/add", json_pack("{s:s, s:s}", "name", name,
						       "public_key", pem));
	free(pem);
}

static void host_free(struct host *h)
{
	EVP_PKEY_free(h->key);
	OPENSSL_cleanse(h->esk, 32);
}

/* How the enclave report of an attestation is made (and forged). */
struct er_opts {
	int absent;		/* no enclave report: kernel placement */
	EVP_PKEY *signer;	/* default: plat */
	EVP_PKEY *named;	/* whose platform id the body names; default: signer */
	int other_nonce, other_key, high_s, garbage;
	int host_open;		/* the host's own report: kernel-open */
	int hyp_no_report;	/* placement=hypervisor, but no enclave report */
	int kernel_with_report;	/* placement=kernel, yet an enclave report */
	const uint8_t *program;	/* default: program */
	const uint8_t *kps;	/* the KPS key the host's report names; default: HGS's */
	const uint8_t *er_kps;	/* the KPS key the enclave report names; default: HGS's */
	int kps_none, er_kps_none;	/* kps_pk=none, kps_key=none instead */
};

static uint8_t hgs_kps[32];	/* HGS's KPS key, from /v1/metadata at setup */

static json_t *enclave_report_json(const struct er_opts *o, const uint8_t nonce[32],
				   const uint8_t epk[32])
{
	EVP_PKEY *signer = o->signer ? o->signer : plat;
	struct vms_enclave_report r;
	char body[VMS_ER_BODY_MAX + 1], *b64b, *b64s;
	uint8_t sig[VMS_ER_SIG_MAX];
	size_t blen, slen;
	json_t *j;

	t_er_facts(o->named ? o->named : signer, &r);
	memcpy(r.nonce, nonce, 32);
	if (o->other_nonce)
		r.nonce[5] ^= 0x40;
	memcpy(r.enclave_key, epk, 32);
	if (o->other_key)
		t_random(r.enclave_key, 32);
	memcpy(r.program, o->program ? o->program : program, 32);
	r.kps_set = !o->er_kps_none;
	if (r.kps_set)
		memcpy(r.kps_key, o->er_kps ? o->er_kps : hgs_kps, 32);
	blen = t_er_body(&r, body, sizeof(body));
	if (o->garbage)
		body[0] = 'X';
	slen = t_er_sign(signer, body, blen, o->high_s, sig);
	b64b = vms_b64_encode((uint8_t *)body, blen);
	b64s = vms_b64_encode(sig, slen);
	j = json_pack("{s:s, s:s}", "body", b64b, "sig", b64s);
	free(b64b);
	free(b64s);
	return j;
}

/* Attest @h (host-key mode) with an enclave report made as @o says. */
static json_t *attest_hk(const struct host *h, const struct er_opts *o, long http,
			  const char *sub)
{
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], pkhex[65], *sig64;
	uint8_t *nonce, *sig;
	size_t nlen, siglen;
	json_t *n, *req, *ans;

	n = t_hgs_call(cli, "/v1/attest/nonce", json_object(), 200, "Passed");
	{
		const char *nb = json_string_value(json_object_get(n, "nonce"));

		assert_int_equal(vms_b64_decode(nb, strlen(nb), 32, &nonce, &nlen), 0);
	}
	/* as vmshield.ko writes it: hypervisor when its enclave is remote */
	rep.placement = (o->absent && !o->hyp_no_report) || o->kernel_with_report ?
			VMSHIELD_PLACEMENT_KERNEL : VMSHIELD_PLACEMENT_HYPERVISOR;
	rep.level = o->host_open ? VMSHIELD_ISOLATION_KERNEL_OPEN : VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = o->host_open ? VMSHIELD_LOCKDOWN_NONE : VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = !o->host_open;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, h->epk, 32);
	rep.kps_set = !o->kps_none;
	if (rep.kps_set)
		memcpy(rep.kps_pk, o->kps ? o->kps : hgs_kps, 32);
	assert_true(vms_report_format(&rep, report, sizeof(report)) > 0);
	assert_int_equal(vms_attest_sign(h->key, nonce, h->epk, report, strlen(report), &sig,
					 &siglen), 0);
	sig64 = vms_b64_encode(sig, siglen);
	vms_hex_encode(h->epk, 32, pkhex);
	req = json_pack("{s:O, s:O, s:s, s:s, s:s, s:s}", "session", json_object_get(n, "session"),
			"nonce", json_object_get(n, "nonce"), "host", h->name,
			"enclave_pk", pkhex, "report", report, "signature", sig64);
	if (!o->absent)
		json_object_set_new(req, "enclave_report", enclave_report_json(o, nonce, h->epk));
	ans = t_hgs_call(cli, "/v1/attest", req, http, sub);
	if (http != 200)
		assert_null(json_object_get(ans, "health_certificate"));	/* nothing issued */
	free(sig64);
	free(sig);
	free(nonce);
	json_decref(n);
	return ans;
}

static void attest_expect(const struct host *h, const struct er_opts *o, const char *sub)
{
	json_decref(attest_hk(h, o, 403, sub));
}

/* The certificate of a passed attestation (base64, malloc'd) and its profile. */
static char *attest_cert(const struct host *h, const struct er_opts *o,
			 struct vms_health_cert_info *info)
{
	json_t *a = attest_hk(h, o, 200, "Passed");
	char *cert = strdup(json_string_value(json_object_get(a, "health_certificate")));
	uint8_t *der;
	size_t len;
	X509 *x;

	assert_non_null(cert);
	assert_int_equal(vms_b64_decode(cert, strlen(cert), 8192, &der, &len), 0);
	assert_int_equal(vms_cert_from_der(der, len, &x), 0);
	assert_int_equal(vms_health_cert_parse(x, info), 0);
	assert_string_equal(json_string_value(json_object_get(a, "placement")),
			    vms_placement_name(info->placement));
	assert_string_equal(json_string_value(json_object_get(a, "platform")),
			    vms_platform_name(info->platform));
	X509_free(x);
	free(der);
	json_decref(a);
	return cert;
}

/* The rig's emulated platform, registered (again) with the approved program. */
static void ensure_platform(void)
{
	char phex[65];
	const char *progs[2] = { phex, NULL };

	vms_hex_encode(program, 32, phex);
	json_decref(platform_add("emulated", "rig", plat, progs, 200, "Passed"));
}

/* A KP (base64) of @vm with the binding @b, to the owner and HGS's guardian, a new TK in @tk. */
static char *kp_of(struct vms_kp_info *b, const char *vm, uint8_t tk[32])
{
	uint8_t *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_uuid_parse(vm, b->vm_id), 0);
	t_random(b->key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create_ex(&owner, &hgs_g.enc_cert, 1, b, tk, &der, &len), 0);
	b64 = vms_b64_encode(der, len);
	free(der);
	return b64;
}

/* A KP for VM1 (@policy), optionally requiring the hypervisor placement. */
static char *make_kp_policy(uint32_t policy, uint32_t placement, uint32_t mask, uint8_t tk[32])
{
	struct vms_kp_info b = { .policy = policy,
				 .min_placement = placement, .platform_mask = mask };

	return kp_of(&b, VM1, tk);
}

/* A KP for VM1 requiring its vTPM in the enclave (and so hypervisor). */
static char *make_kp_vtpm(uint8_t tk[32])
{
	struct vms_kp_info b = { .policy = VMS_KR_POLICY_SHIELDED,
				 .min_placement = VMS_KP_PLACEMENT_HYPERVISOR,
				 .vtpm = VMS_KP_VTPM_IN_ENCLAVE };
	uint8_t *der;
	size_t len;
	char *b64;

	assert_int_equal(vms_uuid_parse(VM1, b.vm_id), 0);
	t_random(b.key_id, 16);
	t_random(tk, 32);
	assert_int_equal(vms_kp_create_ex(&owner, &hgs_g.enc_cert, 1, &b, tk, &der, &len), 0);
	b64 = vms_b64_encode(der, len);
	free(der);
	return b64;
}

static char *make_kp(uint32_t placement, uint32_t mask, uint8_t tk[32])
{
	return make_kp_policy(VMS_KR_POLICY_SHIELDED, placement, mask, tk);
}

static json_t *release_kp(const char *cert, const char *kp, long http, const char *sub)
{
	json_t *r = t_hgs_call(cli, "/v1/kps/release",
			       json_pack("{s:s, s:s, s:s, s:s, s:i}", "health_certificate", cert,
					 "key_protector", kp, "vm_id", VM1,
					 "enclave_challenge", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
					 "challenge_ns", 1), http, sub);

	if (http != 200)
		assert_null(json_object_get(r, "key_release"));	/* nothing released */
	return r;
}

/* ---------- the vTPM statement (issue 21) ---------- */

struct stmt_opts {
	EVP_PKEY *signer;	/* default: plat */
	EVP_PKEY *named;	/* whose platform id the body names; default: signer */
	const char *vm;		/* default: VM2 */
	const uint8_t *key_id;
	uint64_t generation;
	int high_s;
};

/* A statement as vmshield-enclaved makes it (attest.c), base64. */
static char *make_statement(const struct stmt_opts *o)
{
	EVP_PKEY *signer = o->signer ? o->signer : plat;
	uint8_t pid[32], vm[16], blob[1024], boot[16] = { 0xb0, 0x07 }, ek[32] = { 0xee };
	char hp[65], he[65], hb[33], hv[33], hk[33];
	size_t n, slen;

	assert_int_equal(vms_platform_id_of(o->named ? o->named : signer, pid), 0);
	assert_int_equal(vms_uuid_parse(o->vm ? o->vm : VM2, vm), 0);
	vms_hex_encode(pid, 32, hp);
	vms_hex_encode(ek, 32, he);
	vms_hex_encode(boot, 16, hb);
	vms_hex_encode(vm, 16, hv);
	vms_hex_encode(o->key_id, 16, hk);
	n = (size_t)snprintf((char *)blob + 2, sizeof(blob) - 2,
			     "vmshield-vtpm-statement v1\nplatform=emulated\nplatform_id=%s\n"
			     "enclave_key=%s\nboot_id=%s\nvm_id=%s\nkey_id=%s\ngeneration=%llu\n",
			     hp, he, hb, hv, hk, (unsigned long long)o->generation);
	blob[0] = (uint8_t)(n >> 8);
	blob[1] = (uint8_t)n;
	slen = t_er_sign(signer, blob + 2, n, o->high_s, blob + 2 + n);
	return vms_b64_encode(blob, 2 + n + slen);
}

/* A release of VM2 with @st (NULL: none); the release's floor when Passed. */
static uint64_t release_st(const char *cert, const char *kp, const char *st, long http,
			   const char *sub, char kid[33])
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i}", "health_certificate", cert,
				"key_protector", kp, "vm_id", VM2,
				"enclave_challenge", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
				"challenge_ns", 1);
	struct vms_kr_binding b;
	const char *rel;
	uint64_t floor;
	uint8_t *blob;
	size_t len;
	json_t *r;

	if (st)
		json_object_set_new(req, "vtpm_statement", json_string(st));
	r = t_hgs_call(cli, "/v1/kps/release", req, http, sub);
	if (http != 200) {
		assert_null(json_object_get(r, "key_release"));	/* nothing released */
		json_decref(r);
		return 0;
	}
	rel = json_string_value(json_object_get(r, "key_release"));
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_MAX_LEN, &blob, &len), 0);
	assert_int_equal(vms_kr_parse(blob, len, &b, NULL), 0);
	floor = b.vtpm_floor;
	/* the bit and the field go together; 0 is no floor at all */
	assert_int_equal(!!(b.flags & VMS_KR_F_VTPM_FLOOR), floor != 0);
	if (kid)
		snprintf(kid, 33, "%s", json_string_value(json_object_get(r, "key_id")));
	free(blob);
	json_decref(r);
	return floor;
}

static uint64_t release_gen(const char *cert, const char *kp, const struct stmt_opts *o)
{
	char *st = make_statement(o);
	uint64_t f = release_st(cert, kp, st, 200, "Passed", NULL);

	free(st);
	return f;
}

static void release_refused(const char *cert, const char *kp, const struct stmt_opts *o,
			    long http, const char *sub)
{
	char *st = make_statement(o);

	release_st(cert, kp, st, http, sub, NULL);
	free(st);
}

/*
 * The admin's view of VM2 (GET /v1/admin/vms/status, `shieldctl vm
 * status`): never rolled, so only the vTPM generation HGS holds.
 */
static void vm2_status_gen(long long want)
{
	json_t *a = t_hgs_call(adm, "/v1/admin/vms/status/" VM2, NULL, 200, "Passed");
	json_t *vm = json_object_get(a, "vm");

	assert_int_equal(json_integer_value(json_object_get(vm, "vtpm_generation")), want);
	assert_int_equal(json_integer_value(json_object_get(vm, "version")), 0);
	assert_true(json_is_null(json_object_get(vm, "key_id")));
	assert_string_equal(json_string_value(json_object_get(vm, "host")), "vtpm-gen-host");
	json_decref(a);
}

/* A vTPM-in-enclave KP for VM2. */
static char *make_kp_vtpm_vm2(void)
{
	struct vms_kp_info b = { .policy = VMS_KR_POLICY_SHIELDED,
				 .min_placement = VMS_KP_PLACEMENT_HYPERVISOR,
				 .vtpm = VMS_KP_VTPM_IN_ENCLAVE };
	uint8_t tk[32];

	return kp_of(&b, VM2, tk);
}

/* ---------- setup ---------- */

static int group_setup(void **state)
{
	json_t *md;
	const char *pem;
	char hex[65];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vms-hgsd-er.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	strcat(dir, "/hgs");
	if (t_hgsd_init(&hgsd, dir, "threads = 2\n") || t_hgsd_start(&hgsd))
		return -1;
	cli = hgsd.cli;
	t_hgs_kps_key(cli, hgs_kps);
	adm = hgsd.adm;
	if (vms_guardian_new("tenant-owner", 30, &owner))
		return -1;
	md = t_hgs_call(cli, "/v1/metadata", NULL, 200, "Passed");
	pem = json_string_value(json_object_get(json_array_get(json_object_get(md, "guardians"), 0),
						"certificates"));
	if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &hgs_g))
		return -1;
	json_decref(md);
	plat = vms_pkey_gen_p256();
	rogue = vms_pkey_gen_p256();
	if (!plat || !rogue)
		return -1;
	t_random(program, 32);
	{
		uint8_t worker[32];

		t_random(worker, 32);
		vms_hex_encode(worker, 32, hex);
	}
	t_hgs_call_ok(adm, "/v1/admin/workers/add", json_pack("{s:s}", "digest", hex));
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	t_hgsd_stop(&hgsd, SIGTERM);
	vms_guardian_free(&owner);
	vms_guardian_free(&hgs_g);
	EVP_PKEY_free(plat);
	EVP_PKEY_free(rogue);
	if (getenv("HGSD_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 4), dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---------- tests (in order: the first runs before any platform exists) ---------- */

/* Off by default: no platform registered, every hypervisor claim refused. */
static void test_off_by_default(void **state)
{
	struct er_opts o = { 0 };
	struct host h;
	char *before;

	(void)state;
	before = platforms_now();
	assert_string_equal(before, "[]");
	host_new(&h, "hv-none");
	attest_expect(&h, &o, "EnclavePlatformUnknown");
	free(before);
	host_free(&h);
}

static void test_platform_admin(void **state)
{
	static const char *const bad_prog[] = { "abc", NULL };
	char phex[65], *before, *after;
	const char *progs[2] = { phex, NULL }, *twice[3] = { NULL };
	EVP_PKEY *ed = vms_pkey_gen_ed25519();
	json_t *r;
	long refused;

	(void)state;
	assert_non_null(ed);
	vms_hex_encode(program, 32, phex);
	r = platform_add("emulated", "rig", plat, progs, 200, "Passed");
	assert_false(json_is_true(json_object_get(r, "unchanged")));
	assert_int_equal(strlen(json_string_value(json_object_get(r, "platform_id"))), 64);
	json_decref(r);
	r = platform_add("emulated", "rig", plat, progs, 200, "Passed");
	assert_true(json_is_true(json_object_get(r, "unchanged")));
	json_decref(r);

	before = platforms_now();
	assert_non_null(strstr(before, "\"type\": \"emulated\""));
	refused = audit_rows("platform-add", "refused-conflict");
	/* the same name with another key; the same key under another name */
	json_decref(platform_add("emulated", "rig", rogue, NULL, 409, "PlatformConflict"));
	json_decref(platform_add("emulated", "rig2", plat, NULL, 409, "PlatformConflict"));
	assert_true(audit_rows("platform-add", "refused-conflict") >= refused + 1);
	/* unfit keys, types, names and programs */
	json_decref(platform_add("emulated", "edkey", ed, NULL, 400, "InvalidRequest"));
	json_decref(platform_add("sev-snp", "snp", plat, NULL, 403, "EnclavePlatformNotSupported"));
	json_decref(platform_add("nitro", "nitro", plat, NULL, 403, "EnclavePlatformNotSupported"));
	json_decref(platform_add("tdx", "tdx", plat, NULL, 400, "InvalidRequest"));
	json_decref(platform_add("emulated", "bad name", rogue, NULL, 400, "InvalidRequest"));
	json_decref(platform_add("emulated", "badprog", rogue, bad_prog, 400, "InvalidRequest"));
	twice[0] = twice[1] = phex;
	json_decref(platform_add("emulated", "twice", rogue, twice, 400, "InvalidRequest"));
	after = platforms_now();
	assert_string_equal(before, after);	/* nothing changed */
	free(after);
	/* enable/disable/remove of an unknown name */
	json_decref(t_hgs_call(adm, "/v1/admin/platforms/disable",
			       json_pack("{s:s}", "name", "nosuch"), 404, "NoSuchObject"));
	json_decref(t_hgs_call(adm, "/v1/admin/platforms/remove",
			       json_pack("{s:s}", "name", "nosuch"), 404, "NoSuchObject"));
	after = platforms_now();
	assert_string_equal(before, after);
	free(after);
	free(before);
	EVP_PKEY_free(ed);
}

/* The decisive pair: a KP requiring hypervisor, kernel host vs hypervisor host. */
static void test_kp_requires_hypervisor(void **state)
{
	struct er_opts kernel = { .absent = 1 }, hv = { 0 };
	struct vms_health_cert_info ki, hi;
	struct vms_kr_binding b;
	struct host k, h;
	char *kcert, *hcert, *kp;
	uint8_t tk[32], tk2[32], vm_id[16], *blob;
	const char *rel;
	json_t *r;
	size_t len;

	(void)state;
	ensure_platform();
	host_new(&k, "kernel-host");
	host_new(&h, "hv-host");
	kcert = attest_cert(&k, &kernel, &ki);
	assert_int_equal(ki.placement, VMSHIELD_PLACEMENT_KERNEL);
	assert_int_equal(ki.platform, VMS_PLATFORM_NONE);
	assert_int_equal(ki.level, VMSHIELD_ISOLATION_KERNEL_LOCKED);
	hcert = attest_cert(&h, &hv, &hi);
	assert_int_equal(hi.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_int_equal(hi.platform, VMS_PLATFORM_EMULATED);
	assert_int_equal(hi.level, VMSHIELD_ISOLATION_HYPERVISOR);
	assert_non_null(strstr(hi.facts, "placement=hypervisor platform=emulated"));
	assert_non_null(strstr(hi.policies, "enclave-report,platform=emulated"));

	kp = make_kp(VMS_KP_PLACEMENT_HYPERVISOR, 0, tk);
	json_decref(release_kp(kcert, kp, 403, "PlacementNotAllowed"));
	r = release_kp(hcert, kp, 200, "Passed");
	rel = json_string_value(json_object_get(r, "key_release"));
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_MAX_LEN, &blob, &len), 0);
	assert_int_equal(vms_uuid_parse(VM1, vm_id), 0);
	{
		const char *hex = json_string_value(json_object_get(r, "kps_public_key"));
		uint8_t kps_pk[32];

		assert_non_null(hex);
		assert_int_equal(vms_hex_decode_exact(hex, kps_pk, 32), 0);
		assert_int_equal(vms_kr_open(blob, len, h.esk, h.epk, kps_pk, vm_id, NULL,
					     &b, tk2), 0);
	}
	assert_memory_equal(tk, tk2, 32);
	free(blob);
	json_decref(r);
	free(kp);

	/* vtpm-in-enclave: refused to the kernel placement with its own reason */
	kp = make_kp_vtpm(tk);
	json_decref(release_kp(kcert, kp, 403, "VtpmInEnclaveUnavailable"));
	r = release_kp(hcert, kp, 200, "Passed");
	/* ... and the release carries it to the enclave: flag bit 1 */
	rel = json_string_value(json_object_get(r, "key_release"));
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_MAX_LEN, &blob, &len), 0);
	assert_int_equal(vms_kr_parse(blob, len, &b, NULL), 0);
	assert_int_equal(b.flags, VMS_KR_F_VTPM_IN_ENCLAVE);
	free(blob);
	json_decref(r);
	free(kp);

	/* a KP without the requirement goes to both */
	kp = make_kp(0, 0, tk);
	json_decref(release_kp(kcert, kp, 200, "Passed"));
	json_decref(release_kp(hcert, kp, 200, "Passed"));
	free(kp);
	/* a KP accepting only nitro refuses the emulated platform */
	kp = make_kp(VMS_KP_PLACEMENT_HYPERVISOR, 1u << VMS_PLATFORM_NITRO, tk);
	json_decref(release_kp(hcert, kp, 403, "PlatformTypeNotAllowed"));
	free(kp);
	kp = make_kp(VMS_KP_PLACEMENT_HYPERVISOR, 1u << VMS_PLATFORM_EMULATED, tk);
	json_decref(release_kp(hcert, kp, 200, "Passed"));
	free(kp);
	free(kcert);
	free(hcert);
	host_free(&k);
	host_free(&h);
}

/*
 * The keys are out of the host kernel, but that kernel still decides who
 * may use them: a host whose own facts are kernel-open gets the
 * hypervisor placement and its own level, so no shielded key.
 */
static void test_hypervisor_on_unlocked_host(void **state)
{
	struct er_opts o = { .host_open = 1 };
	struct vms_health_cert_info info;
	struct host h;
	char *cert, *kp;
	uint8_t tk[32];

	(void)state;
	ensure_platform();
	host_new(&h, "hv-open");
	cert = attest_cert(&h, &o, &info);
	assert_int_equal(info.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	assert_int_equal(info.platform, VMS_PLATFORM_EMULATED);
	assert_int_equal(info.level, VMSHIELD_ISOLATION_KERNEL_OPEN);
	kp = make_kp(VMS_KP_PLACEMENT_HYPERVISOR, 0, tk);
	json_decref(release_kp(cert, kp, 403, "IsolationLevelInsufficientForPolicy"));
	free(kp);
	kp = make_kp_policy(VMS_KR_POLICY_ENCRYPTION_SUPPORTED, VMS_KP_PLACEMENT_HYPERVISOR, 0, tk);
	json_decref(release_kp(cert, kp, 200, "Passed"));
	free(kp);
	free(cert);
	/* and min_isolation_level hypervisor refuses it */
	set_policy("min_isolation_level", "hypervisor");
	attest_expect(&h, &o, "IsolationLevelTooLow");
	set_policy("min_isolation_level", "kernel-open");
	host_free(&h);
}

/*
 * The module's report says its enclave is behind the mailbox, but the
 * host sent no enclave report: EnclaveReportMissing, no certificate.
 */
static void test_refuse_hypervisor_report_without_enclave_report(void **state)
{
	struct er_opts o = { .absent = 1, .hyp_no_report = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-no-report");
	attest_expect(&h, &o, "EnclaveReportMissing");
	host_free(&h);
}

/*
 * The reverse: the module's report says placement kernel, yet a (valid)
 * enclave report came with it: EnclaveReportUnexpected, no certificate.
 */
static void test_refuse_kernel_report_with_enclave_report(void **state)
{
	struct er_opts o = { .kernel_with_report = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "kernel-with-report");
	attest_expect(&h, &o, "EnclaveReportUnexpected");
	host_free(&h);
}

static void test_refuse_unregistered_platform_key(void **state)
{
	struct er_opts o = { .signer = rogue };	/* names itself: not registered */
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-rogue");
	attest_expect(&h, &o, "EnclavePlatformUnknown");
	host_free(&h);
}

static void test_refuse_report_signed_by_other_key(void **state)
{
	struct er_opts o = { .signer = rogue, .named = plat };
	struct er_opts hs = { .high_s = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-forged");
	attest_expect(&h, &o, "EnclaveReportSignatureInvalid");
	/* the registered key's own signature, with s flipped to n - s */
	attest_expect(&h, &hs, "EnclaveReportSignatureInvalid");
	host_free(&h);
}

static void test_refuse_report_other_nonce(void **state)
{
	struct er_opts o = { .other_nonce = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-nonce");
	attest_expect(&h, &o, "EnclaveReportNonceMismatch");
	host_free(&h);
}

static void test_refuse_report_other_enclave_key(void **state)
{
	struct er_opts o = { .other_key = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-key");
	attest_expect(&h, &o, "EnclaveKeyMismatch");
	host_free(&h);
}

/*
 * Issue 17 item 5, placement hypervisor: root named its own KPS key to
 * the enclave first, and the module's report says so (the enclave report
 * genuine, from the registered platform), or the enclave report says so
 * under the platform's signature: KpsKeyMismatch, nothing issued. A
 * report that names no key, the module's (kps_pk=none) or the enclave's
 * (kps_key=none, under the platform's signature): KpsKeyNotNamed, nothing
 * issued (issue 17: root could name its own key after the certificate).
 * The same host naming HGS's key in both passes, placement hypervisor.
 */
static void test_refuse_kps_key_named_by_root(void **state)
{
	struct er_opts o = { 0 };
	struct vms_health_cert_info info;
	uint8_t roots[32];
	struct host h;
	char *cert;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-kps");
	t_random(roots, 32);
	o.kps = roots;
	attest_expect(&h, &o, "KpsKeyMismatch");
	/* the enclave's own word, signed by its platform */
	o.kps = NULL;
	o.er_kps = roots;
	attest_expect(&h, &o, "KpsKeyMismatch");
	o.er_kps = NULL;
	o.kps_none = 1;
	attest_expect(&h, &o, "KpsKeyNotNamed");
	o.kps_none = 0;
	o.er_kps_none = 1;
	attest_expect(&h, &o, "KpsKeyNotNamed");
	o.er_kps_none = 0;
	cert = attest_cert(&h, &o, &info);
	assert_int_equal(info.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	free(cert);
	host_free(&h);
}

static void test_refuse_unapproved_program(void **state)
{
	uint8_t other[32];
	struct er_opts o = { .program = other };
	struct host h;

	(void)state;
	ensure_platform();
	t_random(other, 32);
	host_new(&h, "hv-program");
	attest_expect(&h, &o, "EnclaveProgramNotApproved");
	host_free(&h);
}

static void test_refuse_malformed_report(void **state)
{
	struct er_opts o = { .garbage = 1 };
	struct host h;
	json_t *r;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-garbage");
	json_decref(attest_hk(&h, &o, 400, "EnclaveReportMalformed"));
	/* the field's shape: an object of exactly body and sig */
	r = t_hgs_call(cli, "/v1/attest",
		       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "session",
				 "00000000000000000000000000000000", "nonce",
				 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "host", h.name,
				 "enclave_pk",
				 "0000000000000000000000000000000000000000000000000000000000000000",
				 "report", "x", "signature", "AAAA", "enclave_report", "x"),
		       400, "InvalidRequest");
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")), "enclave_report"));
	json_decref(r);
	host_free(&h);
}

static void test_platform_disabled_and_policy(void **state)
{
	struct er_opts o = { 0 }, kernel = { .absent = 1 };
	struct host h;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-policy");
	t_hgs_call_ok(adm, "/v1/admin/platforms/disable", json_pack("{s:s}", "name", "rig"));
	attest_expect(&h, &o, "EnclavePlatformDisabled");
	t_hgs_call_ok(adm, "/v1/admin/platforms/enable", json_pack("{s:s}", "name", "rig"));
	json_decref(attest_hk(&h, &o, 200, "Passed"));
	/* HGS policy: only real platforms may back a hypervisor claim */
	set_policy("platform_types", "sev-snp,nitro");
	attest_expect(&h, &o, "PlatformTypeNotAllowed");
	json_decref(t_hgs_call(adm, "/v1/admin/policy/set",
			       json_pack("{s:s, s:s}", "name", "platform_types", "value", "tdx"),
			       400, "InvalidRequest"));
	set_policy("platform_types", "emulated,sev-snp,nitro");
	/* HGS policy: the hypervisor placement for every host */
	set_policy("min_isolation_level", "hypervisor");
	attest_expect(&h, &kernel, "IsolationLevelTooLow");
	json_decref(attest_hk(&h, &o, 200, "Passed"));
	set_policy("min_isolation_level", "kernel-open");
	/* removed: unknown again */
	t_hgs_call_ok(adm, "/v1/admin/platforms/remove", json_pack("{s:s}", "name", "rig"));
	attest_expect(&h, &o, "EnclavePlatformUnknown");
	host_free(&h);
}

/*
 * Issue 21: the statement a release carries raises HGS's generation for
 * the VM only upward (in the release's transaction), and every release
 * then carries it as its floor (flag bit 2); a stale statement, a forged
 * one, one of another platform, VM or key, and one from a kernel-placement
 * host are refused with nothing released and the generation unchanged.
 */
static void test_vtpm_generation(void **state)
{
	struct er_opts hv = { 0 }, kernel = { .absent = 1 };
	struct vms_health_cert_info hi, ki;
	struct host h, k;
	char *hcert, *kcert, *kp, *kp_plain, kid[33], *st;
	uint8_t key_id[16], other_key[16], tk[32];
	struct stmt_opts o = { 0 };

	(void)state;
	ensure_platform();
	host_new(&h, "vtpm-gen-host");
	host_new(&k, "vtpm-gen-kernel");
	hcert = attest_cert(&h, &hv, &hi);
	kcert = attest_cert(&k, &kernel, &ki);
	kp = make_kp_vtpm_vm2();

	/* HGS holds nothing yet: no floor */
	assert_int_equal(release_st(hcert, kp, NULL, 200, "Passed", kid), 0);
	assert_int_equal(vms_hex_decode_exact(kid, key_id, 16), 0);
	o.key_id = key_id;
	json_decref(t_hgs_call(adm, "/v1/admin/vms/status/" VM2, NULL, 404, "NoSuchObject"));

	/* a statement raises it; this release and every later one carry it */
	o.generation = 5;
	assert_int_equal(release_gen(hcert, kp, &o), 5);
	assert_int_equal(release_st(hcert, kp, NULL, 200, "Passed", NULL), 5);
	/* the same generation again (a renewal with nothing stored since) */
	assert_int_equal(release_gen(hcert, kp, &o), 5);

	/* below the stored one: old state presented, refused (409) */
	o.generation = 3;
	release_refused(hcert, kp, &o, 409, "VtpmGenerationStale");
	o.generation = 0;
	release_refused(hcert, kp, &o, 409, "VtpmGenerationStale");

	/* upward */
	o.generation = 9;
	assert_int_equal(release_gen(hcert, kp, &o), 9);
	vm2_status_gen(9);

	/* forged: signed by a key nobody registered, naming the platform */
	o.generation = 1000;
	o.signer = rogue;
	o.named = plat;
	release_refused(hcert, kp, &o, 403, "VtpmStatementInvalid");
	/* ... or naming its own (another platform than the certificate's) */
	o.named = NULL;
	release_refused(hcert, kp, &o, 403, "VtpmStatementInvalid");
	o.signer = NULL;
	/* a high-S copy of a good signature: one encoding only */
	o.high_s = 1;
	release_refused(hcert, kp, &o, 403, "VtpmStatementInvalid");
	o.high_s = 0;
	/* the generation changed after signing */
	{
		uint8_t *raw;
		size_t len;
		char *b64;

		st = make_statement(&o);
		assert_int_equal(vms_b64_decode(st, strlen(st), 1024, &raw, &len), 0);
		raw[2 + (raw[0] << 8 | raw[1]) - 2]++;	/* the last digit */
		b64 = vms_b64_encode(raw, len);
		release_st(hcert, kp, b64, 403, "VtpmStatementInvalid", NULL);
		raw[2]++;	/* and the header */
		free(b64);
		b64 = vms_b64_encode(raw, len);
		release_st(hcert, kp, b64, 403, "VtpmStatementInvalid", NULL);
		free(b64);
		free(raw);
		free(st);
	}
	release_st(hcert, kp, "not base64!", 400, "InvalidRequest", NULL);
	release_st(hcert, kp, "AAAA", 403, "VtpmStatementInvalid", NULL);

	/* another VM's statement, or another key's */
	o.vm = VM1;
	release_refused(hcert, kp, &o, 409, "VtpmStatementMismatch");
	o.vm = NULL;
	t_random(other_key, 16);
	o.key_id = other_key;
	release_refused(hcert, kp, &o, 409, "VtpmStatementMismatch");
	o.key_id = key_id;

	/* a kernel-placement host has no platform to sign one */
	kp_plain = make_kp_policy(VMS_KR_POLICY_SHIELDED, 0, 0, tk);
	release_refused(kcert, kp_plain, &o, 403, "VtpmStatementInvalid");
	free(kp_plain);

	/* nothing of that changed HGS's generation */
	assert_int_equal(release_st(hcert, kp, NULL, 200, "Passed", NULL), 9);

	/* the platform disabled: its statements are not evidence any more */
	o.generation = 10;
	t_hgs_call_ok(adm, "/v1/admin/platforms/disable", json_pack("{s:s}", "name", "rig"));
	release_refused(hcert, kp, &o, 403, "VtpmStatementInvalid");
	t_hgs_call_ok(adm, "/v1/admin/platforms/enable", json_pack("{s:s}", "name", "rig"));
	assert_int_equal(release_gen(hcert, kp, &o), 10);
	vm2_status_gen(10);

	free(kp);
	free(hcert);
	free(kcert);
	host_free(&h);
	host_free(&k);
}

/*
 * The TK roll of a vtpm-in-enclave KP (a start's roll, or a migration's):
 * the roll release keeps flag bit 1 beside the roll's bit 0, so the
 * rolled key stays vTPM-only in the enclave (SEAL/UNSEAL refused). Last:
 * the roll leaves VM1 at a pending version.
 */
static void test_roll_release_keeps_vtpm_bit(void **state)
{
	struct er_opts hv = { 0 };
	struct vms_health_cert_info hi;
	struct vms_kr_binding b;
	struct host h;
	char *hcert, *kp;
	uint8_t tk[32], *blob;
	const char *rel;
	json_t *r;
	size_t len;

	(void)state;
	ensure_platform();
	host_new(&h, "hv-roll-host");
	hcert = attest_cert(&h, &hv, &hi);
	assert_int_equal(hi.placement, VMSHIELD_PLACEMENT_HYPERVISOR);
	kp = make_kp_vtpm(tk);
	r = t_hgs_call(cli, "/v1/kps/release",
		       json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "health_certificate", hcert,
				 "key_protector", kp, "vm_id", VM1,
				 "enclave_challenge", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
				 "challenge_ns", 1, "roll", 1), 200, "Passed");
	rel = json_string_value(json_object_get(r, "key_release"));
	assert_int_equal(vms_b64_decode(rel, strlen(rel), VMS_KR_ROLL_MAX_LEN, &blob, &len), 0);
	assert_int_equal(vms_kr_parse_roll(blob, len, &b, NULL), 0);
	assert_int_equal(b.flags, VMS_KR_FLAG_ROLL | VMS_KR_F_VTPM_IN_ENCLAVE);
	free(blob);
	json_decref(r);
	free(kp);
	free(hcert);
	host_free(&h);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_platform_admin),
		cmocka_unit_test(test_kp_requires_hypervisor),
		cmocka_unit_test(test_hypervisor_on_unlocked_host),
		cmocka_unit_test(test_refuse_hypervisor_report_without_enclave_report),
		cmocka_unit_test(test_refuse_kernel_report_with_enclave_report),
		cmocka_unit_test(test_refuse_unregistered_platform_key),
		cmocka_unit_test(test_refuse_report_signed_by_other_key),
		cmocka_unit_test(test_refuse_report_other_nonce),
		cmocka_unit_test(test_refuse_report_other_enclave_key),
		cmocka_unit_test(test_refuse_kps_key_named_by_root),
		cmocka_unit_test(test_refuse_unapproved_program),
		cmocka_unit_test(test_refuse_malformed_report),
		cmocka_unit_test(test_platform_disabled_and_policy),
		cmocka_unit_test(test_vtpm_generation),
		cmocka_unit_test(test_roll_release_keeps_vtpm_bit),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
