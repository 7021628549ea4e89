// SPDX-License-Identifier: GPL-2.0
/*
 * test_hgsd_tpm.c - TPM-mode attestation end to end on the outer machine:
 * a real hgsd on 127.0.0.1 and a real TPM 2.0 (swtpm, provisioned by
 * swtpm_setup with an RSA EK and an EK certificate from a local CA made
 * here), the host side through vms_host_tpm (tpm2-tss, swtpm TCTI) and
 * vms_hgs_attest_tpm() - the code hgs-agent runs.
 *
 * The evidence is the rig's captured boot event log and IMA list
 * (tests/data/tpm/): their events are extended into this swtpm's PCRs
 * 0-7 and 10 first, so this TPM's quotes cover exactly those logs (the
 * enclave key certified is the one the rig's module measured). Fresh
 * quotes, fresh credentials, every time.
 *
 * Checked: the happy path (certificate mode tpm, binding ima-entry,
 * `openssl verify`, a KPS release for a KP that demands TPM mode) and the
 * refusals at this layer, each with its code: unregistered host and EK,
 * EK conflict at registration, EK certificate chain (pinned) and another
 * EK afterwards, credential not activated, replayed nonce, challenge of
 * another host, no baseline, a baseline that differs (with the event
 * named), qualifying data over another enclave key (IMA binding), the
 * stored reset count and clock ahead of the TPM (rolled back), a
 * runtime allowlist that does not list every measured file, a PCR value
 * flipped, a bad body, IMA appraisal with approved IMA keys and the
 * `shieldctl hgs ima-key` commands, an enclave report next to the
 * kernel-placement report (EnclaveReportUnexpected), and the KPS key: the
 * report from before the capture named HGS's key is not the last entry
 * (ImaReportMismatch), a last entry root forged naming its own key
 * (KpsKeyMismatch) or none (KpsKeyNotNamed) is refused. Only 127.0.0.1
 * is contacted.
 */
#include "testutil.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vms_b64.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_cert.h"
#include "vms_hgs_client.h"
#include "vms_hgs_tpm_client.h"
#include "vms_host_tpm.h"
#include "vms_ima_log.h"
#include "vms_kp.h"
#include "vms_tpm_baseline.h"
#include "vms_tpm_eventlog.h"
#include "vms_tpm_quote.h"
#include "vms_x509.h"
#include "enclave_testreport.h"
#include "hgsd_fixture.h"
#include "keyrelease.h"
#include "swtpm_fixture.h"
#include "tpm_data.h"
#include "tpm_exchange.h"

extern char **environ;

/* mkdtemp() fills in the XXXXXX: not const */
static char dir[] = { "/tmp/vms-hgsd-tpm-XXXXXX" };
static char data[4096];
static struct t_swtpm swtpm = { .pid = -1 };
static struct t_hgsd hgsd = { .pid = -1 };
static struct vms_hgs_client *cli, *adm;	/* hgsd's, while it runs */
static struct vms_host_tpm *tpm;
static char report[VMS_REPORT_MAX + 1];
static uint8_t enclave_pk[32];
static char bios[4200], imal[4200], baseline_json_path[4200];

/* ---------- calls ---------- */

static char *file_b64(const char *path)
{
	uint8_t *buf;
	size_t len;
	char *b;

	assert_int_equal(vms_read_file(path, 1 << 20, &buf, &len), 0);
	b = vms_b64_encode(buf, len);
	free(buf);
	return b;
}

static char *our_ek_b64(void)
{
	uint8_t *ek;
	size_t len;
	char *b;

	assert_int_equal(vms_host_tpm_ek_public(tpm, &ek, &len), 0);
	b = vms_b64_encode(ek, len);
	free(ek);
	return b;
}

static void register_ek(const char *host, const char *cls)
{
	char *ek = our_ek_b64();

	t_hgs_call_ok(adm, "/v1/admin/hosts/add", json_pack("{s:s, s:s, s:s}", "name", host,
						      "ek_public", ek, "hardware_class", cls));
	free(ek);
}

