// SPDX-License-Identifier: GPL-2.0
/*
 * worker_image.c - the files a worker program maps executable when it
 * starts: the program, its ELF interpreter (ld.so) and every library the
 * interpreter loads for it. vmshield.ko serves a shielded key only to a
 * process whose every executable mapping has an approved digest, so HGS's
 * worker registration needs all of them (Documentation/admin-guide.md,
 * "Worker registration").
 *
 * The libraries are resolved by the program's own interpreter, as ldd
 * does, but with the interpreter executed directly and the program only
 * named (LD_TRACE_LOADED_OBJECTS=1): the program's code never runs, only
 * the loader's. Libraries a worker dlopen()s later are not seen here:
 * the admin adds them by file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "worker_image.h"

/*
 * The PT_INTERP path of the ELF64 program @fd, into @interp; "" for a
 * static program. -ENOEXEC: not a 64-bit ELF, or an interpreter path that
 * is not absolute.
 */
static int elf_interp(int fd, char *interp, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;
	ssize_t n;

	interp[0] = '\0';
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph))
		return -ENOEXEC;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > len)
			return -ENOEXEC;
		n = pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset);
		if (n != (ssize_t)ph.p_filesz || interp[n - 1] != '\0' ||
		    interp[0] != '/')
			return -ENOEXEC;
		return 0;
	}
	return 0;
}

static int image_add(struct worker_image *img, const char *path)
{
	size_t i;

	for (i = 0; i < img->n; i++)
		if (!strcmp(img->path[i], path))
			return 0;
	if (img->n == WORKER_IMAGE_MAX)
		return -E2BIG;
	if (strlen(path) >= sizeof(img->path[0]))
		return -ENAMETOOLONG;
	strcpy(img->path[img->n++], path);
	return 0;
}

/*
 * One line of the loader's trace: "\tname => /path (0x...)" or
 * "\t/path (0x...)"; the vDSO and "not found" lines name no file.
 */
static int trace_line(struct worker_image *img, char *line)
{
	char *p = strstr(line, "=> ");

	if (strstr(line, "not found"))
		return -ENOENT;
	p = p ? p + 3 : line + strspn(line, " \t");
	if (*p != '/')
		return 0;
	p[strcspn(p, " \t\n")] = '\0';
	return image_add(img, p);
}

/* Run @interp in trace mode on @prog; add what it lists. */
static int trace_libraries(struct worker_image *img, const char *interp,
			   const char *prog)
{
	char line[PATH_MAX + 128];
	int pipefd[2], st, r = 0;
	FILE *f;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)interp, (char *)prog, NULL };
		char *const envp[] = { "LD_TRACE_LOADED_OBJECTS=1", NULL };

		if (dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execve(interp, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	if (!f) {
		r = -errno;
		close(pipefd[0]);
	}
	while (f && fgets(line, sizeof(line), f))
		if (!r)
			r = trace_line(img, line);
	if (f)
		fclose(f);
	if (waitpid(pid, &st, 0) != pid)
		return r ? r : -ECHILD;
	if (!r && (!WIFEXITED(st) || WEXITSTATUS(st)))
		r = -ENOEXEC;
	return r;
}

int worker_image_resolve(const char *prog, struct worker_image *img)
{
	char interp[PATH_MAX], real[PATH_MAX];
	int fd, r;

	memset(img, 0, sizeof(*img));
	if (!realpath(prog, real))
		return -errno;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = elf_interp(fd, interp, sizeof(interp));
	close(fd);
	if (r)
		return r;
	r = image_add(img, real);
	if (r || !interp[0])
		return r;	/* a static program is its own image */
	r = image_add(img, interp);
	if (r)
		return r;
	return trace_libraries(img, interp, real);
}
