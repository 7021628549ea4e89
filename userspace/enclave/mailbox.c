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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"
#include "enclave_mailbox.h"

/* Polls between "idle" returns, so the caller sees its stop flag. */
#define VMS_MB_POLL_NS		50000
#define VMS_MB_IDLE_POLLS	2000

struct vms_mailbox {
	struct vms_transport t;
	u8 *shm;
	u64 last_seq;
};

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
	struct timespec ts = { 0, VMS_MB_POLL_NS };
	unsigned int i;

	for (i = 0; i < VMS_MB_IDLE_POLLS; i++) {
		u64 seq = __atomic_load_n(vms_mb_u64(m, VMS_MB_OFF_REQ_SEQ),
					  __ATOMIC_ACQUIRE);
		u32 n;

		if (seq == m->last_seq) {
			nanosleep(&ts, NULL);
			continue;
		}
		m->last_seq = seq;
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
	return 1;
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
	return 0;
}

static void vms_mb_close(struct vms_transport *t)
{
	struct vms_mailbox *m = (struct vms_mailbox *)t;

	__atomic_store_n(vms_mb_u32(m, VMS_MB_OFF_STATE), VMS_MB_STATE_ABSENT,
			 __ATOMIC_RELEASE);
	/* nothing of ours stays in the shared region */
	memset(m->shm + VMS_MB_RESP_AREA, 0, VMS_MB_AREA_LEN);
	munmap(m->shm, VMS_MB_SIZE);
	free(m);
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