static void set_policy(const char *name, const char *value)
{
	t_hgs_call_ok(adm, "/v1/admin/policy/set", json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* The whole exchange as the agent runs it; the last answer. */
static json_t *attest_as(const char *host, long want_http, const char *want_sub)
{
	struct vms_tpm_attest_input in = {
		.host = host, .enclave_pk = enclave_pk, .report = report,
		.event_log_path = bios, .ima_log_path = imal,
	};
	char err[128];
	json_t *resp = NULL;
	long http = 0;
	int r = vms_hgs_attest_tpm(cli, tpm, &in, &http, &resp, err);

	if (r)
		fail_msg("attest: error %d (%s) %s", r, err, vms_hgs_client_error(cli));
	if (http != want_http || strcmp(vms_hgs_substatus(resp), want_sub)) {
		char *s = json_dumps(resp, JSON_COMPACT);

		fail_msg("attest %s: got HTTP %ld %s, want %ld %s", host, http, s ? s : "?",
			 want_http, want_sub);
	}
	return resp;
}

/*
 * The same exchange by hand, so a test can change one thing in the final
 * request before sending it (@mutate), or answer for another host.
 */
struct manual {
	json_t *req;	/* the final request, ready to send */
	uint8_t pk[32];
};

static void manual_build(const char *host, const uint8_t pk[32], const char *rep,
			 struct manual *m)
{
	m->req = t_tpm_answer(cli, tpm, host, pk, rep, bios, imal);
}

/* Flip one bit in base64 field @f of @req. */
static void flip_b64(json_t *req, const char *f, size_t byte)
{
	const char *s = json_string_value(json_object_get(req, f));
	uint8_t *p;
	size_t n;
	char *b;

	assert_int_equal(vms_b64_decode(s, strlen(s), 1 << 24, &p, &n), 0);
	assert_true(byte < n);
	p[byte] ^= 0x01;
	b = vms_b64_encode(p, n);
	json_object_set_new(req, f, json_string(b));
	free(b);
	free(p);
}

static json_t *send_expect(json_t *req, long http, const char *sub)
{
	return t_hgs_call(cli, "/v1/attest/tpm", req, http, sub);
}

/* ---------- setup ---------- */


static int group_setup(void **state)
{
	char conf[600], path[4200];
	uint8_t *txt;
	size_t len;
	struct vms_isolation_report rep;

	(void)state;
	t_tpm_path("", path, sizeof(path));
	if (!realpath(path, data))
		return -1;
	snprintf(bios, sizeof(bios), "%s/bios_measurements.bin", data);
	snprintf(imal, sizeof(imal), "%s/ima_measurements.bin", data);
	snprintf(path, sizeof(path), "%s/report.txt", data);
	if (vms_read_file(path, VMS_REPORT_MAX, &txt, &len))
		return -1;
	while (len && (txt[len - 1] == '\n'))
		len--;
	memcpy(report, txt, len);
	report[len] = 0;
	free(txt);
	if (vms_report_parse(report, len, &rep))
		return -1;
	memcpy(enclave_pk, rep.enclave_pk, 32);

	if (!mkdtemp(dir))
		return -1;
	/* before chdir: a relative HGSD_BIN is the build tree's */
	snprintf(path, sizeof(path), "%s/hgs", dir);
	snprintf(conf, sizeof(conf),
		 "nonce_ttl_s = 30\nthreads = 2\ntpm_ek_roots = %s/roots\n", dir);
	if (t_hgsd_init(&hgsd, path, conf) || t_tpm_use_captured_signer(path))
		return -1;
	if (chdir(dir) || mkdir("tpm", 0700) || mkdir("roots", 0700))
		return -1;
	snprintf(path, sizeof(path), "%s/tpm", dir);
	if (t_swtpm_start(&swtpm, dir, path))
		return -1;
	if (t_tpm_replay_logs(bios, imal)) {
		fprintf(stderr, "# replaying the captured logs into the swtpm failed\n");
		return -1;
	}
	/* EK certificate roots: the local CA's root and its issuer */
	if (t_run("cp ca/swtpm-localca-rootca-cert.pem ca/issuercert.pem roots/") ||
	    t_run("tpm2_nvread 0x1c00002 -o ekcert_rsa.der"))
		return -1;
	if (t_hgsd_start(&hgsd))
		return -1;
	cli = hgsd.cli;
	adm = hgsd.adm;
	{
		uint8_t kps[32];
		char hex[65];

		t_hgs_kps_key(cli, kps);
		vms_hex_encode(kps, 32, hex);
		print_message("# this HGS's KPS key (the capture names it): %s\n", hex);
	}
	if (vms_host_tpm_open(&tpm, swtpm.tcti))
		return -1;
	/* the reference baseline: this very boot, as an admin captures it */
	{
		struct vms_tpm_eventlog log = { 0 };
		struct vms_baseline b = { 0 };
		uint8_t *buf;
		char *js;

		if (vms_read_file(bios, VMS_EVLOG_MAX_BYTES, &buf, &len) ||
		    vms_tpm_eventlog_parse(buf, len, &log))
			return -1;
		free(buf);
		if (vms_baseline_capture(&log, "rig-seabios", "qemu-q35", 1, &b))
			return -1;
		js = vms_baseline_to_json(&b);
		snprintf(baseline_json_path, sizeof(baseline_json_path), "%s/baseline.json", dir);
		if (!js || t_write_text(baseline_json_path, js))
			return -1;
		free(js);
		vms_baseline_free(&b);
		vms_tpm_eventlog_free(&log);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vms_host_tpm_close(tpm);
	t_hgsd_stop(&hgsd, SIGTERM);
	t_swtpm_stop(&swtpm);
	if (!getenv("HGSD_KEEP"))
		t_run("rm -rf %s", dir);
	return 0;
}

static void add_baseline(void)
{
	uint8_t *txt;
	size_t len;
	char *s;

	assert_int_equal(vms_read_file(baseline_json_path, 1 << 22, &txt, &len), 0);
	s = strndup((const char *)txt, len);
	free(txt);
	t_hgs_call_ok(adm, "/v1/admin/baselines/add", json_pack("{s:s}", "baseline", s));
	free(s);
}

/* ---------- tests (run in order: they build on each other) ---------- */

static void unregistered_host_refused(void **state)
{
	(void)state;
	json_decref(attest_as("nobody", 403, "HostNotRegistered"));
}

static void ek_registration_and_conflict(void **state)
{
	char path[4200], *other;

	(void)state;
	register_ek("host-a", "qemu-q35");
	/* the same EK again: unchanged */
	{
		char *ek = our_ek_b64();
		json_t *r = t_hgs_call(adm, "/v1/admin/hosts/add",
				 json_pack("{s:s, s:s, s:s}", "name", "host-a", "ek_public", ek,
					   "hardware_class", "qemu-q35"), 200, "Passed");

		assert_true(json_is_true(json_object_get(r, "unchanged")));
		json_decref(r);
		free(ek);
	}
	/* another TPM's EK (the rig's) for the same host: TpmEkConflict, nothing changes */
	snprintf(path, sizeof(path), "%s/ek_rsa.pub", data);
	other = file_b64(path);
	json_decref(t_hgs_call(adm, "/v1/admin/hosts/add",
			 json_pack("{s:s, s:s}", "name", "host-a", "ek_public", other), 409,
			 "TpmEkConflict"));
	/* a host registered with the rig's EK: our TPM is not that one */
	t_hgs_call_ok(adm, "/v1/admin/hosts/add", json_pack("{s:s, s:s, s:s}", "name", "host-other",
						      "ek_public", other, "hardware_class", "qemu-q35"));
	free(other);
	json_decref(attest_as("host-other", 403, "TpmEkNotRegistered"));
	/* not a TPM2B_PUBLIC */
	json_decref(t_hgs_call(adm, "/v1/admin/hosts/add",
			 json_pack("{s:s, s:s}", "name", "host-b", "ek_public", "AAAA"), 400,
			 "InvalidRequest"));
	{
		json_t *hosts = t_hgs_call(adm, "/v1/admin/hosts", NULL, 200, "Passed"), *h;
		size_t i;
		int seen = 0;

		json_array_foreach(json_object_get(hosts, "hosts"), i, h)
			seen += !strcmp(json_string_value(json_object_get(h, "name")), "host-b");
		assert_int_equal(seen, 0);
		json_decref(hosts);
	}
}

static void no_baseline_refused(void **state)
{
	(void)state;
	json_decref(attest_as("host-a", 403, "TpmNoBaseline"));
}

/*
 * Issue 16, defect 1 end to end: the capture comes from a fixed module
 * (one level for its key), so HGS's default policy certifies it; a key
 * seen lower in its own history is refused (ImaReportLevelLower), shown
 * on the verifier by test_tpm_ima's key_history_lower_refused().
 */
static void key_level_history_clean_capture_passes(void **state)
{
	json_t *r;

	(void)state;
	add_baseline();
	set_policy("tpm_allow_key_level_history", "0");
	r = attest_as("host-a", 200, "Passed");
	assert_non_null(json_object_get(r, "health_certificate"));
	json_decref(r);
}

static void happy_path(void **state)
{
	json_t *r, *st;
	const char *cert;
	uint8_t *der;
	size_t len;
	X509 *x;
	struct vms_health_cert_info info;

	(void)state;
	add_baseline();
	r = attest_as("host-a", 200, "Passed");
	assert_string_equal(json_string_value(json_object_get(r, "attestation_mode")), "tpm");
	assert_string_equal(json_string_value(json_object_get(r, "isolation_level")),
			    "kernel-locked");
	cert = json_string_value(json_object_get(r, "health_certificate"));
	assert_int_equal(vms_b64_decode(cert, strlen(cert), 1 << 16, &der, &len), 0);
	{
		const uint8_t *p = der;

		x = d2i_X509(NULL, &p, (long)len);
	}
	assert_non_null(x);
	assert_int_equal(vms_health_cert_parse(x, &info), 0);
	assert_string_equal(info.mode, "tpm");
	assert_string_equal(info.binding, "ima-entry");
	assert_memory_equal(info.enclave_pk, enclave_pk, 32);
	assert_non_null(strstr(info.policies, "boot-baseline=rig-seabios.v1"));
	assert_non_null(strstr(info.policies, "ima-binding"));
	X509_free(x);
	free(der);
	/* `openssl verify` against the signer */
	{
		char p[128];
		FILE *f = fopen("cert.der", "w");

		assert_non_null(f);
		assert_int_equal(vms_b64_decode(cert, strlen(cert), 1 << 16, &der, &len), 0);
		fwrite(der, 1, len, f);
		fclose(f);
		free(der);
		assert_int_equal(t_run("openssl x509 -inform der -in cert.der -out cert.pem"), 0);
		snprintf(p, sizeof(p), "%s/hgs/signer.pem", dir);
		assert_int_equal(t_run("openssl verify -CAfile %s cert.pem", p), 0);
	}
	/* the event log shows it (events are written in the background) */
	{
		int seen = 0, tries;

		for (tries = 0; tries < 100 && !seen; tries++) {
			json_t *ev;
			size_t k;

			st = t_hgs_call(adm, "/v1/admin/events", NULL, 200, "Passed");
			json_array_foreach(json_object_get(st, "events"), k, ev) {
				const char *res = json_string_value(json_object_get(ev, "result"));
				const char *hn = json_string_value(json_object_get(ev, "host"));

				seen |= res && hn && !strcmp(res, "Passed") && !strcmp(hn, "host-a");
			}
			json_decref(st);
			if (!seen)
				usleep(100 * 1000);
		}
		assert_true(seen);
	}
	/* KPS: a KP that demands TPM mode is released to this certificate */
	{
		struct vms_guardian owner, hgs_g;
		struct vms_kp_info bind = { .policy = VMS_KR_POLICY_SHIELDED,
					    .min_attestation = VMS_KP_ATTEST_TPM };
		json_t *md = t_hgs_call(cli, "/v1/metadata", NULL, 200, "Passed"), *rel;
		const char *pem = json_string_value(json_object_get(
			json_array_get(json_object_get(md, "guardians"), 0), "certificates"));
		uint8_t tk[32], *kp;
		size_t kplen;
		char *kp64;

		assert_int_equal(vms_guardian_new("tenant", 30, &owner), 0);
		assert_int_equal(vms_guardian_from_pem(pem, strlen(pem), NULL, &hgs_g), 0);
		assert_int_equal(vms_uuid_parse("6f1c2a5e-930d-4b71-8a42-0c5de177309b", bind.vm_id), 0);
		t_random(bind.key_id, 16);
		t_random(tk, 32);
		assert_int_equal(vms_kp_create_ex(&owner, &hgs_g.enc_cert, 1, &bind, tk, &kp,
						  &kplen), 0);
		kp64 = vms_b64_encode(kp, kplen);
		/* an approved worker is needed for a shielded release */
		t_hgs_call_ok(adm, "/v1/admin/workers/add", json_pack("{s:s}", "digest",
			"1111111111111111111111111111111111111111111111111111111111111111"));
		rel = t_hgs_call(cli, "/v1/kps/release",
			   json_pack("{s:s, s:s, s:s, s:s, s:i}", "health_certificate", cert,
				     "key_protector", kp64, "vm_id",
				     "6f1c2a5e-930d-4b71-8a42-0c5de177309b",
				     "enclave_challenge", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
				     "challenge_ns", 1), 200, "Passed");
		assert_non_null(json_object_get(rel, "key_release"));
		json_decref(rel);
		free(kp64);
		free(kp);
		json_decref(md);
		vms_guardian_free(&owner);
		vms_guardian_free(&hgs_g);
	}
	json_decref(r);
}

static void replayed_request_refused(void **state)
{
	struct manual m;
	json_t *again;

	(void)state;
	manual_build("host-a", enclave_pk, report, &m);
	again = json_deep_copy(m.req);
	json_decref(send_expect(m.req, 200, "Passed"));
	json_decref(send_expect(again, 403, "NonceReplayed"));
}

/*
 * TPM mode with an enclave report (the hypervisor placement): the quote
 * and the module's IMA entry prove the host and name the enclave key; the
 * report signed by a registered emulated platform must name the same key
 * and this nonce. Refused without changing anything, then passed.
 */
static json_t *tpm_with_enclave_report(EVP_PKEY *plat, const uint8_t *named_key,
				       long http, const char *sub)
{
	struct vms_enclave_report r;
	char body[VMS_ER_BODY_MAX + 1], *b64b, *b64s;
	uint8_t sig[VMS_ER_SIG_MAX], *nonce;
	const char *nb;
	struct manual m;
	size_t blen, slen, nlen;
	json_t *ans;

	manual_build("host-a", enclave_pk, report, &m);
	nb = json_string_value(json_object_get(m.req, "nonce"));
	assert_int_equal(vms_b64_decode(nb, strlen(nb), 32, &nonce, &nlen), 0);
	t_er_facts(plat, &r);
	memcpy(r.nonce, nonce, 32);
	memcpy(r.enclave_key, named_key, 32);
	blen = t_er_body(&r, body, sizeof(body));
	slen = t_er_sign(plat, body, blen, 0, sig);
	b64b = vms_b64_encode((uint8_t *)body, blen);
	b64s = vms_b64_encode(sig, slen);
	json_object_set_new(m.req, "enclave_report", json_pack("{s:s, s:s}", "body", b64b,
								"sig", b64s));
	ans = send_expect(m.req, http, sub);
	if (http != 200)
		assert_null(json_object_get(ans, "health_certificate"));
	free(b64b);
	free(b64s);
	free(nonce);
	return ans;
}

/* The agent's hook: the enclave report for HGS's nonce, signed by @arg's key. */
static int report_for_nonce(void *arg, const uint8_t nonce[32], uint8_t **body, size_t *blen,
			    uint8_t **sig, size_t *slen)
{
	struct vms_enclave_report r;

	t_er_facts(arg, &r);
	memcpy(r.nonce, nonce, 32);
	memcpy(r.enclave_key, enclave_pk, 32);
	*body = t_malloc(VMS_ER_BODY_MAX + 1);
	*sig = t_malloc(VMS_ER_SIG_MAX);
	*blen = t_er_body(&r, (char *)*body, VMS_ER_BODY_MAX + 1);
	*slen = t_er_sign(arg, *body, *blen, 0, *sig);
	return 0;
}

/*
 * The rig's report was measured in placement kernel: an enclave report
 * next to it is refused (EnclaveReportUnexpected) before any platform
 * check, whether the platform is registered or not, and whatever key it
 * names; no certificate. Without it the same host passes, placement
 * kernel. (TPM mode with a genuine placement-hypervisor report and its
 * enclave report: fabric 05-hyp-tpm.)
 */
static void enclave_report_in_tpm_mode(void **state)
{
	EVP_PKEY *plat = vms_pkey_gen_p256();
	uint8_t other[32];
	char *pem = NULL;
	json_t *a;

	(void)state;
	assert_non_null(plat);
	json_decref(tpm_with_enclave_report(plat, enclave_pk, 403, "EnclaveReportUnexpected"));
	assert_int_equal(vms_pkey_to_pem(plat, &pem), 0);
	t_hgs_call_ok(adm, "/v1/admin/platforms/add",
		      json_pack("{s:s, s:s, s:s}", "type", "emulated", "name", "tpm-rig",
				"public_key", pem));
	free(pem);
	t_random(other, 32);
	json_decref(tpm_with_enclave_report(plat, other, 403, "EnclaveReportUnexpected"));
	a = tpm_with_enclave_report(plat, enclave_pk, 403, "EnclaveReportUnexpected");
	assert_null(json_object_get(a, "placement"));
	json_decref(a);
	/* the client's hook (what hgs-agent calls) sends it too: refused alike */
	{
		struct vms_tpm_attest_input in = {
			.host = "host-a", .enclave_pk = enclave_pk, .report = report,
			.event_log_path = bios, .ima_log_path = imal,
			.enclave_report = report_for_nonce, .enclave_report_arg = plat,
		};
		char err[128];
		long http = 0;

		assert_int_equal(vms_hgs_attest_tpm(cli, tpm, &in, &http, &a, err), 0);
		assert_int_equal(http, 403);
		assert_string_equal(vms_hgs_substatus(a), "EnclaveReportUnexpected");
		assert_null(json_object_get(a, "health_certificate"));
		json_decref(a);
	}
	/* without the report, the same host is kernel placement */
	a = attest_as("host-a", 200, "Passed");
	assert_string_equal(json_string_value(json_object_get(a, "placement")), "kernel");
	json_decref(a);
	t_hgs_call_ok(adm, "/v1/admin/platforms/remove", json_pack("{s:s}", "name", "tpm-rig"));
	EVP_PKEY_free(plat);
}

static void credential_not_activated_refused(void **state)
{
	struct manual m;

	(void)state;
	manual_build("host-a", enclave_pk, report, &m);
	flip_b64(m.req, "activated_credential", 3);
	json_decref(send_expect(m.req, 403, "TpmAkNotActivated"));
}

static void challenge_of_other_host_refused(void **state)
{
	struct manual m;

	(void)state;
	/* one TPM is one host: lend host-a's TPM to host-c for the challenge */
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-a"));
	register_ek("host-c", "qemu-q35");
	manual_build("host-c", enclave_pk, report, &m);
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-c"));
	register_ek("host-a", "qemu-q35");
	json_object_set_new(m.req, "host", json_string("host-a"));
	json_decref(send_expect(m.req, 403, "NonceSessionMismatch"));
}

/*
 * Issue 22 item 5: an answer with the right session but a wrong nonce is
 * refused and spends nothing; the genuine answer then passes (it used
 * to meet a misleading NonceSessionMismatch).
 */
static void wrong_nonce_keeps_the_challenge(void **state)
{
	struct manual m;
	json_t *bad;

	(void)state;
	manual_build("host-a", enclave_pk, report, &m);
	bad = json_deep_copy(m.req);
	assert_non_null(bad);
	flip_b64(bad, "nonce", 7);
	json_decref(send_expect(bad, 403, "NonceUnknown"));
	json_decref(send_expect(m.req, 200, "Passed"));
}

/*
 * Issue 22 item 5c: outstanding challenges are bounded per host (4): a
 * fifth replaces the oldest, whose answer is then refused; memory grows
 * with the hosts registered, not with what anonymous clients ask for.
 */
static void challenges_bounded_per_host(void **state)
{
	uint8_t *ek, *ak, name[34];
	size_t ekl, akl, nl;
	struct manual m;
	char *b[2];
	json_t *r;
	int i;

	(void)state;
	manual_build("host-a", enclave_pk, report, &m);
	assert_int_equal(vms_host_tpm_ek_public(tpm, &ek, &ekl), 0);
	assert_int_equal(vms_host_tpm_ak_public(tpm, &ak, &akl, name, &nl), 0);
	b[0] = vms_b64_encode(ek, ekl);
	b[1] = vms_b64_encode(ak, akl);
	for (i = 0; i < 4; i++)
		json_decref(t_hgs_call(cli, "/v1/attest/tpm/challenge",
				       json_pack("{s:s, s:s, s:s}", "host", "host-a",
						 "ek_public", b[0], "ak_public", b[1]),
				       200, "Passed"));
	free(b[0]);
	free(b[1]);
	free(ek);
	free(ak);
	r = send_expect(m.req, 403, "NonceSessionMismatch");
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")), "replaced"));
	json_decref(r);
	manual_build("host-a", enclave_pk, report, &m);
	json_decref(send_expect(m.req, 200, "Passed"));
}

static void pcr_value_flip_refused(void **state)
{
	struct manual m;

	(void)state;
	manual_build("host-a", enclave_pk, report, &m);
	flip_b64(m.req, "pcr_values", 40);
	json_decref(send_expect(m.req, 403, "TpmQuotePcrDigestMismatch"));
	manual_build("host-a", enclave_pk, report, &m);
	flip_b64(m.req, "attest", 60);
	json_decref(send_expect(m.req, 403, "TpmQuoteSignatureInvalid"));
}

/*
 * Root's own key in the qualifying data: the quote is fresh and genuine,
 * but the kernel's IMA entry names the module's key, not this one.
 */
static void forged_enclave_key_refused(void **state)
{
	struct vms_isolation_report rep;
	char forged[VMS_REPORT_MAX + 1];
	uint8_t pk[32];
	struct manual m;
	json_t *r;

	(void)state;
	assert_int_equal(vms_report_parse(report, strlen(report), &rep), 0);
	t_random(pk, 32);
	memcpy(rep.enclave_pk, pk, 32);
	assert_true(vms_report_format(&rep, forged, sizeof(forged)) > 0);
	manual_build("host-a", pk, forged, &m);
	r = send_expect(m.req, 403, "ImaReportMismatch");
	json_decref(r);
}

/*
 * Issue 22 item 2: quoted PCRs beyond 0-7 are verified too. With PCRs
 * 8-9 in the policy (a measuring boot loader's command line and initrd),
 * the boot log must replay to their quoted values: this TPM's PCR 8
 * extended with a value no event explains is refused with PCR 8 named. A
 * PCR nothing can verify (16-23) cannot be put in the policy.
 */
static void unlogged_pcr_refused(void **state)
{
	uint8_t junk[32];
	const char *detail;
	json_t *r;

	(void)state;
	add_baseline();
	set_policy("tpm_pcrs", "0-10");
	json_decref(attest_as("host-a", 200, "Passed"));
	json_decref(t_hgs_call(adm, "/v1/admin/policy/set",
			       json_pack("{s:s, s:s}", "name", "tpm_pcrs", "value", "0-10,16"),
			       400, "InvalidRequest"));
	t_random(junk, sizeof(junk));
	assert_int_equal(t_tpm_extend(8, junk), 0);
	r = attest_as("host-a", 403, "TpmEventLogReplayMismatch");
	detail = json_string_value(json_object_get(r, "detail"));
	assert_non_null(detail);
	assert_non_null(strstr(detail, "PCR 8 "));
	json_decref(r);
	/* PCR 8 is not quoted by the default policy: the host attests again */
	set_policy("tpm_pcrs", "0-7,10");
	json_decref(attest_as("host-a", 200, "Passed"));
}

static void baseline_mismatch_names_the_event(void **state)
{
	uint8_t *txt;
	size_t len;
	char *s, *p;
	json_t *r;

	(void)state;
	/* version 2 of the baseline with one digest changed: it replaces v1 */
	assert_int_equal(vms_read_file(baseline_json_path, 1 << 22, &txt, &len), 0);
	s = strndup((const char *)txt, len);
	free(txt);
	p = strstr(s, "\"version\": 1");
	if (!p)
		p = strstr(s, "\"version\":1");
	assert_non_null(p);
	p = strchr(p, '1');
	*p = '2';
	p = strstr(s, "\"sha256\": \"");
	if (!p)
		p = strstr(s, "\"sha256\":\"");
	assert_non_null(p);
	p = strchr(p + 8, '"') + 1;
	*p = *p == '0' ? '1' : '0';
	t_hgs_call_ok(adm, "/v1/admin/baselines/add", json_pack("{s:s}", "baseline", s));
	free(s);
	r = attest_as("host-a", 403, "TpmBaselineMismatch");
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")) ?
			       json_string_value(json_object_get(r, "detail")) :
			       json_string_value(json_object_get(r, "message")), "event 0"));
	json_decref(r);
	/* disabled: no baseline at all for the class */
	t_hgs_call_ok(adm, "/v1/admin/baselines/disable", json_pack("{s:s}", "name", "rig-seabios"));
	json_decref(attest_as("host-a", 403, "TpmNoBaseline"));
	/* the right one under another name */
	{
		char cmd[8400];

		snprintf(cmd, sizeof(cmd), "sed -i s/rig-seabios/rig-seabios-b/ %s",
			 baseline_json_path);
		assert_int_equal(t_run("%s", cmd), 0);
	}
	add_baseline();
	json_decref(attest_as("host-a", 200, "Passed"));
}

static void runtime_allowlist(void **state)
{
	struct vms_ima_log ima = { 0 };
	json_t *entries = json_array(), *r;
	uint8_t *buf;
	size_t len, i;
	char hex[65];

	(void)state;
	set_policy("tpm_runtime_allowlist", "1");
	r = attest_as("host-a", 403, "PolicyExecutableNotAllowed");
	json_decref(r);
	/* approve every file the quoted list measured */
	assert_int_equal(vms_read_file(imal, VMS_IMA_MAX_BYTES, &buf, &len), 0);
	assert_int_equal(vms_ima_log_parse(buf, len, &ima), 0);
	free(buf);
	for (i = 0; i < ima.n; i++) {
		if (!vms_ima_entry_is_file(&ima.e[i]) || ima.e[i].digest_len != 32)
			continue;
		vms_hex_encode(ima.e[i].digest, 32, hex);
		json_array_append_new(entries, json_pack("{s:s, s:s}", "digest", hex,
							 "description", ima.e[i].name));
	}
	vms_ima_log_free(&ima);
	t_hgs_call_ok(adm, "/v1/admin/tpm/digests/add", json_pack("{s:s, s:o}", "kind", "allow",
							    "entries", entries));
	json_decref(attest_as("host-a", 200, "Passed"));
	set_policy("tpm_runtime_allowlist", "0");
}

/*
 * The stored counters: a TPM whose reset count or clock is behind what HGS
 * saw last (a rolled-back or replayed TPM state) is refused. The store is
 * moved ahead behind hgsd's back (t_hgsd_sql), as a TPM cannot be moved back.
 */
static void counters_never_go_backwards(void **state)
{
	(void)state;
	assert_int_equal(t_hgsd_sql(&hgsd,
		"UPDATE tpm_clock SET reset_count = reset_count + 1 WHERE host = 'host-a'"), 0);
	json_decref(attest_as("host-a", 403, "TpmResetCountWentBackwards"));
	assert_int_equal(t_hgsd_sql(&hgsd,
		"UPDATE tpm_clock SET reset_count = reset_count - 1, clock = clock + 100000000 WHERE host = 'host-a'"), 0);
	json_decref(attest_as("host-a", 403, "TpmClockWentBackwards"));
	assert_int_equal(t_hgsd_sql(&hgsd,
		"UPDATE tpm_clock SET clock = clock - 100000000 WHERE host = 'host-a'"), 0);
	json_decref(attest_as("host-a", 200, "Passed"));
}

/* A host without a registered EK, vouched for by its EK certificate. */
static void ek_certificate_pins_the_ek(void **state)
{
	struct vms_tpm_attest_input in = {
		.host = "host-cert", .enclave_pk = enclave_pk, .report = report,
		.event_log_path = bios, .ima_log_path = imal,
	};
	uint8_t *cert;
	size_t clen;
	char err[128];
	json_t *resp, *hosts, *h;
	long http;
	size_t i;
	int pinned = 0;
	char path[4200], *other;

	(void)state;
	/* registered by a host key only (as for host-key mode) */
	{
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		BIO *b = BIO_new(BIO_s_mem());
		char *pem;
		long n;

		assert_non_null(k);
		PEM_write_bio_PUBKEY(b, k);
		n = BIO_get_mem_data(b, &pem);
		t_hgs_call_ok(adm, "/v1/admin/hosts/add", json_pack("{s:s, s:s%}", "name", "host-cert",
							      "public_key", pem, (size_t)n));
		BIO_free(b);
		EVP_PKEY_free(k);
	}
	/* without the certificate: not registered */
	json_decref(attest_as("host-cert", 403, "TpmEkNotRegistered"));
	assert_int_equal(vms_read_file("ekcert_rsa.der", 8192, &cert, &clen), 0);
	in.ek_cert = cert;
	in.ek_cert_len = clen;
	/*
	 * Issue 22 item 4: this TPM is host-a's. Pinning it to host-cert by
	 * its certificate, or registering it there by hand, would make one TPM
	 * attest as two hosts: TpmEkInUse, and host-cert keeps no EK.
	 */
	assert_int_equal(vms_hgs_attest_tpm(cli, tpm, &in, &http, &resp, err), 0);
	assert_string_equal(vms_hgs_substatus(resp), "TpmEkInUse");
	assert_int_equal(http, 409);
	json_decref(resp);
	{
		char *ek = our_ek_b64();

		json_decref(t_hgs_call(adm, "/v1/admin/hosts/add",
				 json_pack("{s:s, s:s}", "name", "host-cert", "ek_public", ek), 409,
				 "TpmEkInUse"));
		free(ek);
	}
	hosts = t_hgs_call(adm, "/v1/admin/hosts", NULL, 200, "Passed");
	json_array_foreach(json_object_get(hosts, "hosts"), i, h)
		if (!strcmp(json_string_value(json_object_get(h, "name")), "host-cert"))
			pinned = strlen(json_string_value(json_object_get(h, "ek_fpr"))) != 0;
	json_decref(hosts);
	assert_false(pinned);
	/* the TPM moves: host-a removed, now it can be pinned to host-cert */
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-a"));
	/*
	 * a certificate of this TPM, for this EK: the EK is trusted and pinned
	 * (class "default": no baseline, so the attestation itself stops there)
	 */
	assert_int_equal(vms_hgs_attest_tpm(cli, tpm, &in, &http, &resp, err), 0);
	assert_string_equal(vms_hgs_substatus(resp), "TpmNoBaseline");
	json_decref(resp);
	hosts = t_hgs_call(adm, "/v1/admin/hosts", NULL, 200, "Passed");
	json_array_foreach(json_object_get(hosts, "hosts"), i, h)
		if (!strcmp(json_string_value(json_object_get(h, "name")), "host-cert"))
			pinned = strlen(json_string_value(json_object_get(h, "ek_fpr"))) == 64;
	json_decref(hosts);
	assert_true(pinned);
	free(cert);
	/* now another EK for that host is a conflict */
	snprintf(path, sizeof(path), "%s/ek_rsa.pub", data);
	other = file_b64(path);
	json_decref(t_hgs_call(adm, "/v1/admin/hosts/add",
			 json_pack("{s:s, s:s}", "name", "host-cert", "ek_public", other), 409,
			 "TpmEkConflict"));
	free(other);
	/* and back to host-a, for the tests after this one */
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-cert"));
	register_ek("host-a", "qemu-q35");
}

static void bad_bodies_refused(void **state)
{
	json_t *req;

	(void)state;
	json_decref(t_hgs_call(cli, "/v1/attest/tpm/challenge", json_pack("{s:s}", "host", "host-a"),
			 400, "InvalidRequest"));
	json_decref(t_hgs_call(cli, "/v1/attest/tpm/challenge",
			 json_pack("{s:s, s:s, s:s}", "host", "host-a", "ek_public", "!!",
				   "ak_public", "AAAA"), 400, "InvalidRequest"));
	/* the EK as the AK: not a restricted signing key */
	{
		char *ek = our_ek_b64();

		json_decref(t_hgs_call(cli, "/v1/attest/tpm/challenge",
				 json_pack("{s:s, s:s, s:s}", "host", "host-a", "ek_public", ek,
					   "ak_public", ek), 400, "TpmAkInvalid"));
		free(ek);
	}
	/*
	 * Issue 22 item 5: an over-length field says so (it used to read "not
	 * valid base64"): 641 bytes encoded in 856 characters, the encoded
	 * bound of 640 bytes, and 1000 bytes over the character bound.
	 */
	{
		static const size_t sizes[] = { 641, 1000 };
		uint8_t big[1000] = { 0 };
		const char *detail;
		size_t k;

		for (k = 0; k < ARRAY_SIZE(sizes); k++) {
			char *b64 = vms_b64_encode(big, sizes[k]);
			json_t *r;

			r = t_hgs_call(cli, "/v1/attest/tpm/challenge",
				       json_pack("{s:s, s:s, s:s}", "host", "host-a", "ek_public", b64,
						 "ak_public", "AAAA"), 400, "InvalidRequest");
			detail = json_string_value(json_object_get(r, "detail"));
			assert_non_null(detail);
			assert_non_null(strstr(detail, "'ek_public' is too large"));
			json_decref(r);
			free(b64);
		}
	}
	req = json_pack("{s:s}", "session", "00");
	json_decref(t_hgs_call(cli, "/v1/attest/tpm", req, 400, "InvalidRequest"));
	/* the service still answers */
	json_decref(attest_as("host-a", 200, "Passed"));
}

/* The admin CLI over the same hgsd: capture, add, list, register by EK. */
static void shieldctl_admin_commands(void **state)
{
	const char *bin = getenv("SHIELDCTL_BIN");
	char sctl[4200], sock[128], cmd[16384];
	uint8_t *ek;
	size_t len;
	json_t *r, *b;
	size_t i;
	int found = 0;

	(void)state;
	if (!realpath(bin ? bin : "../build/bin/shieldctl", sctl))
		skip();
	snprintf(sock, sizeof(sock), "%s/hgs/admin.sock", dir);
	setenv("HGSD_ADMIN_SOCKET", sock, 1);
	snprintf(cmd, sizeof(cmd),
		 "%s hgs baseline capture --log %s --name cli-base --class cli --version 3 --out cli.json",
		 sctl, bios);
	assert_int_equal(t_run("%s", cmd), 0);
	/* a file that is not an event log: refused, nothing written */
	snprintf(cmd, sizeof(cmd),
		 "%s hgs baseline capture --log %s --name x --class cli --out bad.json",
		 sctl, imal);
	assert_int_not_equal(t_run("%s", cmd), 0);
	assert_int_equal(access("bad.json", F_OK), -1);
	snprintf(cmd, sizeof(cmd), "%s hgs baseline add cli.json", sctl);
	assert_int_equal(t_run("%s", cmd), 0);
	r = t_hgs_call(adm, "/v1/admin/baselines", NULL, 200, "Passed");
	json_array_foreach(json_object_get(r, "baselines"), i, b)
		if (!strcmp(json_string_value(json_object_get(b, "name")), "cli-base"))
			found = json_integer_value(json_object_get(b, "version")) == 3 &&
				json_integer_value(json_object_get(b, "events")) > 0;
	json_decref(r);
	assert_true(found);
	/* register a host by EK from the file `shieldctl tpm ek` writes */
	assert_int_equal(vms_host_tpm_ek_public(tpm, &ek, &len), 0);
	assert_int_equal(vms_write_file_atomic("ek.pub", ek, len, 0644, 0), 0);
	free(ek);
	snprintf(cmd, sizeof(cmd), "%s hgs host add host-cli --ek ek.pub --class cli", sctl);
	/* host-a holds this TPM: refused (TpmEkInUse) until host-a is removed */
	assert_int_not_equal(t_run("%s", cmd), 0);
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-a"));
	assert_int_equal(t_run("%s", cmd), 0);
	json_decref(attest_as("host-cli", 200, "Passed"));
	/* the rig's EK for it: refused */
	snprintf(cmd, sizeof(cmd), "%s hgs host add host-cli --ek %s/ek_rsa.pub", sctl, data);
	assert_int_not_equal(t_run("%s", cmd), 0);
	/* a module digest from sha256sum output */
	assert_int_equal(t_write_text("mods.txt", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff  vmshield.ko\n"), 0);
	snprintf(cmd, sizeof(cmd), "%s hgs tpm-digest add --kind module mods.txt", sctl);
	assert_int_equal(t_run("%s", cmd), 0);
	assert_int_equal(t_write_text("bad.txt", "nothex  x\n"), 0);
	snprintf(cmd, sizeof(cmd), "%s hgs tpm-digest add --kind module bad.txt", sctl);
	assert_int_not_equal(t_run("%s", cmd), 0);
	/* with the module-digest policy on, that digest is not the rig's module */
	set_policy("tpm_check_module_digest", "1");
	json_decref(attest_as("host-cli", 403, "PolicyModuleNotMeasured"));
	set_policy("tpm_check_module_digest", "0");
	/* the TPM back to host-a for the tests after this one */
	t_hgs_call_ok(adm, "/v1/admin/hosts/remove", json_pack("{s:s}", "name", "host-cli"));
	register_ek("host-a", "qemu-q35");
}

/*
 * The list sent so far extended by one ima-buf entry (event @event, @buf
 * its buffer), written to @name in the scratch directory, and this TPM's
 * PCR 10 extended by it, as the kernel does (or as root can, with
 * TPM2_PCR_Extend): from here on every attestation sends that list.
 */
static void append_ima_buf(const char *event, const uint8_t *buf, size_t blen,
			   const char *name)
{
	static char longer[2][4200];
	static int which;
	static const char tname[] = "ima-buf";
	uint8_t *list, *out, rec[4096], tmpl256[32];
	size_t llen, n = 0, o;
	uint32_t u;

	assert_true(blen + strlen(event) + 64 < sizeof(rec));
	assert_int_equal(vms_read_file(imal, VMS_IMA_MAX_BYTES, &list, &llen), 0);
	u = 8 + 32;
	memcpy(rec, &u, 4);
	memcpy(rec + 4, "sha256:", 8);
	EVP_Digest(buf, blen, rec + 12, NULL, EVP_sha256(), NULL);
	n = 4 + u;
	u = (uint32_t)strlen(event) + 1;
	memcpy(rec + n, &u, 4);
	memcpy(rec + n + 4, event, u);
	n += 4 + u;
	u = (uint32_t)blen;
	memcpy(rec + n, &u, 4);
	memcpy(rec + n + 4, buf, blen);
	n += 4 + blen;
	out = t_malloc(llen + 64 + n);
	memcpy(out, list, llen);
	free(list);
	o = llen;
	u = VMS_IMA_PCR;
	memcpy(out + o, &u, 4);
	EVP_Digest(rec, n, out + o + 4, NULL, EVP_sha1(), NULL);
	o += 24;
	u = sizeof(tname) - 1;
	memcpy(out + o, &u, 4);
	memcpy(out + o + 4, tname, u);
	o += 4 + u;
	u = (uint32_t)n;
	memcpy(out + o, &u, 4);
	memcpy(out + o + 4, rec, n);
	o += 4 + n;
	/* imal may be the other buffer: alternate between the two */
	which ^= 1;
	snprintf(longer[which], sizeof(longer[which]), "%.100s/%s", dir, name);
	assert_int_equal(vms_write_file_atomic(longer[which], out, o, 0644, 0), 0);
	free(out);
	EVP_Digest(rec, n, tmpl256, NULL, EVP_sha256(), NULL);
	assert_int_equal(t_tpm_extend(VMS_IMA_PCR, tmpl256), 0);
	snprintf(imal, sizeof(imal), "%s", longer[which]);
}

/* A KEY_CHECK entry: a key loaded into the "_ima" keyring, its DER the buffer. */
static void load_ima_key_into_list(const char *der_path)
{
	uint8_t *der;
	size_t dlen;

	assert_int_equal(vms_read_file(der_path, 2048, &der, &dlen), 0);
	append_ima_buf("_ima", der, dlen, "ima_with_key.bin");
	free(der);
}

static size_t ima_keys_approved(void)
{
	json_t *r = t_hgs_call(adm, "/v1/admin/tpm/ima-keys", NULL, 200, "Passed");
	size_t n = json_array_size(json_object_get(r, "ima_keys"));

	json_decref(r);
	return n;
}

static void attest_refused_with(const char *sub, const char *detail)
{
	json_t *r = attest_as("host-a", 403, sub);
	const char *d = json_string_value(json_object_get(r, "detail"));

	if (!d || !strstr(d, detail))
		fail_msg("detail '%s', want '%s'", d ? d : "(none)", detail);
	json_decref(r);
}

/*
 * tpm_require_ima_appraisal against a real hgsd: fails closed with no
 * approved key; a key the host's list shows loaded but HGS has not
 * approved is named; once approved (`shieldctl hgs ima-key add`), the
 * check moves on to the files, which the rig measured unsigned. The
 * ima-key commands and their refusals, with no change of state.
 */
static void ima_appraisal_and_keys(void **state)
{
	const char *bin = getenv("SHIELDCTL_BIN");
	char sctl[4200], sock[128], hex[65], colons[100], *b64;
	uint8_t *der, fpr[32];
	size_t len, i;
	json_t *r;

	(void)state;
	if (!realpath(bin ? bin : "../build/bin/shieldctl", sctl))
		skip();
	snprintf(sock, sizeof(sock), "%s/hgs/admin.sock", dir);
	setenv("HGSD_ADMIN_SOCKET", sock, 1);
	set_policy("tpm_require_ima_appraisal", "1");
	attest_refused_with("PolicyImaAppraisalNotProven",
			    "no approved IMA key was loaded into the IMA keyring (0 approved");

	assert_int_equal(t_run("openssl req -x509 -newkey rsa:2048 -nodes -keyout ima.key -out ima.pem -subj /CN=ima-signing -days 2"), 0);
	assert_int_equal(t_run("openssl x509 -in ima.pem -outform DER -out ima.der"), 0);
	assert_int_equal(t_run("openssl req -x509 -newkey rsa:2048 -nodes -keyout noskid.key -out noskid.pem -subj /CN=noskid -days 2 -addext subjectKeyIdentifier=none"), 0);
	assert_int_equal(t_run("openssl req -x509 -newkey ed25519 -nodes -keyout ed.key -out ed.pem -subj /CN=ed -days 2"), 0);
	assert_int_equal(t_run("openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -subj /CN=weak -days 2"), 0);
	assert_int_equal(vms_read_file("ima.der", 4096, &der, &len), 0);
	EVP_Digest(der, len, fpr, NULL, EVP_sha256(), NULL);
	free(der);
	vms_hex_encode(fpr, 32, hex);
	for (i = 0; i < 32; i++)
		snprintf(colons + 3 * i, 4, "%02X%s", fpr[i], i < 31 ? ":" : "");

	/* the host loads that key into its IMA keyring: not approved */
	load_ima_key_into_list("ima.der");
	attest_refused_with("PolicyImaKeyNotApproved", hex);
	attest_refused_with("PolicyImaKeyNotApproved", "keyring _ima");

	/* refusals change nothing */
	assert_int_equal(t_write_text("notacert.pem", "hello\n"), 0);
	assert_int_not_equal(t_run("%s hgs ima-key add notacert.pem", sctl), 0);
	assert_int_not_equal(t_run("%s hgs ima-key add noskid.pem", sctl), 0);
	assert_int_not_equal(t_run("%s hgs ima-key add ed.pem", sctl), 0);
	assert_int_not_equal(t_run("%s hgs ima-key add weak.pem", sctl), 0);
	assert_int_not_equal(t_run("%s hgs ima-key add missing.pem", sctl), 0);
	assert_int_not_equal(t_run("%s hgs ima-key frobnicate", sctl), 0);
	assert_int_equal(ima_keys_approved(), 0);
	b64 = vms_b64_encode((const uint8_t *)"hello", 5);
	r = t_hgs_call(adm, "/v1/admin/tpm/ima-keys/add", json_pack("{s:s}", "certificate", b64),
		 400, "InvalidRequest");
	free(b64);
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")),
			       "must be one X.509 certificate"));
	json_decref(r);
	b64 = file_b64("noskid.pem");
	r = t_hgs_call(adm, "/v1/admin/tpm/ima-keys/add", json_pack("{s:s}", "certificate", b64),
		 400, "InvalidRequest");
	free(b64);
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")),
			       "no subjectKeyIdentifier"));
	json_decref(r);
	b64 = file_b64("weak.pem");
	r = t_hgs_call(adm, "/v1/admin/tpm/ima-keys/add", json_pack("{s:s}", "certificate", b64),
		 400, "InvalidRequest");
	free(b64);
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")),
			       "too weak to approve"));
	json_decref(r);
	assert_int_equal(ima_keys_approved(), 0);

	/* approve it (PEM); DER of the same certificate is a duplicate */
	assert_int_equal(t_run("%s hgs ima-key add ima.pem --description rig-signing", sctl), 0);
	assert_int_equal(ima_keys_approved(), 1);
	r = t_hgs_call(adm, "/v1/admin/tpm/ima-keys", NULL, 200, "Passed");
	assert_string_equal(hex, json_string_value(json_object_get(
		json_array_get(json_object_get(r, "ima_keys"), 0), "sha256")));
	assert_string_equal("rig-signing", json_string_value(json_object_get(
		json_array_get(json_object_get(r, "ima_keys"), 0), "description")));
	assert_string_equal("RSA", json_string_value(json_object_get(
		json_array_get(json_object_get(r, "ima_keys"), 0), "key_type")));
	json_decref(r);
	assert_int_not_equal(t_run("%s hgs ima-key add ima.der", sctl), 0);
	b64 = file_b64("ima.der");
	json_decref(t_hgs_call(adm, "/v1/admin/tpm/ima-keys/add", json_pack("{s:s}", "certificate", b64),
			 400, "InvalidRequest"));
	free(b64);
	assert_int_equal(ima_keys_approved(), 1);
	r = t_hgs_call(adm, "/v1/admin/audit", NULL, 200, "Passed");
	{
		json_t *row;
		int refused = 0, dup = 0, ok = 0;

		json_array_foreach(json_object_get(r, "audit"), i, row) {
			const char *act = json_string_value(json_object_get(row, "action"));
			const char *res = json_string_value(json_object_get(row, "result"));

			if (strcmp(act, "ima-key-add"))
				continue;
			refused += !strcmp(res, "refused");
			dup += !strcmp(res, "refused-duplicate");
			ok += !strcmp(res, "ok");
		}
		assert_int_equal(ok, 1);
		assert_true(dup >= 2);
		assert_true(refused >= 4);
	}
	json_decref(r);

	/* approved and shown loaded: on to the files, measured unsigned */
	attest_refused_with("PolicyImaAppraisalNotProven", "carries no IMA signature");

	/* remove (as openssl prints the fingerprint): not approved again */
	assert_int_equal(t_run("%s hgs ima-key remove %s", sctl, colons), 0);
	assert_int_equal(ima_keys_approved(), 0);
	assert_int_not_equal(t_run("%s hgs ima-key remove %s", sctl, hex), 0);
	assert_int_not_equal(t_run("%s hgs ima-key remove nothex", sctl), 0);
	attest_refused_with("PolicyImaKeyNotApproved", hex);
	set_policy("tpm_require_ima_appraisal", "0");
	json_decref(attest_as("host-a", 200, "Passed"));
}

