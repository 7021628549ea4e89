// SPDX-License-Identifier: GPL-2.0
/*
 * test_diagnose.c - `shieldctl diagnose` against fake /sys, /proc and /dev
 * trees: every check's ok and failure paths, the fix it prints, the JSON
 * form, and (through SHIELDCTL_BIN) the command line and its exit status.
 *
 * The checks are static in shieldctl/diagnose_cmd.c; this file includes it
 * so they run here exactly as shieldctl runs them.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shieldctl/diagnose_cmd.c"

struct fake {
	char root[64];
	char p[11][256];	/* storage for the diag_paths strings */
	struct diag_env env;
	char *out;		/* output of the last run */
	int failures;
};

static struct vmshield_info fake_info;
static int fake_info_rc;
static enum vms_op fake_info_op;

static int fake_get_info(const char *dev, struct vmshield_info *info, enum vms_op *op)
{
	(void)dev;
	*op = fake_info_op;
	if (fake_info_rc)
		return fake_info_rc;
	*info = fake_info;
	return 0;
}

/* The status hgs-agent answers (Documentation/agent.md, "status"). */
#define AGENT_OK "{\"status\":\"Passed\",\"agent\":{\"host_name\":\"host01\"}," \
	"\"attestation\":{\"state\":\"valid\",\"certificate\":{\"subject_cn\":\"host01\"," \
	"\"isolation_level\":\"kernel-locked\",\"attestation_mode\":\"host-key\",\"seconds_left\":25200}}," \
	"\"hgs\":[{\"url\":\"https://hgs1:8443\",\"role\":\"primary\",\"state\":\"reachable\"}," \
	"{\"url\":\"https://hgs2:8443\",\"role\":\"fallback\",\"state\":\"unreachable\",\"last_error\":\"Connection refused\"}]," \
	"\"keys\":{\"loaded_keys\":[{\"serial\":1},{\"serial\":2}]}}"
static const char *fake_agent_json;
static int fake_agent_rc;
static char fake_agent_sock[256];

static int fake_agent_status(const char *sock, char **json)
{
	snprintf(fake_agent_sock, sizeof(fake_agent_sock), "%s", sock);
	if (fake_agent_rc)
		return fake_agent_rc;
	*json = strdup(fake_agent_json);
	return *json ? 0 : -ENOMEM;
}

