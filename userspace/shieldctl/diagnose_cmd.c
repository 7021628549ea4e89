// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose_cmd.c - `shieldctl diagnose`: is this guarded host ready to run
 * shielded VMs? (the analogue of HGS's Get-HgsTrace). Runs a list of
 * checks and prints one line per check: its result, what it found, and
 * for every failure what to do next. Exit 0 when nothing failed, 1
 * otherwise.
 *
 * Every file the checks read comes from struct diag_paths and GET_INFO
 * from diag_env.get_info, so tests/test_diagnose.c runs the same checks
 * against fake trees. Nothing secret is read or printed: the enclave key
 * is public, and only a prefix of it is shown.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "shieldctl.h"
#include "vmshield.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hgs_cert.h"
#include "vms_agent_client.h"
#include "vms_hgs_client.h"
#include "vms_x509.h"

/* Where the checks look; diag_default_paths are the real ones. */
struct diag_paths {
	const char *sys_module;		/* the module's sysfs directory */
	const char *dev;		/* the device node */
	const char *lockdown;		/* LSM lockdown: "none [integrity] ..." */
	const char *sig_enforce;	/* module.sig_enforce parameter (Y/N) */
	const char *ima_log;		/* IMA ascii measurement list */
	const char *ptrace_scope;	/* Yama */
	const char *kexec_crash;	/* 1 when a crash kernel is loaded */
	const char *mok_key;		/* DKMS's MOK private key */
	const char *tpmrm;
	const char *tpm;
	const char *proc;		/* for the hgs-agent process */
};

static const struct diag_paths diag_default_paths = {
	.sys_module = "/sys/module/" VMSHIELD_DEVICE_NAME,
	.dev = VMS_DEVICE_PATH,
	.lockdown = "/sys/kernel/security/lockdown",
	.sig_enforce = "/sys/module/module/parameters/sig_enforce",
	.ima_log = "/sys/kernel/security/ima/ascii_runtime_measurements",
	.ptrace_scope = "/proc/sys/kernel/yama/ptrace_scope",
	.kexec_crash = "/sys/kernel/kexec_crash_loaded",
	.mok_key = "/var/lib/dkms/mok.key",
	.tpmrm = "/dev/tpmrm0",
	.tpm = "/dev/tpm0",
	.proc = "/proc",
};

/*
 * GET_INFO from @dev: 0, or a negative errno with *@op the step that
 * failed (VMS_OP_OPEN or VMS_OP_INFO).
 */
typedef int (*diag_get_info_fn)(const char *dev, struct vmshield_info *info,
				enum vms_op *op);
/* hgs-agent's status (JSON text, malloc'ed) from @socket: 0 or -errno. */
typedef int (*diag_agent_status_fn)(const char *socket, char **json);

struct diag_env {
	struct diag_paths paths;
	diag_get_info_fn get_info;
	diag_agent_status_fn agent_status;
	const char *agent_socket;	/* --agent (default VMS_AGENT_SOCKET) */
	const char *hgs_url;		/* --hgs (NULL: skip) */
	const char *cacert;		/* --cacert */
	const char *cert;		/* --cert (NULL: skip) */
	time_t now;
	int json;
};

enum diag_status { DIAG_OK, DIAG_WARN, DIAG_SKIP, DIAG_FAIL };

/* What the checks found so far and where the results go. */
struct diag_run {
	const struct diag_env *env;
	FILE *out;
	json_t *checks;			/* --json: the array being built */
	int failures;
	int have_info;			/* GET_INFO answered */
	struct vmshield_info info;
	int lockdown_sysfs;		/* VMSHIELD_LOCKDOWN_* or -1 */
};

static int diag_real_get_info(const char *dev, struct vmshield_info *info,
			      enum vms_op *op)
{
	int fd, r;

	*op = VMS_OP_OPEN;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*op = VMS_OP_INFO;
	r = vms_dev_get_info(fd, info);
	vms_dev_close(fd);
	return r;
}

static const char *const diag_tags[] = {
	[DIAG_OK] = "[ ok ]", [DIAG_WARN] = "[warn]",
	[DIAG_SKIP] = "[skip]", [DIAG_FAIL] = "[FAIL]",
};
static const char *const diag_words[] = {
	[DIAG_OK] = "ok", [DIAG_WARN] = "warn",
	[DIAG_SKIP] = "skip", [DIAG_FAIL] = "fail",
};

/* Record one check. @fix is what to do (required for DIAG_FAIL). */
static void diag_report(struct diag_run *d, enum diag_status st,
			const char *name, const char *fix, const char *fmt, ...)
	__printf(5, 6);

static void diag_report(struct diag_run *d, enum diag_status st,
			const char *name, const char *fix, const char *fmt, ...)
{
	char found[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(found, sizeof(found), fmt, ap);
	va_end(ap);
	if (st == DIAG_FAIL)
		d->failures++;
	if (d->checks) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", name,
				      "status", diag_words[st], "found", found);

		if (o && fix)
			json_object_set_new(o, "fix", json_string(fix));
		if (o)
			json_array_append_new(d->checks, o);
		return;
	}
	fprintf(d->out, "%s %-16s %s", diag_tags[st], name, found);
	if (fix)
		fprintf(d->out, " -> %s", fix);
	fputc('\n', d->out);
}

