// SPDX-License-Identifier: GPL-2.0
/*
 * pg_serve.c - the PostgreSQL fixture (pg_fixture.h) for the shell tests:
 * hgs_test.sh on PostgreSQL (HGSD_TEST_STORE=postgresql, make check-pg).
 *
 * Starts a private PostgreSQL 15, then reads database names, one a line,
 * on stdin: each is created and answered on stdout with the hgsd store
 * for it ("postgresql:CONNINFO", the password in a password file, never on
 * a command line) or "error". At the end of stdin, or when killed, the
 * fixture's watchdog stops the server and removes its directory.
 *
 * pg_serve --template: initdb once into a new directory, print its path
 * and exit (check-pg's VMS_PG_TEMPLATE, copied by every fixture of the
 * run instead of an initdb each; the caller removes it).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pg_fixture.h"

/* Names hgs_test.sh uses: a letter, then letters, digits and '_'. */
static int good_name(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]) || strlen(s) > 40)
		return 0;
	for (i = 1; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct t_pg pg = { .watchdog = -1, .throwaway = 1 };
	char line[128], conninfo[1024];

	if (argc == 2 && !strcmp(argv[1], "--template")) {
		if (t_pg_make_template(line, sizeof(line)))
			return 1;
		printf("%s\n", line);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: pg_serve [--template]\n");
		return 2;
	}
	if (t_pg_start(&pg))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (good_name(line) && !t_pg_createdb(&pg, line, conninfo, sizeof(conninfo)))
			printf("postgresql:%s\n", conninfo);
		else
			printf("error\n");
	}
	t_pg_stop(&pg);
	return 0;
}
