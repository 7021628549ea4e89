// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox.c - the ivshmem mailbox, enclave side: map the backing file,
 * announce ourselves (magic, version, epoch, state ready), poll the
 * doorbell, copy each request out of shared memory before anything looks
 * at it, answer into the response area. Layout: core/enclave_mailbox.h.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"
#include "enclave_mailbox.h"

/*
 * Waiting for the doorbell (enclave-protocol.md, "Polling, argued"): a
 * worker's requests come in bursts (a TPM command, its CONFIRM, the
 * guest's next command), so for VMS_MB_SPIN_NS after its last answer the
 * enclave spins on req_seq and sees the next request at once; then it
 * sleeps VMS_MB_POLL_NS between looks, and after VMS_MB_DOZE_AFTER_NS of
 * silence VMS_MB_DOZE_NS: a busy channel answers without a timer's
 * latency, an idle one costs about a thousand wake-ups a second and no
 * spinning CPU. recv returns "idle" every VMS_MB_IDLE_NS so the caller
 * sees its stop flag.
 */
#define VMS_MB_SPIN_NS		200000ULL
#define VMS_MB_POLL_NS		50000L
#define VMS_MB_DOZE_AFTER_NS	1000000000ULL
#define VMS_MB_DOZE_NS		1000000L
#define VMS_MB_IDLE_NS		100000000ULL

struct vms_mailbox {
	struct vms_transport t;
	u8 *shm;
	u64 last_seq;
	u64 last_ns;	/* when the last answer went out */
	u64 spin_ns;	/* VMS_MB_SPIN_NS; the bench changes it */
	u64 spun;	/* requests seen while spinning / after a sleep */
	u64 slept;
};

static u64 vms_mb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static inline void vms_mb_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static u64 *vms_mb_u64(struct vms_mailbox *m, size_t off)
{
	return (u64 *)(void *)(m->shm + off);
}

static u32 *vms_mb_u32(struct vms_mailbox *m, size_t off)
{
	return (u32 *)(void *)(m->shm + off);
}

static int vms_mb_recv(struct vms_transport *t, u8 *buf, size_t cap,
		       size_t *len, u64 *id, bool *has_id)
{
	struct vms_mailbox *m = (struct vms_mailbox *)t;
	u64 start = vms_mb_now(), now = start;
	bool slept = false;

	for (;;) {
		u64 seq = __atomic_load_n(vms_mb_u64(m, VMS_MB_OFF_REQ_SEQ),
					  __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, VMS_MB_POLL_NS };
		u32 n;

		if (seq != m->last_seq) {
			m->last_seq = seq;
			if (slept)
				m->slept++;
			else
				m->spun++;
			n = __atomic_load_n(vms_mb_u32(m, VMS_MB_OFF_REQ_LEN),
					    __ATOMIC_ACQUIRE);
			/* an impossible length is answered as an empty, refused frame */
			if (n > VMS_MB_AREA_LEN || n > cap)
				n = 0;
			memcpy(buf, m->shm + VMS_MB_REQ_AREA, n);
			*len = n;
			*id = seq;
			*has_id = true;
			return 0;
		}
		if (now - start >= VMS_MB_IDLE_NS)
			return 1;
		if (now - m->last_ns <
		    __atomic_load_n(&m->spin_ns, __ATOMIC_RELAXED)) {
			vms_mb_relax();
		} else {
			if (now - m->last_ns >= VMS_MB_DOZE_AFTER_NS)
				ts.tv_nsec = VMS_MB_DOZE_NS;
			nanosleep(&ts, NULL);
			slept = true;
		}
		now = vms_mb_now();
	}
}

static int vms_mb_send(struct vms_transport *t, const u8 *buf, size_t len,
		       u64 id)
{
	struct vms_mailbox *m = (struct vms_mailbox *)t;

	if (len > VMS_MB_AREA_LEN)
		return -EMSGSIZE;
	memcpy(m->shm + VMS_MB_RESP_AREA, buf, len);
	__atomic_store_n(vms_mb_u32(m, VMS_MB_OFF_RESP_LEN), (u32)len,
			 __ATOMIC_RELEASE);
	__atomic_store_n(vms_mb_u64(m, VMS_MB_OFF_RESP_SEQ), id,
			 __ATOMIC_RELEASE);
	m->last_ns = vms_mb_now();
	return 0;
}

static void vms_mb_close(struct vms_transport *t)
{
	struct vms_mailbox *m = (struct vms_mailbox *)t;

	/* how requests were picked up: spinning, or a sleep's latency late */
	vms_elog("info", "mailbox-close", "requests_spun=%llu requests_after_sleep=%llu",
		 (unsigned long long)m->spun, (unsigned long long)m->slept);
	__atomic_store_n(vms_mb_u32(m, VMS_MB_OFF_STATE), VMS_MB_STATE_ABSENT,
			 __ATOMIC_RELEASE);
	/* nothing of ours stays in the shared region */
	memset(m->shm + VMS_MB_RESP_AREA, 0, VMS_MB_AREA_LEN);
	munmap(m->shm, VMS_MB_SIZE);
	free(m);
}

void vms_mailbox_set_spin(struct vms_transport *t, u64 spin_ns)
{
	struct vms_mailbox *m = (struct vms_mailbox *)t;

	__atomic_store_n(&m->spin_ns, spin_ns, __ATOMIC_RELAXED);
}

int vms_mailbox_open(const char *path, struct vms_transport **out)
{
	struct vms_mailbox *m;
	struct stat st;
	u8 epoch[8];
	int fd, r;
	void *p;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size < (off_t)VMS_MB_SIZE && ftruncate(fd, VMS_MB_SIZE)) {
		r = -errno;
		close(fd);
		return r;
	}
	p = mmap(NULL, VMS_MB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r = -errno;
	close(fd);
	if (p == MAP_FAILED)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m) {
		munmap(p, VMS_MB_SIZE);
		return -ENOMEM;
	}
	m->shm = p;
	m->spin_ns = VMS_MB_SPIN_NS;
	/* a 50 us poll should not sleep 100 (the default slack is 50 us) */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	m->t.name = "mailbox";
	m->t.recv = vms_mb_recv;
	m->t.send = vms_mb_send;
	m->t.close = vms_mb_close;
	r = vms_prim_random(epoch, sizeof(epoch));
	if (r) {
		munmap(p, VMS_MB_SIZE);
		free(m);
		return r;
	}
	/* a fresh start: no request is pending, the response area is empty */
	__atomic_store_n(vms_mb_u32(m, VMS_MB_OFF_STATE), VMS_MB_STATE_ABSENT,
			 __ATOMIC_RELEASE);
	memset(m->shm + VMS_MB_RESP_AREA, 0, VMS_MB_AREA_LEN);
	m->last_seq = __atomic_load_n(vms_mb_u64(m, VMS_MB_OFF_REQ_SEQ),
				      __ATOMIC_ACQUIRE);
	__atomic_store_n(vms_mb_u64(m, VMS_MB_OFF_RESP_SEQ), m->last_seq,
			 __ATOMIC_RELEASE);
	memcpy(m->shm + VMS_MB_OFF_MAGIC, VMS_MB_MAGIC, 4);
	*vms_mb_u32(m, VMS_MB_OFF_VERSION) = VMS_MB_VERSION;
	memcpy(m->shm + VMS_MB_OFF_EPOCH, epoch, sizeof(epoch));
	__atomic_store_n(vms_mb_u32(m, VMS_MB_OFF_STATE), VMS_MB_STATE_READY,
			 __ATOMIC_RELEASE);
	*out = &m->t;
	return 0;
}