/* First line of a small file, trailing white space removed: 0 or -errno. */
static int diag_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f)) {
		int r = ferror(f) ? -EIO : -ENODATA;

		fclose(f);
		return r;
	}
	fclose(f);
	n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

static int diag_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* "none [integrity] confidentiality" -> VMSHIELD_LOCKDOWN_INTEGRITY */
static int diag_parse_lockdown(const char *s)
{
	static const char *const names[] = { "[none]", "[integrity]",
					     "[confidentiality]" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strstr(s, names[i]))
			return (int)i;
	return -1;
}

#define FIX_MODPROBE "load it: modprobe vmshield (install it with DKMS first, Documentation/admin-guide.md)"
#define FIX_LOCKDOWN "raise lockdown: echo confidentiality > /sys/kernel/security/lockdown (or boot with lockdown=confidentiality)"
#define FIX_SIG_ENFORCE "boot with module.sig_enforce=1 (lockdown=integrity or above implies it)"

static void check_module(struct diag_run *d)
{
	const struct diag_paths *p = &d->env->paths;
	enum vms_op op = VMS_OP_OPEN;
	int r;

	if (!diag_exists(p->sys_module)) {
		diag_report(d, DIAG_FAIL, "module", FIX_MODPROBE,
			    "vmshield is not loaded (no %s)", p->sys_module);
		return;
	}
	r = d->env->get_info(p->dev, &d->info, &op);
	if (r < 0) {
		diag_report(d, DIAG_FAIL, "module", vms_dev_op_strerror(op, r),
			    "loaded, but %s %s failed: %s", p->dev,
			    op == VMS_OP_OPEN ? "open" : "GET_INFO", strerror(-r));
		return;
	}
	d->have_info = 1;
	diag_report(d, DIAG_OK, "module", NULL,
		    "loaded, %s answers GET_INFO (uapi %u, placement %s)", p->dev,
		    d->info.uapi_version, vms_placement_name(d->info.placement));
}

static int diag_need_info(struct diag_run *d, const char *name)
{
	if (d->have_info)
		return 1;
	diag_report(d, DIAG_SKIP, name, NULL, "needs the module (see the module check)");
	return 0;
}

static void check_selftest(struct diag_run *d)
{
	if (!diag_need_info(d, "crypto self-test"))
		return;
	if (d->info.facts & VMSHIELD_FACT_SELFTEST_OK)
		diag_report(d, DIAG_OK, "crypto self-test", NULL, "passed");
	else
		diag_report(d, DIAG_FAIL, "crypto self-test",
			    "read the reason with dmesg | grep vmshield, then reload the module (rmmod vmshield; modprobe vmshield)",
			    "did not pass: the module refuses keys");
}

static void check_isolation(struct diag_run *d)
{
	const char *fix;

	if (!diag_need_info(d, "isolation"))
		return;
	if (d->info.isolation_level >= VMSHIELD_ISOLATION_KERNEL_LOCKED) {
		diag_report(d, DIAG_OK, "isolation", NULL, "%s",
			    vms_isolation_name(d->info.isolation_level));
		return;
	}
	if (d->info.lockdown < VMSHIELD_LOCKDOWN_CONFIDENTIALITY)
		fix = FIX_LOCKDOWN;
	else if (!(d->info.facts & VMSHIELD_FACT_SIG_ENFORCED))
		fix = FIX_SIG_ENFORCE;
	else
		fix = "see dmesg | grep vmshield for why the module claims less, and Documentation/admin-guide.md";
	diag_report(d, DIAG_FAIL, "isolation", fix,
		    "%s (lockdown %s): shielded VMs need kernel-locked",
		    vms_isolation_name(d->info.isolation_level),
		    vms_lockdown_level_name(d->info.lockdown));
}

