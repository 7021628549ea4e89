/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_cleanup.h - cleanup attributes in the systemd style, for libc
 * objects and for secrets:
 *
 *	_cleanup_free_ char *s = NULL;
 *	_cleanup_fclose_ FILE *f = fopen(path, "re");
 *	_cleanup_vms_secret_ struct vms_secret tk = { 0 };
 *	_cleanup_key32_ struct vms_key32 k;
 *
 * Every early return frees (and, for secrets, wipes) what it must. The
 * OpenSSL objects have theirs in vms_cleanup_ssl.h (libvms-crypto), jansson's
 * json_t in vms_cleanup_json.h; this header needs libc only, so the device
 * API (libvmshield) can use it.
 */
#ifndef VMS_CLEANUP_H
#define VMS_CLEANUP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Hand a pointer out of a cleanup variable's reach. */
#define VMS_TAKE_PTR(p) (__extension__ ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; }))

/* (__typeof__ so that checkpatch reads the parameter as a type.) */
#define VMS_DEFINE_CLEANUP(type, func)				\
	static inline void func##p(__typeof__(type) **p)	\
	{							\
		if (*p)						\
			func(*p);				\
		*p = NULL;					\
	}

static inline void vms_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

static inline void vms_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void vms_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

/* Wipe @len bytes at @p (which may be NULL) and free it. */
static inline void vms_wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* A heap buffer (malloc) that may hold a secret: wiped, then freed. */
struct vms_secret {
	uint8_t *p;
	size_t len;
};

static inline void vms_secret_free(struct vms_secret *s)
{
	vms_wipe_free(s->p, s->len);
	s->p = NULL;
	s->len = 0;
}

/* A 32-byte key on the stack, wiped when it goes out of scope. */
struct vms_key32 {
	uint8_t b[32];
};

static inline void vms_key32_wipe(struct vms_key32 *k)
{
	explicit_bzero(k, sizeof(*k));
}

#define _cleanup_free_		_cleanup_(vms_freep)
#define _cleanup_close_fd_	_cleanup_(vms_closep)
#define _cleanup_fclose_	_cleanup_(vms_fclosep)
#define _cleanup_vms_secret_	_cleanup_(vms_secret_free)
#define _cleanup_key32_		_cleanup_(vms_key32_wipe)

#endif /* VMS_CLEANUP_H */
