// SPDX-License-Identifier: GPL-2.0
/*
 * hgsd_fixture.c - a real hgsd for test_hgsd and test_hgsd_tpm
 * (hgsd_fixture.h), and the call helpers that check its answers.
 */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmshield.h>
#include <openssl/crypto.h>

#include "hgsd_fixture.h"
#include "report.h"
#include "vms_b64.h"
#include "vms_hgs_attest.h"
#include "vms_keyfile.h"
#include "vms_x509.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "pg_fixture.h"

/* HGSD_BIN (as make check sets it), else the build tree's, made absolute. */
static int find_bin(struct t_hgsd *h)
{
	const char *bin = getenv("HGSD_BIN");
	char abs[PATH_MAX];

	if (!bin)
		bin = "../build/bin/hgsd";
	if (!realpath(bin, abs) || strlen(abs) >= sizeof(h->bin)) {
		fprintf(stderr, "# no hgsd at %s: build it or set HGSD_BIN\n",
			bin);
		return -1;
	}
	strcpy(h->bin, abs);
	return 0;
}

/*
 * Fork and exec hgsd with @args..., output appended to @log. It dies with
 * the test: a test killed, or ended by a sanitizer, runs no teardown.
 */
static pid_t spawn_hgsd(const struct t_hgsd *h, const char *log,
			const char *a1, const char *a2, const char *a3,
			const char *a4, const char *a5, const char *a6)
{
	pid_t parent = getpid(), pid = fork();
	int fd;

	if (pid)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		dup2(fd, 1);
	}
	execl(h->bin, "hgsd", a1, a2, a3, a4, a5, a6, (char *)NULL);
	_exit(127);
}

/* The PostgreSQL of this test process, started at the first hgsd on it. */
static struct t_pg pg = { .watchdog = -1, .throwaway = 1 };
static unsigned int n_databases;

static void stop_pg(void)
{
	t_pg_stop(&pg);
}

struct t_pg *t_hgsd_pg(void)
{
	if (pg.watchdog > 0)
		return &pg;
	if (t_pg_start(&pg))
		return NULL;
	atexit(stop_pg);
	return &pg;
}

int t_hgsd_on_pg(void)
{
	const char *which = getenv("HGSD_TEST_STORE");

	return which && !strcmp(which, "postgresql");
}

int t_hgsd_store(char *out, size_t len, char name[32])
{
	const char *which = getenv("HGSD_TEST_STORE");
	char conninfo[900];

	out[0] = 0;
	name[0] = 0;
	if (!which || !strcmp(which, "sqlite"))
		return 0;
	if (strcmp(which, "postgresql")) {
		fprintf(stderr, "# HGSD_TEST_STORE=%s: sqlite or postgresql\n", which);
		return -1;
	}
	snprintf(name, 32, "hgsd_%u", ++n_databases);
	if (!t_hgsd_pg() || t_pg_createdb(&pg, name, conninfo, sizeof(conninfo)))
		return -1;
	snprintf(out, len, "postgresql:%s", conninfo);
	return 0;
}

int t_hgsd_init(struct t_hgsd *h, const char *dir, const char *conf_lines)
{
	char log[600], conf[600], store[1024];
	pid_t pid;
	FILE *f;
	int st;

	h->pid = -1;
	h->port = 0;
	h->cli = h->adm = NULL;
	if (find_bin(h) || strlen(dir) >= sizeof(h->dir))
		return -1;
	strcpy(h->dir, dir);
	snprintf(log, sizeof(log), "%s.init.log", dir);
	if (t_hgsd_store(store, sizeof(store), h->pg_db))
		return -1;
	pid = spawn_hgsd(h, log, "--init", dir, "--port", "0", store[0] ? "--store" : NULL,
			 store[0] ? store : NULL);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		fprintf(stderr, "# hgsd --init failed: see %s\n", log);
		return -1;
	}
	snprintf(conf, sizeof(conf), "%s/hgsd.conf", dir);
	f = fopen(conf, "a");
	if (!f)
		return -1;
	fputs(conf_lines, f);
	return fclose(f) ? -1 : 0;
}