static void check_lockdown(struct diag_run *d)
{
	const struct diag_paths *p = &d->env->paths;
	char line[128];
	int r, lvl;

	r = diag_read_line(p->lockdown, line, sizeof(line));
	lvl = r ? -1 : diag_parse_lockdown(line);
	d->lockdown_sysfs = lvl;
	if (lvl < 0 && !d->have_info) {
		diag_report(d, DIAG_FAIL, "lockdown",
			    "boot with lsm=lockdown,... and lockdown=confidentiality (Documentation/admin-guide.md)",
			    "cannot tell: %s: %s", p->lockdown,
			    r ? strerror(-r) : "has no [level]");
		return;
	}
	if (lvl >= 0 && d->have_info && (unsigned int)lvl != d->info.lockdown) {
		diag_report(d, DIAG_FAIL, "lockdown",
			    "reload the module (rmmod vmshield; modprobe vmshield) and report it if they still disagree",
			    "%s says %s but the module says %s",
			    p->lockdown, vms_lockdown_level_name((unsigned int)lvl),
			    vms_lockdown_level_name(d->info.lockdown));
		return;
	}
	if (lvl < 0)
		lvl = (int)d->info.lockdown;
	if (lvl < VMSHIELD_LOCKDOWN_CONFIDENTIALITY)
		diag_report(d, DIAG_FAIL, "lockdown", FIX_LOCKDOWN,
			    "%s: shielded VMs need confidentiality",
			    vms_lockdown_level_name((unsigned int)lvl));
	else
		diag_report(d, DIAG_OK, "lockdown", NULL, "%s%s",
			    vms_lockdown_level_name((unsigned int)lvl),
			    d->have_info && d->lockdown_sysfs >= 0 ?
			    " (sysfs and the module agree)" : "");
}

static void check_sig_enforce(struct diag_run *d)
{
	const struct diag_paths *p = &d->env->paths;
	char line[16];
	int on;

	if (d->have_info) {
		on = !!(d->info.facts & VMSHIELD_FACT_SIG_ENFORCED);
	} else if (!diag_read_line(p->sig_enforce, line, sizeof(line))) {
		on = line[0] == 'Y' || line[0] == '1';
	} else {
		on = d->lockdown_sysfs >= VMSHIELD_LOCKDOWN_INTEGRITY;
		if (!on) {
			diag_report(d, DIAG_WARN, "sig enforcement", NULL,
				    "cannot tell (no module, no %s)", p->sig_enforce);
			return;
		}
	}
	if (on)
		diag_report(d, DIAG_OK, "sig enforcement", NULL,
			    "unsigned modules are refused");
	else
		diag_report(d, DIAG_FAIL, "sig enforcement", FIX_SIG_ENFORCE,
			    "off: unsigned modules can be loaded");
}

static void check_module_sig(struct diag_run *d)
{
	if (!diag_need_info(d, "module signature"))
		return;
	if (d->info.facts & VMSHIELD_FACT_MODULE_SIG_OK)
		diag_report(d, DIAG_OK, "module signature", NULL, "vmshield.ko's signature verified");
	else
		diag_report(d, DIAG_FAIL, "module signature",
			    "sign vmshield.ko with a key the kernel trusts and reload it (Documentation/admin-guide.md, \"Sign the module\")",
			    "vmshield.ko is unsigned or its signature did not verify");
}

/* 1 when the IMA list has a vmshield-report entry, 0 if not, -errno. */
static int diag_ima_has_report(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		if (strstr(line, "vmshield-report"))
			found = 1;
	fclose(f);
	return found;
}

