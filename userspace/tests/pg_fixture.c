// SPDX-License-Identifier: GPL-2.0
/*
 * pg_fixture.c - a private PostgreSQL for the tests (pg_fixture.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "vms_compiler.h"

#define PG_SUPERUSER	"hgs"

/* A port of 127.0.0.1 free right now (the kernel's pick). */
static unsigned int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	unsigned int port = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Run @argv as the fixture's user, output appended to DIR/pg.log; exit status. */
static int run_as(const struct t_pg *pg, char *const argv[])
{
	char log[300];
	pid_t pid;
	int st, fd;

	snprintf(log, sizeof(log), "%s/pg.log", pg->dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (pg->uid && (setgroups(0, NULL) || setgid(pg->gid) || setuid(pg->uid)))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* rm -rf @dir (a cluster's files belong to the fixture's user) */
static void remove_tree(const char *dir)
{
	char *const rm[] = { "/bin/rm", "-rf", (char *)dir, NULL };
	pid_t p = fork();

	if (p == 0) {
		execv(rm[0], rm);
		_exit(127);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void bin(const struct t_pg *pg, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", pg->bindir, name);
}

/*
 * A throw-away cluster (t_pg.throwaway) has no machine crash to survive:
 * no fsync, no full pages in the WAL, no autovacuum and the least WAL.
 * None of that changes what a client sees: a commit is visible at once
 * and kept across a server stop or crash, only not a machine's (no test
 * crashes the machine). synchronous_commit stays on: hgsd sets it per
 * connection (off for events only), and with fsync off a commit's flush
 * is a write. The store bench keeps the defaults (it counts durable
 * events).
 */
static const char *const throwaway[] = {
	"fsync=off", "full_page_writes=off", "autovacuum=off",
	"wal_level=minimal", "max_wal_senders=0",
};

int t_pg_start_server(struct t_pg *pg)
{
	char ctl[300], data[300], opts[600], log[300];
	char *const argv[] = { ctl, "-D", data, "-l", log, "-o", opts, "-w", "-t", "60",
			       "start", NULL };
	size_t i, n;

	bin(pg, "pg_ctl", ctl, sizeof(ctl));
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/server.log", pg->dir);
	n = snprintf(opts, sizeof(opts),
		     "-c listen_addresses=127.0.0.1 -p %u -k %s -c max_connections=100",
		     pg->port, pg->dir);
	for (i = 0; pg->throwaway && i < ARRAY_SIZE(throwaway) && n < sizeof(opts); i++)
		n += snprintf(opts + n, sizeof(opts) - n, " -c %s", throwaway[i]);
	return run_as(pg, argv) ? -1 : 0;
}

int t_pg_stop_server(struct t_pg *pg)
{
	char ctl[300], data[300];
	char *const argv[] = { ctl, "-D", data, "-m", "fast", "-w", "stop", NULL };

	bin(pg, "pg_ctl", ctl, sizeof(ctl));
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	return run_as(pg, argv) ? -1 : 0;
}

/* The watchdog: on SIGTERM or its parent's death, stop and remove. */
static void watchdog(struct t_pg *pg, pid_t parent)
{
	char ctl[300], data[300];
	char *const argv[] = { ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_PDEATHSIG, SIGHUP);
	if (getppid() != parent)	/* gone already */
		kill(getpid(), SIGHUP);
	sigwait(&set, &sig);
	bin(pg, "pg_ctl", ctl, sizeof(ctl));
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	run_as(pg, argv);
	remove_tree(pg->dir);
	_exit(0);
}

/* Who runs postgres: nobody special when we are not root. */
static int pick_user(struct t_pg *pg)
{
	const char *name = getenv("VMS_PG_USER");
	struct passwd *pw;

	pg->uid = 0;
	pg->gid = 0;
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(name ? name : "postgres");
	if (!pw && !name)
		pw = getpwnam("nobody");
	if (!pw || !pw->pw_uid) {
		fprintf(stderr, "# pg_fixture: no unprivileged user to run PostgreSQL (set VMS_PG_USER)\n");
		return -1;
	}
	pg->uid = pw->pw_uid;
	pg->gid = pw->pw_gid;
	return 0;
}

/* initdb into DIR/data, the superuser's password in DIR/superuser.pw */
static int make_cluster(struct t_pg *pg)
{
	char initdb[300], data[300], pwfile[300];
	char *const argv[] = { initdb, "-D", data, "-U", PG_SUPERUSER, "--pwfile", pwfile,
			       "--auth-local=trust", "--auth-host=scram-sha-256",
			       "--locale=C", "-E", "UTF8", "--no-sync", NULL };
	FILE *f;

	bin(pg, "initdb", initdb, sizeof(initdb));
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(pwfile, sizeof(pwfile), "%s/superuser.pw", pg->dir);
	f = fopen(pwfile, "w");
	if (!f)
		return -1;
	fprintf(f, "test-%u-%d\n", pg->port, (int)getpid());
	if (fclose(f) || chown(pwfile, pg->uid, pg->gid))
		return -1;
	if (run_as(pg, argv)) {
		fprintf(stderr, "# pg_fixture: initdb failed: see %s/pg.log\n", pg->dir);
		return -1;
	}
	return 0;
}

/* The template's cluster and its superuser's password copied into DIR */
static int copy_template(struct t_pg *pg, const char *tpl)
{
	static const char *const part[] = { "data", "superuser.pw" };
	char from[300], to[300];
	char *const argv[] = { "/bin/cp", "-a", from, to, NULL };
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s/%s", tpl, part[i]);
		snprintf(to, sizeof(to), "%s/%s", pg->dir, part[i]);
		if (run_as(pg, argv)) {
			fprintf(stderr, "# pg_fixture: cannot copy %s (VMS_PG_TEMPLATE): see %s/pg.log\n",
				from, pg->dir);
			return -1;
		}
	}
	return 0;
}

/* The binaries, the user and a new directory DIR owned by that user */
static int prepare(struct t_pg *pg, const char *prefix)
{
	const char *bd = getenv("PG_BINDIR");
	char path[300];

	snprintf(pg->bindir, sizeof(pg->bindir), "%s", bd ? bd : "/usr/lib/postgresql/15/bin");
	snprintf(path, sizeof(path), "%s/initdb", pg->bindir);
	if (access(path, X_OK)) {
		fprintf(stderr, "# pg_fixture: no %s (make deps installs postgresql-15)\n", path);
		return -1;
	}
	if (pick_user(pg))
		return -1;
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(pg->dir) || chown(pg->dir, pg->uid, pg->gid))
		return -1;
	return 0;
}

int t_pg_make_template(char *dir, size_t len)
{
	struct t_pg pg = { .watchdog = -1 };

	if (prepare(&pg, "vms-pgtpl"))
		return -1;
	if (make_cluster(&pg) || strlen(pg.dir) >= len) {
		remove_tree(pg.dir);
		return -1;
	}
	snprintf(dir, len, "%s", pg.dir);
	return 0;
}

int t_pg_start(struct t_pg *pg)
{
	const char *tpl = getenv("VMS_PG_TEMPLATE");
	pid_t parent = getpid();

	pg->watchdog = -1;
	if (prepare(pg, "vms-pg"))
		return -1;
	pg->port = free_port();
	pg->watchdog = fork();
	if (pg->watchdog < 0)
		return -1;
	if (pg->watchdog == 0)
		watchdog(pg, parent);
	if (tpl && tpl[0] ? copy_template(pg, tpl) : make_cluster(pg))
		goto fail;
	if (t_pg_start_server(pg)) {
		fprintf(stderr, "# pg_fixture: the server did not start: see %s/server.log\n",
			pg->dir);
		goto fail;
	}
	return 0;
fail:
	t_pg_stop(pg);
	return -1;
}

int t_pg_sql(struct t_pg *pg, const char *db, const char *sql)
{
	char psql[300], port[16], cmd[4096];
	char *const argv[] = { psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg->dir, "-p",
			       port, "-U", PG_SUPERUSER, "-d", (char *)db, "-c", cmd, NULL };

	bin(pg, "psql", psql, sizeof(psql));
	snprintf(port, sizeof(port), "%u", pg->port);
	snprintf(cmd, sizeof(cmd), "%s", sql);
	return run_as(pg, argv) ? -1 : 0;
}

int t_pg_createdb(struct t_pg *pg, const char *name, char *out, size_t len)
{
	char sql[256], pw[64] = "", pwfile[300], pass[300];
	FILE *f;

	/* a file copy: with fsync off, cheaper than WAL-logging template1 */
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"%s", name,
		 pg->throwaway ? " STRATEGY FILE_COPY" : "");
	if (t_pg_sql(pg, "postgres", sql))
		return -1;
	snprintf(pwfile, sizeof(pwfile), "%s/superuser.pw", pg->dir);
	f = fopen(pwfile, "r");
	if (!f || !fgets(pw, sizeof(pw), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	pw[strcspn(pw, "\n")] = 0;
	/* libpq's password file: ours (0600), the password never on a command line */
	snprintf(pass, sizeof(pass), "%s/pgpass", pg->dir);
	f = fopen(pass, "a");
	if (!f)
		return -1;
	fprintf(f, "127.0.0.1:%u:%s:%s:%s\n", pg->port, name, PG_SUPERUSER, pw);
	if (fclose(f) || chmod(pass, 0600))
		return -1;
	snprintf(out, len, "host=127.0.0.1 port=%u dbname=%s user=%s passfile=%s",
		 pg->port, name, PG_SUPERUSER, pass);
	return 0;
}

void t_pg_stop(struct t_pg *pg)
{
	if (pg->watchdog > 0) {
		kill(pg->watchdog, SIGTERM);
		waitpid(pg->watchdog, NULL, 0);
	}
	pg->watchdog = -1;
}