/* `hgs-agent identity` writes the same EK the TPM holds, for registration. */
static void agent_identity_writes_the_ek(void **state)
{
	const char *bin = getenv("AGENT_BIN");
	char agent[4200], conf[512], cmd[16384];
	uint8_t *a, *b;
	size_t al, bl;

	(void)state;
	if (!realpath(bin ? bin : "../build/bin/hgs-agent", agent))
		skip();
	snprintf(conf, sizeof(conf), "host_name = host-a\nhgs_url = https://127.0.0.1:1\n"
		 "hgs_ca_file = %s/hgs/tls.pem\nattestation_mode = tpm\ntpm_tcti = %s\n",
		 dir, swtpm.tcti);
	assert_int_equal(t_write_text("agent.conf", conf), 0);
	snprintf(cmd, sizeof(cmd), "%s identity --out agent-ek.pub -c %s/agent.conf", agent, dir);
	assert_int_equal(t_run("%s", cmd), 0);
	assert_int_equal(vms_read_file("agent-ek.pub", 4096, &a, &al), 0);
	assert_int_equal(vms_host_tpm_ek_public(tpm, &b, &bl), 0);
	assert_int_equal(al, bl);
	assert_memory_equal(a, b, al);
	free(a);
	free(b);
	/* a TPM that is not there: a clear failure, no file */
	snprintf(conf, sizeof(conf), "host_name = host-a\nhgs_url = https://127.0.0.1:1\n"
		 "hgs_ca_file = %s/hgs/tls.pem\nattestation_mode = tpm\n"
		 "tpm_tcti = swtpm:host=127.0.0.1,port=1\n", dir);
	assert_int_equal(t_write_text("agent2.conf", conf), 0);
	snprintf(cmd, sizeof(cmd), "%s identity --out none.pub -c %s/agent2.conf", agent, dir);
	assert_int_not_equal(t_run("%s", cmd), 0);
	assert_int_equal(access("none.pub", F_OK), -1);
}

