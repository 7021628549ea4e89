// SPDX-License-Identifier: GPL-2.0
/*
 * storm_bench - the boot-storm benchmark, guest side (issue 6): N VMs
 * (one KP and one tenant-sealed state each, made by `run --bench`) start
 * at once on a guarded host, through a pool of T threads, measured
 * against KPS alone in the same run:
 *
 *   KPS-only    N POST /v1/kps/release straight to hgsd (libcurl through
 *               vms_hgs_client, one keep-alive connection per thread, the
 *               agent's cached health certificate state_dir/health.pem);
 *               no load, no unseal: releases/s.
 *   end to end  N "VM starts", each vms_agent_release() (agent -> KPS ->
 *               add_key into vmshield.ko) then UNSEAL of that VM's sealed
 *               state, whose plaintext must be the tenant's: VMs/s.
 *
 * Before both, one untimed KPS-only pass over the N KPs warms hgsd's
 * certificate and KP caches (they skip signature checks on a hit), so
 * neither timed phase is favoured by running second. Inputs are read into
 * memory first: the figures are the fabric's, not the 9p disk's.
 * Not a test: prints figures and asserts nothing about time; exits 1 when
 * any VM failed (its reason is printed), 2 on a setup error, 3 on usage.
 * Non-dumpable, as an approved worker must be (its digest is registered).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "vmshield.h"
#include "vms_agent_client.h"
#include "vms_b64.h"
#include "vms_fileio.h"
#include "vms_hgs_client.h"
#include "vms_x509.h"

#define MAX_VMS		4096
#define MAX_THREADS	256
#define KP_MAX		(64u << 10)
#define STATE_MAX	(1u << 20)
#define WHY_LEN		640

struct vm {
	char uuid[37];
	uint8_t *kp, *sealed, *plain;
	size_t kp_len, sealed_len, plain_len;
	char *kp64;
	double lat;			/* seconds, last timed phase */
	double rel_lat;			/* end to end: of which the release */
	char why[WHY_LEN];		/* "" = this VM succeeded */
};

static struct {
	const char *dir, *url, *ca, *cert, *sock;
	unsigned int n, threads, deadline;
	char *cert64;
	struct vm *vms;
} B;

/* One phase: the pool's threads take VM indexes from @next. */
struct phase {
	int (*one)(struct vm *v, struct vms_hgs_client *c);
	atomic_uint next;
	atomic_uint failed;
};

static struct vms_hgs_client *clients[MAX_THREADS];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wipe_free(uint8_t *p, size_t len)
{
	if (p)
		OPENSSL_cleanse(p, len);
	free(p);
}

/* ---------- inputs ---------- */

static int read_vm_file(unsigned int i, const char *ext, size_t max,
			uint8_t **out, size_t *len)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/bench%u.%s", B.dir, i + 1, ext);
	r = vms_read_file(path, max, out, len);
	if (r)
		fprintf(stderr, "storm_bench: %s: %s (made by selftests/fabric/run --bench)\n",
			path, strerror(-r));
	return r;
}

static int load_vm(unsigned int i)
{
	struct vm *v = &B.vms[i];
	uint8_t *u = NULL;
	size_t ulen;
	int r;

	r = read_vm_file(i, "uuid", 64, &u, &ulen);
	if (r)
		return r;
	while (ulen && (u[ulen - 1] == '\n' || u[ulen - 1] == '\r'))
		ulen--;
	if (ulen != 36) {
		fprintf(stderr, "storm_bench: bench%u.uuid is not a UUID\n", i + 1);
		free(u);
		return -EINVAL;
	}
	memcpy(v->uuid, u, 36);
	free(u);
	r = read_vm_file(i, "kp", KP_MAX, &v->kp, &v->kp_len);
	if (!r)
		r = read_vm_file(i, "sealed", STATE_MAX, &v->sealed,
				 &v->sealed_len);
	if (!r)
		r = read_vm_file(i, "plain", STATE_MAX, &v->plain, &v->plain_len);
	if (r)
		return r;
	v->kp64 = vms_b64_encode(v->kp, v->kp_len);
	return v->kp64 ? 0 : -ENOMEM;
}

