// SPDX-License-Identifier: GPL-2.0
/*
 * roll_bench.c - starts per second of N shielded VMs with the TK roll
 * against the same starts without it, through a real hgsd on 127.0.0.1,
 * in one run (issue 20; Documentation/migration.md "The TK roll"):
 *   start:      release (KPS; a rolled VM's marked "renewal", the only
 *               release without the roll KPS serves it), the enclave's
 *               open (HPKE), the worker's unseal of the VM's state
 *               (AES-256-GCM, 64 KiB)
 *   start+roll: roll release (KPS: a new TK, the rolled KP, both TKs
 *               sealed), the enclave's open of both, unseal, the re-seal
 *               under the new TK, the confirmation (a store write)
 * The N VMs start at once, as after a host's boot: ROLL_BENCH_CLIENTS
 * (default 8) clients, each with its own HTTPS connection, take the VMs
 * in turn until all N started; the phases alternate (all N without the
 * roll, all N twins, all N with the roll), 3 rounds, so a load that
 * comes and goes hits each alike. Ratio = rate with roll / rate without
 * (target >= 0.8). The twins, VMs HGS never rolled (their owner's KP each
 * time), are the start as it was before the roll. Also printed: each
 * request's mean round trip and hgsd's CPU per start (with its key
 * process), where the roll's time goes. ROLL_BENCH_CLIENTS=1 starts one
 * VM after the other (the latency of one start). Not a test: prints
 * figures, asserts nothing about time. ROLL_BENCH_VMS VMs (default 40,
 * and as many twins).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vmshield.h>
#include <openssl/rand.h>

#include "hgsd_run.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "vms_b64.h"
#include "vms_guardian.h"
#include "vms_hex.h"
#include "vms_hgs_attest.h"
#include "vms_hgs_client.h"
#include "vms_keyfile.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define ROUNDS		3
#define STATE_LEN	(64 * 1024)

static char tmp[64];		/* hgsd's state is TMP/hgs */
static struct bench_hgsd hgsd;
static uint8_t esk[32], epk[32], kps_pk[32];
static char *cert;
static double t_rel_plain, t_rel_fresh, t_rel_roll, t_confirm;	/* HTTP round trips, s */
static pthread_mutex_t t_lock = PTHREAD_MUTEX_INITIALIZER;	/* the sums above */
static pid_t keyproc_pid;
static double cpu_plain, cpu_fresh, cpu_roll;	/* hgsd's and its key process's CPU, s */

struct vm {
	char id[37];
	uint8_t vm_id[16];
	char *kp;		/* its current KP (base64) */
	uint8_t *state;		/* its sealed state, under the current TK */
	size_t state_len;
};

/* CPU time (user + system) of process @pid so far, in seconds; 0 if unknown. */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double server_cpu(void)
{
	return cpu_of(hgsd.pid) + cpu_of(keyproc_pid);
}

/* hgsd's key process: its one child (keyproc.c forks it at start). */
static void find_keyproc(void)
{
	char path[64];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)hgsd.pid, (int)hgsd.pid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%d", &pid) == 1)
		keyproc_pid = pid;
	if (f)
		fclose(f);
}

/* hgsd --init in a new directory under /tmp, configured, started. */
static void start_hgsd(const char *bin)
{
	char d[80];

	snprintf(tmp, sizeof(tmp), "/tmp/vms-rollbench.XXXXXX");
	if (!mkdtemp(tmp))
		bench_die("mkdtemp");
	snprintf(d, sizeof(d), "%s/hgs", tmp);
	bench_hgsd_init(&hgsd, bin, d, NULL);
	bench_hgsd_conf(&hgsd, "threads = 2\nlog_requests = 0\nchallenge_rate_per_source = 0\n");
	bench_hgsd_start(&hgsd, bin, -1);
}

static void stop_hgsd(void)
{
	char cmd[96];

	bench_hgsd_stop(&hgsd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "%s: could not remove %s\n", bench_name, tmp);
}

