/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pg_fixture.h - a real PostgreSQL 15 for the tests, never a system
 * cluster: initdb (PG_BINDIR, else /usr/lib/postgresql/15/bin) into a
 * temporary directory, run by an unprivileged user when the tests run as
 * root (VMS_PG_USER, else "postgres", else "nobody"), listening on
 * 127.0.0.1 on a free port with its socket in that directory; password
 * (SCRAM) logins over TCP, trust only on that private socket. A watchdog
 * process stops it and removes the directory when the test process
 * ends, however it ends.
 *
 * VMS_PG_TEMPLATE (check-pg sets it, from t_pg_make_template): a stopped
 * cluster copied instead of running initdb, which is most of a start's
 * CPU; t_pg_start fails when it is set but cannot be copied.
 */
#ifndef VMS_PG_FIXTURE_H
#define VMS_PG_FIXTURE_H

#include <sys/types.h>

struct t_pg {
	char dir[256];		/* data/, its socket, its log, the password file */
	char bindir[256];
	unsigned int port;
	uid_t uid;		/* who runs postgres (0: as ourselves) */
	gid_t gid;
	pid_t watchdog;		/* -1 when not running */
	int throwaway;		/* 1: fsync and co. off (set before t_pg_start) */
};

/* Start one: 0, or -1 with a line on stderr (and nothing left behind). */
int t_pg_start(struct t_pg *pg);
/*
 * A template for VMS_PG_TEMPLATE: initdb into a new directory whose path
 * goes into @dir, no server started, nothing removed at exit: 0 or -1.
 */
int t_pg_make_template(char *dir, size_t len);
/* A new database @name; its libpq conninfo (TCP, password file) into @out. */
int t_pg_createdb(struct t_pg *pg, const char *name, char *out, size_t len);
/* Run @sql in database @db as the superuser (psql): 0 or -1. */
int t_pg_sql(struct t_pg *pg, const char *db, const char *sql);
/* Stop the server (fast) and start it again, the data kept: 0 or -1. */
int t_pg_stop_server(struct t_pg *pg);
int t_pg_start_server(struct t_pg *pg);
/* Stop it and remove its directory. */
void t_pg_stop(struct t_pg *pg);

#endif /* VMS_PG_FIXTURE_H */
