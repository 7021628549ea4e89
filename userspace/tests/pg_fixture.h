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
};

/* Start one: 0, or -1 with a line on stderr (and nothing left behind). */
int t_pg_start(struct t_pg *pg);
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
