// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_scan.c - host root looks for a VM's vTPM secrets on the guarded
 * host (hypervisor/01b-hyp-vtpm.sh): all of RAM through /proc/kcore, the
 * memory of every process through /proc/PID/mem, and the files under the
 * directories named.
 *
 *   vtpm_scan NEEDLES [--kcore] [--procs] [--files DIR]...
 *
 * NEEDLES holds one line per secret, "name first-byte mask masked" (hex):
 * the secret's first byte, a random 31-byte mask and the other 31 bytes
 * XORed with it. The secret itself is never in this process, so the scan
 * does not find its own copy; what it finds is a copy the host holds.
 * Prints "found NAME in WHERE" for each hit and a summary line; exit 0
 * when nothing was found, 1 when something was, 2 when it could not scan.
 */
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEEDLE_LEN	32
#define MAX_NEEDLES	16
#define CHUNK		(1u << 20)

struct needle {
	char name[32];
	uint8_t first;
	uint8_t mask[NEEDLE_LEN];	/* mask[0] unused */
	uint8_t masked[NEEDLE_LEN];
	unsigned long hits;
};

static struct needle needles[MAX_NEEDLES];
static unsigned int n_needles;
static uint64_t scanned;

static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int v;

		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int read_needles(const char *path)
{
	char line[512], name[32], first[8], mask[128], masked[128];
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct needle *n = &needles[n_needles];

		if (sscanf(line, "%31s %7s %127s %127s", name, first, mask,
			   masked) != 4)
			continue;
		if (n_needles == MAX_NEEDLES || unhex(first, &n->first, 1) ||
		    unhex(mask, n->mask + 1, NEEDLE_LEN - 1) ||
		    unhex(masked, n->masked + 1, NEEDLE_LEN - 1)) {
			fclose(f);
			return -EINVAL;
		}
		snprintf(n->name, sizeof(n->name), "%s", name);
		n_needles++;
	}
	fclose(f);
	return n_needles ? 0 : -ENODATA;
}

/* Each needle in @p (@len bytes); hits reported with @where. */
static void scan_buf(const uint8_t *p, size_t len, const char *where)
{
	const uint8_t *end = p + len;
	unsigned int k;

	for (k = 0; k < n_needles; k++) {
		struct needle *n = &needles[k];
		const uint8_t *q;

		for (q = p; q + NEEDLE_LEN <= end &&
		     (q = memchr(q, n->first, (size_t)(end - q - NEEDLE_LEN + 1)));
		     q++) {
			int i;

			for (i = 1; i < NEEDLE_LEN; i++)
				if ((q[i] ^ n->mask[i]) != n->masked[i])
					break;
			if (i < NEEDLE_LEN)
				continue;
			if (!n->hits++ || n->hits < 4)
				printf("found %s in %s\n", n->name, where);
			break;
		}
	}
}

/*
 * Scan [@off, @off + @size) of @fd chunk by chunk; the last bytes of a
 * chunk lead the next, so a secret across a boundary is seen.
 */
static void scan_range(int fd, uint64_t off, uint64_t size, const char *where)
{
	enum { LEAD = NEEDLE_LEN - 1 };
	static uint8_t buf[LEAD + CHUNK];
	bool lead = false;
	uint64_t pos = 0;

	while (pos < size) {
		size_t want = size - pos < CHUNK ? (size_t)(size - pos) : CHUNK;
		ssize_t got = pread(fd, buf + LEAD, want, (off_t)(off + pos));

		if (got <= 0) {
			/* a hole (an unreadable page): skip it */
			pos += 4096;
			lead = false;
			continue;
		}
		scan_buf(lead ? buf : buf + LEAD, (size_t)got + (lead ? LEAD : 0),
			 where);
		scanned += (uint64_t)got;
		memmove(buf, buf + (size_t)got, LEAD);
		lead = true;
		pos += (uint64_t)got;
	}
	explicit_bzero(buf, sizeof(buf));
}