static void put(const struct fake *f, const char *rel, const char *content)
{
	char path[512], *slash;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	for (slash = strchr(path + strlen(f->root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	if (!content) {		/* a directory */
		mkdir(path, 0700);
		return;
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static void drop(const struct fake *f, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	assert_int_equal(remove(path), 0);
}

static const char *at(struct fake *f, int i, const char *rel)
{
	snprintf(f->p[i], sizeof(f->p[i]), "%s/%s", f->root, rel);
	return f->p[i];
}

/* A host where everything passes. */
static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/vms-diag-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->env.paths.sys_module = at(f, 0, "sys/module/vmshield");
	f->env.paths.dev = at(f, 1, "dev/vmshield");
	f->env.paths.lockdown = at(f, 2, "sys/kernel/security/lockdown");
	f->env.paths.sig_enforce = at(f, 3, "sys/module/module/parameters/sig_enforce");
	f->env.paths.ima_log = at(f, 4, "sys/kernel/security/ima/ascii_runtime_measurements");
	f->env.paths.ptrace_scope = at(f, 5, "proc/sys/kernel/yama/ptrace_scope");
	f->env.paths.kexec_crash = at(f, 6, "sys/kernel/kexec_crash_loaded");
	f->env.paths.tpmrm = at(f, 7, "dev/tpmrm0");
	f->env.paths.tpm = at(f, 8, "dev/tpm0");
	f->env.paths.proc = at(f, 9, "proc");
	f->env.paths.mok_key = at(f, 10, "var/lib/dkms/mok.key");
	f->env.get_info = fake_get_info;
	f->env.agent_status = fake_agent_status;
	fake_agent_json = AGENT_OK;
	fake_agent_rc = 0;
	f->env.now = time(NULL);

	put(f, "sys/module/vmshield", NULL);
	put(f, "dev/vmshield", "");
	put(f, "sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
	put(f, "sys/module/module/parameters/sig_enforce", "Y\n");
	put(f, "sys/kernel/security/ima/ascii_runtime_measurements",
	    "10 abcd ima-ng sha256:00 boot_aggregate\n"
	    "10 ef01 ima-buf sha256:11 vmshield-report 7b7d\n");
	put(f, "proc/sys/kernel/yama/ptrace_scope", "3\n");
	put(f, "sys/kernel/kexec_crash_loaded", "0\n");
	put(f, "dev/tpmrm0", "");
	put(f, "proc/1/comm", "systemd\n");
	put(f, "proc/4242/comm", "hgs-agent\n");
	put(f, "proc/self", NULL);

	memset(&fake_info, 0, sizeof(fake_info));
	fake_info.uapi_version = 1;
	fake_info.placement = VMSHIELD_PLACEMENT_KERNEL;
	fake_info.isolation_level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	fake_info.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	fake_info.facts = VMSHIELD_FACT_SIG_ENFORCED | VMSHIELD_FACT_MODULE_SIG_OK |
			  VMSHIELD_FACT_SELFTEST_OK | VMSHIELD_FACT_IMA_MEASURED;
	memset(fake_info.enclave_pk, 0x42, sizeof(fake_info.enclave_pk));
	fake_info_rc = 0;
	fake_info_op = VMS_OP_INFO;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f->out);
	free(f);
	return 0;
}

static void run(struct fake *f)
{
	size_t len;
	FILE *m;

	free(f->out);
	f->out = NULL;
	m = open_memstream(&f->out, &len);
	assert_non_null(m);
	f->failures = diag_run_checks(&f->env, m);
	fclose(m);
	/* Shown as TAP comments, so a failing assertion has its context. */
	for (const char *l = f->out; *l;) {
		const char *end = strchrnul(l, '\n');

		print_message("# %.*s\n", (int)(end - l < 400 ? end - l : 400), l);
		l = *end ? end + 1 : end;
	}
}

/* The output has a line starting with @tag @name that contains @needle. */
static int has_line(const struct fake *f, const char *tag, const char *name,
		    const char *needle)
{
	char prefix[64];
	const char *l;

	snprintf(prefix, sizeof(prefix), "%s %-16s ", tag, name);
	for (l = f->out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char line[1024];

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, l, n);
		line[n] = '\0';
		if (!strncmp(line, prefix, strlen(prefix)) && strstr(line, needle))
			return 1;
	}
	return 0;
}

#define assert_line(f, tag, name, needle) \
	assert_true(has_line(f, tag, name, needle))

static void test_good_host(void **state)
{
	struct fake *f = *state;

	run(f);
	assert_int_equal(f->failures, 0);
	assert_null(strstr(f->out, "[FAIL]"));
	assert_line(f, "[ ok ]", "module", "answers GET_INFO");
	assert_line(f, "[ ok ]", "crypto self-test", "passed");
	assert_line(f, "[ ok ]", "isolation", "kernel-locked");
	assert_line(f, "[ ok ]", "lockdown", "agree");
	assert_line(f, "[ ok ]", "sig enforcement", "refused");
	assert_line(f, "[ ok ]", "module signature", "verified");
	assert_line(f, "[ ok ]", "ima", "vmshield-report entry");
	assert_line(f, "[ ok ]", "ptrace_scope", "3");
	assert_line(f, "[ ok ]", "kdump", "no crash kernel loaded");
	assert_line(f, "[ ok ]", "tpm", "tpmrm0");
	assert_line(f, "[ ok ]", "hgs-agent", "pid 4242");
	assert_line(f, "[ ok ]", "hgs-agent", "2 VM keys loaded");
	assert_string_equal(fake_agent_sock, VMS_AGENT_SOCKET);
	assert_line(f, "[ ok ]", "attestation", "health certificate for host01, kernel-locked, host-key mode, 25200 s left");
	assert_line(f, "[ ok ]", "hgs via agent", "https://hgs1:8443 (primary) reachable");
	assert_line(f, "[warn]", "hgs via agent", "https://hgs2:8443 unreachable: Connection refused");
	assert_line(f, "[skip]", "hgs", "no --hgs");
	assert_line(f, "[skip]", "health cert", "no --cert");
	assert_non_null(strstr(f->out, "0 checks failed"));
}

static void test_module_absent(void **state)
{
	struct fake *f = *state;

	drop(f, "sys/module/vmshield");
	run(f);
	assert_line(f, "[FAIL]", "module", "-> load it: modprobe vmshield");
	assert_line(f, "[skip]", "isolation", "needs the module");
	assert_line(f, "[skip]", "crypto self-test", "needs the module");
	/* Without the module, lockdown and sig_enforce come from sysfs. */
	assert_line(f, "[ ok ]", "lockdown", "confidentiality");
	assert_line(f, "[ ok ]", "sig enforcement", "refused");
	assert_int_equal(f->failures, 1);
}

static void test_device_refused(void **state)
{
	struct fake *f = *state;

	fake_info_rc = -EACCES;
	fake_info_op = VMS_OP_OPEN;
	run(f);
	assert_line(f, "[FAIL]", "module", "open failed");
	assert_line(f, "[FAIL]", "module", vms_dev_op_strerror(VMS_OP_OPEN, -EACCES));
	assert_int_equal(f->failures, 1);
}

static void test_lockdown_none(void **state)
{
	struct fake *f = *state;

	put(f, "sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	fake_info.lockdown = VMSHIELD_LOCKDOWN_NONE;
	fake_info.isolation_level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	run(f);
	assert_line(f, "[FAIL]", "isolation",
		    "-> raise lockdown: echo confidentiality > /sys/kernel/security/lockdown");
	assert_line(f, "[FAIL]", "lockdown", "none: shielded VMs need confidentiality");
	assert_int_equal(f->failures, 2);
}

static void test_isolation_sig_hint(void **state)
{
	struct fake *f = *state;

	fake_info.isolation_level = VMSHIELD_ISOLATION_KERNEL_OPEN;
	fake_info.facts &= ~VMSHIELD_FACT_SIG_ENFORCED;
	run(f);
	assert_line(f, "[FAIL]", "isolation", "module.sig_enforce=1");
	assert_line(f, "[FAIL]", "sig enforcement", "module.sig_enforce=1");
	assert_int_equal(f->failures, 2);
}

static void test_lockdown_disagree(void **state)
{
	struct fake *f = *state;

	put(f, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	run(f);
	assert_line(f, "[FAIL]", "lockdown", "says integrity but the module says confidentiality");
	assert_int_equal(f->failures, 1);
	drop(f, "sys/kernel/security/lockdown");
	run(f);	/* unreadable: the module's view */
	assert_line(f, "[ ok ]", "lockdown", "confidentiality");
	assert_int_equal(f->failures, 0);
}

static void test_facts_missing(void **state)
{
	struct fake *f = *state;

	fake_info.facts = 0;
	run(f);
	assert_line(f, "[FAIL]", "crypto self-test", "-> read the reason with dmesg");
	assert_line(f, "[FAIL]", "sig enforcement", "-> boot with module.sig_enforce=1");
	assert_line(f, "[FAIL]", "module signature", "-> sign vmshield.ko");
	assert_line(f, "[FAIL]", "ima", "-> add 'measure func=CRITICAL_DATA label=vmshield'");
	assert_int_equal(f->failures, 4);
}

static void test_ima_log(void **state)
{
	struct fake *f = *state;

	put(f, "sys/kernel/security/ima/ascii_runtime_measurements",
	    "10 abcd ima-ng sha256:00 boot_aggregate\n");
	run(f);
	assert_line(f, "[FAIL]", "ima", "has no vmshield-report entry");
	assert_int_equal(f->failures, 1);
	drop(f, "sys/kernel/security/ima/ascii_runtime_measurements");
	run(f);
	assert_line(f, "[ ok ]", "ima", "not readable");
	assert_int_equal(f->failures, 0);
}

static void test_ptrace_scope(void **state)
{
	struct fake *f = *state;

	put(f, "proc/sys/kernel/yama/ptrace_scope", "1\n");
	run(f);
	assert_line(f, "[FAIL]", "ptrace_scope", "-> run sysctl -w kernel.yama.ptrace_scope=3");
	assert_int_equal(f->failures, 1);
	drop(f, "proc/sys/kernel/yama/ptrace_scope");
	run(f);
	assert_line(f, "[FAIL]", "ptrace_scope", "Yama is not active");
	assert_int_equal(f->failures, 1);
}

static void test_kdump(void **state)
{
	struct fake *f = *state;

	put(f, "sys/kernel/kexec_crash_loaded", "1\n");
	run(f);
	assert_line(f, "[FAIL]", "kdump", "-> unload it (kexec -p -u)");
	assert_int_equal(f->failures, 1);
	drop(f, "sys/kernel/kexec_crash_loaded");
	run(f);
	assert_line(f, "[ ok ]", "kdump", "no crash kernel support");
	assert_int_equal(f->failures, 0);
}

static void test_mok_key_on_host_warns(void **state)
{
	struct fake *f = *state;

	run(f);
	assert_line(f, "[ ok ]", "signing key", "no DKMS MOK private key");
	put(f, "var/lib/dkms/mok.key", "-----BEGIN PRIVATE KEY-----\n");
	run(f);
	assert_line(f, "[warn]", "signing key", "root can sign its own module");
	assert_int_equal(f->failures, 0);
	drop(f, "var/lib/dkms/mok.key");
}

static void test_tpm_and_agent(void **state)
{
	struct fake *f = *state;

	drop(f, "dev/tpmrm0");
	put(f, "dev/tpm0", "");
	run(f);
	assert_line(f, "[ ok ]", "tpm", "no resource manager");
	drop(f, "dev/tpm0");
	drop(f, "proc/4242/comm");
	run(f);
	assert_line(f, "[warn]", "tpm", "host-key attestation works without one");
	assert_true(has_line(f, "[FAIL]", "hgs-agent", "not running"));
	assert_non_null(strstr(f->out, "systemctl start hgs-agent"));
	assert_int_equal(f->failures, 1);
}

/* What the agent says over its socket, good and bad. */
static void test_agent_status(void **state)
{
	struct fake *f = *state;

	fake_agent_rc = -ECONNREFUSED;
	run(f);
	assert_true(has_line(f, "[FAIL]", "hgs-agent", "does not answer on " VMS_AGENT_SOCKET));
	assert_null(strstr(f->out, "attestation"));
	assert_int_equal(f->failures, 1);

	fake_agent_rc = 0;
	fake_agent_json = "{\"attestation\":{\"state\":\"failed\",\"last_error\":{\"source\":\"attestation\",\"substatus\":\"HostNotRegistered\",\"message\":\"register this host: shieldctl hgs host add\"}},\"hgs\":[{\"url\":\"https://hgs1:8443\",\"role\":\"primary\",\"state\":\"unreachable\",\"last_error\":\"timeout\"}]}";
	run(f);
	assert_true(has_line(f, "[FAIL]", "attestation", "no valid health certificate (state failed, HostNotRegistered)"));
	assert_non_null(strstr(f->out, "register this host: shieldctl hgs host add"));
	assert_true(has_line(f, "[FAIL]", "hgs via agent", "none of the agent's 1 HGS URLs answered"));
	assert_int_equal(f->failures, 2);

	/* not contacted yet (a cached certificate): neither ok nor a failure */
	fake_agent_json = "{\"attestation\":{\"state\":\"valid\",\"certificate\":{\"subject_cn\":\"host01\"}},\"hgs\":[{\"url\":\"https://hgs1:8443\",\"role\":\"primary\",\"state\":\"unknown\"}]}";
	run(f);
	assert_true(has_line(f, "[skip]", "hgs via agent", "https://hgs1:8443 not contacted since the agent started"));
	assert_int_equal(f->failures, 0);

	fake_agent_json = "not json";
	run(f);
	assert_true(has_line(f, "[FAIL]", "hgs-agent", "status is not JSON"));
	assert_int_equal(f->failures, 1);
}

/* Write a health certificate for @pk, issued at @issued, to @rel. */
static void write_cert(struct fake *f, const char *rel, const uint8_t pk[32],
		       time_t issued, int der)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *sk = vms_pkey_gen_p256();
	_cleanup_(X509_freep) X509 *signer = NULL, *c = NULL;
	struct vms_health_cert_info in = { 0 };
	char path[512];

	signer = vms_cert_self_signed(sk, "signer", 10, VMS_CERT_CA);
	assert_non_null(signer);
	strcpy(in.host, "host01");
	strcpy(in.mode, VMS_HC_MODE_HOST_KEY);
	strcpy(in.binding, VMS_HC_BINDING_HOST_KEY);
	strcpy(in.policies, "registered-host");
	strcpy(in.facts, "lockdown=confidentiality");
	strcpy(in.host_key_fpr, "ab");
	in.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	memcpy(in.enclave_pk, pk, 32);
	in.issued = issued;
	assert_int_equal(vms_health_cert_issue(sk, signer, &in, 28800, 600, &c), 0);
	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	if (der) {
		_cleanup_(vms_freep) uint8_t *b = NULL;
		size_t len;
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		assert_int_equal(vms_cert_to_der(c, &b, &len), 0);
		assert_int_equal(fwrite(b, 1, len, fp), len);
		fclose(fp);
	} else {
		assert_int_equal(vms_cert_write(path, c), 0);
	}
}

static void test_health_cert(void **state)
{
	struct fake *f = *state;
	uint8_t other[32];
	char path[512];

	f->env.cert = path;
	snprintf(path, sizeof(path), "%s/hc.pem", f->root);
	write_cert(f, "hc.pem", fake_info.enclave_pk, f->env.now, 0);
	run(f);
	assert_line(f, "[ ok ]", "health cert", "CN=host01, valid until");
	assert_int_equal(f->failures, 0);

	snprintf(path, sizeof(path), "%s/hc.der", f->root);
	write_cert(f, "hc.der", fake_info.enclave_pk, f->env.now - 86400, 1);
	run(f);
	assert_line(f, "[FAIL]", "health cert", "CN=host01, expired");
	assert_line(f, "[FAIL]", "health cert", "-> restart hgs-agent");
	assert_int_equal(f->failures, 1);

	memset(other, 0x17, sizeof(other));
	snprintf(path, sizeof(path), "%s/other.pem", f->root);
	write_cert(f, "other.pem", other, f->env.now, 0);
	run(f);
	assert_line(f, "[FAIL]", "health cert", "certifies enclave key 17171717..., not this enclave's 42424242");
	assert_int_equal(f->failures, 1);

	/* Without the module the key cannot be compared: a warning. */
	fake_info_rc = -ENOENT;
	run(f);
	assert_line(f, "[warn]", "health cert", "not compared");

	put(f, "junk.pem", "-----BEGIN CERTIFICATE-----\nnope\n");
	snprintf(path, sizeof(path), "%s/junk.pem", f->root);
	fake_info_rc = 0;
	run(f);
	assert_line(f, "[FAIL]", "health cert", "is not a readable health certificate: not an X.509 certificate");

	/* An X.509 certificate, but not one HGS issued. */
	{
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
		_cleanup_(X509_freep) X509 *x = vms_cert_self_signed(k, "x", 1, VMS_CERT_CA);

		snprintf(path, sizeof(path), "%s/plain.pem", f->root);
		assert_int_equal(vms_cert_write(path, x), 0);
		run(f);
		assert_line(f, "[FAIL]", "health cert", "not a vmshield health certificate");
	}
	snprintf(path, sizeof(path), "%s/missing.pem", f->root);
	run(f);
	assert_line(f, "[FAIL]", "health cert", "No such file");
	assert_int_equal(f->failures, 1);
}

static void test_hgs_unreachable(void **state)
{
	struct fake *f = *state;

	f->env.hgs_url = "https://127.0.0.1:1";
	run(f);
	assert_line(f, "[FAIL]", "hgs", "GET https://127.0.0.1:1/v1/health failed");
	assert_line(f, "[FAIL]", "hgs", "-> check that hgsd runs at that URL");
	assert_int_equal(f->failures, 1);
	f->env.cacert = "/nonexistent/ca.pem";
	run(f);
	assert_line(f, "[FAIL]", "hgs", "cannot read --cacert");
}

static void test_json(void **state)
{
	struct fake *f = *state;
	json_error_t err;
	json_t *o, *checks, *c;
	size_t i;
	int fails = 0;

	put(f, "proc/sys/kernel/yama/ptrace_scope", "0\n");
	f->env.json = 1;
	run(f);
	assert_int_equal(f->failures, 1);
	o = json_loads(f->out, 0, &err);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "failures")), 1);
	assert_true(json_is_false(json_object_get(o, "ok")));
	checks = json_object_get(o, "checks");
	/* 14 checks, + the agent's certificate and its two HGS URLs */
	assert_int_equal(json_array_size(checks), 17);
	json_array_foreach(checks, i, c) {
		const char *st = json_string_value(json_object_get(c, "status"));

		assert_non_null(json_string_value(json_object_get(c, "name")));
		assert_non_null(json_string_value(json_object_get(c, "found")));
		if (!strcmp(st, "fail")) {
			fails++;
			assert_string_equal(json_string_value(json_object_get(c, "name")),
					    "ptrace_scope");
			assert_non_null(strstr(json_string_value(json_object_get(c, "fix")),
					       "ptrace_scope=3"));
		} else {
			assert_null(json_object_get(c, "fix"));
		}
	}
	assert_int_equal(fails, 1);
	json_decref(o);
}

/* sh -c @cmd with stdout to @out; returns the exit status. */
static int sh(const char *cmd)
{
	int st = system(cmd);

	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_cli(void **state)
{
	const char *bin = getenv("SHIELDCTL_BIN");
	char cmd[1024];

	(void)state;
	if (!bin)
		skip();
	snprintf(cmd, sizeof(cmd), "'%s' diagnose --help | grep -q '^Usage: shieldctl diagnose'", bin);
	assert_int_equal(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --help | grep -q diagnose", bin);
	assert_int_equal(sh(cmd), 0);
	/* usage errors: exit 2 (vms_exit.h) */
	snprintf(cmd, sizeof(cmd), "'%s' diagnose --bogus 2>/dev/null", bin);
	assert_int_equal(sh(cmd), 2);
	snprintf(cmd, sizeof(cmd), "'%s' diagnose --cert 2>/dev/null", bin);
	assert_int_equal(sh(cmd), 2);
	/* On a machine without the module the real run must fail with the hint. */
	if (access("/sys/module/vmshield", F_OK) == 0)
		return;
	snprintf(cmd, sizeof(cmd), "'%s' diagnose | grep -q '^\\[FAIL\\] module .*modprobe vmshield'", bin);
	assert_int_equal(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s' diagnose >/dev/null", bin);
	assert_int_equal(sh(cmd), 1);
	snprintf(cmd, sizeof(cmd), "'%s' diagnose --json | grep -q '\"ok\":false'", bin);
	assert_int_equal(sh(cmd), 0);
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(test_good_host),
		T(test_module_absent),
		T(test_device_refused),
		T(test_lockdown_none),
		T(test_isolation_sig_hint),
		T(test_lockdown_disagree),
		T(test_facts_missing),
		T(test_ima_log),
		T(test_ptrace_scope),
		T(test_kdump),
		T(test_mok_key_on_host_warns),
		T(test_tpm_and_agent),
		T(test_agent_status),
		T(test_health_cert),
		T(test_hgs_unreachable),
		T(test_json),
		cmocka_unit_test(test_cli),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("diagnose", tests, NULL, NULL);
}