/*
 * Issue 17 in TPM mode. The capture named this HGS's KPS key before the
 * quotes (capture-guest.sh), so the kernel's list holds two reports of
 * one enclave key: kps_pk=none, measured at first use, then the one
 * naming the key, the last. The first is not the kernel's last word:
 * ImaReportMismatch. Root, who can extend PCR 10 itself, then appends a
 * report entry of the same enclave key naming its own KPS key
 * (KpsKeyMismatch), and one naming none (KpsKeyNotNamed): nothing is
 * certified, and the passed attestations are not counted. The captured
 * report once more, last, passes again.
 */
static void kps_key_refusals(void **state)
{
	char captured[VMS_REPORT_MAX + 1], forged[VMS_REPORT_MAX + 1];
	struct vms_isolation_report rep;
	struct vms_ima_log log = { 0 };
	uint8_t *list;
	size_t len, i;
	json_int_t passed;
	json_t *r, *st;
	int first = -1;

	(void)state;
	snprintf(captured, sizeof(captured), "%s", report);
	assert_non_null(strstr(captured, " kps_pk="));
	assert_null(strstr(captured, " kps_pk=none"));
	st = t_hgs_call(adm, "/v1/admin/status", NULL, 200, "Passed");
	passed = json_integer_value(json_object_get(json_object_get(st, "counters"),
						    "attestations_passed"));
	json_decref(st);
	/* the report from before the key was named: in the list, not last */
	assert_int_equal(vms_read_file(imal, VMS_IMA_MAX_BYTES, &list, &len), 0);
	assert_int_equal(vms_ima_log_parse(list, len, &log), 0);
	for (i = 0; i < log.n && first < 0; i++)
		if (log.e[i].buf && !strcmp(log.e[i].name, "vmshield-report"))
			first = (int)i;
	assert_true(first >= 0);
	assert_true(log.e[first].buf_len < sizeof(forged));
	memcpy(report, log.e[first].buf, log.e[first].buf_len);
	report[log.e[first].buf_len] = 0;
	assert_non_null(strstr(report, " kps_pk=none"));
	vms_ima_log_free(&log);
	free(list);
	r = attest_as("host-a", 403, "ImaReportMismatch");
	assert_null(json_object_get(r, "health_certificate"));
	json_decref(r);

	/* root extends PCR 10 with a report naming its own key */
	assert_int_equal(vms_report_parse(captured, strlen(captured), &rep), 0);
	t_random(rep.kps_pk, 32);
	assert_true(vms_report_format(&rep, forged, sizeof(forged)) > 0);
	append_ima_buf("vmshield-report", (const uint8_t *)forged, strlen(forged),
		       "ima_root_kps.bin");
	snprintf(report, sizeof(report), "%s", forged);
	r = attest_as("host-a", 403, "KpsKeyMismatch");
	assert_null(json_object_get(r, "health_certificate"));
	json_decref(r);
	/* ... and with one naming none */
	rep.kps_set = 0;
	memset(rep.kps_pk, 0, 32);
	assert_true(vms_report_format(&rep, forged, sizeof(forged)) > 0);
	append_ima_buf("vmshield-report", (const uint8_t *)forged, strlen(forged),
		       "ima_no_kps.bin");
	snprintf(report, sizeof(report), "%s", forged);
	r = attest_as("host-a", 403, "KpsKeyNotNamed");
	assert_null(json_object_get(r, "health_certificate"));
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")),
			       "kps_public_key"));
	json_decref(r);
	st = t_hgs_call(adm, "/v1/admin/status", NULL, 200, "Passed");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "counters"),
							    "attestations_passed")), passed);
	json_decref(st);

	/* the captured report measured again, last: certified */
	append_ima_buf("vmshield-report", (const uint8_t *)captured, strlen(captured),
		       "ima_kps_again.bin");
	snprintf(report, sizeof(report), "%s", captured);
	r = attest_as("host-a", 200, "Passed");
	assert_non_null(json_object_get(r, "health_certificate"));
	json_decref(r);
}