/* A registered kernel-locked host with an approved worker; its certificate. */
static void host_attest(struct vms_hgs_client *adm, struct vms_hgs_client *c)
{
	struct vms_isolation_report rep = { 0 };
	char report[VMS_REPORT_MAX], hex[65], *pem, *sig64;
	EVP_PKEY *key = vms_pkey_gen_p256();
	uint8_t digest[32], *nonce, *sig;
	size_t len, siglen;
	const char *n64;
	json_t *nr, *r;

	if (!key || vms_x25519_keygen(esk, epk) || vms_pkey_to_pem(key, &pem))
		bench_die("host keys");
	json_decref(bench_call(adm, "/v1/admin/hosts/add",
			 json_pack("{s:s, s:s}", "name", "bench-host", "public_key", pem)));
	free(pem);
	memset(digest, 0x42, 32);
	vms_hex_encode(digest, 32, hex);
	json_decref(bench_call(adm, "/v1/admin/workers/add", json_pack("{s:s}", "digest", hex)));
	rep.placement = VMSHIELD_PLACEMENT_KERNEL;
	rep.level = VMSHIELD_ISOLATION_KERNEL_LOCKED;
	rep.lockdown = VMSHIELD_LOCKDOWN_CONFIDENTIALITY;
	rep.sig_enforced = 1;
	rep.module_sig_ok = 1;
	memcpy(rep.enclave_pk, epk, 32);
	rep.kps_set = 1;	/* HGS's KPS key, as hgs-agent names it first (issue 17) */
	bench_kps_key(c, rep.kps_pk);
	if (vms_report_format(&rep, report, sizeof(report)) <= 0)
		bench_die("report");
	nr = bench_call(c, "/v1/attest/nonce", json_object());
	n64 = json_string_value(json_object_get(nr, "nonce"));
	if (!n64 || vms_b64_decode(n64, strlen(n64), 32, &nonce, &len) ||
	    vms_attest_sign(key, nonce, epk, report, strlen(report), &sig, &siglen))
		bench_die("evidence");
	sig64 = vms_b64_encode(sig, siglen);
	vms_hex_encode(epk, 32, hex);
	r = bench_call(c, "/v1/attest", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		 "session", json_string_value(json_object_get(nr, "session")), "nonce", n64,
		 "host", "bench-host", "enclave_pk", hex, "report", report, "signature", sig64));
	cert = strdup(json_string_value(json_object_get(r, "health_certificate")));
	json_decref(r);
	json_decref(nr);
	free(nonce);
	free(sig);
	free(sig64);
	EVP_PKEY_free(key);
}

/* Seal @pt under @tk for @v (key id @kid) into v->state. */
static void seal_state(struct vm *v, const uint8_t tk[32], const uint8_t kid[16],
		       const uint8_t *pt)
{
	struct vms_seal_key k;

	v->state_len = vms_ss_size(STATE_LEN);
	if (!v->state)
		v->state = malloc(v->state_len);
	if (!v->state || vms_seal_key_init(&k, tk, v->vm_id, kid, 0, 0) ||
	    vms_ss_seal(&k, 0, 1, pt, STATE_LEN, v->state, v->state_len))
		bench_die("seal");
	vms_seal_key_wipe(&k);
}

static void unseal_state(const struct vm *v, const uint8_t tk[32], const uint8_t kid[16],
			 uint8_t *pt)
{
	struct vms_seal_key k;

	if (vms_seal_key_init(&k, tk, v->vm_id, kid, 0, 0) ||
	    vms_ss_unseal(&k, 0, v->state, v->state_len, pt, STATE_LEN, NULL))
		bench_die("unseal");
	vms_seal_key_wipe(&k);
}

/*
 * @renewal: the start without the roll of a VM HGS holds a version of is
 * served only as this host's renewal of the key it holds live
 * (migration.md §1.3b, TkRollRequired otherwise): the same work in KPS.
 */
static json_t *release_req(const struct vm *v, int roll, int renewal)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b}", "health_certificate", cert,
			 "key_protector", v->kp, "vm_id", v->id, "enclave_challenge", BENCH_CHALLENGE,
			 "challenge_ns", (json_int_t)5000000000LL, "roll", roll,
			 "renewal", renewal);
}

static uint8_t *release_blob(json_t *r, size_t *len)
{
	const char *b = json_string_value(json_object_get(r, "key_release"));
	uint8_t *blob;

	if (!b || vms_b64_decode(b, strlen(b), VMS_KR_ROLL_MAX_LEN, &blob, len))
		bench_die("release answer");
	return blob;
}

/* One start without the roll; its release's round trip added to *@t_rel. */
static void start_plain(struct vms_hgs_client *c, struct vm *v, uint8_t *pt, double *t_rel,
			int renewal)
{
	double t0 = bench_now();
	json_t *r = bench_call(c, "/v1/kps/release", release_req(v, 0, renewal));
	struct vms_kr_binding b;
	uint8_t tk[32], *blob;
	size_t len;

	t0 = bench_now() - t0;
	pthread_mutex_lock(&t_lock);
	*t_rel += t0;
	pthread_mutex_unlock(&t_lock);
	blob = release_blob(r, &len);
	if (vms_kr_open(blob, len, esk, epk, kps_pk, v->vm_id, NULL, &b, tk))
		bench_die("open");
	unseal_state(v, tk, b.key_id, pt);
	OPENSSL_cleanse(tk, 32);
	free(blob);
	json_decref(r);
}