int t_hgsd_start(struct t_hgsd *h)
{
	char pf[600], log[600], conf[600], url[64], ca[600], sock[600];
	int i;

	snprintf(pf, sizeof(pf), "%s/hgsd.port", h->dir);
	snprintf(log, sizeof(log), "%s/hgsd.log", h->dir);
	snprintf(conf, sizeof(conf), "%s/hgsd.conf", h->dir);
	unlink(pf);
	h->port = 0;	/* a restart: wait for the new port file */
	h->pid = spawn_hgsd(h, log, "-c", conf, NULL, NULL, NULL, NULL);
	if (h->pid < 0)
		return -1;
	/*
	 * At most 60 s, or until hgsd has exited (left for t_hgsd_stop to
	 * reap): an ASan hgsd at a load of 20 took more than the 10 s this
	 * was (session 11)
	 */
	for (i = 0; i < 1200 && !h->port; i++) {
		siginfo_t si = { 0 };

		h->port = vms_read_port_file(pf);
		if (h->port)
			break;
		if (!waitid(P_PID, h->pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == h->pid)
			break;
		usleep(50000);
	}
	if (!h->port) {
		fprintf(stderr, "# hgsd did not start: see %s\n", log);
		return -1;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", h->port);
	snprintf(ca, sizeof(ca), "%s/tls.pem", h->dir);
	snprintf(sock, sizeof(sock), "%s/admin.sock", h->dir);
	if (vms_hgs_client_open(&h->cli, url, ca, NULL) ||
	    vms_hgs_client_open(&h->adm, NULL, NULL, sock))
		return -1;
	return 0;
}

void t_hgsd_stop(struct t_hgsd *h, int sig)
{
	vms_hgs_client_close(h->cli);
	vms_hgs_client_close(h->adm);
	h->cli = h->adm = NULL;
	if (h->pid > 0) {
		kill(h->pid, sig);
		waitpid(h->pid, NULL, 0);
	}
	h->pid = -1;
	h->port = 0;
}

int t_hgsd_sql(const struct t_hgsd *h, const char *sql)
{
	char db[600];
	char *const argv[] = { "/usr/bin/sqlite3", db, (char *)sql, NULL };
	pid_t pid;
	int st;

	if (h->pg_db[0])
		return t_pg_sql(&pg, h->pg_db, sql);
	snprintf(db, sizeof(db), "%s/hgsd.db", h->dir);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

json_t *t_hgs_call(struct vms_hgs_client *c, const char *path, json_t *req,
		   long want_http, const char *want_sub)
{
	json_t *resp = NULL;
	long http = 0;
	int r = vms_hgs_call(c, path, req, &http, &resp);

	json_decref(req);
	if (r)
		fail_msg("%s: transport error %d: %s", path, r,
			 vms_hgs_client_error(c));
	if (http != want_http || strcmp(vms_hgs_substatus(resp), want_sub)) {
		char *s = json_dumps(resp, JSON_COMPACT);

		fail_msg("%s: got HTTP %ld %s, want %ld %s", path, http,
			 s ? s : "?", want_http, want_sub);
	}
	return resp;
}

void t_hgs_call_ok(struct vms_hgs_client *c, const char *path, json_t *req)
{
	json_decref(t_hgs_call(c, path, req, 200, "Passed"));
}

void t_hgs_kps_key(struct vms_hgs_client *c, uint8_t pk[32])
{
	json_t *md = t_hgs_call(c, "/v1/metadata", NULL, 200, "Passed");
	const char *hex = json_string_value(json_object_get(md, "kps_public_key"));

	assert_non_null(hex);
	assert_int_equal(vms_hex_decode_exact(hex, pk, 32), 0);
	json_decref(md);
}

json_t *t_attest_req(const char *name, EVP_PKEY *key, const uint8_t epk[32],
		     const uint8_t kps_pk[32], json_t *nonce_resp)
{
	const char *nonce64 = json_string_value(json_object_get(nonce_resp, "nonce"));
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], pkhex[65], *sig64;
	uint8_t *nonce, *sig;
	size_t len, siglen;
	json_t *q;

	assert_non_null(nonce64);
	assert_int_equal(vms_b64_decode(nonce64, strlen(nonce64), 32, &nonce, &len), 0);
	rep.placement = VMSHIELD_PLACEMENT_KERNEL;
	rep.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = 1;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, epk, 32);
	rep.kps_set = 1;	/* HGS's KPS key, named first as hgs-agent does (issue 17) */
	memcpy(rep.kps_pk, kps_pk, 32);
	assert_true(vms_report_format(&rep, report, sizeof(report)) > 0);
	assert_int_equal(vms_attest_sign(key, nonce, epk, report, strlen(report), &sig, &siglen),
			 0);
	sig64 = vms_b64_encode(sig, siglen);
	vms_hex_encode(epk, 32, pkhex);
	q = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "session",
		      json_string_value(json_object_get(nonce_resp, "session")), "nonce", nonce64,
		      "host", name, "enclave_pk", pkhex, "report", report, "signature", sig64);
	assert_non_null(q);
	free(nonce);
	free(sig);
	free(sig64);
	return q;
}

char *t_host_attest(struct vms_hgs_client *adm, struct vms_hgs_client *cli, const char *name,
		    EVP_PKEY *key, const uint8_t epk[32], json_t **replay)
{
	char *pem = NULL, *cert;
	uint8_t kps_pk[32];
	json_t *n, *q, *r;

	assert_int_equal(vms_pkey_to_pem(key, &pem), 0);
	t_hgs_call_ok(adm, "/v1/admin/hosts/add",
		      json_pack("{s:s, s:s}", "name", name, "public_key", pem));
	free(pem);
	t_hgs_kps_key(cli, kps_pk);
	n = t_hgs_call(cli, "/v1/attest/nonce", json_object(), 200, "Passed");
	q = t_attest_req(name, key, epk, kps_pk, n);
	if (replay)
		*replay = json_deep_copy(q);
	r = t_hgs_call(cli, "/v1/attest", q, 200, "Passed");
	cert = strdup(json_string_value(json_object_get(r, "health_certificate")));
	assert_non_null(cert);
	json_decref(n);
	json_decref(r);
	return cert;
}

char *t_host_attest_new(struct vms_hgs_client *adm, struct vms_hgs_client *cli, const char *name,
			json_t **replay)
{
	EVP_PKEY *key = vms_pkey_gen_ed25519();
	uint8_t esk[32], epk[32];
	char *cert;

	assert_non_null(key);
	assert_int_equal(vms_x25519_keygen(esk, epk), 0);
	cert = t_host_attest(adm, cli, name, key, epk, replay);
	OPENSSL_cleanse(esk, sizeof(esk));
	EVP_PKEY_free(key);
	return cert;
}