/* ---------- issue 16: policies read from the measured boot ---------- */

#define CMDLINE_LOCKED	"/vmlinuz-6.1.0-57-amd64 root=/dev/vda1 ro lockdown=confidentiality"
#define CMDLINE_OPEN	"/vmlinuz-6.1.0-57-amd64 root=/dev/vda1 ro"

/*
 * The captured boot log with GRUB's PCR 8 record appended (EV_IPL,
 * "kernel_cmdline: " @text NUL, digest SHA-256(@hashed)), written to
 * @out; the rig's SeaBIOS boot measures no command line (test_tpm_cmdline).
 */
static void grub_log(const char *out, const char *text, const char *hashed)
{
	size_t len, dlen = strlen("kernel_cmdline: ") + strlen(text) + 1;
	uint8_t *log, *p;
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bios_measurements.bin", data);
	assert_int_equal(vms_read_file(path, VMS_EVLOG_MAX_BYTES, &log, &len), 0);
	log = realloc(log, len + 50 + dlen);
	assert_non_null(log);
	p = log + len;
	memset(p, 0, 50);
	p[0] = 8;			/* PCR, u32 LE */
	p[4] = 0x0d;			/* EV_IPL */
	p[8] = 1;			/* one digest */
	p[12] = 0x0b;			/* TPM_ALG_SHA256 */
	assert_true(EVP_Digest(hashed, strlen(hashed), p + 14, NULL, EVP_sha256(), NULL));
	p[46] = (uint8_t)dlen;
	p[47] = (uint8_t)(dlen >> 8);
	snprintf((char *)p + 50, dlen, "kernel_cmdline: %s", text);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(log, 1, len + 50 + dlen, f), len + 50 + dlen);
	assert_int_equal(fclose(f), 0);
	free(log);
}

