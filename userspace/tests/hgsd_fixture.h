/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hgsd_fixture.h - a real hgsd for the tests: the built binary (HGSD_BIN,
 * else ../build/bin/hgsd) initialised into a scratch directory, started
 * on 127.0.0.1 (a free port it picks), reached over HTTPS and over its
 * admin socket, and stopped. HGSD_TEST_STORE=postgresql puts its store
 * on a private PostgreSQL (pg_fixture.h) instead of SQLite.
 */
#ifndef VMS_HGSD_FIXTURE_H
#define VMS_HGSD_FIXTURE_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "vms_hgs_client.h"

struct t_hgsd {
	char bin[4096];		/* absolute path of hgsd */
	char dir[512];		/* its state directory (hgsd --init) */
	pid_t pid;		/* -1 when not running */
	unsigned int port;	/* its HTTPS port while it runs */
	struct vms_hgs_client *cli;	/* HTTPS, verified against tls.pem */
	struct vms_hgs_client *adm;	/* the admin socket */
	char pg_db[32];		/* its PostgreSQL database, "" on SQLite */
};

/*
 * The store a new hgsd gets: "" (SQLite, in its directory) unless
 * HGSD_TEST_STORE=postgresql, then "postgresql:CONNINFO" of a new
 * database on this process's PostgreSQL (pg_fixture.h, started at the
 * first call, stopped at exit). 0, or -1 with a line on stderr.
 */
int t_hgsd_store(char *out, size_t len, char db[32]);
/* Run @sql on @h's store (sqlite3 or psql), behind its back: 0 or -1. */
int t_hgsd_sql(const struct t_hgsd *h, const char *sql);
/* Whether this process's hgsds run on PostgreSQL (HGSD_TEST_STORE). */
int t_hgsd_on_pg(void);
/* This process's PostgreSQL (started now if need be), or NULL. */
struct t_pg *t_hgsd_pg(void);

/*
 * `hgsd --init @dir --port 0` (with t_hgsd_store()'s --store; its output in @dir.init.log), then
 * @conf_lines appended to @dir/hgsd.conf. A relative HGSD_BIN is taken
 * from the current directory, so call this before any chdir(). 0, or -1
 * with a line on stderr.
 */
int t_hgsd_init(struct t_hgsd *h, const char *dir, const char *conf_lines);
/*
 * Start it (stderr and stdout to @dir/hgsd.log), wait up to 10 s for its
 * port file and open both clients. 0, or -1 with a line on stderr.
 */
int t_hgsd_start(struct t_hgsd *h);
/* Close the clients and stop it with @sig (SIGTERM, or SIGKILL for a crash). */
void t_hgsd_stop(struct t_hgsd *h, int sig);

/*
 * POST (@req, consumed) or GET (@req NULL) @path; fails the test unless
 * the answer is @want_http with substatus @want_sub. The answer (decref it).
 */
json_t *t_hgs_call(struct vms_hgs_client *c, const char *path, json_t *req,
		   long want_http, const char *want_sub);
/* The same, wanting 200 Passed, the answer dropped. */
void t_hgs_call_ok(struct vms_hgs_client *c, const char *path, json_t *req);
/*
 * HGS's KPS key from its /v1/metadata: what a host's report must name
 * (kps_pk=) since issue 17, as hgs-agent names it before it attests.
 */
void t_hgs_kps_key(struct vms_hgs_client *c, uint8_t pk[32]);

/*
 * The attest request (host-key mode) of host @name over the nonce answer
 * @nonce_resp: a kernel-locked isolation report naming its enclave's key
 * @epk and HGS's KPS key @kps_pk, signed with @key.
 */
json_t *t_attest_req(const char *name, EVP_PKEY *key, const uint8_t epk[32],
		     const uint8_t kps_pk[32], json_t *nonce_resp);
/*
 * Register host @name at @adm with the public half of @key (host-key
 * mode), take a nonce at @cli and attest with a kernel-locked isolation
 * report naming @epk (its enclave's key) and HGS's KPS key, signed with
 * @key: its health certificate (base64, free() it). The attest request,
 * to replay it, into *@replay when @replay is not NULL. Fails the test
 * on any error.
 */
char *t_host_attest(struct vms_hgs_client *adm, struct vms_hgs_client *cli, const char *name,
		    EVP_PKEY *key, const uint8_t epk[32], json_t **replay);
/* The same for a new host: an Ed25519 host key and an enclave key, made here and dropped. */
char *t_host_attest_new(struct vms_hgs_client *adm, struct vms_hgs_client *cli, const char *name,
			json_t **replay);
#endif /* VMS_HGSD_FIXTURE_H */
