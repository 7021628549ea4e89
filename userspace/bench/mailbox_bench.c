// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox_bench.c - the enclave's half of the ivshmem mailbox, on this
 * machine: PING round trips per second through vmshield-enclaved's own
 * mailbox transport (enclave/mailbox.c) serving a backing file from a
 * thread, this process playing the module and spinning for each answer,
 * so the figure is the enclave's pick-up plus its answer. Three ways of
 * waiting for the doorbell, in rounds that alternate, each on its own
 * mailbox:
 *
 *  - before session 8 (the baseline): a 50 us sleep between looks with
 *    the thread's default timer slack (50 us);
 *  - the same sleeps with a 1 us timer slack (what the enclave sets now);
 *  - the enclave as it runs now: a 200 us spin after each answer, then
 *    those sleeps.
 *
 * The guest's half of the round trip is bench_vtpm.sh's, in a guarded
 * host (Documentation/vtpm-in-enclave.md section 9). Prints ratios to the
 * baseline; asserts nothing about time.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "enclave.h"
#include "enclave_mailbox.h"
#include "enclave_proto.h"
#include "transport.h"

#define ROUNDS		7
#define ROUND_SECONDS	0.3
#define NWAYS		3

struct way {
	const char *name;
	bool default_slack;	/* the serving thread keeps the default slack */
	u64 spin_ns;
	char path[64];
	struct vms_enclave enc;
	struct vms_transport *tr;
	pthread_t thr;
	u8 *shm;
	u64 seq;
	double rates[ROUNDS];
};

static volatile sig_atomic_t stop;

static void die(const char *what)
{
	fprintf(stderr, "mailbox_bench: %s\n", what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *serve_thread(void *arg)
{
	struct way *w = arg;

	/* 0: back to this thread's default slack, as before session 8 */
	if (w->default_slack)
		prctl(PR_SET_TIMERSLACK, 0UL, 0, 0, 0);
	vms_serve(&w->enc, w->tr, &stop);
	return NULL;
}

static void way_start(struct way *w)
{
	int fd;

	strcpy(w->path, "/tmp/vms-mailbox-bench-XXXXXX");
	fd = mkstemp(w->path);
	if (fd < 0)
		die("mkstemp");
	close(fd);
	if (vms_enclave_init(&w->enc) || vms_mailbox_open(w->path, &w->tr))
		die("the enclave's mailbox");
	vms_mailbox_set_spin(w->tr, w->spin_ns);
	fd = open(w->path, O_RDWR);
	w->shm = fd < 0 ? MAP_FAILED :
		 mmap(NULL, VMS_MB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd >= 0)
		close(fd);
	if (w->shm == MAP_FAILED)
		die("mmap");
	if (pthread_create(&w->thr, NULL, serve_thread, w))
		die("pthread_create");
}

/* One PING as the module sends it; spin for its answer (1 s at most). */
static void ping(struct way *w)
{
	struct vms_ep_msg q = { .type = VMS_EP_PING }, a;
	u8 frame[VMS_EP_HDR_LEN];
	size_t len;
	u32 rlen;
	double t0;

	q.req_id = ++w->seq;
	if (vms_ep_encode(&q, frame, sizeof(frame), &len))
		die("encode");
	memcpy(w->shm + VMS_MB_REQ_AREA, frame, len);
	__atomic_store_n((u32 *)(void *)(w->shm + VMS_MB_OFF_REQ_LEN), (u32)len,
			 __ATOMIC_RELEASE);
	__atomic_store_n((u64 *)(void *)(w->shm + VMS_MB_OFF_REQ_SEQ), q.req_id,
			 __ATOMIC_RELEASE);
	t0 = now_s();
	while (__atomic_load_n((u64 *)(void *)(w->shm + VMS_MB_OFF_RESP_SEQ),
			       __ATOMIC_ACQUIRE) != q.req_id)
		if (now_s() - t0 > 1.0)
			die("no answer within 1 s");
	rlen = __atomic_load_n((u32 *)(void *)(w->shm + VMS_MB_OFF_RESP_LEN),
			       __ATOMIC_ACQUIRE);
	if (rlen > sizeof(frame) ||
	    vms_ep_decode(w->shm + VMS_MB_RESP_AREA, rlen, true, &a) ||
	    a.type != VMS_EP_PING || a.req_id != q.req_id || a.err)
		die("a bad answer");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median round: a shared machine's load moves the best and the worst. */
static double median(struct way *w)
{
	qsort(w->rates, ROUNDS, sizeof(w->rates[0]), cmp_double);
	return w->rates[ROUNDS / 2];
}

static double rate(struct way *w)
{
	double t0 = now_s(), t;
	unsigned long n = 0;

	do {
		ping(w);
		n++;
		t = now_s() - t0;
	} while (t < ROUND_SECONDS);
	return n / t;
}

int main(void)
{
	static struct way ways[NWAYS] = {
		{ .name = "sleep 50 us, default slack (before)", .default_slack = true },
		{ .name = "sleep 50 us, 1 us slack" },
		{ .name = "spin 200 us, then sleep (now)", .spin_ns = 200000 },
	};
	unsigned int r, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NWAYS; i++)
		way_start(&ways[i]);
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < NWAYS; i++)
			ways[i].rates[r] = rate(&ways[i]);
	printf("== the enclave's mailbox on this machine: PING round trips per second, the client spinning for each answer, median (best) of %d alternating rounds of %.1f s\n",
	       ROUNDS, ROUND_SECONDS);
	for (i = 0; i < NWAYS; i++) {
		double m = median(&ways[i]);

		printf("bench: mailbox %-36s %9.0f/s (%9.0f/s)  %7.1f us per round trip  ratio %.2f\n",
		       ways[i].name, m, ways[i].rates[ROUNDS - 1], 1e6 / m,
		       m / median(&ways[0]));
	}
	stop = 1;
	for (i = 0; i < NWAYS; i++) {
		pthread_join(ways[i].thr, NULL);
		ways[i].tr->close(ways[i].tr);
		munmap(ways[i].shm, VMS_MB_SIZE);
		unlink(ways[i].path);
		vms_enclave_wipe(&ways[i].enc);
	}
	return 0;
}