/* One start with the roll: re-seal under the new TK, confirm, keep the new KP. */
static void start_roll(struct vms_hgs_client *c, struct vm *v, uint8_t *pt)
{
	double t0 = bench_now(), t_rel;
	json_t *r = bench_call(c, "/v1/kps/release", release_req(v, 1, 0));
	struct vms_kr_binding b;
	uint8_t tk[32], tk2[32], *blob;
	char kid[33];
	size_t len;

	t_rel = bench_now() - t0;
	blob = release_blob(r, &len);
	if (vms_kr_open_roll(blob, len, esk, epk, kps_pk, v->vm_id, &b, tk, tk2))
		bench_die("open roll");
	unseal_state(v, tk, b.key_id, pt);
	seal_state(v, tk2, b.next_key_id, pt);
	OPENSSL_cleanse(tk, 32);
	OPENSSL_cleanse(tk2, 32);
	free(v->kp);
	v->kp = strdup(json_string_value(json_object_get(r, "key_protector")));
	vms_hex_encode(b.next_key_id, 16, kid);
	t0 = bench_now();
	json_decref(bench_call(c, "/v1/kps/confirm", json_pack("{s:s, s:s, s:O, s:s}",
			 "health_certificate", cert, "vm_id", v->id, "tk_version",
			 json_object_get(r, "next_tk_version"), "key_id", kid)));
	pthread_mutex_lock(&t_lock);
	t_rel_roll += t_rel;
	t_confirm += bench_now() - t0;
	pthread_mutex_unlock(&t_lock);
	free(blob);
	json_decref(r);
}

enum kind { PLAIN, FRESH, ROLL };

/* One phase: every VM of [first, first + n) started once, by many clients. */
struct phase {
	struct vm *vms;
	unsigned int first, n, next;	/* next: the next VM to take */
	enum kind kind;
	pthread_mutex_t lock;
};

struct client {
	struct vms_hgs_client *c;
	uint8_t *pt;			/* its plaintext buffer */
	struct phase *ph;
	pthread_t tid;
};

static void *client_run(void *arg)
{
	struct client *cl = arg;
	struct phase *ph = cl->ph;
	unsigned int i;

	for (;;) {
		pthread_mutex_lock(&ph->lock);
		i = ph->next++;
		pthread_mutex_unlock(&ph->lock);
		if (i >= ph->n)
			return NULL;
		if (ph->kind == ROLL)
			start_roll(cl->c, &ph->vms[ph->first + i], cl->pt);
		else
			start_plain(cl->c, &ph->vms[ph->first + i], cl->pt,
				    ph->kind == PLAIN ? &t_rel_plain : &t_rel_fresh,
				    ph->kind == PLAIN);
	}
}

/* All @n VMs from @first started at once by @ncl clients: the wall time. */
static double run_phase(struct client *cls, unsigned int ncl, struct vm *vms,
			unsigned int first, unsigned int n, enum kind kind)
{
	struct phase ph = { vms, first, n, 0, kind, PTHREAD_MUTEX_INITIALIZER };
	double t = bench_now();
	unsigned int i;

	for (i = 0; i < ncl; i++) {
		cls[i].ph = &ph;
		if (pthread_create(&cls[i].tid, NULL, client_run, &cls[i]))
			bench_die("client thread");
	}
	for (i = 0; i < ncl; i++)
		pthread_join(cls[i].tid, NULL);
	return bench_now() - t;
}