/* RAM: the PT_LOAD segments of /proc/kcore up to 4 GiB each. */
static int scan_kcore(void)
{
	int fd = open("/proc/kcore", O_RDONLY);
	Elf64_Ehdr eh;
	int i;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) {
		close(fd);
		return -EIO;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);

		if (pread(fd, &ph, sizeof(ph), at) != sizeof(ph))
			break;
		/* not the vmalloc and vmemmap windows: terabytes of holes */
		if (ph.p_type != PT_LOAD || ph.p_memsz > (4ULL << 30))
			continue;
		scan_range(fd, ph.p_offset, ph.p_memsz, "kernel memory (/proc/kcore)");
	}
	close(fd);
	return 0;
}

static void scan_pid(const char *pid)
{
	char path[64], line[512], where[128], comm[32] = "?";
	unsigned long lo, hi;
	FILE *maps;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof(comm) - 1);

		comm[n > 0 ? n - 1 : 0] = 0;
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	fd = open(path, O_RDONLY);
	if (!maps || fd < 0) {
		if (maps)
			fclose(maps);
		if (fd >= 0)
			close(fd);
		return;		/* gone meanwhile, or a kernel thread */
	}
	snprintf(where, sizeof(where), "process %s (%s)", pid, comm);
	while (fgets(line, sizeof(line), maps)) {
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") ||
		    strstr(line, "[vsyscall]") || hi - lo > (4UL << 30))
			continue;
		scan_range(fd, lo, hi - lo, where);
	}
	fclose(maps);
	close(fd);
}

static int scan_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char self[16];

	if (!d)
		return -errno;
	snprintf(self, sizeof(self), "%d", getpid());
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) && strcmp(e->d_name, self))
			scan_pid(e->d_name);
	closedir(d);
	return 0;
}

static void scan_tree(const char *path)
{
	struct stat st;
	struct dirent *e;
	char sub[4096];
	DIR *d;
	int fd;

	if (lstat(path, &st))
		return;
	if (S_ISREG(st.st_mode)) {
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			snprintf(sub, sizeof(sub), "file %s", path);
			scan_range(fd, 0, (uint64_t)st.st_size, sub);
			close(fd);
		}
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		scan_tree(sub);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	unsigned int k;
	unsigned long found = 0;
	int i, r;

	if (argc < 3) {
		fprintf(stderr, "usage: vtpm_scan NEEDLES [--kcore] [--procs] [--files DIR]...\n");
		return 2;
	}
	r = read_needles(argv[1]);
	if (r) {
		fprintf(stderr, "vtpm_scan: %s: %s\n", argv[1], strerror(-r));
		return 2;
	}
	for (i = 2; i < argc; i++) {
		uint64_t before = scanned;
		const char *what = "kernel memory";

		if (!strcmp(argv[i], "--kcore")) {
			r = scan_kcore();
			if (r) {
				fprintf(stderr, "vtpm_scan: /proc/kcore: %s (lockdown must be none)\n",
					strerror(-r));
				return 2;
			}
		} else if (!strcmp(argv[i], "--procs")) {
			what = "process memory";
			r = scan_procs();
			if (r) {
				fprintf(stderr, "vtpm_scan: /proc: %s\n", strerror(-r));
				return 2;
			}
		} else if (!strcmp(argv[i], "--files") && i + 1 < argc) {
			what = argv[++i];
			scan_tree(what);
		} else {
			fprintf(stderr, "vtpm_scan: unknown argument '%s'\n", argv[i]);
			return 2;
		}
		printf("scanned %s: %llu MiB\n", what,
		       (unsigned long long)((scanned - before) >> 20));
	}
	for (k = 0; k < n_needles; k++)
		found += needles[k].hits;
	printf("scanned %llu MiB for %u secrets: %lu hits\n",
	       (unsigned long long)(scanned >> 20), n_needles, found);
	return found ? 1 : 0;
}
