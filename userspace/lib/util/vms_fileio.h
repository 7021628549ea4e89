/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_fileio.h - whole-file reads and crash-safe writes.
 *
 * vms_write_file_atomic() writes a temporary file next to the target,
 * fsyncs it, renames it over the target (or links it, refusing to replace
 * an existing file) and fsyncs the directory: after a crash the target is
 * either the old file or the new one, never a torn mix, and a failed write
 * leaves nothing behind.
 */
#ifndef VMS_FILEIO_H
#define VMS_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Flags for vms_write_file_atomic(). */
#define VMS_WRITE_NOCLOBBER	0x1	/* -EEXIST if the target exists */

/*
 * Read all of @path into a new buffer (free it with free(), or with
 * vms_wipe_free() if it holds a secret). -EFBIG if it is longer than
 * @max bytes. Returns 0 or a negative errno.
 */
int vms_read_file(const char *path, size_t max, uint8_t **out, size_t *outlen);

/* Read @path, which must hold exactly @len bytes (else -EMSGSIZE). */
int vms_read_file_exact(const char *path, uint8_t *buf, size_t len);

/*
 * Up to @size - 1 bytes of a small text file (/proc, a port file) into
 * @buf, NUL-terminated (empty on an error): the count, or -errno. One
 * read(2): no more than the file gives at once.
 */
ssize_t vms_read_text(const char *path, char *buf, size_t size);

/*
 * A port file (a daemon writes its TCP port there once it listens, as
 * hgsd's port_file): the port, or 0 while the file is missing, empty or
 * anything but a port number (1 to 65535 in decimal, one newline after
 * it at most), as a half-written one would be.
 */
unsigned int vms_read_port_file(const char *path);

/* @mode is applied as given (not through the umask); 0600 for secrets. */
int vms_write_file_atomic(const char *path, const void *data, size_t len,
			  mode_t mode, unsigned int flags);

/* 0666 less the process umask: the mode for non-secret outputs. */
mode_t vms_public_file_mode(void);

#endif /* VMS_FILEIO_H */