int main(void)
{
	const char *bin = getenv("HGSD_BIN"), *nv = getenv("ROLL_BENCH_VMS");
	const char *nc = getenv("ROLL_BENCH_CLIENTS");
	unsigned int n = nv ? (unsigned int)atoi(nv) : 40, i, round;
	unsigned int ncl = nc ? (unsigned int)atoi(nc) : 8;
	struct vms_hgs_client *adm, *c;
	struct client *cls;
	struct vms_guardian owner, hgs_pub;
	double t, plain = 0, fresh = 0, roll = 0;
	uint8_t *pt = malloc(STATE_LEN);
	struct vm *vms;
	json_t *r;

	bench_name = "roll bench";
	if (!n || n > 10000)
		n = 40;
	if (!ncl || ncl > 64)
		ncl = 8;
	vms = calloc(2 * (size_t)n, sizeof(*vms));	/* n to roll, n never rolled */
	if (!pt || !vms)
		bench_die("memory");
	start_hgsd(bin ? bin : "../build/bin/hgsd");
	if (vms_hgs_client_open(&adm, NULL, NULL, hgsd.sock) ||
	    vms_hgs_client_open(&c, hgsd.url, hgsd.ca, NULL))
		bench_die("clients");
	host_attest(adm, c);
	r = bench_call(c, "/v1/metadata", NULL);
	{
		const char *g = json_string_value(json_object_get(
			json_array_get(json_object_get(r, "guardians"), 0), "certificates"));
		const char *k = json_string_value(json_object_get(r, "kps_public_key"));

		if (!g || !k || vms_guardian_from_pem(g, strlen(g), NULL, &hgs_pub) ||
		    vms_hex_decode_exact(k, kps_pk, 32))
			bench_die("metadata");
	}
	json_decref(r);
	if (vms_guardian_new("bench-owner", 30, &owner) || RAND_bytes(pt, STATE_LEN) != 1)
		bench_die("owner");
	for (i = 0; i < 2 * n; i++) {
		uint8_t key_id[16], tk[32], *der;
		size_t len;

		snprintf(vms[i].id, sizeof(vms[i].id), "7b000000-0000-4000-8000-%012x", i);
		if (vms_uuid_parse(vms[i].id, vms[i].vm_id) || RAND_bytes(key_id, 16) != 1 ||
		    RAND_bytes(tk, 32) != 1 ||
		    vms_kp_create(&owner, &hgs_pub.enc_cert, 1, vms[i].vm_id, key_id,
				  VMS_KR_POLICY_SHIELDED, tk, &der, &len))
			bench_die("key protector");
		vms[i].kp = vms_b64_encode(der, len);
		seal_state(&vms[i], tk, key_id, pt);
		free(der);
	}
	cls = calloc(ncl, sizeof(*cls));
	if (!cls)
		bench_die("memory");
	for (i = 0; i < ncl; i++) {
		cls[i].pt = malloc(STATE_LEN);
		if (!cls[i].pt || vms_hgs_client_open(&cls[i].c, hgsd.url, hgsd.ca, NULL))
			bench_die("clients");
	}
	find_keyproc();
	/* phase by phase, each all N at once: a load that comes and goes hits all alike */
	for (round = 0; round < ROUNDS; round++) {
		double cpu = server_cpu();

		plain += run_phase(cls, ncl, vms, 0, n, PLAIN);
		cpu_plain += server_cpu() - cpu;
		cpu = server_cpu();
		fresh += run_phase(cls, ncl, vms, n, n, FRESH);
		cpu_fresh += server_cpu() - cpu;
		cpu = server_cpu();
		roll += run_phase(cls, ncl, vms, 0, n, ROLL);
		cpu_roll += server_cpu() - cpu;
	}
	t = plain / roll;
	printf("bench: tk roll: %u VMs started at once by %u clients, %d rounds: starts/s without roll %.1f, with roll %.1f (release+open+unseal+re-seal+confirm): ratio %.2f (target >= 0.8)\n",
	       n, ncl, ROUNDS, n * ROUNDS / plain, n * ROUNDS / roll, t);
	printf("bench: tk roll: starts/s of VMs HGS never rolled (their owner's KP, no version kept) %.1f: ratio with roll %.2f\n",
	       n * ROUNDS / fresh, fresh / roll);
	printf("bench: tk roll: mean round trip (ms, %u at once): release %.2f plain, %.2f never rolled, %.2f roll; confirmation %.2f\n",
	       ncl, t_rel_plain * 1e3 / (n * ROUNDS), t_rel_fresh * 1e3 / (n * ROUNDS),
	       t_rel_roll * 1e3 / (n * ROUNDS), t_confirm * 1e3 / (n * ROUNDS));
	printf("bench: tk roll: hgsd's CPU per start (ms, with its key process): %.2f plain, %.2f never rolled, %.2f roll\n",
	       cpu_plain * 1e3 / (n * ROUNDS), cpu_fresh * 1e3 / (n * ROUNDS),
	       cpu_roll * 1e3 / (n * ROUNDS));
	for (i = 0; i < ncl; i++) {
		vms_hgs_client_close(cls[i].c);
		free(cls[i].pt);
	}
	free(cls);
	for (i = 0; i < 2 * n; i++) {
		free(vms[i].kp);
		free(vms[i].state);
	}
	free(vms);
	free(pt);
	free(cert);
	vms_guardian_free(&owner);
	vms_guardian_free(&hgs_pub);
	vms_hgs_client_close(adm);
	vms_hgs_client_close(c);
	stop_hgsd();
	return 0;
}