/* The agent's cached certificate, as KPS takes it: base64 of the DER. */
static int load_cert(void)
{
	X509 *c = NULL;
	uint8_t *der = NULL;
	size_t len;
	int r;

	r = vms_cert_read(B.cert, &c);
	if (!r)
		r = vms_cert_to_der(c, &der, &len);
	X509_free(c);
	if (r) {
		fprintf(stderr, "storm_bench: %s: no health certificate (%s): the agent writes it once it has attested\n",
			B.cert, strerror(-r));
		return r;
	}
	B.cert64 = vms_b64_encode(der, len);
	free(der);
	return B.cert64 ? 0 : -ENOMEM;
}

/* ---------- one VM, each way ---------- */

/* KPS-only: one release, checked to be this VM's; nothing is loaded. */
static int kps_release(struct vm *v, struct vms_hgs_client *c)
{
	json_t *req, *resp = NULL;
	const char *st, *vm, *kr;
	long http = 0;
	int r;

	/* KPS-only: the challenge is bound, not checked (no enclave here) */
	req = json_pack("{s:s, s:s, s:s, s:s, s:i}", "health_certificate", B.cert64,
			"key_protector", v->kp64, "vm_id", v->uuid,
			"enclave_challenge",
			"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
			"challenge_ns", 1);
	if (!req)
		return -ENOMEM;
	r = vms_hgs_call(c, "/v1/kps/release", req, &http, &resp);
	json_decref(req);
	if (r) {
		snprintf(v->why, WHY_LEN, "kps: %s", vms_hgs_client_error(c));
		return r;
	}
	st = vms_hgs_substatus(resp);
	vm = json_string_value(json_object_get(resp, "vm_id"));
	kr = json_string_value(json_object_get(resp, "key_release"));
	if (http != 200 || strcmp(st, "Passed") || !vm ||
	    strcmp(vm, v->uuid) || !kr || !*kr) {
		snprintf(v->why, WHY_LEN, "kps: HTTP %ld %s", http, st);
		r = -EACCES;
	}
	json_decref(resp);
	return r;
}

/*
 * End to end: the agent releases and loads the key, then this VM's state
 * unseals to the tenant's plaintext.
 */
static int vm_start(struct vm *v, struct vms_hgs_client *c)
{
	struct vms_agent_answer ans;
	uint8_t *state = NULL;
	size_t len = 0;
	key_serial_t key;
	double t0 = now_s();
	int fd, r;

	(void)c;
	r = vms_agent_release_deadline(B.sock, v->uuid, v->kp, v->kp_len,
				       B.deadline, &key, &ans);
	if (r) {
		snprintf(v->why, WHY_LEN, "release: %s %s: %s",
			 ans.source[0] ? ans.source : "-",
			 ans.substatus[0] ? ans.substatus : "-",
			 ans.message[0] ? ans.message : strerror(-r));
		return r;
	}
	v->rel_lat = now_s() - t0;
	fd = vms_dev_open();
	if (fd < 0) {
		snprintf(v->why, WHY_LEN, "open: %s", vms_dev_strerror(fd));
		return fd;
	}
	r = vms_dev_unseal(fd, key, v->sealed, v->sealed_len, &state, &len,
			   NULL);
	vms_dev_close(fd);
	if (r) {
		snprintf(v->why, WHY_LEN, "unseal: %s",
			 vms_dev_op_strerror(VMS_OP_UNSEAL, r));
		return r;
	}
	if (len != v->plain_len || memcmp(state, v->plain, len)) {
		snprintf(v->why, WHY_LEN, "unseal: plaintext MISMATCH");
		r = -EBADMSG;
	}
	vms_dev_free(state, len);
	return r;
}

/* ---------- the pool ---------- */

struct worker_arg {
	struct phase *ph;
	unsigned int t;
};

static void *pool_thread(void *arg)
{
	struct worker_arg *w = arg;
	struct phase *ph = w->ph;
	unsigned int i;
	double t0;

	while ((i = atomic_fetch_add(&ph->next, 1)) < B.n) {
		struct vm *v = &B.vms[i];

		v->why[0] = 0;
		t0 = now_s();
		if (ph->one(v, clients[w->t]))
			atomic_fetch_add(&ph->failed, 1);
		v->lat = now_s() - t0;
	}
	return NULL;
}