/* A baseline of @log named @name in class qemu-q35, added to HGS. */
static void add_baseline_of(const char *log_path, const char *name)
{
	struct vms_tpm_eventlog log = { 0 };
	struct vms_baseline b = { 0 };
	uint8_t *buf;
	size_t len;
	char *js;

	assert_int_equal(vms_read_file(log_path, VMS_EVLOG_MAX_BYTES, &buf, &len), 0);
	assert_int_equal(vms_tpm_eventlog_parse(buf, len, &log), 0);
	free(buf);
	assert_int_equal(vms_baseline_capture(&log, name, "qemu-q35", 1, &b), 0);
	js = vms_baseline_to_json(&b);
	assert_non_null(js);
	t_hgs_call_ok(adm, "/v1/admin/baselines/add", json_pack("{s:s}", "baseline", js));
	free(js);
	vms_baseline_free(&b);
	vms_tpm_eventlog_free(&log);
}

/*
 * Power-cycle the swtpm (its control channel's INIT, then Startup(CLEAR):
 * PCRs back to zero, the EK kept) and extend the logs into it as that
 * boot would have; the host's TPM context is opened again.
 */
static void reboot_tpm_with(const char *boot_log, const char *ima_list)
{
	vms_host_tpm_close(tpm);
	tpm = NULL;
	assert_int_equal(t_run("swtpm_ioctl --tcp 127.0.0.1:%d -i", swtpm.port + 1), 0);
	assert_int_equal(t_run("tpm2_startup -c"), 0);
	assert_int_equal(t_tpm_replay_logs(boot_log, ima_list), 0);
	assert_int_equal(vms_host_tpm_open(&tpm, swtpm.tcti), 0);
}

