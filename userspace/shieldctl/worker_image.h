/* SPDX-License-Identifier: GPL-2.0 */
/*
 * worker_image.h - the files a worker program maps executable at start
 * (worker_image.c), for HGS's worker registration.
 */
#ifndef SHIELDCTL_WORKER_IMAGE_H
#define SHIELDCTL_WORKER_IMAGE_H

#include <limits.h>
#include <stddef.h>

/* The module's own bound on one process's executable files is 64. */
#define WORKER_IMAGE_MAX	64

struct worker_image {
	size_t n;
	char path[WORKER_IMAGE_MAX][PATH_MAX];	/* program first, then ld.so */
};

/*
 * worker_image_resolve - @prog, its ELF interpreter and the libraries the
 * interpreter loads for it (LD_TRACE_LOADED_OBJECTS, the program not run).
 * Errors: -ENOENT (@prog or a library not found), -ENOEXEC (not a 64-bit
 * ELF program, or the loader refused it), -E2BIG (more than
 * WORKER_IMAGE_MAX files), other negative errno of the system calls.
 */
int worker_image_resolve(const char *prog, struct worker_image *img);

#endif /* SHIELDCTL_WORKER_IMAGE_H */
