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

#include "hgsd_fixture.h"
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
static struct t_pg pg = { .watchdog = -1 };
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

/* hgsd writes its port file once it listens; 0 until then. */
static unsigned int read_port(const char *pf)
{
	char buf[16];
	ssize_t n;
	int fd = open(pf, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (unsigned int)atoi(buf);
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

		h->port = read_port(pf);
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