/*
 * tpm_require_lockdown_cmdline end to end: a host booted with
 * lockdown=confidentiality on its measured command line passes; one whose
 * command line has none (its report's confidentiality came from sysfs)
 * is refused, as is a log whose line was edited under the genuine digest,
 * and a log whose line does not replay to the TPM's PCR 8. The TPM is
 * then rebooted into the captured boot, as group_setup left it.
 */
static void lockdown_from_measured_cmdline(void **state)
{
	char locked[4200], open_[4200], edited[4200], orig_ima[4200];
	const char *detail;
	json_t *r;

	(void)state;
	snprintf(locked, sizeof(locked), "%.100s/bios_grub_locked.bin", dir);
	snprintf(open_, sizeof(open_), "%.100s/bios_grub_open.bin", dir);
	snprintf(edited, sizeof(edited), "%.100s/bios_grub_edited.bin", dir);
	snprintf(orig_ima, sizeof(orig_ima), "%s/ima_measurements.bin", data);
	grub_log(locked, CMDLINE_LOCKED, CMDLINE_LOCKED);
	grub_log(open_, CMDLINE_OPEN, CMDLINE_OPEN);
	grub_log(edited, CMDLINE_LOCKED, CMDLINE_OPEN);
	snprintf(imal, sizeof(imal), "%s", orig_ima);
	add_baseline_of(locked, "rig-grub-locked");
	add_baseline_of(open_, "rig-grub-open");
	set_policy("tpm_pcrs", "0-10");
	set_policy("tpm_require_lockdown_cmdline", "1");

	/* booted with lockdown on the measured command line */
	reboot_tpm_with(locked, orig_ima);
	snprintf(bios, sizeof(bios), "%s", locked);
	r = attest_as("host-a", 200, "Passed");
	assert_non_null(json_object_get(r, "health_certificate"));
	json_decref(r);
	/* the same line's digest, the open line's text: does not replay */
	snprintf(bios, sizeof(bios), "%s", open_);
	r = attest_as("host-a", 403, "TpmEventLogReplayMismatch");
	detail = json_string_value(json_object_get(r, "detail"));
	assert_non_null(detail);
	assert_non_null(strstr(detail, "PCR 8 "));
	json_decref(r);

	/* booted without it: lockdown came later, from sysfs */
	reboot_tpm_with(open_, orig_ima);
	snprintf(bios, sizeof(bios), "%s", open_);
	r = attest_as("host-a", 403, "PolicyLockdownNotOnCmdline");
	detail = json_string_value(json_object_get(r, "detail"));
	assert_non_null(detail);
	assert_non_null(strstr(detail, "sets no lockdown="));
	assert_null(json_object_get(r, "health_certificate"));
	json_decref(r);
	/* its text edited to say lockdown, under the genuine digest */
	snprintf(bios, sizeof(bios), "%s", edited);
	r = attest_as("host-a", 403, "PolicyLockdownNotOnCmdline");
	detail = json_string_value(json_object_get(r, "detail"));
	assert_non_null(detail);
	assert_non_null(strstr(detail, "not what its digest covers"));
	json_decref(r);
	/* the policy off: the same host passes */
	set_policy("tpm_require_lockdown_cmdline", "0");
	snprintf(bios, sizeof(bios), "%s", open_);
	json_decref(attest_as("host-a", 200, "Passed"));
	/* a value that is not 0 or 1 is refused and changes nothing */
	json_decref(t_hgs_call(adm, "/v1/admin/policy/set",
			       json_pack("{s:s, s:s}", "name", "tpm_require_lockdown_cmdline",
					 "value", "yes"), 400, "InvalidRequest"));
	json_decref(attest_as("host-a", 200, "Passed"));

	/*
	 * tpm_ima_policy_digests: a digest no quoted entry has is refused; a
	 * real file entry of the list standing for the policy file passes (the
	 * captured boot loaded no policy by path); bad values change nothing.
	 */
	{
		struct vms_ima_log ima = { 0 };
		uint8_t *buf;
		size_t len, i;
		char hex[65], two[140], zeros[65];

		assert_int_equal(vms_read_file(orig_ima, VMS_IMA_MAX_BYTES, &buf, &len), 0);
		assert_int_equal(vms_ima_log_parse(buf, len, &ima), 0);
		for (i = 1; i < ima.n && !(vms_ima_entry_is_file(&ima.e[i]) &&
					   !strcmp(ima.e[i].algo, "sha256")); i++)
			;
		assert_true(i < ima.n);
		vms_hex_encode(ima.e[i].digest, 32, hex);
		memset(zeros, '0', 64);
		zeros[64] = 0;
		set_policy("tpm_ima_policy_digests", zeros);
		r = attest_as("host-a", 403, "PolicyImaPolicyNotProven");
		detail = json_string_value(json_object_get(r, "detail"));
		assert_non_null(detail);
		assert_non_null(strstr(detail, "no approved IMA policy file"));
		json_decref(r);
		snprintf(two, sizeof(two), "%.64s,%s",
			 "1111111111111111111111111111111111111111111111111111111111111111", hex);
		set_policy("tpm_ima_policy_digests", two);
		json_decref(attest_as("host-a", 200, "Passed"));
		json_decref(t_hgs_call(adm, "/v1/admin/policy/set",
				       json_pack("{s:s, s:s}", "name", "tpm_ima_policy_digests",
						 "value", "abc"), 400, "InvalidRequest"));
		json_decref(attest_as("host-a", 200, "Passed"));
		set_policy("tpm_ima_policy_digests", "none");
		vms_ima_log_free(&ima);
		free(buf);
	}

	/* back to the captured boot */
	t_hgs_call_ok(adm, "/v1/admin/baselines/disable", json_pack("{s:s}", "name", "rig-grub-locked"));
	t_hgs_call_ok(adm, "/v1/admin/baselines/disable", json_pack("{s:s}", "name", "rig-grub-open"));
	set_policy("tpm_pcrs", "0-7,10");
	snprintf(bios, sizeof(bios), "%s/bios_measurements.bin", data);
	reboot_tpm_with(bios, orig_ima);
}

