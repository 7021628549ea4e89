// SPDX-License-Identifier: GPL-2.0
/*
 * fileio.c - whole-file reads, atomic writes (temp, fsync, rename, fsync
 * directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vms_cleanup.h"
#include "vms_fileio.h"

int vms_read_file(const char *path, size_t max, uint8_t **out, size_t *outlen)
{
	_cleanup_close_fd_ int fd = -1;
	size_t len = 0, cap;
	uint8_t *buf, *nbuf;
	struct stat st;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	/* One spare byte lets us see EOF without a second allocation. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				vms_wipe_free(buf, cap);
				return -EFBIG;
			}
			/* Grow by copying, so no stale secret stays behind. */
			nbuf = malloc(cap * 2);
			if (!nbuf) {
				vms_wipe_free(buf, cap);
				return -ENOMEM;
			}
			memcpy(nbuf, buf, len);
			vms_wipe_free(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			vms_wipe_free(buf, cap);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		vms_wipe_free(buf, cap);
		return -EFBIG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int vms_read_file_exact(const char *path, uint8_t *buf, size_t len)
{
	uint8_t *data;
	size_t got;
	int ret;

	ret = vms_read_file(path, len, &data, &got);
	if (ret == -EFBIG)
		return -EMSGSIZE;
	if (ret)
		return ret;
	if (got == len)
		memcpy(buf, data, len);
	else
		ret = -EMSGSIZE;
	vms_wipe_free(data, got ? got : 1);
	return ret;
}

mode_t vms_public_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_fd_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int vms_write_file_atomic(const char *path, const void *data, size_t len,
			  mode_t mode, unsigned int flags)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX], tmp[PATH_MAX];
	_cleanup_close_fd_ int fd = -1;
	const char *dir, *base;
	int ret;

	if (!path || !*path || (len && !data))
		return -EINVAL;
	if (strlen(path) >= sizeof(dirbuf))
		return -ENAMETOOLONG;
	/* dirname()/basename() may modify their argument: give copies. */
	strcpy(dirbuf, path);
	strcpy(basebuf, path);
	dir = dirname(dirbuf);
	base = basename(basebuf);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, base) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = mkostemp(tmp, O_CLOEXEC);	/* created 0600: no window for secrets */
	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (!ret && fchmod(fd, mode) < 0)
		ret = -errno;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (!ret) {
		ret = close(fd) < 0 ? -errno : 0;
		fd = -1;
	}
	if (!ret) {
		if (flags & VMS_WRITE_NOCLOBBER) {
			/* link() fails with EEXIST instead of replacing. */
			if (link(tmp, path) < 0)
				ret = -errno;
			unlink(tmp);
		} else if (rename(tmp, path) < 0) {
			ret = -errno;
		}
	}
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

ssize_t vms_read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (!size)
		return -EINVAL;
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

unsigned int vms_read_port_file(const char *path)
{
	char buf[16], *end;
	unsigned long port;

	if (vms_read_text(path, buf, sizeof(buf)) <= 0)
		return 0;
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	errno = 0;
	port = strtoul(buf, &end, 10);
	if (errno || (*end && strcmp(end, "\n")) || !port || port > 65535)
		return 0;
	return (unsigned int)port;
}
