// SPDX-License-Identifier: GPL-2.0
/*
 * swtpm_fixture.c - start and stop the swtpm the TPM tests run against
 * (swtpm_fixture.h).
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swtpm_fixture.h"

/* Bind 127.0.0.1:@port (0: any) and return the port, or -1. */
static int try_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &l))
		port = -1;
	else
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* A free port P with P + 1 free too (the swtpm TCTI's control port). */
static int free_port_pair(void)
{
	int i, p;

	for (i = 0; i < 50; i++) {
		p = try_port(0);
		if (p > 0 && p < 65535 && try_port(p + 1) == p + 1)
			return p;
	}
	return -1;
}

static int port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = s >= 0 && !connect(s, (struct sockaddr *)&a, sizeof(a));
	if (s >= 0)
		close(s);
	return ok;
}

/* swtpm_setup's configuration: EK certificates from swtpm_localca. */
static int write_setup_config(const char *dir)
{
	char conf[1024], path[512];

	snprintf(path, sizeof(path), "%s/ca", dir);
	if (mkdir(path, 0700))
		return -1;
	snprintf(conf, sizeof(conf),
		 "statedir = %s/ca\nsigningkey = %s/ca/signkey.pem\n"
		 "issuercert = %s/ca/issuercert.pem\n"
		 "certserial = %s/ca/certserial\n", dir, dir, dir, dir);
	snprintf(path, sizeof(path), "%s/localca.conf", dir);
	if (t_write_text(path, conf))
		return -1;
	snprintf(conf, sizeof(conf),
		 "create_certs_tool = swtpm_localca\n"
		 "create_certs_tool_config = %s/localca.conf\n"
		 "active_pcr_banks = sha256\n", dir);
	snprintf(path, sizeof(path), "%s/setup.conf", dir);
	return t_write_text(path, conf);
}

static int spawn_swtpm(struct t_swtpm *s, const char *state)
{
	pid_t parent = getpid();
	char srv[96], ctrl[96], state_arg[512];
	char *const argv[] = { "swtpm", "socket", "--tpm2", "--server", srv,
			       "--ctrl", ctrl, "--tpmstate", state_arg,
			       "--flags", "startup-clear", NULL };

	snprintf(srv, sizeof(srv), "type=tcp,port=%d,bindaddr=127.0.0.1",
		 s->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1",
		 s->port + 1);
	snprintf(state_arg, sizeof(state_arg), "dir=%s", state);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid)
		return 0;
	/* it dies with the test: a test killed runs no teardown */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	execvp("swtpm", argv);
	_exit(127);
}

int t_swtpm_start(struct t_swtpm *s, const char *dir, const char *state)
{
	int i;

	s->pid = -1;
	if (write_setup_config(dir) ||
	    t_run("swtpm_setup --tpm2 --createek --create-ek-cert --tpmstate %s --config %s/setup.conf",
		  state, dir)) {
		fprintf(stderr, "# swtpm_setup failed: see %s/tools.log\n", dir);
		return -1;
	}
	s->port = free_port_pair();
	if (s->port < 0 || spawn_swtpm(s, state)) {
		fprintf(stderr, "# cannot start swtpm (a free port pair on 127.0.0.1, swtpm on PATH?)\n");
		return -1;
	}
	for (i = 0; i < 200 && !port_open(s->port); i++)	/* 10 s */
		usleep(50 * 1000);
	if (!port_open(s->port)) {
		fprintf(stderr, "# swtpm did not listen on 127.0.0.1:%d\n",
			s->port);
		return -1;
	}
	snprintf(s->tcti, sizeof(s->tcti), "swtpm:host=127.0.0.1,port=%d",
		 s->port);
	setenv("TPM2TOOLS_TCTI", s->tcti, 1);
	return 0;
}

void t_swtpm_stop(struct t_swtpm *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
}
