/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hgsd_run.h - what the benches that drive a real hgsd share: hgsd
 * initialised, configured, started on a free port of 127.0.0.1 (its
 * output dropped) and stopped; a call that must answer 200; HGS's KPS
 * key; the bench's one way to give up. Linked by hgsd_bench,
 * hgsd_store_bench and roll_bench.
 */
#ifndef VMS_BENCH_HGSD_RUN_H
#define VMS_BENCH_HGSD_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "vms_compiler.h"
#include "vms_hgs_client.h"

/* the enclave challenge the benches' releases answer (KPS only binds it) */
#define BENCH_CHALLENGE	"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

struct bench_hgsd {
	char dir[160];		/* its state directory (hgsd --init) */
	char url[64];		/* https://127.0.0.1:PORT, while it runs */
	char ca[200];		/* its TLS certificate: DIR/tls.pem */
	char sock[200];		/* its admin socket: DIR/admin.sock */
	int port;		/* its HTTPS port, while it runs */
	pid_t pid;		/* 0 when not running */
};

/* The bench's name for its messages ("hgsd bench"); set it first. */
extern const char *bench_name;

/* "NAME: WHAT failed" on stderr, every hgsd started here stopped, exit 1. */
_Noreturn void bench_die(const char *what);
/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/*
 * `BIN --init DIR --port 0 [STORE]` (STORE: hgsd's --store argument, or
 * NULL for SQLite), its output dropped; dies on failure.
 */
void bench_hgsd_init(struct bench_hgsd *h, const char *bin, const char *dir,
		     const char *store);
/* Append @fmt... to DIR/hgsd.conf; dies on failure. */
void bench_hgsd_conf(struct bench_hgsd *h, const char *fmt, ...) __printf(2, 3);
/*
 * Start it (@cpu >= 0: pinned to that core), wait up to 15 s for its port
 * file; dies if it does not come. It dies with the bench (PDEATHSIG).
 */
void bench_hgsd_start(struct bench_hgsd *h, const char *bin, int cpu);
/* SIGTERM and wait, if it runs. */
void bench_hgsd_stop(struct bench_hgsd *h);

/* POST (@req, freed here) or GET (@req NULL) @path: the 200 answer, or die. */
json_t *bench_call(struct vms_hgs_client *c, const char *path, json_t *req);
/* HGS's KPS key from /v1/metadata: what a host's report names (issue 17). */
void bench_kps_key(struct vms_hgs_client *c, uint8_t pk[32]);

#endif /* VMS_BENCH_HGSD_RUN_H */