static void check_ima(struct diag_run *d)
{
	const char *log = d->env->paths.ima_log;
	int r;

	if (!diag_need_info(d, "ima"))
		return;
	if (!(d->info.facts & VMSHIELD_FACT_IMA_MEASURED)) {
		diag_report(d, DIAG_FAIL, "ima",
			    "add 'measure func=CRITICAL_DATA label=vmshield' to the IMA policy, then reload the module",
			    "the module's isolation report is not in the IMA measurement list");
		return;
	}
	r = diag_ima_has_report(log);
	if (r == 1)
		diag_report(d, DIAG_OK, "ima", NULL,
			    "report measured; vmshield-report entry in %s", log);
	else if (r == 0)
		diag_report(d, DIAG_FAIL, "ima",
			    "reload the module (rmmod vmshield; modprobe vmshield) and check the IMA policy; report it if it persists",
			    "the module says it measured its report but %s has no vmshield-report entry",
			    log);
	else
		diag_report(d, DIAG_OK, "ima", NULL,
			    "report measured (module fact; %s not readable: %s)",
			    log, strerror(-r));
}

static void check_ptrace(struct diag_run *d)
{
	const char *path = d->env->paths.ptrace_scope;
	char line[16];
	int r = diag_read_line(path, line, sizeof(line));

	if (r) {
		diag_report(d, DIAG_FAIL, "ptrace_scope",
			    "boot a kernel with Yama enabled (CONFIG_SECURITY_YAMA, lsm=...,yama) and set kernel.yama.ptrace_scope=3",
			    "Yama is not active (%s: %s)", path, strerror(-r));
	} else if (!strcmp(line, "3")) {
		diag_report(d, DIAG_OK, "ptrace_scope", NULL, "3: nobody can attach to the VM worker");
	} else {
		diag_report(d, DIAG_FAIL, "ptrace_scope",
			    "run sysctl -w kernel.yama.ptrace_scope=3 and set it in /etc/sysctl.d/ (it cannot be lowered until reboot)",
			    "%s: root can attach to the VM worker", line);
	}
}

static void check_kdump(struct diag_run *d)
{
	const char *path = d->env->paths.kexec_crash;
	char line[16];
	int r = diag_read_line(path, line, sizeof(line));

	if (r == -ENOENT)
		diag_report(d, DIAG_OK, "kdump", NULL, "no crash kernel support (%s absent)", path);
	else if (r)
		diag_report(d, DIAG_WARN, "kdump", NULL, "cannot read %s: %s", path, strerror(-r));
	else if (!strcmp(line, "0"))
		diag_report(d, DIAG_OK, "kdump", NULL, "no crash kernel loaded");
	else
		diag_report(d, DIAG_FAIL, "kdump",
			    "unload it (kexec -p -u), disable kdump-tools and remove crashkernel= from the kernel command line",
			    "a crash kernel is loaded: it could read enclave memory");
}

/*
 * A module signing key on the guarded host lets root sign a module of its
 * own that the kernel then trusts: kernel-locked no longer holds. DKMS
 * keeps its MOK private key in /var/lib/dkms/mok.key.
 */
static void check_mok_key(struct diag_run *d)
{
	const char *path = d->env->paths.mok_key;

	if (!path)
		return;
	if (access(path, F_OK) == 0)
		diag_report(d, DIAG_WARN, "signing key", NULL,
			    "%s is on this host: root can sign its own module with it; sign off the host (admin-guide.md) and remove it",
			    path);
	else
		diag_report(d, DIAG_OK, "signing key", NULL,
			    "no DKMS MOK private key on this host");
}

static void check_tpm(struct diag_run *d)
{
	const struct diag_paths *p = &d->env->paths;

	if (diag_exists(p->tpmrm))
		diag_report(d, DIAG_OK, "tpm", NULL, "%s present", p->tpmrm);
	else if (diag_exists(p->tpm))
		diag_report(d, DIAG_OK, "tpm", NULL, "%s present (no resource manager)", p->tpm);
	else
		diag_report(d, DIAG_WARN, "tpm", NULL,
			    "no %s or %s: host-key attestation works without one, TPM attestation will not",
			    p->tpmrm, p->tpm);
}

/* The pid of a process whose comm is @name, or 0. */
static long diag_find_process(const char *proc, const char *name)
{
	struct dirent *e;
	char path[512], comm[64];
	DIR *dir = opendir(proc);
	long pid = 0;

	if (!dir)
		return 0;
	while (!pid && (e = readdir(dir))) {
		char *end;
		long n = strtol(e->d_name, &end, 10);

		if (n <= 0 || *end)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/comm", proc,
				     e->d_name) >= sizeof(path))
			continue;
		if (!diag_read_line(path, comm, sizeof(comm)) && !strcmp(comm, name))
			pid = n;
	}
	closedir(dir);
	return pid;
}

