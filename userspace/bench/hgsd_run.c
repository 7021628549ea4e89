// SPDX-License-Identifier: GPL-2.0
/*
 * hgsd_run.c - a real hgsd for the benches, and their calls to it
 * (hgsd_run.h).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hgsd_run.h"
#include "vms_fileio.h"
#include "vms_hex.h"

#define MAX_RUNNING	8

const char *bench_name = "bench";
/* every hgsd started and not stopped, for bench_die() */
static struct bench_hgsd *running[MAX_RUNNING];

_Noreturn void bench_die(const char *what)
{
	int i;

	fprintf(stderr, "%s: %s failed\n", bench_name, what);
	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] && running[i]->pid > 0)
			kill(running[i]->pid, SIGTERM);
	exit(1);
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_hgsd_init(struct bench_hgsd *h, const char *bin, const char *dir,
		     const char *store)
{
	char cmd[2048];

	memset(h, 0, sizeof(*h));
	if (snprintf(h->dir, sizeof(h->dir), "%s", dir) >= (int)sizeof(h->dir))
		bench_die("hgsd's directory name");
	snprintf(cmd, sizeof(cmd), "%s --init %s --port 0%s%s >/dev/null 2>&1",
		 bin, h->dir, store ? " --store " : "", store ? store : "");
	if (system(cmd))
		bench_die("hgsd --init");
	snprintf(h->ca, sizeof(h->ca), "%s/tls.pem", h->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/admin.sock", h->dir);
}

void bench_hgsd_conf(struct bench_hgsd *h, const char *fmt, ...)
{
	char path[200];
	va_list ap;
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/hgsd.conf", h->dir);
	f = fopen(path, "a");
	if (!f)
		bench_die("hgsd's configuration");
	va_start(ap, fmt);
	bad = vfprintf(f, fmt, ap) < 0;
	va_end(ap);
	if (fclose(f) || bad)
		bench_die("hgsd's configuration");
}


static void remember(struct bench_hgsd *h)
{
	int i;

	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] == h)
			return;
	for (i = 0; i < MAX_RUNNING; i++)
		if (!running[i]) {
			running[i] = h;
			return;
		}
}

void bench_hgsd_start(struct bench_hgsd *h, const char *bin, int cpu)
{
	char conf[200], pf[200];
	pid_t parent = getpid();
	int i, fd;

	snprintf(conf, sizeof(conf), "%s/hgsd.conf", h->dir);
	snprintf(pf, sizeof(pf), "%s/hgsd.port", h->dir);
	unlink(pf);
	h->port = 0;
	h->pid = fork();
	if (h->pid < 0)
		bench_die("fork");
	if (h->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execl(bin, "hgsd", "-c", conf, (char *)NULL);
		_exit(127);
	}
	remember(h);
	for (i = 0; i < 300 && !h->port; i++) {		/* 15 s */
		h->port = (int)vms_read_port_file(pf);
		if (!h->port)
			usleep(50000);
	}
	if (!h->port)
		bench_die("hgsd start");
	snprintf(h->url, sizeof(h->url), "https://127.0.0.1:%d", h->port);
}

void bench_hgsd_stop(struct bench_hgsd *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, NULL, 0);
	}
	h->pid = 0;
	h->port = 0;
}

json_t *bench_call(struct vms_hgs_client *c, const char *path, json_t *req)
{
	json_t *resp = NULL;
	long http = 0;

	if (vms_hgs_call(c, path, req, &http, &resp) || http != 200) {
		fprintf(stderr, "%s: %s: HTTP %ld %s\n", bench_name, path, http,
			resp ? vms_hgs_substatus(resp) : vms_hgs_client_error(c));
		bench_die(path);
	}
	json_decref(req);
	return resp;
}

void bench_kps_key(struct vms_hgs_client *c, uint8_t pk[32])
{
	json_t *md = bench_call(c, "/v1/metadata", NULL);
	const char *hex = json_string_value(json_object_get(md, "kps_public_key"));

	if (!hex || vms_hex_decode_exact(hex, pk, 32))
		bench_die("kps_public_key");
	json_decref(md);
}