/* Run @one over the N VMs on the pool; the wall time, or < 0. */
static double run_phase(int (*one)(struct vm *, struct vms_hgs_client *),
			unsigned int *failed)
{
	struct worker_arg args[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct phase ph = { .one = one };
	unsigned int t, started = 0;
	double t0, dt;

	atomic_init(&ph.next, 0);
	atomic_init(&ph.failed, 0);
	t0 = now_s();
	for (t = 0; t < B.threads; t++) {
		args[t] = (struct worker_arg){ .ph = &ph, .t = t };
		if (pthread_create(&tid[t], NULL, pool_thread, &args[t]))
			break;
		started++;
	}
	if (!started)
		return -1;
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	dt = now_s() - t0;
	*failed = atomic_load(&ph.failed);
	return dt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* "p50 X s, p95 Y s, max Z s" of the last phase's per-VM latencies. */
static void latencies(char *out, size_t outlen)
{
	double *l = calloc(B.n, sizeof(*l));
	unsigned int i;

	if (!l) {
		snprintf(out, outlen, "?");
		return;
	}
	for (i = 0; i < B.n; i++)
		l[i] = B.vms[i].lat;
	qsort(l, B.n, sizeof(*l), cmp_double);
	snprintf(out, outlen, "p50 %.2f s, p95 %.2f s, max %.2f s",
		 l[B.n / 2], l[(B.n * 95) / 100 < B.n ? (B.n * 95) / 100 : B.n - 1],
		 l[B.n - 1]);
	free(l);
}

/* Of the VM starts' summed latency, the share spent in the release. */
static double release_share(void)
{
	double rel = 0, all = 0;
	unsigned int i;

	for (i = 0; i < B.n; i++) {
		rel += B.vms[i].rel_lat;
		all += B.vms[i].lat;
	}
	return all > 0 ? rel / all : 0;
}

static unsigned int report_failures(const char *phase)
{
	unsigned int i, shown = 0, n = 0;

	for (i = 0; i < B.n; i++) {
		if (!B.vms[i].why[0])
			continue;
		n++;
		if (shown++ < 10)
			printf("# bench: %s: VM bench%u (%s) failed: %s\n", phase,
			       i + 1, B.vms[i].uuid, B.vms[i].why);
	}
	return n;
}

/* ---------- the agent's attestations ---------- */

struct agent_att {
	long long attempts;
	long long opened;	/* HTTPS connections the agent made, all URLs */
	char state[32], level[32];
};

static int agent_attestation(struct agent_att *a)
{
	json_t *j, *att;
	json_error_t e;
	char *txt = NULL;
	int r;

	r = vms_agent_status(B.sock, &txt);
	if (r)
		return r;
	j = json_loads(txt, 0, &e);
	free(txt);
	att = json_object_get(j, "attestation");
	if (!json_is_object(att)) {
		json_decref(j);
		return -EPROTO;
	}
	a->attempts = json_integer_value(json_object_get(att, "attempts"));
	{
		json_t *u;
		size_t i;

		a->opened = 0;
		json_array_foreach(json_object_get(j, "hgs"), i, u)
			a->opened += json_integer_value(
				json_object_get(u, "connections_opened"));
	}
	snprintf(a->state, sizeof(a->state), "%s",
		 json_string_value(json_object_get(att, "state")) ?: "?");
	snprintf(a->level, sizeof(a->level), "%s", json_string_value(
		 json_object_get(json_object_get(att, "certificate"),
				 "isolation_level")) ?: "?");
	json_decref(j);
	return 0;
}

/* ---------- main ---------- */

static void print_usage(void)
{
	fprintf(stderr,
		"usage: storm_bench --dir VMS-DIR --url HGS-URL --ca HGS-TLS.pem\n"
		"                   --cert AGENT-STATE/health.pem [--count N]\n"
		"                   [--threads T] [--socket AGENT-SOCKET]\n"
		"                   [--deadline S]\n"
		"VM i (1..N) is VMS-DIR/bench<i>.{uuid,kp,sealed,plain}.\n");
}

static int parse_uint(const char *s, unsigned int lo, unsigned int hi,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int setup(void)
{
	unsigned int i;
	int r;

	B.vms = calloc(B.n, sizeof(*B.vms));
	if (!B.vms)
		return -ENOMEM;
	for (i = 0; i < B.n; i++) {
		r = load_vm(i);
		if (r)
			return r;
	}
	r = load_cert();
	if (r)
		return r;
	for (i = 0; i < B.threads; i++) {
		r = vms_hgs_client_open(&clients[i], B.url, B.ca, NULL);
		if (r) {
			fprintf(stderr, "storm_bench: HTTPS client: %s\n",
				strerror(-r));
			return r;
		}
	}
	return 0;
}

static void teardown(void)
{
	unsigned int i;

	for (i = 0; i < B.threads; i++)
		vms_hgs_client_close(clients[i]);
	for (i = 0; B.vms && i < B.n; i++) {
		struct vm *v = &B.vms[i];

		free(v->kp);
		free(v->kp64);
		free(v->sealed);
		wipe_free(v->plain, v->plain_len);
	}
	free(B.vms);
	free(B.cert64);
}

static int run_bench(void)
{
	struct agent_att before, after;
	unsigned int failed;
	double cold, kps, e2e, x, y;
	char lat_kps[96], lat_e2e[96];
	int r;

	r = agent_attestation(&before);
	if (r) {
		fprintf(stderr, "storm_bench: hgs-agent status: %s (is the agent running?)\n",
			strerror(-r));
		return 2;
	}
	printf("# bench: boot storm: N=%u VMs, pool of %u threads for both phases, agent %s at %s\n",
	       B.n, B.threads, before.state, before.level);
	fflush(stdout);

	cold = run_phase(kps_release, &failed);
	if (cold < 0 || failed) {
		report_failures("warm-up");
		printf("# bench: boot storm FAILED: %u of %u KPS releases (warm-up) failed\n",
		       failed, B.n);
		return 1;
	}
	printf("# bench: warm-up (cold hgsd caches, new connections): %.1f KPS releases/s\n",
	       B.n / cold);
	fflush(stdout);

	kps = run_phase(kps_release, &failed);
	latencies(lat_kps, sizeof(lat_kps));
	if (kps < 0 || failed) {
		report_failures("KPS-only");
		printf("# bench: boot storm FAILED: %u of %u KPS-only releases failed\n",
		       failed, B.n);
		return 1;
	}
	y = B.n / kps;
	printf("# bench: KPS-only: %u releases in %.2f s = %.1f releases/s (latency %s)\n",
	       B.n, kps, y, lat_kps);
	fflush(stdout);

	e2e = run_phase(vm_start, &failed);
	latencies(lat_e2e, sizeof(lat_e2e));
	if (e2e < 0 || failed) {
		report_failures("end to end");
		printf("# bench: boot storm FAILED: %u of %u VM starts failed (release + load + unseal)\n",
		       failed, B.n);
		return 1;
	}
	x = B.n / e2e;
	printf("# bench: end to end: %u VM starts (agent release + load + unseal, plaintext verified) in %.2f s = %.1f VMs/s (latency %s; %.0f%% of it in vms_agent_release)\n",
	       B.n, e2e, x, lat_e2e, 100.0 * release_share());

	r = agent_attestation(&after);
	if (r)
		printf("# bench: agent status after the run: %s\n", strerror(-r));
	else
		printf("# bench: agent attested during the run: %s (attempts %lld -> %lld; now %s at %s); HTTPS connections it opened: %lld -> %lld\n",
		       after.attempts != before.attempts ? "yes" : "no",
		       before.attempts, after.attempts, after.state,
		       after.level, before.opened, after.opened);
	printf("# bench: boot storm N=%u: end to end %.1f VMs/s, KPS-only %.1f releases/s, ratio %.3f (concurrency %u threads)\n",
	       B.n, x, y, x / y, B.threads);
	return 0;
}

/* 0, 1 for --help, or -EINVAL. */
static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'D' },
		{ "url", required_argument, NULL, 'u' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = 0;

	B.n = 200;
	B.threads = 32;
	while (!r && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			B.dir = optarg;
			break;
		case 'u':
			B.url = optarg;
			break;
		case 'a':
			B.ca = optarg;
			break;
		case 'c':
			B.cert = optarg;
			break;
		case 's':
			B.sock = optarg;
			break;
		case 'n':
			r = parse_uint(optarg, 1, MAX_VMS, &B.n);
			break;
		case 't':
			r = parse_uint(optarg, 1, MAX_THREADS, &B.threads);
			break;
		case 'd':
			r = parse_uint(optarg, 1, 3600, &B.deadline);
			break;
		case 'h':
			return 1;
		default:
			r = -EINVAL;
		}
	}
	if (r || !B.dir || !B.url || !B.ca || !B.cert || optind != argc)
		return -EINVAL;
	if (B.threads > B.n)
		B.threads = B.n;
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	prctl(PR_SET_DUMPABLE, 0);
	r = parse_args(argc, argv);
	if (r) {
		print_usage();
		return r > 0 ? 0 : 3;
	}
	r = setup();
	if (!r)
		r = run_bench();
	else
		r = 2;
	teardown();
	return r;
}