/* What the agent says of its certificate and of each HGS URL. */
static void check_agent_status(struct diag_run *d, json_t *st)
{
	json_t *att = json_object_get(st, "attestation");
	json_t *cert = json_object_get(att, "certificate");
	json_t *err = json_object_get(att, "last_error");
	const char *state = json_string_value(json_object_get(att, "state"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	json_t *urls = json_object_get(st, "hgs"), *u;
	size_t i, down = 0;

	if (state && !strcmp(state, "valid")) {
		diag_report(d, DIAG_OK, "attestation", NULL,
			    "health certificate for %s, %s, %s mode, %lld s left",
			    json_string_value(json_object_get(cert, "subject_cn")) ?: "?",
			    json_string_value(json_object_get(cert, "isolation_level")) ?: "?",
			    json_string_value(json_object_get(cert, "attestation_mode")) ?: "?",
			    (long long)json_integer_value(json_object_get(cert, "seconds_left")));
	} else {
		diag_report(d, DIAG_FAIL, "attestation",
			    msg ? msg : "see hgs-agent status and its log (Documentation/agent.md, troubleshooting)",
			    "hgs-agent has no valid health certificate (state %s%s%s)",
			    state ? state : "unknown",
			    json_string_value(json_object_get(err, "substatus")) ? ", " : "",
			    json_string_value(json_object_get(err, "substatus")) ?: "");
	}
	json_array_foreach(urls, i, u) {
		const char *url = json_string_value(json_object_get(u, "url"));
		const char *ust = json_string_value(json_object_get(u, "state"));

		if (ust && !strcmp(ust, "reachable")) {
			diag_report(d, DIAG_OK, "hgs via agent", NULL, "%s (%s) reachable",
				    url ?: "?",
				    json_string_value(json_object_get(u, "role")) ?: "?");
		} else if (ust && !strcmp(ust, "unreachable")) {
			down++;
			diag_report(d, DIAG_WARN, "hgs via agent", NULL, "%s unreachable: %s",
				    url ?: "?",
				    json_string_value(json_object_get(u, "last_error")) ?: "");
		} else {
			/* a cached certificate: no need to talk to HGS yet */
			diag_report(d, DIAG_SKIP, "hgs via agent", NULL,
				    "%s not contacted since the agent started", url ?: "?");
		}
	}
	if (json_array_size(urls) && down == json_array_size(urls))
		diag_report(d, DIAG_FAIL, "hgs via agent",
			    "check the network, the firewall and that hgsd runs at hgs_url (hgs-agent.conf)",
			    "none of the agent's %zu HGS URLs answered", json_array_size(urls));
}

static void check_agent(struct diag_run *d)
{
	const struct diag_env *env = d->env;
	long pid = diag_find_process(env->paths.proc, "hgs-agent");
	const char *sock = env->agent_socket ? env->agent_socket : VMS_AGENT_SOCKET;
	json_error_t jerr;
	char *text = NULL;
	json_t *st;
	int r;

	if (!pid) {
		diag_report(d, DIAG_FAIL, "hgs-agent",
			    "start it: systemctl start hgs-agent (or hgs-agent -c /etc/vmshield/hgs-agent.conf); Documentation/agent.md",
			    "not running: no VM can get its key");
		return;
	}
	r = env->agent_status(sock, &text);
	if (r) {
		diag_report(d, DIAG_FAIL, "hgs-agent",
			    "check its log (journalctl -u hgs-agent) and its socket setting; restart it",
			    "running (pid %ld) but does not answer on %s: %s", pid,
			    sock, strerror(-r));
		return;
	}
	st = json_loads(text, 0, &jerr);
	free(text);
	if (!json_is_object(st)) {
		diag_report(d, DIAG_FAIL, "hgs-agent", "restart it and report the bug",
			    "running (pid %ld) but its status is not JSON", pid);
		json_decref(st);
		return;
	}
	diag_report(d, DIAG_OK, "hgs-agent", NULL, "running (pid %ld), answers on %s, %zu VM keys loaded",
		    pid, sock, json_array_size(json_object_get(json_object_get(st, "keys"), "loaded_keys")));
	check_agent_status(d, st);
	json_decref(st);
}

static void check_hgs(struct diag_run *d)
{
	const struct diag_env *env = d->env;
	struct vms_hgs_client *c = NULL;
	json_t *resp = NULL;
	long http = 0;
	int r;

	if (!env->hgs_url) {
		diag_report(d, DIAG_SKIP, "hgs", NULL, "no --hgs URL given");
		return;
	}
	if (env->cacert && access(env->cacert, R_OK)) {
		diag_report(d, DIAG_FAIL, "hgs",
			    "pass the CA that issued hgsd's TLS certificate (hgsd's tls.pem) with --cacert",
			    "cannot read --cacert %s: %s", env->cacert, strerror(errno));
		return;
	}
	r = vms_hgs_client_open(&c, env->hgs_url, env->cacert, NULL);
	if (r) {
		diag_report(d, DIAG_FAIL, "hgs", "check the --hgs URL (https://host:port)",
			    "cannot set up a client for %s: %s", env->hgs_url, strerror(-r));
		return;
	}
	r = vms_hgs_call(c, "/v1/health", NULL, &http, &resp);
	if (r) {
		diag_report(d, DIAG_FAIL, "hgs",
			    "check that hgsd runs at that URL, that the network allows it, and that --cacert is the CA of its TLS certificate",
			    "GET %s/v1/health failed: %s", env->hgs_url,
			    r == -EBADMSG ? "the answer is not JSON" : vms_hgs_client_error(c));
	} else if (http != 200 || strcmp(json_string_value(json_object_get(resp, "status")) ?: "", "Passed")) {
		diag_report(d, DIAG_FAIL, "hgs",
			    "check hgsd's log (journalctl -u hgsd) on the HGS machine",
			    "GET %s/v1/health answered HTTP %ld, status %s", env->hgs_url, http,
			    json_string_value(json_object_get(resp, "status")) ?: "(none)");
	} else {
		diag_report(d, DIAG_OK, "hgs", NULL, "%s answers /v1/health: Passed", env->hgs_url);
	}
	json_decref(resp);
	vms_hgs_client_close(c);
}

/* A certificate file in PEM or DER. */
static int diag_read_cert(const char *path, X509 **out)
{
	_cleanup_(vms_freep) uint8_t *data = NULL;
	size_t len;
	int r;

	*out = NULL;
	r = vms_read_file(path, 64 * 1024, &data, &len);
	if (r)
		return r;
	if (len && data[0] == '-')
		return vms_cert_from_pem((const char *)data, len, out);
	return vms_cert_from_der(data, len, out);
}

#define FIX_CERT "attest again to get a new certificate from HGS, and pass that file (PEM or DER) to --cert"

static void check_cert(struct diag_run *d)
{
	_cleanup_(X509_freep) X509 *x = NULL;
	const struct diag_env *env = d->env;
	struct vms_health_cert_info hc;
	char exp[32];
	struct tm tm;
	int r;

	if (!env->cert) {
		diag_report(d, DIAG_SKIP, "health cert", NULL, "no --cert FILE given");
		return;
	}
	r = diag_read_cert(env->cert, &x);
	if (r) {
		diag_report(d, DIAG_FAIL, "health cert", FIX_CERT,
			    "%s is not a readable health certificate: %s", env->cert,
			    r == -EINVAL ? "not an X.509 certificate (PEM or DER)" : strerror(-r));
		return;
	}
	r = vms_health_cert_parse(x, &hc);
	if (r) {
		diag_report(d, DIAG_FAIL, "health cert", FIX_CERT,
			    "%s is not a readable health certificate: %s", env->cert,
			    r == -EINVAL ? "not a vmshield health certificate" : strerror(-r));
		return;
	}
	gmtime_r(&hc.not_after, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (env->now > hc.not_after || env->now < hc.not_before) {
		diag_report(d, DIAG_FAIL, "health cert",
			    "restart hgs-agent (it attests at start) and check the host clock",
			    "CN=%s, %s %s", hc.host,
			    env->now > hc.not_after ? "expired" : "not yet valid, expires", exp);
		return;
	}
	if (!d->have_info) {
		diag_report(d, DIAG_WARN, "health cert", NULL,
			    "CN=%s, valid until %s; not compared with the enclave key (no module)",
			    hc.host, exp);
		return;
	}
	if (memcmp(hc.enclave_pk, d->info.enclave_pk, sizeof(hc.enclave_pk))) {
		diag_report(d, DIAG_FAIL, "health cert",
			    "attest again: the module was reloaded or the host rebooted since this certificate was issued",
			    "CN=%s, valid until %s, but certifies enclave key %02x%02x%02x%02x..., not this enclave's %02x%02x%02x%02x...",
			    hc.host, exp, hc.enclave_pk[0], hc.enclave_pk[1],
			    hc.enclave_pk[2], hc.enclave_pk[3], d->info.enclave_pk[0],
			    d->info.enclave_pk[1], d->info.enclave_pk[2],
			    d->info.enclave_pk[3]);
		return;
	}
	diag_report(d, DIAG_OK, "health cert", NULL,
		    "CN=%s, valid until %s, certifies this enclave's key (signature not checked here)",
		    hc.host, exp);
}

/* Run every check, print the results to @out; returns the failure count. */
static int diag_run_checks(const struct diag_env *env, FILE *out)
{
	struct diag_run d = { .env = env, .out = out, .lockdown_sysfs = -1 };

	if (env->json)
		d.checks = json_array();
	check_module(&d);
	check_selftest(&d);
	check_isolation(&d);
	check_lockdown(&d);
	check_sig_enforce(&d);
	check_module_sig(&d);
	check_ima(&d);
	check_ptrace(&d);
	check_kdump(&d);
	check_mok_key(&d);
	check_tpm(&d);
	check_agent(&d);
	check_hgs(&d);
	check_cert(&d);
	if (d.checks) {
		json_t *o = json_pack("{s:o, s:i, s:b}", "checks", d.checks,
				      "failures", d.failures, "ok", d.failures == 0);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			fprintf(out, "%s\n", s);
		else
			fprintf(out, "{\"failures\":%d,\"ok\":false}\n", d.failures + 1);
		free(s);
		json_decref(o);
		if (!s)
			d.failures++;
	} else {
		fprintf(out, "\n%d check%s failed\n", d.failures,
			d.failures == 1 ? "" : "s");
	}
	return d.failures;
}

static void diagnose_usage(FILE *f)
{
	fprintf(f,
		"Usage: shieldctl diagnose [--hgs URL [--cacert FILE]] [--cert FILE]\n"
		"                          [--agent SOCKET] [--json]\n\n"
		"Check that this guarded host can run shielded VMs and print, for each\n"
		"check, [ ok ], [FAIL], [warn] or [skip], what it found and, for every\n"
		"failure, what to do next. Checks: vmshield module loaded, crypto\n"
		"self-test, isolation level, lockdown, module signature enforcement,\n"
		"vmshield.ko's signature, IMA measurement of the report, Yama\n"
		"ptrace_scope, kdump, TPM, hgs-agent running and, asked over its socket,\n"
		"whether it holds a valid health certificate and reaches HGS; optionally:\n\n"
		"  --agent SOCKET hgs-agent's socket (default " VMS_AGENT_SOCKET ")\n"
		"  --hgs URL      HGS reachable: GET URL/v1/health over verified HTTPS\n"
		"  --cacert FILE  the CA of hgsd's TLS certificate (default: system CAs)\n"
		"  --cert FILE    health certificate (PEM or DER): not expired and issued\n"
		"                 for this enclave's key\n"
		"  --json         one JSON object: {\"checks\":[{name,status,found,fix}],...}\n\n"
		"Run as root (/dev/vmshield needs it). Exit status 0 when no check\n"
		"failed, 1 otherwise. Nothing secret is printed.\n");
}

int shieldctl_diagnose_main(int argc, char **argv)
{
	struct diag_env env = {
		.paths = diag_default_paths,
		.get_info = diag_real_get_info,
		.agent_status = vms_agent_status,
		.now = time(NULL),
	};
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			diagnose_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			env.json = 1;
			continue;
		} else if (!strcmp(a, "--hgs")) {
			val = &env.hgs_url;
		} else if (!strcmp(a, "--cacert")) {
			val = &env.cacert;
		} else if (!strcmp(a, "--cert")) {
			val = &env.cert;
		} else if (!strcmp(a, "--agent")) {
			val = &env.agent_socket;
		} else {
			fprintf(stderr, "shieldctl diagnose: unknown argument '%s'\n\n", a);
			diagnose_usage(stderr);
			return VMS_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "shieldctl diagnose: %s needs a value\n", a);
			return VMS_EXIT_USAGE;
		}
		*val = argv[++i];
	}
	if (env.cacert && !env.hgs_url) {
		fprintf(stderr, "shieldctl diagnose: --cacert goes with --hgs URL\n");
		return VMS_EXIT_USAGE;
	}
	return diag_run_checks(&env, stdout) ? 1 : 0;
}