/* ---------- a failing store in TPM mode ---------- */

static struct t_hgsd full_d = { .pid = -1 };
static char full_top[64], full_mnt[96];
static struct vms_hgs_client *saved_cli, *saved_adm;

/* The test's own hgsd stopped, its tmpfs gone, the group's hgsd back. */
static int store_full_teardown(void **state)
{
	(void)state;
	t_hgsd_stop(&full_d, SIGKILL);
	if (full_mnt[0])
		umount2(full_mnt, MNT_DETACH);
	full_mnt[0] = 0;
	if (full_top[0] && t_run("rm -rf %s", full_top))	/* no shell: no quotes */
		fprintf(stderr, "# could not remove %s\n", full_top);
	full_top[0] = 0;
	if (saved_cli) {
		cli = saved_cli;
		adm = saved_adm;
	}
	saved_cli = saved_adm = NULL;
	return 0;
}

/* Fill the file system holding @path until it refuses (a 4 MiB tmpfs). */
static void fill_until_full(const char *path)
{
	static const char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), i;

	assert_true(fd >= 0);
	for (i = 0; i < 1024; i++)
		if (write(fd, block, sizeof(block)) < (ssize_t)sizeof(block))
			break;
	fsync(fd);
	close(fd);
	assert_true(i < 1024);
}

/*
 * Health did not come back after the fill was removed (CI-12a, once, under
 * the sanitizers at load): say what hgsd answered last and what takes the
 * tmpfs's room, so the next failure tells whether the store grew into it.
 */
static void store_not_recovered(const char *mnt, long http, json_t *answer)
{
	char cmd[400];
	struct statvfs sv;

	print_message("# health still %ld: %s\n", http,
		      answer ? json_string_value(json_object_get(answer, "detail")) : "(no answer)");
	if (statvfs(mnt, &sv) == 0)
		print_message("# %llu KiB free in the 4 MiB tmpfs\n",
			      (unsigned long long)sv.f_bavail * sv.f_frsize / 1024);
	snprintf(cmd, sizeof(cmd), "ls -lR '%s' | sed 's/^/# /' >&2", mnt);
	if (system(cmd) != 0)
		print_message("# (could not list %s)\n", mnt);
}

/*
 * A TPM-mode attestation refused for the store: no certificate, and why.
 * @req: the final request of an exchange begun before (NULL: the whole
 * exchange now).
 */
static void refused_not_recorded(const char *host, json_t *req)
{
	json_t *r = req ? send_expect(req, 500, "InternalError") :
		    attest_as(host, 500, "InternalError");
	const char *detail = json_string_value(json_object_get(r, "detail"));

	assert_null(json_object_get(r, "health_certificate"));
	if (!detail || !strstr(detail, "audit record could not be written")) {
		char *js = json_dumps(r, JSON_COMPACT);

		char lp[600];
		uint8_t *lg;
		size_t ln;

		snprintf(lp, sizeof(lp), "%s/hgsd.log", full_d.dir);
		if (!vms_read_file(lp, 1 << 20, &lg, &ln)) {
			fprintf(stderr, "%.*s\n", (int)(ln > 3000 ? 3000 : ln), (char *)lg + (ln > 3000 ? ln - 3000 : 0));
			free(lg);
		}
		fail_msg("refused without STORE_NOT_RECORDED's detail: %s", js ? js : "?");
	}
	json_decref(r);
}

/*
 * Issue 17 item 4 in TPM mode (test_hgsd_attack's store_fails_closed is
 * host-key mode): an hgsd whose store is on a 4 MiB tmpfs certifies this
 * TPM, then the disk fills up between a challenge and its answer: the
 * answer (ActivateCredential, quote, logs: all of it good) is refused
 * with STORE_NOT_RECORDED's detail and no certificate, so is a new
 * challenge, and /v1/health says the disk is full; with room again,
 * health recovers and the host attests. Needs
 * root (mount) and SQLite (PostgreSQL's disk: test_hgsd_cluster).
 */
static void store_failure_refuses_tpm_attestation(void **state)
{
	char sdir[160], fill[200], conf[4400];
	struct manual m;
	json_t *r;
	int i;

	(void)state;
	if (t_hgsd_on_pg())
		skip();
	snprintf(full_top, sizeof(full_top), "/tmp/vms-hgstpmfull.XXXXXX");
	assert_non_null(mkdtemp(full_top));
	snprintf(full_mnt, sizeof(full_mnt), "%s/mnt", full_top);
	assert_int_equal(mkdir(full_mnt, 0700), 0);
	/*
	 * The tmpfs in a mount namespace of this process's own, private: a
	 * test that dies before its teardown (a signal, a sanitizer's
	 * report) leaves no mount behind, the namespace goes with it
	 */
	if (geteuid() != 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", full_mnt, "tmpfs", 0, "size=4m,mode=0700")) {
		full_mnt[0] = 0;
		skip();
	}
	snprintf(sdir, sizeof(sdir), "%s/hgs", full_mnt);
	snprintf(fill, sizeof(fill), "%s/fill", full_mnt);
	snprintf(conf, sizeof(conf), "threads = 2\nlog_requests = 1\ntpm_ek_roots = %s/roots\n",
		 dir);
	/* the group's hgsd binary (its path made absolute before the chdir) */
	assert_int_equal(setenv("HGSD_BIN", hgsd.bin, 1), 0);
	assert_int_equal(t_hgsd_init(&full_d, sdir, conf), 0);
	assert_int_equal(t_tpm_use_captured_signer(sdir), 0);	/* the KPS key the capture names */
	assert_int_equal(t_hgsd_start(&full_d), 0);
	saved_cli = cli;
	saved_adm = adm;
	cli = full_d.cli;
	adm = full_d.adm;
	register_ek("store-tpm", "qemu-q35");
	add_baseline();
	json_decref(attest_as("store-tpm", 200, "Passed"));
	json_decref(t_hgs_call(cli, "/v1/health", NULL, 200, "Passed"));

	/* full between the challenge and the answer, then from the start */
	manual_build("store-tpm", enclave_pk, report, &m);
	fill_until_full(fill);
	refused_not_recorded("store-tpm", m.req);
	refused_not_recorded("store-tpm", NULL);
	r = t_hgs_call(cli, "/v1/health", NULL, 503, "Busy");
	assert_non_null(strstr(json_string_value(json_object_get(r, "detail")), "disk is full"));
	json_decref(r);

	/*
	 * Room again: health recovers and the host is certified again (a
	 * file system remounted read-only under a running hgsd cannot be
	 * made here, its database is open for writing; start-up's refusal
	 * of a read-only store is test_hgsd_attack's store_fails_closed)
	 */
	assert_int_equal(unlink(fill), 0);
	/* up to 30 s: under the sanitizers beside other jobs 5 s was too short */
	for (i = 0; i < 300; i++) {
		long http = 0;

		r = NULL;
		if (!vms_hgs_call(cli, "/v1/health", NULL, &http, &r) && http == 200)
			break;
		if (i == 299)
			store_not_recovered(full_mnt, http, r);
		json_decref(r);
		r = NULL;
		usleep(100000);
	}
	json_decref(r);
	assert_true(i < 300);
	r = attest_as("store-tpm", 200, "Passed");
	assert_non_null(json_object_get(r, "health_certificate"));
	json_decref(r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unregistered_host_refused),
		cmocka_unit_test(ek_registration_and_conflict),
		cmocka_unit_test(no_baseline_refused),
		cmocka_unit_test(happy_path),
		cmocka_unit_test(key_level_history_clean_capture_passes),
		cmocka_unit_test(replayed_request_refused),
		cmocka_unit_test(enclave_report_in_tpm_mode),
		cmocka_unit_test(credential_not_activated_refused),
		cmocka_unit_test(challenge_of_other_host_refused),
		cmocka_unit_test(wrong_nonce_keeps_the_challenge),
		cmocka_unit_test(challenges_bounded_per_host),
		cmocka_unit_test(pcr_value_flip_refused),
		cmocka_unit_test(unlogged_pcr_refused),
		cmocka_unit_test(forged_enclave_key_refused),
		cmocka_unit_test(baseline_mismatch_names_the_event),
		cmocka_unit_test(runtime_allowlist),
		cmocka_unit_test(counters_never_go_backwards),
		cmocka_unit_test(ek_certificate_pins_the_ek),
		cmocka_unit_test(bad_bodies_refused),
		cmocka_unit_test(shieldctl_admin_commands),
		cmocka_unit_test(agent_identity_writes_the_ek),
		cmocka_unit_test_teardown(store_failure_refuses_tpm_attestation,
					  store_full_teardown),
		/* last: they extend PCR 10 and change the list sent */
		cmocka_unit_test(ima_appraisal_and_keys),
		cmocka_unit_test(kps_key_refusals),
		cmocka_unit_test(lockdown_from_measured_cmdline),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
